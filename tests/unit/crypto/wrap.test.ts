// Wrapped keys: only the wrapping key opens them, and any change is refused with a typed error.

import { describe, expect, it } from 'vitest';
import {
	DecryptError,
	FormatError,
	randomKey,
	secretboxOpen,
	secretboxSeal,
	unwrapKey,
	wrapKey
} from '../../../src/lib/crypto';
import { caught, flipBit, sameBytes } from './helpers';

describe('wrapKey / unwrapKey', () => {
	it('round-trips 32-byte keys and 64-byte signing keys', async () => {
		const wrapping = randomKey();
		for (const key of [randomKey(), new Uint8Array([...randomKey(), ...randomKey()])]) {
			const wrapped = await wrapKey(key, wrapping);
			expect(wrapped.length).toBe(2 + 24 + 16 + key.length);
			expect(sameBytes(await unwrapKey(wrapped, wrapping), key)).toBe(true);
		}
	});

	it('uses a fresh nonce each time, so wrapping the same key twice differs', async () => {
		const key = randomKey();
		const wrapping = randomKey();
		expect(sameBytes(await wrapKey(key, wrapping), await wrapKey(key, wrapping))).toBe(false);
	});

	it('refuses a wrong wrapping key', async () => {
		const wrapped = await wrapKey(randomKey(), randomKey());
		const error = await caught(() => unwrapKey(wrapped, randomKey()));
		expect(error).toBeInstanceOf(DecryptError);
		expect((error as DecryptError).code).toBe('decrypt_failed');
	});

	it('refuses a flipped bit anywhere: version and algorithm bytes as format errors, nonce, tag and ciphertext as decrypt errors', async () => {
		const wrapping = randomKey();
		const wrapped = await wrapKey(randomKey(), wrapping);
		for (let i = 0; i < wrapped.length; i++) {
			let opened: Uint8Array | undefined;
			const error = await caught(async () => {
				opened = await unwrapKey(flipBit(wrapped, i, i % 8), wrapping);
			});
			expect(opened).toBeUndefined();
			if (i === 0) expect((error as FormatError).code).toBe('unknown_version');
			else if (i === 1) expect((error as FormatError).code).toBe('unknown_algorithm');
			else expect(error, `byte ${i}`).toBeInstanceOf(DecryptError);
			if (i < 2) expect(error).toBeInstanceOf(FormatError);
		}
	});

	it('refuses truncated and extended wrapped keys', async () => {
		const wrapping = randomKey();
		const wrapped = await wrapKey(randomKey(), wrapping);
		for (const length of [0, 1, 2, 25, 41, wrapped.length - 1]) {
			const error = await caught(() => unwrapKey(wrapped.subarray(0, length), wrapping));
			expect(error, `length ${length}`).toBeInstanceOf(length < 42 ? FormatError : DecryptError);
		}
		const extended = new Uint8Array([...wrapped, 0]);
		expect(await caught(() => unwrapKey(extended, wrapping))).toBeInstanceOf(DecryptError);
	});

	it('refuses to wrap something that is not a key, and to unwrap an authentic non-key', async () => {
		const wrapping = randomKey();
		expect(await caught(() => wrapKey(new Uint8Array(16), wrapping))).toBeInstanceOf(FormatError);
		const notAKey = await secretboxSeal(new TextEncoder().encode('hello'), wrapping);
		expect(await caught(() => unwrapKey(notAKey, wrapping))).toBeInstanceOf(FormatError);
	});

	it('refuses a wrapping key of the wrong size', async () => {
		expect(await caught(() => wrapKey(randomKey(), new Uint8Array(31)))).toBeInstanceOf(
			FormatError
		);
	});
});

describe('secretboxSeal / secretboxOpen', () => {
	it('round-trips any message, including an empty one', async () => {
		const key = randomKey();
		for (const message of [new Uint8Array(0), new TextEncoder().encode('album listing')]) {
			expect(sameBytes(await secretboxOpen(await secretboxSeal(message, key), key), message)).toBe(
				true
			);
		}
	});
});
