// The page's side of import: checks a file, queues it, sends images to the worker and videos to the poster.

import { MediaImportError, abortedError, mediaImportErrorCode, throwIfAborted } from './errors';
import { tidyFilename } from './filename';
import { SNIFF_BYTES, sniffMediaType, type MediaType } from './mime';
import { MAX_IMAGE_BYTES, MAX_VIDEO_BYTES } from './sizes';
import { resolveVideoTakenAt } from './taken-at';
import type { ImportedMedia, WorkerReply, WorkerRequest, WorkerResult } from './types';
import { captureVideoPoster, type PosterOptions, type VideoPoster } from './video-poster';

export interface ImportOptions {
	signal?: AbortSignal;
}

/** The part of a Worker the importer uses, so tests can stand in for it. */
export interface WorkerLike {
	onmessage: ((event: MessageEvent<WorkerReply>) => void) | null;
	onerror: ((event: ErrorEvent) => void) | null;
	onmessageerror: ((event: MessageEvent) => void) | null;
	postMessage(message: WorkerRequest, transfer: Transferable[]): void;
	terminate(): void;
}

export interface MediaImporterOptions {
	/** Files imported at once, 1-4; 2 by default (each decoded photo can hold 50-200 MB). */
	concurrency?: number;
	createWorker?: () => WorkerLike;
	capturePoster?: (file: Blob, options: PosterOptions) => Promise<VideoPoster>;
	/** The worker is ended after this long without work, freeing its memory; 30 s by default. */
	idleMs?: number;
	maxImageBytes?: number;
	maxVideoBytes?: number;
}

/** A request to the worker before it gets its id. */
type Job = DistributiveOmit<Exclude<WorkerRequest, { type: 'cancel' }>, 'id'>;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

interface Pending {
	resolve(result: WorkerResult): void;
	reject(error: MediaImportError): void;
}

const defaultCreateWorker = (): WorkerLike =>
	new Worker(new URL('./import.worker.ts', import.meta.url), {
		type: 'module',
		name: 'tessera-import'
	});

export class MediaImporter {
	private readonly limiter: Limiter;
	private readonly createWorker: () => WorkerLike;
	private readonly capturePoster: (file: Blob, options: PosterOptions) => Promise<VideoPoster>;
	private readonly idleMs: number;
	private readonly maxImageBytes: number;
	private readonly maxVideoBytes: number;
	private worker: WorkerLike | undefined;
	private readonly pending = new Map<number, Pending>();
	private nextId = 1;
	private idleTimer: ReturnType<typeof setTimeout> | undefined;

	constructor(options: MediaImporterOptions = {}) {
		const concurrency = options.concurrency ?? 2;
		if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 4) {
			throw new RangeError(`concurrency must be 1-4, got ${concurrency}`);
		}
		this.limiter = new Limiter(concurrency);
		this.createWorker = options.createWorker ?? defaultCreateWorker;
		this.capturePoster = options.capturePoster ?? captureVideoPoster;
		this.idleMs = options.idleMs ?? 30_000;
		this.maxImageBytes = options.maxImageBytes ?? MAX_IMAGE_BYTES;
		this.maxVideoBytes = options.maxVideoBytes ?? MAX_VIDEO_BYTES;
	}

	/**
	 * Imports one photo or video. Rejects with a MediaImportError for files Tessera does not take
	 * (empty-file, not-media, too-large, read-failed), when cancelled (aborted) or when the worker
	 * fails (worker-failed). A file this browser cannot decode still imports, `decodable: false`.
	 */
	async import(file: Blob, options: ImportOptions = {}): Promise<ImportedMedia> {
		const { signal } = options;
		throwIfAborted(signal);
		const type = await this.check(file);
		throwIfAborted(signal);
		return this.limiter.run(signal, () =>
			type.kind === 'image'
				? this.importImage(file, type, signal)
				: this.importVideo(file, type, signal)
		);
	}

	/** Files waiting for a slot plus files being imported. */
	get queued(): number {
		return this.limiter.size;
	}

	/** Ends the worker and cancels every queued and running import (on log out, say). */
	dispose(): void {
		this.limiter.cancelAll();
		this.failAll(abortedError());
		this.stopWorker();
	}

	private async check(file: Blob): Promise<MediaType> {
		const name = fileName(file);
		const called = name ? `“${name}”` : 'This file';
		if (file.size === 0) {
			throw new MediaImportError(
				'empty-file',
				`${called} is empty (0 bytes), so there is nothing to import.`
			);
		}
		let head: Uint8Array;
		try {
			head = new Uint8Array(await file.slice(0, SNIFF_BYTES).arrayBuffer());
		} catch (cause) {
			throw new MediaImportError(
				'read-failed',
				`${called} could not be read. It may have been moved or deleted since it was chosen.`,
				{ cause }
			);
		}
		const type = sniffMediaType(head);
		if (!type) {
			throw new MediaImportError(
				'not-media',
				`${called} is not a photo or video Tessera can import (JPEG, PNG, WebP, GIF, HEIC, AVIF, MP4, MOV or WebM).`
			);
		}
		const limit = type.kind === 'image' ? this.maxImageBytes : this.maxVideoBytes;
		if (file.size > limit) {
			throw new MediaImportError(
				'too-large',
				`${called} is ${formatBytes(file.size)}; Tessera imports ${type.kind === 'image' ? 'photos' : 'videos'} up to ${formatBytes(limit)}.`
			);
		}
		return type;
	}

	private async importImage(
		file: Blob,
		type: MediaType,
		signal: AbortSignal | undefined
	): Promise<ImportedMedia> {
		const result = await this.call(
			{ type: 'analyze-image', file, mime: type.mime, lastModified: lastModified(file) },
			signal
		);
		if (result.type !== 'analyze-image') throw unexpectedReply();
		return {
			kind: 'image',
			mime: type.mime,
			filename: tidyFilename(fileName(file)),
			size: file.size,
			...result.analysis,
			contentHash: result.contentHash
		};
	}

	private async importVideo(
		file: Blob,
		type: MediaType,
		signal: AbortSignal | undefined
	): Promise<ImportedMedia> {
		// One part failing (or the caller cancelling) stops the other.
		const local = new AbortController();
		const onAbort = () => local.abort();
		signal?.addEventListener('abort', onAbort, { once: true });
		try {
			const posterPart = this.capturePoster(file, { signal: local.signal }).then(
				(poster) => ({ poster, problem: undefined }),
				(error: unknown) => {
					if (local.signal.aborted || mediaImportErrorCode(error) === 'aborted') throw error;
					// A video this browser cannot play, or that stalls, still imports: with a placeholder.
					const problem =
						error instanceof MediaImportError
							? { code: error.code, message: error.message }
							: {
									code: 'video-unsupported' as const,
									message: 'The poster of this video could not be made. It is imported without one.'
								};
					return { poster: undefined, problem };
				}
			);
			const hashPart = this.call({ type: 'analyze-video', file, mime: type.mime }, local.signal);
			const [{ poster, problem }, analysis] = await Promise.all([
				posterPart.catch((error: unknown) => {
					local.abort();
					throw error;
				}),
				hashPart.catch((error: unknown) => {
					local.abort();
					throw error;
				})
			]);
			throwIfAborted(signal);
			if (analysis.type !== 'analyze-video') throw unexpectedReply();
			const metadata = analysis.metadata ?? {};
			const durationMs = poster?.durationMs ?? metadata.durationMs;
			return {
				kind: 'video',
				mime: type.mime,
				filename: tidyFilename(fileName(file)),
				size: file.size,
				// The browser's size is what it shows; the header's is for videos it cannot play.
				width: poster?.width ?? metadata.width ?? 0,
				height: poster?.height ?? metadata.height ?? 0,
				...(durationMs !== undefined ? { durationMs } : {}),
				...resolveVideoTakenAt(metadata.createdAt, lastModified(file)),
				orientation: 1,
				...(metadata.gps ? { exif: { gps: metadata.gps } } : {}),
				...(poster
					? {
							thumb: poster.thumb,
							thumbhash: poster.thumbhash,
							...(poster.preview ? { preview: poster.preview } : {})
						}
					: {}),
				contentHash: analysis.contentHash,
				decodable: poster !== undefined,
				...(problem ? { problem } : {})
			};
		} catch (error) {
			throw signal?.aborted ? abortedError() : toImportError(error);
		} finally {
			signal?.removeEventListener('abort', onAbort);
		}
	}

	/** Sends one job to the worker; cancelling tells the worker to stop and rejects at once. */
	private call(job: Job, signal: AbortSignal | undefined): Promise<WorkerResult> {
		throwIfAborted(signal);
		const worker = this.startWorker();
		const id = this.nextId++;
		return new Promise<WorkerResult>((resolve, reject) => {
			const onAbort = () => {
				if (!this.pending.delete(id)) return;
				worker.postMessage({ type: 'cancel', id }, []);
				reject(abortedError());
				this.scheduleIdle();
			};
			this.pending.set(id, {
				resolve: (result) => {
					signal?.removeEventListener('abort', onAbort);
					resolve(result);
				},
				reject: (error) => {
					signal?.removeEventListener('abort', onAbort);
					reject(error);
				}
			});
			signal?.addEventListener('abort', onAbort, { once: true });
			// A Blob is passed by reference: its bytes are not copied into the worker.
			worker.postMessage({ ...job, id } as WorkerRequest, []);
		});
	}

	private startWorker(): WorkerLike {
		clearTimeout(this.idleTimer);
		this.idleTimer = undefined;
		if (this.worker) return this.worker;
		let worker: WorkerLike;
		try {
			worker = this.createWorker();
		} catch (cause) {
			throw new MediaImportError(
				'worker-failed',
				'The import worker could not start in this browser.',
				{ cause }
			);
		}
		worker.onmessage = (event) => this.settle(event.data);
		worker.onerror = (event) => {
			event.preventDefault?.();
			this.failAll(
				new MediaImportError(
					'worker-failed',
					`The import worker stopped${event.message ? `: ${event.message}` : ''}. Try again.`
				)
			);
			this.stopWorker();
		};
		worker.onmessageerror = () => {
			this.failAll(
				new MediaImportError('worker-failed', 'The import worker sent an unreadable reply.')
			);
			this.stopWorker();
		};
		this.worker = worker;
		return worker;
	}

	private settle(reply: WorkerReply): void {
		const pending = this.pending.get(reply.id);
		if (!pending) return; // cancelled meanwhile
		this.pending.delete(reply.id);
		if (reply.ok) pending.resolve(reply.result);
		else pending.reject(new MediaImportError(reply.code, reply.message));
		this.scheduleIdle();
	}

	private failAll(error: MediaImportError): void {
		const all = [...this.pending.values()];
		this.pending.clear();
		for (const pending of all) pending.reject(error);
	}

	private scheduleIdle(): void {
		if (this.pending.size > 0 || !this.worker) return;
		clearTimeout(this.idleTimer);
		this.idleTimer = setTimeout(() => {
			if (this.pending.size === 0) this.stopWorker();
		}, this.idleMs);
	}

	private stopWorker(): void {
		clearTimeout(this.idleTimer);
		this.idleTimer = undefined;
		this.worker?.terminate();
		this.worker = undefined;
	}
}

/** Runs at most `limit` tasks at once; waiting tasks leave the line when their signal fires. */
class Limiter {
	private active = 0;
	private readonly waiting: { start: () => void; cancel: () => void }[] = [];

	constructor(private readonly limit: number) {}

	get size(): number {
		return this.active + this.waiting.length;
	}

	run<T>(signal: AbortSignal | undefined, task: () => Promise<T>): Promise<T> {
		return new Promise<T>((resolve, reject) => {
			const start = () => {
				signal?.removeEventListener('abort', onAbort);
				this.active++;
				task()
					.then(resolve, reject)
					.finally(() => {
						this.active--;
						this.waiting.shift()?.start();
					});
			};
			const entry = { start, cancel: () => reject(abortedError()) };
			const onAbort = () => {
				const index = this.waiting.indexOf(entry);
				if (index >= 0) {
					this.waiting.splice(index, 1);
					entry.cancel();
				}
			};
			if (signal?.aborted) {
				reject(abortedError());
			} else if (this.active < this.limit) {
				start();
			} else {
				this.waiting.push(entry);
				signal?.addEventListener('abort', onAbort, { once: true });
			}
		});
	}

	cancelAll(): void {
		for (const entry of this.waiting.splice(0)) entry.cancel();
	}
}

let shared: MediaImporter | undefined;

/** Imports one photo or video with the app's shared importer (one worker, two files at a time). */
export function importMedia(file: Blob, options: ImportOptions = {}): Promise<ImportedMedia> {
	shared ??= new MediaImporter();
	return shared.import(file, options);
}

function fileName(file: Blob): string {
	return 'name' in file && typeof file.name === 'string' ? file.name : '';
}

function lastModified(file: Blob): number | undefined {
	return 'lastModified' in file && typeof file.lastModified === 'number'
		? file.lastModified
		: undefined;
}

function formatBytes(bytes: number): string {
	const units = ['bytes', 'KB', 'MB', 'GB', 'TB'];
	let value = bytes;
	let unit = 0;
	while (value >= 1024 && unit < units.length - 1) {
		value /= 1024;
		unit++;
	}
	return `${unit === 0 ? value : value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

function unexpectedReply(): MediaImportError {
	return new MediaImportError('worker-failed', 'The import worker sent an unexpected reply.');
}

function toImportError(error: unknown): MediaImportError {
	if (error instanceof MediaImportError) return error;
	return new MediaImportError(
		'worker-failed',
		`Import failed: ${error instanceof Error ? error.message : String(error)}`,
		{ cause: error }
	);
}
