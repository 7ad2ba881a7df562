// Keeping an album on the device: its blobs leave the cache's budget and are never evicted until released.

import { afterEach, describe, expect, it } from 'vitest';
import { BlobCache } from '../../../src/lib/transfer';
import { closeDatabases, freshDatabase } from './helpers';

afterEach(() => closeDatabases());

const bytes = (size: number, fill: number) => new Uint8Array(size).fill(fill);

describe('BlobCache keep', () => {
	it('never evicts a kept blob, and evicts it again like any other once released', async () => {
		const db = freshDatabase();
		let now = 0;
		const cache = new BlobCache(db, { thumb: 1000, other: 1000 }, () => ++now);
		await cache.put('kept-original-aaaaaaaa', 'original', bytes(600, 1));
		expect(await cache.keep('kept-original-aaaaaaaa', 'album-1')).toBe(true);
		expect(await cache.keep('not-cached-bbbbbbbbbbb', 'album-1')).toBe(false);

		// Two more originals that would not fit beside it: the kept one stays, outside the budget.
		await cache.put('other-one-ccccccccccc', 'original', bytes(600, 2));
		await cache.put('other-two-ddddddddddd', 'original', bytes(600, 3));
		expect(await cache.get('kept-original-aaaaaaaa')).toEqual(bytes(600, 1));
		expect(await cache.get('other-one-ccccccccccc')).toBeNull();
		expect(await cache.isKept('kept-original-aaaaaaaa')).toBe(true);

		// Kept by two albums: one letting go is not enough.
		await cache.keep('kept-original-aaaaaaaa', 'album-2');
		await cache.release('album-1');
		expect(await cache.isKept('kept-original-aaaaaaaa')).toBe(true);
		await cache.release('album-2');
		expect(await cache.isKept('kept-original-aaaaaaaa')).toBe(false);

		// Released, it is the least recently used and goes first when space is needed.
		await cache.put('other-three-eeeeeeeee', 'original', bytes(600, 4));
		expect(await cache.get('kept-original-aaaaaaaa')).toBeNull();
	});

	it('a blob fetched again keeps its albums', async () => {
		const db = freshDatabase();
		const cache = new BlobCache(db);
		await cache.put('refetched-ffffffffffff', 'thumb', bytes(10, 1));
		await cache.keep('refetched-ffffffffffff', 'album-1');
		await cache.put('refetched-ffffffffffff', 'thumb', bytes(10, 2));
		expect(await cache.isKept('refetched-ffffffffffff')).toBe(true);
	});
});
