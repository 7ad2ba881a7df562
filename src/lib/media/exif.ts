// EXIF: reads the few tags import needs with exifr, checks them, and maps them to the album's ExifSummary.

import { parse as parseExifr } from 'exifr/dist/lite.esm.mjs';
import type { ExifSummary } from '../albums/photo-ref';

/** The tags import reads, already checked: anything malformed in the file is simply absent here. */
export interface RawExif {
	make?: string;
	model?: string;
	/** EXIF Orientation, 1-8. */
	orientation?: number;
	lensModel?: string;
	exposureTime?: number;
	fNumber?: number;
	iso?: number;
	focalLength?: number;
	/** Wall-clock strings as written, e.g. '2023:07:14 18:30:05'; parsed by taken-at.ts. */
	dateTimeOriginal?: string;
	offsetTimeOriginal?: string;
	subSecTimeOriginal?: string;
	createDate?: string;
	offsetTimeDigitized?: string;
	subSecTimeDigitized?: string;
	/** Signed decimal degrees. */
	gpsLatitude?: number;
	gpsLongitude?: number;
	/** GPSDateStamp + GPSTimeStamp: the fix time in UTC, as milliseconds since 1970. */
	gpsTimeMs?: number;
}

// Numeric tag ids: faster than names (no dictionary look-up) and unambiguous between blocks.
const IFD0_TAGS = [0x010f /* Make */, 0x0110 /* Model */, 0x0112 /* Orientation */];
const EXIF_TAGS = [
	0x829a, // ExposureTime
	0x829d, // FNumber
	0x8827, // ISO (PhotographicSensitivity)
	0x9003, // DateTimeOriginal
	0x9004, // CreateDate (DateTimeDigitized)
	0x9011, // OffsetTimeOriginal
	0x9012, // OffsetTimeDigitized
	0x920a, // FocalLength
	0x9291, // SubSecTimeOriginal
	0x9292, // SubSecTimeDigitized
	0xa434 // LensModel
];
const GPS_TAGS = [
	0x0001, // GPSLatitudeRef
	0x0002, // GPSLatitude
	0x0003, // GPSLongitudeRef
	0x0004, // GPSLongitude
	0x0007, // GPSTimeStamp
	0x001d // GPSDateStamp
];

/**
 * exifr options: only the tags above, only the TIFF segment (no XMP, ICC, IPTC, thumbnail IFD),
 * raw values (dates stay strings: exifr would read them in this device's time zone).
 */
const EXIFR_OPTIONS = {
	ifd0: { pick: IFD0_TAGS },
	exif: { pick: EXIF_TAGS },
	gps: { pick: GPS_TAGS },
	ifd1: false,
	interop: false,
	xmp: false,
	icc: false,
	iptc: false,
	jfif: false,
	ihdr: false,
	makerNote: false,
	userComment: false,
	translateKeys: true,
	translateValues: false,
	reviveValues: false,
	mergeOutput: false
};

/**
 * Reads the EXIF of a JPEG, HEIC/HEIF or AVIF file; null when there is none or it cannot be read.
 * A Blob is read in small chunks (only the metadata, never the whole file); Node needs bytes.
 */
export async function readExif(input: Blob | Uint8Array): Promise<RawExif | null> {
	let output: unknown;
	try {
		output = await parseExifr(input, EXIFR_OPTIONS);
	} catch {
		// Unknown format, truncated or hostile metadata: the photo imports without EXIF.
		return null;
	}
	const raw = normalizeExif(output);
	return Object.keys(raw).length > 0 ? raw : null;
}

/** Checks exifr's output (untrusted: it is whatever the file says) into RawExif. */
export function normalizeExif(output: unknown): RawExif {
	const ifd0 = block(output, 'ifd0');
	const exif = block(output, 'exif');
	const gps = block(output, 'gps');
	const raw: RawExif = {};

	const set = <K extends keyof RawExif>(key: K, value: RawExif[K] | undefined) => {
		if (value !== undefined) raw[key] = value;
	};
	set('make', text(ifd0.Make));
	set('model', text(ifd0.Model));
	const orientation = firstNumber(ifd0.Orientation);
	if (
		orientation !== undefined &&
		Number.isInteger(orientation) &&
		orientation >= 1 &&
		orientation <= 8
	)
		raw.orientation = orientation;
	set('lensModel', text(exif.LensModel));
	set('exposureTime', firstNumber(exif.ExposureTime));
	set('fNumber', firstNumber(exif.FNumber));
	set('iso', firstNumber(exif.ISO));
	set('focalLength', firstNumber(exif.FocalLength));
	set('dateTimeOriginal', text(exif.DateTimeOriginal));
	set('offsetTimeOriginal', text(exif.OffsetTimeOriginal));
	set('subSecTimeOriginal', text(exif.SubSecTimeOriginal));
	set('createDate', text(exif.CreateDate));
	set('offsetTimeDigitized', text(exif.OffsetTimeDigitized));
	set('subSecTimeDigitized', text(exif.SubSecTimeDigitized));

	const lat = coordinate(gps.GPSLatitude, gps.GPSLatitudeRef, 'N', 'S', 90);
	const lon = coordinate(gps.GPSLongitude, gps.GPSLongitudeRef, 'E', 'W', 180);
	if (lat !== undefined && lon !== undefined) {
		raw.gpsLatitude = lat;
		raw.gpsLongitude = lon;
	}
	set('gpsTimeMs', gpsTime(gps.GPSDateStamp, gps.GPSTimeStamp));
	return raw;
}

const MAX_TEXT = 120;

/**
 * The album's EXIF summary, or undefined when nothing is worth showing. Strings are cut to the
 * schema's 120 characters; numbers the schema would refuse (or that no camera writes) are left out,
 * so the result always passes ExifSummarySchema.
 */
export function summarizeExif(raw: RawExif | null): ExifSummary | undefined {
	if (!raw) return undefined;
	const summary: ExifSummary = {};
	const camera = cameraName(raw.make, raw.model);
	if (camera) summary.camera = camera;
	const lens = raw.lensModel && cut(tidy(raw.lensModel), MAX_TEXT);
	if (lens) summary.lens = lens;

	const focal = inRange(raw.focalLength, 0, 100_000);
	if (focal !== undefined && focal > 0) summary.focalLengthMm = round(focal, 2);
	const aperture = inRange(raw.fNumber, 0, 1000);
	if (aperture !== undefined && aperture > 0) summary.aperture = round(aperture, 2);
	const exposure = inRange(raw.exposureTime, 0, 100_000);
	if (exposure !== undefined && exposure > 0) summary.exposureSeconds = exposure;
	const iso = inRange(raw.iso, 0, 10_000_000);
	if (iso !== undefined && Math.round(iso) > 0) summary.iso = Math.round(iso);

	const { gpsLatitude: lat, gpsLongitude: lon } = raw;
	// 0,0 is what many devices write when they had no fix; no photo worth mapping is taken there.
	if (lat !== undefined && lon !== undefined && !(lat === 0 && lon === 0)) {
		const gps = { lat: round(lat, 6), lon: round(lon, 6) };
		if (Math.abs(gps.lat) <= 90 && Math.abs(gps.lon) <= 180) summary.gps = gps;
	}
	return Object.keys(summary).length > 0 ? summary : undefined;
}

/** Corporate words cameras put in Make that a person would not say ("NIKON CORPORATION"). */
const MAKE_NOISE =
	/[\s,]+(?:corporation|corp\.?|co\.?,?\s*ltd\.?|company|imaging|inc\.?|ltd\.?|optical|computer|camera\s+ag|ag|gmbh)$/i;

/**
 * "Make Model", without the repetition most cameras write ("Canon" + "Canon EOS R5") and without
 * corporate suffixes ("NIKON CORPORATION" + "NIKON D750" = "NIKON D750").
 */
export function cameraName(
	make: string | undefined,
	model: string | undefined
): string | undefined {
	let brand = tidy(make ?? '');
	for (let previous = ''; previous !== brand;) {
		previous = brand;
		brand = brand.replace(MAKE_NOISE, '').trim();
	}
	brand = brand.replace(/^eastman\s+/i, '');
	const name = tidy(model ?? '');
	let camera: string;
	if (!brand) camera = name;
	else if (!name) camera = brand;
	else {
		const brandWord = brand.split(' ')[0]!.toLowerCase();
		camera = name.toLowerCase().startsWith(brandWord) ? name : `${brand} ${name}`;
	}
	return camera ? cut(camera, MAX_TEXT) : undefined;
}

/** Printable text on one line: control characters and runs of spaces become one space. */
function tidy(value: string): string {
	// eslint-disable-next-line no-control-regex
	return value.replace(/[\u0000-\u001f\u007f-\u009f\s]+/g, ' ').trim();
}

/** At most `max` UTF-16 units, never splitting a surrogate pair. */
function cut(value: string, max: number): string {
	if (value.length <= max) return value;
	let end = max;
	const last = value.charCodeAt(end - 1);
	if (last >= 0xd800 && last <= 0xdbff) end--;
	return value.slice(0, end).trimEnd();
}

function block(output: unknown, key: string): Record<string, unknown> {
	if (typeof output !== 'object' || output === null) return {};
	const value = (output as Record<string, unknown>)[key];
	return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

function text(value: unknown): string | undefined {
	if (typeof value !== 'string') return undefined;
	const tidied = tidy(value);
	// Longer strings are not camera names or dates; keep what is kept bounded.
	return tidied ? cut(tidied, 512) : undefined;
}

/** A finite number, or the first of an array of them (some cameras write ISO as [100, 0]). */
function firstNumber(value: unknown): number | undefined {
	const candidate = isNumberList(value) ? value[0] : value;
	return typeof candidate === 'number' && Number.isFinite(candidate) ? candidate : undefined;
}

function isNumberList(value: unknown): value is ArrayLike<number> {
	return (
		(Array.isArray(value) || ArrayBuffer.isView(value)) && (value as ArrayLike<unknown>).length > 0
	);
}

/** Degrees, minutes, seconds and a hemisphere letter to signed decimal degrees. */
function coordinate(
	dms: unknown,
	ref: unknown,
	positive: string,
	negative: string,
	limit: number
): number | undefined {
	if (!isNumberList(dms) || dms.length < 1 || dms.length > 3) return undefined;
	const parts = Array.from({ length: 3 }, (_, i) => Number(dms[i] ?? 0));
	if (parts.some((part) => !Number.isFinite(part) || part < 0)) return undefined;
	const [d, m, s] = parts as [number, number, number];
	if (m >= 60 || s >= 60) return undefined;
	const degrees = d + m / 60 + s / 3600;
	const hemisphere = typeof ref === 'string' ? ref.trim().toUpperCase() : positive;
	if (hemisphere !== positive && hemisphere !== negative) return undefined;
	if (degrees > limit) return undefined;
	return hemisphere === negative ? -degrees : degrees;
}

function gpsTime(date: unknown, time: unknown): number | undefined {
	if (typeof date !== 'string' || !isNumberList(time) || time.length !== 3) return undefined;
	const match = /^(\d{4})[:-](\d{2})[:-](\d{2})$/.exec(date.trim());
	if (!match) return undefined;
	const [h, m, s] = [Number(time[0]), Number(time[1]), Number(time[2])];
	if (!(h >= 0 && h < 24 && m >= 0 && m < 60 && s >= 0 && s < 61)) return undefined;
	const ms = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]), h, m, 0);
	const result = ms + Math.round(s * 1000);
	return Number.isFinite(result) ? result : undefined;
}

function inRange(value: number | undefined, min: number, max: number): number | undefined {
	return value !== undefined && Number.isFinite(value) && value >= min && value <= max
		? value
		: undefined;
}

function round(value: number, digits: number): number {
	const factor = 10 ** digits;
	return Math.round(value * factor) / factor;
}
