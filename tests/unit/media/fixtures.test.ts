// Spec of the test fixtures: the JPEG encoder writes well-formed baseline JPEGs, the EXIF writer a segment exifr reads.

import { describe, expect, it } from 'vitest';
import { readExif } from '../../../src/lib/media/exif';
import { readImageSize } from '../../../src/lib/media/image-header';
import { sniffMediaType } from '../../../src/lib/media/mime';
import { exifSegment, insertExif } from '../../fixtures/exif-writer';
import { makeJpeg, solidJpeg } from '../../fixtures/make-jpeg';

/** Walks the segments after SOI: their markers up to SOS, and where the scan's data starts. */
function walk(jpeg: Uint8Array): { markers: number[]; scanStart: number } {
	const markers: number[] = [];
	let at = 2;
	while (at + 4 <= jpeg.length && jpeg[at] === 0xff) {
		const marker = jpeg[at + 1]!;
		markers.push(marker);
		at += 2 + ((jpeg[at + 2]! << 8) | jpeg[at + 3]!);
		if (marker === 0xda) break;
	}
	return { markers, scanStart: at };
}

const markers = (jpeg: Uint8Array) => walk(jpeg).markers;

describe('makeJpeg', () => {
	it('writes SOI, JFIF, tables, a baseline frame of the asked size, one scan and EOI', () => {
		const jpeg = makeJpeg({ width: 37, height: 21 });
		expect([jpeg[0], jpeg[1]]).toEqual([0xff, 0xd8]);
		expect(markers(jpeg)).toEqual([0xe0, 0xdb, 0xc0, 0xc4, 0xda]);
		expect([jpeg.at(-2), jpeg.at(-1)]).toEqual([0xff, 0xd9]);
		expect(readImageSize(jpeg, 'image/jpeg')).toEqual({ width: 37, height: 21 });
		expect(sniffMediaType(jpeg)?.mime).toBe('image/jpeg');
	});

	it('never lets a 0xFF byte in the scan pass for a marker', () => {
		const noisy = makeJpeg({
			width: 64,
			height: 64,
			quality: 100,
			pixel: (x, y) => [(x * 73 + y * 151) & 0xff, (x * y) & 0xff, (x ^ y) * 4]
		});
		const { scanStart } = walk(noisy);
		expect(noisy.subarray(scanStart, noisy.length - 2)).toContain(0xff);
		for (let i = scanStart; i < noisy.length - 2; i++) {
			if (noisy[i] === 0xff) expect(noisy[i + 1], `byte ${i}`).toBe(0x00);
		}
	});

	it('spends bytes on detail: a solid colour is smaller than a gradient, lower quality smaller still', () => {
		const solid = solidJpeg(64, 64, [10, 200, 30]).length;
		const gradient = makeJpeg({ width: 64, height: 64, quality: 95 }).length;
		const rough = makeJpeg({ width: 64, height: 64, quality: 30 }).length;
		expect(solid).toBeLessThan(gradient);
		expect(rough).toBeLessThan(gradient);
	});

	it('refuses sizes no JPEG can have', () => {
		expect(() => makeJpeg({ width: 0, height: 8 })).toThrow(RangeError);
		expect(() => makeJpeg({ width: 8.5, height: 8 })).toThrow(RangeError);
		expect(() => makeJpeg({ width: 70000, height: 8 })).toThrow(RangeError);
	});
});

describe('insertExif', () => {
	const jpeg = makeJpeg({ width: 16, height: 8 });

	it('puts the EXIF segment right after SOI and keeps the image bytes', () => {
		const withExif = insertExif(jpeg, { make: 'TESSERA-MARKER-make' });
		const segment = exifSegment({ make: 'TESSERA-MARKER-make' });
		expect(Buffer.compare(withExif.subarray(2, 2 + segment.length), segment)).toBe(0);
		expect(Buffer.compare(withExif.subarray(2 + segment.length), jpeg.subarray(2))).toBe(0);
		expect(markers(withExif)[0]).toBe(0xe1);
	});

	it('writes big-endian TIFF when asked', () => {
		const segment = exifSegment({ byteOrder: 'big', model: 'M' });
		expect(String.fromCharCode(segment[10]!, segment[11]!)).toBe('MM');
		expect(String.fromCharCode(exifSegment({ model: 'M' })[10]!)).toBe('I');
	});

	it('replaces earlier EXIF, so readers never see stale values', async () => {
		const once = insertExif(jpeg, { make: 'Old', orientation: 3 });
		const twice = insertExif(once, { make: 'New' });
		expect(markers(twice).filter((m) => m === 0xe1)).toHaveLength(1);
		const raw = await readExif(twice);
		expect(raw?.make).toBe('New');
		expect(raw?.orientation).toBeUndefined();
	});

	it('refuses bytes that are not a JPEG and EXIF too large for one segment', () => {
		expect(() => insertExif(new Uint8Array([1, 2, 3]), {})).toThrow(/not a JPEG/);
		expect(() => insertExif(jpeg, { imageDescription: 'x'.repeat(70_000) })).toThrow(/segment/);
	});
});
