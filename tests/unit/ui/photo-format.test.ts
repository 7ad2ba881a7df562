// What the grid and info panel print: durations, exposure lines, coordinates, dimensions, extensions, storage.

import { describe, expect, it } from 'vitest';
import {
	fileExtension,
	formatCoordinates,
	formatDimensions,
	formatDuration,
	formatExposure,
	formatShutter
} from '../../../src/lib/ui/photos/photo-format';
import { readStorage } from '../../../src/lib/ui/photos/storage';

describe('photo facts', () => {
	it('prints video durations as players do', () => {
		expect(formatDuration(0)).toBe('0:00');
		expect(formatDuration(9_600)).toBe('0:10');
		expect(formatDuration(75_000)).toBe('1:15');
		expect(formatDuration(3_725_000)).toBe('1:02:05');
		expect(formatDuration(Number.NaN)).toBe('');
	});

	it('prints the exposure line in the order photographers read it', () => {
		expect(
			formatExposure({ aperture: 1.8, exposureSeconds: 1 / 120, iso: 100, focalLengthMm: 26 })
		).toBe('f/1.8 · 1/120 s · ISO 100 · 26 mm');
		expect(formatExposure({ aperture: 2.8 })).toBe('f/2.8');
		expect(formatExposure({ iso: 3200, focalLengthMm: 6.86 })).toBe('ISO 3200 · 6.9 mm');
		expect(formatExposure(undefined)).toBe('');
	});

	it('writes short shutter speeds as fractions and long ones in seconds', () => {
		expect(formatShutter(1 / 4000)).toBe('1/4000 s');
		expect(formatShutter(0.0333)).toBe('1/30 s');
		expect(formatShutter(0.4)).toBe('0.4 s');
		expect(formatShutter(2)).toBe('2 s');
	});

	it('writes coordinates with hemispheres and no signs', () => {
		expect(formatCoordinates(51.50722, -0.1275)).toBe('51.50722° N, 0.12750° W');
		expect(formatCoordinates(-33.8688, 151.2093)).toBe('33.86880° S, 151.20930° E');
	});

	it('gives dimensions with megapixels, and nothing when unknown', () => {
		expect(formatDimensions(4032, 3024)).toBe('4032 × 3024 (12.2 MP)');
		expect(formatDimensions(0, 0)).toBe('');
	});

	it('shows the extension of an unsupported file, or FILE without one', () => {
		expect(fileExtension('IMG_0042.heic')).toBe('HEIC');
		expect(fileExtension('scan.final.ARW')).toBe('ARW');
		expect(fileExtension('README')).toBe('FILE');
		expect(fileExtension('.hidden')).toBe('FILE');
		expect(fileExtension('clip.verylongext')).toBe('VERYL');
	});
});

describe('readStorage', () => {
	it('reads used against quota in decimal units', () => {
		expect(readStorage(2_300_000_000, 10_000_000_000)).toEqual({
			fraction: 0.23,
			level: 'ok',
			text: '2.3 GB of 10.0 GB used'
		});
	});

	it('warns past 90% and says full at the quota', () => {
		expect(readStorage(905, 1000).level).toBe('warning');
		expect(readStorage(899, 1000).level).toBe('ok');
		expect(readStorage(1000, 1000).level).toBe('full');
		expect(readStorage(1200, 1000).fraction).toBe(1);
	});

	it('has no bar to fill without a quota', () => {
		expect(readStorage(5_000_000, null)).toEqual({ fraction: 0, level: 'ok', text: '5.0 MB used' });
	});
});
