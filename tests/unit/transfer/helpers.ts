// Shared set-up for the transfer specs: an isolated device database, plaintext files and their expected ciphertext.

import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { EncryptedFileSource, randomBytes } from '../../../src/lib/crypto';
import { openDeviceDatabase, type TesseraDB } from '../../../src/lib/local/db';

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

export function blobOf(bytes: Uint8Array): Blob {
	return new Blob([bytes as Uint8Array<ArrayBuffer>]);
}

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
