// Strict base64url (RFC 4648 §5, no padding) for the binary fields of the wire protocol.

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

const DECODE_TABLE: Int16Array = (() => {
	const table = new Int16Array(128).fill(-1);
	for (let i = 0; i < ALPHABET.length; i++) table[ALPHABET.charCodeAt(i)] = i;
	return table;
})();

/** A string that is not canonical base64url: wrong characters, padding, or stray bits. */
export class Base64UrlError extends Error {
	readonly code = 'invalid-base64url';
	constructor(message: string) {
		super(message);
		this.name = 'Base64UrlError';
	}
}

/** Number of base64url characters (without padding) that encode `byteLength` bytes. */
export function base64UrlLength(byteLength: number): number {
	return Math.ceil((byteLength * 4) / 3);
}

/** Encodes bytes as base64url without padding. */
export function toBase64Url(bytes: Uint8Array): string {
	let out = '';
	let i = 0;
	for (; i + 2 < bytes.length; i += 3) {
		const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
		out +=
			ALPHABET[(n >> 18) & 63]! +
			ALPHABET[(n >> 12) & 63]! +
			ALPHABET[(n >> 6) & 63]! +
			ALPHABET[n & 63]!;
	}
	const rest = bytes.length - i;
	if (rest === 1) {
		const n = bytes[i]! << 16;
		out += ALPHABET[(n >> 18) & 63]! + ALPHABET[(n >> 12) & 63]!;
	} else if (rest === 2) {
		const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
		out += ALPHABET[(n >> 18) & 63]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]!;
	}
	return out;
}

/**
 * Decodes base64url without padding. Only the canonical form is accepted (every string maps to one
 * byte sequence and back), so two different strings never stand for the same bytes: that keeps ids
 * and signed fields unambiguous.
 */
export function fromBase64Url(text: string): Uint8Array {
	const problem = base64UrlProblem(text);
	if (problem) throw new Base64UrlError(problem);
	const bytes = new Uint8Array(Math.floor((text.length * 3) / 4));
	let acc = 0;
	let bits = 0;
	let j = 0;
	for (let i = 0; i < text.length; i++) {
		acc = ((acc << 6) | DECODE_TABLE[text.charCodeAt(i)]!) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			bytes[j++] = (acc >> bits) & 0xff;
		}
	}
	return bytes;
}

/** Byte length of a canonical base64url string, or null when the string is not one. */
export function base64UrlByteLength(text: string): number | null {
	return base64UrlProblem(text) === null ? Math.floor((text.length * 3) / 4) : null;
}

/** Why `text` is not canonical base64url, or null when it is. */
export function base64UrlProblem(text: string): string | null {
	if (text.length % 4 === 1) return 'base64url length is impossible (one character too many)';
	for (let i = 0; i < text.length; i++) {
		const code = text.charCodeAt(i);
		if (code >= 128 || DECODE_TABLE[code] === -1) {
			return text[i] === '='
				? 'base64url must not be padded'
				: `base64url contains an invalid character at position ${i}`;
		}
	}
	const rest = text.length % 4;
	if (rest !== 0) {
		// The last character carries 2 (rest 2) or 4 (rest 3) bits that must be zero.
		const last = DECODE_TABLE[text.charCodeAt(text.length - 1)]!;
		const unusedBits = rest === 2 ? 4 : 2;
		if ((last & ((1 << unusedBits) - 1)) !== 0) return 'base64url has non-zero trailing bits';
	}
	return null;
}
