// tus-js-client's fileReader over an encrypted blob: each slice it asks for is ciphertext, sealed ahead or on the spot.

import type { FileReader, FileSource, SliceResult } from 'tus-js-client';

/** Any byte range of one blob's ciphertext: an EncryptedFileSource or a PipelinedFileSource. */
export interface CiphertextSource {
	readonly size: number;
	read(start: number, end: number): Promise<Uint8Array>;
	/** Where a request body from `start` should end, at most `end` (on a boundary it holds whole). */
	bodyEnd?(start: number, end: number): number;
}

/**
 * A slice body both of tus-js-client's HTTP stacks send as-is: XMLHttpRequest takes a Uint8Array,
 * the Node stack writes it; both read `size` to know how many bytes a slice holds.
 */
type SliceBody = Uint8Array & { size: number };

/**
 * One reader per upload: tus-js-client calls openFile once per start() and then slice() for each
 * PATCH body (up to 8 MiB), front to back, or from the relay's offset after a HEAD. A slice may
 * be shorter than asked (the source's bodyEnd: whole sealed segments, sent without a copy): tus
 * sends what it gets and continues at the offset the relay acknowledges. The source is owned by
 * the caller, which closes it when the upload ends; tus's close() is ignored so a retry after a
 * pause can reopen.
 */
export function encryptedFileReader(source: CiphertextSource): FileReader {
	const file: FileSource = {
		size: source.size,
		async slice(start: number, end: number): Promise<SliceResult> {
			end = Math.min(end, source.size);
			if (source.bodyEnd) end = source.bodyEnd(start, end);
			const bytes = await source.read(start, end);
			const value: SliceBody = Object.assign(bytes, { size: bytes.length });
			return { value, done: start + bytes.length >= source.size };
		},
		close() {}
	};
	return { openFile: async () => file };
}
