// The relay as a process: `node --import tsx relay/src/main.ts`, graceful SIGTERM, bad settings.

import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../helpers/ws';
import { makeTempDir, removeTempDir } from '../helpers/temp';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

let root: string;
beforeAll(async () => {
	root = await makeTempDir('tessera-process');
});
afterAll(async () => {
	await removeTempDir(root);
});

interface RelayProcess {
	child: ChildProcess;
	stdout: () => string;
	stderr: () => string;
	exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function spawnRelay(env: Record<string, string>): RelayProcess {
	const child = spawn(process.execPath, ['--import', 'tsx', 'relay/src/main.ts'], {
		cwd: repoRoot,
		env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? root, ...env },
		stdio: ['ignore', 'pipe', 'pipe']
	});
	let out = '';
	let err = '';
	child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
	child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
	const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
		child.on('exit', (code, signal) => resolve({ code, signal }))
	);
	return { child, stdout: () => out, stderr: () => err, exited };
}

/** Resolves with the URL from the "listening" log line, or rejects if the process exits first. */
function listeningUrl(relay: RelayProcess): Promise<string> {
	return new Promise((resolve, reject) => {
		const check = () => {
			const match = /Tessera relay listening on (http:\/\/[\d.]+:\d+)/.exec(relay.stdout());
			if (match?.[1]) {
				relay.child.stdout?.off('data', check);
				resolve(match[1]);
			}
		};
		relay.child.stdout?.on('data', check);
		relay.exited.then(({ code }) =>
			reject(new Error(`relay exited with ${code} before listening: ${relay.stderr()}`))
		);
	});
}

describe('the relay process', () => {
	it('stops gracefully on SIGTERM: websockets get 1001, the process exits 0', async () => {
		const relay = spawnRelay({
			PORT: '0',
			DATA_DIR: path.join(root, 'data'),
			APP_DIR: path.join(root, 'no-app'),
			LOG_LEVEL: 'info'
		});
		try {
			const url = await listeningUrl(relay);
			const health = await fetch(`${url}/api/health`);
			expect(health.status).toBe(200);

			const client = await connect(url);
			relay.child.kill('SIGTERM');
			const closed = await client.closed;
			expect(closed).toEqual({ code: 1001, reason: 'relay shutting down' });
			expect(await relay.exited).toEqual({ code: 0, signal: null });

			const lines = relay
				.stdout()
				.trim()
				.split('\n')
				.map((line) => JSON.parse(line) as { msg: string });
			expect(lines.map((l) => l.msg)).toEqual(
				expect.arrayContaining(['shutting down', 'relay stopped'])
			);
		} finally {
			if (relay.child.exitCode === null) relay.child.kill('SIGKILL');
		}
	});

	it('exits non-zero with a clear message for a bad PORT', async () => {
		const relay = spawnRelay({ PORT: 'eighty', DATA_DIR: path.join(root, 'unused') });
		const { code } = await relay.exited;
		expect(code).not.toBe(0);
		expect(relay.stderr()).toContain(
			'Tessera relay: invalid configuration: PORT must be a whole number from 0 to 65535 (got "eighty")'
		);
	});

	it('exits non-zero with a clear message when the port is taken', async () => {
		const blocker = net.createServer();
		await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
		try {
			const { port } = blocker.address() as net.AddressInfo;
			const relay = spawnRelay({ PORT: String(port), DATA_DIR: path.join(root, 'taken') });
			const { code } = await relay.exited;
			expect(code).not.toBe(0);
			expect(relay.stderr()).toMatch(/Tessera relay failed to start: .*EADDRINUSE/);
		} finally {
			await new Promise((resolve) => blocker.close(resolve));
		}
	});
});
