// The signed-in device's library as the pages see it: sync engine, uploads, downloads and the Library, as runes; shared via context.
import { createContext } from 'svelte';
import type { SignedIn } from '../account';
import { AccountApi } from '../account/api';
import { signKeyPairFromSeed, toBase64Url } from '../crypto';
import {
	Library,
	type ImportProgress,
	type ImportReport,
	type LibraryPlace
} from '../library/library';
import { Albums, type AlbumSummary } from '../library/albums';
import { PhotoReader } from '../library/photo-reader';
import type { TesseraDB } from '../local/db';
import { importMedia } from '../media';
import { SyncEngine, browserTabs, type SocketLike } from '../sync/engine';
import { BlobCache, BlobDownloader, UploadQueue } from '../transfer';
import { askPersistentStorage } from './device-storage';
import { gridPhoto, pendingOriginals, transferFiles, type TransferFile } from './library-view';
import { completeInvites, type InviteOutcome } from '../sharing/complete-invites';
import { InviteApi } from '../sharing/invites';
import { People } from '../sharing/people';
import { NotificationState } from './notification-state.svelte';
import { photoSource } from './photo-source';
import type { GridPhoto, PhotoSource } from './photos/types';

export type LibraryStatus = 'opening' | 'ready' | 'error';

/** How often upload progress reaches the transfer panel and the grid. */
const TRANSFER_REFRESH_MS = 200;

/** How long album changes may keep coming before the album list is read again. */
const RELIST_DELAY_MS = 250;

export class LibraryState {
	status = $state<LibraryStatus>('opening');
	/** Why the library could not open, in words. */
	problem = $state<string | null>(null);
	photos = $state.raw<GridPhoto[]>([]);
	trashed = $state.raw<GridPhoto[]>([]);
	transfers = $state.raw<TransferFile[]>([]);
	importing = $state.raw<ImportProgress | null>(null);
	lastImport = $state.raw<ImportReport | null>(null);

	engine: SyncEngine | null = null;
	readonly uploads: UploadQueue;
	readonly downloads: BlobDownloader;
	readonly reader: PhotoReader;
	/** The people this account shares with: directory look-ups and identity pins (I6). */
	readonly people: People;
	/** The notification centre (shared with you, new photos, removed, invite accepted). */
	readonly notifications = new NotificationState({
		albumName: (albumId) =>
			this.albumList?.find((album) => album.albumId === albumId)?.name ?? null,
		onArrived: (notification) => {
			if (notification.type === 'invite-accepted') void this.completeInvites();
			else this.albumsChanged();
		}
	});
	/** Invites this device could not complete yet, and why (shown on the Sharing page). */
	inviteProblems = $state.raw<InviteOutcome[]>([]);
	private completing: Promise<void> | null = null;
	library: Library | null = null;
	albums: Albums | null = null;
	/** Albums other than the library, newest first; null until first listed. */
	albumList = $state.raw<AlbumSummary[] | null>(null);
	/** Bumped whenever any album changes (remote edits, or local ones through this state). */
	albumRevision = $state(0);
	private listing: Promise<void> | null = null;
	private relistTimer: ReturnType<typeof setTimeout> | null = null;
	private transferTimer: ReturnType<typeof setTimeout> | null = null;
	private listAgain = false;
	readonly source: PhotoSource;
	private stopped = false;
	private readonly cleanups: (() => void)[] = [];

	constructor(
		private readonly db: TesseraDB,
		private readonly signedIn: SignedIn
	) {
		const token = () => this.signedIn.token;
		const cache = new BlobCache(db);
		this.uploads = new UploadQueue({ db, token, cache });
		this.downloads = new BlobDownloader({ db, token, cache });
		this.reader = new PhotoReader(this.downloads, cache);
		this.source = photoSource((id) => this.library?.photo(id), this.reader);
		const api = new AccountApi();
		this.people = new People(db, {
			lookUp: (email) => api.lookUp(token(), email),
			lookUpMember: (signPk) => api.lookUpMember(token(), signPk)
		});
	}

	/** Invites to this account's albums, made by email before the person had an account. */
	invites(): InviteApi {
		return new InviteApi({ token: this.signedIn.token, signSeed: this.signedIn.keys.signSeed });
	}

	/**
	 * Adds people who signed up after being invited to an album this account manages: on every
	 * connection, and when the relay says an invite was accepted. One run at a time.
	 */
	completeInvites(): Promise<void> {
		const engine = this.engine;
		if (!engine || this.completing) return this.completing ?? Promise.resolve();
		this.completing = (async () => {
			try {
				const outcomes = await completeInvites({
					engine,
					me: toBase64Url(engine.identity.sign.publicKey),
					people: this.people,
					invites: this.invites()
				});
				this.inviteProblems = outcomes.filter((outcome) => outcome.result === 'skipped');
				if (outcomes.some((outcome) => outcome.result === 'added')) this.albumsChanged();
			} catch {
				// Offline, or the relay is busy: the next connection tries again.
			} finally {
				this.completing = null;
			}
		})();
		return this.completing;
	}

	/** Whether this account's plan lets it share albums it owns. */
	get canShare(): boolean {
		return this.signedIn.account.plan.sharing;
	}

	get planName(): string {
		return this.signedIn.account.plan.name;
	}

	/** Opens the library (creating it on first use, which needs the relay once). */
	async start(): Promise<void> {
		try {
			const { keys, token } = this.signedIn;
			const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
			const engine = new SyncEngine({
				db: this.db,
				identity: {
					sign: await signKeyPairFromSeed(keys.signSeed),
					box: { publicKey: keys.boxPublicKey, privateKey: keys.boxSecretKey }
				},
				url: `${scheme}://${location.host}/ws`,
				token: () => token,
				createSocket: (url) => new WebSocket(url) as unknown as SocketLike,
				tabs: browserTabs()
			});
			this.engine = engine;
			if (this.stopped) return;
			this.cleanups.push(this.notifications.attach(engine.connection));
			this.cleanups.push(
				engine.connection.onStatus((status) => {
					if (status === 'ready' && this.library) void this.completeInvites();
				})
			);
			engine.start();
			this.cleanups.push(this.uploads.subscribe(() => this.refreshTransfers()));
			await this.uploads.start();
			const library = await Library.open({
				engine,
				uploads: this.uploads,
				reader: this.reader,
				cache: new BlobCache(this.db),
				readMedia: (file, options) => importMedia(file, options),
				place: this.libraryPlace(engine)
			});
			if (this.stopped) return;
			this.library = library;
			this.albums = new Albums({
				engine,
				db: this.db,
				identity: engine.identity,
				library,
				onChange: () => this.albumsChanged()
			});
			this.cleanups.push(library.subscribe(() => this.refreshPhotos()));
			this.refreshPhotos();
			this.status = 'ready';
			// Notifications name albums from the list; other pages list them when they open.
			void this.refreshAlbums();
			void this.completeInvites();
		} catch (error) {
			this.status = 'error';
			this.problem =
				error instanceof Error ? error.message : 'Your library could not be opened on this device.';
		}
	}

	async import(files: readonly File[]): Promise<void> {
		const library = this.library;
		if (!library || files.length === 0) return;
		this.importing = { read: 0, total: files.length, current: files[0]!.name };
		try {
			this.lastImport = await library.import(files, (progress) => (this.importing = progress));
			// Once photos live on this device, ask the browser to keep them (once per device).
			if (this.lastImport.imported.length > 0) void askPersistentStorage();
		} finally {
			this.importing = null;
		}
	}

	trash(ids: readonly string[]): void {
		this.library?.trash(ids);
	}

	restore(ids: readonly string[]): void {
		this.library?.restore(ids);
	}

	deleteForever(ids: readonly string[]): void {
		this.library?.deleteForever(ids);
	}

	/** Lists the albums again (coalesced: one listing at a time, one more if asked meanwhile). */
	refreshAlbums(): Promise<void> {
		if (this.listing) {
			this.listAgain = true;
			return this.listing;
		}
		this.listing = (async () => {
			try {
				do {
					this.listAgain = false;
					if (this.albums) this.albumList = await this.albums.list();
				} while (this.listAgain);
			} finally {
				this.listing = null;
			}
		})();
		return this.listing;
	}

	/** After a local edit to an album (rename, photos added), so pages showing it redraw. */
	albumsChanged(): void {
		this.albumRevision += 1;
		// Remote edits and presence beacons come in bursts: list once they settle.
		if (this.relistTimer !== null) return;
		this.relistTimer = setTimeout(() => {
			this.relistTimer = null;
			void this.refreshAlbums();
		}, RELIST_DELAY_MS);
	}

	async stop(): Promise<void> {
		this.stopped = true;
		if (this.relistTimer !== null) clearTimeout(this.relistTimer);
		if (this.transferTimer !== null) clearTimeout(this.transferTimer);
		for (const cleanup of this.cleanups.splice(0)) cleanup();
		this.library?.close();
		await this.uploads.stop();
		await this.engine?.stop();
	}

	private libraryPlace(engine: SyncEngine): LibraryPlace {
		const key = `tessera/library/${this.signedIn.account.id}`;
		return {
			known: async () => localStorage.getItem(key),
			remember: async (albumId) => localStorage.setItem(key, albumId),
			// The library is an album the account owns; the relay lists them once connected.
			accountAlbums: async () =>
				(await engine.listAlbums())
					.filter((album) => album.role === 'owner')
					.map((album) => album.albumId)
		};
	}

	private refreshPhotos(): void {
		const library = this.library;
		if (!library) return;
		const pending = pendingOriginals(this.uploads.snapshot().uploads);
		this.photos = library.photos().map((photo) => gridPhoto(photo, pending));
		this.trashed = library.trashed().map((photo) => gridPhoto(photo, pending));
	}

	/** Upload progress comes many times a second: the panel and grid follow it a few times a second. */
	private refreshTransfers(): void {
		if (this.transferTimer !== null) return;
		this.transferTimer = setTimeout(() => {
			this.transferTimer = null;
			if (this.stopped) return;
			this.transfers = transferFiles(this.uploads.snapshot().uploads, this.library?.photos() ?? []);
			this.refreshPhotos();
		}, TRANSFER_REFRESH_MS);
	}
}

export const [getLibraryState, setLibraryState] = createContext<LibraryState>();
