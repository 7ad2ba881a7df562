// What import produces for one file, and the messages between the page and the import worker.

import type { ExifSummary } from '../albums/photo-ref';
import type { MediaImportErrorCode } from './errors';
import type { MediaKind } from './mime';
import type { EncodedImage } from './render';
import type { TakenAtSource } from './taken-at';
import type { VideoMetadata } from './video-metadata';

export type { EncodedImage, RenditionMime } from './render';

/** Why a file imported without thumbnails (the UI shows a placeholder and may say why). */
export interface MediaProblem {
	code: MediaImportErrorCode;
	message: string;
}

/** Everything import learns about one photo or video. Nothing here has left the device. */
export interface ImportedMedia {
	kind: MediaKind;
	/** From the file's bytes, not its name or the browser's guess. */
	mime: string;
	/** The file's name, cut to 255 characters (keeping its extension). */
	filename: string;
	/** Bytes of the original. */
	size: number;
	/** As shown (after EXIF orientation); 0 when unknown (an undecodable file without a readable header). */
	width: number;
	height: number;
	/** Videos: the duration when the browser could read it. */
	durationMs?: number;
	/** Milliseconds since 1970 (UTC). */
	takenAt: number;
	takenAtSource: TakenAtSource;
	/** EXIF Orientation 1-8 of the original (1 when absent); thumbnails and previews are already upright. */
	orientation: number;
	exif?: ExifSummary;
	thumb?: EncodedImage;
	/** Only for images larger than a preview, or in formats not every browser shows. */
	preview?: EncodedImage;
	thumbhash?: Uint8Array;
	/** BLAKE2b-256 of the original's bytes. */
	contentHash: Uint8Array;
	/** False when this browser could not decode it: no thumb, preview or thumbhash. */
	decodable: boolean;
	problem?: MediaProblem;
}

/** The image half of ImportedMedia, computed in the worker. */
export interface ImageAnalysis {
	width: number;
	height: number;
	orientation: number;
	takenAt: number;
	takenAtSource: TakenAtSource;
	exif?: ExifSummary;
	thumb?: EncodedImage;
	preview?: EncodedImage;
	thumbhash?: Uint8Array;
	decodable: boolean;
	problem?: MediaProblem;
}

export type WorkerRequest =
	| {
			type: 'analyze-image';
			id: number;
			file: Blob;
			mime: string;
			lastModified: number | undefined;
	  }
	| { type: 'analyze-video'; id: number; file: Blob; mime: string }
	| { type: 'cancel'; id: number };

export type WorkerResult =
	| { type: 'analyze-image'; analysis: ImageAnalysis; contentHash: Uint8Array }
	| { type: 'analyze-video'; metadata: VideoMetadata | null; contentHash: Uint8Array };

export type WorkerReply =
	| { id: number; ok: true; result: WorkerResult }
	| { id: number; ok: false; code: MediaImportErrorCode; message: string };
