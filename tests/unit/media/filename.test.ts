// Spec of file names kept in albums: printable, at most 255 characters, extension kept.

import { describe, expect, it } from 'vitest';
import { tidyFilename } from '../../../src/lib/media/filename';

describe('tidyFilename', () => {
	it('keeps ordinary names as they are', () => {
		expect(tidyFilename('IMG_0001.HEIC')).toBe('IMG_0001.HEIC');
		expect(tidyFilename('Été à Paris 😀.jpg')).toBe('Été à Paris 😀.jpg');
	});

	it('drops control characters', () => {
		expect(tidyFilename('evil\u0000name\u001b[31m.jpg')).toBe('evilname[31m.jpg');
	});

	it('cuts long names to 255 characters, keeping the extension and whole characters', () => {
		const long = tidyFilename(`${'a'.repeat(300)}.jpeg`);
		expect(long).toHaveLength(255);
		expect(long.endsWith('.jpeg')).toBe(true);
		const emoji = tidyFilename(`${'b'.repeat(249)}😀😀😀.jpg`);
		expect(emoji.length).toBeLessThanOrEqual(255);
		expect(emoji.endsWith('😀.jpg')).toBe(true);
		expect(emoji).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);
		expect(tidyFilename('c'.repeat(400))).toHaveLength(255);
	});
});
