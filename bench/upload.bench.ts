// Encrypted resumable uploads: 200 MB of photo-sized files queued, encrypted and sent with tus to a relay process, against raw secretstream encryption (and plain tus) of the same bytes.
// Standalone: node --import tsx bench/upload.bench.ts
//
// What "ours" is: the app's UploadQueue, its device database (fake-indexeddb here) and its
// encryption pipeline, with the encryption worker the browser runs as a module worker run as a
// worker_threads thread (same encrypt-service.ts, same messages, buffers transferred), and
// tus-js-client's Node HTTP stack where a browser uses XMLHttpRequest. "inline" is the former
// pipeline: chunks sealed on the queue's thread when tus asks for a slice.

import { readdirSync, readFileSync } from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { Upload } from 'tus-js-client';
import {
	createStreamHeader,
	getSodium,
	randomBytes,
	randomKey,
	toBase64Url
} from '../src/lib/crypto';
import { openDeviceDatabase } from '../src/lib/local/db';
import {
	DEFAULT_UPLOAD_CONCURRENCY,
	EncryptionPool,
	UPLOAD_REQUEST_BYTES,
	UploadQueue,
	type UploadQueueOptions
} from '../src/lib/transfer';
import { createNodeEncryptWorker } from '../src/lib/transfer/encrypt-node-worker';
import { seedAccount } from '../tests/integration/helpers/stream';
import { startChildRelay } from './baselines/child';
import {
	defineBenchmark,
	figure,
	formatTable,
	median,
	megabytesPerSecond,
	type Figure
} from './lib';

const MB = 1_000_000;
const MiB = 1024 * 1024;
const TOTAL_BYTES = 200 * MB;
const MIN_FILE = 2 * MB;
const MAX_FILE = 8 * MB;
const RAW_CHUNK = 4 * MiB;
const RUNS = 3;
/** PATCH sizes tried besides the default (UPLOAD_REQUEST_BYTES), to show whether requests limit us. */
const REQUEST_SIZES = [4 * MiB, 16 * MiB, 32 * MiB];
const RAW = 'libsodium secretstream raw encrypt, same bytes';

/** Photo-sized files of random (incompressible, like JPEG) bytes; sizes from a fixed seed. */
function photoFiles(): Uint8Array[] {
	let seed = 0x5eed;
	const random = () => {
		seed = (seed * 1103515245 + 12345) % 2 ** 31;
		return seed / 2 ** 31;
	};
	const files: Uint8Array[] = [];
	let total = 0;
	while (total < TOTAL_BYTES) {
		const size = Math.min(
			TOTAL_BYTES - total,
			MIN_FILE + Math.floor(random() * (MAX_FILE - MIN_FILE))
		);
		files.push(randomBytes(size));
		total += size;
	}
	return files;
}

interface BenchRelay {
	url: string;
	token: string;
	dataDir: string;
	/** CPU seconds the relay process used so far (user, system). */
	cpu(): { user: number; system: number };
	stop(): Promise<void>;
}

/** utime and stime of a process or thread from /proc, in seconds. */
function cpuSeconds(statPath: string): { user: number; system: number } {
	const fields = readFileSync(statPath, 'utf8').split(') ')[1]!.split(' ');
	const ticks = 100; // USER_HZ on Linux
	return { user: Number(fields[11]) / ticks, system: Number(fields[12]) / ticks };
}

function childPids(): Set<number> {
	const pids = new Set<number>();
	for (const task of readdirSync('/proc/self/task')) {
		const text = readFileSync(`/proc/self/task/${task}/children`, 'utf8').trim();
		for (const pid of text.split(/\s+/).filter(Boolean)) pids.add(Number(pid));
	}
	return pids;
}

/** The relay as production runs it: its own process, a fresh DATA_DIR, one seeded account. */
async function startRelay(): Promise<BenchRelay> {
	const before = childPids();
	const relay = await startChildRelay('tessera-bench-upload');
	const pid = [...childPids()].find((p) => !before.has(p));
	const account = await seedAccount(relay.dataDir, 'bench-uploader');
	return {
		url: relay.url,
		token: account.token,
		dataDir: relay.dataDir,
		cpu: () => (pid ? cpuSeconds(`/proc/${pid}/stat`) : { user: NaN, system: NaN }),
		stop: () => relay.stop()
	};
}

/** One tus upload of `body` as tus-js-client does it without Tessera. */
function plainTusUpload(relay: BenchRelay, body: Buffer): Promise<void> {
	return new Promise((resolve, reject) => {
		new Upload(body, {
			endpoint: `${relay.url}/api/uploads`,
			chunkSize: UPLOAD_REQUEST_BYTES,
			metadata: { blobId: toBase64Url(randomBytes(16)) },
			headers: { Authorization: `Bearer ${relay.token}` },
			onSuccess: () => resolve(),
			onError: reject
		}).start();
	});
}

interface Sample {
	ms: number;
	/** CPU seconds: this process's main thread, its other threads (the encryption worker), the relay. */
	main: number;
	workers: number;
	relay: number;
	relaySystem: number;
}

const benchmark = defineBenchmark('upload', async (): Promise<Figure[]> => {
	const sodium = await getSodium();
	const files = photoFiles();
	const bytes = files.reduce((sum, f) => sum + f.length, 0);
	// The app gets Files from the picker; making them is not part of what is measured.
	const blobs = files.map((file) => new Blob([file as Uint8Array<ArrayBuffer>]));
	const buffers = files.map((file) => Buffer.from(file.buffer, file.byteOffset, file.length));
	const relay = await startRelay();
	// The browser's module worker, in Node: a worker_threads thread running the same
	// encrypt-service.ts over the same messages. Started by the warm-up run, as a page's worker is
	// by its first upload, and kept (one pool for all runs, as one queue runs for a whole session).
	const pool = new EncryptionPool({ createWorker: createNodeEncryptWorker, idleMs: 60_000 });
	const workerReadyMs = await firstChunkMs(pool);

	async function timed(fn: () => Promise<void> | void): Promise<Sample> {
		const mainThread = `/proc/self/task/${process.pid}/stat`;
		const main0 = cpuSeconds(mainThread);
		const all0 = process.cpuUsage();
		const relay0 = relay.cpu();
		const start = performance.now();
		await fn();
		const ms = performance.now() - start;
		const main1 = cpuSeconds(mainThread);
		const all = process.cpuUsage(all0);
		const relay1 = relay.cpu();
		const main = main1.user + main1.system - main0.user - main0.system;
		return {
			ms,
			main,
			workers: Math.max(0, (all.user + all.system) / 1e6 - main),
			relay: relay1.user + relay1.system - relay0.user - relay0.system,
			relaySystem: relay1.system - relay0.system
		};
	}

	/** Baseline: libsodium secretstream over the same files in 4 MiB chunks, output discarded. */
	function rawEncrypt(): void {
		for (const file of files) {
			const { state } = sodium.crypto_secretstream_xchacha20poly1305_init_push(randomKey());
			const chunks = Math.max(1, Math.ceil(file.length / RAW_CHUNK));
			for (let i = 0; i < chunks; i++) {
				sodium.crypto_secretstream_xchacha20poly1305_push(
					state,
					file.subarray(i * RAW_CHUNK, (i + 1) * RAW_CHUNK),
					null,
					i === chunks - 1
						? sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL
						: sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE
				);
			}
		}
	}

	/** Context: the same bytes sent unencrypted by plain tus-js-client, same concurrency. */
	async function plainUpload(): Promise<void> {
		let next = 0;
		const worker = async () => {
			while (next < buffers.length) await plainTusUpload(relay, buffers[next++]!);
		};
		await Promise.all(Array.from({ length: DEFAULT_UPLOAD_CONCURRENCY }, worker));
	}

	/** Context: the disk alone, the same files written and fsynced in the relay's data folder. */
	async function diskWrite(): Promise<void> {
		const dir = path.join(relay.dataDir, 'bench-disk');
		await fsp.mkdir(dir, { recursive: true });
		for (const [i, data] of buffers.entries()) {
			const handle = await fsp.open(path.join(dir, String(i)), 'w');
			try {
				await handle.write(data);
				await handle.sync();
			} finally {
				await handle.close();
			}
		}
		await fsp.rm(dir, { recursive: true, force: true });
	}

	/**
	 * Ours: queue every file (device database included), encrypt, tus to the relay, all done. With
	 * the encryption worker unless `encryption` says 'inline' (the former path: sealed on this
	 * thread when tus asks for a slice).
	 */
	async function encryptAndUpload(options: Partial<UploadQueueOptions> = {}): Promise<void> {
		const db = openDeviceDatabase('bench-upload', { indexedDB: new IDBFactory(), IDBKeyRange });
		try {
			const queue = new UploadQueue({
				db,
				baseUrl: relay.url,
				token: () => relay.token,
				encryption: pool,
				...options
			});
			await queue.start();
			const added = await Promise.all(
				blobs.map((file) => queue.add({ file, streamKey: randomKey(), purpose: 'original' }))
			);
			await Promise.all(added.map((entry) => queue.whenDone(entry.id)));
		} finally {
			db.close();
		}
	}

	const variants: { name: string; run: () => Promise<void> | void }[] = [
		{ name: 'raw', run: rawEncrypt },
		{ name: 'plain', run: plainUpload },
		{ name: 'ours', run: () => encryptAndUpload() },
		{ name: 'inline', run: () => encryptAndUpload({ encryption: 'inline' }) },
		{ name: 'disk', run: diskWrite },
		...REQUEST_SIZES.map((size) => ({
			name: `request-${size / MiB}MiB`,
			run: () => encryptAndUpload({ requestBytes: size })
		}))
	];
	const samples = new Map<string, Sample[]>(variants.map((v) => [v.name, []]));
	try {
		// One warm-up of each, then interleaved runs so drift on a shared machine hits all alike.
		// Each run starts one variant later than the one before: a variant that always ran right
		// after another (after 'disk', whose fsyncs leave the disk idle, say) would be flattered.
		for (const variant of variants) await variant.run();
		for (let run = 0; run < RUNS; run++) {
			for (let i = 0; i < variants.length; i++) {
				const variant = variants[(i + run) % variants.length]!;
				samples.get(variant.name)!.push(await timed(variant.run));
			}
		}
	} finally {
		pool.terminate();
		await relay.stop();
	}
	const throughput = (name: string) =>
		megabytesPerSecond(bytes, median(samples.get(name)!.map((s) => s.ms)));
	const raw = throughput('raw');
	const plain = throughput('plain');
	const ours = throughput('ours');
	printBreakdown(samples, bytes, workerReadyMs);
	return [
		figure({
			name: 'upload.encrypt-and-upload.200MB',
			unit: 'MB/s',
			value: ours,
			baseline: RAW,
			baselineValue: raw,
			target: { of: 'ratio', op: '>=', bound: 0.6 },
			runs: RUNS
		}),
		// Context: the transport alone (no encryption at all) against the same baseline.
		figure({
			name: 'upload.plain-tus.200MB',
			unit: 'MB/s',
			value: plain,
			baseline: RAW,
			baselineValue: raw,
			target: { of: 'ratio', op: '>=', bound: 0.6 },
			runs: RUNS
		}),
		// What encryption costs on top of the transport: 1 would be encryption for free.
		figure({
			name: 'upload.encrypt-and-upload.vs-plain-tus',
			unit: 'MB/s',
			value: ours,
			baseline: 'plain tus-js-client, same bytes unencrypted, same relay',
			baselineValue: plain,
			target: { of: 'ratio', op: '>=', bound: 0.8 },
			runs: RUNS
		}),
		// Above 1: encryption overlaps the upload instead of adding its time, 1 / (1/plain + 1/raw).
		figure({
			name: 'upload.encrypt-and-upload.vs-serial-bound',
			unit: 'MB/s',
			value: ours,
			baseline: 'plain tus then raw encrypt, one after the other',
			baselineValue: 1 / (1 / plain + 1 / raw),
			target: { of: 'ratio', op: '>=', bound: 1 },
			runs: RUNS
		}),
		// The former pipeline (sealed on the page's thread when tus asks), for before/after.
		figure({
			name: 'upload.encrypt-and-upload.inline.200MB',
			unit: 'MB/s',
			value: throughput('inline'),
			baseline: RAW,
			baselineValue: raw,
			target: { of: 'ratio', op: '>=', bound: 0.6 },
			runs: RUNS
		}),
		// Other PATCH sizes against the default: the default should not be beaten by much.
		...REQUEST_SIZES.map((size) =>
			figure({
				name: `upload.encrypt-and-upload.request-${size / MiB}MiB.200MB`,
				unit: 'MB/s',
				value: throughput(`request-${size / MiB}MiB`),
				baseline: `ours with ${UPLOAD_REQUEST_BYTES / MiB} MiB requests (the default)`,
				baselineValue: ours,
				target: { of: 'ratio', op: '<=', bound: 1.1 },
				runs: RUNS
			})
		)
	];
});

/** Time from starting the encryption thread to the first sealed chunk of a small blob. */
async function firstChunkMs(pool: EncryptionPool): Promise<number> {
	const start = performance.now();
	const key = randomKey();
	const source = pool.open({
		streamKey: key,
		streamHeader: await createStreamHeader(key),
		plaintext: new Blob([randomBytes(1000) as Uint8Array<ArrayBuffer>]),
		chunkSize: RAW_CHUNK,
		segmentChunks: 1,
		prefetch: 1
	});
	try {
		await source.read(0, source.size);
	} finally {
		source.close();
	}
	return performance.now() - start;
}

/** Where the time goes: wall time and CPU seconds per 200 MB, each a median of the runs. */
function printBreakdown(
	samples: Map<string, Sample[]>,
	bytes: number,
	workerReadyMs: number
): void {
	const mid = (list: Sample[], pick: (s: Sample) => number) => median(list.map(pick)).toFixed(2);
	const rows = [...samples].map(([name, list]) =>
		[
			name.padEnd(18),
			`${megabytesPerSecond(bytes, median(list.map((s) => s.ms))).toFixed(1)} MB/s`.padStart(12),
			`${(median(list.map((s) => s.ms)) / 1000).toFixed(2)} s`.padStart(8),
			mid(list, (s) => s.main).padStart(10),
			mid(list, (s) => s.workers).padStart(10),
			`${mid(list, (s) => s.relay)} (sys ${mid(list, (s) => s.relaySystem)})`.padStart(18)
		].join('  ')
	);
	console.log(
		[
			`upload: CPU seconds per ${bytes / MB} MB (medians of ${RUNS}); first chunk from a new encryption thread after ${workerReadyMs.toFixed(0)} ms; "other threads" is the encryption thread plus Node's GC and libuv threads`,
			`${'variant'.padEnd(18)}  ${'throughput'.padStart(12)}  ${'wall'.padStart(8)}  ${'main cpu'.padStart(10)}  ${'other thr.'.padStart(10)}  ${'relay cpu'.padStart(18)}`,
			...rows
		].join('\n')
	);
}

export default benchmark;

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
	console.log(formatTable(await benchmark.run()));
}
