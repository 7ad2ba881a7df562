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
import type { AlbumPhoto, PhotoRef } from '../albums';
import { Albums, type AlbumSummary } from '../library/albums';
import {
	FIRST_SCREEN_PHOTOS,
	readFirstScreen,
	saveFirstScreen,
	type FirstScreen
} from '../library/first-screen';
import { PhotoReader } from '../library/photo-reader';
import type { TesseraDB } from '../local/db';
import { SyncEngine, browserTabs, type AlbumSync, type SocketLike } from '../sync/engine';
import { BlobCache, BlobDeletions, BlobDownloader, UploadQueue } from '../transfer';
import { askPersistentStorage } from './device-storage';
import { gridPhoto, pendingOriginals, transferFiles, type TransferFile } from './library-view';
import type { InviteOutcome } from '../sharing/complete-invites';
import type { InviteApi } from '../sharing/invites';
import type { Members } from '../sharing/members';
import { People, type Recipient } from '../sharing/people';
import { NotificationState } from './notification-state.svelte';
import { photoSource } from './photo-source';
import type { GridPhoto, PhotoSource } from './photos/types';

export type LibraryStatus = 'opening' | 'ready' | 'error';

/** How often upload progress reaches the transfer panel and the grid. */
const TRANSFER_REFRESH_MS = 200;

/** How long album changes may keep coming before the album list is read again. */
const RELIST_DELAY_MS = 250;

/** The saved first screen shows no upload progress (the queue reports it once the library opens). */
const NO_UPLOADS: ReadonlyMap<string, number> = new Map();

/** Longest wait for the first screen to be painted before the library opens (hidden tabs paint none). */
const PAINT_WAIT_MS = 100;

/** Album pages redraw at most this often while changes keep coming. */
const REVISION_MS = 50;

/** How long the Library must stay unchanged before its first screen is saved for the next start. */
const FIRST_SCREEN_SAVE_MS = 2000;

export class LibraryState {
	status = $state<LibraryStatus>('opening');
	/** Why the library could not open, in words. */
	problem = $state<string | null>(null);
	photos = $state.raw<GridPhoto[]>([]);
	/**
	 * How many photos the Library holds: while it opens, what the saved first screen says (its
	 * photos are shown meanwhile); then the photos themselves.
	 */
	photoCount = $state(0);
	trashed = $state.raw<GridPhoto[]>([]);
	transfers = $state.raw<TransferFile[]>([]);
	importing = $state.raw<ImportProgress | null>(null);
	lastImport = $state.raw<ImportReport | null>(null);

	engine: SyncEngine | null = null;
	readonly uploads: UploadQueue;
	readonly downloads: BlobDownloader;
	/** Blobs of photos deleted for good, freed on the relay when this device can. */
	readonly deletions: BlobDeletions;
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
	private revisionTimer: ReturnType<typeof setTimeout> | null = null;
	private revisionDue = false;
	private transferTimer: ReturnType<typeof setTimeout> | null = null;
	private listAgain = false;
	readonly source: PhotoSource;
	private stopped = false;
	private readonly cleanups: (() => void)[] = [];
	/** The saved first screen's photos by id, until the library has opened. */
	private firstScreenRefs: Map<string, PhotoRef> | null = null;
	private firstScreenTimer: ReturnType<typeof setTimeout> | null = null;
	/** What the last saved first screen held (ids and count), so an unchanged one is not sealed again. */
	private firstScreenSaved = '';

	constructor(
		private readonly db: TesseraDB,
		private readonly signedIn: SignedIn
	) {
		const token = () => this.signedIn.token;
		const cache = new BlobCache(db);
		this.uploads = new UploadQueue({ db, token, cache });
		this.downloads = new BlobDownloader({ db, token, cache });
		this.deletions = new BlobDeletions({ db, token });
		this.reader = new PhotoReader(this.downloads, cache);
		this.source = photoSource((id) => this.photoRef(id), this.reader);
		const api = new AccountApi();
		this.people = new People(db, {
			lookUp: (email) => api.lookUp(token(), email),
			lookUpMember: (signPk) => api.lookUpMember(token(), signPk)
		});
	}

	/** Invites to this account's albums, made by email before the person had an account. */
	async invites(): Promise<InviteApi> {
		// Loaded when first needed: sharing code stays out of the Library's first download.
		const { InviteApi } = await import('../sharing/invites');
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
				const { completeInvites } = await import('../sharing/complete-invites');
				const outcomes = await completeInvites({
					engine,
					me: this.me,
					people: this.people,
					invites: await this.invites()
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

	// Partner sharing --------------------------------------------------------------------------

	/** The album partner sharing fills, when this account shares with a partner now. */
	get partnerAlbum(): AlbumSummary | null {
		return (
			this.albumList?.find(
				(album) => album.kind === 'partner' && album.role === 'owner' && album.members > 1
			) ?? null
		);
	}

	/** Partner albums others fill for this account. */
	get fromPartners(): AlbumSummary[] {
		return (this.albumList ?? []).filter(
			(album) => album.kind === 'partner' && album.role !== 'owner'
		);
	}

	/** The partner's signing key in the partner album (the one member who is not this account). */
	async partnerKey(): Promise<string | null> {
		const partner = this.partnerAlbum;
		if (!partner || !this.albums) return null;
		const album = await this.albums.open(partner.albumId);
		for (const signPk of album.membership?.members.keys() ?? []) {
			if (signPk !== this.me) return signPk;
		}
		return null;
	}

	/**
	 * Starts sharing every new photo with a partner: an album of kind `partner` they view (kept
	 * from an earlier partner if there is one), pinned like any share (I6). New imports on any of
	 * this account's devices are added to it automatically.
	 */
	async startPartnerSharing(recipient: Recipient): Promise<void> {
		const albums = this.albums;
		const engine = this.engine;
		if (!albums || !engine) throw new Error('Your library is still opening.');
		if (engine.connection.status !== 'ready') {
			throw new Error(
				'Starting partner sharing needs a connection. Try again when you are online.'
			);
		}
		if (this.partnerAlbum) throw new Error('Stop sharing with your current partner first.');
		if (!this.canShare) {
			throw new Error(`Your ${this.planName} plan does not include sharing.`);
		}
		await this.people.confirm(recipient);
		const earlier = this.albumList?.find(
			(album) => album.kind === 'partner' && album.role === 'owner'
		);
		let albumId = earlier?.albumId;
		if (!albumId) {
			albumId = await albums.create('Shared with my partner');
			(await (await albums.open(albumId)).whenModel()).markAsPartner();
		}
		const album = await albums.open(albumId);
		await (await this.members(album)).add(recipient.keys, 'viewer');
		await this.refreshAlbums();
	}

	/**
	 * Shares one chosen album with the partner too (as a viewer), with the keys already in the
	 * partner album's verified chain: their photos there reach the partner like any shared album.
	 */
	async shareAlbumWithPartner(albumId: string): Promise<void> {
		const partner = this.partnerAlbum;
		const engine = this.engine;
		if (!partner || !this.albums || !engine) throw new Error('Choose a partner first.');
		if (engine.connection.status !== 'ready') {
			throw new Error('Sharing needs a connection. Try again when you are online.');
		}
		const key = await this.partnerKey();
		const partnerAlbum = await this.albums.open(partner.albumId);
		const boxPk = key ? partnerAlbum.membership?.members.get(key)?.boxPk : undefined;
		if (!key || !boxPk) throw new Error('Your partner is not in the partner album any more.');
		const album = await this.albums.open(albumId);
		await (await this.members(album)).add({ signPk: key, boxPk }, 'viewer');
		await this.refreshAlbums();
	}

	/** Stops partner sharing: the partner is removed and the album's key changes (I3). */
	async stopPartnerSharing(): Promise<void> {
		const partner = this.partnerAlbum;
		const engine = this.engine;
		if (!partner || !this.albums || !engine) return;
		if (engine.connection.status !== 'ready') {
			throw new Error(
				'Stopping partner sharing needs a connection. Try again when you are online.'
			);
		}
		const key = await this.partnerKey();
		const album = await this.albums.open(partner.albumId);
		if (key) await (await this.members(album)).remove(key);
		await this.refreshAlbums();
	}

	/** New library photos go to the partner album too (works offline: it syncs later). */
	private async shareWithPartner(photoIds: readonly string[]): Promise<void> {
		// Photos shared into the app as it starts arrive before the album list: read it first.
		if (this.albumList === null && photoIds.length > 0) await this.refreshAlbums();
		const partner = this.partnerAlbum;
		if (!partner || !this.albums || photoIds.length === 0) return;
		const album = await this.albums.open(partner.albumId);
		const model = album.model ?? (await album.whenModel());
		this.albums.addFromLibrary(model, photoIds);
		this.albumsChanged();
	}

	/** Membership changes on an open album (loaded when first needed). */
	private async members(album: AlbumSync): Promise<Members> {
		const { Members } = await import('../sharing/members');
		return new Members({ engine: this.engine!, me: this.me }, album);
	}

	/** This account's signing key as album chains write it. */
	get me(): string {
		return toBase64Url(this.engine!.identity.sign.publicKey);
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
		// The top of the Library as it was last time, shown while the library itself opens; the
		// open (a long task at thousands of photos) waits until that screen has been painted.
		const firstScreen = readFirstScreen(this.db, this.firstScreenKey).then((screen) => {
			if (!screen || this.library || this.stopped) return;
			this.showFirstScreen(screen);
			return afterNextPaint();
		});
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
					if (status !== 'ready' || !this.library) return;
					void this.completeInvites();
					void this.deletions.flush();
				})
			);
			engine.start();
			this.cleanups.push(this.uploads.subscribe(() => this.refreshTransfers()));
			await this.uploads.start();
			await firstScreen;
			const library = await Library.open({
				engine,
				uploads: this.uploads,
				reader: this.reader,
				cache: new BlobCache(this.db),
				// Import code (and its worker) loads with the first import, not with the Library.
				readMedia: async (file, options) => (await import('../media')).importMedia(file, options),
				place: this.libraryPlace(engine),
				deletions: this.deletions
			});
			if (this.stopped) return;
			this.library = library;
			this.albums = new Albums({
				engine,
				db: this.db,
				identity: engine.identity,
				library,
				otherPhoto: (id) => this.timelineRefs.get(id),
				onChange: () => this.albumsChanged()
			});
			this.cleanups.push(library.subscribe(() => this.refreshPhotos()));
			this.refreshPhotos();
			this.status = 'ready';
			// Notifications name albums from the list; other pages list them when they open.
			void this.refreshAlbums();
			void this.completeInvites();
			// What an earlier visit queued and could not send.
			void this.deletions.flush();
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
			await this.shareWithPartner(this.lastImport.imported).catch(() => {
				// The import stands; the partner album catches up with the next import.
			});
			// Once photos live on this device, ask the browser to keep them (once per device).
			if (this.lastImport.imported.length > 0) void askPersistentStorage();
		} finally {
			this.importing = null;
		}
	}

	/**
	 * Moves the library's own photos among `ids` to the trash and returns them; photos of shared
	 * albums shown in the timeline are not this account's to trash (they stay).
	 */
	trash(ids: readonly string[]): string[] {
		const own = ids.filter((id) => this.isOwn(id));
		if (own.length > 0) this.library?.trash(own);
		return own;
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
		this.bumpRevision();
		// Remote edits and presence beacons come in bursts: list once they settle.
		if (this.relistTimer !== null) return;
		this.relistTimer = setTimeout(() => {
			this.relistTimer = null;
			void this.refreshAlbums();
			if (this.timelineAlbums.size > 0) this.refreshPhotos();
		}, RELIST_DELAY_MS);
	}

	/**
	 * Redraws pages showing albums: at once after a quiet spell (a local edit shows immediately),
	 * then at most every REVISION_MS during a burst (a catch-up, presence beacons), since each
	 * redraw rebuilds a whole album view.
	 */
	private bumpRevision(): void {
		if (this.revisionTimer !== null) {
			this.revisionDue = true;
			return;
		}
		this.albumRevision += 1;
		this.revisionTimer = setTimeout(() => {
			this.revisionTimer = null;
			if (!this.revisionDue || this.stopped) return;
			this.revisionDue = false;
			this.bumpRevision();
		}, REVISION_MS);
	}

	async stop(): Promise<void> {
		this.stopped = true;
		if (this.revisionTimer !== null) clearTimeout(this.revisionTimer);
		if (this.relistTimer !== null) clearTimeout(this.relistTimer);
		if (this.transferTimer !== null) clearTimeout(this.transferTimer);
		if (this.firstScreenTimer !== null) clearTimeout(this.firstScreenTimer);
		for (const cleanup of this.cleanups.splice(0)) cleanup();
		this.library?.close();
		this.deletions.stop();
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
		this.followTimeline(library);
		const pending = pendingOriginals(this.uploads.snapshot().uploads);
		const own = library.photos();
		const others = this.timelinePhotos(library);
		const merged = others.length === 0 ? own : mergeNewestFirst(own, others);
		this.photos = merged.map((photo) => gridPhoto(photo, pending));
		this.photoCount = this.photos.length;
		this.trashed = library.trashed().map((photo) => gridPhoto(photo, pending));
		this.firstScreenRefs = null;
		this.scheduleFirstScreenSave();
	}

	// The first screen, kept for the next start ------------------------------------------------

	private get firstScreenKey(): string {
		return `library:${this.signedIn.account.id}`;
	}

	private showFirstScreen(screen: FirstScreen): void {
		// A lookup, replaced whole and never watched (the grid redraws from `photos`): not state.
		// eslint-disable-next-line svelte/prefer-svelte-reactivity
		this.firstScreenRefs = new Map(screen.refs.map((ref) => [ref.id, ref]));
		this.photos = screen.refs.map((ref) => gridPhoto({ ref }, NO_UPLOADS));
		this.photoCount = screen.total;
	}

	/** Saves the top of the Library once it has stopped changing for a moment. */
	private scheduleFirstScreenSave(): void {
		if (this.firstScreenTimer !== null) clearTimeout(this.firstScreenTimer);
		this.firstScreenTimer = setTimeout(() => {
			this.firstScreenTimer = null;
			if (this.stopped) return;
			const top = this.photos.slice(0, FIRST_SCREEN_PHOTOS);
			const saved = `${this.photos.length}:${top.map((photo) => photo.id).join(',')}`;
			if (saved === this.firstScreenSaved) return;
			const refs = top.map((photo) => this.photoRef(photo.id)).filter((ref) => ref !== undefined);
			this.firstScreenSaved = saved;
			saveFirstScreen(this.db, this.firstScreenKey, refs, this.photos.length).catch(() => {
				// A full or closing database: the next start opens without it, as before.
				this.firstScreenSaved = '';
			});
		}, FIRST_SCREEN_SAVE_MS);
	}

	// Shared albums in the Library timeline ----------------------------------------------------

	// Bookkeeping of opened albums and a lookup rebuilt whole on each refresh: plain collections on
	// purpose (the grid redraws from `photos`, never from these).
	/* eslint-disable svelte/prefer-svelte-reactivity */
	/** Albums shown in the timeline, opened and followed (their changes refresh the grid). */
	private readonly timelineAlbums = new Map<string, Promise<void>>();
	private readonly timelineOpened = new Map<string, AlbumSync>();
	/** Their photos by id, for the grid's source, the lightbox and copies into albums. */
	private timelineRefs = new Map<string, PhotoRef>();
	/** The timeline's album ids, as the library's private doc says (synced across devices). */
	timeline = $state.raw<ReadonlySet<string>>(new Set());
	/* eslint-enable svelte/prefer-svelte-reactivity */

	/** Shows (or stops showing) a shared album's photos in the Library timeline, on every device. */
	setInTimeline(albumId: string, shown: boolean): void {
		this.library?.model.setInTimeline(albumId, shown);
		this.refreshPhotos();
	}

	/** A photo of the library or of an album shown in its timeline. */
	photoRef(photoId: string): PhotoRef | undefined {
		return (
			this.library?.photo(photoId) ??
			this.timelineRefs.get(photoId) ??
			this.firstScreenRefs?.get(photoId)
		);
	}

	/** Whether a photo in the grid is this account's own (trash applies), not a shared album's. */
	isOwn(photoId: string): boolean {
		return this.library?.photo(photoId) !== undefined;
	}

	private followTimeline(library: Library): void {
		const wanted = library.model.timeline();
		this.timeline = wanted;
		const albums = this.albums;
		if (!albums) return;
		for (const albumId of wanted) {
			if (this.timelineAlbums.has(albumId)) continue;
			this.timelineAlbums.set(
				albumId,
				albums.open(albumId).then(
					async (album) => {
						if (!album.error) await album.whenModel();
						if (!this.timelineAlbums.has(albumId)) return;
						this.timelineOpened.set(albumId, album);
						this.refreshPhotos();
					},
					() => {
						// Not readable on this device (yet): shown when it is, after the next change.
						this.timelineAlbums.delete(albumId);
					}
				)
			);
		}
		for (const albumId of [...this.timelineAlbums.keys()]) {
			if (wanted.has(albumId)) continue;
			this.timelineAlbums.delete(albumId);
			this.timelineOpened.delete(albumId);
		}
	}

	/** Photos of the timeline's albums this account can still see, minus those it has itself. */
	private timelinePhotos(library: Library): AlbumPhoto[] {
		// Rebuilt whole and swapped in: not state.
		// eslint-disable-next-line svelte/prefer-svelte-reactivity
		const refs = new Map<string, PhotoRef>();
		const photos: AlbumPhoto[] = [];
		for (const albumId of this.timeline) {
			const album = this.timelineOpened.get(albumId);
			const model = album?.model;
			if (!album || album.error || !model || model.membership.deleted) continue;
			if (!model.membership.members.has(this.me)) continue;
			for (const photo of model.view()) {
				if (library.photo(photo.ref.id) || refs.has(photo.ref.id)) continue;
				refs.set(photo.ref.id, photo.ref);
				photos.push(photo);
			}
		}
		this.timelineRefs = refs;
		return photos.sort((a, b) => b.ref.takenAt - a.ref.takenAt);
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

/**
 * Resolves once the next frame has been painted, or after PAINT_WAIT_MS when the page draws no
 * frames (a hidden tab).
 */
function afterNextPaint(): Promise<void> {
	return new Promise((resolve) => {
		const timer = setTimeout(resolve, PAINT_WAIT_MS);
		requestAnimationFrame(() =>
			setTimeout(() => {
				clearTimeout(timer);
				resolve();
			}, 0)
		);
	});
}

/** Two newest-first lists as one (the library's and the timeline albums'). */
function mergeNewestFirst(a: readonly AlbumPhoto[], b: readonly AlbumPhoto[]): AlbumPhoto[] {
	const out: AlbumPhoto[] = [];
	let i = 0;
	let j = 0;
	while (i < a.length && j < b.length) {
		out.push(a[i]!.ref.takenAt >= b[j]!.ref.takenAt ? a[i++]! : b[j++]!);
	}
	while (i < a.length) out.push(a[i++]!);
	while (j < b.length) out.push(b[j++]!);
	return out;
}

export const [getLibraryState, setLibraryState] = createContext<LibraryState>();
