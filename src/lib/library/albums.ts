// The user's albums: listed from the relay and the device, created, filled from the library, renamed, deleted.

import type { AlbumKind, AlbumModel, NewPhoto, PhotoRef } from '../albums';
import { toBase64Url } from '../crypto';
import type { TesseraDB } from '../local/db';
import type { Role } from '../protocol';
import type { AlbumIdentity } from '../sync';
import type { AlbumSync, AlbumSyncEvents, SyncEngine } from '../sync/engine';
import type { Library } from './library';

export interface AlbumSummary {
	albumId: string;
	name: string;
	/** Photos and videos shown. */
	count: number;
	cover: PhotoRef | null;
	role: Role;
	/** `partner` for the album partner sharing fills; `album` otherwise. */
	kind: AlbumKind;
	/** People in the album, this account included: above 1, an album it owns is shared. */
	members: number;
}

export interface AlbumsOptions {
	engine: SyncEngine;
	db: TesseraDB;
	identity: AlbumIdentity;
	library: Library;
	/**
	 * Photos that are not the library's but may be copied into albums: those of shared albums shown
	 * in the Library timeline (a copy keeps the file key and blobs, so nothing is uploaded again).
	 */
	otherPhoto?: (photoId: string) => PhotoRef | undefined;
	/** Called when any listed album changes (names, photos, members). */
	onChange?: () => void;
}

/**
 * Albums hold copies of the library's PhotoRefs in the member's contrib doc: same file key and
 * blobs, so adding photos to an album uploads nothing. Everything works offline, creating an
 * album included, and syncs later.
 */
export class Albums {
	private readonly events: AlbumSyncEvents;

	constructor(private readonly options: AlbumsOptions) {
		this.events = { change: () => options.onChange?.() };
	}

	/** Every album the account is in but its library, newest first; from the device when offline. */
	async list(): Promise<AlbumSummary[]> {
		const { engine, db, library } = this.options;
		const ids = new Set<string>();
		for (const record of await db.albums.toArray()) if (record.role) ids.add(record.albumId);
		if (engine.connection.status === 'ready') {
			for (const album of await engine.listAlbums()) ids.add(album.albumId);
		}
		ids.delete(library.albumId);
		const summaries: AlbumSummary[] = [];
		for (const albumId of ids) {
			const summary = await this.summary(albumId);
			if (summary) summaries.push(summary);
		}
		return summaries.reverse();
	}

	open(albumId: string): Promise<AlbumSync> {
		return this.options.engine.openAlbum(albumId, this.events);
	}

	/**
	 * Creates an album, names it and adds library photos to it, at once and offline too: the
	 * album reaches the relay (before its edits) when the device is next online.
	 */
	async create(name: string, photoIds: readonly string[] = []): Promise<string> {
		const { album } = await this.options.engine.createAlbum(this.events, { waitForRelay: false });
		const model = await album.whenModel();
		model.rename(name.trim());
		if (photoIds.length > 0) this.addFromLibrary(model, photoIds);
		return album.albumId;
	}

	/** Copies library photos into the album (those already there are skipped); returns how many. */
	addFromLibrary(model: AlbumModel, photoIds: readonly string[]): number {
		const present = new Set(model.view().map((photo) => photo.ref.id));
		const copies: NewPhoto[] = [];
		for (const id of photoIds) {
			const ref = this.options.library.photo(id) ?? this.options.otherPhoto?.(id);
			if (!ref || present.has(id)) continue;
			const { addedAt: _addedAt, addedBy: _addedBy, ...photo } = ref;
			copies.push(photo);
		}
		return copies.length === 0 ? 0 : model.addPhotos(copies).length;
	}

	/** Deletes the album for everyone (its owner only); the photos stay in each library. */
	async delete(albumId: string): Promise<void> {
		const album = await this.open(albumId);
		const chain = album.membershipChain;
		if (!chain) throw new Error('This album is not on this device yet.');
		const entry = await chain.deleteAlbum(this.options.identity);
		await this.options.engine.appendMembership(entry);
	}

	private async summary(albumId: string): Promise<AlbumSummary | null> {
		const album = await this.open(albumId);
		if (album.error) return null;
		const model = album.model ?? (await album.whenModel());
		const role = album.membership?.members.get(this.myKey())?.role;
		if (!role || album.membership?.deleted || !model.written) return null;
		const meta = model.meta();
		if (meta.kind === 'library') return null;
		const photos = model.view();
		const cover =
			(meta.coverPhotoId && photos.find((p) => p.ref.id === meta.coverPhotoId)?.ref) ||
			photos.at(-1)?.ref ||
			null;
		return {
			albumId,
			name: meta.name || 'Untitled album',
			count: photos.length,
			cover,
			role,
			kind: meta.kind,
			members: album.membership?.members.size ?? 1
		};
	}

	private myKey(): string {
		return toBase64Url(this.options.identity.sign.publicKey);
	}
}
