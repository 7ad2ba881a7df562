// Password KDF and labelled subkeys: weak params are refused before any work, and every label gives its own key.

import { describe, expect, it } from 'vitest';
import {
	checkKdfParams,
	DEFAULT_KDF_PARAMS,
	deriveAuthKey,
	deriveDocKey,
	deriveNewPasswordKey,
	derivePasswordKey,
	derivePasswordWrapKey,
	deriveSubkey,
	FALLBACK_KDF_PARAMS,
	FormatError,
	isKdfParamsAcceptable,
	KDF_CEILING,
	KDF_FLOOR,
	randomKey,
	WeakKdfParamsError
} from '../../../src/lib/crypto';
import { caught, sameBytes, toHex } from './helpers';
import vectors from './vectors.json';

const MiB = 1024 * 1024;
const salt = new Uint8Array(16).fill(9);

describe('KDF params', () => {
	it('uses 128 MiB x 3 by default, 64 MiB x 3 as fallback and floor', () => {
		expect(DEFAULT_KDF_PARAMS).toEqual({ opsLimit: 3, memLimit: 128 * MiB });
		expect(FALLBACK_KDF_PARAMS).toEqual({ opsLimit: 3, memLimit: 64 * MiB });
		expect(KDF_FLOOR).toEqual({ opsLimit: 3, memLimit: 64 * MiB });
	});

	it('accepts the default, the fallback and the floor', () => {
		for (const params of [DEFAULT_KDF_PARAMS, FALLBACK_KDF_PARAMS, KDF_FLOOR, KDF_CEILING]) {
			expect(isKdfParamsAcceptable(params)).toBe(true);
		}
	});

	it('refuses params under the floor with WeakKdfParamsError, before hashing anything', async () => {
		for (const params of [
			{ opsLimit: 2, memLimit: 128 * MiB },
			{ opsLimit: 3, memLimit: 64 * MiB - 1 },
			{ opsLimit: 1, memLimit: 8 * MiB }
		]) {
			expect(isKdfParamsAcceptable(params)).toBe(false);
			const error = await caught(() => derivePasswordKey('hunter2', salt, params));
			expect(error).toBeInstanceOf(WeakKdfParamsError);
			expect((error as WeakKdfParamsError).code).toBe('weak_kdf_params');
			expect((error as Error).message).toMatch(/too weak/);
		}
	});

	it('refuses non-integer and absurdly costly params (a hostile relay cannot exhaust a phone)', () => {
		for (const params of [
			{ opsLimit: 3.5, memLimit: 128 * MiB },
			{ opsLimit: 3, memLimit: Number.NaN },
			{ opsLimit: 3, memLimit: 4096 * MiB },
			{ opsLimit: 1000, memLimit: 128 * MiB }
		]) {
			expect(isKdfParamsAcceptable(params)).toBe(false);
			expect(() => checkKdfParams(params)).toThrow(FormatError);
		}
	});

	it('refuses a salt of the wrong size', async () => {
		expect(
			await caught(() => derivePasswordKey('pw', new Uint8Array(15), KDF_FLOOR))
		).toBeInstanceOf(FormatError);
	});

	it('derives a new password key with the default params and reports them for storage', async () => {
		const { key, params } = await deriveNewPasswordKey(
			vectors.inputs.password,
			new Uint8Array(16).fill(0x60)
		);
		expect(params).toEqual(DEFAULT_KDF_PARAMS);
		expect(key.length).toBe(32);
		// The floor-params vector uses the same password and salt: the cost is part of the key.
		expect(toHex(key)).not.toBe(vectors.argon2id);
	});
});

describe('deriveSubkey', () => {
	it('gives a different key for each label and each parent', async () => {
		const parent = randomKey();
		const keys = [
			await deriveAuthKey(parent),
			await derivePasswordWrapKey(parent),
			await deriveDocKey(parent, 'album'),
			await deriveDocKey(parent, 'contrib:alice'),
			await deriveSubkey(parent, 'album'),
			await deriveDocKey(randomKey(), 'album')
		];
		const distinct = new Set(keys.map(toHex));
		expect(distinct.size).toBe(keys.length);
		expect(keys.every((key) => key.length === 32 && !sameBytes(key, parent))).toBe(true);
	});

	it('is deterministic', async () => {
		const parent = randomKey();
		expect(
			sameBytes(await deriveDocKey(parent, 'album'), await deriveDocKey(parent, 'album'))
		).toBe(true);
	});

	it('refuses a parent key of the wrong size and an empty label', async () => {
		expect(await caught(() => deriveSubkey(new Uint8Array(16), 'auth'))).toBeInstanceOf(
			FormatError
		);
		expect(await caught(() => deriveSubkey(randomKey(), ''))).toBeInstanceOf(RangeError);
	});
});
