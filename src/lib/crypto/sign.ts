// Ed25519 detached signatures: membership entries, envelopes, link challenges.

import { assertKey } from './bytes';
import { SignatureError } from './errors';
import { randomKey } from './random';
import { getSodium } from './sodium';

export interface SignKeyPair {
	publicKey: Uint8Array;
	/** libsodium's 64-byte form: seed (32) followed by the public key (32). */
	privateKey: Uint8Array;
}

export const SIGNATURE_BYTES = 64;
export const SIGN_SECRET_KEY_BYTES = 64;

export async function generateSignKeyPair(): Promise<SignKeyPair> {
	return signKeyPairFromSeed(randomKey());
}

export async function signKeyPairFromSeed(seed: Uint8Array): Promise<SignKeyPair> {
	assertKey(seed, 'Signing key seed');
	const sodium = await getSodium();
	const { publicKey, privateKey } = sodium.crypto_sign_seed_keypair(seed);
	return { publicKey, privateKey };
}

/** The 32-byte seed inside a signing secret key: the compact form to wrap and store. */
export function signSeedOf(privateKey: Uint8Array): Uint8Array {
	if (privateKey.length !== SIGN_SECRET_KEY_BYTES) {
		throw new RangeError('signSeedOf: expected a 64-byte Ed25519 secret key');
	}
	return privateKey.slice(0, 32);
}

export async function signDetached(
	message: Uint8Array,
	privateKey: Uint8Array
): Promise<Uint8Array> {
	if (privateKey.length !== SIGN_SECRET_KEY_BYTES) {
		throw new RangeError('signDetached: expected a 64-byte Ed25519 secret key');
	}
	const sodium = await getSodium();
	return sodium.crypto_sign_detached(message, privateKey);
}

/** Boolean form for filtering; malformed signatures or keys from the wire are simply invalid. */
export async function isValidSignature(
	signature: Uint8Array,
	message: Uint8Array,
	publicKey: Uint8Array
): Promise<boolean> {
	if (!(signature instanceof Uint8Array) || signature.length !== SIGNATURE_BYTES) return false;
	if (!(publicKey instanceof Uint8Array) || publicKey.length !== 32) return false;
	const sodium = await getSodium();
	try {
		return sodium.crypto_sign_verify_detached(signature, message, publicKey);
	} catch {
		return false;
	}
}

/** Throws SignatureError unless `signature` is publicKey's signature of exactly `message`. */
export async function verifyDetached(
	signature: Uint8Array,
	message: Uint8Array,
	publicKey: Uint8Array
): Promise<void> {
	if (!(await isValidSignature(signature, message, publicKey))) throw new SignatureError();
}
