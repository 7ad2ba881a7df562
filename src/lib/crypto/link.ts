// Public-link keys: the fragment secret (optionally with a password) -> seed -> link signing keypair and wrap key.

import { fromBase64Url, toBase64Url } from './base64url';
import { assertKey, KEY_BYTES } from './bytes';
import { derivePasswordKey, type KdfParams } from './password-kdf';
import { randomKey } from './random';
import { signKeyPairFromSeed, type SignKeyPair } from './sign';
import { getSodium } from './sodium';
import { deriveSubkey } from './subkey';

export interface LinkPassword {
	password: string;
	/** 16 random bytes, stored in the link-add entry. */
	salt: Uint8Array;
	params: KdfParams;
}

export interface LinkKeys {
	/** Answers the relay's challenge and signs inbox uploads; its public half is linkPk. */
	signKeyPair: SignKeyPair;
	/** Wraps the album epoch key for this link: secretbox(K_e, wrapKey). */
	wrapKey: Uint8Array;
}

export function newLinkSecret(): Uint8Array {
	return randomKey();
}

/** The URL fragment form of a link secret: 43 base64url characters. */
export function encodeLinkSecret(secret: Uint8Array): string {
	assertKey(secret, 'Link secret');
	return toBase64Url(secret);
}

export function decodeLinkSecret(fragment: string): Uint8Array {
	return fromBase64Url(fragment, KEY_BYTES);
}

/**
 * seed = secret without a password; with one, BLAKE2b-256(key = secret, Argon2id(password, salt)),
 * so the fragment alone is useless and a wrong password silently gives a wrong (useless) seed.
 */
export async function deriveLinkSeed(
	secret: Uint8Array,
	password?: LinkPassword
): Promise<Uint8Array> {
	assertKey(secret, 'Link secret');
	if (password === undefined) return secret.slice();
	const passwordKey = await derivePasswordKey(password.password, password.salt, password.params);
	const sodium = await getSodium();
	return sodium.crypto_generichash(KEY_BYTES, passwordKey, secret);
}

export async function linkKeysFromSeed(seed: Uint8Array): Promise<LinkKeys> {
	assertKey(seed, 'Link seed');
	return {
		signKeyPair: await signKeyPairFromSeed(await deriveSubkey(seed, 'link/sign')),
		wrapKey: await deriveSubkey(seed, 'link/wrap')
	};
}
