// tus-js-client's fileReader over an EncryptedFileSource: each slice it asks for is ciphertext made on the spot.

import type { FileReader, FileSource, SliceResult } from 'tus-js-client';
import type { EncryptedFileSource } from '../crypto';

/**
 * A slice body both of tus-js-client's HTTP stacks send as-is: XMLHttpRequest takes a Uint8Array,
 * the Node stack writes it; both read `size` to know how many bytes a slice holds.
 */
type SliceBody = Uint8Array & { size: number };

/**
 * One reader per upload: tus-js-client calls openFile once per start() and then slice() for each
 * PATCH body (8 MiB), front to back, or from the relay's offset after a HEAD. The source is owned
 * by the caller, which closes it when the upload ends; tus's close() is ignored so a retry after a
 * pause can reopen.
 */
export function encryptedFileReader(source: EncryptedFileSource): FileReader {
	const file: FileSource = {
		size: source.size,
		async slice(start: number, end: number): Promise<SliceResult> {
			const bytes = await source.read(start, Math.min(end, source.size));
			const value: SliceBody = Object.assign(bytes, { size: bytes.length });
			return { value, done: end >= source.size };
		},
		close() {}
	};
	return { openFile: async () => file };
}
