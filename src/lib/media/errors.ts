// The one error type of media import: a stable code the UI branches on and a sentence a person reads.

export type MediaImportErrorCode =
	/** The file has no bytes (a failed download, a placeholder of a cloud file). */
	| 'empty-file'
	/** The bytes are not a photo or video format Tessera imports. */
	| 'not-media'
	/** The file is larger than Tessera accepts for its kind. */
	| 'too-large'
	/** The file could not be read (moved, deleted, permission revoked since it was picked). */
	| 'read-failed'
	/** The import was cancelled through its AbortSignal. */
	| 'aborted'
	/** The import worker failed or could not start. */
	| 'worker-failed'
	/** A video did not load or seek in time. */
	| 'video-timeout'
	/** This browser cannot play the video (codec or container unsupported). */
	| 'video-unsupported'
	/** This browser cannot decode the image (HEIC on Chromium, corrupt data). */
	| 'image-unsupported'
	/** The image has more pixels than this device may decode safely. */
	| 'too-many-pixels'
	/** This browser lacks what thumbnails need (OffscreenCanvas, createImageBitmap). */
	| 'no-canvas';

export class MediaImportError extends Error {
	readonly code: MediaImportErrorCode;

	constructor(code: MediaImportErrorCode, message: string, options: { cause?: unknown } = {}) {
		super(message, { cause: options.cause });
		this.name = 'MediaImportError';
		this.code = code;
	}
}

/** The error every cancelled import rejects with. */
export function abortedError(): MediaImportError {
	return new MediaImportError('aborted', 'The import was cancelled.');
}

/** Throws the aborted error when `signal` has fired; called between the steps of an import. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
	if (signal?.aborted) throw abortedError();
}

/** A MediaImportError's code, or undefined for anything else. */
export function mediaImportErrorCode(error: unknown): MediaImportErrorCode | undefined {
	return error instanceof MediaImportError ? error.code : undefined;
}
