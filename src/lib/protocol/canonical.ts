// The one canonical byte encoding of everything that is signed: a domain tag, then canonical JSON.

import { toBase64Url } from './bytes';

/**
 * Domain-separation tags. Each kind of signed or hashed structure has its own, so a signature made
 * for one kind can never be replayed as another. Every tag ends in NUL; canonical JSON never contains
 * a raw NUL (JSON escapes control characters), so the tag and the body cannot run into each other.
 */
export const DomainTag = {
	/** What a membership entry's `sig` covers: the entry without `sig`. */
	membershipEntry: 'tessera/v1/membership\0',
	/** What the next entry's `prev` hashes: the whole signed entry, `sig` included. */
	membershipHash: 'tessera/v1/membership-hash\0',
	/** The AEAD associated data of a doc envelope: its header. */
	envelopeHeader: 'tessera/v1/envelope-header\0',
	/** What a doc envelope's `sig` covers: header, nonce and ciphertext. */
	envelope: 'tessera/v1/envelope\0'
} as const;

export type DomainTag = (typeof DomainTag)[keyof typeof DomainTag];

/** The values canonical JSON can hold. Uint8Array is written as its base64url string. */
export type CanonicalValue =
	| null
	| boolean
	| number
	| string
	| Uint8Array
	| readonly CanonicalValue[]
	| { readonly [key: string]: CanonicalValue };

/** A value that has no canonical encoding (float, undefined, Map, cycle, lone surrogate, ...). */
export class CanonicalEncodingError extends Error {
	readonly code = 'non-canonical-value';
	constructor(
		readonly path: string,
		problem: string
	) {
		super(`${path}: ${problem}`);
		this.name = 'CanonicalEncodingError';
	}
}

const MAX_DEPTH = 32;
// With the u flag a surrogate range matches only unpaired surrogates, which UTF-8 cannot carry.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;
const utf8 = new TextEncoder();

/**
 * Canonical JSON in the spirit of RFC 8785: object keys sorted by UTF-16 code units, no whitespace,
 * only safe integers (no floats, no -0), strings as JSON strings of well-formed Unicode, binary as
 * base64url strings, plain objects and dense arrays only. Anything else throws, so no value has two
 * encodings and no two values share one. The one deliberate identity: a Uint8Array encodes exactly
 * as its base64url string, because that is the wire form of binary fields, and a signer holding
 * bytes must produce what a verifier holding the wire text recomputes.
 */
export function canonicalJson(value: unknown): string {
	return encode(value, '$', 0, new Set());
}

/** The bytes to sign or hash: UTF-8 of `tag` followed by UTF-8 of canonicalJson(value). */
export function canonicalBytes(tag: DomainTag, value: unknown): Uint8Array {
	if (!tag.endsWith('\0') || tag.indexOf('\0') !== tag.length - 1) {
		throw new CanonicalEncodingError('tag', 'a domain tag must end with its only NUL');
	}
	const head = utf8.encode(tag);
	const body = utf8.encode(canonicalJson(value));
	const out = new Uint8Array(head.length + body.length);
	out.set(head, 0);
	out.set(body, head.length);
	return out;
}

function encode(value: unknown, path: string, depth: number, ancestors: Set<object>): string {
	switch (typeof value) {
		case 'boolean':
			return value ? 'true' : 'false';
		case 'number':
			if (!Number.isSafeInteger(value)) {
				throw new CanonicalEncodingError(path, `only safe integers are allowed (got ${value})`);
			}
			if (Object.is(value, -0)) throw new CanonicalEncodingError(path, '-0 is not allowed');
			return String(value);
		case 'string':
			return encodeString(value, path);
		case 'object':
			break;
		default:
			throw new CanonicalEncodingError(path, `${typeof value} has no canonical encoding`);
	}
	if (value === null) return 'null';
	if (value instanceof Uint8Array) return JSON.stringify(toBase64Url(value));
	if (depth >= MAX_DEPTH) throw new CanonicalEncodingError(path, 'nesting is too deep');
	if (ancestors.has(value)) throw new CanonicalEncodingError(path, 'cycle');
	ancestors.add(value);
	try {
		if (Array.isArray(value)) return encodeArray(value, path, depth, ancestors);
		const proto: unknown = Object.getPrototypeOf(value);
		if (proto !== Object.prototype && proto !== null) {
			const name = (value as { constructor?: { name?: string } }).constructor?.name ?? 'object';
			throw new CanonicalEncodingError(path, `${name} has no canonical encoding`);
		}
		return encodeObject(value as Record<string, unknown>, path, depth, ancestors);
	} finally {
		ancestors.delete(value);
	}
}

function encodeString(text: string, path: string): string {
	if (LONE_SURROGATE.test(text)) {
		throw new CanonicalEncodingError(path, 'string holds an unpaired surrogate');
	}
	// ECMAScript's JSON.stringify escaping of strings is the one RFC 8785 prescribes.
	return JSON.stringify(text);
}

function encodeArray(
	items: readonly unknown[],
	path: string,
	depth: number,
	ancestors: Set<object>
): string {
	const parts: string[] = [];
	for (let i = 0; i < items.length; i++) {
		if (!(i in items)) throw new CanonicalEncodingError(`${path}[${i}]`, 'arrays must be dense');
		parts.push(encode(items[i], `${path}[${i}]`, depth + 1, ancestors));
	}
	return `[${parts.join(',')}]`;
}

function encodeObject(
	record: Record<string, unknown>,
	path: string,
	depth: number,
	ancestors: Set<object>
): string {
	if (Object.getOwnPropertySymbols(record).length > 0) {
		throw new CanonicalEncodingError(path, 'symbol keys have no canonical encoding');
	}
	// The default sort compares UTF-16 code units, which is the order RFC 8785 prescribes.
	const keys = Object.keys(record).sort();
	const parts: string[] = [];
	for (const key of keys) {
		const childPath = `${path}.${key}`;
		if (record[key] === undefined) {
			throw new CanonicalEncodingError(childPath, 'undefined is not allowed (omit the key)');
		}
		parts.push(
			`${encodeString(key, childPath)}:${encode(record[key], childPath, depth + 1, ancestors)}`
		);
	}
	return `{${parts.join(',')}}`;
}
