// Ed25519 signature checks on the relay: OpenSSL (node:crypto) for well-formed signatures, libsodium for everything else, accepting exactly what libsodium accepts.

import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { isValidSignature } from '../../src/lib/crypto';

/**
 * Why two implementations: every post costs the relay one verification on the path to its
 * fan-out, and OpenSSL's Ed25519 is cheaper than libsodium compiled to wasm. Why it cannot accept
 * more than libsodium: a fast path accepts only when all of these hold, and each is a check
 * libsodium's crypto_sign_verify_detached makes or implies:
 *
 * - S is canonical (S < L); libsodium refuses S ≥ L, and so does OpenSSL.
 * - The public key is a canonical encoding (y < p) and not one of the small-order encodings that
 *   libsodium's blocklist names (ge25519_is_canonical, ge25519_has_small_order).
 * - R is a canonical encoding and not a small-order one (libsodium refuses small-order R).
 * - OpenSSL's verification holds: the encoding of [S]B − [h]A equals R, with h = SHA-512(R‖A‖M)
 *   mod L. Then R decodes to [S]B − [h]A, so libsodium's own equation holds too (whether it
 *   compares encodings, as before 1.0.19, or points up to a small-order difference, as since).
 *
 * So what the fast path accepts, libsodium accepts. Anything the fast path does not accept (a bad
 * signature, a non-canonical or small-order encoding, a key OpenSSL will not load, a signature
 * libsodium's more lenient point check would still take) is handed to libsodium, which decides.
 * The accepted set is therefore exactly libsodium's; tests/unit/relay/signature-check.test.ts
 * checks both claims on edge-case vectors (small-order points, non-canonical encodings,
 * mixed-order keys, torsion-shifted R, S ≥ L).
 */
export async function verifySignature(
	signature: Uint8Array,
	message: Uint8Array,
	publicKey: Uint8Array
): Promise<boolean> {
	if (fastPathAccepts(signature, message, publicKey)) return true;
	return isValidSignature(signature, message, publicKey);
}

/** True only for a signature libsodium would also accept; false means "ask libsodium". */
export function fastPathAccepts(
	signature: Uint8Array,
	message: Uint8Array,
	publicKey: Uint8Array
): boolean {
	if (signature.length !== 64 || publicKey.length !== 32) return false;
	const r = signature.subarray(0, 32);
	if (!isCanonicalScalar(signature.subarray(32))) return false;
	if (!isCanonicalPoint(publicKey) || hasSmallOrderEncoding(publicKey)) return false;
	if (!isCanonicalPoint(r) || hasSmallOrderEncoding(r)) return false;
	const key = keyObjectFor(publicKey);
	if (!key) return false;
	try {
		return verify(null, message, key, signature);
	} catch {
		return false;
	}
}

/** The order of the base point, L = 2^252 + 27742317777372353535851937790883648493, little-endian. */
const L = Uint8Array.from([
	0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10
]);

/** S < L (sc25519_is_canonical), comparing little-endian bytes from the most significant. */
export function isCanonicalScalar(s: Uint8Array): boolean {
	for (let i = 31; i >= 0; i--) {
		if (s[i]! < L[i]!) return true;
		if (s[i]! > L[i]!) return false;
	}
	return false;
}

/**
 * The y coordinate (the sign bit of x masked off) is below p = 2^255 − 19: libsodium's
 * ge25519_is_canonical. Only y in [p, 2^255) is not: bytes 1..30 all 0xff, the top byte 0x7f (or
 * 0xff with the sign bit), and byte 0 at least 0xed.
 */
export function isCanonicalPoint(encoded: Uint8Array): boolean {
	if ((encoded[31]! & 0x7f) !== 0x7f) return true;
	for (let i = 30; i > 0; i--) if (encoded[i] !== 0xff) return true;
	return encoded[0]! < 0xed;
}

/**
 * The encodings libsodium refuses as small-order points (ge25519_has_small_order on bytes): the
 * eight points of order 1, 2, 4 and 8 by their y coordinates, and the non-canonical y = p and
 * y = p + 1. The sign bit is ignored, so each stands for two encodings.
 */
const SMALL_ORDER_ENCODINGS: readonly Uint8Array[] = [
	// y = 0 (order 4)
	hex('0000000000000000000000000000000000000000000000000000000000000000'),
	// y = 1, the identity (order 1)
	hex('0100000000000000000000000000000000000000000000000000000000000000'),
	// order 8
	hex('26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05'),
	// order 8
	hex('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a'),
	// y = p − 1 (order 2)
	hex('ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'),
	// y = p, non-canonical 0 (order 4)
	hex('edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'),
	// y = p + 1, non-canonical 1 (order 1)
	hex('eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f')
];

export function hasSmallOrderEncoding(encoded: Uint8Array): boolean {
	return SMALL_ORDER_ENCODINGS.some((bad) => {
		for (let i = 0; i < 31; i++) if (encoded[i] !== bad[i]) return false;
		return (encoded[31]! & 0x7f) === bad[31];
	});
}

/** Public keys loaded into OpenSSL, by their bytes; a relay sees a bounded set of writers. */
const KEY_CACHE_SIZE = 4096;
const keys = new Map<string, KeyObject | null>();
/** SubjectPublicKeyInfo DER of an Ed25519 key, before its 32 bytes. */
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

function keyObjectFor(publicKey: Uint8Array): KeyObject | null {
	const id = Buffer.from(publicKey.buffer, publicKey.byteOffset, 32).toString('latin1');
	let key = keys.get(id);
	if (key === undefined) {
		try {
			key = createPublicKey({
				key: Buffer.concat([SPKI_PREFIX, publicKey]),
				format: 'der',
				type: 'spki'
			});
		} catch {
			key = null;
		}
		if (keys.size >= KEY_CACHE_SIZE) keys.delete(keys.keys().next().value!);
		keys.set(id, key);
	}
	return key;
}

function hex(text: string): Uint8Array {
	return Uint8Array.from(Buffer.from(text, 'hex'));
}
