// Spec of rendition sizes: sharp thumbnails for every shape, previews only where they help, never upscaling.

import { describe, expect, it } from 'vitest';
import {
	downscaleSteps,
	fitWithin,
	needsPreview,
	previewSize,
	thumbSize,
	thumbhashSize
} from '../../../src/lib/media/sizes';

describe('rendition sizes', () => {
	it('gives a 12 MP photo a 512 px thumbnail and a 2048 px preview, keeping its shape', () => {
		expect(thumbSize({ width: 4032, height: 3024 })).toEqual({ width: 512, height: 384 });
		expect(thumbSize({ width: 3024, height: 4032 })).toEqual({ width: 384, height: 512 });
		expect(previewSize({ width: 4032, height: 3024 })).toEqual({ width: 2048, height: 1536 });
	});

	it('never upscales a small image', () => {
		expect(thumbSize({ width: 300, height: 200 })).toEqual({ width: 300, height: 200 });
		expect(previewSize({ width: 1000, height: 700 })).toEqual({ width: 1000, height: 700 });
		expect(fitWithin({ width: 1, height: 1 }, 512)).toEqual({ width: 1, height: 1 });
	});

	it('keeps panoramas at least 256 px high, up to 1536 px long', () => {
		expect(thumbSize({ width: 12000, height: 3000 })).toEqual({ width: 1024, height: 256 });
		expect(thumbSize({ width: 30000, height: 2000 })).toEqual({ width: 1536, height: 102 });
		// A thin strip is never scaled below 1 px.
		expect(thumbSize({ width: 100000, height: 10 })).toEqual({ width: 1536, height: 1 });
	});

	it('renders ThumbHash input at most 100 px a side', () => {
		expect(thumbhashSize({ width: 512, height: 384 })).toEqual({ width: 100, height: 75 });
		expect(thumbhashSize({ width: 60, height: 40 })).toEqual({ width: 60, height: 40 });
	});

	it('makes a preview only for large images or formats not every browser shows', () => {
		expect(needsPreview({ width: 4032, height: 3024 }, 'image/jpeg')).toBe(true);
		expect(needsPreview({ width: 2048, height: 1536 }, 'image/jpeg')).toBe(false);
		expect(needsPreview({ width: 800, height: 600 }, 'image/png')).toBe(false);
		expect(needsPreview({ width: 800, height: 600 }, 'image/heic')).toBe(true);
	});

	it('halves in steps before a large reduction', () => {
		expect(downscaleSteps({ width: 8000, height: 6000 }, { width: 2048, height: 1536 })).toEqual([
			{ width: 4000, height: 3000 }
		]);
		expect(downscaleSteps({ width: 4000, height: 3000 }, { width: 2048, height: 1536 })).toEqual(
			[]
		);
		expect(downscaleSteps({ width: 2048, height: 1536 }, { width: 100, height: 75 })).toEqual([
			{ width: 1024, height: 768 },
			{ width: 512, height: 384 },
			{ width: 256, height: 192 },
			{ width: 128, height: 96 }
		]);
	});
});
