// The two-byte prefix {format version, algorithm} every Tessera ciphertext and wrapped key starts with.

import { FormatError } from './errors';

/** Bumped only if the layout around the algorithm byte ever changes. */
export const FORMAT_VERSION = 1;

/**
 * Algorithm ids. A new primitive gets a new id; old ids stay readable, so stored ciphertext never
 * needs a flag day.
 */
export const Algorithm = {
	/** crypto_secretbox_xsalsa20poly1305: wrapped keys, secretboxSeal. */
	secretbox: 0x01,
	/** crypto_box_seal (X25519 + XSalsa20-Poly1305): epoch keys sealed to a member. */
	sealedBox: 0x02,
	/** crypto_aead_xchacha20poly1305_ietf: album doc envelopes. */
	envelope: 0x03,
	/** crypto_secretstream_xchacha20poly1305: file blobs (originals, thumbnails). */
	secretstream: 0x04
} as const;

export type Algorithm = (typeof Algorithm)[keyof typeof Algorithm];

export const PREFIX_BYTES = 2;

const ALGORITHM_NAMES: Record<number, string> = {
	[Algorithm.secretbox]: 'wrapped key',
	[Algorithm.sealedBox]: 'sealed box',
	[Algorithm.envelope]: 'envelope',
	[Algorithm.secretstream]: 'file stream'
};

export function formatPrefix(algorithm: Algorithm): Uint8Array {
	return Uint8Array.of(FORMAT_VERSION, algorithm);
}

/**
 * Checks the prefix and the minimum length that follows it. `what` names the thing for the message
 * ("wrapped key"); `minBody` is the smallest valid length after the prefix.
 */
export function checkPrefix(
	bytes: Uint8Array,
	algorithm: Algorithm,
	minBody: number,
	what: string
): void {
	if (!(bytes instanceof Uint8Array) || bytes.length < PREFIX_BYTES) {
		throw new FormatError('malformed', `This ${what} is too short to be valid.`);
	}
	if (bytes[0] !== FORMAT_VERSION) {
		throw new FormatError(
			'unknown_version',
			`This ${what} uses format version ${bytes[0]}, which this version of Tessera cannot read.`
		);
	}
	if (bytes[1] !== algorithm) {
		const found = ALGORITHM_NAMES[bytes[1]!];
		throw new FormatError(
			'unknown_algorithm',
			found
				? `Expected a ${what} but found a ${found}.`
				: `This ${what} uses algorithm ${bytes[1]}, which this version of Tessera cannot read.`
		);
	}
	if (bytes.length < PREFIX_BYTES + minBody) {
		throw new FormatError('malformed', `This ${what} is too short to be valid.`);
	}
}
