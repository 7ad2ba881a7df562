// The upload queue: files encrypted on the fly and sent with tus, persisted in Dexie so they resume after a reload.

import type { DetailedError, HttpStack, Upload, UploadOptions } from 'tus-js-client';
import {
	CryptoError,
	createStreamHeader,
	EncryptedFileSource,
	encryptedSize,
	FILE_CHUNK_SIZE,
	FILE_HEADER_BYTES,
	PlaintextChangedError,
	randomBytes,
	toBase64Url
} from '../crypto';
import { sealedChunkBytes } from '../crypto/file-source';
import type { BlobKind, TesseraDB, UploadRecord, UploadState } from '../local/db';
import { DeviceVaultError, openOnDevice, sealForDevice } from '../local/vault';
import { isBlobId } from '../protocol';
import { BlobCache } from './blob-cache';
import { EncryptionPool, type EncryptionPoolOptions } from './encryption-pool';
import { SessionEndedError, TransferError, transferErrorOf } from './errors';
import {
	BLOBS_PATH,
	bearerHeader,
	errorFromReply,
	offlineError,
	parseErrorBody,
	UPLOADS_PATH,
	type RelayEndpoint
} from './relay-http';
import { encryptedFileReader, type CiphertextSource } from './tus-source';

const MiB = 1024 * 1024;

/** Bytes per PATCH: large enough to keep the pipe full, small enough to lose little on a cut. */
export const UPLOAD_REQUEST_BYTES = 8 * MiB;
/** Waits before each retry of a failed request; tus-js-client starts over after any progress. */
export const UPLOAD_RETRY_DELAYS = [0, 1000, 3000, 5000, 10_000, 30_000];
export const DEFAULT_UPLOAD_CONCURRENCY = 3;

export interface UploadQueueOptions extends RelayEndpoint {
	db: TesseraDB;
	/** Files uploading at once (1-6; default 3). */
	concurrency?: number;
	/**
	 * Bytes per PATCH request (default 8 MiB). With encryption ahead (the default) a body is
	 * `requestBytes / fileChunkSize` whole sealed chunks, rounded (2: 8 MiB + 34 bytes, the first
	 * one 33 more); inline, exactly this many ciphertext bytes.
	 */
	requestBytes?: number;
	/** Plaintext bytes per encrypted chunk of new uploads (default FILE_CHUNK_SIZE, 4 MiB). */
	fileChunkSize?: number;
	retryDelays?: number[];
	/** tus-js-client's HTTP stack; its default (XMLHttpRequest, or node:http) otherwise. */
	httpStack?: HttpStack;
	/** Where finished thumbnails and previews are kept, so they never need downloading. */
	cache?: BlobCache | null;
	/**
	 * Where chunks are sealed: by encryption workers, ahead of the request being sent (the
	 * default: a pool of this queue's own, made with these options, or a pool shared with others),
	 * or `'inline'`: on this thread, when tus asks for them.
	 */
	encryption?: EncryptionPoolOptions | EncryptionPool | 'inline';
	/** Request bodies sealed ahead of the one being sent, per upload (default 1). */
	prefetchBodies?: number;
	now?: () => number;
}

export interface AddUploadInput {
	/** The plaintext. It is copied into IndexedDB as it is now and never read from elsewhere. */
	file: Blob;
	/** The blob's stream key (fileSubkeys(fileKey).original or .thumbnail). */
	streamKey: Uint8Array;
	purpose: BlobKind;
	/** The blob id to store it under; a fresh random one if absent. */
	blobId?: string;
	/** Uploads of one import share a group, for their overall progress; a fresh one if absent. */
	group?: string;
}

export interface UploadSummary {
	id: string;
	blobId: string;
	group: string;
	purpose: BlobKind;
	state: UploadState;
	/** Ciphertext bytes sent (live while uploading; acknowledged by the relay otherwise). */
	bytesSent: number;
	total: number;
	error: { code: string; message: string } | null;
	createdAt: number;
}

export interface TransferProgress {
	bytesSent: number;
	total: number;
	files: number;
	done: number;
	failed: number;
}

export interface UploadSnapshot {
	uploads: UploadSummary[];
	overall: TransferProgress;
	groups: Record<string, TransferProgress>;
	/** Set while the queue waits for a new session (the relay said 401, or there is no token). */
	blocked: { code: string; message: string } | null;
}

export type UploadEvent =
	| { type: 'progress'; upload: UploadSummary }
	| { type: 'state'; upload: UploadSummary }
	| { type: 'removed'; id: string; blobId: string }
	| { type: 'blocked'; error: TransferError };

export type UploadListener = (event: UploadEvent) => void;

/** A random id as the relay's blob ids are: base64url of 16 random bytes. */
export function newTransferId(): string {
	return toBase64Url(randomBytes(16));
}

/** The sealed key is bound to its entry, so one entry's sealed key cannot be swapped into another. */
function keyPurpose(id: string): string {
	return `upload/streamKey/${id}`;
}

interface Running {
	upload: Upload | null;
	stopped: boolean;
	/** Ends the in-flight transmit without success or failure (pause, cancel, stop). */
	interrupt: (() => void) | null;
	finished: Promise<void>;
}

type Outcome = 'done' | 'interrupted';

/**
 * The ciphertext of one queued file, with its stream closed (key wiped) when the upload ends;
 * `failed` once its worker died (a source opened ahead is then opened again).
 */
type OpenBlob = CiphertextSource & {
	/** `delivered`: the relay acknowledged every byte, so no request still reads the buffers. */
	close(options?: { delivered?: boolean }): void;
	readonly failed?: boolean;
};

/** Request bodies sealed ahead of the one being sent: the next body is ready when tus asks. */
const DEFAULT_PREFETCH = 1;

/**
 * Files next in line whose sealing starts before their turn. Without it the uploads fall into
 * step: every file's first body waits for the worker, which then idles while they are all sent.
 */
const FILES_SEALED_AHEAD = 1;

/**
 * With encryption ahead, each PATCH body is whole chunks, `requestBytes / chunkSize` of them
 * rounded (at least one), sealed by the worker into one buffer and sent as it is.
 */
function chunksPerRequest(requestBytes: number, chunkSize: number): number {
	return Math.max(1, Math.round(requestBytes / chunkSize));
}

/**
 * Entries move queued -> uploading -> done, or to failed / paused. The plaintext Blob, the
 * secretstream header and the sealed stream key stay in the row until done, so a new UploadQueue
 * on the same database (a reload) re-derives the same ciphertext and continues at the relay's
 * offset. Only one tab should run a queue at a time (docs/transfer.md).
 */
export class UploadQueue {
	readonly #db: TesseraDB;
	readonly #options: UploadQueueOptions;
	readonly #concurrency: number;
	readonly #cache: BlobCache | null;
	readonly #encryption: EncryptionPool | null;
	/** Whether this queue made its pool (and so ends its workers when stopped). */
	readonly #ownsEncryption: boolean;
	readonly #now: () => number;
	readonly #entries = new Map<string, UploadSummary>();
	readonly #running = new Map<string, Running>();
	readonly #listeners = new Set<UploadListener>();
	readonly #waiters = new Map<
		string,
		{ resolve: (s: UploadSummary) => void; reject: (e: unknown) => void }[]
	>();
	readonly #idle = new Set<() => void>();
	/** Entries being paused, cancelled or stopped: the scheduler must not restart them meanwhile. */
	readonly #held = new Set<string>();
	/** Entries that took over or restarted an upload the relay named or lost, so that happens once. */
	readonly #adopted = new Set<string>();
	/** Entries sealed again after their encryption worker died, so that happens once. */
	readonly #resealed = new Set<string>();
	/** Sources opened for entries next in line (encryption in workers only); null if it failed. */
	readonly #ahead = new Map<string, Promise<OpenBlob | null>>();
	#loaded: Promise<void> | undefined;
	#started = false;
	#blocked: TransferError | null = null;
	#writes: Promise<unknown> = Promise.resolve();

	constructor(options: UploadQueueOptions) {
		this.#db = options.db;
		this.#options = options;
		this.#concurrency = Math.min(6, Math.max(1, options.concurrency ?? DEFAULT_UPLOAD_CONCURRENCY));
		this.#cache = options.cache === undefined ? new BlobCache(options.db) : options.cache;
		const encryption = options.encryption;
		this.#ownsEncryption = !(encryption instanceof EncryptionPool);
		this.#encryption =
			encryption === 'inline'
				? null
				: encryption instanceof EncryptionPool
					? encryption
					: new EncryptionPool(encryption);
		this.#now = options.now ?? Date.now;
	}

	/**
	 * Loads the queue and starts (or resumes) every queued or interrupted entry. Calling it again,
	 * after a log-in that followed a 401 say, lifts the block and carries on.
	 */
	async start(): Promise<void> {
		await this.#load();
		this.#started = true;
		this.#blocked = null;
		this.#pump();
	}

	/** Aborts running requests without deleting anything on the relay; start() resumes them. */
	async stop(): Promise<void> {
		this.#started = false;
		await Promise.all(
			[...this.#running.keys()].map((id) =>
				this.#hold(id, async () => {
					await this.#interrupt(id);
					// Back in line for the next start(); the row keeps its upload URL.
					await this.#update(id, { state: 'queued' });
				})
			)
		);
		for (const id of [...this.#ahead.keys()]) this.#discardAhead(id);
		// Idle workers end on their own; stopping ends them now (the next start makes new ones).
		if (this.#ownsEncryption) this.#encryption?.terminate();
		await this.#writes;
	}

	/** Queues a file: its header is made now, once, and stored with the file and the sealed key. */
	async add(input: AddUploadInput): Promise<UploadSummary> {
		await this.#load();
		const blobId = input.blobId ?? newTransferId();
		if (!isBlobId(blobId)) throw new TypeError('UploadQueue.add: blobId is not a valid blob id');
		const id = newTransferId();
		const chunkSize = this.#options.fileChunkSize ?? FILE_CHUNK_SIZE;
		const now = this.#now();
		// Stored in IndexedDB below, the Blob becomes an immutable copy (a File whose disk file changes
		// afterwards fails to read rather than giving other bytes). slice() drops the file name.
		const file = input.file.slice(0, input.file.size);
		const record: UploadRecord = {
			id,
			blobId,
			group: input.group ?? newTransferId(),
			purpose: input.purpose,
			state: 'queued',
			file,
			streamHeader: await createStreamHeader(input.streamKey),
			chunkSize,
			streamKey: await sealForDevice(this.#db, input.streamKey, keyPurpose(id)),
			uploadUrl: null,
			bytesSent: 0,
			total: encryptedSize(file.size, chunkSize),
			error: null,
			createdAt: now,
			updatedAt: now
		};
		await this.#write(() => this.#db.uploads.add(record));
		const summary = summaryOf(record);
		this.#entries.set(id, summary);
		this.#emit({ type: 'state', upload: { ...summary } });
		this.#pump();
		return { ...summary };
	}

	/** Stops an upload where it is; the relay keeps what it has (for 24 h). */
	async pause(id: string): Promise<void> {
		const entry = this.#entries.get(id);
		if (!entry || (entry.state !== 'queued' && entry.state !== 'uploading')) return;
		await this.#hold(id, async () => {
			await this.#interrupt(id);
			await this.#update(id, { state: 'paused' });
		});
		this.#pump();
	}

	/** Puts a paused or failed upload back in the queue; it continues from the relay's offset. */
	async resume(id: string): Promise<void> {
		const entry = this.#entries.get(id);
		if (!entry || (entry.state !== 'paused' && entry.state !== 'failed')) return;
		this.#resealed.delete(id);
		await this.#update(id, { state: 'queued', error: null });
		this.#pump();
	}

	async pauseAll(): Promise<void> {
		await Promise.all([...this.#entries.keys()].map((id) => this.pause(id)));
	}

	async resumeAll(): Promise<void> {
		this.#blocked = null;
		await Promise.all([...this.#entries.keys()].map((id) => this.resume(id)));
		this.#pump();
	}

	/** Stops the upload, deletes what the relay holds of it and forgets it here. */
	async cancel(id: string): Promise<void> {
		const entry = this.#entries.get(id);
		if (!entry) return;
		await this.#hold(id, async () => {
			await this.#interrupt(id);
			const record = await this.#db.uploads.get(id);
			if (record?.uploadUrl && record.state !== 'done') {
				try {
					const { Upload } = await loadTus();
					await Upload.terminate(record.uploadUrl, this.#tusRequestOptions([]));
				} catch {
					// Unreachable relay: the incomplete upload expires there within 24 h anyway.
				}
			}
			this.#entries.delete(id);
			await this.#write(() => this.#db.uploads.delete(id));
		});
		this.#settle(id, new TransferError('aborted', 'The upload was cancelled.'));
		this.#emit({ type: 'removed', id, blobId: entry.blobId });
		this.#pump();
	}

	/** Forgets finished uploads (their plaintext was already dropped). */
	async clearFinished(): Promise<void> {
		const done = [...this.#entries.values()].filter((e) => e.state === 'done');
		await this.#write(() => this.#db.uploads.bulkDelete(done.map((e) => e.id)));
		for (const entry of done) {
			this.#entries.delete(entry.id);
			this.#emit({ type: 'removed', id: entry.id, blobId: entry.blobId });
		}
	}

	/** Resolves when the upload is done; rejects with its TransferError if it fails or is cancelled. */
	whenDone(id: string): Promise<UploadSummary> {
		const entry = this.#entries.get(id);
		if (!entry) return Promise.reject(new TransferError('aborted', 'There is no such upload.'));
		if (entry.state === 'done') return Promise.resolve({ ...entry });
		if (entry.state === 'failed') return Promise.reject(errorOfSummary(entry));
		return new Promise((resolve, reject) => {
			const list = this.#waiters.get(id) ?? [];
			list.push({ resolve, reject });
			this.#waiters.set(id, list);
		});
	}

	/** Resolves once nothing is queued or uploading (or the queue is blocked or stopped). */
	whenIdle(): Promise<void> {
		if (this.#isIdle()) return Promise.resolve();
		return new Promise((resolve) => this.#idle.add(resolve));
	}

	subscribe(listener: UploadListener): () => void {
		this.#listeners.add(listener);
		return () => this.#listeners.delete(listener);
	}

	/** Everything a progress view needs, computed from memory (no database read). */
	snapshot(): UploadSnapshot {
		const uploads = [...this.#entries.values()]
			.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1))
			.map((e) => ({ ...e, error: e.error && { ...e.error } }));
		const overall = emptyProgress();
		const groups: Record<string, TransferProgress> = {};
		for (const upload of uploads) {
			addTo(overall, upload);
			addTo((groups[upload.group] ??= emptyProgress()), upload);
		}
		const blocked = this.#blocked && { code: this.#blocked.code, message: this.#blocked.message };
		return { uploads, overall, groups, blocked };
	}

	// --- internals ---

	#load(): Promise<void> {
		this.#loaded ??= (async () => {
			const rows = await this.#db.uploads.orderBy('createdAt').toArray();
			for (const row of rows) {
				// `uploading` means the tab went away mid-upload: it goes back in line.
				if (row.state === 'uploading') row.state = 'queued';
				this.#entries.set(row.id, summaryOf(row));
			}
		})();
		return this.#loaded;
	}

	#pump(): void {
		if (!this.#started || this.#blocked) return this.#checkIdle();
		const waiting = [...this.#entries.values()]
			.filter((e) => e.state === 'queued' && !this.#running.has(e.id) && !this.#held.has(e.id))
			.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
		for (const entry of waiting) {
			if (this.#running.size >= this.#concurrency) break;
			this.#launch(entry.id);
		}
		this.#sealAhead(waiting.filter((e) => !this.#running.has(e.id)));
		this.#checkIdle();
	}

	/**
	 * Starts sealing files next in line (`next`, in order) and drops those no longer waiting. One
	 * still waiting is kept even if others now come first (files added at once arrive in any
	 * order): it is sealed already, and its turn comes.
	 */
	#sealAhead(next: UploadSummary[]): void {
		if (!this.#encryption) return;
		const waiting = new Set(next.map((e) => e.id));
		for (const id of [...this.#ahead.keys()]) if (!waiting.has(id)) this.#discardAhead(id);
		for (const entry of next) {
			if (this.#ahead.size >= FILES_SEALED_AHEAD) break;
			if (!this.#ahead.has(entry.id)) this.#ahead.set(entry.id, this.#openAhead(entry.id));
		}
	}

	async #openAhead(id: string): Promise<OpenBlob | null> {
		try {
			const record = await this.#db.uploads.get(id);
			if (!record?.file || !record.streamKey || record.state !== 'queued') return null;
			const streamKey = await this.#openKey(record);
			try {
				// Only the first body until its turn: files waiting hold little memory.
				return await this.#openBlob(record, record.file, streamKey, 1);
			} finally {
				streamKey.fill(0);
			}
		} catch {
			// The upload opens it again in its turn, and reports what fails then.
			return null;
		}
	}

	#discardAhead(id: string): void {
		const ahead = this.#ahead.get(id);
		this.#ahead.delete(id);
		void ahead?.then((source) => source?.close());
	}

	#launch(id: string): void {
		const running: Running = {
			upload: null,
			stopped: false,
			interrupt: null,
			finished: Promise.resolve()
		};
		this.#running.set(id, running);
		const ahead = this.#ahead.get(id) ?? null;
		this.#ahead.delete(id);
		running.finished = this.#run(id, running, ahead).finally(() => {
			this.#running.delete(id);
			this.#pump();
		});
	}

	async #run(id: string, running: Running, ahead: Promise<OpenBlob | null> | null): Promise<void> {
		let source: OpenBlob | undefined = (await ahead) ?? undefined;
		try {
			const record = await this.#db.uploads.get(id);
			if (!record || running.stopped) return;
			if (!record.file || !record.streamKey) {
				throw new TransferError('plaintext-changed', 'This upload lost its file; add it again.');
			}
			await this.#update(id, { state: 'uploading', error: null });
			if (!source || source.failed) {
				source?.close();
				const streamKey = await this.#openKey(record);
				try {
					source = await this.#openBlob(record, record.file, streamKey);
				} finally {
					streamKey.fill(0);
				}
			}
			if (source.size !== record.total) throw new PlaintextChangedError();
			if (running.stopped) return;
			const outcome = await this.#transmit(record, source, running);
			if (outcome === 'done') {
				await this.#finish(record, source);
				source.close({ delivered: true });
			}
		} catch (error) {
			if (running.stopped) return;
			await this.#fail(id, error);
		} finally {
			source?.close();
		}
	}

	/** The file's ciphertext: sealed ahead by a worker, or on this thread when encryption is inline. */
	async #openBlob(
		record: UploadRecord,
		file: Blob,
		streamKey: Uint8Array,
		eager?: number
	): Promise<OpenBlob> {
		const chunkSize = record.chunkSize;
		if (!this.#encryption) {
			return EncryptedFileSource.open(streamKey, file, record.streamHeader, { chunkSize });
		}
		const requestBytes = this.#options.requestBytes ?? UPLOAD_REQUEST_BYTES;
		return this.#encryption.open({
			streamKey,
			streamHeader: record.streamHeader,
			plaintext: file,
			chunkSize,
			segmentChunks: chunksPerRequest(requestBytes, chunkSize),
			prefetch: this.#options.prefetchBodies ?? DEFAULT_PREFETCH,
			...(eager === undefined ? {} : { eager })
		});
	}

	async #transmit(
		record: UploadRecord,
		source: CiphertextSource,
		running: Running
	): Promise<Outcome> {
		const base = this.#options.baseUrl ?? '';
		const { Upload } = await loadTus();
		return new Promise<Outcome>((resolve, reject) => {
			running.interrupt = () => resolve('interrupted');
			const options: UploadOptions = {
				...this.#tusRequestOptions(this.#options.retryDelays ?? UPLOAD_RETRY_DELAYS),
				endpoint: base + UPLOADS_PATH,
				uploadUrl: record.uploadUrl,
				uploadSize: source.size,
				chunkSize: this.#requestSize(record),
				// Only the blob id: the relay learns sizes, never names or types (I1).
				metadata: { blobId: record.blobId },
				fileReader: encryptedFileReader(source),
				// The queue keeps the upload URL itself, in the same row as the file.
				fingerprint: async () => `tessera-upload:${record.blobId}`,
				storeFingerprintForResuming: false,
				removeFingerprintOnSuccess: false,
				onUploadUrlAvailable: () => {
					const url = upload.url;
					if (url && url !== record.uploadUrl) {
						record.uploadUrl = url;
						void this.#update(record.id, { uploadUrl: url });
					}
				},
				onProgress: (sent) => {
					if (!running.stopped) this.#progress(record.id, sent);
				},
				onChunkComplete: (_size, accepted) => {
					// The last one is written with `done` (most photos are one PATCH: one write less).
					if (running.stopped || accepted >= record.total) return;
					void this.#update(record.id, { bytesSent: accepted });
				},
				onSuccess: () => resolve('done'),
				onError: (error) => reject(error)
			};
			const upload = new Upload(record.file!, options);
			running.upload = upload;
			upload.start();
		});
	}

	/**
	 * tus's chunkSize: what it asks the reader for per PATCH. With encryption ahead, one body of
	 * whole chunks plus the file header's 33 bytes (so the first body, which has it, fits); the
	 * reader cuts the others at the chunk edge (PipelinedFileSource.bodyEnd).
	 */
	#requestSize(record: UploadRecord): number {
		const requestBytes = this.#options.requestBytes ?? UPLOAD_REQUEST_BYTES;
		if (!this.#encryption) return requestBytes;
		const chunks = chunksPerRequest(requestBytes, record.chunkSize);
		return FILE_HEADER_BYTES + chunks * sealedChunkBytes(record.chunkSize);
	}

	/** What every tus request carries: the session's bearer token and the retry rule. */
	#tusRequestOptions(retryDelays: number[]): UploadOptions {
		const token = this.#options.token;
		return {
			retryDelays,
			...(this.#options.httpStack ? { httpStack: this.#options.httpStack } : {}),
			onBeforeRequest: async (req) => {
				req.setHeader('Authorization', await bearerHeader(token));
			},
			onShouldRetry: (error) => shouldRetry(error)
		};
	}

	async #openKey(record: UploadRecord): Promise<Uint8Array> {
		try {
			return await openOnDevice(this.#db, record.streamKey!, keyPurpose(record.id));
		} catch (error) {
			if (!(error instanceof DeviceVaultError)) throw error;
			throw new TransferError(
				'key-unavailable',
				'This upload was queued by a session that has ended on this device; add the file again.',
				{ cause: error }
			);
		}
	}

	async #finish(record: UploadRecord, source: CiphertextSource): Promise<void> {
		// Thumbnails and previews are small and shown at once: keep their ciphertext, as a download would.
		if (this.#cache && record.purpose !== 'original') {
			try {
				await this.#cache.put(record.blobId, record.purpose, await source.read(0, source.size));
			} catch {
				// A full disk only costs a later download.
			}
		}
		await this.#update(record.id, {
			state: 'done',
			bytesSent: record.total,
			file: null,
			streamKey: null,
			uploadUrl: null,
			error: null
		});
	}

	async #fail(id: string, raw: unknown): Promise<void> {
		const entry = this.#entries.get(id);
		if (!entry) return;
		const error = toTransferError(raw);
		const inProgressAt = uploadInProgressAt(raw);
		if (inProgressAt && !this.#adopted.has(id)) {
			// The relay still has an upload for this blob whose URL this row lost (a crash before
			// it was saved): take it over and continue from its offset.
			this.#adopted.add(id);
			const base = this.#options.baseUrl ?? '';
			const url = /^https?:/i.test(inProgressAt) ? inProgressAt : base + inProgressAt;
			await this.#update(id, { state: 'queued', uploadUrl: url, error: null });
			return;
		}
		if (error.code === 'encrypt-failed' && !this.#resealed.has(id)) {
			// Its worker died (or could not start): a new one, or this thread, seals it again and
			// the upload goes on from the relay's offset.
			this.#resealed.add(id);
			await this.#update(id, { state: 'queued', error: null });
			return;
		}
		const vanished = uploadVanished(raw);
		if ((error.code === 'upload-conflict' || vanished) && (await this.#alreadyStored(entry))) {
			// The last PATCH landed but its answer was lost: the relay has the whole blob.
			await this.#update(id, {
				state: 'done',
				bytesSent: entry.total,
				file: null,
				streamKey: null,
				uploadUrl: null,
				error: null
			});
			return;
		}
		if (vanished && !this.#adopted.has(id)) {
			// The relay no longer knows the upload (it expired): start a new one, same bytes.
			this.#adopted.add(id);
			await this.#update(id, { state: 'queued', uploadUrl: null, error: null });
			return;
		}
		if (error instanceof SessionEndedError) {
			// Every other upload would get the same answer: wait, in line, for a new session.
			await this.#update(id, { state: 'queued', error: null });
			this.#block(error);
			return;
		}
		await this.#update(id, {
			state: 'failed',
			error: { code: error.code, message: error.message }
		});
	}

	/** Whether the relay already serves this blob at its full size (answer of HEAD /api/blobs/:id). */
	async #alreadyStored(entry: UploadSummary): Promise<boolean> {
		try {
			const fetchFn = this.#options.fetch ?? ((input, init) => globalThis.fetch(input, init));
			const response = await fetchFn(`${this.#options.baseUrl ?? ''}${BLOBS_PATH}${entry.blobId}`, {
				method: 'HEAD',
				headers: { authorization: await bearerHeader(this.#options.token) },
				cache: 'no-store',
				credentials: 'omit'
			});
			return response.ok && Number(response.headers.get('content-length')) === entry.total;
		} catch {
			return false;
		}
	}

	#block(error: TransferError): void {
		if (this.#blocked) return;
		this.#blocked = error;
		for (const id of [...this.#running.keys()]) {
			void this.#hold(id, async () => {
				await this.#interrupt(id);
				await this.#update(id, { state: 'queued' });
			});
		}
		this.#emit({ type: 'blocked', error });
		this.#checkIdle();
	}

	async #hold(id: string, fn: () => Promise<void>): Promise<void> {
		this.#held.add(id);
		try {
			await fn();
		} finally {
			this.#held.delete(id);
			this.#pump();
		}
	}

	async #interrupt(id: string): Promise<void> {
		const running = this.#running.get(id);
		if (!running) return;
		running.stopped = true;
		running.interrupt?.();
		await running.upload?.abort(false);
		await running.finished;
	}

	#progress(id: string, sent: number): void {
		const entry = this.#entries.get(id);
		if (!entry || entry.state !== 'uploading') return;
		entry.bytesSent = Math.min(entry.total, sent);
		this.#emit({ type: 'progress', upload: { ...entry } });
	}

	/** Writes a change to the row (in order with every other write) and mirrors it in memory. */
	async #update(id: string, changes: Partial<UploadRecord>): Promise<void> {
		const entry = this.#entries.get(id);
		if (!entry) return;
		const before = entry.state;
		if (changes.state !== undefined) entry.state = changes.state;
		if (changes.bytesSent !== undefined) entry.bytesSent = changes.bytesSent;
		if (changes.error !== undefined) entry.error = changes.error;
		await this.#write(() => this.#db.uploads.update(id, { ...changes, updatedAt: this.#now() }));
		if (!this.#entries.has(id)) return;
		// Judged by this change, not the mirror: a later change may already be applied in memory.
		const stateChanged = changes.state !== undefined && changes.state !== before;
		this.#emit({ type: stateChanged ? 'state' : 'progress', upload: { ...entry } });
		if (changes.state === 'done') this.#settle(id, null);
		if (changes.state === 'failed') this.#settle(id, errorOfSummary(entry));
		if (stateChanged) this.#checkIdle();
	}

	#write<T>(fn: () => Promise<T>): Promise<T> {
		const next = this.#writes.then(fn);
		this.#writes = next.catch(() => undefined);
		return next;
	}

	#settle(id: string, error: TransferError | null): void {
		const waiters = this.#waiters.get(id);
		if (!waiters) return;
		this.#waiters.delete(id);
		const entry = this.#entries.get(id);
		for (const waiter of waiters) {
			if (error || !entry) waiter.reject(error);
			else waiter.resolve({ ...entry });
		}
	}

	#isIdle(): boolean {
		if (!this.#started || this.#blocked) return this.#running.size === 0;
		for (const entry of this.#entries.values()) {
			if (entry.state === 'queued' || entry.state === 'uploading') return false;
		}
		return this.#running.size === 0;
	}

	#checkIdle(): void {
		if (this.#idle.size === 0 || !this.#isIdle()) return;
		const resolvers = [...this.#idle];
		this.#idle.clear();
		for (const resolve of resolvers) resolve();
	}

	#emit(event: UploadEvent): void {
		for (const listener of this.#listeners) {
			try {
				listener(event);
			} catch {
				// A broken view must not stop the uploads.
			}
		}
	}
}

function summaryOf(record: UploadRecord): UploadSummary {
	return {
		id: record.id,
		blobId: record.blobId,
		group: record.group,
		purpose: record.purpose,
		state: record.state,
		bytesSent: record.bytesSent,
		total: record.total,
		error: record.error,
		createdAt: record.createdAt
	};
}

function emptyProgress(): TransferProgress {
	return { bytesSent: 0, total: 0, files: 0, done: 0, failed: 0 };
}

function addTo(progress: TransferProgress, upload: UploadSummary): void {
	progress.files += 1;
	progress.total += upload.total;
	progress.bytesSent += upload.state === 'done' ? upload.total : upload.bytesSent;
	if (upload.state === 'done') progress.done += 1;
	if (upload.state === 'failed') progress.failed += 1;
}

function errorOfSummary(entry: UploadSummary): TransferError {
	return transferErrorOf(
		entry.error?.code ?? 'upload-failed',
		entry.error?.message ?? 'The upload failed.'
	);
}

/** Errors raised on this device, which no retry can fix. */
function isLocalError(error: unknown): boolean {
	return (
		error instanceof TransferError ||
		error instanceof CryptoError ||
		error instanceof PlaintextChangedError ||
		error instanceof DeviceVaultError
	);
}

/**
 * Retry network failures, 5xx, 423 (locked by the request before) and a PATCH or HEAD 409 (offset
 * mismatch: tus-js-client asks for the offset again). Never a 4xx that will not change by waiting,
 * nor a POST 409 (the blob id is taken), nor an error raised on this device.
 */
/**
 * tus-js-client loads with the first upload, not with the page: the Library opens without it (it is
 * a fifth of the page's initial JavaScript).
 */
let tus: typeof import('tus-js-client') | null = null;
async function loadTus(): Promise<typeof import('tus-js-client')> {
	tus ??= await import('tus-js-client');
	return tus;
}

/** An error from tus-js-client (only possible once it is loaded). */
function isDetailedError(error: unknown): error is DetailedError {
	return tus !== null && error instanceof tus.DetailedError;
}

function shouldRetry(error: DetailedError): boolean {
	if (isLocalError(error.causingError)) return false;
	const status = error.originalResponse?.getStatus() ?? 0;
	if (status === 0 || status >= 500 || status === 423 || status === 429) return true;
	return status === 409 && error.originalRequest?.getMethod() !== 'POST';
}

/** The Location of the relay's own upload of this blob, from a POST 409 upload-in-progress. */
function uploadInProgressAt(error: unknown): string | null {
	if (!isDetailedError(error)) return null;
	const response = error.originalResponse;
	if (!response || response.getStatus() !== 409) return null;
	if (error.originalRequest?.getMethod() !== 'POST') return null;
	if (parseErrorBody(response.getBody() ?? '')?.code !== 'upload-in-progress') return null;
	const location = response.getHeader('Location');
	return location && /^(\/|https?:)/i.test(location) ? location : null;
}

/** A PATCH answered 404 or 410: the upload is gone from the relay (expired, cancelled or finished). */
function uploadVanished(error: unknown): boolean {
	if (!isDetailedError(error)) return false;
	const status = error.originalResponse?.getStatus();
	return error.originalRequest?.getMethod() === 'PATCH' && (status === 404 || status === 410);
}

/** A failure as the typed error the UI shows. */
export function toTransferError(error: unknown): TransferError {
	if (error instanceof TransferError) return error;
	if (isDetailedError(error)) {
		const cause = error.causingError;
		if (cause && isLocalError(cause)) return toTransferError(cause);
		const response = error.originalResponse;
		if (response) {
			const status = response.getStatus();
			if (status === 409 && error.originalRequest?.getMethod() === 'POST') {
				const reply = parseErrorBody(response.getBody() ?? '');
				return new TransferError(
					'upload-conflict',
					reply?.message ?? 'This file is already being uploaded, or was uploaded before.',
					{ status }
				);
			}
			return errorFromReply(status, response.getBody() ?? '', 'upload-failed');
		}
		return offlineError(error);
	}
	if (error instanceof PlaintextChangedError) {
		return new TransferError('plaintext-changed', error.message, { cause: error });
	}
	if (error instanceof DeviceVaultError) {
		return new TransferError('key-unavailable', error.message, { cause: error });
	}
	const message = error instanceof Error ? error.message : String(error);
	return new TransferError('upload-failed', `The upload failed: ${message}`, { cause: error });
}
