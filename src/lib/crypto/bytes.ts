// Byte helpers shared by the crypto modules: sizes, concatenation, length checks, UTF-8.

import { FormatError } from './errors';

/** Every symmetric key and seed in Tessera is 32 bytes. */
export const KEY_BYTES = 32;

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
	let length = 0;
	for (const part of parts) length += part.length;
	const out = new Uint8Array(length);
	let offset = 0;
	for (const part of parts) {
		out.set(part, offset);
		offset += part.length;
	}
	return out;
}

export function assertLength(bytes: Uint8Array, length: number, what: string): void {
	if (!(bytes instanceof Uint8Array) || bytes.length !== length) {
		throw new FormatError(
			'bad_key_length',
			`${what} must be ${length} bytes, got ${bytes instanceof Uint8Array ? bytes.length : typeof bytes}.`
		);
	}
}

export function assertKey(key: Uint8Array, what = 'Key'): void {
	assertLength(key, KEY_BYTES, what);
}

const encoder = new TextEncoder();

export function utf8(text: string): Uint8Array {
	return encoder.encode(text);
}
