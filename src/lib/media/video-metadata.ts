// MP4/MOV metadata from the moov box: duration, size, rotation, creation date and location, without decoding.

/** Reads `length` bytes at `offset` (a Blob slice, or a subarray in tests). */
export type ByteReader = (offset: number, length: number) => Promise<Uint8Array>;

export interface VideoMetadata {
	durationMs?: number;
	/** As shown: the video track's size with its rotation applied. */
	width?: number;
	height?: number;
	/**
	 * When recording began, in ms since 1970 (UTC). From Apple's creationdate key (which carries
	 * the zone) when present, else the movie header's creation time (UTC by the standard).
	 */
	createdAt?: number;
	/** From Apple's ISO 6709 location key or the ©xyz box phones write. */
	gps?: { lat: number; lon: number };
}

/** A moov box larger than this is not read (it would be a file of days of video). */
const MAX_MOOV_BYTES = 64 * 1024 * 1024;
const MAX_TOP_LEVEL_BOXES = 10_000;
/** Seconds from 1904-01-01 (the QuickTime epoch) to 1970-01-01. */
const EPOCH_1904_S = 2_082_844_800;

/**
 * Finds the moov box among the file's top-level boxes (reading only their headers, so the media
 * data is skipped whether moov comes first or last) and parses it. Null when there is none.
 */
export async function readVideoMetadata(
	read: ByteReader,
	size: number
): Promise<VideoMetadata | null> {
	let offset = 0;
	for (let count = 0; offset + 8 <= size && count < MAX_TOP_LEVEL_BOXES; count++) {
		const header = await read(offset, 16);
		if (header.length < 8) return null;
		let boxSize = u32(header, 0);
		const type = fourCc(header, 4);
		let headerSize = 8;
		if (boxSize === 1) {
			if (header.length < 16) return null;
			boxSize = u32(header, 8) * 2 ** 32 + u32(header, 12);
			headerSize = 16;
		} else if (boxSize === 0) {
			boxSize = size - offset;
		}
		if (boxSize < headerSize) return null;
		if (type === 'moov') {
			if (boxSize > MAX_MOOV_BYTES) return null;
			const moov = await read(offset + headerSize, Math.min(boxSize, size - offset) - headerSize);
			return parseMoov(moov);
		}
		offset += boxSize;
	}
	return null;
}

/** Parses the payload of a moov box. Never throws: malformed parts are left out. */
export function parseMoov(moov: Uint8Array): VideoMetadata {
	const result: VideoMetadata = {};
	try {
		const mvhd = find(moov, 0, moov.length, 'mvhd');
		if (mvhd) readMovieHeader(moov, mvhd, result);
		for (const trak of children(moov, 0, moov.length)) {
			if (trak.type !== 'trak') continue;
			const mdia = find(moov, trak.start, trak.end, 'mdia');
			const hdlr = mdia && find(moov, mdia.start, mdia.end, 'hdlr');
			if (!hdlr || fourCc(moov, hdlr.start + 8) !== 'vide') continue;
			const tkhd = find(moov, trak.start, trak.end, 'tkhd');
			if (tkhd) readTrackHeader(moov, tkhd, result);
			break;
		}
		readAppleKeys(moov, result);
		const udta = find(moov, 0, moov.length, 'udta');
		const xyz = udta && find(moov, udta.start, udta.end, '\u00a9xyz');
		if (xyz && !result.gps) {
			// ©xyz: a 2-byte length and a 2-byte language code, then the ISO 6709 string.
			const length = u16(moov, xyz.start);
			const gps = parseIso6709(
				latin1(moov, xyz.start + 4, Math.min(length, xyz.end - xyz.start - 4))
			);
			if (gps) result.gps = gps;
		}
	} catch {
		// A hostile or truncated box: keep what was read before it.
	}
	return result;
}

/** '+48.8584+002.2945+035.000/' (degrees, optional altitude) to a latitude and longitude. */
export function parseIso6709(text: string): { lat: number; lon: number } | null {
	const match = /^([+-]\d{1,2}(?:\.\d+)?)([+-]\d{1,3}(?:\.\d+)?)/.exec(text.trim());
	if (!match) return null;
	const lat = Number(match[1]);
	const lon = Number(match[2]);
	if (!(Math.abs(lat) <= 90 && Math.abs(lon) <= 180) || (lat === 0 && lon === 0)) return null;
	return { lat, lon };
}

/**
 * '2023-07-14T18:30:05+0200' (Apple's creationdate) to ms since 1970; null without a zone, since
 * a zoneless date is no better than the movie header's UTC time.
 */
export function parseCreationDate(text: string): number | null {
	const match =
		/^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(Z|[+-]\d{2}:?\d{2})$/.exec(
			text.trim()
		);
	if (!match) return null;
	const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as number[];
	const wall = Date.UTC(year!, month! - 1, day!, hour!, minute!, second!);
	const zone = match[7]!;
	let offsetMinutes = 0;
	if (zone !== 'Z') {
		const digits = zone.replace(':', '');
		offsetMinutes =
			(Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5))) * (zone[0] === '-' ? -1 : 1);
	}
	const ms = wall - offsetMinutes * 60_000;
	return Number.isFinite(ms) ? ms : null;
}

function readMovieHeader(bytes: Uint8Array, box: Box, result: VideoMetadata): void {
	const version = bytes[box.start]!;
	const at = box.start + 4;
	const created = version === 1 ? u64(bytes, at) : u32(bytes, at);
	const timescale = version === 1 ? u32(bytes, at + 16) : u32(bytes, at + 8);
	const duration = version === 1 ? u64(bytes, at + 20) : u32(bytes, at + 12);
	if (timescale > 0 && duration > 0 && duration !== 0xffffffff) {
		const ms = Math.round((duration / timescale) * 1000);
		if (Number.isSafeInteger(ms)) result.durationMs = ms;
	}
	// 0 means "not set"; values before 1970 are unset clocks.
	if (created > EPOCH_1904_S) result.createdAt = (created - EPOCH_1904_S) * 1000;
}

function readTrackHeader(bytes: Uint8Array, box: Box, result: VideoMetadata): void {
	const version = bytes[box.start]!;
	// After version/flags: times and ids (20 or 32 bytes), 8 reserved, 8 of layer/group/volume.
	const matrixAt = box.start + 4 + (version === 1 ? 32 : 20) + 16;
	const sizeAt = matrixAt + 36;
	if (sizeAt + 8 > box.end) return;
	const width = Math.round(u32(bytes, sizeAt) / 65536);
	const height = Math.round(u32(bytes, sizeAt + 4) / 65536);
	if (width <= 0 || height <= 0) return;
	// The matrix's b entry (16.16) is ±1 for a quarter turn: phones shot upright record this way.
	const b = i32(bytes, matrixAt + 4) / 65536;
	const quarterTurn = Math.abs(Math.abs(b) - 1) < 0.01;
	result.width = quarterTurn ? height : width;
	result.height = quarterTurn ? width : height;
}

/** moov > meta > keys + ilst: QuickTime metadata, where Apple stores the zoned date and location. */
function readAppleKeys(moov: Uint8Array, result: VideoMetadata): void {
	const meta = find(moov, 0, moov.length, 'meta');
	if (!meta) return;
	// In QuickTime files meta is a plain box; in ISO files a full box with 4 bytes of version/flags.
	const start = fourCc(moov, meta.start + 4) === 'hdlr' ? meta.start : meta.start + 4;
	const keys = find(moov, start, meta.end, 'keys');
	const ilst = find(moov, start, meta.end, 'ilst');
	if (!keys || !ilst) return;
	const names: string[] = [];
	let at = keys.start + 8; // version/flags, entry count
	const count = u32(moov, keys.start + 4);
	for (let i = 0; i < count && at + 8 <= keys.end; i++) {
		const size = u32(moov, at);
		if (size < 8) break;
		names.push(latin1(moov, at + 8, Math.min(size, keys.end - at) - 8));
		at += size;
	}
	for (const item of children(moov, ilst.start, ilst.end)) {
		// An ilst item's type is the 1-based index of its key.
		const key = names[u32(moov, item.start - 4) - 1];
		const data = find(moov, item.start, item.end, 'data');
		if (!key || !data || u32(moov, data.start) !== 1) continue; // 1 = UTF-8 text
		const value = new TextDecoder().decode(moov.subarray(data.start + 8, data.end));
		if (key === 'com.apple.quicktime.creationdate') {
			const created = parseCreationDate(value);
			if (created !== null) result.createdAt = created;
		} else if (key === 'com.apple.quicktime.location.ISO6709') {
			const gps = parseIso6709(value);
			if (gps) result.gps = gps;
		}
	}
}

interface Box {
	type: string;
	start: number;
	end: number;
}

function* children(bytes: Uint8Array, start: number, end: number): Generator<Box> {
	let at = start;
	while (at + 8 <= end) {
		const size = u32(bytes, at);
		const type = fourCc(bytes, at + 4);
		if (size < 8 || at + size > end) return;
		yield { type, start: at + 8, end: at + size };
		at += size;
	}
}

function find(bytes: Uint8Array, start: number, end: number, type: string): Box | undefined {
	for (const box of children(bytes, start, end)) if (box.type === type) return box;
	return undefined;
}

function fourCc(bytes: Uint8Array, at: number): string {
	return latin1(bytes, at, 4);
}

function latin1(bytes: Uint8Array, at: number, length: number): string {
	if (length <= 0 || at + length > bytes.length) return '';
	return String.fromCharCode(...bytes.subarray(at, at + length)).replace(/\0+$/, '');
}

function u16(b: Uint8Array, at: number): number {
	return ((b[at] ?? 0) << 8) | (b[at + 1] ?? 0);
}

function u32(b: Uint8Array, at: number): number {
	if (at + 4 > b.length) return 0;
	return ((b[at]! << 24) >>> 0) + (b[at + 1]! << 16) + (b[at + 2]! << 8) + b[at + 3]!;
}

function i32(b: Uint8Array, at: number): number {
	return u32(b, at) | 0;
}

function u64(b: Uint8Array, at: number): number {
	return u32(b, at) * 2 ** 32 + u32(b, at + 4);
}
