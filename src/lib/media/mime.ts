// Media types from magic bytes: what a file is, whatever its name or the browser's guess says.

export type MediaKind = 'image' | 'video';

export interface MediaType {
	mime: string;
	kind: MediaKind;
}

/** How many leading bytes sniffing looks at (an ftyp box lists its brands within these). */
export const SNIFF_BYTES = 512;

const image = (mime: string): MediaType => ({ mime, kind: 'image' });
const video = (mime: string): MediaType => ({ mime, kind: 'video' });

const HEIC_BRANDS = new Set(['heic', 'heix', 'heim', 'heis']);
const HEIC_SEQUENCE_BRANDS = new Set(['hevc', 'hevx', 'hevm', 'hevs']);
const AVIF_BRANDS = new Set(['avif', 'avis']);
const QUICKTIME_BRANDS = new Set(['qt  ']);
const THREE_GPP_BRANDS = new Set(['3gp4', '3gp5', '3gp6', '3gp7', '3ge6', '3ge7', '3gg6']);
const THREE_GPP2_BRANDS = new Set(['3g2a', '3g2b', '3g2c']);
/** ISO base media brands of video files: MP4 in its many dialects (phones, cameras, DASH, Flash). */
const MP4_BRANDS = new Set([
	'isom',
	'iso2',
	'iso3',
	'iso4',
	'iso5',
	'iso6',
	'iso7',
	'iso8',
	'iso9',
	'mp41',
	'mp42',
	'mp71',
	'avc1',
	'hvc1',
	'av01',
	'M4V ',
	'M4VH',
	'M4VP',
	'dash',
	'f4v ',
	'MSNV',
	'NDAS',
	'XAVC',
	'mmp4'
]);
/** Audio-only and raw-photo files share the ftyp container; they are not media Tessera imports. */
const REFUSED_BRANDS = new Set(['M4A ', 'M4B ', 'M4P ', 'F4A ', 'F4B ', 'crx ']);
/** First atoms of QuickTime files written before ftyp existed. */
const LEGACY_QUICKTIME_ATOMS = new Set(['moov', 'mdat', 'wide', 'pnot']);

/**
 * The media type of a file from its first bytes (at least SNIFF_BYTES when the file is that long),
 * or null when they are not a photo or video format Tessera imports.
 */
export function sniffMediaType(head: Uint8Array): MediaType | null {
	if (startsWith(head, [0xff, 0xd8, 0xff])) return image('image/jpeg');
	if (startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return image('image/png');
	if (ascii(head, 0, 6) === 'GIF87a' || ascii(head, 0, 6) === 'GIF89a') return image('image/gif');
	if (ascii(head, 0, 4) === 'RIFF' && ascii(head, 8, 4) === 'WEBP') return image('image/webp');
	if (ascii(head, 4, 4) === 'ftyp') return sniffIsoBmff(head);
	if (startsWith(head, [0x1a, 0x45, 0xdf, 0xa3])) return sniffMatroska(head);
	if (LEGACY_QUICKTIME_ATOMS.has(ascii(head, 4, 4))) return video('video/quicktime');
	return null;
}

/** ISO base media files (HEIF, AVIF, MP4, MOV, 3GP): told apart by their major and compatible brands. */
function sniffIsoBmff(head: Uint8Array): MediaType | null {
	const boxSize = u32(head, 0);
	const major = ascii(head, 8, 4);
	const compatible: string[] = [];
	// Compatible brands follow the minor version (bytes 12-15), up to the end of the ftyp box.
	for (let at = 16; at + 4 <= Math.min(boxSize, head.length); at += 4) {
		compatible.push(ascii(head, at, 4));
	}
	const brands = [major, ...compatible];

	if (REFUSED_BRANDS.has(major)) return null;
	// The major brand decides first; HEIF's generic brands (mif1, msf1) defer to the compatible list.
	if (AVIF_BRANDS.has(major)) return image('image/avif');
	if (HEIC_BRANDS.has(major)) return image('image/heic');
	if (HEIC_SEQUENCE_BRANDS.has(major)) return image('image/heic-sequence');
	if (QUICKTIME_BRANDS.has(major)) return video('video/quicktime');
	if (THREE_GPP_BRANDS.has(major)) return video('video/3gpp');
	if (THREE_GPP2_BRANDS.has(major)) return video('video/3gpp2');
	if (major === 'mif1' || major === 'msf1' || major === 'miaf') {
		if (brands.some((b) => AVIF_BRANDS.has(b))) return image('image/avif');
		if (brands.some((b) => HEIC_BRANDS.has(b))) return image('image/heic');
		if (brands.some((b) => HEIC_SEQUENCE_BRANDS.has(b))) return image('image/heic-sequence');
		return image(major === 'msf1' ? 'image/heif-sequence' : 'image/heif');
	}
	if (MP4_BRANDS.has(major)) return video('video/mp4');
	// An unknown major brand (a vendor's own) that declares MP4 compatibility is an MP4.
	if (compatible.some((b) => REFUSED_BRANDS.has(b))) return null;
	if (compatible.some((b) => MP4_BRANDS.has(b))) return video('video/mp4');
	if (compatible.some((b) => QUICKTIME_BRANDS.has(b))) return video('video/quicktime');
	return null;
}

/** EBML files: WebM, or Matroska when the DocType says so. */
function sniffMatroska(head: Uint8Array): MediaType {
	// The DocType element (ID 0x4282) sits in the EBML header, within its first few dozen bytes.
	for (let at = 4; at + 3 < Math.min(head.length, 64); at++) {
		if (head[at] !== 0x42 || head[at + 1] !== 0x82) continue;
		const sizeByte = head[at + 2]!;
		// A one-byte EBML size has its top bit set; the DocType is a short string.
		if ((sizeByte & 0x80) === 0) break;
		const type = ascii(head, at + 3, sizeByte & 0x7f);
		return video(type === 'webm' ? 'video/webm' : 'video/x-matroska');
	}
	return video('video/webm');
}

function startsWith(bytes: Uint8Array, prefix: readonly number[]): boolean {
	return prefix.every((byte, i) => bytes[i] === byte);
}

function ascii(bytes: Uint8Array, offset: number, length: number): string {
	if (offset + length > bytes.length) return '';
	return String.fromCharCode(...bytes.subarray(offset, offset + length));
}

function u32(bytes: Uint8Array, offset: number): number {
	if (offset + 4 > bytes.length) return 0;
	return (
		((bytes[offset]! << 24) >>> 0) +
		(bytes[offset + 1]! << 16) +
		(bytes[offset + 2]! << 8) +
		bytes[offset + 3]!
	);
}

/** Formats every current browser shows as an <img>; anything else also gets a preview rendering. */
export const WEB_IMAGE_TYPES: ReadonlySet<string> = new Set([
	'image/jpeg',
	'image/png',
	'image/gif',
	'image/webp',
	'image/avif'
]);
