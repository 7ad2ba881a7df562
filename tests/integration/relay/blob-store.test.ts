// FolderBlobStore: durable temp+rename writes, strict ids, ranges, cleanup of interrupted writes.

import fs from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { text } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlobTooLargeError, FolderBlobStore, InvalidBlobIdError } from '../../../relay/src/blobs';
import { fromBase64Url, toBase64Url } from '../../../src/lib/protocol';
import { listTree, makeTempDir, removeTempDir } from '../helpers/temp';

let root: string;
let dir: string;
let store: FolderBlobStore;

beforeAll(async () => {
	root = await makeTempDir('tessera-blobs');
	dir = path.join(root, 'blobs');
	store = await FolderBlobStore.open(dir);
});
afterAll(async () => {
	await removeTempDir(root);
});

const newId = () => toBase64Url(randomBytes(16));

async function* chunks(...parts: string[]): AsyncIterable<Uint8Array> {
	for (const part of parts) yield Buffer.from(part);
}

async function tempFiles(): Promise<string[]> {
	return (await listTree(dir)).filter((p) => p.startsWith('.tmp/'));
}

describe('FolderBlobStore', () => {
	it('stores a blob from an async iterable under a sharded hex path, leaving no temp file', async () => {
		const id = newId();
		expect(await store.put(id, chunks('hello ', 'world'))).toEqual({ size: 11 });
		const hex = Buffer.from(fromBase64Url(id)).toString('hex');
		const file = path.join(dir, hex.slice(0, 2), hex);
		expect(await fs.readFile(file, 'utf8')).toBe('hello world');
		expect(store.pathOf(id)).toBe(file);
		expect(await tempFiles()).toEqual([]);
	});

	it('stores a blob from a web ReadableStream', async () => {
		const id = newId();
		const stream = new ReadableStream<Uint8Array>({
			start(controller) {
				controller.enqueue(new TextEncoder().encode('from '));
				controller.enqueue(new TextEncoder().encode('a stream'));
				controller.close();
			}
		});
		expect(await store.put(id, stream)).toEqual({ size: 13 });
		const read = await store.get(id);
		expect(read && (await text(read.stream))).toBe('from a stream');
	});

	it('reads whole blobs and inclusive ranges, and stats them', async () => {
		const id = newId();
		await store.put(id, chunks('0123456789'));
		const part = await store.get(id, { start: 2, end: 5 });
		expect(part?.size).toBe(10);
		expect(part && (await text(part.stream))).toBe('2345');
		expect(await store.stat(id)).toEqual({ size: 10 });
		await expect(store.get(id, { start: 5, end: 10 })).rejects.toThrow(RangeError);
	});

	it('answers null for a blob that is not there', async () => {
		const id = newId();
		expect(await store.get(id)).toBeNull();
		expect(await store.stat(id)).toBeNull();
		expect(await store.delete(id)).toBe(false);
	});

	it('replaces a blob only once the new one is complete', async () => {
		const id = newId();
		await store.put(id, chunks('first'));
		async function* failing(): AsyncIterable<Uint8Array> {
			yield Buffer.from('second, but ');
			throw new Error('connection lost');
		}
		await expect(store.put(id, failing())).rejects.toThrow('connection lost');
		const read = await store.get(id);
		expect(read && (await text(read.stream))).toBe('first');
		expect(await tempFiles()).toEqual([]);
		await store.put(id, chunks('second'));
		const again = await store.get(id);
		expect(again && (await text(again.stream))).toBe('second');
	});

	it('refuses a blob over maxBytes and keeps nothing of it', async () => {
		const id = newId();
		await expect(store.put(id, chunks('12345', '67890'), { maxBytes: 8 })).rejects.toThrow(
			BlobTooLargeError
		);
		expect(await store.stat(id)).toBeNull();
		expect(await tempFiles()).toEqual([]);
	});

	it('deletes blobs', async () => {
		const id = newId();
		await store.put(id, chunks('x'));
		expect(await store.delete(id)).toBe(true);
		expect(await store.stat(id)).toBeNull();
	});

	it('refuses every id that is not a strict blobId, in every method', async () => {
		const bad = [
			'../x',
			'../../etc/passwd',
			'/etc/passwd',
			'a.b',
			'',
			'\0',
			'A'.repeat(44),
			'A'.repeat(21)
		];
		for (const id of bad) {
			expect(() => store.pathOf(id)).toThrow(InvalidBlobIdError);
			await expect(store.put(id, chunks('x'))).rejects.toThrow(InvalidBlobIdError);
			await expect(store.get(id)).rejects.toThrow(InvalidBlobIdError);
			await expect(store.stat(id)).rejects.toThrow(InvalidBlobIdError);
			await expect(store.delete(id)).rejects.toThrow(InvalidBlobIdError);
		}
		expect(await fs.readdir(root)).toEqual(['blobs']);
	});

	it('keeps ids that differ only in letter case apart', async () => {
		const lower = 'a'.repeat(22).slice(0, 21) + 'A';
		const upper = 'A'.repeat(22);
		await store.put(lower, chunks('lower'));
		await store.put(upper, chunks('upper'));
		expect(store.pathOf(lower).toLowerCase()).not.toBe(store.pathOf(upper).toLowerCase());
		const read = await store.get(lower);
		expect(read && (await text(read.stream))).toBe('lower');
	});

	it('removes temp files of interrupted writes when opened', async () => {
		await fs.writeFile(path.join(dir, '.tmp', 'abc.part'), 'half a blob');
		const id = newId();
		await store.put(id, chunks('kept'));
		const reopened = await FolderBlobStore.open(dir);
		expect(await tempFiles()).toEqual([]);
		expect(await reopened.stat(id)).toEqual({ size: 4 });
	});
});
