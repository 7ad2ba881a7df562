// Turns a photo's base64url ThumbHash into a tiny PNG data URL, remembering recent answers.

import { thumbHashToDataURL } from 'thumbhash';
import { fromBase64Url } from '../../crypto/base64url';

/** About 1,000 placeholders of ~3 KB each: enough for several screens of grid, bounded on 100k-photo libraries. */
const LIMIT = 1000;
const memo = new Map<string, string | null>();

/**
 * The placeholder image for `hash`, or null when it is missing or not a ThumbHash (the cell then
 * shows a plain tint: a bad hash from another device must never break the grid).
 */
export function thumbhashToDataUrl(hash: string | undefined): string | null {
	if (!hash) return null;
	const known = memo.get(hash);
	if (known !== undefined) {
		// Re-insert so the Map's order stays least-recently-used first.
		memo.delete(hash);
		memo.set(hash, known);
		return known;
	}
	let url: string | null;
	try {
		const bytes = fromBase64Url(hash);
		// A ThumbHash has a 5-byte header; anything shorter (or absurdly long) is not one.
		url = bytes.length >= 5 && bytes.length <= 64 ? thumbHashToDataURL(bytes) : null;
	} catch {
		url = null;
	}
	memo.set(hash, url);
	if (memo.size > LIMIT) {
		const oldest = memo.keys().next().value;
		if (oldest !== undefined) memo.delete(oldest);
	}
	return url;
}
