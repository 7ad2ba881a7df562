// Encryption ahead of the upload, in a worker: the same ciphertext as the in-thread source for every range, resumable, and failing clearly.

import { afterEach, describe, expect, it } from 'vitest';
import {
	createEncryptStream,
	createStreamHeader,
	decryptFile,
	EncryptedFileSource,
	randomBytes,
	randomKey
} from '../../../src/lib/crypto';
import {
	EncryptionPool,
	inThreadEncryptWorker,
	TransferError,
	type EncryptReply,
	type EncryptRequest,
	type EncryptWorkerPort,
	type PipelinedFileSource
} from '../../../src/lib/transfer';
import { createNodeEncryptWorker } from '../../../src/lib/transfer/encrypt-node-worker';
import { serveEncryption } from '../../../src/lib/transfer/encrypt-service';
import { blobOf, readAll, sameBytes } from './helpers';

const HEADER = 33;
const CHUNK = 1024;
const SEGMENT = CHUNK + 17;

const pools: EncryptionPool[] = [];
afterEach(() => {
	for (const pool of pools.splice(0)) pool.terminate();
});

function poolOf(createWorker: () => EncryptWorkerPort): EncryptionPool {
	const pool = new EncryptionPool({ createWorker });
	pools.push(pool);
	return pool;
}

const workers = [
	{ name: 'a worker thread', createWorker: createNodeEncryptWorker },
	{ name: 'the in-thread stand-in', createWorker: inThreadEncryptWorker }
];

async function openBoth(
	pool: EncryptionPool,
	plaintext: Uint8Array,
	prefetch = 3,
	segmentChunks = 1
) {
	const key = randomKey();
	const header = await createStreamHeader(key);
	const piped = pool.open({
		streamKey: key,
		streamHeader: header,
		plaintext: blobOf(plaintext),
		chunkSize: CHUNK,
		segmentChunks,
		prefetch
	});
	const inline = await EncryptedFileSource.open(key, blobOf(plaintext), header, {
		chunkSize: CHUNK
	});
	return { key, header, piped, inline };
}

/**
 * Request bodies as tus asks for them: from each acknowledged offset, at most `request` bytes,
 * each copied as the relay receives it (a body's buffer goes back to the worker once it is).
 */
async function bodies(source: PipelinedFileSource, request: number): Promise<Uint8Array[]> {
	const out: Uint8Array[] = [];
	for (let at = 0; at < source.size;) {
		const end = source.bodyEnd(at, Math.min(source.size, at + request));
		out.push((await source.read(at, end)).slice());
		at = end;
	}
	return out;
}

describe.each(workers)('encryption ahead of the upload, in $name', ({ createWorker }) => {
	it('reproduces createEncryptStream byte for byte, at every size around chunk edges', async () => {
		const pool = poolOf(createWorker);
		for (const size of [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 5 * CHUNK + 7]) {
			const key = randomKey();
			const plaintext = randomBytes(size);
			const stream = createEncryptStream(key, { chunkSize: CHUNK });
			const writer = stream.writable.getWriter();
			void writer.write(plaintext).then(() => writer.close());
			const streamed = await readAll(stream.readable);
			const source = pool.open({
				streamKey: key,
				streamHeader: streamed.subarray(9, HEADER),
				plaintext: blobOf(plaintext),
				chunkSize: CHUNK,
				segmentChunks: 2,
				prefetch: 2
			});
			expect(source.size).toBe(streamed.length);
			expect(sameBytes(Buffer.concat(await bodies(source, 3000)), streamed), `size ${size}`).toBe(
				true
			);
			source.close();
		}
	});

	it('cuts request bodies at segment edges, each at most the request size, and they open', async () => {
		const pool = poolOf(createWorker);
		const plaintext = randomBytes(7 * CHUNK + 100);
		const { key, piped, inline } = await openBoth(pool, plaintext);
		const request = 2 * SEGMENT + HEADER + 5;
		const sent = await bodies(piped, request);
		// Two whole chunks per body (the first with the file header); the last takes what is left.
		expect(sent.map((b) => b.length)).toEqual([
			HEADER + 2 * SEGMENT,
			2 * SEGMENT,
			2 * SEGMENT,
			SEGMENT + 100 + 17
		]);
		const blob = Buffer.concat(sent);
		expect(sameBytes(blob, await inline.read(0, inline.size))).toBe(true);
		expect(sameBytes(await decryptFile(blob, key), plaintext)).toBe(true);
		// Requests smaller than a chunk are not cut into slivers.
		const small = await bodies(piped, 500);
		expect(small.slice(0, -1).every((b) => b.length === 500)).toBe(true);
		expect(sameBytes(Buffer.concat(small), blob)).toBe(true);
	});

	it('seals a request body of several chunks as one segment, after a resume mid-segment too', async () => {
		const pool = poolOf(createWorker);
		const plaintext = randomBytes(7 * CHUNK + 100);
		const { piped, inline } = await openBoth(pool, plaintext, 1, 3);
		const full = await inline.read(0, inline.size);
		// As the queue asks: a segment's worth plus the header's 33 bytes.
		const request = HEADER + 3 * SEGMENT;
		const sent = await bodies(piped, request);
		expect(sent.map((b) => b.length)).toEqual([HEADER + 3 * SEGMENT, 3 * SEGMENT, SEGMENT + 117]);
		expect(sameBytes(Buffer.concat(sent), full)).toBe(true);
		// The relay kept 500 bytes of segment 1 before a cut: the rest of it, then whole segments.
		const resumeAt = HEADER + 3 * SEGMENT + 500;
		const first = piped.bodyEnd(resumeAt, resumeAt + request);
		expect(first).toBe(HEADER + 6 * SEGMENT);
		expect(sameBytes(await piped.read(resumeAt, first), full.subarray(resumeAt, first))).toBe(true);
	});

	it('serves any range, forwards, backwards (a resume at an earlier offset) and repeated, as the in-thread source does', async () => {
		const pool = poolOf(createWorker);
		const plaintext = randomBytes(12 * CHUNK + 333);
		const { piped, inline } = await openBoth(pool, plaintext, 2);
		const full = await inline.read(0, inline.size);
		let seed = 99;
		const random = () => {
			seed = (seed * 1103515245 + 12345) % 2 ** 31;
			return seed / 2 ** 31;
		};
		for (let i = 0; i < 40; i++) {
			const a = Math.floor(random() * (full.length + 1));
			const b = Math.floor(random() * (full.length + 1));
			const [start, end] = a <= b ? [a, b] : [b, a];
			expect(sameBytes(await piped.read(start, end), full.subarray(start, end))).toBe(true);
		}
		// Concurrent reads run one at a time and each gets its own range.
		const ranges: [number, number][] = [
			[9000, 12000],
			[0, 40],
			[5000, 7000]
		];
		const parts = await Promise.all(ranges.map(([s, e]) => piped.read(s, e)));
		ranges.forEach(([s, e], i) => expect(sameBytes(parts[i]!, full.subarray(s, e))).toBe(true));
	});

	it('never rewrites a body already read: once the relay has it, its buffer moves back to be refilled', async () => {
		const pool = poolOf(createWorker);
		const plaintext = randomBytes(40 * CHUNK);
		const { piped, inline } = await openBoth(pool, plaintext, 1);
		const full = await inline.read(0, inline.size);
		const held: { view: Uint8Array; copy: Uint8Array }[] = [];
		for (let at = 0; at < piped.size;) {
			const end = piped.bodyEnd(at, Math.min(piped.size, at + HEADER + SEGMENT));
			const view = await piped.read(at, end);
			expect(sameBytes(view, full.subarray(at, end))).toBe(true);
			held.push({ view, copy: view.slice() });
			at = end;
		}
		// Each earlier body is either its own bytes still or gone (moved away), never other bytes.
		for (const { view, copy } of held)
			expect(view.length === 0 || sameBytes(view, copy)).toBe(true);
		expect(held.filter(({ view }) => view.length === 0).length).toBeGreaterThan(30);
	});

	it('refuses ranges outside the blob and reads after close', async () => {
		const pool = poolOf(createWorker);
		const { piped } = await openBoth(pool, randomBytes(100));
		await expect(piped.read(-1, 5)).rejects.toBeInstanceOf(RangeError);
		await expect(piped.read(10, 5)).rejects.toBeInstanceOf(RangeError);
		piped.close();
		await expect(piped.read(0, 5)).rejects.toThrow('used after close');
	});
});

describe('EncryptionPool', () => {
	it('moves the stream key to the worker, which wipes it once its stream holds its own', async () => {
		const sent: Extract<EncryptRequest, { type: 'open' }>[] = [];
		const received: Extract<EncryptRequest, { type: 'open' }>[] = [];
		const pool = poolOf(() => {
			// A worker whose side of the messages the test can see, cloned as postMessage does.
			const port: EncryptWorkerPort = {
				onmessage: null,
				onerror: null,
				postMessage(message, transfer) {
					const moved = structuredClone(message, { transfer });
					if (message.type === 'open') sent.push(message);
					if (moved.type === 'open') received.push(moved);
					queueMicrotask(() => handle(moved));
				},
				terminate() {}
			};
			const handle = serveEncryption((reply, transfer) => {
				const moved = structuredClone(reply, { transfer });
				queueMicrotask(() => port.onmessage?.({ data: moved } as MessageEvent<EncryptReply>));
			});
			return port;
		});
		const { key, piped, inline } = await openBoth(pool, randomBytes(3 * CHUNK));
		expect(sameBytes(await piped.read(0, piped.size), await inline.read(0, inline.size))).toBe(
			true
		);
		// No copy stays on the page; the worker's arrived whole and is zeros now.
		expect(sent[0]!.streamKey.length).toBe(0);
		expect(received[0]!.streamKey.length).toBe(32);
		expect(received[0]!.streamKey.every((byte) => byte === 0)).toBe(true);
		// The caller's key is the caller's: untouched.
		expect(key.some((byte) => byte !== 0)).toBe(true);
	});

	it('fails the open blobs of a worker that died with encrypt-failed, and starts a new worker for the next', async () => {
		const ports: EncryptWorkerPort[] = [];
		const pool = poolOf(() => {
			const port = createNodeEncryptWorker();
			ports.push(port);
			return port;
		});
		const { piped } = await openBoth(pool, randomBytes(50 * CHUNK), 1);
		await piped.read(0, 10);
		// The worker crashes (out of memory, say): what was asked of it never comes.
		ports[0]!.onerror?.({ message: 'out of memory' } as ErrorEvent);
		const error = await piped.read(20 * SEGMENT, 21 * SEGMENT).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(TransferError);
		expect((error as TransferError).code).toBe('encrypt-failed');
		expect((error as TransferError).message).toBe(
			'This device could not encrypt the file: out of memory'
		);

		const again = await openBoth(pool, randomBytes(2 * CHUNK));
		expect(
			sameBytes(
				await again.piped.read(0, again.piped.size),
				await again.inline.read(0, again.inline.size)
			)
		).toBe(true);
		expect(ports).toHaveLength(2);
	});

	it('shares one worker between blobs up to its limit, and ends it once idle', async () => {
		let made = 0;
		let ended = 0;
		const pool = new EncryptionPool({
			workers: 1,
			idleMs: 1,
			createWorker: () => {
				made += 1;
				const port = inThreadEncryptWorker();
				const terminate = port.terminate.bind(port);
				port.terminate = () => {
					ended += 1;
					terminate();
				};
				return port;
			}
		});
		pools.push(pool);
		const a = await openBoth(pool, randomBytes(2 * CHUNK));
		const b = await openBoth(pool, randomBytes(2 * CHUNK));
		await Promise.all([a.piped.read(0, a.piped.size), b.piped.read(0, b.piped.size)]);
		expect(made).toBe(1);
		a.piped.close();
		b.piped.close();
		await new Promise((resolve) => setTimeout(resolve, 20));
		expect(ended).toBe(1);
	});
});
