// The worker's side of encryption: one ChunkSealer per open stream, seal requests answered in order.

import { ChunkSealer, PlaintextChangedError } from '../crypto/file-source';
import type { EncryptReply, EncryptRequest } from './encrypt-messages';

type Post = (reply: EncryptReply, transfer: Transferable[]) => void;

/** Returned buffers kept for reuse at most: about one per upload running at once. */
const MAX_RECYCLED = 4;

interface Stream {
	sealer: Promise<ChunkSealer>;
	segmentChunks: number;
	pending: Extract<EncryptRequest, { type: 'seal' }>[];
	/** Requests of earlier generations are dropped unanswered: the page no longer wants them. */
	generation: number;
	running: boolean;
	closed: boolean;
}

/**
 * Returns the handler of the page's requests. Runs in a module worker (encrypt.worker.ts), a Node
 * worker thread (encrypt-node-worker.ts) or, where neither exists, on the page itself: the same
 * code seals the same bytes in all three.
 */
export function serveEncryption(post: Post): (request: EncryptRequest) => void {
	const streams = new Map<number, Stream>();
	const recycled: ArrayBuffer[] = [];

	/**
	 * A segment's buffer: the smallest returned one that fits, unless that wastes over half of it
	 * (a thumbnail is not sent in a buffer made for 8 MiB). Every byte of it is written.
	 */
	function allocate(length: number): Uint8Array {
		let index = -1;
		recycled.forEach((buffer, i) => {
			const fits = buffer.byteLength >= length && buffer.byteLength <= 2 * length;
			if (fits && (index < 0 || buffer.byteLength < recycled[index]!.byteLength)) index = i;
		});
		if (index < 0) return new Uint8Array(length);
		const [buffer] = recycled.splice(index, 1);
		return new Uint8Array(buffer!, 0, length);
	}

	async function pump(id: number, stream: Stream): Promise<void> {
		if (stream.running) return;
		stream.running = true;
		try {
			for (;;) {
				const request = stream.pending.shift();
				if (!request || stream.closed) break;
				if (request.generation < stream.generation) continue;
				const { index, generation } = request;
				try {
					const sealer = await stream.sealer;
					const k = stream.segmentChunks;
					// Segment 0 starts with the file header: the first request body, in one buffer.
					const bytes = await sealer.sealRun(index * k, k, {
						withFileHeader: index === 0,
						allocate
					});
					if (stream.closed) break;
					// The segment's buffer moves to the page: the worker keeps no copy of it.
					post({ type: 'sealed', stream: id, index, generation, bytes }, [
						bytes.buffer as ArrayBuffer
					]);
				} catch (error) {
					if (stream.closed) break;
					post(failureOf(id, index, generation, error), []);
				}
			}
		} finally {
			stream.running = false;
			if (stream.closed)
				void stream.sealer.then(
					(sealer) => sealer.close(),
					() => undefined
				);
		}
	}

	return (request) => {
		if (request.type === 'recycle') {
			for (const buffer of request.buffers) {
				if (recycled.length < MAX_RECYCLED) recycled.push(buffer);
			}
			return;
		}
		if (request.type === 'open') {
			const { streamKey, streamHeader, chunkSize, plaintext, segmentChunks } = request;
			const sealer = ChunkSealer.open(streamKey, plaintext, streamHeader, { chunkSize });
			// The sealer keeps its own copy; the one that crossed over is wiped once it is taken.
			void sealer.then(
				() => streamKey.fill(0),
				() => streamKey.fill(0)
			);
			streams.set(request.stream, {
				sealer,
				segmentChunks: Math.max(1, Math.floor(segmentChunks)),
				pending: [],
				generation: 0,
				running: false,
				closed: false
			});
			return;
		}
		const stream = streams.get(request.stream);
		if (!stream) return;
		if (request.type === 'seal') {
			stream.pending.push(request);
			void pump(request.stream, stream);
		} else if (request.type === 'skip') {
			stream.generation = Math.max(stream.generation, request.generation);
		} else {
			stream.closed = true;
			stream.pending.length = 0;
			streams.delete(request.stream);
			if (!stream.running)
				void stream.sealer.then(
					(sealer) => sealer.close(),
					() => undefined
				);
		}
	};
}

function failureOf(
	stream: number,
	index: number,
	generation: number,
	error: unknown
): EncryptReply {
	if (error instanceof PlaintextChangedError) {
		return {
			type: 'failed',
			stream,
			index,
			generation,
			code: 'plaintext-changed',
			message: error.message
		};
	}
	const message = error instanceof Error ? error.message : String(error);
	return { type: 'failed', stream, index, generation, code: 'encrypt-failed', message };
}
