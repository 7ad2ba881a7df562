// Fetches grid thumbnails on demand: aborts those scrolled away, keeps a bounded LRU of object URLs and revokes the rest.

import type { PhotoSource } from './types';

export type ThumbnailState =
	{ status: 'loading' } | { status: 'ready'; url: string } | { status: 'error'; message: string };

export interface ThumbnailCacheOptions {
	/** Where states are published; pass a SvelteMap so cells re-render when their entry changes. */
	states?: Map<string, ThumbnailState>;
	/** Settled thumbnails kept off screen, besides those on screen (default 400, roughly 10-20 MB of images). */
	capacity?: number;
	revoke?: (url: string) => void;
}

export const THUMBNAIL_FALLBACK_MESSAGE = "This thumbnail couldn't be loaded.";

/**
 * A photo someone just added to a shared album is in the album before its files finish uploading:
 * its thumbnail is not on the relay yet (`blob-not-found`). Looked for again after these delays
 * while its cell is on screen, then shown as an error.
 */
const NOT_UPLOADED_YET_RETRIES_MS = [1_000, 2_000, 4_000, 8_000, 15_000, 30_000, 60_000];

function notUploadedYet(error: unknown): boolean {
	return (error as { code?: unknown } | null)?.code === 'blob-not-found';
}

function messageOf(error: unknown): string {
	return error instanceof Error && error.message ? error.message : THUMBNAIL_FALLBACK_MESSAGE;
}

export class ThumbnailCache {
	readonly #source: PhotoSource;
	readonly #states: Map<string, ThumbnailState>;
	readonly #capacity: number;
	readonly #revoke: (url: string) => void;
	/** How many cells show each id; an id in use is never evicted. */
	readonly #users = new Map<string, number>();
	readonly #inflight = new Map<string, AbortController>();
	/** Settled ids, least recently used first. */
	readonly #recent = new Set<string>();
	/** Looks for thumbnails not uploaded yet, per id: how many so far, and the pending timer. */
	readonly #waiting = new Map<
		string,
		{ attempts: number; timer: ReturnType<typeof setTimeout> | null }
	>();
	#closed = false;

	constructor(source: PhotoSource, options: ThumbnailCacheOptions = {}) {
		this.#source = source;
		this.#states = options.states ?? new Map();
		this.#capacity = Math.max(0, options.capacity ?? 400);
		this.#revoke = options.revoke ?? ((url) => URL.revokeObjectURL(url));
	}

	get(id: string): ThumbnailState | undefined {
		return this.#states.get(id);
	}

	/** A cell shows `id`: load it unless known. Returns the release to call when the cell goes away. */
	retain(id: string): () => void {
		if (this.#closed) return () => {};
		this.#users.set(id, (this.#users.get(id) ?? 0) + 1);
		if (this.#recent.has(id)) {
			this.#recent.delete(id);
			this.#recent.add(id);
		} else if (!this.#states.has(id)) {
			this.#load(id);
		}
		let released = false;
		return () => {
			if (released) return;
			released = true;
			this.#release(id);
		};
	}

	/** The image element could not show the URL it was given: show the error tile instead of a broken image. */
	fail(id: string, message = THUMBNAIL_FALLBACK_MESSAGE): void {
		const state = this.#states.get(id);
		if (state?.status !== 'ready') return;
		this.#revoke(state.url);
		this.#states.set(id, { status: 'error', message });
	}

	/** Forgets an error so the next retain tries again. */
	retry(id: string): void {
		if (this.#states.get(id)?.status !== 'error') return;
		this.#recent.delete(id);
		this.#states.delete(id);
		if ((this.#users.get(id) ?? 0) > 0) this.#load(id);
	}

	/** Aborts every load and revokes every URL; later calls do nothing. */
	close(): void {
		this.#closed = true;
		for (const controller of this.#inflight.values()) controller.abort();
		this.#inflight.clear();
		for (const waiting of this.#waiting.values()) if (waiting.timer) clearTimeout(waiting.timer);
		this.#waiting.clear();
		for (const state of this.#states.values()) {
			if (state.status === 'ready') this.#revoke(state.url);
		}
		this.#states.clear();
		this.#recent.clear();
		this.#users.clear();
	}

	#load(id: string): void {
		const controller = new AbortController();
		this.#inflight.set(id, controller);
		this.#states.set(id, { status: 'loading' });
		const settle = (state: ThumbnailState) => {
			this.#inflight.delete(id);
			this.#states.set(id, state);
			this.#recent.add(id);
			this.#evict();
		};
		this.#source.thumbnail(id, controller.signal).then(
			(url) => {
				// Scrolled away (or closed) before it arrived: nobody will show it, so free it now.
				if (this.#inflight.get(id) !== controller) return this.#revoke(url);
				this.#waiting.delete(id);
				settle({ status: 'ready', url });
			},
			(error: unknown) => {
				if (this.#inflight.get(id) !== controller) return;
				if (notUploadedYet(error) && this.#waitForUpload(id)) {
					this.#inflight.delete(id);
					return;
				}
				this.#waiting.delete(id);
				settle({ status: 'error', message: messageOf(error) });
			}
		);
	}

	/** Tries `id` again later, staying 'loading'; false once the retries are used up. */
	#waitForUpload(id: string): boolean {
		const waiting = this.#waiting.get(id) ?? { attempts: 0, timer: null };
		const delay = NOT_UPLOADED_YET_RETRIES_MS[waiting.attempts];
		if (delay === undefined) return false;
		waiting.attempts += 1;
		waiting.timer = setTimeout(() => {
			waiting.timer = null;
			if (this.#closed || this.#states.get(id)?.status !== 'loading') return;
			if ((this.#users.get(id) ?? 0) > 0) this.#load(id);
			else this.#states.delete(id);
		}, delay);
		this.#waiting.set(id, waiting);
		return true;
	}

	#release(id: string): void {
		const users = (this.#users.get(id) ?? 0) - 1;
		if (users > 0) {
			this.#users.set(id, users);
			return;
		}
		this.#users.delete(id);
		const controller = this.#inflight.get(id);
		if (controller) {
			// Its row left the viewport before the thumbnail arrived: stop decrypting it.
			this.#inflight.delete(id);
			this.#states.delete(id);
			controller.abort();
			return;
		}
		// It was on screen until now: the most recently used of those off screen.
		if (this.#recent.delete(id)) this.#recent.add(id);
		this.#evict();
	}

	#evict(): void {
		// Only thumbnails off screen count against the capacity; those on screen always stay.
		let offscreen = 0;
		for (const id of this.#recent) if (!this.#users.has(id)) offscreen += 1;
		for (const id of this.#recent) {
			if (offscreen <= this.#capacity) break;
			if (this.#users.has(id)) continue;
			offscreen -= 1;
			this.#recent.delete(id);
			const state = this.#states.get(id);
			this.#states.delete(id);
			if (state?.status === 'ready') this.#revoke(state.url);
		}
	}
}
