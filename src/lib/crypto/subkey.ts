// Labelled subkeys (keyed BLAKE2b) and the fixed labels of the account and album keys.

import { assertKey, KEY_BYTES, utf8 } from './bytes';
import { getSodium } from './sodium';

/** Prepended to every label so Tessera's subkeys can never collide with another protocol's. */
export const SUBKEY_DOMAIN = 'tessera/v1/';

/**
 * BLAKE2b-256 keyed with the parent key over "tessera/v1/" + label. Distinct labels give independent
 * keys; the parent cannot be recovered from a subkey.
 */
export async function deriveSubkey(parentKey: Uint8Array, label: string): Promise<Uint8Array> {
	assertKey(parentKey, 'Parent key');
	if (label.length === 0) throw new RangeError('deriveSubkey: the label must not be empty');
	const sodium = await getSodium();
	return sodium.crypto_generichash(KEY_BYTES, utf8(SUBKEY_DOMAIN + label), parentKey);
}

/** authKey = kdf(KEK, "auth"): proves the password to the relay without revealing the KEK. */
export function deriveAuthKey(kek: Uint8Array): Promise<Uint8Array> {
	return deriveSubkey(kek, 'auth');
}

/** kdf(KEK, "wrap"): wraps the master key. */
export function derivePasswordWrapKey(kek: Uint8Array): Promise<Uint8Array> {
	return deriveSubkey(kek, 'wrap');
}

/** doc key = kdf(K_e, "doc/" + docId): one AEAD key per doc per epoch. */
export function deriveDocKey(epochKey: Uint8Array, docId: string): Promise<Uint8Array> {
	return deriveSubkey(epochKey, 'doc/' + docId);
}
