// Servers for benchmarks in their own process (own core, own heap), as they run in production.

import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { cp } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { makeTempDir, removeTempDir } from '../../tests/integration/helpers/temp';

const root = fileURLToPath(new URL('../../', import.meta.url));
const gcHook = new URL('./gc-on-signal.ts', import.meta.url).href;

/** How long a child may take to print its URL. */
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

export interface ChildServer {
	/** http://host:port as the child printed it. */
	url: string;
	pid: number;
	/** Resident set size of the child in KiB (VmRSS from /proc). */
	rssKiB(): number;
	/** CPU time the child has used so far, all its threads, in ms (schedstat from /proc). */
	cpuMs(): number;
	/** Runs a full GC in the child (it was started with --expose-gc and the signal hook). */
	collectGarbage(): Promise<void>;
	/** SIGTERM, then waits for the exit (SIGKILL after a while). */
	stop(): Promise<void>;
}

/**
 * Runs `node --import tsx <script>` from the project root with `env` added, and resolves once the
 * child printed a JSON line with a `url` field (the relay's "listening" log line, or a baseline
 * script's). Stdout is drained for the child's whole life: a full pipe would block its writes.
 */
export async function startChildServer(
	script: string,
	env: Record<string, string> = {},
	nodeArgs: readonly string[] = []
): Promise<ChildServer> {
	const child = spawn(
		process.execPath,
		[
			...(process.env.BENCH_CHILD_ARGS?.split(' ').filter(Boolean) ?? []),
			...nodeArgs,
			'--expose-gc',
			'--import',
			'tsx',
			'--import',
			gcHook,
			script
		],
		{ cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] }
	);
	let stderr = '';
	child.stderr!.on('data', (chunk: Buffer) => {
		// BENCH_CHILD_STDERR=1 shows what the children print (e.g. with --cpu-prof or a debug hook).
		if (process.env.BENCH_CHILD_STDERR) process.stderr.write(chunk);
		stderr = (stderr + chunk.toString('utf8')).slice(-4000);
	});
	const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
	const url = await new Promise<string>((resolve, reject) => {
		let settled = false;
		const timer = setTimeout(() => fail(`no URL within ${START_TIMEOUT_MS} ms`), START_TIMEOUT_MS);
		const fail = (why: string) => {
			if (settled) return;
			settled = true;
			clearTimeout(timer);
			child.kill('SIGKILL');
			reject(new Error(`${script}: ${why}\n${stderr}`));
		};
		child.once('exit', (code) => fail(`exited with ${code} before printing its URL`));
		createInterface({ input: child.stdout! }).on('line', (line) => {
			// BENCH_CHILD_STDOUT=1 shows its stdout too (the relay's log, --trace-gc output).
			if (process.env.BENCH_CHILD_STDOUT) process.stderr.write(`${line}\n`);
			const found = settled ? null : urlOf(line);
			if (found === null) return;
			settled = true;
			clearTimeout(timer);
			resolve(found);
		});
	});
	return {
		url,
		pid: child.pid!,
		rssKiB: () => rssKiB(child),
		cpuMs: () => cpuMs(child),
		async collectGarbage() {
			child.kill('SIGUSR2');
			// The signal is handled on the child's event loop; give it time to run the collection.
			await new Promise((resolve) => setTimeout(resolve, 300));
		},
		async stop() {
			if (child.exitCode !== null || child.signalCode !== null) return;
			child.kill('SIGTERM');
			const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
			await exited;
			clearTimeout(timer);
		}
	};
}

function urlOf(line: string): string | null {
	try {
		const parsed = JSON.parse(line) as { url?: unknown };
		return typeof parsed.url === 'string' ? parsed.url : null;
	} catch {
		return null;
	}
}

function rssKiB(child: ChildProcess): number {
	const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
	const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
	if (!match) throw new Error(`no VmRSS for pid ${child.pid}`);
	return Number(match[1]);
}

/**
 * Nanosecond CPU time summed over the child's threads (its event loop, libuv's pool, V8's GC and
 * compiler threads): a figure that the other load on a shared machine moves far less than wall time.
 */
function cpuMs(child: ChildProcess): number {
	let ns = 0;
	for (const task of readdirSync(`/proc/${child.pid}/task`)) {
		try {
			ns += Number(readFileSync(`/proc/${child.pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
		} catch {
			// The thread ended between the listing and the read.
		}
	}
	return ns / 1e6;
}

/** The relay as production runs it, in its own process, with a fresh DATA_DIR under a temp root. */
export interface ChildRelay {
	url: string;
	/** CPU time the relay has used so far, in ms (see ChildServer.cpuMs). */
	cpuMs(): number;
	root: string;
	dataDir: string;
	/** Stops the relay and removes its temp root. */
	stop(): Promise<void>;
}

/**
 * `node relay/src/main.ts` on a free port with DATA_DIR=<root>/data. APP_DIR is a copy of `appDir`
 * when given (so a rebuild of build/ meanwhile does not change the app under test), else a folder
 * that does not exist (API only).
 */
export async function startChildRelay(
	tag: string,
	options: { appDir?: string } = {}
): Promise<ChildRelay> {
	const root = await makeTempDir(tag);
	const dataDir = path.join(root, 'data');
	let server: ChildServer;
	try {
		const appDir = path.join(root, 'app');
		if (options.appDir) await cp(options.appDir, appDir, { recursive: true });
		server = await startChildServer('relay/src/main.ts', {
			PORT: '0',
			HOST: '127.0.0.1',
			// info: the "listening" line carries the URL; nothing per frame is logged at this level.
			LOG_LEVEL: 'info',
			DATA_DIR: dataDir,
			APP_DIR: appDir
		});
	} catch (error) {
		await removeTempDir(root);
		throw error;
	}
	return {
		url: server.url,
		cpuMs: () => server.cpuMs(),
		root,
		dataDir,
		async stop() {
			await server.stop();
			await removeTempDir(root);
		}
	};
}
