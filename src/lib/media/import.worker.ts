// The import worker: decodes, renders and hashes off the page's thread, one message per file.

import { analyzeImage } from './analyze-image';
import { hashContent } from './content-hash';
import { MediaImportError } from './errors';
import type { WorkerReply, WorkerRequest, WorkerResult } from './types';
import { readVideoMetadata } from './video-metadata';

/** Videos in ISO base media files, whose moov box video-metadata.ts reads (not WebM). */
const ISO_VIDEO_TYPES = new Set(['video/mp4', 'video/quicktime', 'video/3gpp', 'video/3gpp2']);

const scope = self as unknown as {
	onmessage: ((event: MessageEvent<WorkerRequest>) => void) | null;
	postMessage(message: WorkerReply, transfer?: Transferable[]): void;
};

/** Jobs in flight, so a cancel message can stop one between its steps. */
const running = new Map<number, AbortController>();

scope.onmessage = (event) => {
	const request = event.data;
	if (request.type === 'cancel') {
		running.get(request.id)?.abort();
		return;
	}
	const controller = new AbortController();
	running.set(request.id, controller);
	void run(request, controller.signal)
		.then((result) => {
			scope.postMessage({ id: request.id, ok: true, result }, transferables(result));
		})
		.catch((cause: unknown) => {
			const error =
				cause instanceof MediaImportError
					? cause
					: new MediaImportError(
							'worker-failed',
							`Import failed: ${cause instanceof Error ? cause.message : String(cause)}`
						);
			scope.postMessage({ id: request.id, ok: false, code: error.code, message: error.message });
		})
		.finally(() => running.delete(request.id));
};

async function run(
	request: Exclude<WorkerRequest, { type: 'cancel' }>,
	signal: AbortSignal
): Promise<WorkerResult> {
	if (request.type === 'analyze-video') {
		const { file } = request;
		const [contentHash, metadata] = await Promise.all([
			hashContent(file, { signal }),
			ISO_VIDEO_TYPES.has(request.mime)
				? readVideoMetadata(
						(offset, length) =>
							file
								.slice(offset, offset + length)
								.arrayBuffer()
								.then((buffer) => new Uint8Array(buffer)),
						file.size
					).catch(() => null)
				: null
		]);
		return { type: 'analyze-video', metadata, contentHash };
	}
	// Hashing reads the file on this thread while the browser decodes it on its own threads.
	const [analysis, contentHash] = await Promise.all([
		analyzeImage({
			file: request.file,
			mime: request.mime,
			lastModified: request.lastModified,
			signal
		}),
		hashContent(request.file, { signal })
	]);
	return { type: 'analyze-image', analysis, contentHash };
}

/** The result's byte buffers, moved to the page instead of copied. */
function transferables(result: WorkerResult): Transferable[] {
	const arrays = [result.contentHash];
	if (result.type === 'analyze-image') {
		const { thumb, preview, thumbhash } = result.analysis;
		if (thumb) arrays.push(thumb.bytes);
		if (preview) arrays.push(preview.bytes);
		if (thumbhash) arrays.push(thumbhash);
	}
	// A buffer may be listed once only, and only when the array owns all of it.
	const buffers = new Set<ArrayBuffer>();
	for (const array of arrays) {
		if (array.buffer instanceof ArrayBuffer && array.byteLength === array.buffer.byteLength) {
			buffers.add(array.buffer);
		}
	}
	return [...buffers];
}
