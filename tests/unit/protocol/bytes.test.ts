// Spec of the strict base64url codec used for every binary field on the wire.

import { describe, expect, it } from 'vitest';
import {
	Base64UrlError,
	base64UrlByteLength,
	base64UrlLength,
	fromBase64Url,
	toBase64Url
} from '../../../src/lib/protocol';

describe('base64url', () => {
	it('matches RFC 4648 base64url without padding', () => {
		for (let n = 0; n < 70; n++) {
			const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 37 + n * 11) & 0xff);
			const expected = Buffer.from(bytes).toString('base64url');
			expect(toBase64Url(bytes)).toBe(expected);
			expect(Buffer.compare(fromBase64Url(expected), bytes)).toBe(0);
			expect(base64UrlLength(n)).toBe(expected.length);
			expect(base64UrlByteLength(expected)).toBe(n);
		}
	});

	it('uses - and _ rather than + and /', () => {
		expect(toBase64Url(new Uint8Array([0xfb, 0xff]))).toBe('-_8');
	});

	it.each([
		['padding', 'AA=='],
		['standard alphabet', 'ab+/'],
		['whitespace', 'AA AA'],
		['non-ASCII', 'AAé'],
		['impossible length', 'AAAAA'],
		['non-zero trailing bits (1 byte)', 'AB'],
		['non-zero trailing bits (2 bytes)', 'AAB']
	])('refuses %s', (_why, text) => {
		expect(() => fromBase64Url(text)).toThrow(Base64UrlError);
		expect(base64UrlByteLength(text)).toBeNull();
	});

	it('gives every byte string exactly one encoding', () => {
		// 'AA' and 'AB' would both decode to [0] under a lenient decoder.
		expect(Buffer.compare(fromBase64Url('AA'), new Uint8Array([0]))).toBe(0);
		expect(() => fromBase64Url('AB')).toThrow(/trailing bits/);
	});
});
