// Valibot building blocks for wire fields: sized base64url binaries, counters and timestamps.

import * as v from 'valibot';
import { base64UrlByteLength, base64UrlLength } from './bytes';
import { ED25519_SIGNATURE_BYTES, HASH_BYTES, X25519_PUBLIC_KEY_BYTES } from './limits';

/**
 * A binary field: canonical base64url of `minBytes` to `maxBytes` bytes. The length check runs
 * before anything else so an oversized string is refused without being decoded.
 */
export function base64UrlBytes(minBytes: number, maxBytes: number) {
	const expected = minBytes === maxBytes ? `${minBytes} bytes` : `${minBytes} to ${maxBytes} bytes`;
	return v.pipe(
		v.string(),
		v.maxLength(
			base64UrlLength(maxBytes),
			(issue) =>
				`is too long: at most ${maxBytes} bytes (${base64UrlLength(maxBytes)} base64url characters), got ${issue.received} characters`
		),
		v.check((text) => {
			const n = base64UrlByteLength(text);
			return n !== null && n >= minBytes && n <= maxBytes;
		}, `must be base64url (no padding) of ${expected}`)
	);
}

export const SignatureSchema = base64UrlBytes(ED25519_SIGNATURE_BYTES, ED25519_SIGNATURE_BYTES);
export const HashSchema = base64UrlBytes(HASH_BYTES, HASH_BYTES);
export const BoxPublicKeySchema = base64UrlBytes(X25519_PUBLIC_KEY_BYTES, X25519_PUBLIC_KEY_BYTES);

/** A counter or position: a safe integer >= 0 (seq, index, epoch). */
export const CounterSchema = v.pipe(
	v.number(),
	v.safeInteger('must be a whole number'),
	v.minValue(0, 'must not be negative')
);

/** A point in time as milliseconds since 1970 (UTC). */
export const TimestampMsSchema = CounterSchema;
