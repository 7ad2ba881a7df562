// base64url: RFC 4648 output, and exactly one accepted spelling per byte string.

import { describe, expect, it } from 'vitest';
import { FormatError, fromBase64Url, randomBytes, toBase64Url } from '../../../src/lib/crypto';
import { sameBytes } from './helpers';

describe('toBase64Url / fromBase64Url', () => {
	it('matches the RFC 4648 vectors, unpadded', () => {
		const cases: [string, string][] = [
			['', ''],
			['f', 'Zg'],
			['fo', 'Zm8'],
			['foo', 'Zm9v'],
			['foob', 'Zm9vYg'],
			['fooba', 'Zm9vYmE'],
			['foobar', 'Zm9vYmFy']
		];
		for (const [text, encoded] of cases) {
			expect(toBase64Url(new TextEncoder().encode(text))).toBe(encoded);
			expect(new TextDecoder().decode(fromBase64Url(encoded))).toBe(text);
		}
	});

	it('agrees with Node for every length up to 100, including - and _', () => {
		for (let length = 0; length <= 100; length++) {
			const bytes = randomBytes(length);
			const encoded = toBase64Url(bytes);
			expect(encoded).toBe(Buffer.from(bytes).toString('base64url'));
			expect(sameBytes(fromBase64Url(encoded), bytes)).toBe(true);
		}
		expect(toBase64Url(new Uint8Array([0xfb, 0xff]))).toBe('-_8');
	});

	it('rejects padding, whitespace, the standard alphabet, bad lengths and non-canonical endings', () => {
		for (const bad of ['Zg==', 'Zm9v\n', ' Zm9v', 'Zm+v', 'Zm/v', 'Z', 'Zh', 'Zm9', 'Zm9vé']) {
			expect(() => fromBase64Url(bad), bad).toThrow(FormatError);
		}
		expect(fromBase64Url('Zm8').length).toBe(2);
	});

	it('checks the decoded length when asked', () => {
		expect(() => fromBase64Url('Zm9v', 4)).toThrow(/expected 4 bytes/);
		expect(fromBase64Url('Zm9v', 3).length).toBe(3);
	});
});
