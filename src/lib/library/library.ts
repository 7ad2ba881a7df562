// The account's photo library: files imported into a private encrypted album, uploaded, and read back for display.

import { AlbumModel, type AlbumPhoto, type NewPhoto, type PhotoRef } from '../albums';
import { encryptFile, fileSubkeys, randomBytes, toBase64Url } from '../crypto';
import type { ImportedMedia } from '../media';
import type { AlbumSync, SyncEngine } from '../sync/engine';
import type { BlobCache, BlobDeletions, UploadQueue } from '../transfer';
import type { LargePicture, PhotoReader, ReadOptions } from './photo-reader';

/** Reads one file into what the library records (importMedia in the app, a stand-in in tests). */
export type MediaReader = (file: Blob, options: { signal?: AbortSignal }) => Promise<ImportedMedia>;

export interface LibraryOptions {
	engine: SyncEngine;
	uploads: UploadQueue;
	reader: PhotoReader;
	cache: BlobCache;
	readMedia: MediaReader;
	place: LibraryPlace;
	/** Frees the blobs of photos deleted for good on the relay; without it they stay there. */
	deletions?: BlobDeletions;
}

/** Where the library album is: remembered on the device, else looked for among the account's albums. */
export interface LibraryPlace {
	/** The library album id this device remembered, if any. */
	known(): Promise<string | null>;
	remember(albumId: string): Promise<void>;
	/** Albums the account is a member of, from the relay (needs the network). */
	accountAlbums(): Promise<string[]>;
}

/** What happened to each file of one import. */
export interface ImportReport {
	imported: string[];
	/** Files already in the library (same bytes): not stored twice. */
	duplicates: { name: string; photoId: string }[];
	failed: { name: string; message: string }[];
}

export interface ImportProgress {
	/** Files read so far (EXIF, thumbnails) of `total`. */
	read: number;
	total: number;
	current: string;
}

export type LibraryListener = () => void;

/** The library's name, shown nowhere but kept in the doc for clients that list it as an album. */
const LIBRARY_NAME = 'Library';
const BLOB_ID_BYTES = 16;
/**
 * Listeners hear of changes at most this often (longer when rebuilding the view takes longer):
 * a catch-up applies entries one by one and an import adds photos one by one, and rebuilding the
 * view of a large library after each would take seconds of main thread.
 */
const CHANGE_DELAY_MS = 50;

/**
 * The account's library is an album of kind 'library' that only the account is a member of: its
 * contrib doc holds a PhotoRef (file key, blob ids, metadata) for every photo imported, so it is
 * encrypted, synced between the account's devices and works offline like any album. Trash is the
 * album's hidden set (restorable); albums reference the same blobs with copies of the PhotoRef.
 */
export class Library {
	private readonly listeners = new Set<LibraryListener>();
	private photosById = new Map<string, PhotoRef>();
	private shown: readonly AlbumPhoto[] = [];
	private inTrash: readonly AlbumPhoto[] = [];
	/** The album changed since the view was last read: read it again before answering. */
	private stale = false;
	private notifyTimer: ReturnType<typeof setTimeout> | null = null;
	private reindexMs = 0;

	private readonly reader: PhotoReader;

	private constructor(
		private readonly options: LibraryOptions,
		readonly album: AlbumSync,
		readonly model: AlbumModel
	) {
		this.reader = options.reader;
		this.reindex();
	}

	/**
	 * Opens the library: the album this device knows as its library, else the one the account
	 * already has (found among its albums once they are synced), else a new one. Finding or
	 * creating it needs the relay once per device; after that it opens offline.
	 */
	static async open(options: LibraryOptions): Promise<Library> {
		let library: Library | undefined;
		const events = { change: () => library?.changed() };
		const { engine, place } = options;
		const known = await place.known();
		if (known) {
			const album = await engine.openAlbum(known, events);
			library = new Library(options, album, await album.whenModel());
			return library;
		}
		for (const albumId of await place.accountAlbums()) {
			const album = await engine.openAlbum(albumId, events);
			if (album.error) continue;
			const model = await album.whenModel();
			// What an album is shows once its album doc is here.
			await album.whenCaughtUp();
			if (model.meta().kind === 'library') {
				await place.remember(albumId);
				library = new Library(options, album, model);
				return library;
			}
		}
		const { album } = await engine.createAlbum(events);
		const model = await album.whenModel();
		model.markAsLibrary();
		model.rename(LIBRARY_NAME);
		await place.remember(album.albumId);
		// Another device finds the library by its kind: wait until the relay holds it, so a tab
		// closed now never leaves an album the account's other devices cannot tell apart.
		await album.whenSent();
		library = new Library(options, album, model);
		return library;
	}

	get albumId(): string {
		return this.album.albumId;
	}

	/** Photos in the library (not in the trash), newest first. */
	photos(): readonly AlbumPhoto[] {
		this.fresh();
		return this.shown;
	}

	/** Photos in the trash, newest first. */
	trashed(): readonly AlbumPhoto[] {
		this.fresh();
		return this.inTrash;
	}

	photo(photoId: string): PhotoRef | undefined {
		this.fresh();
		return this.photosById.get(photoId);
	}

	subscribe(listener: LibraryListener): () => void {
		this.listeners.add(listener);
		return () => this.listeners.delete(listener);
	}

	/**
	 * Imports files: reads each (EXIF, thumbnails, hash) one after another, skips files already in
	 * the library, queues the encrypted uploads and records the photos at once, so they show (and
	 * sync) while their bytes are still on the way.
	 */
	async import(
		files: readonly File[],
		onProgress?: (progress: ImportProgress) => void,
		signal?: AbortSignal
	): Promise<ImportReport> {
		const report: ImportReport = { imported: [], duplicates: [], failed: [] };
		const known = this.contentHashes();
		const group = toBase64Url(randomBytes(BLOB_ID_BYTES));
		let read = 0;
		for (const file of files) {
			signal?.throwIfAborted();
			onProgress?.({ read, total: files.length, current: file.name });
			try {
				const media = await this.options.readMedia(file, signal ? { signal } : {});
				const hash = toBase64Url(media.contentHash);
				const existing = known.get(hash);
				if (existing) {
					report.duplicates.push({ name: file.name, photoId: existing });
				} else {
					const photo = await this.store(file, media, group);
					this.model.addPhotos([photo]);
					known.set(hash, photo.id);
					report.imported.push(photo.id);
					this.changed();
				}
			} catch (error) {
				if (signal?.aborted) throw error;
				report.failed.push({ name: file.name, message: messageOf(error) });
			}
			read += 1;
		}
		onProgress?.({ read, total: files.length, current: '' });
		// The files arrived one by one (listeners heard of them in bursts); once the import
		// resolves, everyone has seen its last photo, with its upload under way.
		this.changed();
		this.notifyNow();
		return report;
	}

	/** Moves photos to the trash (restorable). */
	trash(photoIds: readonly string[]): void {
		for (const id of photoIds) this.model.hidePhoto(id);
		this.changed();
	}

	restore(photoIds: readonly string[]): void {
		for (const id of photoIds) this.model.unhidePhoto(id);
		this.changed();
	}

	/**
	 * Removes photos from the library for good. Their blobs are then freed on the relay (see
	 * BlobDeletions), which keeps any blob another album binds: a copy of the photo in an album
	 * keeps showing there.
	 */
	deleteForever(photoIds: readonly string[]): void {
		// Read before the first edit: each edit makes the view stale, and reading rebuilds it.
		const blobIds = photoIds.flatMap((id) => {
			const ref = this.photo(id);
			return ref ? blobsOf(ref) : [];
		});
		for (const id of photoIds) {
			this.model.removeMyPhoto(id);
			this.model.unhidePhoto(id);
		}
		this.changed();
		this.options.deletions?.enqueue(blobIds, this.albumId).catch(() => {
			// The device database refused the queue (full, say): the blobs stay on the relay.
		});
	}

	/** The decrypted thumbnail (cached on the device), or null for a format without one. */
	thumbnail(photoId: string, signal?: AbortSignal): Promise<Uint8Array | null> {
		return this.reader.thumbnail(this.require(photoId), signal);
	}

	/** The picture to show large (the preview, else the original); cached once viewed. */
	large(photoId: string, options: ReadOptions = {}): Promise<LargePicture> {
		return this.reader.large(this.require(photoId), options);
	}

	/** The original as a stream of plaintext (downloads; never held whole in memory). */
	original(photoId: string, signal?: AbortSignal): Promise<ReadableStream<Uint8Array>> {
		return this.reader.original(this.require(photoId), signal);
	}

	close(): void {
		this.listeners.clear();
		if (this.notifyTimer !== null) clearTimeout(this.notifyTimer);
		this.notifyTimer = null;
	}

	private async store(file: File, media: ImportedMedia, group: string): Promise<NewPhoto> {
		const fileKey = randomBytes(32);
		const keys = await fileSubkeys(fileKey);
		const id = () => toBase64Url(randomBytes(BLOB_ID_BYTES));
		const blobs: NewPhoto['blobs'] = { original: id() };
		const { uploads, cache } = this.options;
		// The small renditions go into the device cache right away (sealed like downloaded ones), so
		// the grid shows them before, and after, the upload, online or not.
		if (media.thumb) {
			blobs.thumb = id();
			const bytes = media.thumb.bytes;
			await cache.put(blobs.thumb, 'thumb', await encryptFile(bytes, keys.thumbnail));
			await uploads.add({
				file: new Blob([bytes as Uint8Array<ArrayBuffer>]),
				streamKey: keys.thumbnail,
				purpose: 'thumb',
				blobId: blobs.thumb,
				group
			});
		}
		if (media.preview) {
			blobs.preview = id();
			const bytes = media.preview.bytes;
			await cache.put(blobs.preview, 'preview', await encryptFile(bytes, keys.preview));
			await uploads.add({
				file: new Blob([bytes as Uint8Array<ArrayBuffer>]),
				streamKey: keys.preview,
				purpose: 'preview',
				blobId: blobs.preview,
				group
			});
		}
		await uploads.add({
			file,
			streamKey: keys.original,
			purpose: 'original',
			blobId: blobs.original,
			group
		});
		const photo: NewPhoto = {
			id: id(),
			fileKey: toBase64Url(fileKey),
			blobs,
			mime: media.mime,
			size: media.size,
			width: media.width,
			height: media.height,
			takenAt: media.takenAt,
			filename: media.filename,
			contentHash: toBase64Url(media.contentHash)
		};
		if (media.thumbhash) photo.thumbhash = toBase64Url(media.thumbhash);
		if (media.exif) photo.exif = media.exif;
		if (media.durationMs !== undefined) photo.durationMs = Math.round(media.durationMs);
		this.reader.know(photo, keys);
		return photo;
	}

	private contentHashes(): Map<string, string> {
		const hashes = new Map<string, string>();
		this.fresh();
		for (const { ref } of [...this.shown, ...this.inTrash]) {
			if (ref.contentHash) hashes.set(ref.contentHash, ref.id);
		}
		return hashes;
	}

	private require(photoId: string): PhotoRef {
		const ref = this.photo(photoId);
		if (!ref) throw new Error('This photo is no longer in the library.');
		return ref;
	}

	private fresh(): void {
		if (this.stale) this.reindex();
	}

	/** Reads the album: the view, the trash and the index by id. */
	private reindex(): void {
		const started = performance.now();
		this.stale = false;
		this.shown = this.model.view().reverse();
		this.inTrash = this.model.hiddenPhotos().reverse();
		const byId = new Map<string, PhotoRef>();
		for (const { ref } of this.shown) byId.set(ref.id, ref);
		for (const { ref } of this.inTrash) byId.set(ref.id, ref);
		this.photosById = byId;
		this.reindexMs = performance.now() - started;
	}

	/**
	 * Marks the view stale (the next read rebuilds it) and tells listeners once the burst of
	 * changes pauses, leaving the main thread at least two thirds of the time.
	 */
	private changed(): void {
		this.stale = true;
		if (this.notifyTimer !== null) return;
		this.notifyTimer = setTimeout(
			() => this.notifyNow(),
			Math.max(CHANGE_DELAY_MS, 2 * this.reindexMs)
		);
	}

	/** Tells listeners of the changes waiting to be told, now. */
	private notifyNow(): void {
		if (this.notifyTimer === null) return;
		clearTimeout(this.notifyTimer);
		this.notifyTimer = null;
		for (const listener of this.listeners) listener();
	}
}

function messageOf(error: unknown): string {
	return error instanceof Error && error.message
		? error.message
		: 'This file could not be imported.';
}

/** The blob ids a PhotoRef names: the original, and its thumbnail and preview when it has them. */
function blobsOf(ref: PhotoRef): string[] {
	const { original, thumb, preview } = ref.blobs;
	return [original, ...(thumb ? [thumb] : []), ...(preview ? [preview] : [])];
}
