// The lightbox's zoom: the point under the fingers stays put, the image never leaves its edges, swipes mean what they look like.

import { describe, expect, it } from 'vitest';
import {
	clampZoom,
	fittedSize,
	IDENTITY,
	MAX_SCALE,
	panBy,
	swipeIntent,
	zoomAt
} from '../../../src/lib/ui/photos/zoom';

const stage = { width: 400, height: 800 };
const content = fittedSize({ width: 4000, height: 3000 }, stage); // 400 x 300

describe('zoom', () => {
	it('fits a large image inside the stage and never enlarges a small one', () => {
		expect(content).toEqual({ width: 400, height: 300 });
		expect(fittedSize({ width: 100, height: 50 }, stage)).toEqual({ width: 100, height: 50 });
	});

	it('keeps the image point under the pinch where it was', () => {
		const fitted = { width: 400, height: 300 };
		const point = { x: 100, y: 50 };
		const zoomed = zoomAt(IDENTITY, 2, point, fitted, fitted);
		// Image point (100, 50) from the centre is drawn at offset + point * scale.
		expect(zoomed.x + 100 * zoomed.scale).toBeCloseTo(point.x, 6);
		expect(zoomed.y + 50 * zoomed.scale).toBeCloseTo(point.y, 6);
		expect(zoomed.scale).toBe(2);
	});

	it(`stays between whole picture and ${MAX_SCALE}x`, () => {
		expect(zoomAt(IDENTITY, 50, { x: 0, y: 0 }, content, stage).scale).toBe(MAX_SCALE);
		expect(zoomAt(IDENTITY, 0.2, { x: 0, y: 0 }, content, stage)).toEqual(IDENTITY);
	});

	it('stops panning where the image edge meets the stage edge', () => {
		const zoomed = { scale: 2, x: 0, y: 0 }; // 800 x 600 drawn in 400 x 800
		const far = panBy(zoomed, 10_000, 10_000, content, stage);
		expect(far.x).toBe(200); // (800 - 400) / 2
		expect(far.y).toBe(0); // 600 tall fits in 800: no vertical pan
		expect(panBy(zoomed, -10_000, 0, content, stage).x).toBe(-200);
	});

	it('recentres when zoomed back out', () => {
		expect(clampZoom({ scale: 1, x: 120, y: -40 }, content, stage)).toEqual(IDENTITY);
	});

	it('ignores nonsense numbers rather than losing the image', () => {
		expect(clampZoom({ scale: Number.NaN, x: Number.NaN, y: 0 }, content, stage)).toEqual(IDENTITY);
	});
});

describe('swipeIntent', () => {
	it('moves to the next photo on a swipe left and the previous on a swipe right', () => {
		expect(swipeIntent(-120, 10, 400)).toBe('next');
		expect(swipeIntent(120, -10, 400)).toBe('previous');
	});

	it('ignores short or diagonal drags', () => {
		expect(swipeIntent(-30, 0, 400)).toBeNull();
		expect(swipeIntent(-100, 100, 400)).toBeNull();
	});

	it('closes on a long drag down', () => {
		expect(swipeIntent(10, 200, 400)).toBe('close');
		expect(swipeIntent(10, -200, 400)).toBeNull();
	});
});
