// Byte layout of an encrypted file blob: the "TSF" preamble, the secretstream header, and sizes.

import { concatBytes } from './bytes';
import { FormatError } from './errors';
import { Algorithm, FORMAT_VERSION } from './format';

/** Plaintext bytes per chunk: large enough to stream at full speed, small enough for a phone. */
export const FILE_CHUNK_SIZE = 4 * 1024 * 1024;
/** Readers accept any chunk size in this range, so the writer's choice can change without a new version. */
export const FILE_CHUNK_SIZE_MIN = 1024;
export const FILE_CHUNK_SIZE_MAX = 16 * 1024 * 1024;

/** "TSF": Tessera file. */
export const FILE_MAGIC = Uint8Array.of(0x54, 0x53, 0x46);
/** magic (3) | version (1) | algorithm (1) | chunk size, u32 big-endian (4). Authenticated in every chunk. */
export const FILE_PREAMBLE_BYTES = 9;
export const SECRETSTREAM_HEADER_BYTES = 24;
export const FILE_HEADER_BYTES = FILE_PREAMBLE_BYTES + SECRETSTREAM_HEADER_BYTES;
/** Each chunk carries an encrypted tag byte and a 16-byte Poly1305 tag. */
export const FILE_CHUNK_OVERHEAD = 17;

export function checkChunkSize(chunkSize: number): void {
	if (
		!Number.isSafeInteger(chunkSize) ||
		chunkSize < FILE_CHUNK_SIZE_MIN ||
		chunkSize > FILE_CHUNK_SIZE_MAX
	) {
		throw new FormatError(
			'malformed',
			`A file chunk size must be between ${FILE_CHUNK_SIZE_MIN} and ${FILE_CHUNK_SIZE_MAX} bytes, got ${chunkSize}.`
		);
	}
}

export function encodeFilePreamble(chunkSize: number): Uint8Array {
	checkChunkSize(chunkSize);
	const sizeBytes = new Uint8Array(4);
	new DataView(sizeBytes.buffer).setUint32(0, chunkSize, false);
	return concatBytes(FILE_MAGIC, Uint8Array.of(FORMAT_VERSION, Algorithm.secretstream), sizeBytes);
}

/** Validates the 9-byte preamble and returns its chunk size. */
export function parseFilePreamble(preamble: Uint8Array): number {
	if (preamble.length < FILE_PREAMBLE_BYTES) {
		throw new FormatError('malformed', 'This file header is too short to be valid.');
	}
	if (
		preamble[0] !== FILE_MAGIC[0] ||
		preamble[1] !== FILE_MAGIC[1] ||
		preamble[2] !== FILE_MAGIC[2]
	) {
		throw new FormatError('malformed', 'This is not a Tessera encrypted file.');
	}
	if (preamble[3] !== FORMAT_VERSION) {
		throw new FormatError(
			'unknown_version',
			`This file uses format version ${preamble[3]}, which this version of Tessera cannot read.`
		);
	}
	if (preamble[4] !== Algorithm.secretstream) {
		throw new FormatError(
			'unknown_algorithm',
			`This file uses algorithm ${preamble[4]}, which this version of Tessera cannot read.`
		);
	}
	const chunkSize = new DataView(
		preamble.buffer,
		preamble.byteOffset,
		FILE_PREAMBLE_BYTES
	).getUint32(5, false);
	checkChunkSize(chunkSize);
	return chunkSize;
}

/** Exact blob size for a plaintext size: uploads declare it before the first byte is encrypted. */
export function encryptedSize(plainSize: number, chunkSize: number = FILE_CHUNK_SIZE): number {
	if (!Number.isSafeInteger(plainSize) || plainSize < 0) {
		throw new RangeError(`encryptedSize: size must be a non-negative integer, got ${plainSize}`);
	}
	checkChunkSize(chunkSize);
	// An empty file still has one (empty) final chunk; a full last chunk carries the final tag itself.
	const chunks = Math.max(1, Math.ceil(plainSize / chunkSize));
	return FILE_HEADER_BYTES + plainSize + chunks * FILE_CHUNK_OVERHEAD;
}
