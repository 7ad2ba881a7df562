// Identifiers on the wire: random ids (album, link, blob), public keys and doc ids, with validators.

import * as v from 'valibot';
import { base64UrlByteLength, base64UrlLength } from './bytes';
import { ED25519_PUBLIC_KEY_BYTES, MAX_RANDOM_ID_BYTES, MIN_RANDOM_ID_BYTES } from './limits';

/**
 * albumId, linkId and blobId are canonical base64url (no padding) of 16 to 32 random bytes: 22 to
 * 43 characters from [A-Za-z0-9_-]. The character class alone already rules out '.', '/', '%' and
 * NUL, so an id can never name a path outside its folder; the canonical check on top makes each id
 * stand for exactly one byte string (lengths like 25 or trailing-bit variants are refused).
 */
export const RANDOM_ID_PATTERN = /^[A-Za-z0-9_-]{22,43}$/;

/** An Ed25519 public key as canonical base64url: exactly 43 characters. */
export const PUBLIC_KEY_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/**
 * docId = `album` | `contrib:<memberPk>` | `activity:<memberPk>` | `inbox:<linkId>`, where memberPk
 * is the member's Ed25519 signing key and linkId a random id.
 */
export const DOC_ID_PATTERN =
	/^(?:album|(?:contrib|activity):[A-Za-z0-9_-]{43}|inbox:[A-Za-z0-9_-]{22,43})$/;

export type DocKind = 'album' | 'contrib' | 'activity' | 'inbox';

export type ParsedDocId =
	| { kind: 'album' }
	| { kind: 'contrib'; memberPk: string }
	| { kind: 'activity'; memberPk: string }
	| { kind: 'inbox'; linkId: string };

function isRandomId(value: unknown): value is string {
	if (typeof value !== 'string' || !RANDOM_ID_PATTERN.test(value)) return false;
	const n = base64UrlByteLength(value);
	return n !== null && n >= MIN_RANDOM_ID_BYTES && n <= MAX_RANDOM_ID_BYTES;
}

export function isAlbumId(value: unknown): value is string {
	return isRandomId(value);
}

export function isLinkId(value: unknown): value is string {
	return isRandomId(value);
}

export function isBlobId(value: unknown): value is string {
	return isRandomId(value);
}

export function isPublicKey(value: unknown): value is string {
	return (
		typeof value === 'string' &&
		PUBLIC_KEY_PATTERN.test(value) &&
		base64UrlByteLength(value) === ED25519_PUBLIC_KEY_BYTES
	);
}

/** Splits a docId into its kind and owner, or returns null when it is not a valid docId. */
export function parseDocId(value: unknown): ParsedDocId | null {
	if (typeof value !== 'string' || !DOC_ID_PATTERN.test(value)) return null;
	if (value === 'album') return { kind: 'album' };
	const colon = value.indexOf(':');
	const prefix = value.slice(0, colon);
	const rest = value.slice(colon + 1);
	if (prefix === 'inbox') return isLinkId(rest) ? { kind: 'inbox', linkId: rest } : null;
	if (!isPublicKey(rest)) return null;
	return prefix === 'contrib'
		? { kind: 'contrib', memberPk: rest }
		: { kind: 'activity', memberPk: rest };
}

export function isDocId(value: unknown): value is string {
	return parseDocId(value) !== null;
}

const randomIdMessage = `must be base64url of ${MIN_RANDOM_ID_BYTES} to ${MAX_RANDOM_ID_BYTES} bytes (${base64UrlLength(MIN_RANDOM_ID_BYTES)} to ${base64UrlLength(MAX_RANDOM_ID_BYTES)} characters from A-Z a-z 0-9 _ -)`;

export const AlbumIdSchema = v.pipe(
	v.string(),
	v.check((text: string) => isAlbumId(text), randomIdMessage)
);
export const LinkIdSchema = v.pipe(
	v.string(),
	v.check((text: string) => isLinkId(text), randomIdMessage)
);
export const BlobIdSchema = v.pipe(
	v.string(),
	v.check((text: string) => isBlobId(text), randomIdMessage)
);
export const PublicKeySchema = v.pipe(
	v.string(),
	v.check(
		(text: string) => isPublicKey(text),
		`must be an Ed25519 public key: base64url of ${ED25519_PUBLIC_KEY_BYTES} bytes`
	)
);
export const DocIdSchema = v.pipe(
	v.string(),
	v.maxLength(64, 'is too long for a docId'),
	v.check(
		(text: string) => isDocId(text),
		'must be "album", "contrib:<memberPk>", "activity:<memberPk>" or "inbox:<linkId>"'
	)
);
