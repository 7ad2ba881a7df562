// Downloads: a blob fetched from the relay and decrypted as it streams in, resumed by Range after a cut; small blobs cached.

import { createDecryptStream, decryptFile } from '../crypto';
import type { BlobKind, TesseraDB } from '../local/db';
import { isBlobId } from '../protocol';
import { BlobCache } from './blob-cache';
import { TransferError } from './errors';
import {
	BLOBS_PATH,
	bearerHeader,
	errorFromReply,
	offlineError,
	type RelayEndpoint
} from './relay-http';

/** Waits before each new attempt after a network failure (the counter resets after progress). */
export const DOWNLOAD_RETRY_DELAYS = [500, 2000, 5000];

export interface BlobDownloaderOptions extends RelayEndpoint {
	/** The device database: cache reads, and plaintext of uploads still in the queue. */
	db?: TesseraDB;
	cache?: BlobCache;
	retryDelays?: number[];
}

export interface DownloadOptions {
	signal?: AbortSignal;
	/** Ciphertext bytes received so far, and the blob's size when the relay said it. */
	onProgress?: (received: number, total: number | null) => void;
}

export interface CachedReadOptions extends DownloadOptions {
	/** What the blob is, for the cache's budgets. */
	kind: BlobKind;
}

/**
 * Fetches blobs with the session's bearer token. Plaintext only ever comes out of the crypto
 * module's decryptor, so a changed, swapped or cut blob is a DecryptError / StreamError (I5).
 */
export class BlobDownloader {
	readonly #options: BlobDownloaderOptions;
	readonly #fetch: typeof fetch;
	readonly #cache: BlobCache | null;
	readonly #delays: number[];

	constructor(options: BlobDownloaderOptions) {
		this.#options = options;
		this.#fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
		this.#cache = options.cache ?? (options.db ? new BlobCache(options.db) : null);
		this.#delays = options.retryDelays ?? DOWNLOAD_RETRY_DELAYS;
	}

	/**
	 * The blob's plaintext as a stream. Resolves once the relay answered (a 401, 404 or no
	 * connection rejects with a TransferError); then each chunk is emitted only after it
	 * authenticated, and the stream errors with DecryptError / StreamError if the blob was
	 * tampered with or cut, so a consumer must discard what it read when the stream errors.
	 */
	async downloadBlob(
		blobId: string,
		streamKey: Uint8Array,
		options: DownloadOptions = {}
	): Promise<ReadableStream<Uint8Array>> {
		const ciphertext = await this.#ciphertextStream(blobId, options);
		return ciphertext.pipeThrough(
			createDecryptStream(streamKey),
			options.signal ? { signal: options.signal } : {}
		);
	}

	/**
	 * A small blob's whole plaintext (thumbnails, previews, an original being viewed): from the
	 * cache if it is there, from the upload queue if it has not left this device yet, else
	 * downloaded, authenticated in full and only then cached. Nothing partial is ever kept or
	 * returned.
	 */
	async readBlobCached(
		blobId: string,
		streamKey: Uint8Array,
		options: CachedReadOptions
	): Promise<Uint8Array> {
		const cached = await this.#cache?.get(blobId);
		if (cached) {
			try {
				return await decryptFile(cached, streamKey);
			} catch {
				// Damaged at rest (or altered on the disk): drop it and fetch the relay's copy.
				await this.#cache?.delete(blobId);
			}
		}
		const pending = await this.#queuedPlaintext(blobId);
		if (pending) return pending;
		const ciphertext = await collect(await this.#ciphertextStream(blobId, options));
		const plaintext = await decryptFile(ciphertext, streamKey);
		try {
			await this.#cache?.put(blobId, options.kind, ciphertext);
		} catch {
			// A full disk costs a later download, not this read.
		}
		return plaintext;
	}

	async #queuedPlaintext(blobId: string): Promise<Uint8Array | null> {
		const db = this.#options.db;
		if (!db) return null;
		const rows = await db.uploads.where('blobId').equals(blobId).toArray();
		const row = rows.find((r) => r.file !== null);
		return row?.file ? new Uint8Array(await row.file.arrayBuffer()) : null;
	}

	/**
	 * The ciphertext as the relay serves it. If the connection drops mid-body the stream asks
	 * again with `Range: bytes=<received>-` and carries on, so the bytes it emits are one
	 * contiguous blob (the decryptor keeps the partial chunk it already has).
	 */
	async #ciphertextStream(
		blobId: string,
		options: DownloadOptions
	): Promise<ReadableStream<Uint8Array>> {
		if (!isBlobId(blobId)) throw new TypeError('BlobDownloader: not a valid blob id');
		const { signal, onProgress } = options;
		let response = await this.#request(blobId, 0, null, signal);
		const length = Number(response.headers.get('content-length'));
		const total = response.headers.get('content-length') !== null && length >= 0 ? length : null;
		let reader = bodyReader(response);
		let received = 0;
		/** Bytes to drop from the start of a reply that ignored our Range and sent the whole blob. */
		let skip = 0;
		let attempt = 0;
		const again = async (cause: unknown) => {
			if (signal?.aborted) throw signal.reason;
			if (total === null || attempt >= this.#delays.length) throw offlineError(cause);
			await sleep(this.#delays[attempt++]!, signal);
			response = await this.#request(blobId, received, total, signal);
			skip = response.status === 200 ? received : 0;
			reader = bodyReader(response);
		};
		return new ReadableStream<Uint8Array>(
			{
				async pull(controller) {
					for (;;) {
						let result: ReadableStreamReadResult<Uint8Array>;
						try {
							result = await reader.read();
						} catch (error) {
							await again(error);
							continue;
						}
						if (result.done) {
							if (total !== null && received < total) {
								await again(new Error('the connection closed early'));
								continue;
							}
							controller.close();
							return;
						}
						let bytes = result.value;
						if (skip > 0) {
							const drop = Math.min(skip, bytes.length);
							skip -= drop;
							bytes = bytes.subarray(drop);
							if (bytes.length === 0) continue;
						}
						received += bytes.length;
						attempt = 0;
						onProgress?.(received, total);
						controller.enqueue(bytes);
						return;
					}
				},
				cancel(reason) {
					return reader.cancel(reason);
				}
			},
			{ highWaterMark: 0 }
		);
	}

	/** GET of the blob from `from` on; retries network failures and 5xx, maps the rest to errors. */
	async #request(
		blobId: string,
		from: number,
		total: number | null,
		signal: AbortSignal | undefined
	): Promise<Response> {
		const url = `${this.#options.baseUrl ?? ''}${BLOBS_PATH}${blobId}`;
		for (let attempt = 0; ; attempt++) {
			const headers: Record<string, string> = {
				authorization: await bearerHeader(this.#options.token)
			};
			if (from > 0) headers.range = `bytes=${from}-`;
			let response: Response;
			try {
				response = await this.#fetch(url, {
					headers,
					cache: 'no-store',
					credentials: 'omit',
					...(signal ? { signal } : {})
				});
			} catch (error) {
				if (signal?.aborted) throw signal.reason;
				if (attempt >= this.#delays.length) throw offlineError(error);
				await sleep(this.#delays[attempt]!, signal);
				continue;
			}
			if (response.status === 200 || (response.status === 206 && from > 0)) {
				if (response.status === 206) checkContentRange(response, from, total);
				return response;
			}
			const body = await response.text().catch(() => '');
			if (response.status >= 500 && attempt < this.#delays.length) {
				await sleep(this.#delays[attempt]!, signal);
				continue;
			}
			throw errorFromReply(response.status, body, 'download-failed');
		}
	}
}

function bodyReader(response: Response): ReadableStreamDefaultReader<Uint8Array> {
	if (!response.body) {
		throw new TransferError('bad-reply', 'The server sent an empty reply for this file.');
	}
	return response.body.getReader();
}

/** A resumed reply must continue exactly where we stopped, in a blob of the same size. */
function checkContentRange(response: Response, from: number, total: number | null): void {
	const match = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(response.headers.get('content-range') ?? '');
	if (!match || Number(match[1]) !== from || (total !== null && Number(match[3]) !== total)) {
		throw new TransferError(
			'bad-reply',
			'The server resumed this download at the wrong place; try again.',
			{ status: response.status }
		);
	}
}

async function collect(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
	const parts: Uint8Array[] = [];
	let length = 0;
	const reader = stream.getReader();
	for (;;) {
		const { done, value } = await reader.read();
		if (done) break;
		parts.push(value);
		length += value.length;
	}
	const out = new Uint8Array(length);
	let offset = 0;
	for (const part of parts) {
		out.set(part, offset);
		offset += part.length;
	}
	return out;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
	return new Promise((resolve, reject) => {
		if (signal?.aborted) return reject(signal.reason);
		const timer = setTimeout(() => {
			signal?.removeEventListener('abort', onAbort);
			resolve();
		}, ms);
		const onAbort = () => {
			clearTimeout(timer);
			reject(signal!.reason);
		};
		signal?.addEventListener('abort', onAbort, { once: true });
	});
}
