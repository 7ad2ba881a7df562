// The binary form of a PhotoRef in contrib and inbox docs: one versioned byte string per photo, and its checked decoder.

import {
	ED25519_PUBLIC_KEY_BYTES,
	MAX_RANDOM_ID_BYTES,
	MIN_RANDOM_ID_BYTES,
	fromBase64Url
} from '../protocol';
import { ByteReader, ByteWriter, MalformedBytes } from './byte-layout';
import type { ExifSummary, PhotoRef } from './photo-ref';
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

/**
 * Layout version 1 (docs/album-stream.md, "PhotoRef encoding"). Numbers are LEB128 varuints,
 * signed ones a sign bit in the first byte (as lib0's varint); floats little-endian float64; text
 * a varuint byte length then UTF-8; ids and keys raw bytes (fixed size, or varuint length first):
 *
 *   u8 version=1 · varuint fields (FIELD bits) · id · fileKey[32] · original · [thumb] · [preview]
 *   · mime · size · width · height · varint takenAt · [thumbhash] · [durationMs] · [contentHash[32]]
 *   · filename · [exif: varuint EXIF bits, then camera, lens, focal, aperture, exposure, iso, lat lon]
 *   · [caption] · varint addedAt · addedBy[32]
 *
 * A new layout gets a new version byte; a decoder refuses versions and field bits it does not know,
 * as the object form's strict schema refuses unknown fields.
 */
export const PHOTO_REF_FORMAT_VERSION = 1;

/** Which optional fields of a PhotoRef follow. */
const FIELD = {
	thumb: 1 << 0,
	preview: 1 << 1,
	thumbhash: 1 << 2,
	durationMs: 1 << 3,
	contentHash: 1 << 4,
	exif: 1 << 5,
	caption: 1 << 6
} as const;
const ALL_FIELDS = (1 << 7) - 1;

const EXIF = {
	camera: 1 << 0,
	lens: 1 << 1,
	focalLengthMm: 1 << 2,
	aperture: 1 << 3,
	exposureSeconds: 1 << 4,
	iso: 1 << 5,
	gps: 1 << 6
} as const;
const ALL_EXIF = (1 << 7) - 1;

/**
 * The binary form of a valid PhotoRef (check it with PhotoRefSchema first: this only lays it out,
 * and throws on base64url it cannot decode). Text is UTF-8, so a lone surrogate comes back as
 * U+FFFD, as any UTF-8 writer does.
 */
export function encodePhotoRef(ref: PhotoRef): Uint8Array {
	const out = new ByteWriter();
	const { blobs, exif } = ref;
	let fields = 0;
	if (blobs.thumb !== undefined) fields |= FIELD.thumb;
	if (blobs.preview !== undefined) fields |= FIELD.preview;
	if (ref.thumbhash !== undefined) fields |= FIELD.thumbhash;
	if (ref.durationMs !== undefined) fields |= FIELD.durationMs;
	if (ref.contentHash !== undefined) fields |= FIELD.contentHash;
	if (exif !== undefined) fields |= FIELD.exif;
	if (ref.caption !== undefined) fields |= FIELD.caption;

	out.byte(PHOTO_REF_FORMAT_VERSION);
	out.varUint(fields);
	out.sizedBytes(fromBase64Url(ref.id));
	out.bytes(fromBase64Url(ref.fileKey));
	out.sizedBytes(fromBase64Url(blobs.original));
	if (blobs.thumb !== undefined) out.sizedBytes(fromBase64Url(blobs.thumb));
	if (blobs.preview !== undefined) out.sizedBytes(fromBase64Url(blobs.preview));
	out.text(ref.mime);
	out.varUint(ref.size);
	out.varUint(ref.width);
	out.varUint(ref.height);
	out.varInt(ref.takenAt);
	if (ref.thumbhash !== undefined) out.sizedBytes(fromBase64Url(ref.thumbhash));
	if (ref.durationMs !== undefined) out.varUint(ref.durationMs);
	if (ref.contentHash !== undefined) out.bytes(fromBase64Url(ref.contentHash));
	out.text(ref.filename);
	if (exif !== undefined) encodeExif(out, exif);
	if (ref.caption !== undefined) out.text(ref.caption);
	out.varInt(ref.addedAt);
	out.bytes(fromBase64Url(ref.addedBy));
	return out.finish();
}

function encodeExif(out: ByteWriter, exif: ExifSummary): void {
	let fields = 0;
	if (exif.camera !== undefined) fields |= EXIF.camera;
	if (exif.lens !== undefined) fields |= EXIF.lens;
	if (exif.focalLengthMm !== undefined) fields |= EXIF.focalLengthMm;
	if (exif.aperture !== undefined) fields |= EXIF.aperture;
	if (exif.exposureSeconds !== undefined) fields |= EXIF.exposureSeconds;
	if (exif.iso !== undefined) fields |= EXIF.iso;
	if (exif.gps !== undefined) fields |= EXIF.gps;
	out.varUint(fields);
	if (exif.camera !== undefined) out.text(exif.camera);
	if (exif.lens !== undefined) out.text(exif.lens);
	if (exif.focalLengthMm !== undefined) out.float64(exif.focalLengthMm);
	if (exif.aperture !== undefined) out.float64(exif.aperture);
	if (exif.exposureSeconds !== undefined) out.float64(exif.exposureSeconds);
	if (exif.iso !== undefined) out.varUint(exif.iso);
	if (exif.gps !== undefined) {
		out.float64(exif.gps.lat);
		out.float64(exif.gps.lon);
	}
}

/** Strings the caller expects the value to hold: equal ones are reused rather than built again. */
export interface KnownStrings {
	/** The map key the value is stored under. */
	id?: string;
	/** The doc's writer. */
	addedBy?: string | null;
}

/**
 * The PhotoRef a stored byte string holds, or null when it is not a well-formed version-1 value
 * within every limit of PhotoRefSchema (a writer can store any bytes in their own doc). Byte
 * lengths stand in for the base64url checks: 16-32 raw bytes always make a canonical random id.
 * `known` changes no verdict and no value, only which equal string object is returned.
 */
export function decodePhotoRef(bytes: Uint8Array, known: KnownStrings = {}): PhotoRef | null {
	try {
		return readPhotoRefV1(new ByteReader(bytes), known);
	} catch (error) {
		if (error instanceof MalformedBytes) return null;
		throw error;
	}
}

function readPhotoRefV1(input: ByteReader, known: KnownStrings): PhotoRef | null {
	if (input.byte() !== PHOTO_REF_FORMAT_VERSION) return null;
	const fields = input.varUint();
	if (fields > ALL_FIELDS) return null;
	const id = input.sizedBase64Url(MIN_RANDOM_ID_BYTES, MAX_RANDOM_ID_BYTES, known.id);
	const fileKey = input.base64Url(FILE_KEY_BYTES);
	const blobs: PhotoRef['blobs'] = { original: randomId(input) };
	if (fields & FIELD.thumb) blobs.thumb = randomId(input);
	if (fields & FIELD.preview) blobs.preview = randomId(input);
	const mime = input.text(MAX_MIME_LENGTH, true);
	if (!MIME_PATTERN.test(mime)) return null;
	const size = input.varUint();
	const width = input.varUint();
	const height = input.varUint();
	if (width > MAX_PIXELS || height > MAX_PIXELS) return null;
	const takenAt = input.varInt();
	const ref: PhotoRef = {
		id,
		fileKey,
		blobs,
		mime,
		size,
		width,
		height,
		takenAt,
		filename: '',
		addedAt: 0,
		addedBy: ''
	};
	if (fields & FIELD.thumbhash) {
		ref.thumbhash = input.sizedBase64Url(MIN_THUMBHASH_BYTES, MAX_THUMBHASH_BYTES);
	}
	if (fields & FIELD.durationMs) {
		const durationMs = input.varUint();
		if (durationMs > MAX_DURATION_MS) return null;
		ref.durationMs = durationMs;
	}
	if (fields & FIELD.contentHash) ref.contentHash = input.base64Url(CONTENT_HASH_BYTES);
	ref.filename = input.text(MAX_FILENAME_LENGTH);
	if (fields & FIELD.exif) {
		const exif = readExif(input);
		if (exif === null) return null;
		ref.exif = exif;
	}
	if (fields & FIELD.caption) ref.caption = input.text(MAX_CAPTION_LENGTH);
	ref.addedAt = input.varInt();
	ref.addedBy = input.base64Url(ED25519_PUBLIC_KEY_BYTES, known.addedBy);
	// Trailing bytes are refused: one PhotoRef, one byte string.
	return input.atEnd() ? ref : null;
}

function randomId(input: ByteReader): string {
	return input.sizedBase64Url(MIN_RANDOM_ID_BYTES, MAX_RANDOM_ID_BYTES);
}

function readExif(input: ByteReader): ExifSummary | null {
	const fields = input.varUint();
	if (fields > ALL_EXIF) return null;
	const exif: ExifSummary = {};
	if (fields & EXIF.camera) exif.camera = input.text(MAX_EXIF_TEXT_LENGTH, true);
	if (fields & EXIF.lens) exif.lens = input.text(MAX_EXIF_TEXT_LENGTH, true);
	// `x >= 0 && x <= max` is false for NaN too, as in the schema's minValue/maxValue.
	if (fields & EXIF.focalLengthMm) {
		const focal = input.float64();
		if (!(focal >= 0 && focal <= MAX_FOCAL_LENGTH_MM)) return null;
		exif.focalLengthMm = focal;
	}
	if (fields & EXIF.aperture) {
		const aperture = input.float64();
		if (!(aperture >= 0 && aperture <= MAX_APERTURE)) return null;
		exif.aperture = aperture;
	}
	if (fields & EXIF.exposureSeconds) {
		const exposure = input.float64();
		if (!(exposure >= 0 && exposure <= MAX_EXPOSURE_SECONDS)) return null;
		exif.exposureSeconds = exposure;
	}
	if (fields & EXIF.iso) {
		const iso = input.varUint();
		if (iso > MAX_ISO) return null;
		exif.iso = iso;
	}
	if (fields & EXIF.gps) {
		const lat = input.float64();
		const lon = input.float64();
		if (!(lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180)) return null;
		exif.gps = { lat, lon };
	}
	return exif;
}
