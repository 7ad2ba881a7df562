// Messages between the page and an encryption worker: open a blob's stream, seal chunk i, skip, close.

/** The page asks: requests for one stream are answered in the order they were sent. */
export type EncryptRequest =
	| {
			type: 'open';
			stream: number;
			/** A copy made for the worker (transferred), wiped there once the stream holds it. */
			streamKey: Uint8Array;
			streamHeader: Uint8Array;
			chunkSize: number;
			/** Chunks per segment: one request body, sealed into one buffer. */
			segmentChunks: number;
			/** The queued, immutable plaintext; the worker reads it itself, off the page's thread. */
			plaintext: Blob;
	  }
	| { type: 'seal'; stream: number; index: number; generation: number }
	/** Drop the stream's seal requests of generations before this one (the page sought elsewhere). */
	| { type: 'skip'; stream: number; generation: number }
	| { type: 'close'; stream: number }
	/**
	 * Buffers of segments the relay has acknowledged, moved back to be filled again: sealing then
	 * writes into memory already mapped instead of fresh pages, and the page's heap does not churn.
	 */
	| { type: 'recycle'; buffers: ArrayBuffer[] };

/**
 * The worker answers each seal request with its segment (its buffer transferred) or a failure.
 * Segment i is sealed chunks i·k .. i·k + k - 1 (k = segmentChunks) back to back; segment 0 also
 * carries the 33-byte file header in front. So each segment is a contiguous range of the blob,
 * and a request body can be one segment as it is.
 */
export type EncryptReply =
	| { type: 'sealed'; stream: number; index: number; generation: number; bytes: Uint8Array }
	| {
			type: 'failed';
			stream: number;
			index: number;
			generation: number;
			code: EncryptFailureCode;
			message: string;
	  };

/** `plaintext-changed`: the file no longer reads as queued; `encrypt-failed`: anything else. */
export type EncryptFailureCode = 'plaintext-changed' | 'encrypt-failed';

/** What the page needs of a worker: a browser Worker has this shape; Node's is adapted to it. */
export interface EncryptWorkerPort {
	onmessage: ((event: MessageEvent<EncryptReply>) => void) | null;
	onerror: ((event: ErrorEvent) => void) | null;
	postMessage(message: EncryptRequest, transfer: Transferable[]): void;
	terminate(): void;
}
