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

function readerOf(source: PlaintextSource): RandomAccessReader {
	if (typeof Blob !== 'undefined' && source instanceof Blob) {
		return {
			size: source.size,
			read: async (start, end) => new Uint8Array(await source.slice(start, end).arrayBuffer())
		};
	}
	return source as RandomAccessReader;
}

/**
 * The encrypted blob of one plaintext, addressable by ciphertext byte range, identical on every run.
 *
 * Why it is the same stream: libsodium's init_pull(header, key) sets up exactly the state init_push
 * produced for that header (the same HChaCha20 subkey, the counter reset to 1, the inonce from
 * header bytes 16..24), and push only ever reads and advances that state. So pushing the same
 * plaintext chunks with the same AD (the preamble) and tags reproduces the same ciphertext, which
 * the ordinary decryptor opens. That is what makes an upload resumable at any offset the relay
 * reports: the bytes it already holds and the bytes we send next come from one and the same stream.
 *
 * Holds one sealed chunk. Reading forward is the fast path (each chunk is sealed once); a range
 * that starts before the cached chunk restarts the stream at chunk 0 and re-seals up to it,
 * discarding the output, because a secretstream state cannot step back.
 */
export class EncryptedFileSource {
	/** Size of the whole encrypted blob in bytes. */
	readonly size: number;
	readonly plainSize: number;
	readonly chunkSize: number;
	readonly #sodium: Sodium;
	readonly #key: Uint8Array;
	readonly #streamHeader: Uint8Array;
	readonly #fileHeader: Uint8Array;
	readonly #preamble: Uint8Array;
	readonly #reader: RandomAccessReader;
	readonly #chunkCount: number;
	#state: StreamState | undefined;
	/** Index of the chunk the state will seal next. */
	#next = 0;
	#cached: { index: number; sealed: Uint8Array } | undefined;
	#sealCount = 0;
	#closed = false;
	#queue: Promise<unknown> = Promise.resolve();

	private constructor(
		sodium: Sodium,
		key: Uint8Array,
		streamHeader: Uint8Array,
		reader: RandomAccessReader,
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
		this.#fileHeader = concatBytes(this.#preamble, this.#streamHeader);
		this.#chunkCount = Math.max(1, Math.ceil(reader.size / chunkSize));
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
		assertKey(streamKey, 'File stream key');
		assertLength(streamHeader, SECRETSTREAM_HEADER_BYTES, 'Secretstream header');
		const chunkSize = options.chunkSize ?? FILE_CHUNK_SIZE;
		checkChunkSize(chunkSize);
		const reader = readerOf(plaintext);
		if (!Number.isSafeInteger(reader.size) || reader.size < 0) {
			throw new RangeError(`EncryptedFileSource: bad plaintext size ${reader.size}`);
		}
		return new EncryptedFileSource(await getSodium(), streamKey, streamHeader, reader, chunkSize);
	}

	/** How many chunks were sealed so far, re-sealing after a seek included (for tests and benches). */
	get sealedChunks(): number {
		return this.#sealCount;
	}

	/** The exact ciphertext bytes [start, end) of the encrypted blob. Calls run one at a time. */
	read(start: number, end: number): Promise<Uint8Array> {
		const run = this.#queue.then(() => this.#read(start, end));
		this.#queue = run.catch(() => undefined);
		return run;
	}

	/** Wipes the key copy and frees the wasm state; reads after this fail. */
	close(): void {
		if (this.#closed) return;
		this.#closed = true;
		this.#release();
		this.#cached = undefined;
		this.#key.fill(0);
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
		const out = new Uint8Array(end - start);
		let at = start;
		if (at < FILE_HEADER_BYTES && at < end) {
			const take = Math.min(end, FILE_HEADER_BYTES);
			out.set(this.#fileHeader.subarray(at, take), 0);
			at = take;
		}
		const sealedChunkBytes = this.chunkSize + FILE_CHUNK_OVERHEAD;
		while (at < end) {
			const index = Math.floor((at - FILE_HEADER_BYTES) / sealedChunkBytes);
			const chunkStart = FILE_HEADER_BYTES + index * sealedChunkBytes;
			const sealed = await this.#sealedChunk(index);
			const from = at - chunkStart;
			const take = Math.min(sealed.length - from, end - at);
			out.set(sealed.subarray(from, from + take), at - start);
			at += take;
		}
		return out;
	}

	async #sealedChunk(index: number): Promise<Uint8Array> {
		if (this.#cached?.index === index) return this.#cached.sealed;
		if (index >= this.#chunkCount) throw new RangeError(`no chunk ${index}`);
		if (this.#state === undefined || index < this.#next) this.#restart();
		while (this.#next <= index) {
			// Intermediate chunks are sealed only to advance the state; one chunk is held at a time.
			const sealed = await this.#sealNext();
			if (this.#next - 1 === index) this.#cached = { index, sealed };
		}
		return this.#cached!.sealed;
	}

	async #sealNext(): Promise<Uint8Array> {
		const index = this.#next;
		const from = index * this.chunkSize;
		const to = Math.min(this.plainSize, from + this.chunkSize);
		this.#cached = undefined;
		const plaintext = await this.#reader.read(from, to);
		if (this.#closed) throw new Error('EncryptedFileSource used after close');
		if (!(plaintext instanceof Uint8Array) || plaintext.length !== to - from) {
			throw new PlaintextChangedError();
		}
		const sodium = this.#sodium;
		const final = index === this.#chunkCount - 1;
		const sealed = sodium.crypto_secretstream_xchacha20poly1305_push(
			this.#state!,
			plaintext,
			this.#preamble,
			final
				? sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL
				: sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE
		);
		this.#next = index + 1;
		this.#sealCount += 1;
		return sealed;
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
