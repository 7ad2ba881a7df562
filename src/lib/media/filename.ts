// File names as albums keep them: one printable line of at most 255 characters, extension kept.

/** PhotoRef's limit (MAX_FILENAME_LENGTH in albums/photo-ref.ts). */
export const FILENAME_MAX = 255;
/** Longest tail treated as an extension worth keeping when a name is cut ('.jpeg', '.heic'). */
const EXTENSION_MAX = 10;

/** `name` without control characters, cut to 255 UTF-16 units with its extension kept. */
export function tidyFilename(name: string): string {
	// eslint-disable-next-line no-control-regex
	const clean = name.replace(/[\u0000-\u001f\u007f-\u009f]/g, '').trim();
	if (clean.length <= FILENAME_MAX) return clean;
	const dot = clean.lastIndexOf('.');
	const extension =
		dot > 0 && clean.length - dot <= EXTENSION_MAX && !/\s/.test(clean.slice(dot))
			? clean.slice(dot)
			: '';
	return (
		cutUtf16(clean.slice(0, clean.length - extension.length), FILENAME_MAX - extension.length) +
		extension
	);
}

function cutUtf16(text: string, max: number): string {
	if (text.length <= max) return text;
	let end = max;
	const last = text.charCodeAt(end - 1);
	if (last >= 0xd800 && last <= 0xdbff) end--; // never keep half a surrogate pair
	return text.slice(0, end);
}
