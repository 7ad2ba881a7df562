// Human-readable photo facts: video durations, exposure lines, coordinates, dimensions, extensions.

import type { PhotoDetails } from './types';

/** 75_000 -> "1:15"; 3_725_000 -> "1:02:05". Rounds to the nearest second, as players do. */
export function formatDuration(ms: number): string {
	if (!Number.isFinite(ms) || ms < 0) return '';
	const total = Math.round(ms / 1000);
	const hours = Math.floor(total / 3600);
	const minutes = Math.floor((total % 3600) / 60);
	const seconds = String(total % 60).padStart(2, '0');
	return hours > 0
		? `${hours}:${String(minutes).padStart(2, '0')}:${seconds}`
		: `${minutes}:${seconds}`;
}

/** 1/120 s, 0.5 s, 2 s: fractions for short exposures as cameras print them. */
export function formatShutter(seconds: number): string {
	if (seconds >= 1 || seconds <= 0) return `${Number(seconds.toFixed(1))} s`;
	const denominator = Math.round(1 / seconds);
	// 1/3 s shows as such; 0.4 s is not 1/2.5 and reads better as a decimal.
	if (Math.abs(1 / denominator - seconds) / seconds < 0.05) return `1/${denominator} s`;
	return `${Number(seconds.toFixed(2))} s`;
}

/** "f/1.8 · 1/120 s · ISO 100 · 26 mm", leaving out what the camera did not record. */
export function formatExposure(exif: PhotoDetails['exif']): string {
	if (!exif) return '';
	const parts: string[] = [];
	if (exif.aperture !== undefined && exif.aperture > 0) {
		parts.push(`f/${Number(exif.aperture.toFixed(1))}`);
	}
	if (exif.exposureSeconds !== undefined && exif.exposureSeconds > 0) {
		parts.push(formatShutter(exif.exposureSeconds));
	}
	if (exif.iso !== undefined && exif.iso > 0) parts.push(`ISO ${Math.round(exif.iso)}`);
	if (exif.focalLengthMm !== undefined && exif.focalLengthMm > 0) {
		parts.push(`${Number(exif.focalLengthMm.toFixed(1))} mm`);
	}
	return parts.join(' · ');
}

/** 51.50722, -0.1275 -> "51.50722° N, 0.12750° W" (5 decimals: about a metre). */
export function formatCoordinates(lat: number, lon: number): string {
	const ns = lat >= 0 ? 'N' : 'S';
	const ew = lon >= 0 ? 'E' : 'W';
	return `${Math.abs(lat).toFixed(5)}° ${ns}, ${Math.abs(lon).toFixed(5)}° ${ew}`;
}

/** "4032 × 3024 (12.2 MP)"; empty when unknown. */
export function formatDimensions(width: number, height: number): string {
	if (!(width > 0 && height > 0)) return '';
	const megapixels = (width * height) / 1e6;
	const mp = megapixels >= 0.1 ? ` (${Number(megapixels.toFixed(1))} MP)` : '';
	return `${width} × ${height}${mp}`;
}

/** "IMG_0042.HEIC" -> "HEIC"; a name without one (or a dotfile) -> "FILE". At most 5 characters. */
export function fileExtension(filename: string): string {
	const dot = filename.lastIndexOf('.');
	if (dot <= 0 || dot === filename.length - 1) return 'FILE';
	return filename
		.slice(dot + 1)
		.toUpperCase()
		.slice(0, 5);
}
