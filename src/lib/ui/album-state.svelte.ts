// One album as its page shows it (AlbumState, a rune class), and the album actions the album list, the library and the dialogs share.

import { untrack } from 'svelte';
import { SvelteMap } from 'svelte/reactivity';
import { AlbumError, type AlbumModel, type AlbumPhoto } from '../albums';
import { toBase64Url } from '../crypto';
import { isAlbumId, type GrantableRole, type Role } from '../protocol';
import type { Members, MembershipProblem } from '../sharing/members';
import type { Recipient } from '../sharing/people';
import type { AlbumSync } from '../sync/engine';
import { gridPhoto, pendingOriginals } from './library-view';
import type { LibraryState } from './library-state.svelte';
import { photoSource } from './photo-source';
import type { GridPhoto, PhotoSource } from './photos/types';

export type AlbumProblemCode =
	/** No album has this id, or this account cannot see it (the relay does not say which). */
	| 'not-found'
	/** The account was a member and is no longer. */
	| 'removed'
	| 'deleted'
	/** The relay served history that does not verify: the album is not shown at all. */
	| 'untrusted'
	| 'storage'
	/** Creating or deleting an album needs the relay. */
	| 'offline'
	| 'not-allowed'
	| 'invalid-value'
	| 'not-ready';

/** A failure of an album action or of opening an album: words for a person, a code for the UI. */
export class AlbumProblem extends Error {
	constructor(
		readonly code: AlbumProblemCode,
		message: string
	) {
		super(message);
		this.name = 'AlbumProblem';
	}
}

export const OFFLINE_CREATE_NOTE =
	'You are offline: the album is made on this device and shared with your other devices when you are back online.';
export const OFFLINE_DELETE =
	'Deleting an album needs a connection. Try again when you are online.';

export const ROLE_NAMES: Record<Role, string> = {
	owner: 'Owner',
	admin: 'Admin',
	collaborator: 'Collaborator',
	viewer: 'Viewer'
};

/** The badge on an album someone shared with you ("Shared · Viewer"); none on your own. */
export function roleBadge(role: Role | null): string | null {
	return role && role !== 'owner' ? `Shared · ${ROLE_NAMES[role]}` : null;
}

/** "1 photo", "2 photos", "No photos yet". */
export function photoCount(count: number): string {
	if (count === 0) return 'No photos yet';
	return `${new Intl.NumberFormat().format(count)} ${count === 1 ? 'photo' : 'photos'}`;
}

/** Whether `role` may add photos (to its own contrib doc). */
export function canAddPhotos(role: Role | null): boolean {
	return role === 'owner' || role === 'admin' || role === 'collaborator';
}

/** Whether `role` may rename, set the cover and hide anyone's photo (writes the album doc). */
export function canManageAlbum(role: Role | null): boolean {
	return role === 'owner' || role === 'admin';
}

function messageOf(error: unknown, fallback: string): string {
	return error instanceof Error && error.message ? error.message : fallback;
}

/** A model refusal (AlbumError) as an AlbumProblem, keeping its code where one matches. */
function asProblem(error: unknown, fallback: string): AlbumProblem {
	if (error instanceof AlbumProblem) return error;
	if (error instanceof AlbumError) {
		const code = error.code === 'not-allowed' ? 'not-allowed' : 'invalid-value';
		return new AlbumProblem(code, error.message);
	}
	return new AlbumProblem('storage', messageOf(error, fallback));
}

/** Whether the device is connected to the relay right now, as a rune (for dialogs that need it). */
export class RelayStatus {
	ready = $state(false);

	/** Follows the library's connection; returns the stop (fits `$effect`'s cleanup). */
	watch(libraryState: LibraryState): () => void {
		const connection = libraryState.engine?.connection;
		if (!connection) {
			this.ready = false;
			return () => {};
		}
		this.ready = connection.status === 'ready';
		return connection.onStatus((status) => (this.ready = status === 'ready'));
	}
}

function requireAlbums(libraryState: LibraryState) {
	const albums = libraryState.albums;
	if (!albums) {
		throw new AlbumProblem('not-ready', 'Your library is still opening. Try again in a moment.');
	}
	return albums;
}

/**
 * Creates an album named `name` holding copies of the library photos `photoIds`; returns its id.
 * Works offline: the album reaches the relay when the device is next online.
 */
export async function createAlbum(
	libraryState: LibraryState,
	name: string,
	photoIds: readonly string[] = []
): Promise<string> {
	const albums = requireAlbums(libraryState);
	try {
		const albumId = await albums.create(name.trim(), photoIds);
		libraryState.albumsChanged();
		return albumId;
	} catch (error) {
		throw asProblem(error, 'The album could not be created.');
	}
}

/** What adding library photos to an album did. */
export interface AddedPhotos {
	added: number;
	/** Already in the album, so not added twice. */
	already: number;
}

/** Copies library photos into an album (no upload: same file keys and blobs). */
export async function addToAlbum(
	libraryState: LibraryState,
	albumId: string,
	photoIds: readonly string[]
): Promise<AddedPhotos> {
	const albums = requireAlbums(libraryState);
	try {
		const album = await albums.open(albumId);
		if (album.error) throw new AlbumProblem('not-found', album.error.message);
		const model = album.model ?? (await album.whenModel());
		const added = albums.addFromLibrary(model, photoIds);
		libraryState.albumsChanged();
		return { added, already: photoIds.length - added };
	} catch (error) {
		throw asProblem(error, 'The photos could not be added to the album.');
	}
}

/** "Added 3 photos to “Trip”", and how many were there already. */
export function addedMessage({ added, already }: AddedPhotos, albumName: string): string {
	const what = added === 1 ? '1 photo' : `${added} photos`;
	const base = `Added ${what} to “${albumName}”`;
	if (already === 0) return base;
	return `${base} (${already === 1 ? '1 was' : `${already} were`} already there)`;
}

/** Thumbnails of the album list's covers: a cover may be someone else's photo, not the library's. */
export function albumCoverSource(libraryState: LibraryState): PhotoSource {
	return photoSource(
		(id) =>
			libraryState.albumList?.find((album) => album.cover?.id === id)?.cover ??
			libraryState.library?.photo(id),
		libraryState.reader
	);
}

export type AlbumStatus = 'opening' | 'ready' | 'problem';

/** Someone else in the album now (their presence beacon has not expired). */
export interface PresentPerson {
	member: string;
	/** How the chip names them. */
	label: string;
	uploading: number;
}

/** A member as the members panel lists them. */
export interface AlbumMember {
	signPk: string;
	role: Role;
	isMe: boolean;
	/** From the pins or the directory; null while unknown (offline, or not looked up yet). */
	email: string | null;
}

const ROLE_ORDER: Record<Role, number> = { owner: 0, admin: 1, collaborator: 2, viewer: 3 };

/** What removing a selection did. */
export interface RemovedPhotos {
	removed: number;
	/** Other people's photos this role may not hide, or removals the model refused. */
	failed: number;
}

/** How often expired presence and late sync errors are looked at (they arrive without an event). */
const POLL_OPENING_MS = 500;
const POLL_OPEN_MS = 5000;

/**
 * One album for its page: opened through LibraryState.albums, redrawn whenever
 * LibraryState.albumRevision moves (remote edits arrive as album change events; local edits here
 * call albumsChanged()). The album's photos, name and role are derived from the model, never
 * copied, so they cannot drift from it.
 */
export class AlbumState {
	/** The album's sync, once opened (engine-cached: never closed here, the album list reuses it). */
	album = $state.raw<AlbumSync | null>(null);
	model = $state.raw<AlbumModel | null>(null);
	/** Bumped by a timer: presence expiry and sync failures come without a change event. */
	private clock = $state(0);
	private early = $state.raw<AlbumProblem | null>(null);
	private timer: ReturnType<typeof setInterval> | null = null;
	private closed = false;
	private readonly me: string | null;
	readonly source: PhotoSource;

	constructor(
		private readonly libraryState: LibraryState,
		readonly albumId: string,
		/** A person's name for a member key, once a directory knows it. */
		private readonly nameOf: (member: string) => string | undefined = () => undefined
	) {
		const identity = libraryState.engine?.identity;
		this.me = identity ? toBase64Url(identity.sign.publicKey) : null;
		this.source = photoSource((id) => this.byId.get(id)?.ref, libraryState.reader);
	}

	/** Opens the album; a missing or inaccessible one ends as status 'problem', never an endless wait. */
	async open(): Promise<void> {
		if (!isAlbumId(this.albumId)) {
			this.early = new AlbumProblem('not-found', 'This link does not lead to an album.');
			return;
		}
		const albums = this.libraryState.albums;
		if (!albums) {
			this.early = new AlbumProblem('not-ready', 'Your library did not open, so albums cannot.');
			return;
		}
		if (this.albumId === this.libraryState.library?.albumId) {
			this.early = new AlbumProblem('not-found', 'This is your library, not an album.');
			return;
		}
		let album: AlbumSync;
		try {
			album = await albums.open(this.albumId);
		} catch (error) {
			this.early = new AlbumProblem(
				'storage',
				messageOf(error, 'This album could not be read on this device.')
			);
			return;
		}
		if (this.closed) return;
		this.album = album;
		this.poll(album.model ? POLL_OPEN_MS : POLL_OPENING_MS);
		// Never resolves for an album this account cannot see; the poll reports the sync's error.
		const model = album.model ?? (await album.whenModel());
		if (this.closed) return;
		this.model = model;
		this.poll(POLL_OPEN_MS);
		// Presence chips and the members panel name people by email, looked up once per session.
		if (model.membership.members.size > 1) this.lookUpNames();
	}

	// Keep this album on this device ----------------------------------------------------------------

	/** Whether the user asked to keep this album's originals on this device. */
	kept = $state(false);
	/** Progress while originals download for keeping. */
	keeping = $state.raw<{ done: number; total: number; failed: number } | null>(null);
	keepProblem = $state<string | null>(null);

	private get keptKey(): string {
		return `tessera/kept/${this.albumId}`;
	}

	/** Reads the choice made on this device, and fetches what arrived since (new photos). */
	resumeKeeping(): void {
		this.kept = localStorage.getItem(this.keptKey) === '1';
		if (this.kept) void this.keepOnDevice();
	}

	/**
	 * Downloads every original (and thumbnail) of the album and keeps them out of the cache's
	 * eviction, so the whole album shows offline; photos added later are fetched when it opens.
	 */
	async keepOnDevice(): Promise<void> {
		if (this.keeping) return;
		localStorage.setItem(this.keptKey, '1');
		this.kept = true;
		this.keepProblem = null;
		const refs = this.entries.map((entry) => entry.ref);
		const progress = { done: 0, total: refs.length, failed: 0 };
		this.keeping = { ...progress };
		let lastError: unknown = null;
		for (const ref of refs) {
			if (this.closed || !this.kept) break;
			try {
				await this.libraryState.reader.keep(ref, this.albumId);
			} catch (error) {
				progress.failed += 1;
				lastError = error;
			}
			progress.done += 1;
			this.keeping = { ...progress };
		}
		this.keeping = null;
		if (progress.failed > 0) {
			this.keepProblem = `${progress.failed} of ${progress.total} could not be kept on this device: ${messageOf(lastError, 'they could not be downloaded')}.`;
		}
	}

	/** Lets go of the album's kept originals (they stay until the cache needs the space). */
	async stopKeeping(): Promise<void> {
		localStorage.removeItem(this.keptKey);
		this.kept = false;
		this.keepProblem = null;
		await this.libraryState.reader.release(this.albumId);
	}

	close(): void {
		this.closed = true;
		if (this.timer !== null) clearInterval(this.timer);
		this.timer = null;
	}

	// What the page shows -----------------------------------------------------------------------

	/** Re-read on every album change (a function: deriveds are lazy, read after the constructor). */
	private readonly revision = $derived.by(() => this.libraryState.albumRevision);

	readonly meta = $derived.by(() => {
		void this.revision;
		return this.model?.meta() ?? null;
	});

	readonly name = $derived(this.meta?.name || 'Untitled album');

	readonly role: Role | null = $derived.by(() => {
		void this.revision;
		const members = this.model?.membership.members;
		return this.me && members ? (members.get(this.me)?.role ?? null) : null;
	});

	/** The album's photos, newest first, with the doc each one comes from. */
	private readonly entries: AlbumPhoto[] = $derived.by(() => {
		void this.revision;
		const view = this.model?.view() ?? [];
		return view.sort((a, b) => b.ref.takenAt - a.ref.takenAt || (a.ref.id < b.ref.id ? -1 : 1));
	});

	// Rebuilt whole on every change, never mutated: a plain Map on purpose.
	// eslint-disable-next-line svelte/prefer-svelte-reactivity
	private readonly byId = $derived(new Map(this.entries.map((entry) => [entry.ref.id, entry])));

	/** For the grid and the lightbox; upload progress shows on photos whose bytes are still going. */
	readonly photos: GridPhoto[] = $derived.by(() => {
		void this.libraryState.transfers;
		const pending = pendingOriginals(this.libraryState.uploads.snapshot().uploads);
		return this.entries.map((entry) => gridPhoto(entry, pending));
	});

	readonly count = $derived(this.entries.length);

	readonly coverPhotoId = $derived(this.meta?.coverPhotoId ?? null);

	readonly canAdd = $derived(canAddPhotos(this.role));
	readonly canManage = $derived(canManageAlbum(this.role));
	readonly isOwner = $derived(this.role === 'owner');
	/** A collaborator removes their own photos; managers hide anyone's. */
	readonly canRemove = $derived(this.canAdd);

	readonly problem: AlbumProblem | null = $derived.by(() => {
		void this.clock;
		void this.revision;
		if (this.early) return this.early;
		const error = this.album?.error;
		if (error) {
			switch (error.code) {
				case 'not-a-member':
					// This device held the album, so the account was in it: it was removed meanwhile.
					if (this.model) {
						return new AlbumProblem('removed', 'You are no longer a member of this album.');
					}
				// falls through
				case 'album-not-found':
					return new AlbumProblem(
						'not-found',
						'This album does not exist, or you are not a member of it.'
					);
				case 'untrusted-history':
					return new AlbumProblem(
						'untrusted',
						`This album’s history could not be verified, so it is not shown (${error.reason ?? error.code}).`
					);
				default:
					return new AlbumProblem(
						'storage',
						'This album could not be read from this device. Reload the page to try again.'
					);
			}
		}
		const model = this.model;
		if (!model) return null;
		if (model.membership.deleted) {
			return new AlbumProblem('deleted', 'This album was deleted by its owner.');
		}
		if (this.meta?.kind === 'library') {
			return new AlbumProblem('not-found', 'This is your library, not an album.');
		}
		if (this.role === null) {
			return new AlbumProblem('removed', 'You are no longer a member of this album.');
		}
		return null;
	});

	readonly status: AlbumStatus = $derived(
		this.problem ? 'problem' : this.model ? 'ready' : 'opening'
	);

	/** While opening: whether it waits for the relay (an album not on this device yet). */
	readonly waitingForNetwork = $derived.by(() => {
		void this.clock;
		return !this.model && this.libraryState.engine?.connection.status !== 'ready';
	});

	readonly present: PresentPerson[] = $derived.by(() => {
		void this.clock;
		void this.revision;
		if (!this.model) return [];
		return (this.album?.present() ?? []).map(({ member, uploading }) => ({
			member,
			label: this.names.get(member) ?? this.nameOf(member) ?? 'Someone',
			uploading
		}));
	});

	/** Emails of member keys, filled in as the directory answers. */
	private readonly names = new SvelteMap<string, string>();
	/** Keys looked up this session: bookkeeping, not state (a page never redraws for it). */
	// eslint-disable-next-line svelte/prefer-svelte-reactivity
	private readonly asked = new Set<string>();

	/** Everyone in the album, owner first, then by role; emails arrive as they are looked up. */
	readonly members: AlbumMember[] = $derived.by(() => {
		void this.revision;
		const members = this.model?.membership.members;
		if (!members) return [];
		const list: AlbumMember[] = [];
		for (const [signPk, record] of members) {
			list.push({
				signPk,
				role: record.role,
				isMe: signPk === this.me,
				email: this.names.get(signPk) ?? null
			});
		}
		return list.sort(
			(a, b) =>
				ROLE_ORDER[a.role] - ROLE_ORDER[b.role] ||
				Number(b.isMe) - Number(a.isMe) ||
				(a.email ?? '~').localeCompare(b.email ?? '~')
		);
	});

	/** Looks up the emails of members not named yet (the panel calls it when it opens). */
	lookUpNames(): void {
		// Called from an effect: what it reads must not make that effect run again.
		const members = untrack(() => this.members);
		for (const member of members) {
			if (member.email !== null || this.asked.has(member.signPk)) continue;
			this.asked.add(member.signPk);
			void this.libraryState.people.nameOf(member.signPk).then((email) => {
				if (email === null) {
					this.asked.delete(member.signPk);
					return;
				}
				this.names.set(member.signPk, email);
			});
		}
	}

	/** My photos in this album whose originals are still uploading: what presence announces. */
	readonly uploadingHere = $derived.by(() => {
		void this.libraryState.transfers;
		const model = this.model;
		if (!model) return 0;
		const pending = pendingOriginals(this.libraryState.uploads.snapshot().uploads);
		const mine = model.myPhotosDocId;
		return this.entries.filter(
			(entry) => entry.docId === mine && pending.has(entry.ref.blobs.original)
		).length;
	});

	/** Says "here, uploading n files" to the album's other members (renewed until leavePresence). */
	announcePresence(): void {
		if (this.role !== null) this.album?.setPresence(this.uploadingHere);
	}

	leavePresence(): void {
		void this.album?.leavePresence();
	}

	/** Whether this album's photos show in the Library timeline (albums others shared with me). */
	readonly inTimeline = $derived.by(() => this.libraryState.timeline.has(this.albumId));

	/** Albums someone else owns can join the Library timeline; my own photos are there already. */
	readonly canShowInTimeline = $derived(this.role !== null && this.role !== 'owner');

	showInTimeline(shown: boolean): void {
		try {
			this.libraryState.setInTimeline(this.albumId, shown);
		} catch (error) {
			throw asProblem(error, 'Your Library could not be changed.');
		}
	}

	// Sharing -----------------------------------------------------------------------------------

	/** Membership changes on this album (the code loads when first needed, not with the page). */
	private async membersOf(): Promise<Members> {
		const album = this.album;
		const engine = this.libraryState.engine;
		if (!album || !this.me || !engine) {
			throw new AlbumProblem('not-ready', 'This album is still opening.');
		}
		const { Members } = await import('../sharing/members');
		return new Members({ engine, me: this.me }, album);
	}

	private requireOnline(what: string): void {
		if (this.libraryState.engine?.connection.status !== 'ready') {
			throw new AlbumProblem(
				'offline',
				`${what} needs a connection. Try again when you are online.`
			);
		}
	}

	/**
	 * Shares the album with a person the share sheet looked up: pins their keys on first use, and
	 * refuses (KeyChangedError) when the directory now serves other keys than the pinned ones (I6).
	 */
	async share(recipient: Recipient, role: GrantableRole): Promise<void> {
		this.requireOnline('Sharing');
		await this.libraryState.people.confirm(recipient);
		await this.membership(async () => (await this.membersOf()).add(recipient.keys, role));
		this.names.set(recipient.keys.signPk, recipient.email);
	}

	async changeRole(signPk: string, role: GrantableRole): Promise<void> {
		this.requireOnline('Changing a role');
		await this.membership(async () => (await this.membersOf()).changeRole(signPk, role));
	}

	/** Removes a member; the album's key changes so they cannot read what comes next. */
	async removeMember(signPk: string): Promise<void> {
		this.requireOnline('Removing someone');
		await this.membership(async () => (await this.membersOf()).remove(signPk));
	}

	/** Leaves the album; it goes from this account's albums. */
	async leave(): Promise<void> {
		this.requireOnline('Leaving an album');
		await this.membership(async () => (await this.membersOf()).leave());
	}

	private async membership(change: () => Promise<void>): Promise<void> {
		try {
			await change();
		} catch (error) {
			// Told apart by name: the class loads lazily, with the sharing code.
			if (error instanceof Error && error.name === 'MembershipProblem') {
				const code = (error as MembershipProblem).code;
				throw new AlbumProblem(
					code === 'not-allowed' ? 'not-allowed' : 'invalid-value',
					error.message
				);
			}
			throw error;
		} finally {
			this.libraryState.albumsChanged();
		}
	}

	// What the page does ------------------------------------------------------------------------

	rename(name: string): void {
		const model = this.requireModel();
		const next = name.trim();
		if (next === this.meta?.name) return;
		try {
			model.rename(next);
		} catch (error) {
			throw asProblem(error, 'The album could not be renamed.');
		}
		this.libraryState.albumsChanged();
	}

	setCover(photoId: string): void {
		const model = this.requireModel();
		try {
			model.setCover(photoId);
		} catch (error) {
			throw asProblem(error, 'The cover could not be changed.');
		}
		this.libraryState.albumsChanged();
	}

	/** Library photos not in the album yet: what the picker offers. */
	addable(): GridPhoto[] {
		return this.libraryState.photos.filter((photo) => !this.byId.has(photo.id));
	}

	addFromLibrary(photoIds: readonly string[]): number {
		const model = this.requireModel();
		const albums = requireAlbums(this.libraryState);
		let added: number;
		try {
			added = albums.addFromLibrary(model, photoIds);
		} catch (error) {
			throw asProblem(error, 'The photos could not be added.');
		}
		this.libraryState.albumsChanged();
		return added;
	}

	/**
	 * Imports files from the device into the library and adds them to this album at once: others
	 * in the album see them while they upload (presence says how many are still going).
	 */
	async importFiles(files: readonly File[]): Promise<AddedPhotos> {
		this.requireModel();
		await this.libraryState.import(files);
		const report = this.libraryState.lastImport;
		if (!report) return { added: 0, already: 0 };
		const ids = [...report.imported, ...report.duplicates.map((duplicate) => duplicate.photoId)];
		const added = ids.length === 0 ? 0 : this.addFromLibrary(ids);
		return { added, already: ids.length - added };
	}

	/**
	 * Removes photos from the album (they stay in each person's library): this device's own from its
	 * doc, anyone else's by hiding them, which only the owner and admins may do.
	 */
	remove(photoIds: readonly string[]): RemovedPhotos {
		const model = this.requireModel();
		const mine = model.myPhotosDocId;
		let removed = 0;
		let failed = 0;
		for (const id of photoIds) {
			const entry = this.byId.get(id);
			if (!entry) continue;
			try {
				if (entry.docId === mine) model.removeMyPhoto(id);
				else if (this.canManage) model.hidePhoto(id);
				else {
					failed += 1;
					continue;
				}
				removed += 1;
			} catch {
				failed += 1;
			}
		}
		if (removed > 0) this.libraryState.albumsChanged();
		return { removed, failed };
	}

	/** Deletes the album for everyone (owner only; needs the relay). */
	async delete(): Promise<void> {
		const albums = requireAlbums(this.libraryState);
		if (!this.isOwner) {
			throw new AlbumProblem('not-allowed', 'Only the album’s owner can delete it.');
		}
		if (this.libraryState.engine?.connection.status !== 'ready') {
			throw new AlbumProblem('offline', OFFLINE_DELETE);
		}
		try {
			await albums.delete(this.albumId);
		} catch (error) {
			throw asProblem(error, 'The album could not be deleted.');
		}
		this.libraryState.albumsChanged();
	}

	private requireModel(): AlbumModel {
		const model = this.model;
		if (!model) throw new AlbumProblem('not-ready', 'This album is still opening.');
		return model;
	}

	private poll(every: number): void {
		if (this.timer !== null) clearInterval(this.timer);
		this.timer = this.closed ? null : setInterval(() => (this.clock += 1), every);
	}
}

/** Describes a removal for the status line. */
export function removedMessage({ removed, failed }: RemovedPhotos): string {
	const parts: string[] = [];
	if (removed > 0) {
		parts.push(`Removed ${removed === 1 ? '1 photo' : `${removed} photos`} from the album.`);
	}
	if (failed > 0) {
		parts.push(
			`${failed === 1 ? '1 photo' : `${failed} photos`} could not be removed: only the owner or an admin can remove photos other people added.`
		);
	}
	return parts.join(' ');
}
