// Golden vectors: every format's exact bytes are stable across versions, and match docs/crypto.md rebuilt from raw libsodium.

import { describe, expect, it } from 'vitest';
import {
	boxKeyPairFromSeed,
	decryptFile,
	deriveAuthKey,
	deriveDocKey,
	deriveLinkSeed,
	derivePasswordKey,
	derivePasswordWrapKey,
	deriveSubkey,
	encodeLinkSecret,
	fileSubkeys,
	getSodium,
	linkKeysFromSeed,
	openSealed,
	signDetached,
	signKeyPairFromSeed,
	unwrapKey,
	verificationId
} from '../../../src/lib/crypto';
import { recoveryKeyToWords, wordsToRecoveryKey } from '../../../src/lib/crypto/recovery';
import { decryptEnvelope, encryptEnvelopeWithNonce } from '../../../src/lib/crypto/envelope';
import {
	secretboxOpen,
	secretboxSealWithNonce,
	wrapKeyWithNonce
} from '../../../src/lib/crypto/wrap';
import { fromHex, sameBytes, toHex } from './helpers';
import vectors from './vectors.json';

const input = {
	keyA: fromHex(vectors.inputs.keyA),
	keyB: fromHex(vectors.inputs.keyB),
	seed: fromHex(vectors.inputs.seed),
	salt: fromHex(vectors.inputs.salt),
	nonce: fromHex(vectors.inputs.nonce),
	header: fromHex(vectors.inputs.header),
	message: fromHex(vectors.inputs.message),
	password: vectors.inputs.password,
	params: vectors.inputs.kdfParams
};

describe('golden vectors (a mismatch means stored data would stop decrypting)', () => {
	it('derives the same labelled subkeys', async () => {
		const fileKeys = await fileSubkeys(input.keyA);
		expect({
			'keyA/auth': toHex(await deriveAuthKey(input.keyA)),
			'keyA/wrap': toHex(await derivePasswordWrapKey(input.keyA)),
			'keyA/doc/album': toHex(await deriveDocKey(input.keyA, 'album')),
			'keyA/custom label \u2713': toHex(await deriveSubkey(input.keyA, 'custom label \u2713')),
			'keyA/file/original': toHex(fileKeys.original),
			'keyA/file/thumbnail': toHex(fileKeys.thumbnail)
		}).toEqual(vectors.subkeys);
	});

	it('derives the same Argon2id key at the floor params, for NFC and NFD spellings of the password', async () => {
		expect(toHex(await derivePasswordKey(input.password, input.salt, input.params))).toBe(
			vectors.argon2id
		);
		const decomposed = input.password.normalize('NFD');
		expect(decomposed).not.toBe(input.password);
		expect(toHex(await derivePasswordKey(decomposed, input.salt, input.params))).toBe(
			vectors.argon2id
		);
	});

	it('wraps and unwraps keys to the same bytes', async () => {
		expect(toHex(await wrapKeyWithNonce(input.keyB, input.keyA, input.nonce))).toBe(
			vectors.wrappedKeyBUnderKeyA
		);
		expect(toHex(await unwrapKey(fromHex(vectors.wrappedKeyBUnderKeyA), input.keyA))).toBe(
			vectors.inputs.keyB
		);
		expect(toHex(await secretboxSealWithNonce(input.message, input.keyA, input.nonce))).toBe(
			vectors.secretboxMessageUnderKeyA
		);
		expect(toHex(await secretboxOpen(fromHex(vectors.secretboxMessageUnderKeyA), input.keyA))).toBe(
			vectors.inputs.message
		);
	});

	it('encrypts an envelope to the same bytes', async () => {
		const sealed = await encryptEnvelopeWithNonce(
			input.keyA,
			input.header,
			input.message,
			input.nonce
		);
		expect(toHex(sealed.ciphertext)).toBe(vectors.envelopeCiphertext);
		const opened = await decryptEnvelope(
			input.keyA,
			input.header,
			input.nonce,
			fromHex(vectors.envelopeCiphertext)
		);
		expect(toHex(opened)).toBe(vectors.inputs.message);
	});

	it('derives the same signing keypair and signature', async () => {
		const pair = await signKeyPairFromSeed(input.seed);
		expect(toHex(pair.publicKey)).toBe(vectors.sign.publicKey);
		expect(toHex(pair.privateKey)).toBe(vectors.sign.privateKey);
		expect(toHex(await signDetached(input.message, pair.privateKey))).toBe(
			vectors.sign.signatureOfMessage
		);
	});

	it('derives the same box keypair and opens the stored sealed box', async () => {
		const pair = await boxKeyPairFromSeed(input.seed);
		expect(toHex(pair.publicKey)).toBe(vectors.box.publicKey);
		expect(toHex(pair.privateKey)).toBe(vectors.box.privateKey);
		expect(toHex(await openSealed(fromHex(vectors.box.sealedMessage), pair))).toBe(
			vectors.inputs.message
		);
	});

	it('renders the same verification id', async () => {
		const sign = await signKeyPairFromSeed(input.seed);
		const box = await boxKeyPairFromSeed(input.seed);
		expect(await verificationId(sign.publicKey, box.publicKey)).toBe(vectors.verificationId);
	});

	it('renders the same recovery words', () => {
		expect(recoveryKeyToWords(input.keyA)).toEqual(vectors.recoveryWordsOfKeyA);
		expect(toHex(wordsToRecoveryKey(vectors.recoveryWordsOfKeyA))).toBe(vectors.inputs.keyA);
	});

	it('derives the same link seeds and keys, with and without a password', async () => {
		expect(encodeLinkSecret(input.keyB)).toBe(vectors.link.secretBase64Url);
		const plainSeed = await deriveLinkSeed(input.keyB);
		const plain = await linkKeysFromSeed(plainSeed);
		expect({
			seed: toHex(plainSeed),
			publicKey: toHex(plain.signKeyPair.publicKey),
			wrapKey: toHex(plain.wrapKey)
		}).toEqual(vectors.link.withoutPassword);
		const passwordSeed = await deriveLinkSeed(input.keyB, {
			password: input.password,
			salt: input.salt,
			params: input.params
		});
		const withPassword = await linkKeysFromSeed(passwordSeed);
		expect({
			seed: toHex(passwordSeed),
			publicKey: toHex(withPassword.signKeyPair.publicKey),
			wrapKey: toHex(withPassword.wrapKey)
		}).toEqual(vectors.link.withPassword);
	});

	it('decrypts the stored file blob', async () => {
		const { original } = await fileSubkeys(input.keyA);
		const plaintext = await decryptFile(fromHex(vectors.fileBlobUnderOriginalSubkey), original);
		expect(sameBytes(plaintext, fromHex(vectors.inputs.filePlaintext))).toBe(true);
	});
});

describe('known answers from the standards', () => {
	it('matches RFC 8032 Ed25519 test 1', async () => {
		const pair = await signKeyPairFromSeed(
			fromHex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60')
		);
		expect(toHex(pair.publicKey)).toBe(
			'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a'
		);
		expect(toHex(await signDetached(new Uint8Array(0), pair.privateKey))).toBe(
			'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b'
		);
	});

	it('matches the BIP39 reference vectors for 256-bit entropy', () => {
		expect(recoveryKeyToWords(new Uint8Array(32)).join(' ')).toBe('abandon '.repeat(23) + 'art');
		expect(recoveryKeyToWords(new Uint8Array(32).fill(0x7f)).join(' ')).toBe(
			'legal winner thank year wave sausage worth useful '.repeat(2) +
				'legal winner thank year wave sausage worth title'
		);
		expect(recoveryKeyToWords(new Uint8Array(32).fill(0xff)).join(' ')).toBe(
			'zoo '.repeat(23) + 'vote'
		);
	});
});

describe('the layouts in docs/crypto.md, rebuilt from raw libsodium', () => {
	it('subkey = BLAKE2b-256(key = parent, "tessera/v1/" + label)', async () => {
		const sodium = await getSodium();
		const raw = sodium.crypto_generichash(32, 'tessera/v1/doc/album', input.keyA);
		expect(toHex(raw)).toBe(vectors.subkeys['keyA/doc/album']);
	});

	it('wrapped key = 01 01 | nonce | secretbox', async () => {
		const sodium = await getSodium();
		const raw = sodium.crypto_secretbox_easy(input.keyB, input.nonce, input.keyA);
		expect(vectors.wrappedKeyBUnderKeyA).toBe('0101' + toHex(input.nonce) + toHex(raw));
	});

	it('envelope ciphertext = 01 03 | AEAD(plaintext, AD = 01 03 | header)', async () => {
		const sodium = await getSodium();
		const ad = new Uint8Array([1, 3, ...input.header]);
		const raw = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(
			input.message,
			ad,
			null,
			input.nonce,
			input.keyA
		);
		expect(vectors.envelopeCiphertext).toBe('0103' + toHex(raw));
	});

	it('sealed box = 01 02 | crypto_box_seal', async () => {
		const sodium = await getSodium();
		const sealed = fromHex(vectors.box.sealedMessage);
		expect(toHex(sealed.subarray(0, 2))).toBe('0102');
		const opened = sodium.crypto_box_seal_open(
			sealed.subarray(2),
			fromHex(vectors.box.publicKey),
			fromHex(vectors.box.privateKey)
		);
		expect(toHex(opened)).toBe(vectors.inputs.message);
	});

	it('verification id = 12 x (5-byte big-endian slice of BLAKE2b-480(signPk | boxPk) mod 100000)', async () => {
		const sodium = await getSodium();
		const digest = sodium.crypto_generichash(
			60,
			new Uint8Array([...fromHex(vectors.sign.publicKey), ...fromHex(vectors.box.publicKey)]),
			null
		);
		const groups = Array.from({ length: 12 }, (_, g) =>
			String(Number(BigInt('0x' + toHex(digest.subarray(g * 5, g * 5 + 5))) % 100000n)).padStart(
				5,
				'0'
			)
		);
		expect(vectors.verificationId).toBe(groups.join(' '));
	});

	it('link seed with a password = BLAKE2b-256(key = secret, Argon2id(password, salt))', async () => {
		const sodium = await getSodium();
		const raw = sodium.crypto_generichash(32, fromHex(vectors.argon2id), input.keyB);
		expect(toHex(raw)).toBe(vectors.link.withPassword.seed);
		const signSeed = sodium.crypto_generichash(32, 'tessera/v1/link/sign', raw);
		expect(toHex(sodium.crypto_sign_seed_keypair(signSeed).publicKey)).toBe(
			vectors.link.withPassword.publicKey
		);
	});

	it('file blob = "TSF" 01 04 | chunk size u32 BE | secretstream header | chunks, preamble as AD', async () => {
		const sodium = await getSodium();
		const blob = fromHex(vectors.fileBlobUnderOriginalSubkey);
		expect(toHex(blob.subarray(0, 9))).toBe('545346' + '0104' + '00000400');
		const { original } = await fileSubkeys(input.keyA);
		const state = sodium.crypto_secretstream_xchacha20poly1305_init_pull(
			blob.subarray(9, 33),
			original
		);
		const sealedChunk = 1024 + 17;
		const tags: number[] = [];
		for (let offset = 33; offset < blob.length; offset += sealedChunk) {
			const result = sodium.crypto_secretstream_xchacha20poly1305_pull(
				state,
				blob.subarray(offset, offset + sealedChunk),
				blob.subarray(0, 9)
			);
			if (result === false) throw new Error('chunk did not authenticate');
			tags.push(result.tag);
		}
		expect(tags).toEqual([0, 0, sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL]);
	});
});
