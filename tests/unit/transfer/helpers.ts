// Shared set-up for the transfer specs: a fake relay per test, upload queues on it, an isolated device database, plaintext files and their expected ciphertext.

import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { afterEach, beforeEach } from 'vitest';
import { decryptFile, EncryptedFileSource, randomBytes } from '../../../src/lib/crypto';
import { openDeviceDatabase, type TesseraDB } from '../../../src/lib/local/db';
import {
	UploadQueue,
	type UploadQueueOptions,
	type UploadSummary
} from '../../../src/lib/transfer';
import { startFakeRelay, type FakeRelay } from './fake-relay';

const opened: TesseraDB[] = [];

/** A fresh IndexedDB (a new browser profile); pass the same factory to "reload" the same device. */
export function freshDatabase(factory: IDBFactory = new IDBFactory()): TesseraDB {
	const db = openDeviceDatabase('tessera-test', { indexedDB: factory, IDBKeyRange });
	opened.push(db);
	return db;
}

export function closeDatabases(): void {
	for (const db of opened.splice(0)) db.close();
}

/**
 * Starts a fake relay before each test of the file, handing it to `started`; after each test,
 * closes it and the databases the test opened.
 */
export function fakeRelayPerTest(started: (relay: FakeRelay) => void): void {
	let relay: FakeRelay | undefined;
	beforeEach(async () => {
		relay = await startFakeRelay();
		started(relay);
	});
	afterEach(async () => {
		closeDatabases();
		await relay?.close();
		relay = undefined;
	});
}

/** The file chunk size of the upload queues in these specs: small, so files span many chunks. */
export const UPLOAD_CHUNK = 64 * 1024;

/** An upload queue on `relay` with small chunks and requests and quick retries; `options` win. */
export function uploadQueueOn(
	relay: FakeRelay,
	db: TesseraDB,
	options: Partial<UploadQueueOptions> = {}
): UploadQueue {
	return new UploadQueue({
		db,
		baseUrl: relay.url,
		token: () => relay.token,
		fileChunkSize: UPLOAD_CHUNK,
		requestBytes: 100 * 1024,
		retryDelays: [0, 10, 20],
		concurrency: 2,
		...options
	});
}

/** The ciphertext `relay` holds as `blobId`. */
export function storedBlob(relay: FakeRelay, blobId: string): Uint8Array {
	const blob = relay.blobs.get(blobId);
	if (!blob) throw new Error(`the relay has no blob ${blobId}`);
	return blob;
}

/** Resolves once `relay` holds `bytes` or more of some upload (looked at on every chunk it keeps). */
export function whenRelayHolds(relay: FakeRelay, bytes: number): Promise<void> {
	const held = whenTrue(() => [...relay.uploads.values()].some((u) => u.offset >= bytes));
	relay.onBytes = held.poke;
	return held.reached;
}

/** Starts `queue` on one file; resolves with its entry once `relay` holds `bytes` of it. */
export async function uploadUntilRelayHolds(
	relay: FakeRelay,
	queue: UploadQueue,
	plaintext: Uint8Array,
	streamKey: Uint8Array,
	bytes: number
): Promise<UploadSummary> {
	const held = whenRelayHolds(relay, bytes);
	await queue.start();
	const entry = await queue.add({ file: blobOf(plaintext), streamKey, purpose: 'original' });
	await held;
	return entry;
}

/** Whether `relay` stores for the upload exactly the ciphertext its row's header re-derives. */
export async function storesExpectedCiphertext(
	relay: FakeRelay,
	db: TesseraDB,
	entry: { id: string; blobId: string },
	streamKey: Uint8Array,
	plaintext: Uint8Array
): Promise<boolean> {
	const row = await db.uploads.get(entry.id);
	if (!row) throw new Error(`no upload row ${entry.id}`);
	const expected = await expectedCiphertext(streamKey, plaintext, row.streamHeader, UPLOAD_CHUNK);
	return sameBytes(storedBlob(relay, entry.blobId), expected);
}

/** Whether the blob `relay` stores as `blobId` decrypts with `streamKey` to `plaintext`. */
export async function storedOpensTo(
	relay: FakeRelay,
	blobId: string,
	streamKey: Uint8Array,
	plaintext: Uint8Array
): Promise<boolean> {
	return sameBytes(await decryptFile(storedBlob(relay, blobId), streamKey), plaintext);
}

export function blobOf(bytes: Uint8Array): Blob {
	return new Blob([bytes as Uint8Array<ArrayBuffer>]);
}

/** What photoBytes puts at the front of a file: ciphertext must never contain it. */
export const MARKER = new TextEncoder().encode('MARKER-PLAINTEXT');

/** Random bytes with a recognisable marker at the front, as a photo would carry EXIF text. */
export function photoBytes(size: number, marker = 'MARKER-PLAINTEXT'): Uint8Array {
	const bytes = randomBytes(size);
	bytes.set(new TextEncoder().encode(marker).subarray(0, size));
	return bytes;
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
	return Buffer.compare(a, b) === 0;
}

export function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
	return Buffer.from(haystack).includes(Buffer.from(needle));
}

/** The ciphertext the queue must produce for `plaintext`, re-derived independently. */
export async function expectedCiphertext(
	streamKey: Uint8Array,
	plaintext: Uint8Array,
	streamHeader: Uint8Array,
	chunkSize: number
): Promise<Uint8Array> {
	const source = await EncryptedFileSource.open(streamKey, blobOf(plaintext), streamHeader, {
		chunkSize
	});
	try {
		return await source.read(0, source.size);
	} finally {
		source.close();
	}
}

export async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
	const parts: Uint8Array[] = [];
	const reader = stream.getReader();
	for (;;) {
		const { done, value } = await reader.read();
		if (done) return Buffer.concat(parts);
		parts.push(value);
	}
}

/** Resolves the first time `check` passes, polled on every call of the returned `poke`. */
export function whenTrue(check: () => boolean): { poke: () => void; reached: Promise<void> } {
	let resolve: () => void = () => {};
	const reached = new Promise<void>((r) => (resolve = r));
	let fired = false;
	return {
		reached,
		poke: () => {
			if (!fired && check()) {
				fired = true;
				resolve();
			}
		}
	};
}
