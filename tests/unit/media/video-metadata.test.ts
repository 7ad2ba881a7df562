// Spec of MP4/MOV metadata: recording date, size, rotation and location from the moov box, reading only headers.

import { describe, expect, it } from 'vitest';
import {
	parseCreationDate,
	parseIso6709,
	parseMoov,
	readVideoMetadata,
	type ByteReader
} from '../../../src/lib/media/video-metadata';
import { ascii, box, ftyp, fullBox, randomBytes, seededRandom } from './helpers';

const u16 = (n: number) => [(n >>> 8) & 0xff, n & 0xff];
const u32 = (n: number) => [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
const fixed = (n: number) => u32(Math.round(n * 65536) >>> 0);
const EPOCH_1904_S = 2_082_844_800;

/** A 16.16 transformation matrix for a rotation by a quarter turn (phones held upright). */
const MATRIX_90 = [
	...fixed(0),
	...fixed(1),
	...u32(0),
	...fixed(-1),
	...fixed(0),
	...u32(0),
	...u32(0),
	...u32(0),
	...u32(0x40000000)
];
const MATRIX_0 = [
	...fixed(1),
	...u32(0),
	...u32(0),
	...u32(0),
	...fixed(1),
	...u32(0),
	...u32(0),
	...u32(0),
	...u32(0x40000000)
];

function mvhd(createdUnixS: number, timescale: number, duration: number): number[] {
	return fullBox(
		'mvhd',
		0,
		u32(createdUnixS + EPOCH_1904_S),
		u32(0),
		u32(timescale),
		u32(duration),
		new Array<number>(80).fill(0)
	);
}

function videoTrak(width: number, height: number, matrix: number[]): number[] {
	const tkhd = fullBox(
		'tkhd',
		0,
		u32(0),
		u32(0),
		u32(1),
		u32(0),
		u32(0),
		new Array<number>(16).fill(0),
		matrix,
		fixed(width),
		fixed(height)
	);
	const hdlr = fullBox('hdlr', 0, u32(0), ascii('vide'), new Array<number>(12).fill(0), [0]);
	return box('trak', tkhd, box('mdia', hdlr));
}

function soundTrak(): number[] {
	const tkhd = fullBox('tkhd', 0, new Array<number>(76).fill(0), fixed(0), fixed(0));
	return box(
		'trak',
		tkhd,
		box('mdia', fullBox('hdlr', 0, u32(0), ascii('soun'), new Array<number>(13).fill(0)))
	);
}

/** QuickTime metadata as iPhones write it: moov > meta > hdlr, keys, ilst. */
function appleMeta(entries: [string, string][]): number[] {
	const keys = fullBox(
		'keys',
		0,
		u32(entries.length),
		...entries.map(([key]) => box('mdta', ascii(key)))
	);
	const items = entries.map(([, value], i) =>
		box(
			String.fromCharCode(...u32(i + 1)),
			box('data', u32(1), u32(0), Array.from(new TextEncoder().encode(value)))
		)
	);
	return box(
		'meta',
		fullBox('hdlr', 0, u32(0), ascii('mdta'), new Array<number>(13).fill(0)),
		keys,
		box('ilst', ...items)
	);
}

/** An iPhone-style MOV: media data first, moov last. */
function iphoneMov(): Uint8Array {
	const moov = box(
		'moov',
		mvhd(Date.UTC(2023, 6, 14, 16, 30, 0) / 1000, 600, 600 * 12 + 300),
		soundTrak(),
		videoTrak(1920, 1080, MATRIX_90),
		appleMeta([
			['com.apple.quicktime.make', 'Apple'],
			['com.apple.quicktime.location.ISO6709', '+48.8584+002.2945+035.000/'],
			['com.apple.quicktime.creationdate', '2023-07-14T18:30:05+0200']
		])
	);
	return Uint8Array.from([
		...ftyp('qt  ', 'qt  '),
		...box('wide'),
		...box('mdat', new Array<number>(50_000).fill(0xaa)),
		...moov
	]);
}

function readerOf(bytes: Uint8Array): { read: ByteReader; requested: () => number } {
	let requested = 0;
	return {
		read: async (offset, length) => {
			requested += length;
			return bytes.subarray(offset, offset + length);
		},
		requested: () => requested
	};
}

describe('readVideoMetadata', () => {
	it('reads an iPhone MOV: zoned creation date, rotated size, duration and location', async () => {
		const file = iphoneMov();
		const reader = readerOf(file);
		const metadata = await readVideoMetadata(reader.read, file.length);
		expect(metadata).toEqual({
			durationMs: 12_500,
			width: 1080,
			height: 1920,
			createdAt: Date.UTC(2023, 6, 14, 16, 30, 5),
			gps: { lat: 48.8584, lon: 2.2945 }
		});
		// The 50 KB of media data were skipped, not read.
		expect(reader.requested()).toBeLessThan(2_000);
	});

	it('reads an Android MP4: moov first, UTC header date, ©xyz location, no rotation', async () => {
		const xyz = '+35.6586+139.7454/';
		const moov = box(
			'moov',
			mvhd(Date.UTC(2022, 0, 2, 3, 4, 5) / 1000, 1000, 3_210),
			videoTrak(1280, 720, MATRIX_0),
			box('udta', box('\u00a9xyz', u16(xyz.length), u16(0x15c7), ascii(xyz)))
		);
		const file = Uint8Array.from([
			...ftyp('isom', 'isom', 'mp42'),
			...moov,
			...box('mdat', [1, 2, 3])
		]);
		expect(await readVideoMetadata(readerOf(file).read, file.length)).toEqual({
			durationMs: 3_210,
			width: 1280,
			height: 720,
			createdAt: Date.UTC(2022, 0, 2, 3, 4, 5),
			gps: { lat: 35.6586, lon: 139.7454 }
		});
	});

	it('returns null without a moov box, and never throws on damaged files', async () => {
		const noMoov = Uint8Array.from([...ftyp('isom', 'isom'), ...box('mdat', [1, 2, 3])]);
		expect(await readVideoMetadata(readerOf(noMoov).read, noMoov.length)).toBeNull();
		const random = seededRandom(5);
		const mov = iphoneMov();
		for (let i = 0; i < 200; i++) {
			const damaged = mov.slice(0, Math.floor(random() * mov.length));
			for (let k = 0; k < 6; k++)
				damaged[Math.floor(random() * damaged.length)] = Math.floor(random() * 256);
			await expect(
				readVideoMetadata(readerOf(damaged).read, damaged.length)
			).resolves.not.toThrow();
			expect(() => parseMoov(randomBytes(random, 300))).not.toThrow();
		}
	});
});

describe('date and location strings', () => {
	it('parses zoned creation dates and refuses zoneless ones', () => {
		expect(parseCreationDate('2023-07-14T18:30:05+0200')).toBe(Date.UTC(2023, 6, 14, 16, 30, 5));
		expect(parseCreationDate('2023-07-14T18:30:05-05:00')).toBe(Date.UTC(2023, 6, 14, 23, 30, 5));
		expect(parseCreationDate('2023-07-14T18:30:05Z')).toBe(Date.UTC(2023, 6, 14, 18, 30, 5));
		expect(parseCreationDate('2023-07-14T18:30:05')).toBeNull();
		expect(parseCreationDate('soon')).toBeNull();
	});

	it('parses ISO 6709 locations', () => {
		expect(parseIso6709('-33.8568+151.2153+010.000/')).toEqual({ lat: -33.8568, lon: 151.2153 });
		expect(parseIso6709('+00.0000+000.0000/')).toBeNull();
		expect(parseIso6709('+95.0000+010.0000/')).toBeNull();
		expect(parseIso6709('nowhere')).toBeNull();
	});
});
