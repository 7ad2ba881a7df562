// Content hashes of originals (BLAKE2b-256, streamed in pieces): the library's way to spot a file imported twice.

import { getSodium } from '../crypto';
import { throwIfAborted } from './errors';

export const CONTENT_HASH_BYTES = 32;
/** Bytes read and hashed at a time: large enough to amortise each call into wasm, small enough for phones. */
export const HASH_PIECE_BYTES = 4 * 1024 * 1024;

export interface HashOptions {
	signal?: AbortSignal;
	/** Piece size, 1 KiB to 64 MiB; HASH_PIECE_BYTES by default. */
	pieceBytes?: number;
	/**
	 * A 16-64 byte key for a keyed hash. An unkeyed hash of a file is the same for everyone, so
	 * whoever sees it can test whether a user has a known file; a hash that leaves the device must be
	 * keyed (with a per-account key) or travel encrypted.
	 */
	key?: Uint8Array;
}

/** BLAKE2b-256 of every byte of `source`, read piece by piece (a 4 GB video never sits in memory). */
export async function hashContent(
	source: Blob | Uint8Array,
	options: HashOptions = {}
): Promise<Uint8Array> {
	const pieceBytes = options.pieceBytes ?? HASH_PIECE_BYTES;
	if (!Number.isInteger(pieceBytes) || pieceBytes < 1024 || pieceBytes > 64 * 1024 * 1024) {
		throw new RangeError(`pieceBytes must be 1 KiB to 64 MiB, got ${pieceBytes}`);
	}
	throwIfAborted(options.signal);
	const sodium = await getSodium();
	const size = source instanceof Uint8Array ? source.length : source.size;
	const read = (offset: number): Promise<Uint8Array> =>
		source instanceof Uint8Array
			? Promise.resolve(source.subarray(offset, offset + pieceBytes))
			: source
					.slice(offset, offset + pieceBytes)
					.arrayBuffer()
					.then((buffer) => new Uint8Array(buffer));

	const state = sodium.crypto_generichash_init(options.key ?? null, CONTENT_HASH_BYTES);
	let finished = false;
	try {
		// The next piece is read while this one is hashed: disk and CPU overlap.
		let next = size > 0 ? read(0) : null;
		for (let offset = 0; next;) {
			const piece = await next;
			offset += piece.length;
			next = offset < size && piece.length > 0 ? read(offset) : null;
			throwIfAborted(options.signal);
			sodium.crypto_generichash_update(state, piece);
		}
		finished = true;
		return sodium.crypto_generichash_final(state, CONTENT_HASH_BYTES);
	} finally {
		// _final frees libsodium's state; call it on the way out of a failed read too.
		if (!finished) sodium.crypto_generichash_final(state, CONTENT_HASH_BYTES);
	}
}
