// Public API of media import for the app: importMedia, its errors and results, and placeholder helpers.

// EXIF reading and hashing run in the import worker: import them from their own modules, never
// from here, so exifr (whose parsers register themselves on load) stays out of the page's bundle.

export {
	importMedia,
	MediaImporter,
	type ImportOptions,
	type MediaImporterOptions,
	type WorkerLike
} from './importer';
export { MediaImportError, type MediaImportErrorCode } from './errors';
export type { ImportedMedia, MediaProblem, EncodedImage, RenditionMime } from './types';
export type { MediaKind } from './mime';
export type { TakenAtSource } from './taken-at';
export type { VideoPoster } from './video-poster';
export {
	THUMB_LONG_SIDE,
	PREVIEW_LONG_SIDE,
	MAX_IMAGE_BYTES,
	MAX_VIDEO_BYTES,
	MAX_DECODE_PIXELS
} from './sizes';
export { thumbhashDataUrl, thumbhashAspectRatio } from './thumbhash';
