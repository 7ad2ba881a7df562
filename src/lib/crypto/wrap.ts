// Secretbox (XSalsa20-Poly1305) for wrapping keys under keys: master key, identity keys, epoch keys for links.

import { assertKey, concatBytes } from './bytes';
import { DecryptError, FormatError } from './errors';
import { Algorithm, checkPrefix, formatPrefix, PREFIX_BYTES } from './format';
import { randomBytes } from './random';
import { getSodium } from './sodium';

export const SECRETBOX_NONCE_BYTES = 24;
export const SECRETBOX_TAG_BYTES = 16;
/** 32-byte symmetric keys and seeds, or a 64-byte Ed25519 secret key. */
const WRAPPABLE_KEY_LENGTHS = [32, 64];

/** Layout: version(1) | algorithm 0x01 (1) | nonce (24) | secretbox(message) (16 + message). */
export async function secretboxSeal(message: Uint8Array, key: Uint8Array): Promise<Uint8Array> {
	return secretboxSealWithNonce(message, key, randomBytes(SECRETBOX_NONCE_BYTES));
}

/** Deterministic form for golden vectors. A nonce must never be reused with one key. */
export async function secretboxSealWithNonce(
	message: Uint8Array,
	key: Uint8Array,
	nonce: Uint8Array
): Promise<Uint8Array> {
	assertKey(key, 'Wrapping key');
	const sodium = await getSodium();
	const box = sodium.crypto_secretbox_easy(message, nonce, key);
	return concatBytes(formatPrefix(Algorithm.secretbox), nonce, box);
}

export async function secretboxOpen(sealed: Uint8Array, key: Uint8Array): Promise<Uint8Array> {
	assertKey(key, 'Wrapping key');
	checkPrefix(
		sealed,
		Algorithm.secretbox,
		SECRETBOX_NONCE_BYTES + SECRETBOX_TAG_BYTES,
		'wrapped key'
	);
	const sodium = await getSodium();
	const nonce = sealed.subarray(PREFIX_BYTES, PREFIX_BYTES + SECRETBOX_NONCE_BYTES);
	try {
		return sodium.crypto_secretbox_open_easy(
			sealed.subarray(PREFIX_BYTES + SECRETBOX_NONCE_BYTES),
			nonce,
			key
		);
	} catch {
		throw new DecryptError(
			'This key could not be unwrapped: the wrapping key is wrong or the data was changed.'
		);
	}
}

function assertWrappable(key: Uint8Array): void {
	if (!(key instanceof Uint8Array) || !WRAPPABLE_KEY_LENGTHS.includes(key.length)) {
		throw new FormatError(
			'bad_key_length',
			'Only 32-byte keys and 64-byte signing keys can be wrapped.'
		);
	}
}

export function wrapKey(keyToWrap: Uint8Array, wrappingKey: Uint8Array): Promise<Uint8Array> {
	assertWrappable(keyToWrap);
	return secretboxSeal(keyToWrap, wrappingKey);
}

export function wrapKeyWithNonce(
	keyToWrap: Uint8Array,
	wrappingKey: Uint8Array,
	nonce: Uint8Array
): Promise<Uint8Array> {
	assertWrappable(keyToWrap);
	return secretboxSealWithNonce(keyToWrap, wrappingKey, nonce);
}

export async function unwrapKey(wrapped: Uint8Array, wrappingKey: Uint8Array): Promise<Uint8Array> {
	const key = await secretboxOpen(wrapped, wrappingKey);
	// Authentic but not a key: only a holder of the wrapping key could have made it; still refuse.
	assertWrappable(key);
	return key;
}
