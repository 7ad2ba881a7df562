// Downloads: plaintext only from authenticated chunks, resumed by Range after a cut, cached as ciphertext, never partially.

import { describe, expect, it } from 'vitest';
import {
	DecryptError,
	encryptFile,
	randomKey,
	StreamError,
	toBase64Url,
	randomBytes
} from '../../../src/lib/crypto';
import type { TesseraDB } from '../../../src/lib/local/db';
import {
	BlobCache,
	BlobDownloader,
	SessionEndedError,
	TransferError,
	UploadQueue
} from '../../../src/lib/transfer';
import type { FakeRelay } from './fake-relay';
import {
	blobOf,
	contains,
	fakeRelayPerTest,
	freshDatabase,
	MARKER,
	photoBytes,
	readAll,
	sameBytes
} from './helpers';

const CHUNK = 4096;

let relay: FakeRelay;
fakeRelayPerTest((started) => (relay = started));

function downloaderOn(db?: TesseraDB, token: () => string | null = () => relay.token) {
	return new BlobDownloader({
		...(db ? { db } : {}),
		baseUrl: relay.url,
		token,
		retryDelays: [0, 5, 10]
	});
}

/** Puts an encrypted file on the relay; returns its id, key and plaintext. */
async function onRelay(size: number) {
	const plaintext = photoBytes(size);
	const key = randomKey();
	const blobId = toBase64Url(randomBytes(16));
	const ciphertext = await encryptFile(plaintext, key, { chunkSize: CHUNK });
	relay.blobs.set(blobId, Buffer.from(ciphertext));
	return { blobId, key, plaintext, ciphertext };
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
	return promise.then(
		() => {
			throw new Error('expected a failure');
		},
		(error: unknown) => error
	);
}

describe('BlobDownloader.downloadBlob', () => {
	it('streams the plaintext, with the session token and progress up to the blob size', async () => {
		const { blobId, key, plaintext, ciphertext } = await onRelay(50_000);
		const progress: [number, number | null][] = [];
		const stream = await downloaderOn().downloadBlob(blobId, key, {
			onProgress: (received, total) => progress.push([received, total])
		});
		expect(sameBytes(await readAll(stream), plaintext)).toBe(true);
		expect(relay.log[0]!.authorization).toBe(`Bearer ${relay.token}`);
		expect(progress.at(-1)).toEqual([ciphertext.length, ciphertext.length]);
	});

	it('resumes a cut download with a Range request where it stopped, and yields the same plaintext', async () => {
		const { blobId, key, plaintext } = await onRelay(200_000);
		relay.faults.cutDownloadAfter = [70_001, 50_000];
		const stream = await downloaderOn().downloadBlob(blobId, key);
		expect(sameBytes(await readAll(stream), plaintext)).toBe(true);
		const gets = relay.log.filter((r) => r.method === 'GET');
		expect(gets.map((r) => r.range)).toEqual([undefined, 'bytes=70001-', 'bytes=120001-']);
	});

	it('errors with DecryptError when a byte of the blob was changed (and says so clearly)', async () => {
		const { blobId, key } = await onRelay(30_000);
		relay.blobs.get(blobId)![20_000]! ^= 1;
		const stream = await downloaderOn().downloadBlob(blobId, key);
		const error = await failure(readAll(stream));
		expect(error).toBeInstanceOf(DecryptError);
		expect((error as DecryptError).code).toBe('decrypt_failed');
		expect((error as Error).message).toMatch(/could not be decrypted/);
	});

	it('errors with StreamError when the relay serves a blob cut at a chunk boundary', async () => {
		const { blobId, key } = await onRelay(3 * CHUNK + 10);
		const whole = relay.blobs.get(blobId)!;
		relay.blobs.set(blobId, whole.subarray(0, 33 + 2 * (CHUNK + 17)));
		const error = await failure(readAll(await downloaderOn().downloadBlob(blobId, key)));
		expect(error).toBeInstanceOf(StreamError);
		expect((error as StreamError).code).toBe('stream_truncated');
	});

	it('refuses with typed errors: no such blob, session ended, no session', async () => {
		const key = randomKey();
		const missing = toBase64Url(randomBytes(16));
		const notFound = await failure(downloaderOn().downloadBlob(missing, key));
		expect((notFound as TransferError).code).toBe('blob-not-found');
		const { blobId } = await onRelay(10);
		const ended = await failure(
			downloaderOn(undefined, () => 'wrong-token').downloadBlob(blobId, key)
		);
		expect(ended).toBeInstanceOf(SessionEndedError);
		const before = relay.log.length;
		const none = await failure(downloaderOn(undefined, () => null).downloadBlob(blobId, key));
		expect(none).toBeInstanceOf(SessionEndedError);
		expect(relay.log.length).toBe(before);
	});

	it('stops when aborted', async () => {
		const { blobId, key } = await onRelay(10_000);
		const controller = new AbortController();
		controller.abort();
		const error = await failure(
			downloaderOn().downloadBlob(blobId, key, { signal: controller.signal })
		);
		expect((error as Error).name).toBe('AbortError');
	});
});

describe('BlobDownloader.readBlobCached', () => {
	it('downloads once, keeps the ciphertext (not the plaintext), and serves later reads from the device', async () => {
		const db = freshDatabase();
		const { blobId, key, plaintext, ciphertext } = await onRelay(20_000);
		const downloader = downloaderOn(db);
		expect(
			sameBytes(await downloader.readBlobCached(blobId, key, { kind: 'thumb' }), plaintext)
		).toBe(true);
		const row = (await db.blobs.get(blobId))!;
		const kept = new Uint8Array(await row.bytes.arrayBuffer());
		expect(sameBytes(kept, ciphertext)).toBe(true);
		expect(contains(kept, MARKER)).toBe(false);
		expect(row).toMatchObject({ kind: 'thumb', size: ciphertext.length });

		const requests = relay.log.length;
		const again = await downloaderOn(db).readBlobCached(blobId, key, { kind: 'thumb' });
		expect(sameBytes(again, plaintext)).toBe(true);
		expect(relay.log.length).toBe(requests);
	});

	it('caches nothing when the blob fails to authenticate', async () => {
		const db = freshDatabase();
		const { blobId, key } = await onRelay(20_000);
		relay.blobs.get(blobId)![100]! ^= 0x80;
		const error = await failure(downloaderOn(db).readBlobCached(blobId, key, { kind: 'thumb' }));
		expect(error).toBeInstanceOf(DecryptError);
		expect(await db.blobs.count()).toBe(0);
	});

	it('replaces a cache entry damaged on the device with the relay’s copy', async () => {
		const db = freshDatabase();
		const { blobId, key, plaintext, ciphertext } = await onRelay(5_000);
		const damaged = ciphertext.slice();
		damaged[50]! ^= 1;
		await new BlobCache(db).put(blobId, 'thumb', damaged);
		const read = await downloaderOn(db).readBlobCached(blobId, key, { kind: 'thumb' });
		expect(sameBytes(read, plaintext)).toBe(true);
		const row = (await db.blobs.get(blobId))!;
		expect(sameBytes(new Uint8Array(await row.bytes.arrayBuffer()), ciphertext)).toBe(true);
	});

	it('shows a file still waiting in the upload queue without asking the relay', async () => {
		const db = freshDatabase();
		const queue = new UploadQueue({ db, baseUrl: relay.url, token: () => relay.token });
		const plaintext = photoBytes(3000);
		const key = randomKey();
		const entry = await queue.add({ file: blobOf(plaintext), streamKey: key, purpose: 'thumb' });
		const read = await downloaderOn(db).readBlobCached(entry.blobId, key, { kind: 'thumb' });
		expect(sameBytes(read, plaintext)).toBe(true);
		expect(relay.log).toHaveLength(0);
	});
});

describe('BlobCache', () => {
	it('evicts the least recently used blobs of a budget, and never thumbnails for originals', async () => {
		const db = freshDatabase();
		let clock = 0;
		const cache = new BlobCache(db, { thumb: 3000, other: 2500 }, () => ++clock);
		const bytes = (n: number) => new Uint8Array(n);
		await cache.put('thumb-a', 'thumb', bytes(1000));
		await cache.put('thumb-b', 'thumb', bytes(1000));
		await cache.put('orig-a', 'original', bytes(1000));
		await cache.put('orig-b', 'original', bytes(1000));
		await cache.get('orig-a'); // used: orig-b is now the oldest original
		await cache.put('prev-c', 'preview', bytes(1000));
		expect((await db.blobs.toCollection().primaryKeys()).sort()).toEqual([
			'orig-a',
			'prev-c',
			'thumb-a',
			'thumb-b'
		]);
		await cache.put('thumb-c', 'thumb', bytes(1500));
		expect(await cache.has('thumb-a')).toBe(false);
		expect(await cache.has('thumb-b')).toBe(true);
		// Too big for its whole budget: not kept at all.
		await cache.put('huge', 'original', bytes(3000));
		expect(await cache.has('huge')).toBe(false);
		expect(await cache.usage()).toEqual({ thumb: 2500, other: 2000 });
	});
});
