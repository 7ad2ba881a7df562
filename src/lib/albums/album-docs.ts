// The layout of an album's Yjs docs (album, contrib, activity, inbox) and validated reads of each.

import * as v from 'valibot';
import * as Y from 'yjs';
import { isAlbumId, PublicKeySchema } from '../protocol';
import { PhotoIdSchema, readPhotoRef, type PhotoRef } from './photo-ref';
import { decodePhotoRef } from './photo-ref-codec';

/** The album doc: settings that only the owner and admins write. */
export const ALBUM_DOC_ID = 'album';

export const contribDocId = (memberPk: string): string => `contrib:${memberPk}`;
export const activityDocId = (memberPk: string): string => `activity:${memberPk}`;
export const inboxDocId = (linkId: string): string => `inbox:${linkId}`;

/** Names of the root types in each doc. Changing one orphans every existing album's data. */
export const Root = {
	/** album: Y.Map of AlbumMeta fields. */
	meta: 'meta',
	/** album: Y.Map photoId -> true. */
	hidden: 'hidden',
	/** album: Y.Map of AlbumSettings fields. */
	settings: 'settings',
	/**
	 * album, in the account's library only: Y.Map albumId -> true, the shared albums whose photos
	 * the owner chose to see in their Library timeline (private: only the account reads it).
	 */
	timeline: 'timeline',
	/**
	 * contrib and inbox: Y.Map photoId -> PhotoRef, as its binary form (photo-ref-codec.ts, one
	 * Uint8Array per photo), or as a plain object in photos added before that form existed.
	 */
	photos: 'photos',
	/** activity: Y.Map commentId -> Comment. */
	comments: 'comments',
	/** activity: Y.Map photoId -> one emoji (this member's reaction). */
	reactions: 'reactions'
} as const;

export const ALBUM_SORTS = ['oldest-first', 'newest-first'] as const;
export type AlbumSort = (typeof ALBUM_SORTS)[number];

export const MAX_ALBUM_NAME_LENGTH = 200;
export const MAX_DESCRIPTION_LENGTH = 5000;
export const MAX_COMMENT_LENGTH = 4000;
export const MAX_REACTION_LENGTH = 16;

/**
 * 'library': the account's own photo library, a private album nobody else joins (docs/library.md);
 * 'album': everything people create and share.
 */
/**
 * `library`: the account's own photos (docs/library.md); `partner`: the album partner sharing fills
 * with the owner's new photos for one partner (docs/sharing.md); `album`: everything else.
 */
export type AlbumKind = 'album' | 'library' | 'partner';
export const ALBUM_KINDS = ['album', 'library', 'partner'] as const satisfies readonly AlbumKind[];

export interface AlbumMeta {
	kind: AlbumKind;
	name: string;
	description: string;
	/** The photo shown on the album's card, or null for the first one in the view. */
	coverPhotoId: string | null;
	sort: AlbumSort;
}

export interface AlbumSettings {
	/** Members may comment and react. */
	comments: boolean;
}

export const DEFAULT_META: AlbumMeta = {
	kind: 'album',
	name: '',
	description: '',
	coverPhotoId: null,
	sort: 'oldest-first'
};

export const DEFAULT_SETTINGS: AlbumSettings = { comments: true };

const text = (max: number) => v.pipe(v.string(), v.maxLength(max));

export const AlbumNameSchema = text(MAX_ALBUM_NAME_LENGTH);
export const DescriptionSchema = text(MAX_DESCRIPTION_LENGTH);
export const AlbumSortSchema = v.picklist(ALBUM_SORTS);

export const CommentSchema = v.strictObject({
	id: PhotoIdSchema,
	/** The photo commented on, or null for a comment on the album. */
	photoId: v.nullable(PhotoIdSchema),
	text: v.pipe(v.string(), v.minLength(1), v.maxLength(MAX_COMMENT_LENGTH)),
	at: v.pipe(v.number(), v.safeInteger()),
	by: PublicKeySchema
});
export type Comment = v.InferOutput<typeof CommentSchema>;

export const ReactionSchema = v.pipe(v.string(), v.minLength(1), v.maxLength(MAX_REACTION_LENGTH));

/** A field of a Y.Map if it passes `schema`, else the fallback: writers can store anything. */
function field<T>(
	map: Y.Map<unknown>,
	key: string,
	schema: v.GenericSchema<unknown, T>,
	fallback: T
): T {
	const result = v.safeParse(schema, map.get(key));
	return result.success ? result.output : fallback;
}

export function readMeta(doc: Y.Doc): AlbumMeta {
	const meta = doc.getMap<unknown>(Root.meta);
	return {
		kind: field(meta, 'kind', v.picklist(ALBUM_KINDS), DEFAULT_META.kind),
		name: field(meta, 'name', AlbumNameSchema, DEFAULT_META.name),
		description: field(meta, 'description', DescriptionSchema, DEFAULT_META.description),
		coverPhotoId: field(meta, 'coverPhotoId', v.nullable(PhotoIdSchema), null),
		sort: field(meta, 'sort', AlbumSortSchema, DEFAULT_META.sort)
	};
}

/** The album ids shown in the Library timeline (only `true` counts; ids are checked). */
export function readTimeline(doc: Y.Doc): Set<string> {
	const shown = new Set<string>();
	for (const [albumId, value] of doc.getMap<unknown>(Root.timeline)) {
		if (value === true && isAlbumId(albumId)) shown.add(albumId);
	}
	return shown;
}

export function readSettings(doc: Y.Doc): AlbumSettings {
	const settings = doc.getMap<unknown>(Root.settings);
	return { comments: field(settings, 'comments', v.boolean(), DEFAULT_SETTINGS.comments) };
}

/** Hidden photo ids; only `true` values count, so a stray value never hides anything. */
export function readHidden(doc: Y.Doc): Set<string> {
	const hidden = new Set<string>();
	for (const [id, value] of doc.getMap<unknown>(Root.hidden)) {
		if (value === true) hidden.add(id);
	}
	return hidden;
}

/** What the model knows of one entry of a photos doc: its stored value and what it holds. */
export interface StoredPhoto {
	/** The stored value: a byte string, or a plain object in older docs. */
	readonly value: object;
	/** The doc's writer the value was checked against. */
	readonly writer: string | null;
	/** The PhotoRef, or null when the entry does not count. */
	readonly ref: PhotoRef | null;
}

/**
 * What the model knows of one photos doc's entries, by photo id. A Map rather than a WeakMap
 * keyed by the stored values: garbage collection walks a WeakMap's entries as ephemerons, and the
 * first view of a 100,000-photo album took about a quarter more CPU with one.
 */
export type PhotoRefCache = Map<string, StoredPhoto>;

/**
 * Validated PhotoRefs of a contrib or inbox doc. An entry counts only if it is a valid PhotoRef
 * stored under its own id and added by the doc's writer (`writerPk`): anything else a writer put
 * in their doc is ignored. `cache` remembers each entry's stored value and its PhotoRef (Yjs hands
 * out the same Uint8Array or object until the entry changes), so re-reading a large doc decodes
 * nothing again.
 */
export function readPhotos(doc: Y.Doc, writerPk: string | null, cache: PhotoRefCache): PhotoRef[] {
	const photos: PhotoRef[] = [];
	const map = doc.getMap<unknown>(Root.photos);
	for (const [key, value] of map) {
		const ref = cachedPhotoRef(value, key, writerPk, cache);
		if (ref !== null) photos.push(ref);
	}
	// Forget entries removed from the doc since the last read.
	if (cache.size > map.size) {
		for (const key of cache.keys()) if (!map.has(key)) cache.delete(key);
	}
	return photos;
}

/** One photo of a contrib or inbox doc, under the same rules as readPhotos, or null. */
export function readPhoto(
	doc: Y.Doc,
	photoId: string,
	writerPk: string | null,
	cache: PhotoRefCache
): PhotoRef | null {
	const value = doc.getMap<unknown>(Root.photos).get(photoId);
	return cachedPhotoRef(value, photoId, writerPk, cache);
}

function cachedPhotoRef(
	value: unknown,
	key: string,
	writerPk: string | null,
	cache: PhotoRefCache
): PhotoRef | null {
	if (typeof value !== 'object' || value === null) return null;
	let stored = cache.get(key);
	// Read again when the entry changed, or its doc's writer did (an inbox doc's writer is known
	// only once its link's entry is).
	if (stored === undefined || stored.value !== value || stored.writer !== writerPk) {
		stored = { value, writer: writerPk, ref: photoRefOf(value, key, writerPk) };
		cache.set(key, stored);
	}
	return stored.ref;
}

function photoRefOf(value: object, key: string, writerPk: string | null): PhotoRef | null {
	// The key and the writer's key, when the value holds them, are reused as its id and addedBy:
	// 100,000 photos then keep 200,000 fewer strings alive.
	const ref =
		value instanceof Uint8Array
			? decodePhotoRef(value, { id: key, addedBy: writerPk })
			: readPhotoRef(value);
	return ref !== null && ref.id === key && ref.addedBy === writerPk ? ref : null;
}

export interface Activity {
	comments: Comment[];
	/** photoId -> emoji. */
	reactions: Map<string, string>;
}

/** Validated comments and reactions of one member's activity doc. */
export function readActivity(doc: Y.Doc, memberPk: string): Activity {
	const comments: Comment[] = [];
	for (const [key, value] of doc.getMap<unknown>(Root.comments)) {
		const result = v.safeParse(CommentSchema, value);
		if (result.success && result.output.id === key && result.output.by === memberPk) {
			comments.push(result.output);
		}
	}
	const reactions = new Map<string, string>();
	for (const [photoId, value] of doc.getMap<unknown>(Root.reactions)) {
		if (v.is(PhotoIdSchema, photoId) && v.is(ReactionSchema, value)) reactions.set(photoId, value);
	}
	return { comments, reactions };
}
