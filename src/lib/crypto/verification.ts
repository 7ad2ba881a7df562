// Verification ID: a fingerprint of a user's public keys, shown as 12 groups of 5 digits to compare in person.

import { assertKey, concatBytes } from './bytes';
import { getSodium } from './sodium';

export const VERIFICATION_ID_GROUPS = 12;
const BYTES_PER_GROUP = 5;
const GROUP_MODULUS = 100_000;

/**
 * BLAKE2b-480 (60 bytes, unkeyed) of signPk || boxPk. Each 5-byte slice, read big-endian as a 40-bit
 * integer, mod 100000, zero-padded to 5 digits; groups joined by single spaces. The bias of 2^40 mod
 * 100000 is below 1e-7 per group.
 */
export async function verificationId(
	signPublicKey: Uint8Array,
	boxPublicKey: Uint8Array
): Promise<string> {
	assertKey(signPublicKey, 'Signing public key');
	assertKey(boxPublicKey, 'Box public key');
	const sodium = await getSodium();
	const digest = sodium.crypto_generichash(
		VERIFICATION_ID_GROUPS * BYTES_PER_GROUP,
		concatBytes(signPublicKey, boxPublicKey),
		null
	);
	const groups: string[] = [];
	for (let g = 0; g < VERIFICATION_ID_GROUPS; g++) {
		let value = 0;
		for (let i = 0; i < BYTES_PER_GROUP; i++) {
			// 40 bits fit exactly in a double; no bitwise ops, which would truncate to 32 bits.
			value = value * 256 + digest[g * BYTES_PER_GROUP + i]!;
		}
		groups.push(String(value % GROUP_MODULUS).padStart(5, '0'));
	}
	return groups.join(' ');
}
