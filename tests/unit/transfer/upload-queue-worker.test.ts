// The upload queue with encryption in a worker thread: the same ciphertext as the in-thread path across cuts and reloads, and a clear failure when the worker dies.

import { IDBFactory } from 'fake-indexeddb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { randomKey } from '../../../src/lib/crypto';
import type { TesseraDB } from '../../../src/lib/local/db';
import {
	EncryptionPool,
	inThreadEncryptWorker,
	TransferError,
	type EncryptWorkerPort,
	type UploadQueueOptions
} from '../../../src/lib/transfer';
import { createNodeEncryptWorker } from '../../../src/lib/transfer/encrypt-node-worker';
import type { FakeRelay } from './fake-relay';
import {
	blobOf,
	contains,
	fakeRelayPerTest,
	freshDatabase,
	MARKER,
	photoBytes,
	storedBlob,
	storedOpensTo,
	storesExpectedCiphertext,
	UPLOAD_CHUNK,
	uploadQueueOn,
	uploadUntilRelayHolds
} from './helpers';

let relay: FakeRelay;
let pool: EncryptionPool;
fakeRelayPerTest((started) => (relay = started));

beforeEach(() => {
	pool = new EncryptionPool({ createWorker: createNodeEncryptWorker });
});

afterEach(() => pool.terminate());

const queueOn = (db: TesseraDB, options: Partial<UploadQueueOptions> = {}) =>
	uploadQueueOn(relay, db, { requestBytes: 200 * 1024, encryption: pool, ...options });

/** A worker that answers `replies` times, then crashes (0: it never starts). */
function crashingAfter(replies: number): EncryptWorkerPort {
	const inner = inThreadEncryptWorker();
	let answered = 0;
	const crash = () => {
		inner.terminate();
		port.onerror?.({ message: 'the worker crashed' } as ErrorEvent);
	};
	const port: EncryptWorkerPort = {
		onmessage: null,
		onerror: null,
		postMessage(message, transfer) {
			if (replies === 0) queueMicrotask(crash);
			else inner.postMessage(message, transfer);
		},
		terminate: () => inner.terminate()
	};
	inner.onmessage = (event) => {
		port.onmessage?.(event);
		if (++answered === replies) crash();
	};
	return port;
}

describe('UploadQueue with encryption in a worker thread', () => {
	it('stores exactly the ciphertext the in-thread source derives, across cut connections', async () => {
		const db = freshDatabase();
		// One at a time, in the order added (a ticking clock), so the cuts hit the large file.
		let tick = 0;
		const queue = queueOn(db, { concurrency: 1, now: () => ++tick });
		const files = [
			photoBytes(900_000),
			photoBytes(5 * UPLOAD_CHUNK + 3),
			photoBytes(UPLOAD_CHUNK),
			photoBytes(0)
		];
		const keys = files.map(() => randomKey());
		// PATCHes cut part-way: tus asks the relay for its offset and continues there, mid-chunk.
		relay.faults.cutPatchAfter = [60_000, 37_777, 90_001];
		await queue.start();
		const added = [];
		for (const [i, file] of files.entries()) {
			added.push(await queue.add({ file: blobOf(file), streamKey: keys[i]!, purpose: 'original' }));
		}
		await Promise.all(added.map((entry) => queue.whenDone(entry.id)));
		expect(relay.log.filter((r) => r.method === 'HEAD').length).toBeGreaterThanOrEqual(3);
		for (const [i, entry] of added.entries()) {
			expect(
				await storesExpectedCiphertext(relay, db, entry, keys[i]!, files[i]!),
				`file ${i}`
			).toBe(true);
			expect(contains(storedBlob(relay, entry.blobId), MARKER)).toBe(false);
			expect(await storedOpensTo(relay, entry.blobId, keys[i]!, files[i]!)).toBe(true);
		}
	});

	it('is resumed after a reload by a queue that seals on its own thread, with the same bytes', async () => {
		const factory = new IDBFactory();
		const first = queueOn(freshDatabase(factory));
		const plaintext = photoBytes(1_000_000);
		const key = randomKey();
		const entry = await uploadUntilRelayHolds(relay, first, plaintext, key, 300_000);
		await first.stop();
		const offsetAtStop = [...relay.uploads.values()][0]!.offset;
		expect(offsetAtStop).toBeLessThan(entry.total);
		const requestsBefore = relay.log.length;

		const db = freshDatabase(factory);
		const second = queueOn(db, { encryption: 'inline' });
		await second.start();
		await second.whenDone(entry.id);
		const after = relay.log.slice(requestsBefore);
		expect(after.filter((r) => r.method === 'POST')).toHaveLength(0);
		expect(after.find((r) => r.method === 'PATCH')?.uploadOffset).toBe(String(offsetAtStop));
		expect(await storesExpectedCiphertext(relay, db, entry, key, plaintext)).toBe(true);
	});

	it('seals an upload again with a new worker when its worker dies mid-upload, same bytes', async () => {
		const made: string[] = [];
		const pool = new EncryptionPool({
			createWorker: () => {
				made.push('worker');
				return made.length === 1 ? crashingAfter(1) : inThreadEncryptWorker();
			}
		});
		try {
			const db = freshDatabase();
			const queue = queueOn(db, { encryption: pool, concurrency: 1 });
			await queue.start();
			const key = randomKey();
			const plaintext = photoBytes(900_000);
			const entry = await queue.add({
				file: blobOf(plaintext),
				streamKey: key,
				purpose: 'original'
			});
			await queue.whenDone(entry.id);
			expect(await storesExpectedCiphertext(relay, db, entry, key, plaintext)).toBe(true);
			expect(made).toHaveLength(2);
		} finally {
			pool.terminate();
		}
	});

	it('seals on this thread where no worker can start', async () => {
		let attempts = 0;
		const pool = new EncryptionPool({
			createWorker: () => {
				attempts += 1;
				return crashingAfter(0);
			}
		});
		try {
			const queue = queueOn(freshDatabase(), { encryption: pool });
			await queue.start();
			const key = randomKey();
			const plaintext = photoBytes(300_000);
			const entry = await queue.add({
				file: blobOf(plaintext),
				streamKey: key,
				purpose: 'original'
			});
			await queue.whenDone(entry.id);
			expect(await storedOpensTo(relay, entry.blobId, key, plaintext)).toBe(true);
			expect(attempts).toBe(1);
		} finally {
			pool.terminate();
		}
	});

	it('fails with "could not encrypt" when workers keep dying, and finishes on resume', async () => {
		let made = 0;
		const pool = new EncryptionPool({
			createWorker: () => (++made <= 2 ? crashingAfter(1) : inThreadEncryptWorker())
		});
		try {
			const queue = queueOn(freshDatabase(), { encryption: pool, retryDelays: [] });
			await queue.start();
			const key = randomKey();
			const plaintext = photoBytes(600_000);
			const entry = await queue.add({
				file: blobOf(plaintext),
				streamKey: key,
				purpose: 'original'
			});
			const error = await queue.whenDone(entry.id).catch((e: unknown) => e);
			expect(error).toBeInstanceOf(TransferError);
			expect((error as TransferError).code).toBe('encrypt-failed');
			expect((error as TransferError).message).toBe(
				'This device could not encrypt the file: the worker crashed'
			);
			expect(queue.snapshot().uploads[0]!.state).toBe('failed');

			await queue.resume(entry.id);
			await queue.whenDone(entry.id);
			expect(await storedOpensTo(relay, entry.blobId, key, plaintext)).toBe(true);
		} finally {
			pool.terminate();
		}
	});
});
