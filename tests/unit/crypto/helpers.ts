// Test helpers for the crypto specs: hex, deterministic byte patterns, stream plumbing, error capture.

export function toHex(bytes: Uint8Array): string {
	return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

export function fromHex(hex: string): Uint8Array {
	return new Uint8Array(Buffer.from(hex, 'hex'));
}

/** start, start+1, ... mod 256: recognisable and deterministic. */
export function pattern(length: number, start = 0): Uint8Array {
	const bytes = new Uint8Array(length);
	for (let i = 0; i < length; i++) bytes[i] = (start + i) & 0xff;
	return bytes;
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
	return Buffer.compare(a, b) === 0;
}

export function flipBit(bytes: Uint8Array, index: number, bit = 0): Uint8Array {
	const copy = bytes.slice();
	copy[index]! ^= 1 << bit;
	return copy;
}

/** Splits `bytes` into pieces whose sizes cycle through `sizes`. */
export function split(bytes: Uint8Array, sizes: number[]): Uint8Array[] {
	const pieces: Uint8Array[] = [];
	let offset = 0;
	for (let i = 0; offset < bytes.length; i++) {
		const size = sizes[i % sizes.length]!;
		pieces.push(bytes.subarray(offset, offset + size));
		offset += size;
	}
	return pieces;
}

export interface PipeResult {
	output: Uint8Array;
	/** Sizes of the pieces the stream emitted, in order. */
	pieceSizes: number[];
	error: unknown;
}

/** Writes `pieces` through `transform`, reading concurrently; collects output and the error, if any. */
export async function pipe(
	transform: TransformStream<Uint8Array, Uint8Array>,
	pieces: Iterable<Uint8Array>
): Promise<PipeResult> {
	const out: Uint8Array[] = [];
	const reading = (async () => {
		const reader = transform.readable.getReader();
		for (;;) {
			const { done, value } = await reader.read();
			if (done) return;
			out.push(value);
		}
	})();
	const writing = (async () => {
		const writer = transform.writable.getWriter();
		for (const piece of pieces) await writer.write(piece);
		await writer.close();
	})();
	const [readResult, writeResult] = await Promise.allSettled([reading, writing]);
	const error =
		readResult.status === 'rejected'
			? readResult.reason
			: writeResult.status === 'rejected'
				? writeResult.reason
				: undefined;
	return { output: Buffer.concat(out), pieceSizes: out.map((piece) => piece.length), error };
}

/** Runs `fn` and returns what it threw (or rejected with); fails the test if it did not throw. */
export async function caught(fn: () => unknown): Promise<unknown> {
	try {
		await fn();
	} catch (error) {
		return error;
	}
	throw new Error('expected an error, but none was thrown');
}

/** Any of the typed error classes, for `toBeInstanceOf`. */
export type ErrorClass = abstract new (...args: never[]) => Error;
