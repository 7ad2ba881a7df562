// The sizes import renders (thumbnail, preview, ThumbHash input) and the limits it enforces: pure arithmetic.

import { WEB_IMAGE_TYPES } from './mime';

export interface Size {
	width: number;
	height: number;
}

/** Thumbnails: 512 px on the long side fills a grid cell of 256 CSS px on a 2x screen. */
export const THUMB_LONG_SIDE = 512;
/** ...but never less than this on the short side, so panoramas stay sharp in a justified row. */
export const THUMB_MIN_SHORT_SIDE = 256;
/** ...and never more than this on the long side (a 10:1 panorama stops here). */
export const THUMB_MAX_LONG_SIDE = 1536;
/** Previews: full-screen on a laptop or phone, at a fraction of a camera original's bytes. */
export const PREVIEW_LONG_SIDE = 2048;
/** ThumbHash encodes at most 100x100 pixels. */
export const THUMBHASH_MAX_SIDE = 100;

/** Above this many pixels an image is not decoded (a 200 MP decode takes 800 MB of memory). */
export const MAX_DECODE_PIXELS = 200_000_000;
/** The largest photo Tessera imports (camera JPEGs and HEICs are 2-40 MB; big PNG scans reach 200). */
export const MAX_IMAGE_BYTES = 256 * 1024 * 1024;
/** The largest video Tessera imports (about an hour of 4K from a phone). */
export const MAX_VIDEO_BYTES = 16 * 1024 * 1024 * 1024;

/** Scales `size` down (never up) so its long side is at most `longSide`; each side at least 1 px. */
export function fitWithin(size: Size, longSide: number): Size {
	const scale = Math.min(1, longSide / Math.max(size.width, size.height));
	return scaled(size, scale);
}

/** The thumbnail's size: long side 512, unless that leaves the short side under 256 px. */
export function thumbSize(size: Size): Size {
	const long = Math.max(size.width, size.height);
	const short = Math.min(size.width, size.height);
	let scale = THUMB_LONG_SIDE / long;
	if (short * scale < THUMB_MIN_SHORT_SIDE) {
		scale = Math.min(THUMB_MIN_SHORT_SIDE / short, THUMB_MAX_LONG_SIDE / long);
	}
	return scaled(size, Math.min(1, scale));
}

/** The preview's size: long side 2048 (never upscaled). */
export function previewSize(size: Size): Size {
	return fitWithin(size, PREVIEW_LONG_SIDE);
}

/** The size of the rendering ThumbHash is computed from. */
export function thumbhashSize(size: Size): Size {
	return fitWithin(size, THUMBHASH_MAX_SIDE);
}

/**
 * Whether an image gets a preview besides its thumbnail: when it is larger than a preview, or in a
 * format not every browser shows (a HEIC decoded on Safari must still show on Chromium).
 */
export function needsPreview(size: Size, mime: string): boolean {
	return Math.max(size.width, size.height) > PREVIEW_LONG_SIDE || !WEB_IMAGE_TYPES.has(mime);
}

/** The widths and heights of halving steps from `from` down to `to` (excluding both ends). */
export function downscaleSteps(from: Size, to: Size): Size[] {
	// Browsers' smoothing samples a limited footprint; halving first keeps large reductions from aliasing.
	const steps: Size[] = [];
	let current = from;
	while (current.width > to.width * 2 && current.height > to.height * 2) {
		current = {
			width: Math.max(to.width, Math.round(current.width / 2)),
			height: Math.max(to.height, Math.round(current.height / 2))
		};
		steps.push(current);
	}
	return steps;
}

function scaled(size: Size, scale: number): Size {
	return {
		width: Math.max(1, Math.round(size.width * scale)),
		height: Math.max(1, Math.round(size.height * scale))
	};
}
