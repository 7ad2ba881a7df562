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
const PixelsSchema = v.pipe(CounterSchema, v.maxValue(1_000_000, 'is too large'));

/** The few EXIF fields shown in the info panel; the full EXIF never leaves the file. */
export const ExifSummarySchema = v.strictObject({
	camera: v.optional(text(120)),
	lens: v.optional(text(120)),
	focalLengthMm: v.optional(v.pipe(v.number(), v.minValue(0), v.maxValue(100_000))),
	aperture: v.optional(v.pipe(v.number(), v.minValue(0), v.maxValue(1000))),
	exposureSeconds: v.optional(v.pipe(v.number(), v.minValue(0), v.maxValue(100_000))),
	iso: v.optional(v.pipe(CounterSchema, v.maxValue(10_000_000))),
	gps: v.optional(
		v.strictObject({
			lat: v.pipe(v.number(), v.minValue(-90), v.maxValue(90)),
			lon: v.pipe(v.number(), v.minValue(-180), v.maxValue(180))
		})
	)
});

export const MAX_CAPTION_LENGTH = 2000;
export const MAX_FILENAME_LENGTH = 255;

export const PhotoRefSchema = v.strictObject({
	id: PhotoIdSchema,
	/** The file's 32-byte key: original, preview and thumbnail are encrypted under subkeys of it. */
	fileKey: base64UrlBytes(32, 32),
	/** No thumb for a format the importing browser could not decode (HEIC on Chromium). */
	blobs: v.strictObject({
		original: BlobIdSchema,
		thumb: v.optional(BlobIdSchema),
		preview: v.optional(BlobIdSchema)
	}),
	mime: v.pipe(
		v.string(),
		v.maxLength(100, 'is too long'),
		v.regex(/^(?:image|video)\/[a-z0-9][a-z0-9.+-]*$/, 'must be an image/* or video/* type')
	),
	/** Bytes of the original file (before encryption). */
	size: CounterSchema,
	width: PixelsSchema,
	height: PixelsSchema,
	takenAt: TimeMsSchema,
	/** ThumbHash of the thumbnail, shown while it loads. */
	thumbhash: v.optional(base64UrlBytes(1, 64)),
	/** Videos: length in milliseconds, when the browser could read it. */
	durationMs: v.optional(v.pipe(CounterSchema, v.maxValue(7 * 24 * 3600 * 1000, 'is too long'))),
	/** BLAKE2b-256 of the original's bytes: the same file imported twice is stored once. */
	contentHash: v.optional(base64UrlBytes(32, 32)),
	filename: text(MAX_FILENAME_LENGTH),
	exif: v.optional(ExifSummarySchema),
	caption: v.optional(text(MAX_CAPTION_LENGTH)),
	addedAt: TimeMsSchema,
	/** The signing key of the member (or link) whose doc holds the photo. */
	addedBy: PublicKeySchema
});

export type PhotoRef = v.InferOutput<typeof PhotoRefSchema>;
export type ExifSummary = v.InferOutput<typeof ExifSummarySchema>;

/** A PhotoRef read from a doc, or null: anyone can put anything in the doc they write. */
export function readPhotoRef(value: unknown): PhotoRef | null {
	const result = v.safeParse(PhotoRefSchema, value);
	return result.success ? result.output : null;
}

/** Describes why a PhotoRef is invalid, for errors on our own writes. */
export function photoRefProblem(value: unknown): string | null {
	const result = v.safeParse(PhotoRefSchema, value);
	if (result.success) return null;
	return describeIssues(result.issues);
}
