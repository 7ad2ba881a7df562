// The crypto core's boundaries: libsodium is loaded lazily (never in the initial chunk) and nothing of ours is imported.

import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { getSodium } from '../../../src/lib/crypto';

const dir = fileURLToPath(new URL('../../../src/lib/crypto/', import.meta.url));
const sources = readdirSync(dir)
	.filter((name) => name.endsWith('.ts'))
	.map((name) => ({ name, text: readFileSync(dir + name, 'utf8') }));

describe('crypto module boundaries', () => {
	it('never imports libsodium statically', () => {
		for (const { name, text } of sources) {
			const staticImports = text.match(/^import (?!type )[^;]*from 'libsodium[^']*'/gm) ?? [];
			expect(staticImports, name).toEqual([]);
		}
	});

	it('imports only its own modules, @scure/bip39 and libsodium', () => {
		for (const { name, text } of sources) {
			for (const [, spec] of text.matchAll(/(?:from|import\()\s*'([^']+)'/g)) {
				expect(
					spec!.startsWith('./') ||
						spec!.startsWith('@scure/bip39') ||
						spec === 'libsodium-wrappers-sumo',
					`${name} imports ${spec}`
				).toBe(true);
			}
		}
	});

	it('starts each module with a one-line comment', () => {
		for (const { name, text } of sources) expect(text.startsWith('// '), name).toBe(true);
	});

	it('loads libsodium once', async () => {
		expect(await getSodium()).toBe(await getSodium());
	});
});
