// Signatures: verification throws on any change to the message, the signature or the signer.

import { describe, expect, it } from 'vitest';
import {
	generateSignKeyPair,
	isValidSignature,
	SignatureError,
	signDetached,
	signKeyPairFromSeed,
	signSeedOf,
	verifyDetached
} from '../../../src/lib/crypto';
import { caught, flipBit, sameBytes } from './helpers';

const message = new TextEncoder().encode('membership entry: add bob as viewer');

describe('signDetached / verifyDetached', () => {
	it('verifies a genuine signature', async () => {
		const signer = await generateSignKeyPair();
		const signature = await signDetached(message, signer.privateKey);
		expect(signature.length).toBe(64);
		await expect(verifyDetached(signature, message, signer.publicKey)).resolves.toBeUndefined();
		expect(await isValidSignature(signature, message, signer.publicKey)).toBe(true);
	});

	it('throws SignatureError when any bit of the message or the signature changed', async () => {
		const signer = await generateSignKeyPair();
		const signature = await signDetached(message, signer.privateKey);
		for (let i = 0; i < message.length; i++) {
			const error = await caught(() =>
				verifyDetached(signature, flipBit(message, i), signer.publicKey)
			);
			expect(error).toBeInstanceOf(SignatureError);
		}
		for (let i = 0; i < signature.length; i++) {
			const error = await caught(() =>
				verifyDetached(flipBit(signature, i, i % 8), message, signer.publicKey)
			);
			expect(error, `signature byte ${i}`).toBeInstanceOf(SignatureError);
		}
	});

	it('throws SignatureError for another signer', async () => {
		const signer = await generateSignKeyPair();
		const impostor = await generateSignKeyPair();
		const signature = await signDetached(message, impostor.privateKey);
		const error = await caught(() => verifyDetached(signature, message, signer.publicKey));
		expect(error).toBeInstanceOf(SignatureError);
		expect((error as SignatureError).code).toBe('bad_signature');
	});

	it('treats malformed signatures and keys from the wire as invalid, not as crashes', async () => {
		const signer = await generateSignKeyPair();
		const signature = await signDetached(message, signer.privateKey);
		expect(await isValidSignature(signature.subarray(0, 63), message, signer.publicKey)).toBe(
			false
		);
		expect(await isValidSignature(signature, message, signer.publicKey.subarray(0, 31))).toBe(
			false
		);
		expect(
			await caught(() => verifyDetached(new Uint8Array(0), message, signer.publicKey))
		).toBeInstanceOf(SignatureError);
	});

	it('rebuilds the same keypair from the 32-byte seed that gets wrapped and stored', async () => {
		const signer = await generateSignKeyPair();
		const rebuilt = await signKeyPairFromSeed(signSeedOf(signer.privateKey));
		expect(sameBytes(rebuilt.publicKey, signer.publicKey)).toBe(true);
		expect(sameBytes(rebuilt.privateKey, signer.privateKey)).toBe(true);
	});
});
