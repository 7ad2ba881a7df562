// The media module's boundaries: no Svelte, the DOM only where it must be, and a one-line header on each module.

import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { posterTime } from '../../../src/lib/media/video-poster';

const dir = fileURLToPath(new URL('../../../src/lib/media/', import.meta.url));
const sources = readdirSync(dir)
	.filter((name) => name.endsWith('.ts') && !name.endsWith('.d.ts'))
	.map((name) => ({ name, text: readFileSync(dir + name, 'utf8') }));

/** Modules unit-tested in Node: they must not touch the DOM. */
const PURE = [
	'mime.ts',
	'image-header.ts',
	'exif.ts',
	'taken-at.ts',
	'sizes.ts',
	'thumbhash.ts',
	'content-hash.ts',
	'filename.ts',
	'video-metadata.ts',
	'errors.ts'
];

describe('media module boundaries', () => {
	it('imports no Svelte and nothing of ours beyond crypto and the album schema types', () => {
		for (const { name, text } of sources) {
			for (const [, spec] of text.matchAll(/(?:from|import\()\s*'([^']+)'/g)) {
				const allowed =
					spec!.startsWith('./') ||
					spec === '../crypto' ||
					spec === '../albums/photo-ref' ||
					spec === 'exifr/dist/lite.esm.mjs' ||
					spec === 'thumbhash';
				expect(allowed, `${name} imports ${spec}`).toBe(true);
			}
			expect(text, name).not.toMatch(/from 'svelte/);
		}
	});

	it('keeps the pure modules free of the DOM', () => {
		for (const { name, text } of sources.filter((s) => PURE.includes(s.name))) {
			const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
			expect(code, name).not.toMatch(/\b(document|OffscreenCanvas|createImageBitmap|window)\b/);
		}
	});

	it('imports the album schema for its types only (the worker bundle stays small)', () => {
		for (const { name, text } of sources) {
			expect(text, name).not.toMatch(/^import (?!type )[^;]*'\.\.\/albums/m);
		}
	});

	it("keeps exifr and hashing out of the page's entry point (they run in the worker)", () => {
		const index = sources.find((s) => s.name === 'index.ts')!.text;
		expect(index).not.toMatch(/from '\.\/(exif|content-hash|analyze-image|video-metadata)'/);
	});

	it('starts each module with a one-line comment', () => {
		for (const { name, text } of sources) expect(text.startsWith('// '), name).toBe(true);
	});
});

describe('posterTime', () => {
	it('takes the poster 0.1 s in, or 10% in for clips under a second', () => {
		expect(posterTime(60)).toBe(0.1);
		expect(posterTime(1)).toBe(0.1);
		expect(posterTime(0.5)).toBeCloseTo(0.05, 10);
		expect(posterTime(Number.NaN)).toBe(0);
		expect(posterTime(Number.POSITIVE_INFINITY)).toBe(0);
		expect(posterTime(0)).toBe(0);
	});
});
