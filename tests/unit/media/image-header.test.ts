// Spec of header sizes: the size of an image this browser cannot decode, and the guard against pixel bombs.

import { describe, expect, it } from 'vitest';
import { orientedSize, readImageSize } from '../../../src/lib/media/image-header';
import { insertExif } from '../../fixtures/exif-writer';
import { makeJpeg } from '../../fixtures/make-jpeg';
import { ascii, heifHeader, randomBytes, seededRandom } from './helpers';

const le16 = (n: number) => [n & 0xff, n >> 8];
const le24 = (n: number) => [n & 0xff, (n >> 8) & 0xff, n >> 16];

describe('readImageSize', () => {
	it('reads JPEG sizes from the frame header, past an EXIF segment', () => {
		const jpeg = makeJpeg({ width: 37, height: 21 });
		expect(readImageSize(jpeg, 'image/jpeg')).toEqual({ width: 37, height: 21 });
		const withExif = insertExif(jpeg, { make: 'M'.repeat(2000), orientation: 6 });
		expect(readImageSize(withExif, 'image/jpeg')).toEqual({ width: 37, height: 21 });
	});

	it('reads PNG, GIF and the three kinds of WebP', () => {
		const png = Uint8Array.from([
			0x89,
			0x50,
			0x4e,
			0x47,
			0x0d,
			0x0a,
			0x1a,
			0x0a,
			0,
			0,
			0,
			13,
			...ascii('IHDR'),
			...[0, 0, 0x0f, 0xa0], // 4000
			...[0, 0, 0x0b, 0xb8] // 3000
		]);
		expect(readImageSize(png, 'image/png')).toEqual({ width: 4000, height: 3000 });
		const gif = Uint8Array.from([...ascii('GIF89a'), ...le16(320), ...le16(240)]);
		expect(readImageSize(gif, 'image/gif')).toEqual({ width: 320, height: 240 });

		const riff = (chunk: string, body: number[]) =>
			Uint8Array.from([
				...ascii('RIFF'),
				0,
				0,
				0,
				0,
				...ascii('WEBP'),
				...ascii(chunk),
				0,
				0,
				0,
				0,
				...body
			]);
		const lossy = riff('VP8 ', [0, 0, 0, 0x9d, 0x01, 0x2a, ...le16(1920), ...le16(1080)]);
		expect(readImageSize(lossy, 'image/webp')).toEqual({ width: 1920, height: 1080 });
		const bits = (1024 - 1) | ((768 - 1) << 14);
		const lossless = riff('VP8L', [
			0x2f,
			bits & 0xff,
			(bits >> 8) & 0xff,
			(bits >> 16) & 0xff,
			bits >>> 24
		]);
		expect(readImageSize(lossless, 'image/webp')).toEqual({ width: 1024, height: 768 });
		const extended = riff('VP8X', [0, 0, 0, 0, ...le24(5000 - 1), ...le24(2500 - 1)]);
		expect(readImageSize(extended, 'image/webp')).toEqual({ width: 5000, height: 2500 });
	});

	it('reads HEIF and AVIF sizes: the largest image item, with its rotation', () => {
		// An iPhone HEIC: 512x512 tiles, a 4032x3024 grid, a 320x240 thumbnail, rotated 90°.
		const heic = heifHeader(
			'heic',
			['mif1', 'heic'],
			[
				[512, 512],
				[4032, 3024],
				[320, 240]
			],
			3
		);
		const size = readImageSize(heic, 'image/heic');
		expect(size).toEqual({ width: 4032, height: 3024, quarterTurns: 3 });
		expect(orientedSize(size!, 1)).toEqual({ width: 3024, height: 4032 });

		const avif = heifHeader('avif', ['mif1', 'miaf'], [[1200, 800]]);
		expect(readImageSize(avif, 'image/avif')).toEqual({ width: 1200, height: 800 });
	});

	it('swaps width and height for EXIF orientations 5-8 only', () => {
		const stored = { width: 40, height: 30 };
		for (const orientation of [1, 2, 3, 4])
			expect(orientedSize(stored, orientation)).toEqual(stored);
		for (const orientation of [5, 6, 7, 8]) {
			expect(orientedSize(stored, orientation)).toEqual({ width: 30, height: 40 });
		}
		// HEIF's own rotation wins over EXIF, which such files repeat for other readers.
		expect(orientedSize({ ...stored, quarterTurns: 0 }, 6)).toEqual(stored);
	});

	it('returns null, never throws, on truncated or hostile headers', () => {
		const random = seededRandom(11);
		const jpeg = makeJpeg({ width: 16, height: 16 });
		const heic = heifHeader('heic', ['heic'], [[100, 100]], 1);
		for (let n = 0; n < jpeg.length; n += 7) {
			expect(() => readImageSize(jpeg.subarray(0, n), 'image/jpeg')).not.toThrow();
		}
		for (let n = 0; n < heic.length; n += 3) {
			expect(() => readImageSize(heic.subarray(0, n), 'image/heic')).not.toThrow();
		}
		for (let i = 0; i < 300; i++) {
			const junk = randomBytes(random, 1 + Math.floor(random() * 200));
			for (const mime of ['image/jpeg', 'image/png', 'image/gif', 'image/webp', 'image/heic']) {
				expect(() => readImageSize(junk, mime)).not.toThrow();
			}
		}
		expect(readImageSize(jpeg.subarray(0, 20), 'image/jpeg')).toBeNull();
		expect(readImageSize(new Uint8Array(0), 'image/heic')).toBeNull();
		expect(readImageSize(jpeg, 'video/mp4')).toBeNull();
	});
});
