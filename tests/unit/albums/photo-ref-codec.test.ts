// Spec of the PhotoRef binary form: lossless round trips, the schema's limits kept, and hostile bytes refused without a throw.

import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { PhotoRefSchema, readPhotoRef, type PhotoRef } from '../../../src/lib/albums';
import {
	PHOTO_REF_FORMAT_VERSION,
	decodePhotoRef,
	encodePhotoRef
} from '../../../src/lib/albums/photo-ref-codec';
import { toBase64Url } from '../../../src/lib/protocol';
import { photoFrom, seededRandom } from './helpers';

const MS_PER_DAY = 24 * 3600 * 1000;

/** A PhotoRef with every optional field present or not, drawn from `random`. */
function anyPhotoRef(random: (length: number) => Uint8Array): PhotoRef {
	const n = random(16);
	const bits = (i: number) => (n[i]! & 1) === 1;
	const id = (length = 16) => toBase64Url(random(length));
	const ref: PhotoRef = {
		id: id(16 + (n[0]! % 17)),
		fileKey: id(32),
		blobs: { original: id(16 + (n[1]! % 17)) },
		mime: ['image/jpeg', 'image/heic', 'video/mp4', 'image/svg+xml', 'video/x-m4v'][n[2]! % 5]!,
		size: [0, 1, 127, 128, 16_383, 16_384, 2 ** 32, Number.MAX_SAFE_INTEGER][n[3]! % 8]!,
		width: [0, 1, 4032, 1_000_000][n[4]! % 4]!,
		height: [0, 63, 64, 3024][n[5]! % 4]!,
		takenAt: [0, -1, 63, 64, -64, -65, 1_700_000_000_123, -2_208_988_800_000][n[6]! % 8]!,
		filename: ['', 'IMG_0001.HEIC', 'été à Zürich.jpg', '写真 🌅.png', 'x'.repeat(255)][n[7]! % 5]!,
		addedAt: [0, 1_800_000_000_000, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER][n[8]! % 4]!,
		addedBy: id(32)
	};
	if (bits(9)) ref.blobs.thumb = id(32);
	if (bits(10)) ref.blobs.preview = id(16);
	if (n[11]! % 3 === 0) ref.thumbhash = id(1 + (n[12]! % 64));
	if (bits(12)) ref.durationMs = [0, 12_345, 7 * MS_PER_DAY][n[13]! % 3];
	if (bits(13)) ref.contentHash = id(32);
	if (bits(14)) ref.caption = ['', 'Sunset 🌅', 'é'.repeat(2000)][n[15]! % 3];
	if (n[15]! % 4 !== 0) {
		const e = random(8);
		ref.exif = {};
		if (e[0]! & 1) ref.exif.camera = 'Apple iPhone 14 Pro';
		if (e[0]! & 2) ref.exif.lens = 'ü'.repeat(120);
		if (e[0]! & 4) ref.exif.focalLengthMm = [0, 6.86, 100_000][e[1]! % 3];
		if (e[0]! & 8) ref.exif.aperture = [0, 1.78, 1000][e[2]! % 3];
		if (e[0]! & 16) ref.exif.exposureSeconds = [1 / 60, 0, 100_000][e[3]! % 3];
		if (e[0]! & 32) ref.exif.iso = [0, 50, 10_000_000][e[4]! % 3];
		if (e[0]! & 64)
			ref.exif.gps = [
				{ lat: -90, lon: 180 },
				{ lat: 48.8566, lon: 2.3522 }
			][e[5]! % 2];
	}
	return ref;
}

const valid = (value: unknown) => v.is(PhotoRefSchema, value);

describe('encodePhotoRef / decodePhotoRef', () => {
	it('gives back every PhotoRef exactly, optional fields, limits and non-ASCII text included', () => {
		const random = seededRandom(0x9e1);
		for (let i = 0; i < 500; i++) {
			const ref = anyPhotoRef(random);
			expect(valid(ref)).toBe(true);
			const bytes = encodePhotoRef(ref);
			expect(bytes[0]).toBe(PHOTO_REF_FORMAT_VERSION);
			expect(decodePhotoRef(bytes)).toEqual(ref);
			expect(readPhotoRef(bytes)).toEqual(ref);
		}
	});

	it('is about half the size of the same PhotoRef as JSON', () => {
		const random = seededRandom(0x9e2);
		const addedBy = toBase64Url(random(32));
		let binary = 0;
		let json = 0;
		for (let i = 0; i < 200; i++) {
			const ref: PhotoRef = { ...photoFrom(random), addedAt: 1_800_000_000_000, addedBy };
			binary += encodePhotoRef(ref).length;
			json += new TextEncoder().encode(JSON.stringify(ref)).length;
		}
		expect(binary).toBeLessThan(json * 0.55);
	});

	it('takes its values from the bytes only, whatever strings the reader expected', () => {
		const random = seededRandom(0x9e3);
		const ref = anyPhotoRef(random);
		const other = anyPhotoRef(random);
		const bytes = encodePhotoRef(ref);
		expect(decodePhotoRef(bytes, { id: other.id, addedBy: other.addedBy })).toEqual(ref);
		expect(decodePhotoRef(bytes, { id: ref.id, addedBy: null })).toEqual(ref);
	});
});

describe('the limits of PhotoRefSchema, in the binary form', () => {
	const random = seededRandom(0x11e);
	const base: PhotoRef = {
		id: toBase64Url(random(16)),
		fileKey: toBase64Url(random(32)),
		blobs: { original: toBase64Url(random(16)) },
		mime: 'image/jpeg',
		size: 1000,
		width: 4032,
		height: 3024,
		takenAt: 1_700_000_000_000,
		filename: 'IMG_0001.JPG',
		addedAt: 1_800_000_000_000,
		addedBy: toBase64Url(random(32))
	};
	const over: [string, PhotoRef][] = [
		['an id of 15 bytes', { ...base, id: toBase64Url(random(15)) }],
		['an id of 33 bytes', { ...base, id: toBase64Url(random(33)) }],
		['a blob id of 15 bytes', { ...base, blobs: { original: toBase64Url(random(15)) } }],
		[
			'a thumb id of 33 bytes',
			{ ...base, blobs: { ...base.blobs, thumb: toBase64Url(random(33)) } }
		],
		['a mime type that is not image/* or video/*', { ...base, mime: 'text/html' }],
		['a mime type with upper case', { ...base, mime: 'image/JPEG' }],
		['a mime type of 101 characters', { ...base, mime: 'image/' + 'a'.repeat(95) }],
		['a width over 1,000,000 px', { ...base, width: 1_000_001 }],
		['a height over 1,000,000 px', { ...base, height: 1_000_001 }],
		['an empty thumbhash', { ...base, thumbhash: '' }],
		['a thumbhash of 65 bytes', { ...base, thumbhash: toBase64Url(random(65)) }],
		['a video over a week long', { ...base, durationMs: 7 * MS_PER_DAY + 1 }],
		['a filename of 256 characters', { ...base, filename: 'x'.repeat(256) }],
		['a caption of 2001 characters', { ...base, caption: 'é'.repeat(2001) }],
		['a camera name of 121 characters', { ...base, exif: { camera: 'c'.repeat(121) } }],
		['a negative focal length', { ...base, exif: { focalLengthMm: -1 } }],
		['a focal length over 100,000 mm', { ...base, exif: { focalLengthMm: 100_000.5 } }],
		['an aperture that is not a number', { ...base, exif: { aperture: NaN } }],
		['an infinite exposure', { ...base, exif: { exposureSeconds: Infinity } }],
		['an ISO over 10,000,000', { ...base, exif: { iso: 10_000_001 } }],
		['a latitude of 90.5', { ...base, exif: { gps: { lat: 90.5, lon: 0 } } }],
		['a longitude of -180.5', { ...base, exif: { gps: { lat: 0, lon: -180.5 } } }]
	];

	it.each(over)('refuses %s, as the schema does', (_what, ref) => {
		expect(valid(ref)).toBe(false);
		expect(decodePhotoRef(encodePhotoRef(ref))).toBeNull();
	});

	it('accepts a PhotoRef at every limit', () => {
		const atLimits: PhotoRef = {
			...base,
			id: toBase64Url(random(32)),
			blobs: { original: toBase64Url(random(32)), thumb: toBase64Url(random(16)) },
			mime: 'image/' + 'a'.repeat(94),
			width: 1_000_000,
			thumbhash: toBase64Url(random(64)),
			durationMs: 7 * MS_PER_DAY,
			filename: '🌅'.repeat(127) + 'x',
			caption: '写'.repeat(2000),
			exif: { camera: 'c'.repeat(120), focalLengthMm: 100_000, iso: 10_000_000 }
		};
		expect(valid(atLimits)).toBe(true);
		expect(decodePhotoRef(encodePhotoRef(atLimits))).toEqual(atLimits);
	});
});

describe('hostile bytes in a writer’s own doc', () => {
	const random = seededRandom(0xbad);
	const ref = { ...anyPhotoRef(random), caption: 'été', exif: { camera: 'Pixel' } };
	const bytes = encodePhotoRef(ref);

	it('refuses every truncation, a trailing byte, other versions and unknown fields', () => {
		for (let length = 0; length < bytes.length; length++) {
			expect(decodePhotoRef(bytes.subarray(0, length))).toBeNull();
		}
		expect(decodePhotoRef(Uint8Array.of(...bytes, 0))).toBeNull();
		for (const version of [0, 2, 255]) {
			expect(decodePhotoRef(Uint8Array.of(version, ...bytes.subarray(1)))).toBeNull();
		}
		// The same fields plus bit 7, which is not one of version 1's: varuint fields + 128.
		const withBit7 = Uint8Array.of(bytes[0]!, bytes[1]! | 0x80, 0x01, ...bytes.subarray(2));
		expect(decodePhotoRef(withBit7)).toBeNull();
		const withoutBit7 = Uint8Array.of(bytes[0]!, bytes[1]! | 0x80, 0x00, ...bytes.subarray(2));
		expect(decodePhotoRef(withoutBit7)).toEqual(ref);
	});

	it('refuses text that is not UTF-8 and numbers beyond safe integers', () => {
		const caption = new TextEncoder().encode('été');
		const at = indexOfBytes(bytes, caption);
		expect(at).toBeGreaterThan(0);
		const broken = Uint8Array.from(bytes);
		broken[at] = 0xff;
		expect(decodePhotoRef(broken)).toBeNull();

		// size: 2^53 as a varuint, where a valid ref has its size.
		const huge = encodePhotoRef({ ...ref, size: 0, exif: undefined, caption: undefined });
		const sizeAt = indexOfBytes(huge, new TextEncoder().encode(ref.mime)) + ref.mime.length;
		expect(huge[sizeAt]).toBe(0);
		const tooBig = [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10];
		const patched = Uint8Array.of(
			...huge.subarray(0, sizeAt),
			...tooBig,
			...huge.subarray(sizeAt + 1)
		);
		expect(decodePhotoRef(patched)).toBeNull();
	});

	it('never throws on flipped or random bytes, and what it accepts passes the schema', () => {
		const noise = seededRandom(0xf00d);
		let accepted = 0;
		for (let i = 0; i < 3000; i++) {
			const mutated = Uint8Array.from(bytes);
			const r = noise(4);
			for (let k = 0; k <= r[0]! % 3; k++) {
				mutated[noise(2)[0]! % mutated.length] = noise(1)[0]!;
			}
			const decoded = decodePhotoRef(i % 10 === 0 ? noise(r[1]!) : mutated);
			if (decoded !== null) {
				accepted++;
				expect(valid(decoded)).toBe(true);
			}
		}
		// Most single-byte changes land in keys and ids, which are still well-formed.
		expect(accepted).toBeGreaterThan(0);
	});
});

function indexOfBytes(haystack: Uint8Array, needle: Uint8Array): number {
	outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
		for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
		return i;
	}
	return -1;
}
