// How the library's photos and uploads look to the grid and the transfer panel: pure mapping.

import type { AlbumPhoto } from '../albums';
import type { UploadSummary } from '../transfer';
import type { GridPhoto } from './photos/types';

export interface TransferFile {
	id: string;
	name: string;
	bytesSent: number;
	total: number;
	state: UploadSummary['state'];
	error?: string;
	errorCode?: string;
}

/** Upload progress (0..1) of each original still on its way, by blob id. */
export function pendingOriginals(uploads: readonly UploadSummary[]): Map<string, number> {
	const pending = new Map<string, number>();
	for (const upload of uploads) {
		if (upload.purpose !== 'original' || upload.state === 'done') continue;
		pending.set(upload.blobId, upload.total > 0 ? upload.bytesSent / upload.total : 0);
	}
	return pending;
}

/** One line per original in the queue, named after its photo (thumbnails and previews ride along). */
export function transferFiles(
	uploads: readonly UploadSummary[],
	photos: readonly AlbumPhoto[]
): TransferFile[] {
	const names = new Map<string, string>();
	for (const { ref } of photos) names.set(ref.blobs.original, ref.filename);
	return uploads
		.filter((upload) => upload.purpose === 'original')
		.map((upload) => ({
			id: upload.id,
			name: names.get(upload.blobId) ?? 'Photo',
			bytesSent: upload.bytesSent,
			total: upload.total,
			state: upload.state,
			...(upload.error ? { error: upload.error.message, errorCode: upload.error.code } : {})
		}));
}

export function gridPhoto(
	{ ref }: Pick<AlbumPhoto, 'ref'>,
	pending: ReadonlyMap<string, number>
): GridPhoto {
	const progress = pending.get(ref.blobs.original);
	return {
		id: ref.id,
		takenAt: ref.takenAt,
		width: ref.width,
		height: ref.height,
		kind: ref.mime.startsWith('video/') ? 'video' : 'image',
		...(ref.durationMs !== undefined ? { durationMs: ref.durationMs } : {}),
		...(ref.thumbhash ? { thumbhash: ref.thumbhash } : {}),
		decodable: ref.blobs.thumb !== undefined,
		filename: ref.filename,
		...(progress !== undefined ? { pending: { progress } } : {})
	};
}
