// Doc envelope AEAD (XChaCha20-Poly1305-IETF): a Yjs update encrypted with its envelope header as additional data.

import { assertKey, concatBytes } from './bytes';
import { DecryptError, FormatError } from './errors';
import { Algorithm, checkPrefix, formatPrefix, PREFIX_BYTES } from './format';
import { randomBytes } from './random';
import { getSodium } from './sodium';

export const ENVELOPE_NONCE_BYTES = 24;
export const ENVELOPE_TAG_BYTES = 16;

export interface SealedEnvelope {
	nonce: Uint8Array;
	/** version(1) | algorithm 0x03 (1) | AEAD ciphertext with its 16-byte tag. */
	ciphertext: Uint8Array;
}

/** The prefix is authenticated too, so an algorithm byte cannot be swapped under a valid tag. */
function additionalData(header: Uint8Array): Uint8Array {
	return concatBytes(formatPrefix(Algorithm.envelope), header);
}

/**
 * `header` must be the canonical encoding of the envelope's header fields (albumId, docId, kind,
 * epoch, chainIndex, by): any change to it makes decryption fail.
 */
export function encryptEnvelope(
	docKey: Uint8Array,
	header: Uint8Array,
	plaintext: Uint8Array
): Promise<SealedEnvelope> {
	return encryptEnvelopeWithNonce(docKey, header, plaintext, randomBytes(ENVELOPE_NONCE_BYTES));
}

/** Deterministic form for golden vectors. A nonce must never be reused with one key. */
export async function encryptEnvelopeWithNonce(
	docKey: Uint8Array,
	header: Uint8Array,
	plaintext: Uint8Array,
	nonce: Uint8Array
): Promise<SealedEnvelope> {
	assertKey(docKey, 'Doc key');
	const sodium = await getSodium();
	const sealed = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(
		plaintext,
		additionalData(header),
		null,
		nonce,
		docKey
	);
	return { nonce, ciphertext: concatBytes(formatPrefix(Algorithm.envelope), sealed) };
}

export async function decryptEnvelope(
	docKey: Uint8Array,
	header: Uint8Array,
	nonce: Uint8Array,
	ciphertext: Uint8Array
): Promise<Uint8Array> {
	assertKey(docKey, 'Doc key');
	checkPrefix(ciphertext, Algorithm.envelope, ENVELOPE_TAG_BYTES, 'envelope');
	if (!(nonce instanceof Uint8Array) || nonce.length !== ENVELOPE_NONCE_BYTES) {
		throw new FormatError('malformed', `An envelope nonce must be ${ENVELOPE_NONCE_BYTES} bytes.`);
	}
	const sodium = await getSodium();
	try {
		return sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(
			null,
			ciphertext.subarray(PREFIX_BYTES),
			additionalData(header),
			nonce,
			docKey
		);
	} catch {
		throw new DecryptError(
			'This album update could not be decrypted: the key is wrong or it was changed.'
		);
	}
}
