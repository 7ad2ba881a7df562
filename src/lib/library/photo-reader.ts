// Reads a photo's blobs for display: thumbnail, the large picture and the original, decrypted under the PhotoRef's file key.

import type { PhotoRef } from '../albums';
import { fileSubkeys, fromBase64Url, type FileSubkeys } from '../crypto';
import type { BlobCache, BlobDownloader } from '../transfer';

export interface LargePicture {
	bytes: Uint8Array;
	mime: string;
}

export interface ReadOptions {
	signal?: AbortSignal;
	onProgress?: (received: number, total: number | null) => void;
}

/**
 * One per device. Thumbnails and previews are JPEG/WebP renditions made at import; the large
 * picture is the preview when there is one (never for videos), else the original. Everything read
 * whole is cached on the device by the downloader, so it shows again offline.
 */
export class PhotoReader {
	/** File keys expanded once per file (three BLAKE2b calls each). */
	private readonly keys = new Map<string, Promise<FileSubkeys>>();

	constructor(
		private readonly downloads: BlobDownloader,
		private readonly cache: BlobCache | null = null
	) {}

	/**
	 * Keeps the photo's thumbnail and original on this device for `albumId` (downloading what is
	 * not cached yet), so the album shows whole offline; see BlobCache.keep.
	 */
	async keep(ref: PhotoRef, albumId: string, options: ReadOptions = {}): Promise<void> {
		const cache = this.cache;
		if (!cache) throw new Error('This device keeps no photos.');
		const keys = await this.subkeys(ref);
		const blobs: [string, Uint8Array, 'thumb' | 'original'][] = [
			[ref.blobs.original, keys.original, 'original']
		];
		if (ref.blobs.thumb) blobs.unshift([ref.blobs.thumb, keys.thumbnail, 'thumb']);
		for (const [blobId, key, kind] of blobs) {
			if (await cache.keep(blobId, albumId)) continue;
			await this.downloads.readBlobCached(blobId, key, { ...options, kind });
			await cache.keep(blobId, albumId);
		}
	}

	/** Whether the photo's original is kept on this device. */
	isKept(ref: PhotoRef): Promise<boolean> {
		return this.cache ? this.cache.isKept(ref.blobs.original) : Promise.resolve(false);
	}

	/** Lets go of everything kept for the album. */
	async release(albumId: string): Promise<void> {
		await this.cache?.release(albumId);
	}

	/** The decrypted thumbnail, or null for a format the importing browser could not render. */
	async thumbnail(ref: PhotoRef, signal?: AbortSignal): Promise<Uint8Array | null> {
		if (!ref.blobs.thumb) return null;
		const keys = await this.subkeys(ref);
		return this.downloads.readBlobCached(ref.blobs.thumb, keys.thumbnail, {
			kind: 'thumb',
			...(signal ? { signal } : {})
		});
	}

	async large(ref: PhotoRef, options: ReadOptions = {}): Promise<LargePicture> {
		const keys = await this.subkeys(ref);
		if (ref.blobs.preview && !ref.mime.startsWith('video/')) {
			const bytes = await this.downloads.readBlobCached(ref.blobs.preview, keys.preview, {
				...options,
				kind: 'preview'
			});
			return { bytes, mime: 'image/jpeg' };
		}
		const bytes = await this.downloads.readBlobCached(ref.blobs.original, keys.original, {
			...options,
			kind: 'original'
		});
		return { bytes, mime: ref.mime };
	}

	/** The original as a stream of plaintext (for downloads: never held whole in memory). */
	async original(ref: PhotoRef, signal?: AbortSignal): Promise<ReadableStream<Uint8Array>> {
		const keys = await this.subkeys(ref);
		return this.downloads.downloadBlob(ref.blobs.original, keys.original, signal ? { signal } : {});
	}

	/** Remembers keys a caller already expanded (an import that just made them). */
	know(ref: Pick<PhotoRef, 'fileKey'>, keys: FileSubkeys): void {
		this.keys.set(ref.fileKey, Promise.resolve(keys));
	}

	private subkeys(ref: PhotoRef): Promise<FileSubkeys> {
		let keys = this.keys.get(ref.fileKey);
		if (!keys) {
			keys = fileSubkeys(fromBase64Url(ref.fileKey));
			this.keys.set(ref.fileKey, keys);
		}
		return keys;
	}
}
