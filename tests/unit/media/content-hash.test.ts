// Spec of content hashes: BLAKE2b-256 of every byte, the same however the file is read, and cancellable.

import { describe, expect, it } from 'vitest';
import { getSodium } from '../../../src/lib/crypto';
import { hashContent } from '../../../src/lib/media/content-hash';
import { rejectionCode } from './helpers';

function patterned(length: number, seed = 1): Uint8Array<ArrayBuffer> {
	const bytes = new Uint8Array(length);
	for (let i = 0; i < length; i++) bytes[i] = (i * 31 + seed * 7 + (i >> 10)) & 0xff;
	return bytes;
}

const equal = (a: Uint8Array, b: Uint8Array) => Buffer.compare(a, b) === 0;

describe('hashContent', () => {
	it('equals one-shot BLAKE2b-256 whatever the piece size, for Blobs and byte arrays', async () => {
		const sodium = await getSodium();
		for (const length of [0, 1, 1023, 1024, 1025, 5000, 3 * 1024 + 17]) {
			const bytes = patterned(length);
			const expected = sodium.crypto_generichash(32, bytes, null);
			for (const pieceBytes of [1024, 2048, 4 * 1024 * 1024]) {
				expect(
					equal(await hashContent(bytes, { pieceBytes }), expected),
					`${length}/${pieceBytes}`
				).toBe(true);
				expect(equal(await hashContent(new Blob([bytes]), { pieceBytes }), expected)).toBe(true);
			}
		}
	});

	it('tells files apart by one changed byte, and differs when keyed', async () => {
		const a = patterned(10_000);
		const b = a.slice();
		b[9_999] = b[9_999]! ^ 1;
		expect(equal(await hashContent(a), await hashContent(b))).toBe(false);
		const key = new Uint8Array(32).fill(9);
		expect(equal(await hashContent(a, { key }), await hashContent(a))).toBe(false);
		expect(equal(await hashContent(a, { key }), await hashContent(new Blob([a]), { key }))).toBe(
			true
		);
	});

	it('stops with an aborted error when cancelled', async () => {
		const controller = new AbortController();
		controller.abort();
		expect(await rejectionCode(hashContent(patterned(4096), { signal: controller.signal }))).toBe(
			'aborted'
		);
		// Cancelled between pieces: the hash stops before reading the rest of the file.
		const late = new AbortController();
		let reads = 0;
		const blob = new Blob([patterned(64 * 1024)]);
		const counting = {
			size: blob.size,
			slice: (start: number, end: number) => {
				if (++reads === 2) late.abort();
				return blob.slice(start, end);
			}
		} as unknown as Blob;
		expect(
			await rejectionCode(hashContent(counting, { signal: late.signal, pieceBytes: 1024 }))
		).toBe('aborted');
		expect(reads).toBeLessThan(5);
	});

	it('refuses absurd piece sizes', async () => {
		await expect(hashContent(new Uint8Array(1), { pieceBytes: 10 })).rejects.toThrow(RangeError);
	});
});
