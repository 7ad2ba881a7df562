// Unpadded base64url (RFC 4648 section 5), strict: one canonical text per byte string.

import { FormatError } from './errors';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const VALUES = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) VALUES[ALPHABET.charCodeAt(i)] = i;

export function toBase64Url(bytes: Uint8Array): string {
	let out = '';
	let i = 0;
	for (; i + 2 < bytes.length; i += 3) {
		const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
		out +=
			ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + ALPHABET[n & 63]!;
	}
	const rest = bytes.length - i;
	if (rest === 1) {
		const n = bytes[i]! << 16;
		out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]!;
	} else if (rest === 2) {
		const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
		out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]!;
	}
	return out;
}

function bad(reason: string): FormatError {
	return new FormatError('bad_base64url', `This is not valid base64url text: ${reason}.`);
}

/**
 * Rejects padding, whitespace, the `+/` alphabet, impossible lengths and non-zero trailing bits, so
 * a link secret has exactly one spelling. With `expectedLength`, also rejects other decoded sizes.
 */
export function fromBase64Url(text: string, expectedLength?: number): Uint8Array {
	if (typeof text !== 'string') throw bad('not a string');
	if (text.length % 4 === 1) throw bad('impossible length');
	const out = new Uint8Array(Math.floor((text.length * 3) / 4));
	let bits = 0;
	let value = 0;
	let written = 0;
	for (let i = 0; i < text.length; i++) {
		const code = text.charCodeAt(i);
		const digit = code < 128 ? VALUES[code]! : -1;
		if (digit < 0) throw bad(`character ${JSON.stringify(text[i])} at position ${i + 1}`);
		value = ((value << 6) | digit) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[written++] = (value >> bits) & 0xff;
		}
	}
	if ((value & ((1 << bits) - 1)) !== 0) throw bad('non-canonical ending');
	if (expectedLength !== undefined && written !== expectedLength) {
		throw bad(`expected ${expectedLength} bytes, got ${written}`);
	}
	return out;
}
