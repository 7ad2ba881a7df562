// The limits a PhotoRef's fields must keep, shared by its schema (object form) and its binary codec.

/** Pixel sizes up to 1,000,000 px per side: larger ones are not photos a phone can show. */
export const MAX_PIXELS = 1_000_000;
export const MAX_MIME_LENGTH = 100;
export const MIME_PATTERN = /^(?:image|video)\/[a-z0-9][a-z0-9.+-]*$/;
/** The file's key (original, preview and thumbnail are encrypted under subkeys of it). */
export const FILE_KEY_BYTES = 32;
export const MIN_THUMBHASH_BYTES = 1;
export const MAX_THUMBHASH_BYTES = 64;
/** A video longer than a week is not one a phone recorded. */
export const MAX_DURATION_MS = 7 * 24 * 3600 * 1000;
/** BLAKE2b-256 of the original's bytes. */
export const CONTENT_HASH_BYTES = 32;
export const MAX_FILENAME_LENGTH = 255;
export const MAX_CAPTION_LENGTH = 2000;

/** The EXIF summary: camera and lens names, and the ranges its numbers may take. */
export const MAX_EXIF_TEXT_LENGTH = 120;
export const MAX_FOCAL_LENGTH_MM = 100_000;
export const MAX_APERTURE = 1000;
export const MAX_EXPOSURE_SECONDS = 100_000;
export const MAX_ISO = 10_000_000;
