// Doc envelopes: the update decrypts only under its doc key and with the exact header it was written with.

import { describe, expect, it } from 'vitest';
import {
	decryptEnvelope,
	DecryptError,
	deriveDocKey,
	encryptEnvelope,
	FormatError,
	generateSignKeyPair,
	randomKey,
	SignatureError,
	signDetached,
	verifyDetached
} from '../../../src/lib/crypto';
import { caught, type ErrorClass, flipBit, sameBytes } from './helpers';

const encoder = new TextEncoder();
const header = encoder.encode(
	'{"albumId":"a1","docId":"album","kind":"update","epoch":3,"chainIndex":7}'
);
const update = encoder.encode('yjs update: album name = Summer');

describe('encryptEnvelope / decryptEnvelope', () => {
	it('round-trips, with a fresh 24-byte nonce each time', async () => {
		const docKey = randomKey();
		const a = await encryptEnvelope(docKey, header, update);
		const b = await encryptEnvelope(docKey, header, update);
		expect(a.nonce.length).toBe(24);
		expect(sameBytes(a.nonce, b.nonce)).toBe(false);
		expect(a.ciphertext.length).toBe(2 + update.length + 16);
		expect(sameBytes(await decryptEnvelope(docKey, header, a.nonce, a.ciphertext), update)).toBe(
			true
		);
	});

	it('does not contain the plaintext', async () => {
		const { ciphertext } = await encryptEnvelope(randomKey(), header, update);
		expect(Buffer.from(ciphertext).includes(Buffer.from('Summer'))).toBe(false);
	});

	it('refuses the key of another doc or epoch', async () => {
		const epochKey = randomKey();
		const albumKey = await deriveDocKey(epochKey, 'album');
		const { nonce, ciphertext } = await encryptEnvelope(albumKey, header, update);
		for (const otherKey of [
			await deriveDocKey(epochKey, 'activity:bob'),
			await deriveDocKey(randomKey(), 'album')
		]) {
			expect(
				await caught(() => decryptEnvelope(otherKey, header, nonce, ciphertext))
			).toBeInstanceOf(DecryptError);
		}
	});

	it('refuses a flipped bit in the ciphertext, the nonce or the header', async () => {
		const docKey = randomKey();
		const { nonce, ciphertext } = await encryptEnvelope(docKey, header, update);
		const attempts: {
			where: string;
			run: () => Promise<Uint8Array>;
			expected: ErrorClass;
		}[] = [];
		for (let i = 0; i < ciphertext.length; i++) {
			attempts.push({
				where: `ciphertext byte ${i}`,
				run: () => decryptEnvelope(docKey, header, nonce, flipBit(ciphertext, i, i % 8)),
				expected: i < 2 ? FormatError : DecryptError
			});
		}
		for (let i = 0; i < nonce.length; i++) {
			attempts.push({
				where: `nonce byte ${i}`,
				run: () => decryptEnvelope(docKey, header, flipBit(nonce, i), ciphertext),
				expected: DecryptError
			});
		}
		for (let i = 0; i < header.length; i++) {
			attempts.push({
				where: `header byte ${i}`,
				run: () => decryptEnvelope(docKey, flipBit(header, i), nonce, ciphertext),
				expected: DecryptError
			});
		}
		for (const { where, run, expected } of attempts) {
			let plaintext: Uint8Array | undefined;
			const error = await caught(async () => {
				plaintext = await run();
			});
			expect(plaintext, where).toBeUndefined();
			expect(error, where).toBeInstanceOf(expected);
		}
	});

	it('refuses a header cut short or extended, and a ciphertext cut short', async () => {
		const docKey = randomKey();
		const { nonce, ciphertext } = await encryptEnvelope(docKey, header, update);
		for (const changed of [
			header.subarray(0, header.length - 1),
			new Uint8Array([...header, 0]),
			new Uint8Array(0)
		]) {
			expect(
				await caught(() => decryptEnvelope(docKey, changed, nonce, ciphertext))
			).toBeInstanceOf(DecryptError);
		}
		expect(
			await caught(() => decryptEnvelope(docKey, header, nonce, ciphertext.subarray(0, 17)))
		).toBeInstanceOf(FormatError);
		expect(
			await caught(() =>
				decryptEnvelope(docKey, header, nonce, ciphertext.subarray(0, ciphertext.length - 1))
			)
		).toBeInstanceOf(DecryptError);
		expect(
			await caught(() => decryptEnvelope(docKey, header, nonce.subarray(1), ciphertext))
		).toBeInstanceOf(FormatError);
	});

	it('catches a header changed after signing, both at the signature and at decryption', async () => {
		const docKey = randomKey();
		const author = await generateSignKeyPair();
		const { nonce, ciphertext } = await encryptEnvelope(docKey, header, update);
		const signed = new Uint8Array([...header, ...nonce, ...ciphertext]);
		const signature = await signDetached(signed, author.privateKey);

		const forgedHeader = encoder.encode(
			'{"albumId":"a1","docId":"album","kind":"update","epoch":3,"chainIndex":8}'
		);
		const forged = new Uint8Array([...forgedHeader, ...nonce, ...ciphertext]);
		expect(await caught(() => verifyDetached(signature, forged, author.publicKey))).toBeInstanceOf(
			SignatureError
		);
		expect(
			await caught(() => decryptEnvelope(docKey, forgedHeader, nonce, ciphertext))
		).toBeInstanceOf(DecryptError);
	});
});
