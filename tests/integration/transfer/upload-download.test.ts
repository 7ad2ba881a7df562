// The app's transfer layer against the real relay: encrypted tus uploads, resume after a reload, decrypting downloads, tampering, quota and sessions.

import fs from 'node:fs/promises';
import path from 'node:path';
import { IDBFactory } from 'fake-indexeddb';
import { DefaultHttpStack, type HttpRequest, type HttpStack } from 'tus-js-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AccountStore } from '../../../relay/src/account-store';
import { FolderBlobStore } from '../../../relay/src/blobs';
import { openDatabase } from '../../../relay/src/db';
import { DecryptError, randomKey } from '../../../src/lib/crypto';
import type { TesseraDB } from '../../../src/lib/local/db';
import {
	BlobDownloader,
	EncryptionPool,
	QuotaExceededError,
	SessionEndedError,
	UploadQueue,
	type UploadQueueOptions
} from '../../../src/lib/transfer';
import { createNodeEncryptWorker } from '../../../src/lib/transfer/encrypt-node-worker';
import {
	blobOf,
	closeDatabases,
	contains,
	expectedCiphertext,
	freshDatabase,
	photoBytes,
	readAll,
	sameBytes,
	whenTrue
} from '../../unit/transfer/helpers';
import { seedAccount, type SeededAccount } from '../helpers/stream';
import { startTestRelay, type TestRelay } from '../helpers/relay';

const KiB = 1024;
const MiB = 1024 * KiB;
const FILE_CHUNK = 256 * KiB;
const REQUEST = 1 * MiB;
const MARKER = new TextEncoder().encode('MARKER-PLAINTEXT');

let relay: TestRelay;
let alice: SeededAccount;

beforeAll(async () => {
	relay = await startTestRelay();
	alice = await seedAccount(relay.dataDir, 'alice');
});

afterEach(() => closeDatabases());

afterAll(async () => {
	await relay?.stop();
});

/** tus-js-client's own Node stack, recording each request's method and Upload-Offset. */
function recordingStack(log: { method: string; offset: string | undefined }[]): HttpStack {
	const inner = new DefaultHttpStack({});
	return {
		getName: () => 'recording',
		createRequest(method: string, url: string): HttpRequest {
			const request = inner.createRequest(method, url);
			const send = request.send.bind(request);
			request.send = (body: unknown) => {
				log.push({ method, offset: request.getHeader('Upload-Offset') });
				return send(body);
			};
			return request;
		}
	};
}

function queueOn(db: TesseraDB, options: Partial<UploadQueueOptions> = {}): UploadQueue {
	return new UploadQueue({
		db,
		baseUrl: relay.url,
		token: () => alice.token,
		fileChunkSize: FILE_CHUNK,
		requestBytes: REQUEST,
		retryDelays: [0, 50, 200],
		...options
	});
}

function downloader(db?: TesseraDB, token = alice.token): BlobDownloader {
	return new BlobDownloader({ ...(db ? { db } : {}), baseUrl: relay.url, token: () => token });
}

async function storedBytes(blobId: string): Promise<Buffer> {
	const store = await FolderBlobStore.open(path.join(relay.dataDir, 'blobs'));
	return fs.readFile(store.pathOf(blobId));
}

describe('uploads and downloads through the real relay', () => {
	it('uploads encrypted files with tus and downloads them back byte-identical after decryption', async () => {
		const db = freshDatabase();
		const queue = queueOn(db);
		await queue.start();
		const files = [photoBytes(0), photoBytes(1), photoBytes(3 * MiB + 12_345)];
		const keys = files.map(() => randomKey());
		const entries = await Promise.all(
			files.map((file, i) =>
				queue.add({ file: blobOf(file), streamKey: keys[i]!, purpose: 'original', group: 'import' })
			)
		);
		await Promise.all(entries.map((e) => queue.whenDone(e.id)));

		for (const [i, entry] of entries.entries()) {
			const onDisk = await storedBytes(entry.blobId);
			expect(onDisk.length).toBe(entry.total);
			expect(contains(onDisk, MARKER)).toBe(false);
			const stream = await downloader().downloadBlob(entry.blobId, keys[i]!);
			expect(sameBytes(await readAll(stream), files[i]!)).toBe(true);
		}
		expect(queue.snapshot().groups.import).toMatchObject({ files: 3, done: 3, failed: 0 });
	});

	it('resumes after an interrupted upload: a new queue on the same database continues from the relay offset, same bytes', async () => {
		const factory = new IDBFactory();
		const plaintext = photoBytes(6 * MiB + 777);
		const key = randomKey();
		const first = queueOn(freshDatabase(factory), { concurrency: 1 });
		// Stop once the relay has acknowledged at least 2 MiB (a PATCH answered), as a tab closing would.
		let acknowledged = 0;
		const interrupt = whenTrue(() => acknowledged >= 2 * MiB);
		first.subscribe((event) => {
			if (event.type !== 'progress' && event.type !== 'state') return;
			acknowledged = Math.max(acknowledged, event.upload.bytesSent);
			interrupt.poke();
		});
		await first.start();
		const entry = await first.add({ file: blobOf(plaintext), streamKey: key, purpose: 'original' });
		await interrupt.reached;
		await first.stop();

		const db = freshDatabase(factory);
		const row = (await db.uploads.get(entry.id))!;
		expect(row.uploadUrl).toMatch(/\/api\/uploads\/[0-9a-f]{32}$/);
		const head = await fetch(row.uploadUrl!, {
			method: 'HEAD',
			headers: { 'Tus-Resumable': '1.0.0', Authorization: `Bearer ${alice.token}` }
		});
		const relayOffset = Number(head.headers.get('upload-offset'));
		expect(relayOffset).toBeGreaterThan(0);
		expect(relayOffset).toBeLessThan(entry.total);

		const log: { method: string; offset: string | undefined }[] = [];
		const second = queueOn(db, { httpStack: recordingStack(log) });
		await second.start();
		await second.whenDone(entry.id);
		expect(log.map((r) => r.method)).not.toContain('POST');
		expect(log.find((r) => r.method === 'PATCH')?.offset).toBe(String(relayOffset));

		const expected = await expectedCiphertext(key, plaintext, row.streamHeader, FILE_CHUNK);
		expect(sameBytes(await storedBytes(entry.blobId), expected)).toBe(true);
		const stream = await downloader().downloadBlob(entry.blobId, key);
		expect(sameBytes(await readAll(stream), plaintext)).toBe(true);
	});

	it('seals in an encryption worker thread at the production sizes: two 4 MiB chunks per PATCH, the same bytes', async () => {
		const pool = new EncryptionPool({ createWorker: createNodeEncryptWorker });
		try {
			const log: { method: string; offset: string | undefined }[] = [];
			const db = freshDatabase();
			const queue = new UploadQueue({
				db,
				baseUrl: relay.url,
				token: () => alice.token,
				encryption: pool,
				httpStack: recordingStack(log)
			});
			await queue.start();
			const key = randomKey();
			const plaintext = photoBytes(13 * MiB);
			const entry = await queue.add({
				file: blobOf(plaintext),
				streamKey: key,
				purpose: 'original'
			});
			await queue.whenDone(entry.id);
			// Bodies are two whole sealed chunks (4 MiB + 17 bytes each), the first with the 33-byte
			// file header: chunks 0-1, then 2-3.
			const sealedChunk = 4 * MiB + 17;
			expect(log.filter((r) => r.method === 'PATCH').map((r) => r.offset)).toEqual([
				'0',
				String(33 + 2 * sealedChunk)
			]);
			const row = (await db.uploads.get(entry.id))!;
			const expected = await expectedCiphertext(key, plaintext, row.streamHeader, 4 * MiB);
			expect(sameBytes(await storedBytes(entry.blobId), expected)).toBe(true);
		} finally {
			pool.terminate();
		}
	});

	it('refuses a tampered blob with DecryptError, and caches nothing of it', async () => {
		const db = freshDatabase();
		const queue = queueOn(db);
		await queue.start();
		const key = randomKey();
		const entry = await queue.add({
			file: blobOf(photoBytes(700 * KiB)),
			streamKey: key,
			purpose: 'original'
		});
		await queue.whenDone(entry.id);

		// Someone with the relay's disk flips one bit of the stored ciphertext.
		const store = await FolderBlobStore.open(path.join(relay.dataDir, 'blobs'));
		const file = store.pathOf(entry.blobId);
		const bytes = await fs.readFile(file);
		bytes[FILE_CHUNK + 1000]! ^= 1;
		await fs.writeFile(file, bytes);

		const stream = await downloader().downloadBlob(entry.blobId, key);
		const streamed = await readAll(stream).then(
			() => null,
			(error: unknown) => error
		);
		expect(streamed).toBeInstanceOf(DecryptError);

		const viewer = freshDatabase();
		const cached = await downloader(viewer)
			.readBlobCached(entry.blobId, key, { kind: 'original' })
			.then(
				() => null,
				(error: unknown) => error
			);
		expect(cached).toBeInstanceOf(DecryptError);
		expect(await viewer.blobs.count()).toBe(0);
	});

	it('says "Your storage is full" when the account quota is exceeded', async () => {
		const bob = await seedAccount(relay.dataDir, 'bob');
		const sql = openDatabase(relay.dataDir);
		try {
			new AccountStore(sql).setQuota(bob.accountId, 1 * MiB);
		} finally {
			sql.close();
		}
		const queue = queueOn(freshDatabase(), { token: () => bob.token });
		await queue.start();
		const entry = await queue.add({
			file: blobOf(photoBytes(2 * MiB)),
			streamKey: randomKey(),
			purpose: 'original'
		});
		const error = await queue.whenDone(entry.id).then(
			() => null,
			(e: unknown) => e
		);
		expect(error).toBeInstanceOf(QuotaExceededError);
		expect((error as QuotaExceededError).message).toBe('Your storage is full');
		expect(queue.snapshot().uploads[0]?.state).toBe('failed');
	});

	it('waits for a new session when the relay answers 401', async () => {
		let token = 'x'.repeat(43);
		const queue = queueOn(freshDatabase(), { token: () => token });
		const blocked = new Promise((resolve) =>
			queue.subscribe((e) => e.type === 'blocked' && resolve(e.error))
		);
		await queue.start();
		const key = randomKey();
		const plaintext = photoBytes(100 * KiB);
		const entry = await queue.add({ file: blobOf(plaintext), streamKey: key, purpose: 'thumb' });
		expect(await blocked).toBeInstanceOf(SessionEndedError);
		await queue.whenIdle();
		expect(queue.snapshot().uploads[0]?.state).toBe('queued');

		token = alice.token;
		await queue.start();
		await queue.whenDone(entry.id);
		const thumb = await downloader(freshDatabase()).readBlobCached(entry.blobId, key, {
			kind: 'thumb'
		});
		expect(sameBytes(thumb, plaintext)).toBe(true);
	});
});
