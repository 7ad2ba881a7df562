// PhotoRef: what an album doc says about one photo (its key, blobs and metadata), and its validation.

import * as v from 'valibot';
import {
	BlobIdSchema,
	CounterSchema,
	PublicKeySchema,
	RANDOM_ID_PATTERN,
	base64UrlBytes,
	describeIssues,
	isBlobId
} from '../protocol';
import { decodePhotoRef } from './photo-ref-codec';
import {
	CONTENT_HASH_BYTES,
	FILE_KEY_BYTES,
	MAX_APERTURE,
	MAX_CAPTION_LENGTH,
	MAX_DURATION_MS,
	MAX_EXIF_TEXT_LENGTH,
	MAX_EXPOSURE_SECONDS,
	MAX_FILENAME_LENGTH,
	MAX_FOCAL_LENGTH_MM,
	MAX_ISO,
	MAX_MIME_LENGTH,
	MAX_PIXELS,
	MAX_THUMBHASH_BYTES,
	MIME_PATTERN,
	MIN_THUMBHASH_BYTES
} from './photo-ref-limits';

export { MAX_CAPTION_LENGTH, MAX_FILENAME_LENGTH };

/** A photo id: random like other ids (16 bytes, base64url), unique within the album. */
export const PhotoIdSchema = v.pipe(
	v.string(),
	v.check(
		(text: string) => RANDOM_ID_PATTERN.test(text) && isBlobId(text),
		'must be a random id: base64url of 16 to 32 bytes'
	)
);

const text = (max: number) =>
	v.pipe(v.string(), v.maxLength(max, `is longer than ${max} characters`));

/** Milliseconds since 1970; negative for photos taken before it (scans of old prints). */
const TimeMsSchema = v.pipe(v.number(), v.safeInteger('must be a whole number'));

/** Pixel sizes up to 1,000,000 px per side: larger ones are not photos a phone can show. */
const PixelsSchema = v.pipe(CounterSchema, v.maxValue(MAX_PIXELS, 'is too large'));

/** The few EXIF fields shown in the info panel; the full EXIF never leaves the file. */
export const ExifSummarySchema = v.strictObject({
	camera: v.optional(text(MAX_EXIF_TEXT_LENGTH)),
	lens: v.optional(text(MAX_EXIF_TEXT_LENGTH)),
	focalLengthMm: v.optional(v.pipe(v.number(), v.minValue(0), v.maxValue(MAX_FOCAL_LENGTH_MM))),
	aperture: v.optional(v.pipe(v.number(), v.minValue(0), v.maxValue(MAX_APERTURE))),
	exposureSeconds: v.optional(v.pipe(v.number(), v.minValue(0), v.maxValue(MAX_EXPOSURE_SECONDS))),
	iso: v.optional(v.pipe(CounterSchema, v.maxValue(MAX_ISO))),
	gps: v.optional(
		v.strictObject({
			lat: v.pipe(v.number(), v.minValue(-90), v.maxValue(90)),
			lon: v.pipe(v.number(), v.minValue(-180), v.maxValue(180))
		})
	)
});

export const PhotoRefSchema = v.strictObject({
	id: PhotoIdSchema,
	/** The file's 32-byte key: original, preview and thumbnail are encrypted under subkeys of it. */
	fileKey: base64UrlBytes(FILE_KEY_BYTES, FILE_KEY_BYTES),
	/** No thumb for a format the importing browser could not decode (HEIC on Chromium). */
	blobs: v.strictObject({
		original: BlobIdSchema,
		thumb: v.optional(BlobIdSchema),
		preview: v.optional(BlobIdSchema)
	}),
	mime: v.pipe(
		v.string(),
		v.maxLength(MAX_MIME_LENGTH, 'is too long'),
		v.regex(MIME_PATTERN, 'must be an image/* or video/* type')
	),
	/** Bytes of the original file (before encryption). */
	size: CounterSchema,
	width: PixelsSchema,
	height: PixelsSchema,
	takenAt: TimeMsSchema,
	/** ThumbHash of the thumbnail, shown while it loads. */
	thumbhash: v.optional(base64UrlBytes(MIN_THUMBHASH_BYTES, MAX_THUMBHASH_BYTES)),
	/** Videos: length in milliseconds, when the browser could read it. */
	durationMs: v.optional(v.pipe(CounterSchema, v.maxValue(MAX_DURATION_MS, 'is too long'))),
	/** BLAKE2b-256 of the original's bytes: the same file imported twice is stored once. */
	contentHash: v.optional(base64UrlBytes(CONTENT_HASH_BYTES, CONTENT_HASH_BYTES)),
	filename: text(MAX_FILENAME_LENGTH),
	exif: v.optional(ExifSummarySchema),
	caption: v.optional(text(MAX_CAPTION_LENGTH)),
	addedAt: TimeMsSchema,
	/** The signing key of the member (or link) whose doc holds the photo. */
	addedBy: PublicKeySchema
});

export type PhotoRef = v.InferOutput<typeof PhotoRefSchema>;
export type ExifSummary = v.InferOutput<typeof ExifSummarySchema>;

/**
 * A PhotoRef read from a doc, or null: anyone can put anything in the doc they write. Docs hold
 * the binary form (photo-ref-codec.ts); photos added before it are plain objects, still read.
 */
export function readPhotoRef(value: unknown): PhotoRef | null {
	if (value instanceof Uint8Array) return decodePhotoRef(value);
	const result = v.safeParse(PhotoRefSchema, value);
	return result.success ? result.output : null;
}

/** Describes why a PhotoRef is invalid, for errors on our own writes. */
export function photoRefProblem(value: unknown): string | null {
	const result = v.safeParse(PhotoRefSchema, value);
	if (result.success) return null;
	return describeIssues(result.issues);
}
