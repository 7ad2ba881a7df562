// Analyses one image: EXIF, size, orientation, takenAt, and its renditions when this browser can decode it.

import { MediaImportError, throwIfAborted } from './errors';
import { readExif, summarizeExif } from './exif';
import { HEADER_BYTES, orientedSize, readImageSize } from './image-header';
import { canRender, renderRenditions } from './render';
import { WEB_IMAGE_TYPES } from './mime';
import { MAX_DECODE_PIXELS, needsPreview, type Size } from './sizes';
import { resolveTakenAt } from './taken-at';
import type { ImageAnalysis, MediaProblem } from './types';

export interface AnalyzeImageInput {
	file: Blob;
	/** The sniffed type (mime.ts), which may differ from file.type. */
	mime: string;
	/** File.lastModified, the fallback for takenAt. */
	lastModified: number | undefined;
	signal?: AbortSignal;
}

/**
 * Never fails because of the image's content: a format this browser cannot decode (HEIC on
 * Chromium), a corrupt file or a pixel bomb is analysed as `decodable: false` with a `problem`.
 * It fails only when cancelled or when the file cannot be read at all.
 */
export async function analyzeImage(input: AnalyzeImageInput): Promise<ImageAnalysis> {
	const { file, mime, signal } = input;
	const [head, exif] = await Promise.all([readHead(file), readExif(file)]);
	throwIfAborted(signal);

	const orientation = exif?.orientation ?? 1;
	const stored = readImageSize(head, mime);
	const headerSize = stored ? orientedSize(stored, orientation) : null;
	const base = {
		orientation,
		...resolveTakenAt(exif, input.lastModified),
		...optional('exif', summarizeExif(exif))
	};
	const undecodable = (problem: MediaProblem): ImageAnalysis => ({
		...base,
		width: headerSize?.width ?? 0,
		height: headerSize?.height ?? 0,
		decodable: false,
		problem
	});

	if (headerSize && headerSize.width * headerSize.height > MAX_DECODE_PIXELS) {
		return undecodable({
			code: 'too-many-pixels',
			message: `This image has ${Math.round((headerSize.width * headerSize.height) / 1e6)} megapixels, more than this device can make a thumbnail of. It is imported without one.`
		});
	}
	if (typeof createImageBitmap !== 'function' || !canRender()) {
		return undecodable({
			code: 'no-canvas',
			message: 'This browser cannot make thumbnails. The file is imported without one.'
		});
	}

	let bitmap: ImageBitmap;
	try {
		// The sniffed type helps decoders that look at it (a HEIC picked with an empty file.type).
		const typed = file.type === mime ? file : new Blob([file], { type: mime });
		bitmap = await createImageBitmap(typed, { imageOrientation: 'from-image' });
	} catch {
		throwIfAborted(signal);
		return undecodable({
			code: 'image-unsupported',
			message: WEB_IMAGE_TYPES.has(mime)
				? 'This image could not be decoded; the file may be damaged. It is imported with a placeholder.'
				: `This browser cannot show ${describe(mime)} images. The file is imported with a placeholder.`
		});
	}
	try {
		throwIfAborted(signal);
		// The bitmap is upright: its size is the shown size, whatever the header said.
		const size: Size = { width: bitmap.width, height: bitmap.height };
		const renditions = await renderRenditions(bitmap, size, {
			withPreview: needsPreview(size, mime),
			signal
		});
		return { ...base, ...size, ...renditions, decodable: true };
	} catch (cause) {
		if (cause instanceof MediaImportError && cause.code === 'aborted') throw cause;
		return undecodable(
			cause instanceof MediaImportError
				? { code: cause.code, message: cause.message }
				: {
						code: 'image-unsupported',
						message:
							'The thumbnail of this image could not be made. The file is imported with a placeholder.'
					}
		);
	} finally {
		bitmap.close();
	}
}

async function readHead(file: Blob): Promise<Uint8Array> {
	try {
		return new Uint8Array(await file.slice(0, HEADER_BYTES).arrayBuffer());
	} catch (cause) {
		throw new MediaImportError(
			'read-failed',
			'This file could not be read. It may have been moved or deleted since it was chosen.',
			{ cause }
		);
	}
}

function describe(mime: string): string {
	const names: Record<string, string> = {
		'image/heic': 'HEIC',
		'image/heif': 'HEIF',
		'image/heic-sequence': 'HEIC',
		'image/heif-sequence': 'HEIF',
		'image/avif': 'AVIF',
		'image/webp': 'WebP',
		'image/jpeg': 'JPEG',
		'image/png': 'PNG',
		'image/gif': 'GIF'
	};
	return names[mime] ?? 'these';
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
	return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
