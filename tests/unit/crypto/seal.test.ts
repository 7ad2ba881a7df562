// Sealed boxes: an epoch key sealed to a member opens only with that member's box keypair.

import { describe, expect, it } from 'vitest';
import {
	DecryptError,
	FormatError,
	generateBoxKeyPair,
	openSealed,
	randomKey,
	sealTo
} from '../../../src/lib/crypto';
import { caught, flipBit, sameBytes } from './helpers';

describe('sealTo / openSealed', () => {
	it('opens for the recipient, and is randomised', async () => {
		const recipient = await generateBoxKeyPair();
		const epochKey = randomKey();
		const sealed = await sealTo(recipient.publicKey, epochKey);
		expect(sealed.length).toBe(2 + 48 + 32);
		expect(sameBytes(await openSealed(sealed, recipient), epochKey)).toBe(true);
		expect(sameBytes(sealed, await sealTo(recipient.publicKey, epochKey))).toBe(false);
	});

	it('gives distinct keypairs', async () => {
		const a = await generateBoxKeyPair();
		const b = await generateBoxKeyPair();
		expect(sameBytes(a.publicKey, b.publicKey)).toBe(false);
	});

	it('does not open for anyone else', async () => {
		const recipient = await generateBoxKeyPair();
		const outsider = await generateBoxKeyPair();
		const sealed = await sealTo(recipient.publicKey, randomKey());
		const error = await caught(() => openSealed(sealed, outsider));
		expect(error).toBeInstanceOf(DecryptError);
	});

	it('refuses a flipped bit anywhere', async () => {
		const recipient = await generateBoxKeyPair();
		const sealed = await sealTo(recipient.publicKey, randomKey());
		for (let i = 0; i < sealed.length; i++) {
			let opened: Uint8Array | undefined;
			const error = await caught(async () => {
				opened = await openSealed(flipBit(sealed, i, (i * 3) % 8), recipient);
			});
			expect(opened).toBeUndefined();
			expect(error, `byte ${i}`).toBeInstanceOf(i < 2 ? FormatError : DecryptError);
		}
	});

	it('refuses truncation', async () => {
		const recipient = await generateBoxKeyPair();
		const sealed = await sealTo(recipient.publicKey, randomKey());
		expect(await caught(() => openSealed(sealed.subarray(0, 49), recipient))).toBeInstanceOf(
			FormatError
		);
		expect(
			await caught(() => openSealed(sealed.subarray(0, sealed.length - 1), recipient))
		).toBeInstanceOf(DecryptError);
	});

	it('refuses a wrapped key passed as a sealed box, naming what it found', async () => {
		const recipient = await generateBoxKeyPair();
		const sealed = await sealTo(recipient.publicKey, randomKey());
		sealed[1] = 0x01;
		const error = await caught(() => openSealed(sealed, recipient));
		expect(error).toBeInstanceOf(FormatError);
		expect((error as FormatError).message).toMatch(/wrapped key/);
	});
});
