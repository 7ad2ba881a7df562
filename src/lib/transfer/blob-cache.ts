// The device's cache of downloaded blobs: ciphertext as the relay served it, evicted least recently used first.

import type { BlobCacheRecord, BlobKind, TesseraDB } from '../local/db';

/** Byte budgets: thumbnails have their own, so a few large originals never push them out. */
export interface BlobCacheLimits {
	thumb: number;
	/** Previews and originals together. */
	other: number;
}

const MiB = 1024 * 1024;

export const DEFAULT_BLOB_CACHE_LIMITS: BlobCacheLimits = { thumb: 512 * MiB, other: 1024 * MiB };

function budgetOf(kind: BlobKind): keyof BlobCacheLimits {
	return kind === 'thumb' ? 'thumb' : 'other';
}

const KINDS_OF: Record<keyof BlobCacheLimits, BlobKind[]> = {
	thumb: ['thumb'],
	other: ['preview', 'original']
};

/**
 * Ciphertext, not plaintext, is what sits in IndexedDB: a copy of the database holds nothing the
 * relay does not already hold, and opening a blob still needs its stream key from the album docs.
 * Every read decrypts (and so authenticates) again.
 */
export class BlobCache {
	readonly #db: TesseraDB;
	readonly #limits: BlobCacheLimits;
	readonly #now: () => number;

	constructor(
		db: TesseraDB,
		limits: BlobCacheLimits = DEFAULT_BLOB_CACHE_LIMITS,
		now: () => number = Date.now
	) {
		this.#db = db;
		this.#limits = limits;
		this.#now = now;
	}

	/** The cached ciphertext, or null; a hit counts as a use for eviction. */
	async get(blobId: string): Promise<Uint8Array | null> {
		const record = await this.#db.blobs.get(blobId);
		if (!record) return null;
		const bytes = new Uint8Array(await record.bytes.arrayBuffer());
		await this.#db.blobs.update(blobId, { lastUsedAt: this.#now() });
		return bytes;
	}

	has(blobId: string): Promise<boolean> {
		return this.#db.blobs
			.where('blobId')
			.equals(blobId)
			.count()
			.then((n) => n > 0);
	}

	/**
	 * Stores a whole, already authenticated blob; then evicts the least recently used of its budget
	 * until the budget holds. A blob larger than its whole budget is not kept.
	 */
	async put(blobId: string, kind: BlobKind, ciphertext: Uint8Array): Promise<void> {
		const budget = budgetOf(kind);
		if (ciphertext.length > this.#limits[budget]) return;
		const keptFor = (await this.#db.blobs.get(blobId))?.keptFor;
		const record: BlobCacheRecord = {
			blobId,
			kind,
			bytes: new Blob([ciphertext as Uint8Array<ArrayBuffer>]),
			size: ciphertext.length,
			lastUsedAt: this.#now(),
			...(keptFor?.length ? { keptFor } : {})
		};
		await this.#db.blobs.put(record);
		await this.#evict(budget, blobId);
	}

	/**
	 * Keeps a cached blob on the device for an album ("Keep this album on this device"): it is
	 * left out of the budgets and never evicted until every album keeping it lets go. False when
	 * the blob is not cached (fetch it first).
	 */
	async keep(blobId: string, albumId: string): Promise<boolean> {
		return this.#db.transaction('rw', this.#db.blobs, async () => {
			const record = await this.#db.blobs.get(blobId);
			if (!record) return false;
			const keptFor = new Set(record.keptFor ?? []);
			keptFor.add(albumId);
			await this.#db.blobs.update(blobId, { keptFor: [...keptFor] });
			return true;
		});
	}

	/** The album no longer keeps its blobs here: they go back to the budgets (and may be evicted). */
	async release(albumId: string): Promise<void> {
		await this.#db.transaction('rw', this.#db.blobs, async () => {
			await this.#db.blobs
				.filter((record) => record.keptFor?.includes(albumId) ?? false)
				.modify((record) => {
					record.keptFor = record.keptFor!.filter((id) => id !== albumId);
					if (record.keptFor.length === 0) delete record.keptFor;
				});
		});
	}

	/** Whether the blob is cached and kept for some album. */
	async isKept(blobId: string): Promise<boolean> {
		return ((await this.#db.blobs.get(blobId))?.keptFor?.length ?? 0) > 0;
	}

	async delete(blobId: string): Promise<void> {
		await this.#db.blobs.delete(blobId);
	}

	/** Bytes held per budget. */
	async usage(): Promise<BlobCacheLimits> {
		const usage: BlobCacheLimits = { thumb: 0, other: 0 };
		await this.#db.blobs.each((record) => {
			usage[budgetOf(record.kind)] += record.size;
		});
		return usage;
	}

	async #evict(budget: keyof BlobCacheLimits, keep: string): Promise<void> {
		const rows: { blobId: string; size: number; lastUsedAt: number }[] = [];
		for (const kind of KINDS_OF[budget]) {
			await this.#db.blobs
				.where('[kind+lastUsedAt]')
				.between([kind, -Infinity], [kind, Infinity])
				.each((r) => {
					// Kept blobs are the user's explicit choice: outside the budget, never evicted.
					if (!r.keptFor?.length)
						rows.push({ blobId: r.blobId, size: r.size, lastUsedAt: r.lastUsedAt });
				});
		}
		let total = rows.reduce((sum, r) => sum + r.size, 0);
		if (total <= this.#limits[budget]) return;
		rows.sort((a, b) => a.lastUsedAt - b.lastUsedAt);
		const evict: string[] = [];
		for (const row of rows) {
			if (total <= this.#limits[budget]) break;
			if (row.blobId === keep) continue;
			evict.push(row.blobId);
			total -= row.size;
		}
		await this.#db.blobs.bulkDelete(evict);
	}
}
