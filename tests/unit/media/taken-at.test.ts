// Spec of takenAt: the moment a photo was taken, as exact as its metadata allows, never a wrong clock's fantasy.

import { describe, expect, it } from 'vitest';
import {
	offsetFromGps,
	parseExifDateTime,
	parseExifOffset,
	resolveTakenAt,
	type WallClock
} from '../../../src/lib/media/taken-at';

const NOW = Date.UTC(2025, 0, 1);
/** A device in UTC-5, so "local" results differ from every offset used below. */
const localTime = (clock: WallClock) =>
	Date.UTC(
		clock.year,
		clock.month - 1,
		clock.day,
		clock.hour,
		clock.minute,
		clock.second,
		clock.millisecond
	) +
	5 * 3_600_000;
const options = { now: NOW, localTime };

describe('resolveTakenAt', () => {
	it('uses DateTimeOriginal with OffsetTimeOriginal exactly, sub-seconds included', () => {
		const result = resolveTakenAt(
			{
				dateTimeOriginal: '2023:07:14 18:30:05',
				offsetTimeOriginal: '+02:00',
				subSecTimeOriginal: '25'
			},
			123,
			options
		);
		expect(result).toEqual({
			takenAt: Date.UTC(2023, 6, 14, 16, 30, 5, 250),
			takenAtSource: 'exif-offset'
		});
		expect(
			resolveTakenAt(
				{ dateTimeOriginal: '2023:07:14 18:30:05', offsetTimeOriginal: '-05:30' },
				0,
				options
			).takenAt
		).toBe(Date.UTC(2023, 6, 15, 0, 0, 5));
	});

	it('works out the offset from the GPS fix time when the camera wrote none', () => {
		const result = resolveTakenAt(
			// Tokyo (+09:00); the fix is 40 s older than the shot.
			{ dateTimeOriginal: '2023:03:01 09:00:00', gpsTimeMs: Date.UTC(2023, 2, 1, 0, 0, -40) },
			0,
			options
		);
		expect(result).toEqual({ takenAt: Date.UTC(2023, 2, 1, 0, 0, 0), takenAtSource: 'exif-gps' });
	});

	it("reads the wall clock in this device's zone when nothing says otherwise", () => {
		const result = resolveTakenAt({ dateTimeOriginal: '2023:03:01 09:00:00' }, 0, options);
		expect(result).toEqual({
			takenAt: Date.UTC(2023, 2, 1, 14, 0, 0),
			takenAtSource: 'exif-local'
		});
		// The default reader is the platform's local time.
		const real = resolveTakenAt({ dateTimeOriginal: '2023:03:01 09:00:00' }, 0, { now: NOW });
		expect(real.takenAt).toBe(new Date(2023, 2, 1, 9, 0, 0).getTime());
	});

	it('falls back to CreateDate, then to the file date, then to now', () => {
		expect(
			resolveTakenAt(
				{
					dateTimeOriginal: '0000:00:00 00:00:00',
					createDate: '2020:02:29 12:00:00',
					offsetTimeDigitized: 'Z'
				},
				1,
				options
			)
		).toEqual({ takenAt: Date.UTC(2020, 1, 29, 12), takenAtSource: 'exif-offset' });
		const fileDate = Date.UTC(2021, 5, 1);
		expect(resolveTakenAt({ dateTimeOriginal: '    :  :     :  :  ' }, fileDate, options)).toEqual({
			takenAt: fileDate,
			takenAtSource: 'file'
		});
		expect(resolveTakenAt(null, fileDate, options)).toEqual({
			takenAt: fileDate,
			takenAtSource: 'file'
		});
		expect(resolveTakenAt(null, undefined, options)).toEqual({
			takenAt: NOW,
			takenAtSource: 'import'
		});
		expect(resolveTakenAt(null, 0, options).takenAtSource).toBe('import');
	});

	it('ignores a camera clock set in the future or before photography', () => {
		const fileDate = Date.UTC(2024, 11, 1);
		for (const date of ['2099:01:01 00:00:00', '1800:01:01 00:00:00', '0050:01:01 00:00:00']) {
			expect(
				resolveTakenAt({ dateTimeOriginal: date, offsetTimeOriginal: '+00:00' }, fileDate, options)
			).toEqual({
				takenAt: fileDate,
				takenAtSource: 'file'
			});
		}
		// Old scans are fine: takenAt may be before 1970.
		expect(
			resolveTakenAt(
				{ dateTimeOriginal: '1955:06:01 10:00:00', offsetTimeOriginal: '+00:00' },
				0,
				options
			).takenAt
		).toBe(Date.UTC(1955, 5, 1, 10));
	});

	it('always returns a whole number of milliseconds', () => {
		const result = resolveTakenAt({ dateTimeOriginal: '2023:07:14 18:30:05.123456' }, 0, options);
		expect(Number.isSafeInteger(result.takenAt)).toBe(true);
		expect(result.takenAt % 1000).toBe(123);
	});
});

describe('parseExifDateTime', () => {
	it('accepts the EXIF form and the common variants', () => {
		expect(parseExifDateTime('2023:07:14 18:30:05')).toMatchObject({
			year: 2023,
			month: 7,
			day: 14,
			hour: 18,
			minute: 30,
			second: 5
		});
		expect(parseExifDateTime('2023-07-14T18:30:05')).not.toBeNull();
		expect(parseExifDateTime('2023:07:14 18:30')).toMatchObject({ second: 0 });
		expect(parseExifDateTime('2023:07:14 18:30:05+01:00')).toMatchObject({ offsetMinutes: 60 });
		expect(parseExifDateTime('2023:07:14 18:30:05', '7')).toMatchObject({ millisecond: 700 });
	});

	it('refuses blanks and impossible dates', () => {
		for (const text of [
			'',
			'0000:00:00 00:00:00',
			'2023:02:29 10:00:00',
			'2023:04:31 10:00:00',
			'2023:07:14 24:00:00',
			'2023:07:14',
			'yesterday'
		]) {
			expect(parseExifDateTime(text), text).toBeNull();
		}
	});
});

describe('parseExifOffset and offsetFromGps', () => {
	it('parses offsets within ±14 h', () => {
		expect(parseExifOffset('+02:00')).toBe(120);
		expect(parseExifOffset('-0930')).toBe(-570);
		expect(parseExifOffset('Z')).toBe(0);
		expect(parseExifOffset('+14:00')).toBe(840);
		expect(parseExifOffset('+15:00')).toBeNull();
		expect(parseExifOffset('+02:75')).toBeNull();
		expect(parseExifOffset('   ')).toBeNull();
	});

	it('rounds to the quarter hour and refuses a stale fix', () => {
		const wall = Date.UTC(2023, 0, 1, 12, 0, 0);
		expect(offsetFromGps(wall, wall - 345 * 60_000 - 20_000)).toBe(345); // Nepal, +05:45
		expect(offsetFromGps(wall, wall + 60_000)).toBe(0);
		expect(offsetFromGps(wall, wall - 37 * 60_000)).toBeNull(); // 7 min off any zone
		expect(offsetFromGps(wall, wall - 20 * 3_600_000)).toBeNull();
		expect(offsetFromGps(wall, undefined)).toBeNull();
	});
});
