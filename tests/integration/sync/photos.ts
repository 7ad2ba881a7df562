// PhotoRefs for sync tests: valid, with random ids and keys.

import type { NewPhoto } from '../../../src/lib/albums';
import { randomBytes, toBase64Url } from '../../../src/lib/crypto';

export function photo(takenAt: number, filename = 'IMG.jpg'): NewPhoto {
	const id = () => toBase64Url(randomBytes(16));
	return {
		id: id(),
		fileKey: toBase64Url(randomBytes(32)),
		blobs: { original: id(), thumb: id() },
		mime: 'image/jpeg',
		size: 1000,
		width: 4,
		height: 3,
		takenAt,
		filename
	};
}
