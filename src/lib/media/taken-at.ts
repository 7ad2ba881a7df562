// When a photo was taken: EXIF wall clock plus its UTC offset when known, else the file's own date.

import type { RawExif } from './exif';

/**
 * Where takenAt came from, best first:
 * - exif-offset: the EXIF date with its OffsetTime tag (exact);
 * - exif-gps: the EXIF date, its offset worked out from the GPS fix time (exact to the quarter hour);
 * - exif-local: the EXIF date read in this device's time zone (right when taken where imported);
 * - video-metadata: a video's recording date (Apple's zoned creationdate, or the MP4 header's UTC time);
 * - file: the file's last-modified date; import: the moment of import (nothing better was known).
 */
export type TakenAtSource =
	'exif-offset' | 'exif-gps' | 'exif-local' | 'video-metadata' | 'file' | 'import';

export interface TakenAt {
	/** Milliseconds since 1970, UTC. */
	takenAt: number;
	takenAtSource: TakenAtSource;
}

/** A date and time as a camera's clock shows it, with no time zone. */
export interface WallClock {
	year: number;
	month: number;
	day: number;
	hour: number;
	minute: number;
	second: number;
	millisecond: number;
	/** An offset written into the date string itself (some tools do), in minutes east of UTC. */
	offsetMinutes?: number;
}

export interface TakenAtOptions {
	/** Now, for the "not in the future" check; Date.now() by default. */
	now?: number;
	/** Reads a wall clock in this device's time zone; `new Date(y, m, d, ...)` by default. */
	localTime?: (clock: WallClock) => number;
}

/** The first photograph was taken in 1826; an earlier EXIF date is a reset camera clock. */
const EARLIEST = Date.UTC(1826, 0, 1);
/** A date more than a day ahead of now is a wrong clock, not a photo from the future. */
const FUTURE_SLACK_MS = 24 * 60 * 60 * 1000;
const MINUTE = 60_000;

/**
 * takenAt from EXIF (DateTimeOriginal, else CreateDate) with the best offset available, else
 * `fileLastModified` (File.lastModified), else now.
 */
export function resolveTakenAt(
	exif: RawExif | null,
	fileLastModified: number | undefined,
	options: TakenAtOptions = {}
): TakenAt {
	const now = options.now ?? Date.now();
	const localTime = options.localTime ?? localWallClock;
	const candidates: [string | undefined, string | undefined, string | undefined][] = [
		[exif?.dateTimeOriginal, exif?.offsetTimeOriginal, exif?.subSecTimeOriginal],
		[exif?.createDate, exif?.offsetTimeDigitized, exif?.subSecTimeDigitized]
	];
	for (const [date, offsetText, subSec] of candidates) {
		const clock = date === undefined ? null : parseExifDateTime(date, subSec);
		if (!clock) continue;
		const wall = wallClockMs(clock);
		const offset = clock.offsetMinutes ?? (offsetText && parseExifOffset(offsetText));
		let result: TakenAt;
		if (typeof offset === 'number') {
			result = { takenAt: wall - offset * MINUTE, takenAtSource: 'exif-offset' };
		} else {
			const fromGps = offsetFromGps(wall, exif?.gpsTimeMs);
			result =
				fromGps === null
					? { takenAt: localTime(clock), takenAtSource: 'exif-local' }
					: { takenAt: wall - fromGps * MINUTE, takenAtSource: 'exif-gps' };
		}
		if (plausible(result.takenAt, now)) return { ...result, takenAt: Math.round(result.takenAt) };
	}
	return fromFile(fileLastModified, now);
}

/**
 * takenAt of a video: its recording date from the container (video-metadata.ts) when plausible,
 * else the file's last-modified date, else now.
 */
export function resolveVideoTakenAt(
	createdAt: number | undefined,
	fileLastModified: number | undefined,
	options: Pick<TakenAtOptions, 'now'> = {}
): TakenAt {
	const now = options.now ?? Date.now();
	if (createdAt !== undefined && plausible(createdAt, now)) {
		return { takenAt: Math.round(createdAt), takenAtSource: 'video-metadata' };
	}
	return fromFile(fileLastModified, now);
}

function fromFile(fileLastModified: number | undefined, now: number): TakenAt {
	if (
		fileLastModified !== undefined &&
		Number.isSafeInteger(fileLastModified) &&
		fileLastModified > 0 &&
		fileLastModified <= now + FUTURE_SLACK_MS
	) {
		return { takenAt: fileLastModified, takenAtSource: 'file' };
	}
	return { takenAt: Math.round(now), takenAtSource: 'import' };
}

/**
 * Parses an EXIF date ('YYYY:MM:DD HH:MM:SS', also with '-' or 'T', optional fraction and offset),
 * with SubSecTime digits when given; null for blanks ('0000:00:00 00:00:00', spaces) and nonsense.
 */
export function parseExifDateTime(text: string, subSec?: string): WallClock | null {
	const match =
		/^(\d{4})[:-](\d{2})[:-](\d{2})[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?\s*(Z|[+-]\d{2}:?\d{2})?$/.exec(
			text.trim()
		);
	if (!match) return null;
	const [year, month, day, hour, minute, second] = match
		.slice(1, 7)
		.map((part) => Number(part ?? 0));
	const clock: WallClock = {
		year: year!,
		month: month!,
		day: day!,
		hour: hour!,
		minute: minute!,
		// A leap second (60) is folded into the next minute's first second's place.
		second: Math.min(second!, 59),
		millisecond: fractionMs(match[7] ?? subSec?.trim())
	};
	// Years below 100 would also be misread by Date.UTC (as 19xx); none is a real photo's.
	if (clock.year < 1800) return null;
	if (clock.month < 1 || clock.month > 12 || clock.day < 1 || clock.hour > 23 || clock.minute > 59)
		return null;
	// Rejects 31 April and 29 February of common years: Date.UTC would roll them over.
	const check = new Date(Date.UTC(clock.year, clock.month - 1, clock.day));
	if (check.getUTCMonth() !== clock.month - 1 || check.getUTCDate() !== clock.day) return null;
	if (match[8]) {
		const offset = parseExifOffset(match[8]);
		if (offset === null) return null;
		clock.offsetMinutes = offset;
	}
	return clock;
}

/** '+02:00', '-0530', 'Z' to minutes east of UTC; null for anything else (or beyond ±14 h). */
export function parseExifOffset(text: string): number | null {
	const trimmed = text.trim();
	if (trimmed === 'Z') return 0;
	const match = /^([+-])(\d{2}):?(\d{2})$/.exec(trimmed);
	if (!match) return null;
	const minutes = Number(match[2]) * 60 + Number(match[3]);
	if (Number(match[3]) > 59 || minutes > 14 * 60) return null;
	return match[1] === '-' ? -minutes : minutes;
}

/** The wall clock's fields as if they were UTC: takenAt = this - offset. */
export function wallClockMs(clock: WallClock): number {
	return Date.UTC(
		clock.year,
		clock.month - 1,
		clock.day,
		clock.hour,
		clock.minute,
		clock.second,
		clock.millisecond
	);
}

/**
 * The camera's UTC offset from the difference between its wall clock and the GPS fix time (UTC),
 * rounded to the quarter hour every zone uses; null when the fix is too far from any such offset
 * (a stale fix, or a camera clock that was off).
 */
export function offsetFromGps(wallMs: number, gpsMs: number | undefined): number | null {
	if (gpsMs === undefined || !Number.isFinite(gpsMs)) return null;
	const differenceMin = (wallMs - gpsMs) / MINUTE;
	const offset = Math.round(differenceMin / 15) * 15;
	if (Math.abs(offset) > 14 * 60 || Math.abs(differenceMin - offset) > 5) return null;
	return offset === 0 ? 0 : offset; // no -0
}

function localWallClock(clock: WallClock): number {
	return new Date(
		clock.year,
		clock.month - 1,
		clock.day,
		clock.hour,
		clock.minute,
		clock.second,
		clock.millisecond
	).getTime();
}

function fractionMs(digits: string | undefined): number {
	if (!digits || !/^\d+$/.test(digits)) return 0;
	return Number(digits.slice(0, 3).padEnd(3, '0'));
}

function plausible(ms: number, now: number): boolean {
	return Number.isFinite(ms) && ms >= EARLIEST && ms <= now + FUTURE_SLACK_MS;
}
