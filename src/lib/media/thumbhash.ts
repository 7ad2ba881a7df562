// ThumbHash placeholders: encoding from a small RGBA rendering, and decoding to an image URL for the UI.

import { rgbaToThumbHash, thumbHashToApproximateAspectRatio, thumbHashToDataURL } from 'thumbhash';
import { THUMBHASH_MAX_SIDE } from './sizes';

/**
 * The ThumbHash of an image rendered at `width` x `height` (each 1-100 px) as straight
 * (not premultiplied) RGBA, which is what canvas getImageData returns. About 20-25 bytes.
 */
export function encodeThumbhash(
	width: number,
	height: number,
	rgba: Uint8Array | Uint8ClampedArray
): Uint8Array {
	for (const [name, side] of [
		['width', width],
		['height', height]
	] as const) {
		if (!Number.isInteger(side) || side < 1 || side > THUMBHASH_MAX_SIDE) {
			throw new RangeError(`ThumbHash ${name} must be 1-${THUMBHASH_MAX_SIDE} px, got ${side}`);
		}
	}
	if (rgba.length !== width * height * 4) {
		throw new RangeError(`ThumbHash needs ${width * height * 4} RGBA bytes, got ${rgba.length}`);
	}
	return rgbaToThumbHash(width, height, rgba);
}

/** A PNG data URL of the placeholder, for an <img> while the thumbnail loads. */
export function thumbhashDataUrl(hash: Uint8Array): string {
	return thumbHashToDataURL(hash);
}

/** The approximate width/height ratio a ThumbHash was made from. */
export function thumbhashAspectRatio(hash: Uint8Array): number {
	return thumbHashToApproximateAspectRatio(hash);
}
