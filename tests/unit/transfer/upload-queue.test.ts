// The upload queue: encrypted before it leaves, resumable across cuts and reloads, and clear about quota and sessions.

import { IDBFactory } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { randomKey } from '../../../src/lib/crypto';
import type { TesseraDB } from '../../../src/lib/local/db';
import {
	BlobDownloader,
	QuotaExceededError,
	SessionEndedError,
	TransferError,
	type UploadEvent,
	type UploadQueueOptions
} from '../../../src/lib/transfer';
import type { FakeRelay } from './fake-relay';
import {
	blobOf,
	contains,
	fakeRelayPerTest,
	freshDatabase,
	MARKER,
	photoBytes,
	sameBytes,
	storedBlob,
	storedOpensTo,
	storesExpectedCiphertext,
	UPLOAD_CHUNK,
	uploadQueueOn,
	uploadUntilRelayHolds,
	whenRelayHolds
} from './helpers';

const REQUEST = 100 * 1024;

let relay: FakeRelay;
fakeRelayPerTest((started) => (relay = started));

const queueOn = (db: TesseraDB, options: Partial<UploadQueueOptions> = {}) =>
	uploadQueueOn(relay, db, { requestBytes: REQUEST, ...options });

describe('UploadQueue', () => {
	it('uploads files encrypted: the relay holds ciphertext that opens to each file, and learns only the blob id', async () => {
		const db = freshDatabase();
		const queue = queueOn(db);
		await queue.start();
		const files = [photoBytes(300_000), photoBytes(1), photoBytes(UPLOAD_CHUNK * 3)];
		const keys = files.map(() => randomKey());
		const added = await Promise.all(
			files.map((file, i) =>
				queue.add({ file: blobOf(file), streamKey: keys[i]!, purpose: 'original', group: 'g1' })
			)
		);
		await Promise.all(added.map((a) => queue.whenDone(a.id)));

		for (const [i, entry] of added.entries()) {
			const ciphertext = storedBlob(relay, entry.blobId);
			expect(ciphertext.length).toBe(entry.total);
			expect(contains(ciphertext, MARKER)).toBe(false);
			expect(await storedOpensTo(relay, entry.blobId, keys[i]!, files[i]!)).toBe(true);
		}
		const creations = relay.log.filter((r) => r.method === 'POST');
		expect(creations).toHaveLength(3);
		for (const upload of relay.log.filter((r) => r.path.startsWith('/api/uploads'))) {
			expect(upload.authorization).toBe(`Bearer ${relay.token}`);
		}
		const snapshot = queue.snapshot();
		expect(snapshot.overall).toMatchObject({ files: 3, done: 3, failed: 0 });
		expect(snapshot.overall.bytesSent).toBe(snapshot.overall.total);
		expect(snapshot.groups.g1).toEqual(snapshot.overall);
		// Done rows drop the plaintext and the sealed key.
		const rows = await db.uploads.toArray();
		expect(rows.every((r) => r.state === 'done' && r.file === null && r.streamKey === null)).toBe(
			true
		);
	});

	it('keeps the stream key sealed in the database, never raw', async () => {
		const db = freshDatabase();
		const queue = queueOn(db);
		const key = randomKey();
		const entry = await queue.add({
			file: blobOf(photoBytes(1000)),
			streamKey: key,
			purpose: 'original'
		});
		const row = (await db.uploads.get(entry.id))!;
		expect(row.state).toBe('queued');
		expect(row.streamHeader).toHaveLength(24);
		expect(contains(row.streamKey!.ciphertext, key)).toBe(false);
		expect(row.total).toBe(33 + 1000 + 17);
	});

	it('reports progress per file and overall, never going backwards while a file uploads', async () => {
		const db = freshDatabase();
		const queue = queueOn(db, { concurrency: 1 });
		const events: UploadEvent[] = [];
		queue.subscribe((e) => events.push(e));
		await queue.start();
		const entry = await queue.add({
			file: blobOf(photoBytes(600_000)),
			streamKey: randomKey(),
			purpose: 'original'
		});
		await queue.whenDone(entry.id);
		const sent = events.flatMap((e) =>
			e.type === 'progress' || e.type === 'state' ? [e.upload.bytesSent] : []
		);
		expect(sent.length).toBeGreaterThan(3);
		for (let i = 1; i < sent.length; i++) expect(sent[i]!).toBeGreaterThanOrEqual(sent[i - 1]!);
		expect(sent.at(-1)).toBe(entry.total);
		const states = events.flatMap((e) => (e.type === 'state' ? [e.upload.state] : []));
		expect(states).toEqual(['queued', 'uploading', 'done']);
	});

	it('resumes after a reload: a new queue on the same database continues at the relay offset with the same bytes', async () => {
		const factory = new IDBFactory();
		const first = queueOn(freshDatabase(factory));
		const plaintext = photoBytes(900_000);
		const key = randomKey();
		const entry = await uploadUntilRelayHolds(relay, first, plaintext, key, 300_000);
		await first.stop();
		const partial = [...relay.uploads.values()][0]!;
		expect(partial.offset).toBeGreaterThan(0);
		expect(partial.offset).toBeLessThan(entry.total);
		const offsetAtStop = partial.offset;
		const requestsBefore = relay.log.length;

		// The tab reloads: the same device database, a new queue.
		const db = freshDatabase(factory);
		const second = queueOn(db);
		await second.start();
		await second.whenDone(entry.id);

		const after = relay.log.slice(requestsBefore);
		expect(after.filter((r) => r.method === 'POST')).toHaveLength(0);
		expect(after.find((r) => r.method === 'PATCH')?.uploadOffset).toBe(String(offsetAtStop));
		expect((await db.uploads.get(entry.id))?.state).toBe('done');
		expect(await storedOpensTo(relay, entry.blobId, key, plaintext)).toBe(true);
	});

	it('produces byte-identical ciphertext across a cut connection and retries', async () => {
		const db = freshDatabase();
		const queue = queueOn(db, { concurrency: 1 });
		const plaintext = photoBytes(700_000);
		const key = randomKey();
		// Two PATCHes are cut part-way; the server keeps what it got, tus asks for the offset again.
		relay.faults.cutPatchAfter = [60_000, 37_777];
		await queue.start();
		const entry = await queue.add({ file: blobOf(plaintext), streamKey: key, purpose: 'original' });
		await queue.whenDone(entry.id);
		expect(relay.log.filter((r) => r.method === 'HEAD').length).toBeGreaterThanOrEqual(2);
		expect(await storesExpectedCiphertext(relay, db, entry, key, plaintext)).toBe(true);
	});

	it('takes over the relay’s upload when the row lost its URL (409 upload-in-progress)', async () => {
		const db = freshDatabase();
		const first = queueOn(db);
		const plaintext = photoBytes(500_000);
		const key = randomKey();
		const entry = await uploadUntilRelayHolds(relay, first, plaintext, key, 150_000);
		await first.stop();
		await db.uploads.update(entry.id, { uploadUrl: null });

		const second = queueOn(db);
		await second.start();
		await second.whenDone(entry.id);
		expect(relay.log.filter((r) => r.method === 'POST').map((r) => r.status)).toEqual([201, 409]);
		expect(await storedOpensTo(relay, entry.blobId, key, plaintext)).toBe(true);
	});

	it('starts a new upload of the same bytes when the relay dropped the old one (expired)', async () => {
		const db = freshDatabase();
		const queue = queueOn(db);
		let expired = false;
		relay.onBytes = (upload) => {
			if (!expired && upload.offset >= REQUEST) {
				expired = true;
				relay.uploads.delete(upload.id);
			}
		};
		await queue.start();
		const key = randomKey();
		const plaintext = photoBytes(400_000);
		const entry = await queue.add({ file: blobOf(plaintext), streamKey: key, purpose: 'original' });
		await queue.whenDone(entry.id);
		expect(relay.log.filter((r) => r.method === 'PATCH').map((r) => r.status)).toContain(404);
		expect(relay.log.filter((r) => r.method === 'POST').map((r) => r.status)).toEqual([201, 201]);
		expect(await storedOpensTo(relay, entry.blobId, key, plaintext)).toBe(true);
	});

	it('counts an upload whose final answer was lost as done once the relay serves the whole blob', async () => {
		const db = freshDatabase();
		const queue = queueOn(db);
		relay.faults.loseFinalAnswer = true;
		await queue.start();
		const key = randomKey();
		const plaintext = photoBytes(50_000);
		const entry = await queue.add({ file: blobOf(plaintext), streamKey: key, purpose: 'original' });
		const done = await queue.whenDone(entry.id);
		expect(done.state).toBe('done');
		expect(relay.log.filter((r) => r.method === 'POST').map((r) => r.status)).toEqual([201, 409]);
		expect(await storedOpensTo(relay, entry.blobId, key, plaintext)).toBe(true);
	});

	it('fails a file with "Your storage is full" when the quota is exceeded, and carries on with the others', async () => {
		const db = freshDatabase();
		relay.faults.quotaBytes = 200_000;
		const queue = queueOn(db, { concurrency: 1 });
		await queue.start();
		const small = await queue.add({
			file: blobOf(photoBytes(10_000)),
			streamKey: randomKey(),
			purpose: 'original'
		});
		await queue.whenDone(small.id);
		const big = await queue.add({
			file: blobOf(photoBytes(400_000)),
			streamKey: randomKey(),
			purpose: 'original'
		});
		const error = await queue.whenDone(big.id).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(QuotaExceededError);
		expect((error as QuotaExceededError).code).toBe('quota-exceeded');
		expect((error as Error).message).toBe('Your storage is full');
		const failed = queue.snapshot().uploads.find((u) => u.id === big.id)!;
		expect(failed.state).toBe('failed');
		expect(failed.error).toEqual({ code: 'quota-exceeded', message: 'Your storage is full' });
		// The file stays queued on the device, so "retry" works once space is freed.
		expect((await db.uploads.get(big.id))?.file).not.toBeNull();
		relay.faults.quotaBytes = null;
		await queue.resume(big.id);
		expect((await queue.whenDone(big.id)).state).toBe('done');
	});

	it('waits for a new session on 401: entries stay queued, and start() after log-in finishes them', async () => {
		const db = freshDatabase();
		const queue = queueOn(db);
		const blocked: TransferError[] = [];
		queue.subscribe((e) => e.type === 'blocked' && blocked.push(e.error));
		relay.faults.unauthorized = true;
		await queue.start();
		const key = randomKey();
		const plaintext = photoBytes(120_000);
		const entry = await queue.add({ file: blobOf(plaintext), streamKey: key, purpose: 'original' });
		await queue.whenIdle();
		expect(blocked).toHaveLength(1);
		expect(blocked[0]).toBeInstanceOf(SessionEndedError);
		expect(blocked[0]!.code).toBe('unauthenticated');
		expect(queue.snapshot().blocked?.code).toBe('unauthenticated');
		expect(queue.snapshot().uploads[0]!.state).toBe('queued');

		relay.faults.unauthorized = false;
		await queue.start();
		await queue.whenDone(entry.id);
		expect(await storedOpensTo(relay, entry.blobId, key, plaintext)).toBe(true);
	});

	it('sends nothing without a session token', async () => {
		const db = freshDatabase();
		const queue = queueOn(db, { token: () => null });
		await queue.start();
		await queue.add({ file: blobOf(photoBytes(1000)), streamKey: randomKey(), purpose: 'thumb' });
		await queue.whenIdle();
		expect(relay.log).toHaveLength(0);
		expect(queue.snapshot().blocked?.code).toBe('unauthenticated');
	});

	it('pauses and resumes a file from where the relay is', async () => {
		const db = freshDatabase();
		const queue = queueOn(db);
		const plaintext = photoBytes(800_000);
		const key = randomKey();
		const entry = await uploadUntilRelayHolds(relay, queue, plaintext, key, 200_000);
		await queue.pause(entry.id);
		expect(queue.snapshot().uploads[0]!.state).toBe('paused');
		expect((await db.uploads.get(entry.id))?.state).toBe('paused');
		const offset = [...relay.uploads.values()][0]!.offset;
		expect(offset).toBeLessThan(entry.total);

		await queue.resume(entry.id);
		await queue.whenDone(entry.id);
		expect(relay.log.filter((r) => r.method === 'POST')).toHaveLength(1);
		expect(await storedOpensTo(relay, entry.blobId, key, plaintext)).toBe(true);
	});

	it('cancels: the relay deletes the partial upload and the row is gone', async () => {
		const db = freshDatabase();
		const queue = queueOn(db);
		const cancel = whenRelayHolds(relay, 100_000);
		await queue.start();
		const entry = await queue.add({
			file: blobOf(photoBytes(600_000)),
			streamKey: randomKey(),
			purpose: 'original'
		});
		const outcome = queue.whenDone(entry.id).catch((e: unknown) => e);
		await cancel;
		await queue.cancel(entry.id);
		expect(((await outcome) as TransferError).code).toBe('aborted');
		expect(relay.log.some((r) => r.method === 'DELETE' && r.status === 204)).toBe(true);
		expect(relay.uploads.size).toBe(0);
		expect(relay.blobs.size).toBe(0);
		expect(await db.uploads.count()).toBe(0);
		expect(queue.snapshot().uploads).toHaveLength(0);
	});

	it('keeps a finished thumbnail in the blob cache, so showing it needs no download', async () => {
		const db = freshDatabase();
		const queue = queueOn(db);
		await queue.start();
		const key = randomKey();
		const thumb = photoBytes(20_000);
		const entry = await queue.add({ file: blobOf(thumb), streamKey: key, purpose: 'thumb' });
		await queue.whenDone(entry.id);
		const requests = relay.log.length;
		const downloader = new BlobDownloader({ db, baseUrl: relay.url, token: () => relay.token });
		const shown = await downloader.readBlobCached(entry.blobId, key, { kind: 'thumb' });
		expect(sameBytes(shown, thumb)).toBe(true);
		expect(relay.log.length).toBe(requests);
	});

	it('limits how many files upload at once', async () => {
		const db = freshDatabase();
		const queue = queueOn(db, { concurrency: 2 });
		let most = 0;
		queue.subscribe(() => {
			const uploading = queue.snapshot().uploads.filter((u) => u.state === 'uploading').length;
			most = Math.max(most, uploading);
		});
		await queue.start();
		const entries = await Promise.all(
			Array.from({ length: 5 }, () =>
				queue.add({
					file: blobOf(photoBytes(150_000)),
					streamKey: randomKey(),
					purpose: 'original'
				})
			)
		);
		await Promise.all(entries.map((e) => queue.whenDone(e.id)));
		expect(most).toBe(2);
	});
});
