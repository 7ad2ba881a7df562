// Seeded PhotoRefs for the grid benchmark: real-sized ids and keys, a few shared thumbnails, dates bunched into days over three years.

import type { NewPhoto } from '../../src/lib/albums';
import { toBase64Url } from '../../src/lib/crypto';
import type { StoredThumbnail } from './library';

export { seededBytes } from '../lib';

const DAY_MS = 24 * 3600 * 1000;
/** 1 June 2021 to 1 June 2024 (UTC): about three years. */
const FIRST_DAY = Date.UTC(2021, 5, 1);
const DAYS = 1096;

const CAMERAS = [
	{ camera: 'Apple iPhone 14 Pro', lens: 'iPhone 14 Pro back triple camera 6.86mm f/1.78' },
	{ camera: 'Google Pixel 8', lens: 'Pixel 8 back camera 6.9mm f/1.68' },
	{ camera: 'FUJIFILM X-T4', lens: 'XF23mmF2 R WR' }
];

/**
 * Capture times as a phone library has them: most days have none or a few photos, some (trips,
 * parties) have dozens. Each day gets a weight u^4 (u uniform), photos pick days by weight and a
 * time between 08:00 and 22:00. Sorted oldest first, as they would have been imported.
 */
function captureTimes(count: number, random: (length: number) => Uint8Array): number[] {
	const unit = () => {
		const b = random(4);
		return (((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0) / 2 ** 32;
	};
	const cumulative: number[] = [];
	let total = 0;
	for (let d = 0; d < DAYS; d++) {
		total += unit() ** 4;
		cumulative.push(total);
	}
	const times: number[] = [];
	for (let i = 0; i < count; i++) {
		const target = unit() * total;
		let lo = 0;
		let hi = DAYS - 1;
		while (lo < hi) {
			const mid = (lo + hi) >> 1;
			if (cumulative[mid]! < target) lo = mid + 1;
			else hi = mid;
		}
		times.push(FIRST_DAY + lo * DAY_MS + Math.floor((8 + unit() * 14) * 3600 * 1000));
	}
	return times.sort((a, b) => a - b);
}

/**
 * `count` PhotoRefs; photo i shows thumbnail i % thumbnails.length (same file key and thumb blob
 * id), as if that many photos had been imported from a phone. One in twenty is a video.
 */
export function libraryPhotos(
	count: number,
	thumbnails: readonly StoredThumbnail[],
	random: (length: number) => Uint8Array
): NewPhoto[] {
	const times = captureTimes(count, random);
	return times.map((takenAt, index) => {
		const { thumbnail, fileKey, blobId } = thumbnails[index % thumbnails.length]!;
		const n = random(8);
		const video = n[1]! % 20 === 0;
		const portrait = thumbnail.height > thumbnail.width;
		const name = String(index % 10000).padStart(4, '0');
		const photo: NewPhoto = {
			id: toBase64Url(random(16)),
			fileKey: toBase64Url(fileKey),
			blobs: { original: toBase64Url(random(16)), thumb: blobId },
			mime: video ? 'video/mp4' : 'image/jpeg',
			size: video ? 20_000_000 + (n[2]! << 16) : 1_500_000 + ((n[2]! << 12) | (n[3]! << 4)),
			width: portrait ? 3024 : 4032,
			height: portrait ? 4032 : 3024,
			takenAt,
			thumbhash: toBase64Url(thumbnail.thumbhash),
			filename: video ? `VID_${name}.MP4` : `IMG_${name}.JPG`,
			contentHash: toBase64Url(random(32))
		};
		if (video) photo.durationMs = 3000 + n[4]! * 200;
		if (n[5]! % 10 < 8) {
			const { camera, lens } = CAMERAS[n[5]! % CAMERAS.length]!;
			photo.exif = {
				camera,
				lens,
				focalLengthMm: 6.86,
				aperture: 1.78,
				exposureSeconds: 1 / (60 + n[6]!),
				iso: 50 + n[7]!,
				...(n[6]! % 2 === 0 ? { gps: { lat: 48.85 + n[2]! / 1000, lon: 2.35 + n[3]! / 1000 } } : {})
			};
		}
		return photo;
	});
}
