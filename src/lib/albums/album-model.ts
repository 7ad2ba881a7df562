// AlbumModel: one album's Yjs docs, its operations (with the writers' rules), and the album as shown.

import * as v from 'valibot';
import * as Y from 'yjs';
import { randomBytes, toBase64Url } from '../crypto';
import { isAlbumId, MAX_ENVELOPE_CIPHERTEXT_BYTES, parseDocId, type Role } from '../protocol';
import { canWriteDoc, type MembershipState } from '../protocol/membership-rules';
import {
	ALBUM_DOC_ID,
	AlbumNameSchema,
	AlbumSortSchema,
	DescriptionSchema,
	MAX_COMMENT_LENGTH,
	ReactionSchema,
	Root,
	activityDocId,
	contribDocId,
	inboxDocId,
	readActivity,
	readHidden,
	readMeta,
	readPhoto,
	readPhotos,
	readSettings,
	readTimeline,
	type Activity,
	type AlbumMeta,
	type AlbumSettings,
	type AlbumSort,
	type Comment,
	type PhotoRefCache
} from './album-docs';
import { AlbumError, AlbumUpdateRejected } from './errors';
import { MAX_CAPTION_LENGTH, PhotoIdSchema, photoRefProblem, type PhotoRef } from './photo-ref';
import { encodePhotoRef } from './photo-ref-codec';
import { UpdateGuardError, checkSize, checkUpdate } from './update-guard';

/** XChaCha20-Poly1305 adds a 2-byte prefix and a 16-byte tag: the largest update that fits. */
export const MAX_REMOTE_UPDATE_BYTES = MAX_ENVELOPE_CIPHERTEXT_BYTES - 18;

/** Largest compacted doc state loaded from the device's own database. */
export const MAX_LOCAL_STATE_BYTES = 256 * 1024 * 1024;

/** A photo added by this device: the model fills in who added it and when. */
export type NewPhoto = Omit<PhotoRef, 'addedAt' | 'addedBy'>;

/** One photo of the album as shown, with the doc it comes from. */
export interface AlbumPhoto {
	ref: PhotoRef;
	docId: string;
}

export interface AlbumMember {
	signPk: string;
	role: Role;
	/** The chain index of the entry that added them. */
	sinceIndex: number;
}

export interface AlbumModelOptions {
	/** The verified membership (MembershipChain.state); update it with setMembership. */
	membership: MembershipState;
	/** This device's signing key: a member's, or a link's for a guest. */
	me: string;
	/** Set when this device is a guest of a public link: its photos go to inbox:<linkId>. */
	linkId?: string;
	/** Largest remote update accepted (default: what fits in one envelope). */
	maxUpdateBytes?: number;
	/** Clock for addedAt and comment times (tests pass a fixed one). */
	now?: () => number;
}

/**
 * A local change to seal and send: the doc, its Yjs V2 update, and the blob ids of the PhotoRefs
 * it adds (empty for any other change), which the relay binds to the album with the post.
 */
export type LocalUpdateListener = (
	docId: string,
	update: Uint8Array,
	blobs: readonly string[]
) => void;

const NO_BLOBS: readonly string[] = Object.freeze([]);

/** Transaction origins: remote updates must never be sent back out. */
const REMOTE = Symbol('remote');
const LOCAL = Symbol('local');

const ROLE_ORDER: Record<Role, number> = { owner: 0, admin: 1, collaborator: 2, viewer: 3 };

/**
 * Holds the Y.Docs of one album. Remote updates (already verified and decrypted by the envelope
 * layer) go in through applyUpdate; local operations check the writers' rules first (the same
 * canWriteDoc the relay and every client use), then change one doc in one transaction, and the
 * resulting update goes out through onLocalUpdate for the sync layer to seal and send.
 */
export class AlbumModel {
	private state: MembershipState;
	private readonly me: string;
	private readonly linkId: string | null;
	private readonly maxUpdateBytes: number;
	private readonly now: () => number;
	private readonly docs = new Map<string, Y.Doc>();
	private readonly listeners = new Set<LocalUpdateListener>();
	/** Each doc's `updateV2` listener that forwards local edits (see apply). */
	private readonly localForwarders = new Map<
		string,
		(update: Uint8Array, origin: unknown) => void
	>();
	/** Per photos doc, what is known of its entries (see readPhotos). */
	private readonly photoCaches = new Map<string, PhotoRefCache>();
	/** Blob ids of the PhotoRefs added by the transaction running now (see addPhotos). */
	private addingBlobs: Set<string> | null = null;

	constructor(options: AlbumModelOptions) {
		this.state = options.membership;
		this.me = options.me;
		this.linkId = options.linkId ?? null;
		this.maxUpdateBytes = options.maxUpdateBytes ?? MAX_REMOTE_UPDATE_BYTES;
		this.now = options.now ?? Date.now;
		this.doc(ALBUM_DOC_ID);
	}

	get albumId(): string {
		return this.state.albumId;
	}

	get membership(): MembershipState {
		return this.state;
	}

	/** Follows the verified chain as it grows; roles and writers are judged at its head. */
	setMembership(state: MembershipState): void {
		if (state.albumId !== this.state.albumId) {
			throw new AlbumError('wrong-album', 'This membership belongs to another album.');
		}
		this.state = state;
	}

	/** The doc this device writes its photos to: its contrib doc, or its link's inbox. */
	get myPhotosDocId(): string {
		return this.linkId === null ? contribDocId(this.me) : inboxDocId(this.linkId);
	}

	docIds(): string[] {
		return [...this.docs.keys()].sort();
	}

	/** Whether this device may write `docId` at the current head. */
	canWrite(docId: string): boolean {
		return canWriteDoc(this.state, this.me, docId, this.state.head.index);
	}

	/** Sends every local change: (docId, Yjs V2 update). Returns the unsubscribe function. */
	onLocalUpdate(listener: LocalUpdateListener): () => void {
		this.listeners.add(listener);
		return () => this.listeners.delete(listener);
	}

	/**
	 * Applies a remote update (or snapshot) to a doc. Refused with AlbumUpdateRejected when the doc
	 * id is not one of an album's, the update is over the size cap, announces more structs than it
	 * carries (a decode bomb), or does not decode; then the doc is as it was.
	 */
	applyUpdate(docId: string, update: Uint8Array): void {
		this.apply(docId, update, this.maxUpdateBytes);
	}

	private apply(
		docId: string,
		update: Uint8Array,
		maxBytes: number,
		source: 'remote' | 'own-state' = 'remote'
	): void {
		if (parseDocId(docId) === null) {
			throw new AlbumUpdateRejected(
				'unknown-doc',
				String(docId).slice(0, 80),
				'This change is for no known part of the album.'
			);
		}
		try {
			if (source === 'remote') checkUpdate(update, maxBytes);
			else checkSize(update, maxBytes);
		} catch (error) {
			if (error instanceof UpdateGuardError) {
				throw new AlbumUpdateRejected(error.problem, docId, error.message);
			}
			throw error;
		}
		const doc = this.doc(docId);
		const forwardLocal = this.localForwarders.get(docId)!;
		// Yjs encodes every transaction's update for its `updateV2` listeners; a remote one is not
		// forwarded anyway, so the listener is off while it applies (for a 10,000-photo state that
		// encoding alone costs as much as the apply).
		doc.off('updateV2', forwardLocal);
		try {
			Y.applyUpdateV2(doc, update, REMOTE);
		} catch {
			// The guard has already decoded every struct and the delete set, so Yjs fails here only
			// while integrating a well-encoded but inconsistent update: something only the doc's own
			// writer (checked by the envelope layer) can send, and only into their own doc.
			throw new AlbumUpdateRejected('malformed', docId, 'This album change could not be applied.');
		} finally {
			doc.on('updateV2', forwardLocal);
		}
	}

	/**
	 * Loads a doc's compacted state from this device's own database, where it was sealed under the
	 * device key by this code (Y.encodeStateAsUpdateV2 of a doc built from verified updates): the
	 * seal already proves it is ours, so it skips the decode-bomb walk meant for remote input and
	 * has a larger cap (MAX_LOCAL_STATE_BYTES): a 10,000-photo contrib doc is several MB, more than
	 * one envelope carries.
	 */
	loadLocalState(docId: string, state: Uint8Array): void {
		this.apply(docId, state, Math.max(this.maxUpdateBytes, MAX_LOCAL_STATE_BYTES), 'own-state');
	}

	/** Y.encodeStateAsUpdateV2 of the live doc: what a writer posts as a snapshot. */
	snapshot(docId: string): Uint8Array {
		const doc = this.docs.get(docId);
		return doc ? Y.encodeStateAsUpdateV2(doc) : Y.encodeStateAsUpdateV2(new Y.Doc());
	}

	/** Frees the docs; the model takes no more updates. */
	destroy(): void {
		for (const doc of this.docs.values()) doc.destroy();
		this.docs.clear();
		this.photoCaches.clear();
		this.listeners.clear();
	}

	// -------------------------------------------------------------------------------------------
	// The album doc (owner and admins)

	meta(): AlbumMeta {
		return readMeta(this.doc(ALBUM_DOC_ID));
	}

	/**
	 * Whether the album doc was ever written: every album is named (or marked as a library) as it
	 * is created, so one without is an album whose creation stopped half way, or whose album doc
	 * has not reached this device yet.
	 */
	get written(): boolean {
		return this.doc(ALBUM_DOC_ID).getMap(Root.meta).size > 0;
	}

	settings(): AlbumSettings {
		return readSettings(this.doc(ALBUM_DOC_ID));
	}

	/** Marks the album as the account's library (set once, when the library is created). */
	markAsLibrary(): void {
		this.writeAlbum((doc) => doc.getMap(Root.meta).set('kind', 'library'));
	}

	/** Marks the album as the one partner sharing fills (set once, when partner sharing starts). */
	markAsPartner(): void {
		this.writeAlbum((doc) => doc.getMap(Root.meta).set('kind', 'partner'));
	}

	/** In the account's library: the shared albums whose photos show in the Library timeline. */
	timeline(): Set<string> {
		return readTimeline(this.doc(ALBUM_DOC_ID));
	}

	/** In the account's library: shows (or stops showing) another album's photos in the timeline. */
	setInTimeline(albumId: string, shown: boolean): void {
		if (!isAlbumId(albumId)) throw new AlbumError('invalid-value', 'This is not an album id.');
		this.writeAlbum((doc) => {
			const map = doc.getMap(Root.timeline);
			if (shown) map.set(albumId, true);
			else map.delete(albumId);
		});
	}

	rename(name: string): void {
		this.checkValue(AlbumNameSchema, name, 'An album name');
		this.writeAlbum((doc) => doc.getMap(Root.meta).set('name', name));
	}

	setDescription(description: string): void {
		this.checkValue(DescriptionSchema, description, 'A description');
		this.writeAlbum((doc) => doc.getMap(Root.meta).set('description', description));
	}

	/** Sets the cover photo, or null to use the first photo of the view. */
	setCover(photoId: string | null): void {
		if (photoId !== null) this.checkValue(PhotoIdSchema, photoId, 'A photo id');
		this.writeAlbum((doc) => doc.getMap(Root.meta).set('coverPhotoId', photoId));
	}

	setSort(sort: AlbumSort): void {
		this.checkValue(AlbumSortSchema, sort, 'An album order');
		this.writeAlbum((doc) => doc.getMap(Root.meta).set('sort', sort));
	}

	updateSettings(settings: Partial<AlbumSettings>): void {
		if (settings.comments !== undefined && typeof settings.comments !== 'boolean') {
			throw new AlbumError('invalid-value', 'The comments setting is on or off.');
		}
		this.writeAlbum((doc) => {
			const map = doc.getMap(Root.settings);
			if (settings.comments !== undefined) map.set('comments', settings.comments);
		});
	}

	/** Hides anyone's photo from the album (owner and admins); the photo stays in its doc. */
	hidePhoto(photoId: string): void {
		this.checkValue(PhotoIdSchema, photoId, 'A photo id');
		this.writeAlbum((doc) => doc.getMap(Root.hidden).set(photoId, true));
	}

	unhidePhoto(photoId: string): void {
		this.checkValue(PhotoIdSchema, photoId, 'A photo id');
		this.writeAlbum((doc) => doc.getMap(Root.hidden).delete(photoId));
	}

	// -------------------------------------------------------------------------------------------
	// My photos (contrib:<me>, or inbox:<linkId> for a link guest)

	/**
	 * Adds photos to this device's doc in one transaction. Every photo is checked first, so a bad
	 * one adds nothing. Photos already there are left as they are (an import can be retried).
	 * Each is stored in its binary form (photo-ref-codec.ts). Returns the ids actually added. The
	 * blob ids of the photos added go out with the update (LocalUpdateListener), so the relay
	 * serves those blobs to the album's members.
	 */
	addPhotos(photos: readonly NewPhoto[]): string[] {
		const docId = this.myPhotosDocId;
		this.checkWriter(docId, 'add photos to');
		const addedAt = this.now();
		const refs: PhotoRef[] = photos.map((photo) => {
			const ref = { ...photo, addedAt, addedBy: this.me } as PhotoRef;
			const problem = photoRefProblem(ref);
			if (problem !== null) {
				throw new AlbumError('invalid-photo', `This photo cannot be added: ${problem}`);
			}
			return ref;
		});
		const added: string[] = [];
		const blobs = new Set<string>();
		this.addingBlobs = blobs;
		try {
			this.write(docId, (doc) => {
				const map = doc.getMap<Uint8Array>(Root.photos);
				for (const ref of refs) {
					if (map.has(ref.id)) continue;
					map.set(ref.id, encodePhotoRef(ref));
					added.push(ref.id);
					for (const blobId of [ref.blobs.original, ref.blobs.thumb, ref.blobs.preview]) {
						if (blobId !== undefined) blobs.add(blobId);
					}
				}
			});
		} finally {
			this.addingBlobs = null;
		}
		return added;
	}

	/** Removes one of this device's own photos from the album. */
	removeMyPhoto(photoId: string): void {
		const docId = this.myPhotosDocId;
		this.checkWriter(docId, 'remove photos from');
		this.myPhoto(photoId);
		this.write(docId, (doc) => doc.getMap(Root.photos).delete(photoId));
	}

	/**
	 * Sets (or with null / '' removes) the caption of one of this device's own photos: the whole
	 * PhotoRef is written again in the binary form, so a photo stored as an object moves to it.
	 */
	setCaption(photoId: string, caption: string | null): void {
		const docId = this.myPhotosDocId;
		this.checkWriter(docId, 'caption photos in');
		if (caption !== null && (typeof caption !== 'string' || caption.length > MAX_CAPTION_LENGTH)) {
			throw new AlbumError(
				'invalid-value',
				`A caption has at most ${MAX_CAPTION_LENGTH} characters.`
			);
		}
		const { caption: _old, ...rest } = this.myPhoto(photoId);
		const next: PhotoRef = caption ? { ...rest, caption } : rest;
		this.write(docId, (doc) => doc.getMap(Root.photos).set(photoId, encodePhotoRef(next)));
	}

	// -------------------------------------------------------------------------------------------
	// My activity (comments and reactions)

	/** Comments on a photo (or, with null, on the album); returns the new comment's id. */
	addComment(photoId: string | null, text: string): string {
		const docId = activityDocId(this.me);
		this.checkWriter(docId, 'comment in');
		if (!this.settings().comments) {
			throw new AlbumError('not-allowed', 'Comments are turned off in this album.');
		}
		if (photoId !== null) this.checkValue(PhotoIdSchema, photoId, 'A photo id');
		if (typeof text !== 'string' || text.length === 0 || text.length > MAX_COMMENT_LENGTH) {
			throw new AlbumError('invalid-value', `A comment has 1 to ${MAX_COMMENT_LENGTH} characters.`);
		}
		const comment: Comment = {
			id: toBase64Url(randomBytes(16)),
			photoId,
			text,
			at: this.now(),
			by: this.me
		};
		this.write(docId, (doc) => doc.getMap<Comment>(Root.comments).set(comment.id, comment));
		return comment.id;
	}

	removeComment(commentId: string): void {
		const docId = activityDocId(this.me);
		this.checkWriter(docId, 'remove comments from');
		this.write(docId, (doc) => doc.getMap(Root.comments).delete(commentId));
	}

	/** Sets this member's reaction to a photo, or removes it with null. */
	react(photoId: string, emoji: string | null): void {
		const docId = activityDocId(this.me);
		this.checkWriter(docId, 'react in');
		this.checkValue(PhotoIdSchema, photoId, 'A photo id');
		if (emoji !== null) this.checkValue(ReactionSchema, emoji, 'A reaction');
		this.write(docId, (doc) => {
			const reactions = doc.getMap<string>(Root.reactions);
			if (emoji === null) reactions.delete(photoId);
			else reactions.set(photoId, emoji);
		});
	}

	/** Every member's validated activity, by member key. */
	activity(): Map<string, Activity> {
		const all = new Map<string, Activity>();
		for (const [docId, doc] of this.docs) {
			const parsed = parseDocId(docId);
			if (parsed?.kind === 'activity') all.set(parsed.memberPk, readActivity(doc, parsed.memberPk));
		}
		return all;
	}

	// -------------------------------------------------------------------------------------------
	// The album as shown

	/**
	 * All photos of all contrib and inbox docs, minus the hidden ones, by date taken (then id, then
	 * doc, so every device shows the same order). Invalid entries are skipped. Photos of members who
	 * left or links that were revoked stay until a manager hides them.
	 */
	view(): AlbumPhoto[] {
		return this.photosWhere(false);
	}

	/** The hidden photos, in the view's order: a library's trash (see docs/library.md). */
	hiddenPhotos(): AlbumPhoto[] {
		return this.photosWhere(true);
	}

	private photosWhere(hiddenOnes: boolean): AlbumPhoto[] {
		const hidden = readHidden(this.doc(ALBUM_DOC_ID));
		const photos: AlbumPhoto[] = [];
		for (const [docId, doc] of this.docs) {
			const writer = this.photoWriterOf(docId);
			if (writer === undefined) continue;
			for (const ref of readPhotos(doc, writer, this.photoCache(docId))) {
				if (hidden.has(ref.id) === hiddenOnes) photos.push({ ref, docId });
			}
		}
		const direction = this.meta().sort === 'newest-first' ? -1 : 1;
		return photos.sort(
			(a, b) =>
				direction * (a.ref.takenAt - b.ref.takenAt) ||
				compareText(a.ref.id, b.ref.id) ||
				compareText(a.docId, b.docId)
		);
	}

	/** Current members and roles from the verified chain: owner first, then admins, and so on. */
	members(): AlbumMember[] {
		return [...this.state.members]
			.map(([signPk, record]) => ({ signPk, role: record.role, sinceIndex: record.sinceIndex }))
			.sort((a, b) => ROLE_ORDER[a.role] - ROLE_ORDER[b.role] || compareText(a.signPk, b.signPk));
	}

	// -------------------------------------------------------------------------------------------

	/** The doc for `docId`, created empty on first use and wired to the local-update listeners. */
	private doc(docId: string): Y.Doc {
		let doc = this.docs.get(docId);
		if (!doc) {
			doc = new Y.Doc({ gc: true });
			const forwardLocal = (update: Uint8Array, origin: unknown) => {
				if (origin === REMOTE) return;
				// Yjs emits the update as the transaction ends, inside write(): addingBlobs is this
				// transaction's, complete by now.
				const blobs = this.addingBlobs ? [...this.addingBlobs] : NO_BLOBS;
				for (const listener of this.listeners) listener(docId, update, blobs);
			};
			doc.on('updateV2', forwardLocal);
			this.localForwarders.set(docId, forwardLocal);
			this.docs.set(docId, doc);
		}
		return doc;
	}

	private photoCache(docId: string): PhotoRefCache {
		let cache = this.photoCaches.get(docId);
		if (!cache) this.photoCaches.set(docId, (cache = new Map()));
		return cache;
	}

	/** The signing key whose PhotoRefs count in a photos doc, or undefined if it holds none. */
	private photoWriterOf(docId: string): string | null | undefined {
		const parsed = parseDocId(docId);
		if (parsed?.kind === 'contrib') return parsed.memberPk;
		if (parsed?.kind !== 'inbox') return undefined;
		// A revoked link is gone from the current links; its key is still in the history.
		const changes = this.state.history.links.get(parsed.linkId) ?? [];
		for (let i = changes.length - 1; i >= 0; i--) {
			const link = changes[i]!.value;
			if (link) return link.linkPk;
		}
		return null;
	}

	private myPhoto(photoId: string): PhotoRef {
		const docId = this.myPhotosDocId;
		const writer = this.linkId === null ? this.me : this.photoWriterOf(docId);
		// One entry, not the whole doc: captioning in a 10,000-photo library stays O(1).
		const ref = readPhoto(this.doc(docId), photoId, writer ?? null, this.photoCache(docId));
		if (!ref)
			throw new AlbumError('unknown-photo', 'This photo is not one of yours in this album.');
		return ref;
	}

	private writeAlbum(change: (doc: Y.Doc) => void): void {
		this.checkWriter(ALBUM_DOC_ID, 'change');
		this.write(ALBUM_DOC_ID, change);
	}

	private checkWriter(docId: string, action: string): void {
		if (this.state.deleted) {
			throw new AlbumError('not-allowed', 'This album was deleted.');
		}
		if (!this.canWrite(docId)) {
			const role = this.state.members.get(this.me)?.role;
			const who = role ? `A ${role}` : 'Someone outside the album';
			throw new AlbumError('not-allowed', `${who} cannot ${action} this album.`);
		}
	}

	private checkValue<T>(schema: v.GenericSchema<unknown, T>, value: unknown, what: string): void {
		if (!v.is(schema, value)) throw new AlbumError('invalid-value', `${what} is not valid here.`);
	}

	/** One operation, one transaction: one update goes out. */
	private write(docId: string, change: (doc: Y.Doc) => void): void {
		const doc = this.doc(docId);
		doc.transact(() => change(doc), LOCAL);
	}
}

function compareText(a: string, b: string): number {
	return a < b ? -1 : a > b ? 1 : 0;
}
