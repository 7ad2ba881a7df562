// The relay's authKey hash: the right key verifies, any other key or a damaged hash does not.

import { describe, expect, it } from 'vitest';
import {
	FormatError,
	hashAuthKey,
	randomKey,
	toBase64Url,
	verifyAuthKeyHash
} from '../../../src/lib/crypto';

describe('auth key hash', () => {
	it('verifies the key it was made from and no other', async () => {
		const key = randomKey();
		const hash = await hashAuthKey(key);
		expect(hash.startsWith('$argon2id$')).toBe(true);
		expect(await verifyAuthKeyHash(hash, key)).toBe(true);
		const other = key.slice();
		other[31]! ^= 1;
		expect(await verifyAuthKeyHash(hash, other)).toBe(false);
	});

	it('salts every hash, and never contains the key', async () => {
		const key = randomKey();
		const [a, b] = [await hashAuthKey(key), await hashAuthKey(key)];
		expect(a).not.toBe(b);
		expect(await verifyAuthKeyHash(b, key)).toBe(true);
		expect(a).not.toContain(toBase64Url(key));
		expect(a).not.toContain(Buffer.from(key).toString('base64').slice(0, 40));
		expect(a).not.toContain(Buffer.from(key).toString('hex'));
	});

	it('treats malformed hashes and wrong-size keys as a mismatch', async () => {
		const key = randomKey();
		const hash = await hashAuthKey(key);
		expect(await verifyAuthKeyHash('', key)).toBe(false);
		expect(await verifyAuthKeyHash(hash.slice(0, -3), key)).toBe(false);
		expect(await verifyAuthKeyHash(hash, new Uint8Array(0))).toBe(false);
		expect(await verifyAuthKeyHash(hash, new Uint8Array(33))).toBe(false);
	});

	it('hashes only 32-byte keys', async () => {
		await expect(hashAuthKey(new Uint8Array(16))).rejects.toBeInstanceOf(FormatError);
	});
});
