// Encrypted file blobs: secretstream XChaCha20-Poly1305 in fixed-size chunks, as WHATWG streams and for small byte arrays.

import { assertKey, concatBytes } from './bytes';
import { DecryptError, FormatError, StreamError } from './errors';
import {
	encodeFilePreamble,
	encryptedSize,
	FILE_CHUNK_OVERHEAD,
	FILE_CHUNK_SIZE,
	FILE_HEADER_BYTES,
	FILE_MAGIC,
	FILE_PREAMBLE_BYTES,
	parseFilePreamble
} from './file-format';
import { getSodium, releaseStreamState, type Sodium } from './sodium';
import { deriveSubkey } from './subkey';

type Emit = (bytes: Uint8Array) => void;
type StreamState = ReturnType<Sodium['crypto_secretstream_xchacha20poly1305_init_pull']>;

export interface FileStreamOptions {
	/** Plaintext bytes per chunk; FILE_CHUNK_SIZE unless a test needs many small chunks. */
	chunkSize?: number;
}

/** Small files start with a small buffer; it grows up to one chunk. */
const INITIAL_BUFFER_BYTES = 64 * 1024;

/**
 * Holds at most one chunk. A full chunk is sealed only once more input arrives, because the last
 * chunk must carry TAG_FINAL and we cannot know it is the last before the input ends.
 */
class FileEncryptor {
	readonly header: Uint8Array;
	private readonly preamble: Uint8Array;
	private state: StreamState | undefined;
	private buffer: Uint8Array;
	private filled = 0;

	constructor(
		private readonly sodium: Sodium,
		key: Uint8Array,
		private readonly chunkSize: number
	) {
		this.preamble = encodeFilePreamble(chunkSize);
		const { state, header } = sodium.crypto_secretstream_xchacha20poly1305_init_push(key);
		this.state = state;
		this.header = concatBytes(this.preamble, header);
		this.buffer = new Uint8Array(Math.min(chunkSize, INITIAL_BUFFER_BYTES));
	}

	write(input: Uint8Array, emit: Emit): void {
		let offset = 0;
		while (offset < input.length) {
			if (this.filled === this.chunkSize) {
				emit(this.seal(this.buffer, false));
				this.filled = 0;
			}
			// Whole chunks with more input behind them are sealed straight from the input, no copy.
			while (this.filled === 0 && input.length - offset > this.chunkSize) {
				emit(this.seal(input.subarray(offset, offset + this.chunkSize), false));
				offset += this.chunkSize;
			}
			const take = Math.min(this.chunkSize - this.filled, input.length - offset);
			this.reserve(this.filled + take);
			this.buffer.set(input.subarray(offset, offset + take), this.filled);
			this.filled += take;
			offset += take;
		}
	}

	end(emit: Emit): void {
		emit(this.seal(this.buffer.subarray(0, this.filled), true));
		this.dispose();
	}

	dispose(): void {
		releaseStreamState(this.sodium, this.state);
		this.state = undefined;
	}

	private seal(plaintext: Uint8Array, final: boolean): Uint8Array {
		if (this.state === undefined) throw new Error('FileEncryptor used after it ended');
		const { sodium } = this;
		return sodium.crypto_secretstream_xchacha20poly1305_push(
			this.state,
			plaintext,
			this.preamble,
			final
				? sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL
				: sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE
		);
	}

	private reserve(size: number): void {
		if (size <= this.buffer.length) return;
		const grown = new Uint8Array(Math.min(this.chunkSize, Math.max(size, this.buffer.length * 2)));
		grown.set(this.buffer.subarray(0, this.filled));
		this.buffer = grown;
	}
}

/**
 * Mirror of FileEncryptor: reads the header, then opens one sealed chunk at a time. Plaintext of a
 * chunk is emitted only after that chunk authenticated; a later failure still errors the stream,
 * so consumers must discard everything on error.
 */
class FileDecryptor {
	private readonly headerBytes = new Uint8Array(FILE_HEADER_BYTES);
	private headerFilled = 0;
	private preamble: Uint8Array | undefined;
	private state: StreamState | undefined;
	private sealedChunkSize = 0;
	private buffer = new Uint8Array(0);
	private filled = 0;

	constructor(
		private readonly sodium: Sodium,
		private readonly key: Uint8Array
	) {}

	write(input: Uint8Array, emit: Emit): void {
		let offset = this.readHeader(input);
		if (offset === input.length) return;
		while (offset < input.length) {
			if (this.filled === this.sealedChunkSize) {
				this.open(this.buffer, false, emit);
				this.filled = 0;
			}
			while (this.filled === 0 && input.length - offset > this.sealedChunkSize) {
				this.open(input.subarray(offset, offset + this.sealedChunkSize), false, emit);
				offset += this.sealedChunkSize;
			}
			const take = Math.min(this.sealedChunkSize - this.filled, input.length - offset);
			this.reserve(this.filled + take);
			this.buffer.set(input.subarray(offset, offset + take), this.filled);
			this.filled += take;
			offset += take;
		}
	}

	end(emit: Emit): void {
		const seen = this.headerBytes.subarray(0, Math.min(this.headerFilled, FILE_MAGIC.length));
		if (seen.some((byte, i) => byte !== FILE_MAGIC[i])) {
			throw new FormatError('malformed', 'This is not a Tessera encrypted file.');
		}
		if (this.state === undefined || this.filled < FILE_CHUNK_OVERHEAD) {
			this.dispose();
			throw truncated();
		}
		this.open(this.buffer.subarray(0, this.filled), true, emit);
		this.dispose();
	}

	dispose(): void {
		releaseStreamState(this.sodium, this.state);
		this.state = undefined;
	}

	/** Consumes header bytes from `input`; returns the offset where chunk data starts. */
	private readHeader(input: Uint8Array): number {
		if (this.headerFilled === FILE_HEADER_BYTES) return 0;
		const take = Math.min(FILE_HEADER_BYTES - this.headerFilled, input.length);
		this.headerBytes.set(input.subarray(0, take), this.headerFilled);
		const before = this.headerFilled;
		this.headerFilled += take;
		// Reject a foreign blob as soon as its preamble is in, before buffering a chunk of it.
		if (before < FILE_PREAMBLE_BYTES && this.headerFilled >= FILE_PREAMBLE_BYTES) {
			const chunkSize = parseFilePreamble(this.headerBytes.subarray(0, FILE_PREAMBLE_BYTES));
			this.preamble = this.headerBytes.slice(0, FILE_PREAMBLE_BYTES);
			this.sealedChunkSize = chunkSize + FILE_CHUNK_OVERHEAD;
		}
		if (this.headerFilled === FILE_HEADER_BYTES) {
			this.state = this.sodium.crypto_secretstream_xchacha20poly1305_init_pull(
				this.headerBytes.subarray(FILE_PREAMBLE_BYTES),
				this.key
			);
		}
		return take;
	}

	private open(sealed: Uint8Array, last: boolean, emit: Emit): void {
		const { sodium } = this;
		if (this.state === undefined) throw new Error('FileDecryptor used after it ended');
		let result: { message: Uint8Array; tag: number } | false;
		try {
			result = sodium.crypto_secretstream_xchacha20poly1305_pull(
				this.state,
				sealed,
				this.preamble ?? null
			);
		} catch {
			result = false;
		}
		if (result === false) {
			this.dispose();
			throw new DecryptError(
				'This file could not be decrypted: it is damaged, was swapped for another, or the key is wrong.'
			);
		}
		const isFinal = result.tag === sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL;
		if (!isFinal && result.tag !== sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE) {
			this.dispose();
			throw new FormatError(
				'malformed',
				`This file contains a chunk with unexpected tag ${result.tag}.`
			);
		}
		if (isFinal && !last) {
			this.dispose();
			throw trailingData();
		}
		if (!isFinal && last) {
			this.dispose();
			throw truncated();
		}
		emit(result.message);
	}

	private reserve(size: number): void {
		if (size <= this.buffer.length) return;
		const grown = new Uint8Array(
			Math.min(this.sealedChunkSize, Math.max(size, this.buffer.length * 2, INITIAL_BUFFER_BYTES))
		);
		grown.set(this.buffer.subarray(0, this.filled));
		this.buffer = grown;
	}
}

function truncated(): StreamError {
	return new StreamError('stream_truncated', 'This file is incomplete: its end is missing.');
}

function trailingData(): StreamError {
	return new StreamError('stream_trailing_data', 'This file has unexpected data after its end.');
}

function assertBytes(chunk: unknown): asserts chunk is Uint8Array {
	if (!(chunk instanceof Uint8Array)) throw new TypeError('File streams carry Uint8Array chunks');
}

/**
 * Plaintext in any piece sizes -> the encrypted blob (header first, then one piece per chunk). Holds
 * at most one chunk of plaintext at a time.
 */
export function createEncryptStream(
	streamKey: Uint8Array,
	options: FileStreamOptions = {}
): TransformStream<Uint8Array, Uint8Array> {
	assertKey(streamKey, 'File stream key');
	const chunkSize = options.chunkSize ?? FILE_CHUNK_SIZE;
	encodeFilePreamble(chunkSize);
	let encryptor: FileEncryptor | undefined;
	return new TransformStream<Uint8Array, Uint8Array>({
		async start(controller) {
			encryptor = new FileEncryptor(await getSodium(), streamKey, chunkSize);
			controller.enqueue(encryptor.header);
		},
		transform(chunk, controller) {
			assertBytes(chunk);
			encryptor!.write(chunk, (out) => controller.enqueue(out));
		},
		flush(controller) {
			encryptor!.end((out) => controller.enqueue(out));
		}
	});
}

/**
 * Encrypted blob in any piece sizes -> plaintext, one piece per authenticated chunk. Errors with
 * DecryptError (wrong key, changed/reordered/duplicated chunk), StreamError (cut short, data after
 * the end) or FormatError (not a Tessera file).
 */
export function createDecryptStream(
	streamKey: Uint8Array
): TransformStream<Uint8Array, Uint8Array> {
	assertKey(streamKey, 'File stream key');
	let decryptor: FileDecryptor | undefined;
	return new TransformStream<Uint8Array, Uint8Array>({
		async start() {
			decryptor = new FileDecryptor(await getSodium(), streamKey);
		},
		transform(chunk, controller) {
			assertBytes(chunk);
			decryptor!.write(chunk, (out) => controller.enqueue(out));
		},
		flush(controller) {
			decryptor!.end((out) => controller.enqueue(out));
		}
	});
}

/** Whole-buffer form for small files (thumbnails, posters); same blob format as the stream. */
export async function encryptFile(
	plaintext: Uint8Array,
	streamKey: Uint8Array,
	options: FileStreamOptions = {}
): Promise<Uint8Array> {
	assertKey(streamKey, 'File stream key');
	const chunkSize = options.chunkSize ?? FILE_CHUNK_SIZE;
	const encryptor = new FileEncryptor(await getSodium(), streamKey, chunkSize);
	const out = new Uint8Array(encryptedSize(plaintext.length, chunkSize));
	let offset = 0;
	const emit = (bytes: Uint8Array) => {
		out.set(bytes, offset);
		offset += bytes.length;
	};
	emit(encryptor.header);
	encryptor.write(plaintext, emit);
	encryptor.end(emit);
	return out;
}

/** Returns the plaintext only if the whole blob authenticated; nothing partial. */
export async function decryptFile(blob: Uint8Array, streamKey: Uint8Array): Promise<Uint8Array> {
	assertKey(streamKey, 'File stream key');
	const decryptor = new FileDecryptor(await getSodium(), streamKey);
	const pieces: Uint8Array[] = [];
	const emit = (bytes: Uint8Array) => void pieces.push(bytes);
	try {
		decryptor.write(blob, emit);
		decryptor.end(emit);
	} finally {
		decryptor.dispose();
	}
	return pieces.length === 1 ? pieces[0]! : concatBytes(...pieces);
}

export interface FileSubkeys {
	original: Uint8Array;
	thumbnail: Uint8Array;
	preview: Uint8Array;
}

/** One fileKey per photo; its original, thumbnail and preview are separate streams under distinct subkeys. */
export async function fileSubkeys(fileKey: Uint8Array): Promise<FileSubkeys> {
	return {
		original: await deriveSubkey(fileKey, 'file/original'),
		thumbnail: await deriveSubkey(fileKey, 'file/thumbnail'),
		preview: await deriveSubkey(fileKey, 'file/preview')
	};
}
