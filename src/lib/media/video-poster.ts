// Video posters on the page's thread (workers have no <video>): duration, size, and a frame rendered like a photo.

import { MediaImportError, abortedError, throwIfAborted } from './errors';
import { renderRenditions, type EncodedImage } from './render';
import { PREVIEW_LONG_SIDE, type Size } from './sizes';

export interface VideoPoster {
	/** As shown (browsers apply the track's rotation). */
	width: number;
	height: number;
	durationMs?: number;
	thumb: EncodedImage;
	preview?: EncodedImage;
	thumbhash: Uint8Array;
}

export interface PosterOptions {
	signal?: AbortSignal;
	/** For each wait (metadata, seek); 20 s by default, for large files on slow phones. */
	stepTimeoutMs?: number;
}

const DEFAULT_STEP_TIMEOUT_MS = 20_000;
/** The poster frame: 0.1 s in, past the black first frame some cameras write... */
const POSTER_TIME_S = 0.1;
/** ...or 10% in for clips shorter than a second. */
const SHORT_CLIP_S = 1;

/** Where the poster frame is taken, in seconds, for a video of `durationS` (NaN or Infinity: unknown). */
export function posterTime(durationS: number): number {
	if (!Number.isFinite(durationS) || durationS <= 0) return 0;
	return durationS < SHORT_CLIP_S ? durationS * 0.1 : POSTER_TIME_S;
}

/**
 * Loads `file` in a detached, muted <video>, seeks to the poster frame and renders it. Throws a
 * MediaImportError: video-unsupported when this browser cannot play it, video-timeout when loading or
 * seeking stalls, aborted when cancelled. The object URL is always revoked.
 */
export async function captureVideoPoster(
	file: Blob,
	options: PosterOptions = {}
): Promise<VideoPoster> {
	throwIfAborted(options.signal);
	const timeoutMs = options.stepTimeoutMs ?? DEFAULT_STEP_TIMEOUT_MS;
	const url = URL.createObjectURL(file);
	const video = document.createElement('video');
	video.muted = true;
	video.playsInline = true;
	video.preload = 'auto';
	try {
		video.src = url;
		await waitFor(video, 'loadedmetadata', timeoutMs, options.signal);
		let duration = video.duration;
		if (duration === Infinity) duration = await measureDuration(video, timeoutMs, options.signal);
		if (video.videoWidth === 0 || video.videoHeight === 0) {
			throw new MediaImportError(
				'video-unsupported',
				'This file has no picture: it is audio only.'
			);
		}

		video.currentTime = posterTime(duration);
		await waitFor(video, 'seeked', timeoutMs, options.signal);
		if (video.readyState < HTMLMediaElement.HAVE_CURRENT_DATA) {
			await waitFor(video, 'loadeddata', timeoutMs, options.signal);
		}

		const size: Size = { width: video.videoWidth, height: video.videoHeight };
		const renditions = await renderRenditions(video, size, {
			withPreview: Math.max(size.width, size.height) > PREVIEW_LONG_SIDE,
			signal: options.signal
		});
		return {
			...size,
			...(Number.isFinite(duration) && duration > 0
				? { durationMs: Math.round(duration * 1000) }
				: {}),
			...renditions
		};
	} finally {
		// Detach the source before revoking so the element lets go of the file and its decoder.
		video.removeAttribute('src');
		video.load();
		URL.revokeObjectURL(url);
	}
}

/**
 * WebM from MediaRecorder often has no duration in its header. Seeking far past the end makes the
 * browser find the real end and report it through durationchange.
 */
async function measureDuration(
	video: HTMLVideoElement,
	timeoutMs: number,
	signal: AbortSignal | undefined
): Promise<number> {
	video.currentTime = Number.MAX_SAFE_INTEGER;
	try {
		await waitFor(video, 'seeked', timeoutMs, signal);
	} catch (error) {
		if (error instanceof MediaImportError && error.code === 'aborted') throw error;
		return NaN; // unknown duration: the poster is taken from the start
	}
	return Number.isFinite(video.duration) ? video.duration : NaN;
}

/** Resolves on `event`; rejects on the element's error, after `timeoutMs`, or when aborted. */
function waitFor(
	video: HTMLVideoElement,
	event: 'loadedmetadata' | 'seeked' | 'loadeddata',
	timeoutMs: number,
	signal: AbortSignal | undefined
): Promise<void> {
	return new Promise((resolve, reject) => {
		const cleanup = () => {
			clearTimeout(timer);
			video.removeEventListener(event, onEvent);
			video.removeEventListener('error', onError);
			signal?.removeEventListener('abort', onAbort);
		};
		const onEvent = () => {
			cleanup();
			resolve();
		};
		const onError = () => {
			cleanup();
			reject(videoError(video));
		};
		const onAbort = () => {
			cleanup();
			reject(abortedError());
		};
		const timer = setTimeout(() => {
			cleanup();
			reject(
				new MediaImportError(
					'video-timeout',
					event === 'seeked'
						? 'The video did not show a frame in time. It is imported without a poster.'
						: 'The video did not load in time. It is imported without a poster.'
				)
			);
		}, timeoutMs);
		video.addEventListener(event, onEvent, { once: true });
		video.addEventListener('error', onError, { once: true });
		signal?.addEventListener('abort', onAbort, { once: true });
		if (signal?.aborted) onAbort();
	});
}

function videoError(video: HTMLVideoElement): MediaImportError {
	const code = video.error?.code;
	if (code === MEDIA_ERR_ABORTED) return abortedError();
	return new MediaImportError(
		'video-unsupported',
		code === MEDIA_ERR_NETWORK
			? 'The video file could not be read. It may have been moved or deleted since it was chosen.'
			: 'This browser cannot play this video (its format or codec is not supported here). It is imported without a poster.'
	);
}

// The DOM's MediaError codes (HTMLMediaElement.error.code).
const MEDIA_ERR_ABORTED = 1;
const MEDIA_ERR_NETWORK = 2;
