// Public links: the fragment secret (and password) yields the link's keys; a wrong password yields useless keys.

import { describe, expect, it } from 'vitest';
import {
	decodeLinkSecret,
	DecryptError,
	deriveLinkSeed,
	encodeLinkSecret,
	FormatError,
	KDF_FLOOR,
	linkKeysFromSeed,
	newLinkSecret,
	randomKey,
	signDetached,
	SignatureError,
	unwrapKey,
	verifyDetached,
	WeakKdfParamsError,
	wrapKey
} from '../../../src/lib/crypto';
import { caught, fromHex, sameBytes } from './helpers';
import vectors from './vectors.json';

describe('link secrets in the URL fragment', () => {
	it('encode as 43 base64url characters and decode back', () => {
		const secret = newLinkSecret();
		const fragment = encodeLinkSecret(secret);
		expect(fragment).toMatch(/^[A-Za-z0-9_-]{43}$/);
		expect(sameBytes(decodeLinkSecret(fragment), secret)).toBe(true);
	});

	it('refuse a mangled fragment', () => {
		const fragment = encodeLinkSecret(newLinkSecret());
		for (const bad of [
			fragment.slice(1),
			fragment + 'A',
			fragment.slice(0, 10) + '+' + fragment.slice(11),
			`${fragment}=`,
			` ${fragment}`
		]) {
			expect(() => decodeLinkSecret(bad)).toThrow(FormatError);
		}
	});
});

describe('link keys', () => {
	it('use the secret itself as the seed when there is no password', async () => {
		const secret = newLinkSecret();
		expect(sameBytes(await deriveLinkSeed(secret), secret)).toBe(true);
	});

	it('give a signing key the relay can check and a wrap key for the epoch key', async () => {
		const keys = await linkKeysFromSeed(await deriveLinkSeed(newLinkSecret()));
		const challenge = randomKey();
		await verifyDetached(
			await signDetached(challenge, keys.signKeyPair.privateKey),
			challenge,
			keys.signKeyPair.publicKey
		);
		const epochKey = randomKey();
		expect(
			sameBytes(await unwrapKey(await wrapKey(epochKey, keys.wrapKey), keys.wrapKey), epochKey)
		).toBe(true);
		expect(sameBytes(keys.wrapKey, keys.signKeyPair.privateKey.subarray(0, 32))).toBe(false);
	});

	it('with a wrong password cannot unwrap the epoch key nor sign as the link', async () => {
		const secret = fromHex(vectors.inputs.keyB);
		const salt = fromHex(vectors.inputs.salt);
		// The right password's keys are the golden ones; only the wrong password costs an Argon2 run here.
		const right = {
			publicKey: fromHex(vectors.link.withPassword.publicKey),
			wrapKey: fromHex(vectors.link.withPassword.wrapKey)
		};
		const wrappedEpochKey = await wrapKey(randomKey(), right.wrapKey);
		const wrong = await linkKeysFromSeed(
			await deriveLinkSeed(secret, {
				password: 'correct horse battery staple cafe',
				salt,
				params: KDF_FLOOR
			})
		);
		expect(await caught(() => unwrapKey(wrappedEpochKey, wrong.wrapKey))).toBeInstanceOf(
			DecryptError
		);
		const challenge = randomKey();
		const signature = await signDetached(challenge, wrong.signKeyPair.privateKey);
		expect(
			await caught(() => verifyDetached(signature, challenge, right.publicKey))
		).toBeInstanceOf(SignatureError);
	});

	it('without the password the fragment alone gives other keys', async () => {
		const plain = await linkKeysFromSeed(await deriveLinkSeed(fromHex(vectors.inputs.keyB)));
		expect(Buffer.from(plain.signKeyPair.publicKey).toString('hex')).not.toBe(
			vectors.link.withPassword.publicKey
		);
	});

	it('refuse weak password params', async () => {
		const error = await caught(() =>
			deriveLinkSeed(newLinkSecret(), {
				password: 'pw',
				salt: new Uint8Array(16),
				params: { opsLimit: 1, memLimit: 1024 * 1024 }
			})
		);
		expect(error).toBeInstanceOf(WeakKdfParamsError);
	});
});
