// Spec of EXIF reading: exifr reads back what the fixture writer wrote, and the summary always fits the album schema.

import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { ExifSummarySchema } from '../../../src/lib/albums/photo-ref';
import {
	cameraName,
	normalizeExif,
	readExif,
	summarizeExif,
	type RawExif
} from '../../../src/lib/media/exif';
import { insertExif, type ExifFields } from '../../fixtures/exif-writer';
import { makeJpeg } from '../../fixtures/make-jpeg';
import { randomBytes, seededRandom } from './helpers';

const PHONE: ExifFields = {
	make: 'TESSERA-MARKER-make-5f1c',
	model: 'Pixel 8',
	orientation: 6,
	imageDescription: 'TESSERA-MARKER-description-5f1c',
	artist: 'TESSERA-MARKER-artist-5f1c',
	dateTimeOriginal: '2023:07:14 18:30:05',
	offsetTimeOriginal: '+02:00',
	subSecTimeOriginal: '250',
	createDate: '2023:07:14 18:30:06',
	offsetTimeDigitized: '+02:00',
	fNumber: 1.68,
	exposureTime: 1 / 250,
	iso: 64,
	focalLength: 6.9,
	lensModel: 'Pixel 8 back camera 6.9mm f/1.68',
	gps: { lat: -33.856784, lon: 151.215297, timeMs: Date.UTC(2023, 6, 14, 16, 30, 4) }
};

const isValidSummary = (summary: unknown) => v.safeParse(ExifSummarySchema, summary).success;

describe('readExif on real JPEG bytes', () => {
	for (const byteOrder of ['little', 'big'] as const) {
		it(`reads every tag the writer wrote (${byteOrder}-endian TIFF)`, async () => {
			const jpeg = insertExif(makeJpeg({ width: 24, height: 16 }), { ...PHONE, byteOrder });
			const raw = await readExif(jpeg);
			expect(raw).toMatchObject({
				make: PHONE.make,
				model: 'Pixel 8',
				orientation: 6,
				lensModel: PHONE.lensModel,
				iso: 64,
				dateTimeOriginal: '2023:07:14 18:30:05',
				offsetTimeOriginal: '+02:00',
				subSecTimeOriginal: '250',
				createDate: '2023:07:14 18:30:06',
				offsetTimeDigitized: '+02:00',
				gpsTimeMs: Date.UTC(2023, 6, 14, 16, 30, 4)
			});
			expect(raw!.exposureTime).toBeCloseTo(0.004, 9);
			expect(raw!.fNumber).toBeCloseTo(1.68, 9);
			expect(raw!.focalLength).toBeCloseTo(6.9, 9);
			// Southern and eastern hemispheres keep their signs.
			expect(raw!.gpsLatitude).toBeCloseTo(-33.856784, 5);
			expect(raw!.gpsLongitude).toBeCloseTo(151.215297, 5);
		});
	}

	it('maps them to a valid summary holding only what the info panel shows', async () => {
		const raw = await readExif(insertExif(makeJpeg({ width: 8, height: 8 }), PHONE));
		const summary = summarizeExif(raw);
		expect(summary).toEqual({
			camera: `${PHONE.make} Pixel 8`,
			lens: PHONE.lensModel,
			focalLengthMm: 6.9,
			aperture: 1.68,
			exposureSeconds: 0.004,
			iso: 64,
			gps: { lat: -33.856784, lon: 151.215297 }
		});
		expect(isValidSummary(summary)).toBe(true);
		// The description and artist markers stay in the original file: they are not in the summary.
		expect(JSON.stringify(summary)).not.toContain('TESSERA-MARKER-description');
		expect(JSON.stringify(summary)).not.toContain('TESSERA-MARKER-artist');
	});

	it('returns null for a JPEG without EXIF and for bytes that are no image', async () => {
		expect(await readExif(makeJpeg({ width: 8, height: 8 }))).toBeNull();
		expect(await readExif(new TextEncoder().encode('%PDF-1.7 not a photo'))).toBeNull();
		expect(await readExif(new Uint8Array(0))).toBeNull();
	});

	it('never throws on damaged EXIF: cut short, or bytes overwritten at random', async () => {
		const jpeg = insertExif(makeJpeg({ width: 8, height: 8 }), PHONE);
		const random = seededRandom(3);
		for (let i = 0; i < 60; i++) {
			const damaged = jpeg.slice();
			// The APP1 segment is the first ~500 bytes; hit it.
			for (let k = 0; k < 8; k++)
				damaged[4 + Math.floor(random() * 480)] = Math.floor(random() * 256);
			const raw = await readExif(i % 3 === 0 ? damaged.subarray(0, 20 + i * 7) : damaged);
			expect(isValidSummary(summarizeExif(raw) ?? {})).toBe(true);
		}
	});
});

describe('summarizeExif', () => {
	it('cuts long names to the schema limit without splitting a character', () => {
		const summary = summarizeExif({
			model: `${'x'.repeat(119)}😀tail`,
			lensModel: 'L'.repeat(500)
		});
		expect(summary!.camera).toBe('x'.repeat(119));
		expect(summary!.lens).toHaveLength(120);
		expect(isValidSummary(summary)).toBe(true);
	});

	it('leaves out values the schema would refuse or no camera writes', () => {
		const summary = summarizeExif({
			fNumber: 0,
			exposureTime: -1,
			iso: 1e12,
			focalLength: Number.POSITIVE_INFINITY,
			gpsLatitude: 0,
			gpsLongitude: 0
		});
		expect(summary).toBeUndefined();
		expect(summarizeExif({ iso: 0.4 })).toBeUndefined();
		expect(summarizeExif(null)).toBeUndefined();
	});

	it('keeps every summary valid whatever exifr hands over (seeded random input)', () => {
		const random = seededRandom(2024);
		const values: (() => unknown)[] = [
			() => random() * 10 ** Math.floor(random() * 14) * (random() < 0.3 ? -1 : 1),
			() => Number.NaN,
			() => Number.POSITIVE_INFINITY,
			() => String.fromCharCode(...randomBytes(random, Math.floor(random() * 300))),
			() => [random() * 200, random() * 120, random() * 120],
			() => Uint16Array.of(Math.floor(random() * 70000), 0),
			() => randomBytes(random, 4),
			() => ({ nested: true }),
			() => null,
			() => (random() < 0.5 ? 'N' : 'W'),
			() => '2023:13:45 99:99:99'
		];
		const pick = () => values[Math.floor(random() * values.length)]!();
		for (let i = 0; i < 2000; i++) {
			const output = {
				ifd0: { Make: pick(), Model: pick(), Orientation: pick() },
				exif: {
					ExposureTime: pick(),
					FNumber: pick(),
					ISO: pick(),
					FocalLength: pick(),
					LensModel: pick(),
					DateTimeOriginal: pick()
				},
				gps: {
					GPSLatitude: pick(),
					GPSLatitudeRef: pick(),
					GPSLongitude: pick(),
					GPSLongitudeRef: pick(),
					GPSDateStamp: pick(),
					GPSTimeStamp: pick()
				}
			};
			const raw: RawExif = normalizeExif(output);
			const summary = summarizeExif(raw);
			expect(summary === undefined || isValidSummary(summary), JSON.stringify(output)).toBe(true);
		}
		expect(normalizeExif(undefined)).toEqual({});
		expect(normalizeExif('junk')).toEqual({});
	});
});

describe('cameraName', () => {
	it.each([
		['Canon', 'Canon EOS R5', 'Canon EOS R5'],
		['NIKON CORPORATION', 'NIKON D750', 'NIKON D750'],
		['OLYMPUS IMAGING CORP.', 'E-M10', 'OLYMPUS E-M10'],
		['EASTMAN KODAK COMPANY', 'KODAK EASYSHARE C195', 'KODAK EASYSHARE C195'],
		['Apple', 'iPhone 15 Pro', 'Apple iPhone 15 Pro'],
		['samsung', 'SM-S918B', 'samsung SM-S918B'],
		['FUJIFILM', 'X-T4', 'FUJIFILM X-T4'],
		['LEICA CAMERA AG', 'LEICA Q2', 'LEICA Q2'],
		['  Google\u0000 ', ' Pixel\t8  ', 'Google Pixel 8'],
		[undefined, 'Model only', 'Model only'],
		['Make only', undefined, 'Make only']
	])('%s + %s = %s', (make, model, expected) => {
		expect(cameraName(make, model)).toBe(expected);
	});

	it('is undefined when there is nothing printable', () => {
		expect(cameraName(undefined, undefined)).toBeUndefined();
		expect(cameraName('\u0000\u0001', '   ')).toBeUndefined();
	});
});
