// Deterministic, seekable encryption of a file blob: any byte range of the ciphertext, re-derived from the plaintext, key and stored header.

import { assertKey, assertLength, concatBytes } from './bytes';
import {
	checkChunkSize,
	encodeFilePreamble,
	encryptedSize,
	FILE_CHUNK_OVERHEAD,
	FILE_CHUNK_SIZE,
	FILE_HEADER_BYTES,
	SECRETSTREAM_HEADER_BYTES
} from './file-format';
import { getSodium, releaseStreamState, type Sodium } from './sodium';

type StreamState = ReturnType<Sodium['crypto_secretstream_xchacha20poly1305_init_pull']>;

const EMPTY = new Uint8Array(0);

/** Plaintext readable at any offset: a Blob or File, or a reader over some other storage. */
export interface RandomAccessReader {
	readonly size: number;
	/** Bytes [start, end) of the plaintext; must always return the same bytes for a range. */
	read(start: number, end: number): Promise<Uint8Array>;
}

export type PlaintextSource = Blob | RandomAccessReader;

export interface EncryptedFileSourceOptions {
	/** Plaintext bytes per chunk; FILE_CHUNK_SIZE unless a test needs many small chunks. */
	chunkSize?: number;
}

/** The plaintext no longer matches what was queued: encrypting it again would not give the same bytes. */
export class PlaintextChangedError extends Error {
	readonly code = 'plaintext-changed';
	constructor(message = 'This file changed after it was queued; add it again to upload it.') {
		super(message);
		this.name = 'PlaintextChangedError';
	}
}

/**
 * A fresh 24-byte secretstream header for one blob, made by init_push exactly as the streaming
 * encryptor makes it. Generate it once per blob and store it with the queued file: every later
 * EncryptedFileSource for that blob must be opened with this same header.
 */
export async function createStreamHeader(streamKey: Uint8Array): Promise<Uint8Array> {
	assertKey(streamKey, 'File stream key');
	const sodium = await getSodium();
	const { state, header } = sodium.crypto_secretstream_xchacha20poly1305_init_push(streamKey);
	releaseStreamState(sodium, state);
	return header;
}

/** A reader that can also hand over the bytes piece by piece, so they are copied once, where they go. */
interface PieceReader extends RandomAccessReader {
	/** Calls `take` with consecutive pieces of [start, end) and resolves with the bytes delivered. */
	readPieces?(
		start: number,
		end: number,
		take: (piece: Uint8Array, at: number) => void
	): Promise<number>;
}

function readerOf(source: PlaintextSource): PieceReader {
	if (typeof Blob !== 'undefined' && source instanceof Blob) {
		return {
			size: source.size,
			read: async (start, end) => new Uint8Array(await source.slice(start, end).arrayBuffer()),
			// A Blob's stream gives its stored pieces as they are: no whole-range buffer in between.
			async readPieces(start, end, take) {
				const reader = source.slice(start, end).stream().getReader();
				let at = 0;
				for (;;) {
					const { done, value } = await reader.read();
					if (done) return at;
					if (at + value.length > end - start) {
						await reader.cancel();
						return at + value.length;
					}
					take(value, at);
					at += value.length;
				}
			}
		};
	}
	return source as RandomAccessReader;
}

/** libsodium.js's emscripten module, for sealing inside the wasm heap (not in the typings). */
interface SodiumModule {
	HEAPU8: Uint8Array;
	_malloc(size: number): number;
	_free(address: number): void;
	/** (state, c, clen_p, m, mlen low, mlen high, ad, adlen low, adlen high, tag) -> 0 on success */
	_crypto_secretstream_xchacha20poly1305_push(...args: number[]): number;
}

function sodiumModule(sodium: Sodium): SodiumModule | null {
	const module = (sodium as unknown as { libsodium?: Partial<SodiumModule> }).libsodium;
	if (
		module?.HEAPU8 instanceof Uint8Array &&
		typeof module._malloc === 'function' &&
		typeof module._free === 'function' &&
		typeof module._crypto_secretstream_xchacha20poly1305_push === 'function'
	) {
		return module as SodiumModule;
	}
	return null;
}

/**
 * Room in the wasm heap for one chunk in and one out, made once per sealer: the wrapper's push
 * allocates and copies both for every chunk, which at 4 MiB a chunk costs as much as sealing.
 */
interface HeapBuffers {
	module: SodiumModule;
	plaintext: number;
	sealed: number;
	ad: number;
}

/** Ciphertext bytes of one sealed chunk: its plaintext plus the tag byte and the Poly1305 tag. */
export function sealedChunkBytes(chunkSize: number): number {
	return chunkSize + FILE_CHUNK_OVERHEAD;
}

/** How many chunks a plaintext of `plainSize` is sealed in (an empty file still has one). */
export function chunkCountOf(plainSize: number, chunkSize: number): number {
	return Math.max(1, Math.ceil(plainSize / chunkSize));
}

/** Where the ciphertext of one blob comes from: its file header and its sealed chunks by index. */
interface SealedChunks {
	/** Size of the whole encrypted blob in bytes. */
	readonly size: number;
	readonly chunkSize: number;
	/** The 33-byte file header. */
	readonly fileHeader: Uint8Array;
	/** The sealed chunk `index`; the returned bytes must not be changed by the caller. */
	chunk(index: number): Promise<Uint8Array>;
}

/**
 * Bytes [start, end) of the blob, cut from its header and sealed chunks, asked for in increasing
 * index order. A range inside one chunk is a view of that chunk (no copy); others are assembled.
 */
async function readSealedRange(
	blob: SealedChunks,
	start: number,
	end: number
): Promise<Uint8Array> {
	if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end)) {
		throw new RangeError(`EncryptedFileSource: range ${start}-${end} is not integral`);
	}
	end = Math.min(end, blob.size);
	if (start < 0 || start > end) {
		throw new RangeError(`EncryptedFileSource: range ${start}-${end} is outside ${blob.size}`);
	}
	const sealedBytes = sealedChunkBytes(blob.chunkSize);
	const chunkStartOf = (index: number) => FILE_HEADER_BYTES + index * sealedBytes;
	const indexAt = (offset: number) => Math.floor((offset - FILE_HEADER_BYTES) / sealedBytes);
	if (start >= FILE_HEADER_BYTES && start < end && indexAt(start) === indexAt(end - 1)) {
		const index = indexAt(start);
		const sealed = await blob.chunk(index);
		return sealed.subarray(start - chunkStartOf(index), end - chunkStartOf(index));
	}
	const out = new Uint8Array(end - start);
	let at = start;
	if (at < FILE_HEADER_BYTES && at < end) {
		const take = Math.min(end, FILE_HEADER_BYTES);
		out.set(blob.fileHeader.subarray(at, take), 0);
		at = take;
	}
	while (at < end) {
		const index = indexAt(at);
		const sealed = await blob.chunk(index);
		const from = at - chunkStartOf(index);
		const take = Math.min(sealed.length - from, end - at);
		out.set(sealed.subarray(from, from + take), at - start);
		at += take;
	}
	return out;
}

/**
 * Seals the chunks of one blob in order, each on request, identical on every run.
 *
 * Why it is the same stream: libsodium's init_pull(header, key) sets up exactly the state init_push
 * produced for that header (the same HChaCha20 subkey, the counter reset to 1, the inonce from
 * header bytes 16..24), and push only ever reads and advances that state. So pushing the same
 * plaintext chunks with the same AD (the preamble) and tags reproduces the same ciphertext, which
 * the ordinary decryptor opens. That is what makes an upload resumable at any offset the relay
 * reports: the bytes it already holds and the bytes we send next come from one and the same stream.
 *
 * Holds no output: each seal() returns a fresh buffer the caller owns (an encryption worker
 * transfers it to the page without a copy). Asking for the next chunk is the fast path; a chunk
 * before the next restarts the stream at chunk 0 and re-seals up to it, discarding the output,
 * because a secretstream state cannot step back.
 */
export class ChunkSealer {
	readonly plainSize: number;
	readonly chunkSize: number;
	readonly chunkCount: number;
	/** Size of the whole encrypted blob in bytes. */
	readonly size: number;
	readonly fileHeader: Uint8Array;
	readonly #sodium: Sodium;
	readonly #key: Uint8Array;
	readonly #streamHeader: Uint8Array;
	readonly #preamble: Uint8Array;
	readonly #reader: PieceReader;
	#state: StreamState | undefined;
	/** Index of the chunk the state will seal next. */
	#next = 0;
	#sealCount = 0;
	#closed = false;
	#queue: Promise<unknown> = Promise.resolve();
	#heap: HeapBuffers | undefined;

	private constructor(
		sodium: Sodium,
		key: Uint8Array,
		streamHeader: Uint8Array,
		reader: PieceReader,
		chunkSize: number
	) {
		this.#sodium = sodium;
		this.#key = key.slice();
		this.#streamHeader = streamHeader.slice();
		this.#reader = reader;
		this.chunkSize = chunkSize;
		this.plainSize = reader.size;
		this.size = encryptedSize(reader.size, chunkSize);
		this.#preamble = encodeFilePreamble(chunkSize);
		this.fileHeader = concatBytes(this.#preamble, this.#streamHeader);
		this.chunkCount = chunkCountOf(reader.size, chunkSize);
	}

	/**
	 * `streamHeader` is the 24 bytes createStreamHeader returned for this blob. The plaintext must be
	 * the same bytes every time this blob is opened (an immutable Blob): different plaintext under
	 * the same key and header would reuse keystream.
	 */
	static async open(
		streamKey: Uint8Array,
		plaintext: PlaintextSource,
		streamHeader: Uint8Array,
		options: EncryptedFileSourceOptions = {}
	): Promise<ChunkSealer> {
		assertKey(streamKey, 'File stream key');
		assertLength(streamHeader, SECRETSTREAM_HEADER_BYTES, 'Secretstream header');
		const chunkSize = options.chunkSize ?? FILE_CHUNK_SIZE;
		checkChunkSize(chunkSize);
		const reader = readerOf(plaintext);
		if (!Number.isSafeInteger(reader.size) || reader.size < 0) {
			throw new RangeError(`EncryptedFileSource: bad plaintext size ${reader.size}`);
		}
		return new ChunkSealer(await getSodium(), streamKey, streamHeader, reader, chunkSize);
	}

	/** How many chunks were sealed so far, re-sealing after a seek included (for tests and benches). */
	get sealedChunks(): number {
		return this.#sealCount;
	}

	/**
	 * Sealed chunk `index` in a buffer of its own; with `withFileHeader`, the 33-byte file header
	 * comes first in that buffer (bytes 0.. of the blob, for chunk 0). Calls run one at a time.
	 */
	seal(index: number, options: { withFileHeader?: boolean } = {}): Promise<Uint8Array> {
		return this.sealRun(index, 1, options);
	}

	/**
	 * Chunks `first` .. `first + count - 1` (as many as there are) sealed back to back into one
	 * buffer, the file header first with `withFileHeader`: a contiguous range of the blob, such as
	 * one request body, made without a copy beyond the one out of the heap. `allocate` gives the
	 * buffer to fill (exactly `length` bytes, all of them written), e.g. a recycled one. Calls run
	 * one at a time.
	 */
	sealRun(
		first: number,
		count: number,
		options: { withFileHeader?: boolean; allocate?: (length: number) => Uint8Array } = {}
	): Promise<Uint8Array> {
		const prefix = options.withFileHeader ? this.fileHeader : EMPTY;
		const allocate = options.allocate ?? ((length: number) => new Uint8Array(length));
		const run = this.#queue.then(() => this.#sealRun(first, count, prefix, allocate));
		this.#queue = run.catch(() => undefined);
		return run;
	}

	/** Wipes the key copy and frees the wasm state and buffers; seals after this fail. */
	close(): void {
		if (this.#closed) return;
		this.#closed = true;
		this.#release();
		this.#key.fill(0);
		if (this.#heap) {
			const { module, plaintext, sealed, ad } = this.#heap;
			// The plaintext and ciphertext of the last chunk are not left in the heap for the next user.
			module.HEAPU8.fill(0, plaintext, plaintext + this.chunkSize);
			module.HEAPU8.fill(0, sealed, sealed + sealedChunkBytes(this.chunkSize));
			module._free(plaintext);
			module._free(sealed);
			module._free(ad);
			this.#heap = undefined;
		}
	}

	async #sealRun(
		first: number,
		count: number,
		prefix: Uint8Array,
		allocate: (length: number) => Uint8Array
	): Promise<Uint8Array> {
		if (this.#closed) throw new Error('EncryptedFileSource used after close');
		if (!Number.isSafeInteger(first) || first < 0 || first >= this.chunkCount) {
			throw new RangeError(`no chunk ${first}`);
		}
		if (!Number.isSafeInteger(count) || count < 1) throw new RangeError(`bad chunk count ${count}`);
		const last = Math.min(this.chunkCount, first + count) - 1;
		if (this.#state === undefined || first < this.#next) this.#restart();
		// Intermediate chunks are sealed only to advance the state; their output is dropped.
		while (this.#next < first) await this.#sealNext(null, 0);
		const end =
			FILE_HEADER_BYTES +
			Math.min(this.plainSize, (last + 1) * this.chunkSize) +
			(last + 1) * FILE_CHUNK_OVERHEAD;
		const start = FILE_HEADER_BYTES + first * sealedChunkBytes(this.chunkSize);
		const out = allocate(prefix.length + end - start);
		if (out.length !== prefix.length + end - start) throw new RangeError('wrong output size');
		out.set(prefix, 0);
		let at = prefix.length;
		while (this.#next <= last) at += await this.#sealNext(out, at);
		return out;
	}

	/** Seals the next chunk into `out` at `at` (or nowhere, to advance); returns its sealed length. */
	async #sealNext(out: Uint8Array | null, at: number): Promise<number> {
		const index = this.#next;
		const from = index * this.chunkSize;
		const to = Math.min(this.plainSize, from + this.chunkSize);
		const sodium = this.#sodium;
		const tag =
			index === this.chunkCount - 1
				? sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL
				: sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE;
		const heap = this.#heapBuffers();
		const sealed = heap
			? await this.#sealInHeap(heap, from, to, tag, out, at)
			: await this.#sealWithWrapper(from, to, tag, out, at);
		this.#next = index + 1;
		this.#sealCount += 1;
		return sealed;
	}

	/** The plaintext read straight into the heap, sealed there, copied out once to where it goes. */
	async #sealInHeap(
		heap: HeapBuffers,
		from: number,
		to: number,
		tag: number,
		out: Uint8Array | null,
		at: number
	): Promise<number> {
		const { module } = heap;
		const length = to - from;
		let got: number;
		if (this.#reader.readPieces) {
			// HEAPU8 is looked up for every piece: the heap may have grown (and moved) meanwhile.
			// After close() the buffers are freed: a late piece must not land in someone else's memory.
			got = await this.#reader.readPieces(from, to, (piece, offset) => {
				if (!this.#closed) module.HEAPU8.set(piece, heap.plaintext + offset);
			});
		} else {
			const plaintext = await this.#reader.read(from, to);
			got = plaintext instanceof Uint8Array ? plaintext.length : -1;
			if (got === length) module.HEAPU8.set(plaintext, heap.plaintext);
		}
		if (this.#closed) throw new Error('EncryptedFileSource used after close');
		if (got !== length) throw new PlaintextChangedError();
		const sealedLength = length + FILE_CHUNK_OVERHEAD;
		const failed = module._crypto_secretstream_xchacha20poly1305_push(
			this.#state as unknown as number,
			heap.sealed,
			0,
			heap.plaintext,
			length,
			0,
			heap.ad,
			this.#preamble.length,
			0,
			tag
		);
		if (failed !== 0) throw new Error('secretstream push failed');
		out?.set(module.HEAPU8.subarray(heap.sealed, heap.sealed + sealedLength), at);
		return sealedLength;
	}

	async #sealWithWrapper(
		from: number,
		to: number,
		tag: number,
		out: Uint8Array | null,
		at: number
	): Promise<number> {
		const plaintext = await this.#reader.read(from, to);
		if (this.#closed) throw new Error('EncryptedFileSource used after close');
		if (!(plaintext instanceof Uint8Array) || plaintext.length !== to - from) {
			throw new PlaintextChangedError();
		}
		const sealed = this.#sodium.crypto_secretstream_xchacha20poly1305_push(
			this.#state!,
			plaintext,
			this.#preamble,
			tag
		);
		out?.set(sealed, at);
		return sealed.length;
	}

	/** The heap buffers, made on first use; null where libsodium.js does not expose its heap. */
	#heapBuffers(): HeapBuffers | null {
		if (this.#heap) return this.#heap;
		const module = sodiumModule(this.#sodium);
		if (!module || typeof this.#state !== 'number') return null;
		const plaintext = module._malloc(Math.max(1, this.chunkSize));
		const sealed = module._malloc(sealedChunkBytes(this.chunkSize));
		const ad = module._malloc(this.#preamble.length);
		if (!plaintext || !sealed || !ad) {
			for (const address of [plaintext, sealed, ad]) if (address) module._free(address);
			return null;
		}
		module.HEAPU8.set(this.#preamble, ad);
		this.#heap = { module, plaintext, sealed, ad };
		return this.#heap;
	}

	#restart(): void {
		this.#release();
		// init_pull from the stored header recreates init_push's state for it (see the class comment).
		this.#state = this.#sodium.crypto_secretstream_xchacha20poly1305_init_pull(
			this.#streamHeader,
			this.#key
		);
		this.#next = 0;
	}

	#release(): void {
		releaseStreamState(this.#sodium, this.#state);
		this.#state = undefined;
	}
}

/**
 * The encrypted blob of one plaintext, addressable by ciphertext byte range, identical on every run
 * (a ChunkSealer, see there why). Sealing happens on the calling thread; the upload queue prefers
 * an encryption worker (transfer/pipelined-source.ts), which serves the same bytes.
 *
 * Holds one sealed chunk. Reading forward is the fast path (each chunk is sealed once); a range
 * that starts before the cached chunk restarts the stream at chunk 0 and re-seals up to it.
 */
export class EncryptedFileSource implements SealedChunks {
	/** Size of the whole encrypted blob in bytes. */
	readonly size: number;
	readonly plainSize: number;
	readonly chunkSize: number;
	readonly fileHeader: Uint8Array;
	readonly #sealer: ChunkSealer;
	#cached: { index: number; sealed: Uint8Array } | undefined;
	#closed = false;
	#queue: Promise<unknown> = Promise.resolve();

	private constructor(sealer: ChunkSealer) {
		this.#sealer = sealer;
		this.size = sealer.size;
		this.plainSize = sealer.plainSize;
		this.chunkSize = sealer.chunkSize;
		this.fileHeader = sealer.fileHeader;
	}

	/**
	 * `streamHeader` is the 24 bytes createStreamHeader returned for this blob. The plaintext must be
	 * the same bytes every time this blob is opened (an immutable Blob): different plaintext under
	 * the same key and header would reuse keystream.
	 */
	static async open(
		streamKey: Uint8Array,
		plaintext: PlaintextSource,
		streamHeader: Uint8Array,
		options: EncryptedFileSourceOptions = {}
	): Promise<EncryptedFileSource> {
		return new EncryptedFileSource(
			await ChunkSealer.open(streamKey, plaintext, streamHeader, options)
		);
	}

	/** How many chunks were sealed so far, re-sealing after a seek included (for tests and benches). */
	get sealedChunks(): number {
		return this.#sealer.sealedChunks;
	}

	/** The exact ciphertext bytes [start, end) of the encrypted blob. Calls run one at a time. */
	read(start: number, end: number): Promise<Uint8Array> {
		const run = this.#queue.then(() => {
			if (this.#closed) throw new Error('EncryptedFileSource used after close');
			return readSealedRange(this, start, end);
		});
		this.#queue = run.catch(() => undefined);
		return run;
	}

	/** The sealed chunk `index` (the cached one, or sealed now). */
	async chunk(index: number): Promise<Uint8Array> {
		if (this.#cached?.index === index) return this.#cached.sealed;
		this.#cached = undefined;
		const sealed = await this.#sealer.seal(index);
		this.#cached = { index, sealed };
		return sealed;
	}

	/** Wipes the key copy and frees the wasm state; reads after this fail. */
	close(): void {
		if (this.#closed) return;
		this.#closed = true;
		this.#sealer.close();
		this.#cached = undefined;
	}
}
