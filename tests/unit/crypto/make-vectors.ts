// Writes vectors.json, the golden outputs of every format; run once: node --import tsx tests/unit/crypto/make-vectors.ts
// Regenerating is a format change: existing data would stop decrypting. Bump FORMAT_VERSION instead.

import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
	boxKeyPairFromSeed,
	deriveAuthKey,
	deriveDocKey,
	deriveLinkSeed,
	derivePasswordKey,
	derivePasswordWrapKey,
	deriveSubkey,
	encodeLinkSecret,
	encryptFile,
	fileSubkeys,
	KDF_FLOOR,
	linkKeysFromSeed,
	sealTo,
	signDetached,
	signKeyPairFromSeed,
	verificationId
} from '../../../src/lib/crypto';
import { recoveryKeyToWords } from '../../../src/lib/crypto/recovery';
import { encryptEnvelopeWithNonce } from '../../../src/lib/crypto/envelope';
import { secretboxSealWithNonce, wrapKeyWithNonce } from '../../../src/lib/crypto/wrap';
import { pattern, toHex } from './helpers';

const inputs = {
	keyA: pattern(32, 0x00),
	keyB: pattern(32, 0x20),
	seed: pattern(32, 0x40),
	salt: pattern(16, 0x60),
	nonce: pattern(24, 0xa0),
	header: pattern(41, 0x80),
	message: new TextEncoder().encode('Tessera golden vector: a photo caption'),
	password: 'correct horse battery staple caf\u00e9',
	filePlaintext: pattern(2500, 0x07),
	fileChunkSize: 1024
};

async function main(): Promise<void> {
	const { keyA, keyB, seed, salt, nonce, header, message, password } = inputs;
	const sign = await signKeyPairFromSeed(seed);
	const box = await boxKeyPairFromSeed(seed);
	const fileKeys = await fileSubkeys(keyA);
	const linkPassword = { password, salt, params: { ...KDF_FLOOR } };
	const linkSeedPlain = await deriveLinkSeed(keyB);
	const linkSeedPassword = await deriveLinkSeed(keyB, linkPassword);
	const linkPlain = await linkKeysFromSeed(linkSeedPlain);
	const linkWithPassword = await linkKeysFromSeed(linkSeedPassword);

	const vectors = {
		note: 'Golden vectors of docs/crypto.md. Never regenerate to make a test pass: a change here breaks stored data.',
		inputs: {
			keyA: toHex(keyA),
			keyB: toHex(keyB),
			seed: toHex(seed),
			salt: toHex(salt),
			nonce: toHex(nonce),
			header: toHex(header),
			message: toHex(message),
			password,
			kdfParams: { ...KDF_FLOOR },
			filePlaintext: toHex(inputs.filePlaintext),
			fileChunkSize: inputs.fileChunkSize
		},
		subkeys: {
			'keyA/auth': toHex(await deriveAuthKey(keyA)),
			'keyA/wrap': toHex(await derivePasswordWrapKey(keyA)),
			'keyA/doc/album': toHex(await deriveDocKey(keyA, 'album')),
			'keyA/custom label \u2713': toHex(await deriveSubkey(keyA, 'custom label \u2713')),
			'keyA/file/original': toHex(fileKeys.original),
			'keyA/file/thumbnail': toHex(fileKeys.thumbnail)
		},
		argon2id: toHex(await derivePasswordKey(password, salt, KDF_FLOOR)),
		wrappedKeyBUnderKeyA: toHex(await wrapKeyWithNonce(keyB, keyA, nonce)),
		secretboxMessageUnderKeyA: toHex(await secretboxSealWithNonce(message, keyA, nonce)),
		envelopeCiphertext: toHex(
			(await encryptEnvelopeWithNonce(keyA, header, message, nonce)).ciphertext
		),
		sign: {
			publicKey: toHex(sign.publicKey),
			privateKey: toHex(sign.privateKey),
			signatureOfMessage: toHex(await signDetached(message, sign.privateKey))
		},
		box: {
			publicKey: toHex(box.publicKey),
			privateKey: toHex(box.privateKey),
			// crypto_box_seal is randomised (ephemeral key): a known-answer for opening only.
			sealedMessage: toHex(await sealTo(box.publicKey, message))
		},
		verificationId: await verificationId(sign.publicKey, box.publicKey),
		recoveryWordsOfKeyA: recoveryKeyToWords(keyA),
		link: {
			secretBase64Url: encodeLinkSecret(keyB),
			withoutPassword: {
				seed: toHex(linkSeedPlain),
				publicKey: toHex(linkPlain.signKeyPair.publicKey),
				wrapKey: toHex(linkPlain.wrapKey)
			},
			withPassword: {
				seed: toHex(linkSeedPassword),
				publicKey: toHex(linkWithPassword.signKeyPair.publicKey),
				wrapKey: toHex(linkWithPassword.wrapKey)
			}
		},
		// The secretstream header is random: a known-answer for decryption only.
		fileBlobUnderOriginalSubkey: toHex(
			await encryptFile(inputs.filePlaintext, fileKeys.original, {
				chunkSize: inputs.fileChunkSize
			})
		)
	};
	const out = fileURLToPath(new URL('./vectors.json', import.meta.url));
	writeFileSync(out, JSON.stringify(vectors, null, '\t') + '\n');
	console.log(`wrote ${out}`);
}

await main();
