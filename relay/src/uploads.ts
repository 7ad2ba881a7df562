// Resumable uploads (tus 1.0.0 via @tus/server): reservations, handing requests to tus, moving finished uploads into the blob store, expiry.

import { randomBytes } from 'node:crypto';
import fsp from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { MemoryLocker, Server } from '@tus/server';
import type { AccountStore } from './account-store';
import type { BlobStore } from './blobs';
import type { RelayDatabase } from './db';
import type { Logger } from './log';
import { DurableFileStore, UPLOAD_ID_PATTERN } from './uploads-file-store';
import { UploadRecords, type Reservation, type UploadRecord } from './uploads-store';

/** Where tus is mounted; uploads are at UPLOADS_PATH/<uploadId>. */
export const UPLOADS_PATH = '/api/uploads';

/** An upload not finished within a day of its creation is dropped with its bytes. */
export const UPLOAD_EXPIRY_MS = 24 * 60 * 60 * 1000;

/** How often expired uploads are looked for (also once at start). */
const SWEEP_INTERVAL_MS = 60 * 60 * 1000;

/** How long a finished upload's id is remembered (see UploadService.finished). */
const FINISHED_MEMORY_MS = 10 * 60 * 1000;

export interface UploadServiceOptions {
	/** DATA_DIR/uploads: on the same file system as the blob folder, so finishing is a rename. */
	dir: string;
	db: RelayDatabase;
	accounts: AccountStore;
	blobs: BlobStore;
	maxUploadBytes: number;
	logger: Logger;
	/** Test hook: the clock expiry is measured with. */
	now?: () => number;
}

/** An error tus turns into its response (status and plain-text body). */
interface TusError {
	status_code: number;
	body: string;
}

/**
 * Owns the tus server and everything around it that tus does not know: who an upload belongs to,
 * what it reserves of their quota, and what becomes of it when it finishes or expires. The HTTP
 * checks (session, ownership, quota on PATCH) happen in routes/uploads.ts before a request gets
 * here.
 */
export class UploadService {
	readonly records: UploadRecords;
	private readonly store: DurableFileStore;
	private readonly tus: Server;
	private readonly log: Logger;
	private readonly now: () => number;
	/** The reserved id of the upload a POST creates, by the request tus is given. */
	private readonly creating = new WeakMap<Request, string>();
	/** Finishes in progress, so a repeated final PATCH cannot record a blob twice. */
	private readonly finishing = new Map<string, Promise<void>>();
	/**
	 * Uploads this process finished lately (id -> when), so a request that raced the finish (a
	 * HEAD and the last PATCH) is told it succeeded rather than that the upload is gone.
	 */
	private readonly finished = new Map<string, number>();
	private sweepTimer: NodeJS.Timeout | undefined;
	private sweeping: Promise<number> | undefined;

	private constructor(private readonly options: UploadServiceOptions) {
		this.log = options.logger;
		this.now = options.now ?? Date.now;
		this.records = new UploadRecords(options.db, options.accounts);
		this.store = new DurableFileStore({
			directory: options.dir,
			records: this.records,
			expirationMs: UPLOAD_EXPIRY_MS
		});
		this.tus = new Server({
			path: UPLOADS_PATH,
			datastore: this.store,
			locker: new MemoryLocker(),
			maxSize: options.maxUploadBytes,
			// Same origin as the app: a path is enough, and it stays right behind any proxy.
			relativeLocation: true,
			// No Access-Control-Allow-Origin: other origins get nothing from these responses.
			allowedOrigins: () => false,
			namingFunction: (req) => {
				const id = this.creating.get(req);
				if (!id) throw tusError(500, 'The upload was not reserved.');
				return id;
			},
			onUploadFinish: async (_req, upload) => {
				// The store's write fsynced the file before tus calls this.
				await this.finish(upload.id, { synced: true });
				return {};
			},
			onResponseError: (_req, error) => {
				const status = 'status_code' in error ? error.status_code : 500;
				if (status >= 500) this.log.error({ err: error }, 'upload request failed');
				return undefined;
			}
		});
	}

	/**
	 * Creates DATA_DIR/uploads, settles what a crash left half done, drops expired uploads and
	 * starts the hourly sweep.
	 */
	static async open(options: UploadServiceOptions): Promise<UploadService> {
		await fsp.mkdir(options.dir, { recursive: true });
		const service = new UploadService(options);
		await service.recover();
		await service.sweep();
		service.sweepTimer = setInterval(() => {
			service.sweep().catch((error: unknown) => {
				service.log.error({ err: error }, 'sweeping expired uploads failed');
			});
		}, SWEEP_INTERVAL_MS);
		service.sweepTimer.unref();
		return service;
	}

	get maxUploadBytes(): number {
		return this.options.maxUploadBytes;
	}

	/** Reserves a new upload of `size` bytes that will become blob `blobId` (see UploadRecords). */
	reserve(accountId: string, blobId: string, size: number): Reservation {
		const createdAt = this.now();
		return this.records.reserve({
			id: randomBytes(16).toString('hex'),
			ownerAccountId: accountId,
			blobId,
			size,
			createdAt,
			expiresAt: createdAt + UPLOAD_EXPIRY_MS
		});
	}

	/**
	 * Lets tus answer the request. A POST creates the upload reserved as `reservedId`; when tus
	 * refuses to create it (bad tus headers, say), the reservation is dropped again.
	 */
	async handle(req: IncomingMessage, res: ServerResponse, reservedId?: string): Promise<void> {
		if (reservedId === undefined) return this.dispatch(req, res);
		try {
			await this.dispatch(req, res, reservedId);
		} finally {
			if (res.statusCode !== 201) await this.discard(reservedId);
		}
	}

	/**
	 * An upload whose bytes are all there but that was not moved into the blob store (its finish
	 * failed, or the relay died between the last fsync and the move) is finished now; true when
	 * that made it a blob. A HEAD calls this first, so a client is never told "complete" about
	 * bytes that are not a blob yet.
	 */
	async finishIfComplete(upload: UploadRecord): Promise<boolean> {
		const file = this.store.fileOf(upload.id);
		if ((await sizeOf(file)) !== upload.size) return false;
		await this.finish(upload.id);
		return true;
	}

	/** Drops expired uploads and upload files that belong to no upload; returns how many went. */
	sweep(): Promise<number> {
		this.sweeping ??= this.sweepOnce().finally(() => (this.sweeping = undefined));
		return this.sweeping;
	}

	/** Stops the sweep and waits for finishes in progress (call before closing the database). */
	async close(): Promise<void> {
		clearInterval(this.sweepTimer);
		await Promise.allSettled([...this.finishing.values(), this.sweeping]);
		await this.records.close();
	}

	private async sweepOnce(): Promise<number> {
		let removed = 0;
		for (const upload of this.records.expired(this.now())) {
			// The row first: from then on nothing can finish it; a crash before the file goes leaves
			// an orphan file, which the loop below removes next time.
			if (this.finishing.has(upload.id) || !this.records.release(upload.id)) continue;
			await fsp.rm(this.store.fileOf(upload.id), { force: true });
			removed++;
		}
		for (const name of await fsp.readdir(this.options.dir)) {
			// A file is created only after its row, so a file without a row is one left behind.
			if (!UPLOAD_ID_PATTERN.test(name) || this.records.find(name)) continue;
			await fsp.rm(this.store.fileOf(name), { force: true });
			removed++;
		}
		if (removed > 0) this.log.info({ removed }, 'dropped expired uploads');
		return removed;
	}

	/**
	 * tus.handle() would wrap the request body with Readable.toWeb, which in Node 20 copies every
	 * socket read and pauses the socket after each one: at a few hundred MB/s that copying was the
	 * relay's largest cost. The body goes to tus as a web stream over the same buffers instead, and
	 * tus's answer is written without its CORS headers (the app is same-origin; nothing else may
	 * read these responses).
	 */
	private async dispatch(
		req: IncomingMessage,
		res: ServerResponse,
		reservedId?: string
	): Promise<void> {
		const init = {
			method: req.method,
			headers: webHeaders(req),
			body: req.method === 'PATCH' ? bodyStream(req) : null,
			duplex: 'half'
		};
		// The origin is never used: tus reads the path, and its Location is relative.
		const url = new URL(req.url ?? '/', 'http://relay.invalid');
		const request = new Request(url, init as RequestInit);
		if (reservedId !== undefined) this.creating.set(request, reservedId);
		const response = await this.tus.handleWeb(request);
		// The reservation commits without a sync of its own (see UploadRecords): 201 waits for it.
		if (reservedId !== undefined && response.status === 201) await this.records.durable();
		const headers: string[] = [];
		response.headers.forEach((value, name) => {
			if (!name.startsWith('access-control-')) headers.push(name, value);
		});
		const body = response.body ? Buffer.from(await response.arrayBuffer()) : undefined;
		res.writeHead(response.status, headers);
		res.end(body);
	}

	private async discard(uploadId: string): Promise<void> {
		this.records.release(uploadId);
		await fsp.rm(this.store.fileOf(uploadId), { force: true });
	}

	/** `synced`: the upload's file was fsynced since its last write (see FolderBlobStore.adopt). */
	private finish(uploadId: string, options: { synced?: boolean } = {}): Promise<void> {
		let finishing = this.finishing.get(uploadId);
		if (!finishing) {
			finishing = this.finishOnce(uploadId, options).finally(() => this.finishing.delete(uploadId));
			this.finishing.set(uploadId, finishing);
		}
		return finishing;
	}

	/**
	 * The last PATCH arrived: move the file into the blob store (durably), then record the blob,
	 * its owner's usage and the end of the upload in one transaction. Only then does tus answer
	 * 204, so a client told "done" finds its blob after any crash.
	 */
	private async finishOnce(uploadId: string, options: { synced?: boolean }): Promise<void> {
		const upload = this.records.find(uploadId);
		if (!upload && this.finished.has(uploadId)) return;
		if (!upload) throw tusError(410, 'This upload expired or was cancelled before it finished.');
		const file = this.store.fileOf(uploadId);
		const { size } = await fsp.stat(file);
		if (size !== upload.size) {
			throw tusError(500, `The upload holds ${size} bytes, not the ${upload.size} declared.`);
		}
		await this.options.blobs.adopt(upload.blobId, file, options);
		if (!this.records.recordFinished(upload, this.now())) {
			// Expired or its account deleted while the bytes moved: the blob has no owner to count.
			await this.options.blobs.delete(upload.blobId);
			throw tusError(410, 'This upload expired or was cancelled before it finished.');
		}
		await this.records.durable();
		this.rememberFinished(uploadId);
		this.log.info({ uploadId, size }, 'upload finished');
	}

	private rememberFinished(uploadId: string): void {
		const now = this.now();
		for (const [id, at] of this.finished) {
			if (at > now - FINISHED_MEMORY_MS) break;
			this.finished.delete(id);
		}
		this.finished.set(uploadId, now);
	}

	/**
	 * Settles what a crash cut short, before the relay takes requests (so no finish is running):
	 * an upload whose bytes all arrived is finished; one whose file is gone was either moved into
	 * the blob store but not recorded (it is recorded if the blob is whole) or lost (it is
	 * forgotten, and its client starts again).
	 */
	private async recover(): Promise<void> {
		for (const upload of this.records.all()) {
			const size = await sizeOf(this.store.fileOf(upload.id));
			if (size === upload.size) {
				// One upload that cannot be finished must not keep the relay from starting; its next
				// HEAD tries again.
				await this.finish(upload.id).catch((error: unknown) => {
					this.log.error({ err: error, uploadId: upload.id }, 'finishing an upload failed');
				});
				continue;
			}
			if (size !== null) continue;
			const blob = await this.options.blobs.stat(upload.blobId);
			if (blob?.size === upload.size && this.records.recordFinished(upload, this.now())) {
				await this.records.durable();
				this.log.info({ uploadId: upload.id }, 'recorded an upload finished before a crash');
			} else {
				this.records.release(upload.id);
				this.log.warn({ uploadId: upload.id }, 'dropped an upload whose bytes were lost');
			}
		}
	}
}

function tusError(status: number, message: string): TusError {
	return { status_code: status, body: `${message}\n` };
}

/** The file's size, or null when there is no such file. */
async function sizeOf(file: string): Promise<number | null> {
	try {
		return (await fsp.stat(file)).size;
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
		throw error;
	}
}

function webHeaders(req: IncomingMessage): Headers {
	const headers = new Headers();
	for (const [name, value] of Object.entries(req.headers)) {
		if (value === undefined) continue;
		for (const one of Array.isArray(value) ? value : [value]) headers.append(name, one);
	}
	return headers;
}

/**
 * The request body as a web stream of the very buffers Node read from the socket (each a fresh
 * allocation, so nothing else writes to them). Pulled one read at a time: the socket is only read
 * as fast as tus writes. If tus stops reading early, the rest is drained rather than the
 * connection reset, so the client still gets tus's answer.
 */
function bodyStream(req: IncomingMessage): ReadableStream<Uint8Array> {
	const reads = req.iterator({ destroyOnReturn: false });
	return new ReadableStream<Uint8Array>(
		{
			async pull(controller) {
				const { done, value } = (await reads.next()) as IteratorResult<Buffer>;
				if (done) controller.close();
				else controller.enqueue(value);
			},
			async cancel() {
				await reads.return?.();
				req.resume();
			}
		},
		{ highWaterMark: 0 }
	);
}

export type { UploadRecord };
