// The relay's Ed25519 check (OpenSSL fast path, libsodium for the rest) accepts exactly what libsodium's crypto_sign_verify_detached accepts, on edge-case vectors.

import { beforeAll, describe, expect, it } from 'vitest';
import { getSodium, type Sodium } from '../../../src/lib/crypto';
import {
	fastPathAccepts,
	hasSmallOrderEncoding,
	isCanonicalPoint,
	isCanonicalScalar,
	verifySignature
} from '../../../relay/src/signature-check';
import { seededRandom } from '../../integration/helpers/stream';

let sodium: Sodium;
beforeAll(async () => {
	sodium = await getSodium();
});

interface Vector {
	name: string;
	sig: Uint8Array;
	msg: Uint8Array;
	pk: Uint8Array;
}

const hex = (text: string) => Uint8Array.from(Buffer.from(text, 'hex'));
const P_MINUS = (k: number) => {
	// p + k for k in [-19, 18] as a 32-byte little-endian encoding with the sign bit clear.
	const out = new Uint8Array(32).fill(0xff);
	out[31] = 0x7f;
	out[0] = 0xed + k;
	return out;
};
const L = hex('edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010');

/** The y coordinates (sign bit clear) of the eight small-order points, and p, p + 1. */
const SMALL_ORDER_Y = [
	'0000000000000000000000000000000000000000000000000000000000000000',
	'0100000000000000000000000000000000000000000000000000000000000000',
	'26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
	'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
	'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
	'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
	'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'
].map(hex);

/** Each encoding with the x sign bit clear and set. */
function withSigns(encodings: readonly Uint8Array[]): Uint8Array[] {
	return encodings.flatMap((e) => {
		const negative = Uint8Array.from(e);
		negative[31]! |= 0x80;
		return [Uint8Array.from(e), negative];
	});
}

function addLittleEndian(a: Uint8Array, b: Uint8Array): Uint8Array {
	const out = new Uint8Array(32);
	let carry = 0;
	for (let i = 0; i < 32; i++) {
		const sum = a[i]! + b[i]! + carry;
		out[i] = sum & 0xff;
		carry = sum >> 8;
	}
	return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
	return Uint8Array.from(Buffer.concat(parts));
}

/** A signer whose secret scalar we know, so signatures can be built over any R and key encoding. */
function signer(random: () => number) {
	const seed = Uint8Array.from({ length: 32 }, () => Math.floor(random() * 256));
	const { publicKey, privateKey } = sodium.crypto_sign_seed_keypair(seed);
	const a = sodium.crypto_hash_sha512(seed).slice(0, 32);
	a[0]! &= 248;
	a[31]! &= 127;
	a[31]! |= 64;
	const scalarA = sodium.crypto_core_ed25519_scalar_reduce(concat(a, new Uint8Array(32)));
	return {
		publicKey,
		privateKey,
		/** S = r + H(R ‖ pkInHash ‖ M)·a for a chosen nonce r and R encoding. */
		signWith(r: Uint8Array, rEncoded: Uint8Array, pkInHash: Uint8Array, msg: Uint8Array) {
			const h = sodium.crypto_core_ed25519_scalar_reduce(
				sodium.crypto_hash_sha512(concat(rEncoded, pkInHash, msg))
			);
			const s = sodium.crypto_core_ed25519_scalar_add(
				r,
				sodium.crypto_core_ed25519_scalar_mul(h, scalarA)
			);
			return { sig: concat(rEncoded, s), h };
		}
	};
}

function vectors(): Vector[] {
	const random = seededRandom(0x5eed);
	const bytes = (n: number) => Uint8Array.from({ length: n }, () => Math.floor(random() * 256));
	const out: Vector[] = [];
	const smallOrder = withSigns(SMALL_ORDER_Y);
	/** A nonce from the seeded generator, so every run builds the same vectors. */
	const nonce = () => sodium.crypto_core_ed25519_scalar_reduce(bytes(64));
	// The seven small-order points other than the identity: y = 0 (order 4, both signs), the four
	// of order 8, and y = −1 (order 2); withSigns order, leaving out the identity and the encodings
	// of x = 0 with the sign bit set.
	const torsion = [0, 1, 4, 5, 6, 7, 8].map((i) => smallOrder[i]!);

	for (let i = 0; i < 12; i++) {
		const key = signer(random);
		const msg = bytes(1 + ((i * 37) % 300));
		const sig = sodium.crypto_sign_detached(msg, key.privateKey);
		out.push({ name: `honest ${i}`, sig, msg, pk: key.publicKey });

		const flipped = (data: Uint8Array, at: number) => {
			const copy = Uint8Array.from(data);
			copy[at]! ^= 1 << (i % 8);
			return copy;
		};
		out.push({ name: `message changed ${i}`, sig, msg: flipped(msg, 0), pk: key.publicKey });
		out.push({ name: `R changed ${i}`, sig: flipped(sig, i % 32), msg, pk: key.publicKey });
		out.push({ name: `S changed ${i}`, sig: flipped(sig, 32 + (i % 31)), msg, pk: key.publicKey });
		out.push({ name: `key changed ${i}`, sig, msg, pk: flipped(key.publicKey, i % 31) });
		// S + L: the same scalar, not canonically encoded.
		out.push({
			name: `S + L ${i}`,
			sig: concat(sig.subarray(0, 32), addLittleEndian(sig.subarray(32), L)),
			msg,
			pk: key.publicKey
		});
		const highS = Uint8Array.from(sig);
		highS[63]! |= 0xf0;
		out.push({ name: `S with high bits ${i}`, sig: highS, msg, pk: key.publicKey });
		out.push({ name: `random signature ${i}`, sig: bytes(64), msg, pk: key.publicKey });
		out.push({ name: `random key ${i}`, sig, msg, pk: bytes(32) });

		// R shifted by a small-order point: libsodium's point check may still take it.
		for (const [t, tEncoded] of torsion.entries()) {
			const r = nonce();
			const rPoint = sodium.crypto_scalarmult_ed25519_base_noclamp(r);
			const shifted = sodium.crypto_core_ed25519_add(rPoint, tEncoded);
			const { sig: torsionSig } = key.signWith(r, shifted, key.publicKey, msg);
			out.push({ name: `R + torsion ${t} ${i}`, sig: torsionSig, msg, pk: key.publicKey });
		}
		// A mixed-order key A + T: the signer's scalar, the shifted key in the hash and on the wire.
		for (const [t, tEncoded] of torsion.entries()) {
			const mixed = sodium.crypto_core_ed25519_add(key.publicKey, tEncoded);
			for (let attempt = 0; attempt < 3; attempt++) {
				const r = nonce();
				const rPoint = sodium.crypto_scalarmult_ed25519_base_noclamp(r);
				const { sig: mixedSig } = key.signWith(r, rPoint, mixed, msg);
				out.push({ name: `mixed-order key ${t} ${i}.${attempt}`, sig: mixedSig, msg, pk: mixed });
			}
		}
	}

	// Small-order R and keys in every encoding, with S = 0 and a random S: the cofactorless
	// equation [0]B = R + [h]A holds for R = A = identity, which OpenSSL alone would accept.
	const honest = signer(random);
	const msg = bytes(40);
	const honestSig = sodium.crypto_sign_detached(msg, honest.privateKey);
	for (const [i, rEncoded] of smallOrder.entries()) {
		for (const s of [new Uint8Array(32), honestSig.subarray(32)]) {
			out.push({ name: `small-order R ${i}`, sig: concat(rEncoded, s), msg, pk: honest.publicKey });
			for (const [j, pk] of smallOrder.entries()) {
				out.push({ name: `small-order R ${i} and key ${j}`, sig: concat(rEncoded, s), msg, pk });
			}
		}
		out.push({ name: `small-order key ${i}`, sig: honestSig, msg, pk: rEncoded });
	}
	// Every non-canonical encoding (y = p .. 2^255 − 1, both signs) as a key and as R.
	const nonCanonical = withSigns(Array.from({ length: 19 }, (_, k) => P_MINUS(k)));
	for (const [i, encoded] of nonCanonical.entries()) {
		out.push({ name: `non-canonical key ${i}`, sig: honestSig, msg, pk: encoded });
		out.push({
			name: `non-canonical R ${i}`,
			sig: concat(encoded, honestSig.subarray(32)),
			msg,
			pk: honest.publicKey
		});
		out.push({
			name: `non-canonical R ${i}, S = 0`,
			sig: concat(encoded, new Uint8Array(32)),
			msg,
			pk: honest.publicKey
		});
	}
	return out;
}

describe('relay signature check', () => {
	it('accepts exactly the signatures libsodium accepts, and its fast path never accepts one libsodium refuses', async () => {
		const all = vectors();
		const disagreements: string[] = [];
		let libsodiumAccepts = 0;
		let fast = 0;
		for (const v of all) {
			const expected = sodium.crypto_sign_verify_detached(v.sig, v.msg, v.pk);
			if (expected) libsodiumAccepts++;
			const quick = fastPathAccepts(v.sig, v.msg, v.pk);
			if (quick) fast++;
			if (quick && !expected) disagreements.push(`fast path accepts ${v.name}`);
			if ((await verifySignature(v.sig, v.msg, v.pk)) !== expected) {
				disagreements.push(`${expected ? 'refuses' : 'accepts'} ${v.name}`);
			}
		}
		expect(disagreements).toEqual([]);
		// The vectors exercise both sides: plenty accepted (honest, and some crafted), most refused.
		expect(libsodiumAccepts).toBeGreaterThan(12);
		expect(all.length - libsodiumAccepts).toBeGreaterThan(200);
		expect(fast).toBeGreaterThanOrEqual(12);
		expect(all.filter((v) => v.name.startsWith('R + torsion'))).toHaveLength(12 * 7);
	});

	it('takes the fast path for every honest signature', () => {
		const random = seededRandom(7);
		for (let i = 0; i < 50; i++) {
			const key = signer(random);
			const msg = Uint8Array.from({ length: i * 10 }, () => Math.floor(random() * 256));
			const sig = sodium.crypto_sign_detached(msg, key.privateKey);
			expect(fastPathAccepts(sig, msg, key.publicKey)).toBe(true);
		}
	});

	it('encodes the pre-checks as libsodium does', () => {
		expect(isCanonicalScalar(L)).toBe(false);
		const belowL = Uint8Array.from(L);
		belowL[0]! -= 1;
		expect(isCanonicalScalar(belowL)).toBe(true);
		expect(isCanonicalPoint(P_MINUS(-1))).toBe(true);
		expect(isCanonicalPoint(P_MINUS(0))).toBe(false);
		expect(withSigns(SMALL_ORDER_Y).every(hasSmallOrderEncoding)).toBe(true);
		for (const encoded of withSigns(SMALL_ORDER_Y)) {
			expect(sodium.crypto_core_ed25519_is_valid_point(encoded)).toBe(false);
		}
	});
});
