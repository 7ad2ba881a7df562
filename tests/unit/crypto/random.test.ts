// Random bytes: any length (past getRandomValues' 64 KiB limit), never repeating.

import { describe, expect, it } from 'vitest';
import { randomBytes, randomKey } from '../../../src/lib/crypto';
import { sameBytes } from './helpers';

describe('randomBytes / randomKey', () => {
	it('fills lengths beyond one getRandomValues call, to the last byte', () => {
		const bytes = randomBytes(200_000);
		expect(bytes.length).toBe(200_000);
		// Each 64 KiB slice, including the short tail, is filled (all-zero would mean a skipped call).
		for (const start of [0, 65_536, 131_072, 196_608]) {
			expect(bytes.subarray(start, start + 3392).some((byte) => byte !== 0)).toBe(true);
		}
	});

	it('gives fresh 32-byte keys', () => {
		const a = randomKey();
		expect(a.length).toBe(32);
		expect(sameBytes(a, randomKey())).toBe(false);
		expect(randomBytes(0).length).toBe(0);
		expect(() => randomBytes(-1)).toThrow(RangeError);
	});
});
