// Distinct JPEG thumbnails (512 px long side, as import renders them) with their ThumbHashes, made in Node from a seed.

import { rgbaToThumbHash } from 'thumbhash';
import { makeJpeg, type Rgb } from '../../tests/fixtures/make-jpeg';

export interface Thumbnail {
	width: number;
	height: number;
	/** Baseline JPEG bytes. */
	jpeg: Uint8Array<ArrayBuffer>;
	/** ThumbHash of the same picture rendered at most 100 px a side. */
	thumbhash: Uint8Array;
}

/** Integer hash of (x, y, seed) for pixel grain: JPEGs of smooth gradients are unrealistically small. */
function grain(x: number, y: number, seed: number): number {
	let h = Math.imul(x * 374761393 + y * 668265263 + seed * 2147483647, 1274126177);
	h = Math.imul(h ^ (h >>> 13), 1103515245);
	return ((h ^ (h >>> 16)) & 0xff) / 255 - 0.5;
}

/**
 * Picture `k`: a two-colour diagonal blend with soft waves and a little grain, in coordinates
 * normalised to 0..1 so the thumbnail and its ThumbHash rendering show the same picture.
 */
function picture(k: number): (u: number, v: number, px: number, py: number) => Rgb {
	const hueA = (k * 137.5) % 360;
	const hueB = (hueA + 60 + ((k * 53) % 120)) % 360;
	const a = hsl(hueA, 0.6, 0.35 + (k % 5) * 0.08);
	const b = hsl(hueB, 0.5, 0.55 + (k % 3) * 0.1);
	const waves = 2 + (k % 7);
	return (u, v, px, py) => {
		const t = Math.min(1, Math.max(0, (u + v) / 2 + 0.15 * Math.sin(waves * Math.PI * (u - v))));
		const noise = 14 * grain(px, py, k);
		const mix = (c: number) =>
			Math.round(Math.min(255, Math.max(0, a[c]! * (1 - t) + b[c]! * t + noise)));
		return [mix(0), mix(1), mix(2)];
	};
}

function hsl(h: number, s: number, l: number): [number, number, number] {
	const f = (n: number) => {
		const k = (n + h / 30) % 12;
		const a = s * Math.min(l, 1 - l);
		return 255 * (l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1)));
	};
	return [f(0), f(8), f(4)];
}

/** `count` thumbnails; every fifth is portrait (384x512), the others landscape (512x384). */
export function makeThumbnails(count: number): Thumbnail[] {
	const out: Thumbnail[] = [];
	for (let k = 0; k < count; k++) {
		const portrait = k % 5 === 4;
		const width = portrait ? 384 : 512;
		const height = portrait ? 512 : 384;
		const draw = picture(k);
		const jpeg = makeJpeg({
			width,
			height,
			quality: 80,
			pixel: (x, y) => draw(x / (width - 1), y / (height - 1), x, y)
		});
		const small = {
			width: Math.round((width * 100) / 512),
			height: Math.round((height * 100) / 512)
		};
		const rgba = new Uint8Array(small.width * small.height * 4);
		for (let y = 0; y < small.height; y++) {
			for (let x = 0; x < small.width; x++) {
				const [r, g, b] = draw(x / (small.width - 1), y / (small.height - 1), x, y);
				rgba.set([r, g, b, 255], (y * small.width + x) * 4);
			}
		}
		out.push({ width, height, jpeg, thumbhash: rgbaToThumbHash(small.width, small.height, rgba) });
	}
	return out;
}
