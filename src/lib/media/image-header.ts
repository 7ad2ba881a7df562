// Pixel sizes read from image headers, without decoding: for formats this browser cannot decode and to refuse pixel bombs.

/** The size as stored in the file, before any orientation is applied. */
export interface StoredSize {
	width: number;
	height: number;
	/**
	 * HEIF/AVIF only: quarter turns anticlockwise from the `irot` property. In these formats the
	 * container's transform, not EXIF Orientation, says how to show the image.
	 */
	quarterTurns?: number;
}

/** How many leading bytes the header readers need at most (HEIF's meta box sits near the start). */
export const HEADER_BYTES = 256 * 1024;

/** The stored size of an image of type `mime` from its first bytes, or null when not found there. */
export function readImageSize(head: Uint8Array, mime: string): StoredSize | null {
	try {
		switch (mime) {
			case 'image/jpeg':
				return jpegSize(head);
			case 'image/png':
				return head.length >= 24 ? positive(u32be(head, 16), u32be(head, 20)) : null;
			case 'image/gif':
				return head.length >= 10 ? positive(u16le(head, 6), u16le(head, 8)) : null;
			case 'image/webp':
				return webpSize(head);
			case 'image/heic':
			case 'image/heif':
			case 'image/heic-sequence':
			case 'image/heif-sequence':
			case 'image/avif':
				return heifSize(head);
			default:
				return null;
		}
	} catch {
		// A truncated or hostile header is "size unknown", never an import failure.
		return null;
	}
}

/** The size as shown: width and height swap for EXIF orientations 5-8, or HEIF's odd quarter turns. */
export function orientedSize(
	size: StoredSize,
	exifOrientation: number
): { width: number; height: number } {
	const swap =
		size.quarterTurns !== undefined
			? size.quarterTurns % 2 === 1
			: exifOrientation >= 5 && exifOrientation <= 8;
	return swap
		? { width: size.height, height: size.width }
		: { width: size.width, height: size.height };
}

/** Walks JPEG segments to the first start-of-frame marker, which holds the size. */
function jpegSize(bytes: Uint8Array): StoredSize | null {
	let at = 2;
	while (at + 9 < bytes.length) {
		if (bytes[at] !== 0xff) return null;
		const marker = bytes[at + 1]!;
		if (marker === 0xff) {
			at++; // fill byte
			continue;
		}
		// Standalone markers carry no length.
		if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) {
			at += 2;
			continue;
		}
		// SOF0-SOF15 except DHT (C4), JPG (C8) and DAC (CC).
		if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
			return positive(u16be(bytes, at + 7), u16be(bytes, at + 5));
		}
		if (marker === 0xda || marker === 0xd9) return null; // scan data or end before any frame
		at += 2 + u16be(bytes, at + 2);
	}
	return null;
}

function webpSize(bytes: Uint8Array): StoredSize | null {
	const chunk = ascii(bytes, 12, 4);
	if (chunk === 'VP8X' && bytes.length >= 30) {
		return positive(1 + u24le(bytes, 24), 1 + u24le(bytes, 27));
	}
	if (chunk === 'VP8 ' && bytes.length >= 30) {
		// A key frame: 3-byte frame tag, start code 9d 01 2a, then 14-bit width and height.
		if (bytes[23] !== 0x9d || bytes[24] !== 0x01 || bytes[25] !== 0x2a) return null;
		return positive(u16le(bytes, 26) & 0x3fff, u16le(bytes, 28) & 0x3fff);
	}
	if (chunk === 'VP8L' && bytes.length >= 25) {
		if (bytes[20] !== 0x2f) return null;
		const bits = bytes[21]! | (bytes[22]! << 8) | (bytes[23]! << 16) | (bytes[24]! << 24);
		return positive((bits & 0x3fff) + 1, ((bits >>> 14) & 0x3fff) + 1);
	}
	return null;
}

interface Box {
	type: string;
	/** Offset of the box's payload. */
	start: number;
	/** Offset just past the box. */
	end: number;
}

/**
 * HEIF and AVIF: the item properties (meta > iprp > ipco) hold an `ispe` (size) per image item and
 * an `irot` per rotated item. The primary image is the largest one (a grid is larger than its
 * tiles and its thumbnail), and phones write a single `irot`, the primary image's.
 */
function heifSize(bytes: Uint8Array): StoredSize | null {
	const meta = findBox(bytes, 0, bytes.length, 'meta');
	if (!meta) return null;
	// meta is a full box: 4 bytes of version and flags precede its children.
	const iprp = findBox(bytes, meta.start + 4, meta.end, 'iprp');
	const ipco = iprp && findBox(bytes, iprp.start, iprp.end, 'ipco');
	if (!ipco) return null;
	let best: StoredSize | null = null;
	let quarterTurns: number | undefined;
	for (const box of children(bytes, ipco.start, ipco.end)) {
		if (box.type === 'ispe' && box.start + 12 <= box.end) {
			const width = u32be(bytes, box.start + 4);
			const height = u32be(bytes, box.start + 8);
			if (width > 0 && height > 0 && (!best || width * height > best.width * best.height)) {
				best = { width, height };
			}
		} else if (box.type === 'irot' && box.start < box.end && quarterTurns === undefined) {
			quarterTurns = bytes[box.start]! & 0x03;
		}
	}
	if (!best) return null;
	return quarterTurns === undefined ? best : { ...best, quarterTurns };
}

function* children(bytes: Uint8Array, start: number, end: number): Generator<Box> {
	let at = start;
	while (at + 8 <= end) {
		let size = u32be(bytes, at);
		const type = ascii(bytes, at + 4, 4);
		let header = 8;
		if (size === 1) {
			// A 64-bit size; the high half is zero for anything within a header.
			if (at + 16 > end || u32be(bytes, at + 8) !== 0) return;
			size = u32be(bytes, at + 12);
			header = 16;
		} else if (size === 0) {
			size = end - at; // to the end of the enclosing box
		}
		if (size < header || at + size > end) {
			// A box cut off by the end of what we read: its payload still starts where it starts.
			yield { type, start: at + header, end: Math.min(end, bytes.length) };
			return;
		}
		yield { type, start: at + header, end: at + size };
		at += size;
	}
}

function findBox(bytes: Uint8Array, start: number, end: number, type: string): Box | undefined {
	for (const box of children(bytes, start, end)) if (box.type === type) return box;
	return undefined;
}

function positive(width: number, height: number): StoredSize | null {
	return width > 0 && height > 0 ? { width, height } : null;
}

function ascii(bytes: Uint8Array, offset: number, length: number): string {
	if (offset + length > bytes.length) return '';
	return String.fromCharCode(...bytes.subarray(offset, offset + length));
}

function u16be(b: Uint8Array, at: number): number {
	return (b[at]! << 8) | b[at + 1]!;
}

function u16le(b: Uint8Array, at: number): number {
	return b[at]! | (b[at + 1]! << 8);
}

function u24le(b: Uint8Array, at: number): number {
	return b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16);
}

function u32be(b: Uint8Array, at: number): number {
	return ((b[at]! << 24) >>> 0) + (b[at + 1]! << 16) + (b[at + 2]! << 8) + b[at + 3]!;
}
