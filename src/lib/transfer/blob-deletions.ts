// Blobs of photos deleted for good, freed on the relay: queued on the device, sent once online and once this device's album edits are out.

import type { TesseraDB } from '../local/db';
import { SessionEndedError } from './errors';
import { BLOBS_PATH, bearerHeader, type RelayEndpoint } from './relay-http';

/** Waits before trying again after the relay could not be reached or answered 5xx / 429. */
export const BLOB_DELETION_RETRY_MS = [2_000, 10_000, 60_000];

/** Deletions sent at once. */
const CONCURRENCY = 4;

export interface BlobDeletionsOptions extends RelayEndpoint {
	db: TesseraDB;
	retryDelays?: number[];
}

/**
 * How the last pass ended: all sent; waiting for this device's album edits or uploads of the
 * queued blobs to go out first; the relay could not be reached; the session ended.
 */
export type BlobDeletionsState = 'idle' | 'waiting' | 'retrying' | 'session-ended';

/**
 * The relay keeps a blob that another album binds (a copy of the photo may be there), so a
 * deletion is safe to send only once the edits that copied photos into albums reached the relay:
 * a pass waits while this device's outbox holds any album edit, and while a queued blob is still
 * uploading from this device. What the relay answers is final:
 * freed (204), kept because another album holds it (409), or already gone (404). Nothing is lost
 * when the app closes: the queue lives in the device database, and the next start sends it.
 */
export class BlobDeletions {
	readonly #options: BlobDeletionsOptions;
	readonly #db: TesseraDB;
	readonly #fetch: typeof fetch;
	readonly #delays: number[];
	#running: Promise<void> | null = null;
	#again = false;
	#timer: ReturnType<typeof setTimeout> | null = null;
	#failures = 0;
	#stopped = false;
	state: BlobDeletionsState = 'idle';

	constructor(options: BlobDeletionsOptions) {
		this.#options = options;
		this.#db = options.db;
		this.#fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
		this.#delays = options.retryDelays ?? BLOB_DELETION_RETRY_MS;
	}

	/** Queues `blobIds`, whose photo left `albumId` for good, and starts a pass. */
	async enqueue(blobIds: readonly string[], albumId: string): Promise<void> {
		if (blobIds.length === 0) return;
		const queuedAt = Date.now();
		await this.#db.blobDeletions.bulkPut(blobIds.map((blobId) => ({ blobId, albumId, queuedAt })));
		void this.flush();
	}

	/** How many deletions wait on this device. */
	pending(): Promise<number> {
		return this.#db.blobDeletions.count();
	}

	/** Sends what is queued; one pass at a time (a call during a pass runs another after it). */
	flush(): Promise<void> {
		if (this.#stopped) return Promise.resolve();
		if (this.#running) {
			this.#again = true;
			return this.#running;
		}
		this.#clearTimer();
		this.#running = (async () => {
			try {
				do {
					this.#again = false;
					await this.#pass();
				} while (this.#again && this.state === 'idle');
			} finally {
				this.#running = null;
			}
		})();
		return this.#running;
	}

	stop(): void {
		this.#stopped = true;
		this.#clearTimer();
	}

	async #pass(): Promise<void> {
		for (;;) {
			const batch = await this.#db.blobDeletions.orderBy('queuedAt').limit(CONCURRENCY).toArray();
			if (batch.length === 0) {
				this.state = 'idle';
				return;
			}
			// A blob still uploading from this device is freed once it is stored (else the relay
			// would answer 404 now and keep it when it arrives).
			const uploading = await this.#db.uploads
				.where('blobId')
				.anyOf(batch.map((entry) => entry.blobId))
				.filter((upload) => upload.state !== 'done' && upload.state !== 'failed')
				.count();
			if (uploading > 0 || (await this.#db.outbox.count()) > 0) {
				this.state = 'waiting';
				this.#retryLater(this.#nextDelay());
				return;
			}
			const outcomes = await Promise.all(
				batch.map((entry) => this.#send(entry.blobId, entry.albumId))
			);
			const done = batch.filter((_, i) => outcomes[i] === 'done').map((entry) => entry.blobId);
			await this.#db.blobDeletions.bulkDelete(done);
			if (outcomes.includes('session-ended')) {
				this.state = 'session-ended';
				return;
			}
			if (outcomes.includes('retry')) {
				this.state = 'retrying';
				this.#retryLater(this.#nextDelay());
				return;
			}
			this.#failures = 0;
		}
	}

	async #send(blobId: string, albumId: string): Promise<'done' | 'retry' | 'session-ended'> {
		const base = this.#options.baseUrl ?? '';
		const url = `${base}${BLOBS_PATH}${encodeURIComponent(blobId)}?album=${encodeURIComponent(albumId)}`;
		let response: Response;
		try {
			response = await this.#fetch(url, {
				method: 'DELETE',
				headers: { Authorization: await bearerHeader(this.#options.token) }
			});
		} catch (error) {
			if (error instanceof SessionEndedError) return 'session-ended';
			return 'retry';
		}
		await response.body?.cancel();
		// Freed; kept because another album holds it; not there (never uploaded, or freed before).
		if (response.status === 204 || response.status === 409 || response.status === 404) {
			return 'done';
		}
		// A malformed id (a queue from a damaged database) will never succeed: let it go.
		if (response.status === 400) return 'done';
		if (response.status === 401) return 'session-ended';
		return 'retry';
	}

	/** The wait before the next pass: longer each time in a row a pass could not finish. */
	#nextDelay(): number {
		const delay = this.#delays[Math.min(this.#failures, this.#delays.length - 1)] ?? 60_000;
		this.#failures++;
		return delay;
	}

	#retryLater(delay: number): void {
		if (this.#stopped) return;
		this.#clearTimer();
		this.#timer = setTimeout(() => {
			this.#timer = null;
			void this.flush();
		}, delay);
	}

	#clearTimer(): void {
		if (this.#timer !== null) clearTimeout(this.#timer);
		this.#timer = null;
	}
}
