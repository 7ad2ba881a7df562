// Encrypted resumable uploads: 200 MB of photo-sized files queued, encrypted and sent with tus to a relay process, against raw secretstream encryption (and plain tus) of the same bytes.
// Standalone: node --import tsx bench/upload.bench.ts

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { Upload } from 'tus-js-client';
import { getSodium, randomBytes, randomKey, toBase64Url } from '../src/lib/crypto';
import { openDeviceDatabase } from '../src/lib/local/db';
import { DEFAULT_UPLOAD_CONCURRENCY, UPLOAD_REQUEST_BYTES, UploadQueue } from '../src/lib/transfer';
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
const TOTAL_BYTES = 200 * MB;
const MIN_FILE = 2 * MB;
const MAX_FILE = 8 * MB;
const RAW_CHUNK = 4 * 1024 * 1024;
const RUNS = 3;

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
	stop(): Promise<void>;
}

/** The relay as production runs it: its own process, a fresh DATA_DIR, one seeded account. */
async function startRelay(): Promise<BenchRelay> {
	const relay = await startChildRelay('tessera-bench-upload');
	const account = await seedAccount(relay.dataDir, 'bench-uploader');
	return { url: relay.url, token: account.token, stop: () => relay.stop() };
}

/** One tus upload of `body` as tus-js-client does it without Tessera (8 MiB PATCHes). */
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

async function timed(fn: () => unknown): Promise<number> {
	const start = performance.now();
	await fn();
	return performance.now() - start;
}

const benchmark = defineBenchmark('upload', async (): Promise<Figure[]> => {
	const sodium = await getSodium();
	const files = photoFiles();
	const bytes = files.reduce((sum, f) => sum + f.length, 0);
	// The app gets Files from the picker; making them is not part of what is measured.
	const blobs = files.map((file) => new Blob([file as Uint8Array<ArrayBuffer>]));
	const buffers = files.map((file) => Buffer.from(file.buffer, file.byteOffset, file.length));
	const relay = await startRelay();

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

	/** Ours: queue every file (device database included), encrypt on the fly, tus to the relay, all done. */
	async function encryptAndUpload(): Promise<void> {
		const db = openDeviceDatabase('bench-upload', { indexedDB: new IDBFactory(), IDBKeyRange });
		try {
			const queue = new UploadQueue({ db, baseUrl: relay.url, token: () => relay.token });
			await queue.start();
			const added = await Promise.all(
				blobs.map((file) => queue.add({ file, streamKey: randomKey(), purpose: 'original' }))
			);
			await Promise.all(added.map((entry) => queue.whenDone(entry.id)));
		} finally {
			db.close();
		}
	}

	const samples = { raw: [] as number[], plain: [] as number[], ours: [] as number[] };
	try {
		// One warm-up of each, then interleaved runs so drift on a shared machine hits all alike.
		rawEncrypt();
		await plainUpload();
		await encryptAndUpload();
		for (let run = 0; run < RUNS; run++) {
			samples.raw.push(await timed(rawEncrypt));
			samples.plain.push(await timed(plainUpload));
			samples.ours.push(await timed(encryptAndUpload));
		}
	} finally {
		await relay.stop();
	}
	const throughput = (runs: number[]) => megabytesPerSecond(bytes, median(runs));
	const ours = throughput(samples.ours);
	const raw = throughput(samples.raw);
	const plain = throughput(samples.plain);
	return [
		figure({
			name: 'upload.encrypt-and-upload.200MB',
			unit: 'MB/s',
			value: ours,
			baseline: 'libsodium secretstream raw encrypt, same bytes',
			baselineValue: raw,
			target: { of: 'ratio', op: '>=', bound: 0.6 },
			runs: RUNS
		}),
		// Context: the transport alone (no encryption at all) against the same baseline.
		figure({
			name: 'upload.plain-tus.200MB',
			unit: 'MB/s',
			value: plain,
			baseline: 'libsodium secretstream raw encrypt, same bytes',
			baselineValue: raw,
			target: { of: 'ratio', op: '>=', bound: 0.6 },
			runs: RUNS
		}),
		// How close ours is to doing both on one thread without overlap: 1 / (1/plain + 1/raw).
		figure({
			name: 'upload.encrypt-and-upload.vs-serial-bound',
			unit: 'MB/s',
			value: ours,
			baseline: 'plain tus then raw encrypt, one after the other',
			baselineValue: 1 / (1 / plain + 1 / raw),
			target: { of: 'ratio', op: '>=', bound: 0.7 },
			runs: RUNS
		})
	];
});

export default benchmark;

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
	console.log(formatTable(await benchmark.run()));
}
