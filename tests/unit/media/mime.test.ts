// Spec of media sniffing: a file's bytes, not its name or the browser's guess, say what it is.

import { describe, expect, it } from 'vitest';
import { sniffMediaType } from '../../../src/lib/media/mime';
import { makeJpeg } from '../../fixtures/make-jpeg';
import { insertExif } from '../../fixtures/exif-writer';
import { ascii, box, ftyp, heifHeader, randomBytes, seededRandom } from './helpers';

const bytes = (...parts: number[][]) => Uint8Array.from(parts.flat());
const sniff = (head: Uint8Array | number[]) =>
	sniffMediaType(head instanceof Uint8Array ? head : Uint8Array.from(head));

describe('sniffMediaType', () => {
	it('recognises JPEG, with or without EXIF first', () => {
		const jpeg = makeJpeg({ width: 8, height: 8 });
		expect(sniff(jpeg)).toEqual({ mime: 'image/jpeg', kind: 'image' });
		expect(sniff(insertExif(jpeg, { make: 'X' }))).toEqual({ mime: 'image/jpeg', kind: 'image' });
	});

	it('recognises PNG, GIF and WebP', () => {
		expect(sniff([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13])?.mime).toBe(
			'image/png'
		);
		expect(sniff(ascii('GIF89a\x01\x00\x01\x00'))?.mime).toBe('image/gif');
		expect(sniff(ascii('GIF87a\x01\x00\x01\x00'))?.mime).toBe('image/gif');
		expect(sniff(bytes(ascii('RIFF'), [0, 0, 0, 0], ascii('WEBPVP8 ')))?.mime).toBe('image/webp');
	});

	it('tells HEIC, HEIF and AVIF apart by their brands', () => {
		expect(sniff(ftyp('heic', 'mif1', 'heic'))).toEqual({ mime: 'image/heic', kind: 'image' });
		expect(sniff(ftyp('mif1', 'mif1', 'heic'))?.mime).toBe('image/heic');
		expect(sniff(ftyp('mif1', 'mif1', 'miaf'))?.mime).toBe('image/heif');
		expect(sniff(ftyp('msf1', 'msf1', 'hevc'))?.mime).toBe('image/heic-sequence');
		expect(sniff(ftyp('hevc', 'msf1'))?.mime).toBe('image/heic-sequence');
		expect(sniff(ftyp('avif', 'mif1', 'miaf'))).toEqual({ mime: 'image/avif', kind: 'image' });
		expect(sniff(ftyp('mif1', 'avif', 'mif1'))?.mime).toBe('image/avif');
		expect(sniff(heifHeader('heic', ['mif1', 'heic'], [[4032, 3024]]))?.mime).toBe('image/heic');
	});

	it('recognises MP4, MOV and 3GP videos', () => {
		expect(sniff(ftyp('isom', 'isom', 'iso2', 'avc1', 'mp41'))).toEqual({
			mime: 'video/mp4',
			kind: 'video'
		});
		expect(sniff(ftyp('mp42', 'mp42', 'isom'))?.mime).toBe('video/mp4');
		expect(sniff(ftyp('qt  ', 'qt  '))).toEqual({ mime: 'video/quicktime', kind: 'video' });
		expect(sniff(ftyp('3gp4', '3gp4', 'isom'))?.mime).toBe('video/3gpp');
		// A vendor's own major brand that declares MP4 compatibility.
		expect(sniff(ftyp('XYZ1', 'isom', 'mp42'))?.mime).toBe('video/mp4');
		// QuickTime files from before ftyp start with their first atom.
		expect(sniff(box('moov', [0, 0, 0, 0]))?.mime).toBe('video/quicktime');
		expect(sniff(box('wide', []))?.mime).toBe('video/quicktime');
	});

	it('recognises WebM and Matroska from the EBML DocType', () => {
		const ebml = (docType: string) =>
			bytes(
				[0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x86, 0x81, 0x01],
				[0x42, 0x82, 0x80 | docType.length],
				ascii(docType)
			);
		expect(sniff(ebml('webm'))).toEqual({ mime: 'video/webm', kind: 'video' });
		expect(sniff(ebml('matroska'))).toEqual({ mime: 'video/x-matroska', kind: 'video' });
	});

	it('refuses audio-only and raw files in the same container, and everything else', () => {
		expect(sniff(ftyp('M4A ', 'M4A ', 'mp42', 'isom'))).toBeNull();
		expect(sniff(ftyp('crx ', 'crx ', 'isom'))).toBeNull();
		expect(sniff(ftyp('XYZ1', 'M4A ', 'isom'))).toBeNull();
		expect(sniff(ascii('%PDF-1.7\n'))).toBeNull();
		expect(sniff(ascii('<svg xmlns="http://www.w3.org/2000/svg"/>'))).toBeNull();
		expect(sniff(ascii('hello, world'))).toBeNull();
		expect(sniff(bytes(ascii('PK'), [3, 4]))).toBeNull();
		expect(sniff(bytes(ascii('RIFF'), [0, 0, 0, 0], ascii('WAVEfmt ')))).toBeNull();
		expect(sniff([])).toBeNull();
	});

	it('never throws on truncated or random heads', () => {
		const random = seededRandom(7);
		const jpeg = makeJpeg({ width: 8, height: 8 });
		for (let i = 0; i < 500; i++) {
			const head =
				i % 2 === 0
					? randomBytes(random, Math.floor(random() * 64))
					: Uint8Array.from([...ftyp('mif1', 'heic')].slice(0, Math.floor(random() * 28)));
			expect(() => sniffMediaType(head)).not.toThrow();
		}
		for (let n = 0; n < 4; n++) expect(() => sniffMediaType(jpeg.subarray(0, n))).not.toThrow();
		expect(sniffMediaType(jpeg.subarray(0, 2))).toBeNull();
	});
});
