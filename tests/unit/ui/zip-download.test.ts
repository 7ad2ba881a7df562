// Names inside a downloaded zip: two photos called IMG_0001.JPG must both survive.

import { describe, expect, it } from 'vitest';
import { uniqueNames } from '../../../src/lib/ui/zip-download';

describe('uniqueNames', () => {
	it('keeps distinct names and numbers repeats before the extension, ignoring case', () => {
		expect(uniqueNames(['a.jpg', 'b.jpg', 'A.JPG', 'a.jpg', 'README'])).toEqual([
			'a.jpg',
			'b.jpg',
			'A (2).JPG',
			'a (3).jpg',
			'README'
		]);
		expect(uniqueNames(['clip', 'clip'])).toEqual(['clip', 'clip (2)']);
	});
});
