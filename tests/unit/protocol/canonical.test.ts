// Spec of the canonical signed-bytes encoding: deterministic, injective, domain-separated.

import { describe, expect, it } from 'vitest';
import {
	CanonicalEncodingError,
	DomainTag,
	canonicalBytes,
	canonicalJson,
	toBase64Url
} from '../../../src/lib/protocol';

const text = new TextDecoder();

function same(a: Uint8Array, b: Uint8Array): boolean {
	return Buffer.compare(a, b) === 0;
}

describe('canonicalJson', () => {
	it('sorts keys and drops whitespace, whatever the insertion order', () => {
		const a = { b: 1, a: [true, null, 'x'], c: { z: 0, y: -5 } };
		const b = { c: { y: -5, z: 0 }, a: [true, null, 'x'], b: 1 };
		expect(canonicalJson(a)).toBe('{"a":[true,null,"x"],"b":1,"c":{"y":-5,"z":0}}');
		expect(canonicalJson(b)).toBe(canonicalJson(a));
	});

	it('sorts keys by UTF-16 code units, as RFC 8785 does', () => {
		// U+10000 is a surrogate pair (0xD800...), which sorts before U+FB33 in UTF-16.
		const value = { '\u{fb33}': 1, '\u{10000}': 2, a: 3, B: 4, '': 5 };
		expect(canonicalJson(value)).toBe('{"":5,"B":4,"a":3,"\u{10000}":2,"\u{fb33}":1}');
	});

	it('escapes strings as JSON and keeps non-ASCII as UTF-8', () => {
		expect(canonicalJson('a"b\\c\n\u0001é😀')).toBe('"a\\"b\\\\c\\n\\u0001é😀"');
	});

	it('writes binary as base64url, the wire form of binary fields', () => {
		const bytes = new Uint8Array([0xfb, 0xff, 0x00]);
		expect(canonicalJson({ k: bytes })).toBe(`{"k":"${toBase64Url(bytes)}"}`);
	});

	it.each([
		['a float', 1.5],
		['an unsafe integer', 2 ** 53],
		['NaN', Number.NaN],
		['Infinity', Number.POSITIVE_INFINITY],
		['-0', -0],
		['undefined', undefined],
		['an undefined field', { a: undefined }],
		['a bigint', 1n],
		['a function', () => 1],
		['a symbol', Symbol('x')],
		['a Date', new Date(0)],
		['a Map', new Map()],
		['an ArrayBuffer', new ArrayBuffer(2)],
		['a Uint16Array', new Uint16Array(2)],
		// eslint-disable-next-line no-sparse-arrays -- the hole is the point
		['a sparse array', [1, , 3]],
		['a lone surrogate', '\uD800'],
		['a lone surrogate key', { '\uDC00': 1 }],
		['a symbol key', { [Symbol('k')]: 1 }],
		['deep nesting', JSON.parse('['.repeat(40) + ']'.repeat(40))]
	])('refuses %s', (_why, value) => {
		expect(() => canonicalJson(value)).toThrow(CanonicalEncodingError);
	});

	it('refuses cycles', () => {
		const loop: Record<string, unknown> = {};
		loop.self = loop;
		expect(() => canonicalJson(loop)).toThrow(/cycle/);
	});

	it('names the path of the bad value', () => {
		expect(() => canonicalJson({ a: [{ b: 0.5 }] })).toThrow('$.a[0].b: only safe integers');
	});

	it('accepts the same object twice when it is not a cycle', () => {
		const shared = { x: 1 };
		expect(canonicalJson({ a: shared, b: shared })).toBe('{"a":{"x":1},"b":{"x":1}}');
	});
});

describe('canonicalBytes', () => {
	const entry = { albumId: 'AAAAAAAAAAAAAAAAAAAAAA', index: 3, op: 'role', role: 'admin' };

	it('is the domain tag followed by canonical JSON', () => {
		const bytes = canonicalBytes(DomainTag.membershipEntry, entry);
		expect(text.decode(bytes)).toBe(`tessera/v1/membership\0${canonicalJson(entry)}`);
	});

	it('does not depend on field insertion order', () => {
		const reordered = { role: 'admin', op: 'role', index: 3, albumId: 'AAAAAAAAAAAAAAAAAAAAAA' };
		expect(
			same(
				canonicalBytes(DomainTag.membershipEntry, entry),
				canonicalBytes(DomainTag.membershipEntry, reordered)
			)
		).toBe(true);
	});

	it('changes when a field is added, removed or changed', () => {
		const base = canonicalBytes(DomainTag.membershipEntry, entry);
		const variants = [
			{ ...entry, extra: 'x' },
			{ albumId: entry.albumId, index: entry.index, op: entry.op },
			{ ...entry, index: 4 },
			{ ...entry, role: 'viewer' },
			{ ...entry, index: '3' },
			{ ...entry, role: ['admin'] },
			{ ...entry, role: null }
		];
		for (const changed of variants) {
			expect(same(base, canonicalBytes(DomainTag.membershipEntry, changed))).toBe(false);
		}
	});

	it('separates kinds by their domain tag', () => {
		const tags = Object.values(DomainTag);
		expect(new Set(tags).size).toBe(tags.length);
		const encodings = tags.map((tag) => toBase64Url(canonicalBytes(tag, entry)));
		expect(new Set(encodings).size).toBe(tags.length);
	});

	it('never lets a tag and a body run together', () => {
		// Without the NUL terminator these two would produce the same bytes.
		for (const tag of Object.values(DomainTag)) {
			expect(tag.endsWith('\0')).toBe(true);
			expect(tag.indexOf('\0')).toBe(tag.length - 1);
		}
		expect(canonicalJson('\0')).toBe('"\\u0000"');
	});

	it('keeps distinct structures distinct across many random values', () => {
		const seen = new Map<string, string>();
		let seed = 42;
		const rand = (n: number) => {
			seed = (seed * 1103515245 + 12345) & 0x7fffffff;
			return seed % n;
		};
		const gen = (depth: number): unknown => {
			switch (rand(depth > 2 ? 5 : 7)) {
				case 0:
					return null;
				case 1:
					return rand(2) === 0;
				case 2:
					return rand(7) - 3;
				case 3:
					return ['', 'a', 'b', '1', 'null', '"', ','][rand(7)];
				case 4:
					return String.fromCharCode(97 + rand(3));
				case 5:
					return Array.from({ length: rand(3) }, () => gen(depth + 1));
				default: {
					const o: Record<string, unknown> = {};
					for (let i = rand(3); i > 0; i--) o[['a', 'b', 'c'][rand(3)]!] = gen(depth + 1);
					return o;
				}
			}
		};
		for (let i = 0; i < 3000; i++) {
			const value = gen(0);
			const key = toBase64Url(canonicalBytes(DomainTag.envelope, value));
			// The structural identity of a value is its JSON text with sorted keys; equal encodings
			// must only ever come from structurally equal values.
			const identity = JSON.stringify(value, (_k, x: unknown) =>
				x && typeof x === 'object' && !Array.isArray(x)
					? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : 1)))
					: x
			);
			const earlier = seen.get(key);
			if (earlier !== undefined) expect(earlier).toBe(identity);
			seen.set(key, identity);
		}
		expect(seen.size).toBeGreaterThan(100);
	});
});
