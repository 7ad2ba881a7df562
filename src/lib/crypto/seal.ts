// Sealed boxes (X25519, crypto_box_seal): an epoch key sent to a member, readable only with their box key.

import { assertKey, concatBytes } from './bytes';
import { DecryptError } from './errors';
import { Algorithm, checkPrefix, formatPrefix, PREFIX_BYTES } from './format';
import { randomKey } from './random';
import { getSodium } from './sodium';

export interface BoxKeyPair {
	publicKey: Uint8Array;
	privateKey: Uint8Array;
}

/** Ephemeral public key (32) + Poly1305 tag (16). */
export const SEAL_OVERHEAD_BYTES = 48;

export async function generateBoxKeyPair(): Promise<BoxKeyPair> {
	return boxKeyPairFromSeed(randomKey());
}

export async function boxKeyPairFromSeed(seed: Uint8Array): Promise<BoxKeyPair> {
	assertKey(seed, 'Box key seed');
	const sodium = await getSodium();
	const { publicKey, privateKey } = sodium.crypto_box_seed_keypair(seed);
	return { publicKey, privateKey };
}

/** Layout: version(1) | algorithm 0x02 (1) | crypto_box_seal(message) (48 + message). */
export async function sealTo(
	recipientPublicKey: Uint8Array,
	message: Uint8Array
): Promise<Uint8Array> {
	assertKey(recipientPublicKey, "Recipient's public key");
	const sodium = await getSodium();
	return concatBytes(
		formatPrefix(Algorithm.sealedBox),
		sodium.crypto_box_seal(message, recipientPublicKey)
	);
}

export async function openSealed(sealed: Uint8Array, keyPair: BoxKeyPair): Promise<Uint8Array> {
	assertKey(keyPair.publicKey, 'Public key');
	assertKey(keyPair.privateKey, 'Private key');
	checkPrefix(sealed, Algorithm.sealedBox, SEAL_OVERHEAD_BYTES, 'sealed box');
	const sodium = await getSodium();
	try {
		return sodium.crypto_box_seal_open(
			sealed.subarray(PREFIX_BYTES),
			keyPair.publicKey,
			keyPair.privateKey
		);
	} catch {
		throw new DecryptError(
			'This key box could not be opened: it was not sealed to you or it was changed.'
		);
	}
}
