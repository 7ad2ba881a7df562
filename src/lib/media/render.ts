// Draws a decoded image or video frame into the thumbnail, preview and ThumbHash: canvas work shared by the worker and the page.

import { MediaImportError, throwIfAborted } from './errors';
import { downscaleSteps, previewSize, thumbSize, thumbhashSize, type Size } from './sizes';
import { encodeThumbhash } from './thumbhash';

export type RenditionMime = 'image/webp' | 'image/jpeg';

/** A rendition (thumbnail or preview) as encoded bytes. */
export interface EncodedImage {
	bytes: Uint8Array;
	mime: RenditionMime;
	width: number;
	height: number;
}

export interface Renditions {
	thumb: EncodedImage;
	preview?: EncodedImage;
	thumbhash: Uint8Array;
}

/**
 * Thumbnails are WebP (about two thirds of a JPEG's bytes at the same quality, and there are
 * thousands of them); previews are JPEG, whose encoder is 4-6x faster than WebP's at 2048 px
 * (measured in Chromium: ~150 ms against ~900 ms), which matters when importing hundreds of photos.
 */
const QUALITY = { thumbWebp: 0.8, thumbJpeg: 0.85, preview: 0.85 } as const;

type AnyCanvas = OffscreenCanvas | HTMLCanvasElement;
type Context2D = OffscreenCanvasRenderingContext2D | CanvasRenderingContext2D;
type Source = ImageBitmap | HTMLVideoElement | AnyCanvas;

/**
 * The thumbnail format: WebP where the browser can encode it (Chromium, Firefox), else JPEG
 * (Safari, whose encoder returns PNG when asked for WebP). Decided by the first encode.
 */
let thumbMime: RenditionMime | undefined;

/**
 * Renders `source` (already upright: an ImageBitmap made with imageOrientation 'from-image', or a
 * video frame) into a thumbnail, a preview when `withPreview`, and a ThumbHash. Each step draws from
 * the previous, smaller one, so the full-size source is read at most twice.
 */
export async function renderRenditions(
	source: Source,
	size: Size,
	options: { withPreview: boolean; signal?: AbortSignal }
): Promise<Renditions> {
	let preview: EncodedImage | undefined;
	let base: { canvas: Source; size: Size } = { canvas: source, size };
	if (options.withPreview) {
		const canvas = drawScaled(source, size, previewSize(size));
		preview = await encode(canvas, 'preview');
		base = { canvas, size: { width: canvas.width, height: canvas.height } };
		throwIfAborted(options.signal);
	}
	const thumbCanvas = drawScaled(base.canvas, base.size, thumbSize(size));
	const thumb = await encode(thumbCanvas, 'thumb');
	throwIfAborted(options.signal);

	const small = thumbhashSize({ width: thumbCanvas.width, height: thumbCanvas.height });
	const hashCanvas = drawScaled(thumbCanvas, thumbCanvas, small);
	const pixels = context(hashCanvas).getImageData(0, 0, small.width, small.height);
	const thumbhash = encodeThumbhash(small.width, small.height, pixels.data);
	return preview ? { thumb, preview, thumbhash } : { thumb, thumbhash };
}

/** Whether this context can render at all (OffscreenCanvas in a worker, or a document). */
export function canRender(): boolean {
	return typeof OffscreenCanvas !== 'undefined' || typeof document !== 'undefined';
}

function createCanvas(size: Size): AnyCanvas {
	if (typeof OffscreenCanvas !== 'undefined') return new OffscreenCanvas(size.width, size.height);
	if (typeof document !== 'undefined') {
		const canvas = document.createElement('canvas');
		canvas.width = size.width;
		canvas.height = size.height;
		return canvas;
	}
	throw new MediaImportError(
		'no-canvas',
		'This browser cannot make thumbnails (no canvas available).'
	);
}

function context(canvas: AnyCanvas): Context2D {
	const ctx = canvas.getContext('2d') as Context2D | null;
	if (!ctx) {
		throw new MediaImportError(
			'no-canvas',
			'This browser could not draw the thumbnail (no 2D canvas).'
		);
	}
	return ctx;
}

/** Draws `source` at `target` size, halving in steps first when the reduction is large. */
function drawScaled(source: Source, from: Size, target: Size): AnyCanvas {
	let current: Source = source;
	let currentSize = from;
	for (const step of [...downscaleSteps(from, target), target]) {
		const canvas = createCanvas(step);
		const ctx = context(canvas);
		ctx.imageSmoothingEnabled = true;
		ctx.imageSmoothingQuality = 'high';
		ctx.drawImage(
			current,
			0,
			0,
			currentSize.width,
			currentSize.height,
			0,
			0,
			step.width,
			step.height
		);
		current = canvas;
		currentSize = step;
	}
	return current as AnyCanvas;
}

async function encode(canvas: AnyCanvas, kind: 'thumb' | 'preview'): Promise<EncodedImage> {
	const blob =
		kind === 'thumb'
			? await encodeThumb(canvas)
			: await toBlob(onWhite(canvas), 'image/jpeg', QUALITY.preview);
	if (blob.type !== 'image/webp' && blob.type !== 'image/jpeg') {
		throw new MediaImportError(
			'no-canvas',
			'This browser cannot encode thumbnails as WebP or JPEG.'
		);
	}
	return {
		bytes: new Uint8Array(await blob.arrayBuffer()),
		mime: blob.type,
		width: canvas.width,
		height: canvas.height
	};
}

async function encodeThumb(canvas: AnyCanvas): Promise<Blob> {
	if (thumbMime !== 'image/jpeg') {
		const webp = await toBlob(canvas, 'image/webp', QUALITY.thumbWebp);
		if (webp.type === 'image/webp') {
			thumbMime = 'image/webp';
			return webp;
		}
		// This browser cannot encode WebP (it returned PNG): JPEG for this and every later thumbnail.
		thumbMime = 'image/jpeg';
	}
	return toBlob(onWhite(canvas), 'image/jpeg', QUALITY.thumbJpeg);
}

/** JPEG has no alpha: transparent pixels would turn black, so they are put on white first. */
function onWhite(canvas: AnyCanvas): AnyCanvas {
	const flat = createCanvas(canvas);
	const ctx = context(flat);
	ctx.fillStyle = '#ffffff';
	ctx.fillRect(0, 0, flat.width, flat.height);
	ctx.drawImage(canvas, 0, 0);
	return flat;
}

function toBlob(canvas: AnyCanvas, type: RenditionMime, quality: number): Promise<Blob> {
	if ('convertToBlob' in canvas) return canvas.convertToBlob({ type, quality });
	return new Promise((resolve, reject) =>
		canvas.toBlob(
			(blob) =>
				blob
					? resolve(blob)
					: reject(
							new MediaImportError('no-canvas', 'This browser could not encode the thumbnail.')
						),
			type,
			quality
		)
	);
}
