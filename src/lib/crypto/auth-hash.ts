// The relay's slow hash of a client's authKey / recoveryAuthKey (Argon2id string, constant-time verify).

import { assertKey } from './bytes';
import { getSodium } from './sodium';

const MiB = 1024 * 1024;

/**
 * Moderate Argon2id costs on purpose: the input is a 256-bit key (already the output of the
 * client's Argon2id over the password), so it cannot be guessed and needs no password-grade
 * stretching; the hash only keeps a stolen database from being replayed as a login, and it runs on
 * the relay for every log-in, where a costly hash would be a denial-of-service lever.
 */
export const AUTH_HASH_PARAMS = Object.freeze({ opsLimit: 2, memLimit: 32 * MiB });

/** An encoded Argon2id hash ("$argon2id$v=19$m=...") of a 32-byte authKey, with a random salt. */
export async function hashAuthKey(key: Uint8Array): Promise<string> {
	assertKey(key, 'Auth key');
	const sodium = await getSodium();
	return sodium.crypto_pwhash_str(key, AUTH_HASH_PARAMS.opsLimit, AUTH_HASH_PARAMS.memLimit);
}

/**
 * Whether `key` is the one `hash` was made from. libsodium compares in constant time; a malformed
 * hash or a key of the wrong size is simply a mismatch.
 */
export async function verifyAuthKeyHash(hash: string, key: Uint8Array): Promise<boolean> {
	if (!(key instanceof Uint8Array) || key.length !== 32) return false;
	const sodium = await getSodium();
	try {
		return sodium.crypto_pwhash_str_verify(hash, key);
	} catch {
		return false;
	}
}
