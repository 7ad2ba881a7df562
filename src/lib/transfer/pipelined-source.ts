// An encrypted blob whose chunks an encryption worker seals ahead of the reader, so encryption overlaps the upload.

import { encryptedSize, FILE_HEADER_BYTES } from '../crypto';
import { chunkCountOf, PlaintextChangedError, sealedChunkBytes } from '../crypto/file-source';
import type { EncryptReply, EncryptRequest } from './encrypt-messages';
import { TransferError } from './errors';

/** How a source talks to the worker serving it (the pool routes replies back by stream id). */
export interface EncryptChannel {
	send(request: EncryptRequest, transfer?: Transferable[]): void;
	/** The stream is closed: the pool forgets it (and may end an idle worker). */
	release(stream: number): void;
}

interface Pending {
	promise: Promise<Uint8Array>;
	/** The segment once it arrived. */
	bytes: Uint8Array | null;
	resolve(bytes: Uint8Array): void;
	reject(error: unknown): void;
}

function pending(): Pending {
	let resolve: (bytes: Uint8Array) => void = () => {};
	let reject: (error: unknown) => void = () => {};
	const promise = new Promise<Uint8Array>((res, rej) => {
		resolve = res;
		reject = rej;
	});
	// A segment asked for ahead may fail (or be dropped) before anyone reads it: not an unhandled error.
	promise.catch(() => undefined);
	const entry: Pending = {
		promise,
		bytes: null,
		resolve: (bytes) => {
			entry.bytes = bytes;
			resolve(bytes);
		},
		reject
	};
	return entry;
}

/** One file to encrypt in a worker and read as its ciphertext. */
export interface OpenBlobInput {
	streamKey: Uint8Array;
	streamHeader: Uint8Array;
	/** The immutable queued plaintext (the worker reads it). */
	plaintext: Blob;
	chunkSize: number;
	/** Chunks per segment: one request body, sealed into one buffer by the worker. */
	segmentChunks: number;
	/** Segments sealed ahead of the one being read. */
	prefetch: number;
	/** Segments sealed at once, before the first read (default: the first and `prefetch` more). */
	eager?: number;
}

/**
 * Serves ciphertext ranges exactly as EncryptedFileSource does (the worker runs a ChunkSealer over
 * the same plaintext, key and header), but the chunks come from a worker, asked for `prefetch`
 * segments ahead of the one being read: while tus sends one request body, the next is being
 * sealed. A segment is `segmentChunks` sealed chunks in one buffer, segment 0 with the file header
 * in front (see encrypt-messages.ts); a range inside one segment is a view of it, no copy, so a
 * request body of one segment goes out as the worker made it.
 *
 * A read that leaves the window (tus resuming at an earlier offset) starts a new generation: the
 * worker drops what it was still asked for and re-seals from chunk 0, as the in-thread source
 * does. Holds at most `prefetch + 1` segments.
 */
export class PipelinedFileSource {
	readonly size: number;
	readonly plainSize: number;
	readonly chunkSize: number;
	readonly chunkCount: number;
	readonly segmentCount: number;
	/** Ciphertext bytes of a whole segment after the first (which has the file header besides). */
	readonly segmentBytes: number;
	readonly #channel: EncryptChannel;
	readonly #stream: number;
	readonly #prefetch: number;
	readonly #segments = new Map<number, Pending>();
	#generation = 0;
	/** Highest segment asked of the worker in this generation; -1 before the first. */
	#asked = -1;
	#failure: Error | null = null;
	#closed = false;
	#queue: Promise<unknown> = Promise.resolve();

	constructor(input: OpenBlobInput & { channel: EncryptChannel; stream: number }) {
		const { channel, stream, plaintext, chunkSize } = input;
		this.#channel = channel;
		this.#stream = stream;
		this.#prefetch = Math.max(1, Math.floor(input.prefetch));
		this.chunkSize = chunkSize;
		this.plainSize = plaintext.size;
		this.size = encryptedSize(plaintext.size, chunkSize);
		this.chunkCount = chunkCountOf(plaintext.size, chunkSize);
		const segmentChunks = Math.max(1, Math.floor(input.segmentChunks));
		this.segmentCount = Math.ceil(this.chunkCount / segmentChunks);
		this.segmentBytes = segmentChunks * sealedChunkBytes(chunkSize);
		// The worker gets its own copy of the key, moved rather than copied again.
		const streamKey = input.streamKey.slice();
		channel.send(
			{
				type: 'open',
				stream,
				streamKey,
				streamHeader: input.streamHeader.slice(),
				chunkSize,
				segmentChunks,
				plaintext
			},
			[streamKey.buffer]
		);
		// Sealing starts now, not at the first read: tus first creates the upload (a round trip),
		// and the first body is ready by the time it asks for it.
		const eager = Math.max(1, Math.floor(input.eager ?? this.#prefetch + 1));
		this.#askUpTo(Math.min(this.segmentCount - 1, eager - 1));
	}

	/**
	 * Where a request body that starts at `start` and may run to `end` should stop: at the last
	 * segment edge in (start, end] (the blob's end is one), so that bodies are whole segments and a
	 * one-segment body is sent without a copy; after a resume mid-segment, the first body is the
	 * rest of that segment. Requests smaller than a segment are not cut (they could only be cut
	 * into slivers): they end at `end`.
	 */
	bodyEnd(start: number, end: number): number {
		if (end >= this.size) return this.size;
		if (end - start < this.segmentBytes) return end;
		const edge = this.#segmentStart(this.#segmentAt(end));
		return edge > start && edge < end ? edge : end;
	}

	/**
	 * The exact ciphertext bytes [start, end) of the encrypted blob. Calls run one at a time. The
	 * bytes may be a view of a segment, valid until a read that starts past that segment: tus only
	 * reads from offsets the relay acknowledged, so by then the relay has all of the segment, and
	 * its buffer goes back to the worker to be filled again.
	 */
	read(start: number, end: number): Promise<Uint8Array> {
		const run = this.#queue.then(() => this.#read(start, end));
		this.#queue = run.catch(() => undefined);
		return run;
	}

	/** True once the worker serving this blob died: every read fails. */
	get failed(): boolean {
		return this.#failure !== null;
	}

	/**
	 * Stops the worker's work on this blob; it wipes its key. Reads after this fail. With
	 * `delivered` (the relay acknowledged the whole blob, so no request reads the segments any
	 * more), the segments' buffers go back to the worker to be filled again.
	 */
	close(options: { delivered?: boolean } = {}): void {
		if (this.#closed) return;
		this.#closed = true;
		if (options.delivered) this.#recycleBefore(this.segmentCount);
		this.#drop(new Error('EncryptedFileSource used after close'));
		this.#channel.send({ type: 'close', stream: this.#stream });
		this.#channel.release(this.#stream);
	}

	/** A reply from the worker; one for a dropped segment or an old generation is ignored. */
	deliver(reply: EncryptReply): void {
		if (reply.generation !== this.#generation) return;
		const entry = this.#segments.get(reply.index);
		if (!entry) return;
		if (reply.type === 'sealed') {
			entry.resolve(reply.bytes);
		} else if (reply.code === 'plaintext-changed') {
			entry.reject(new PlaintextChangedError(reply.message));
		} else {
			entry.reject(encryptFailed(reply.message));
		}
	}

	/** The worker is gone: everything asked fails, and so does every later read. */
	fail(message: string): void {
		if (this.#closed || this.#failure) return;
		this.#failure = encryptFailed(message);
		this.#drop(this.#failure);
	}

	async #read(start: number, end: number): Promise<Uint8Array> {
		if (this.#closed) throw new Error('EncryptedFileSource used after close');
		if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end)) {
			throw new RangeError(`EncryptedFileSource: range ${start}-${end} is not integral`);
		}
		end = Math.min(end, this.size);
		if (start < 0 || start > end) {
			throw new RangeError(`EncryptedFileSource: range ${start}-${end} is outside ${this.size}`);
		}
		if (start === end) return new Uint8Array(0);
		const first = this.#segmentAt(start);
		const last = this.#segmentAt(end - 1);
		if (first === last) {
			const from = this.#segmentStart(first);
			return (await this.#segment(first)).subarray(start - from, end - from);
		}
		const out = new Uint8Array(end - start);
		for (let index = first; index <= last; index++) {
			const from = this.#segmentStart(index);
			const bytes = await this.#segment(index);
			const a = Math.max(start, from);
			const b = Math.min(end, from + bytes.length);
			out.set(bytes.subarray(a - from, b - from), a - start);
		}
		return out;
	}

	#segmentAt(offset: number): number {
		const index = Math.floor((offset - FILE_HEADER_BYTES) / this.segmentBytes);
		return Math.min(this.segmentCount - 1, Math.max(0, index));
	}

	#segmentStart(index: number): number {
		return index === 0 ? 0 : FILE_HEADER_BYTES + index * this.segmentBytes;
	}

	/** Segment `index`, asking the worker for it (and the ones after it) if not asked yet. */
	#segment(index: number): Promise<Uint8Array> {
		if (this.#failure) return Promise.reject(this.#failure);
		if (!this.#segments.has(index) && index !== this.#asked + 1) this.#seek(index);
		this.#recycleBefore(index);
		this.#askUpTo(Math.min(this.segmentCount - 1, index + this.#prefetch));
		return this.#segments.get(index)!.promise;
	}

	/** Segments before `index` are done with (see read): their buffers go back to the worker. */
	#recycleBefore(index: number): void {
		const buffers: ArrayBuffer[] = [];
		for (const [held, entry] of this.#segments) {
			if (held >= index) continue;
			this.#segments.delete(held);
			const buffer = entry.bytes?.buffer;
			if (buffer instanceof ArrayBuffer && buffer.byteLength > 0) buffers.push(buffer);
		}
		if (buffers.length > 0) this.#channel.send({ type: 'recycle', buffers }, buffers);
	}

	/** Out of the window (behind it, or past what was asked): a new generation from `index`. */
	#seek(index: number): void {
		this.#generation += 1;
		this.#drop(new Error('dropped'));
		this.#channel.send({ type: 'skip', stream: this.#stream, generation: this.#generation });
		this.#asked = index - 1;
	}

	#askUpTo(last: number): void {
		while (this.#asked < last) {
			const index = ++this.#asked;
			this.#segments.set(index, pending());
			this.#channel.send({
				type: 'seal',
				stream: this.#stream,
				index,
				generation: this.#generation
			});
		}
	}

	#drop(reason: Error): void {
		for (const entry of this.#segments.values()) entry.reject(reason);
		this.#segments.clear();
	}
}

function encryptFailed(detail: string): TransferError {
	return new TransferError(
		'encrypt-failed',
		`This device could not encrypt the file${detail ? `: ${detail}` : '.'}`
	);
}
