// What import is handed from a pick, drop or paste, and the placeholder for a photo's ThumbHash.

import { rgbaToThumbHash } from 'thumbhash';
import { describe, expect, it } from 'vitest';
import { toBase64Url } from '../../../src/lib/crypto/base64url';
import { carriesFiles, mediaFiles } from '../../../src/lib/ui/photos/import-files';
import { thumbhashToDataUrl } from '../../../src/lib/ui/photos/thumbhash';

describe('mediaFiles', () => {
	it('keeps photos, videos and untyped files (HEIC, RAW) and leaves documents out', () => {
		const files = [
			new File(['x'], 'a.jpg', { type: 'image/jpeg' }),
			new File(['x'], 'b.mov', { type: 'video/quicktime' }),
			new File(['x'], 'c.heic', { type: '' }),
			new File(['x'], 'notes.pdf', { type: 'application/pdf' }),
			new File(['x'], 'page.html', { type: 'text/html' })
		];
		expect(mediaFiles(files).map((f) => f.name)).toEqual(['a.jpg', 'b.mov', 'c.heic']);
		expect(mediaFiles(null)).toEqual([]);
	});

	it('reacts only to drags that carry files', () => {
		expect(carriesFiles(['Files', 'text/uri-list'])).toBe(true);
		expect(carriesFiles(['text/plain'])).toBe(false);
		expect(carriesFiles(undefined)).toBe(false);
	});
});

describe('thumbhashToDataUrl', () => {
	const hash = toBase64Url(rgbaToThumbHash(4, 4, new Uint8Array(64).fill(180)));

	it('turns a base64url ThumbHash into a PNG data URL, the same one each time', () => {
		const url = thumbhashToDataUrl(hash);
		expect(url).toMatch(/^data:image\/png;base64,/);
		expect(thumbhashToDataUrl(hash)).toBe(url);
	});

	it('gives null, not an exception, for a missing or malformed hash', () => {
		expect(thumbhashToDataUrl(undefined)).toBeNull();
		expect(thumbhashToDataUrl('')).toBeNull();
		expect(thumbhashToDataUrl('not base64url!')).toBeNull();
		expect(thumbhashToDataUrl('AAA')).toBeNull();
	});
});
