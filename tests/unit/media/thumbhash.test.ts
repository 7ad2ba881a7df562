// Spec of ThumbHash encoding: a few bytes that decode to the image's colours and shape, and refusal of bad input.

import { thumbHashToAverageRGBA } from 'thumbhash';
import { describe, expect, it } from 'vitest';
import {
	encodeThumbhash,
	thumbhashAspectRatio,
	thumbhashDataUrl
} from '../../../src/lib/media/thumbhash';

function solid(width: number, height: number, [r, g, b]: [number, number, number]): Uint8Array {
	const rgba = new Uint8Array(width * height * 4);
	for (let i = 0; i < rgba.length; i += 4) rgba.set([r, g, b, 255], i);
	return rgba;
}

describe('encodeThumbhash', () => {
	it('encodes a small image into a placeholder with its colour and aspect ratio', () => {
		const hash = encodeThumbhash(100, 50, solid(100, 50, [200, 40, 40]));
		expect(hash.length).toBeGreaterThan(4);
		expect(hash.length).toBeLessThanOrEqual(64); // PhotoRef.thumbhash holds up to 64 bytes
		const average = thumbHashToAverageRGBA(hash);
		expect(average.r).toBeGreaterThan(average.g + 0.4);
		expect(thumbhashAspectRatio(hash)).toBeGreaterThan(1.7);
		expect(thumbhashDataUrl(hash)).toMatch(/^data:image\/png;base64,/);
	});

	it('refuses sizes over 100 px and pixel arrays of the wrong length', () => {
		expect(() => encodeThumbhash(101, 10, solid(101, 10, [0, 0, 0]))).toThrow(RangeError);
		expect(() => encodeThumbhash(0, 10, new Uint8Array(0))).toThrow(RangeError);
		expect(() => encodeThumbhash(10, 10, new Uint8Array(10))).toThrow(RangeError);
	});
});
