// The PhotoSource the grid and lightbox read from, for any set of PhotoRefs (the library, an album): object URLs and errors in words.

import type { PhotoRef } from '../albums';
import { DecryptError, FormatError } from '../crypto';
import type { PhotoReader } from '../library/photo-reader';
import type { PhotoDetails, PhotoSource } from './photos/types';

/** What a person reads when a blob fails its authentication (I5): never a broken picture. */
export const DAMAGED_MESSAGE =
	'This photo could not be shown: its file was changed or damaged on the server, so it cannot be trusted.';

export function photoSource(
	lookup: (id: string) => PhotoRef | undefined,
	reader: PhotoReader
): PhotoSource {
	const refOf = (id: string) => {
		const ref = lookup(id);
		if (!ref) throw new Error('This photo is no longer here.');
		return ref;
	};
	return {
		thumbnail: (id, signal) =>
			inWords(async () => {
				const bytes = await reader.thumbnail(refOf(id), signal);
				if (!bytes) throw new Error('This format has no preview in this browser.');
				return URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>]));
			}),
		full: (id, signal, onProgress) =>
			inWords(async () => {
				const { bytes, mime } = await reader.large(refOf(id), {
					signal,
					onProgress: (received, total) => onProgress?.(total ? received / total : 0)
				});
				const url = URL.createObjectURL(
					new Blob([bytes as Uint8Array<ArrayBuffer>], { type: mime })
				);
				return { url, kind: mime.startsWith('video/') ? ('video' as const) : ('image' as const) };
			}),
		details: async (id): Promise<PhotoDetails> => {
			const ref = refOf(id);
			return {
				id,
				filename: ref.filename,
				mime: ref.mime,
				size: ref.size,
				width: ref.width,
				height: ref.height,
				takenAt: ref.takenAt,
				...(ref.caption ? { caption: ref.caption } : {}),
				...(ref.exif ? { exif: ref.exif } : {})
			};
		},
		download: (id) =>
			inWords(async () => {
				const ref = refOf(id);
				// Read whole before saving: a damaged file fails here, and nothing half-written is saved.
				const blob = await new Response(await reader.original(ref)).blob();
				const url = URL.createObjectURL(new Blob([blob], { type: ref.mime }));
				const link = document.createElement('a');
				link.href = url;
				link.download = ref.filename;
				link.click();
				setTimeout(() => URL.revokeObjectURL(url), 60_000);
			})
	};
}

async function inWords<T>(work: () => Promise<T>): Promise<T> {
	try {
		return await work();
	} catch (error) {
		if (error instanceof DecryptError || error instanceof FormatError) {
			throw new Error(DAMAGED_MESSAGE, { cause: error });
		}
		throw error;
	}
}
