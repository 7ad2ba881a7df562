// Seekable file encryption: any byte range of the blob, the same bytes on every run, readable by the ordinary decryptor.

import { describe, expect, it } from 'vitest';
import {
	createDecryptStream,
	createEncryptStream,
	createStreamHeader,
	decryptFile,
	EncryptedFileSource,
	encryptedSize,
	FILE_CHUNK_SIZE,
	FormatError,
	getSodium,
	PlaintextChangedError,
	randomBytes,
	randomKey,
	StreamError,
	type RandomAccessReader
} from '../../../src/lib/crypto';
import { caught, pattern, pipe, sameBytes, split } from './helpers';

const HEADER = 33;
const SMALL = 1024;
const MiB = 1024 * 1024;

function blobOf(bytes: Uint8Array): Blob {
	return new Blob([bytes as Uint8Array<ArrayBuffer>]);
}

async function source(
	key: Uint8Array,
	plaintext: Uint8Array,
	header: Uint8Array,
	chunkSize = SMALL
): Promise<EncryptedFileSource> {
	return EncryptedFileSource.open(key, blobOf(plaintext), header, { chunkSize });
}

async function readAll(src: EncryptedFileSource, sliceSizes: number[] = [src.size]) {
	const parts: Uint8Array[] = [];
	let offset = 0;
	for (let i = 0; offset < src.size; i++) {
		const size = sliceSizes[i % sliceSizes.length]!;
		parts.push(await src.read(offset, Math.min(src.size, offset + size)));
		offset += size;
	}
	return Buffer.concat(parts);
}

/** A small seeded PRNG (mulberry32), so a failing slice pattern can be replayed. */
function seeded(seed: number): () => number {
	return () => {
		seed = (seed + 0x6d2b79f5) | 0;
		let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
		t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

describe('EncryptedFileSource', () => {
	it('reproduces createEncryptStream byte for byte when given the header that stream chose', async () => {
		// The claim behind resumable uploads: init_pull(header, key) continues init_push's stream.
		const key = randomKey();
		for (const size of [0, 1, 1023, 1024, 1025, 4096, 5000]) {
			const plaintext = randomBytes(size);
			const streamed = await pipe(createEncryptStream(key, { chunkSize: SMALL }), [plaintext]);
			expect(streamed.error).toBeUndefined();
			const header = streamed.output.subarray(9, HEADER);
			const src = await source(key, plaintext, header);
			expect(src.size).toBe(streamed.output.length);
			expect(sameBytes(await readAll(src), streamed.output), `size ${size}`).toBe(true);
			src.close();
		}
	});

	it('gives a blob that decryptFile and createDecryptStream open, at every size around chunk edges', async () => {
		const key = randomKey();
		for (const size of [0, 1, 1023, 1024, 1025, 2047, 2048, 2049, 3000]) {
			const plaintext = pattern(size, size);
			const src = await source(key, plaintext, await createStreamHeader(key));
			const blob = await readAll(src, [700]);
			expect(blob.length).toBe(encryptedSize(size, SMALL));
			expect(sameBytes(await decryptFile(blob, key), plaintext), `size ${size}`).toBe(true);
			const streamed = await pipe(createDecryptStream(key), split(blob, [333, 1500]));
			expect(streamed.error).toBeUndefined();
			expect(sameBytes(streamed.output, plaintext)).toBe(true);
			src.close();
		}
	});

	it('gives identical bytes on two runs, whatever the slices each run asks for', async () => {
		const key = randomKey();
		const header = await createStreamHeader(key);
		const plaintext = randomBytes(20_000);
		const first = await readAll(await source(key, plaintext, header), [20_000 + 1000]);
		const random = seeded(7);
		for (let run = 0; run < 5; run++) {
			const sizes = Array.from({ length: 9 }, () => 1 + Math.floor(random() * 4000));
			const again = await readAll(await source(key, plaintext, header), sizes);
			expect(sameBytes(again, first), `slices ${sizes.join(',')}`).toBe(true);
		}
	});

	it('serves any range, forwards, backwards and repeated, as the same bytes as a full read', async () => {
		const key = randomKey();
		const header = await createStreamHeader(key);
		const plaintext = randomBytes(10_000);
		const full = await readAll(await source(key, plaintext, header));
		const src = await source(key, plaintext, header);
		const random = seeded(42);
		for (let i = 0; i < 60; i++) {
			const a = Math.floor(random() * (full.length + 1));
			const b = Math.floor(random() * (full.length + 1));
			const [start, end] = a <= b ? [a, b] : [b, a];
			expect(sameBytes(await src.read(start, end), full.subarray(start, end))).toBe(true);
		}
		src.close();
	});

	it('seals each chunk once when read front to back, and restarts from chunk 0 after a seek back', async () => {
		const key = randomKey();
		const plaintext = randomBytes(10 * SMALL + 5);
		const src = await source(key, plaintext, await createStreamHeader(key));
		await readAll(src, [1500]);
		expect(src.sealedChunks).toBe(11);
		// Back into chunk 2: chunks 0..2 are sealed again (output discarded), nothing more.
		await src.read(HEADER + 2 * (SMALL + 17), HEADER + 2 * (SMALL + 17) + 10);
		expect(src.sealedChunks).toBe(14);
	});

	it('works with chunk sizes from 1 KiB to 4 MiB', async () => {
		const key = randomKey();
		const plaintext = randomBytes(FILE_CHUNK_SIZE + 12_345);
		for (const chunkSize of [SMALL, 64 * 1024, FILE_CHUNK_SIZE]) {
			const src = await source(key, plaintext, await createStreamHeader(key), chunkSize);
			const blob = await readAll(src, [8 * MiB]);
			expect(blob.length).toBe(encryptedSize(plaintext.length, chunkSize));
			expect(sameBytes(await decryptFile(blob, key), plaintext)).toBe(true);
			src.close();
		}
	});

	it('writes the preamble and the stored header first, and an empty file as one final chunk', async () => {
		const key = randomKey();
		const header = await createStreamHeader(key);
		const src = await source(key, new Uint8Array(0), header);
		const blob = await readAll(src);
		expect(blob.length).toBe(HEADER + 17);
		expect([...blob.subarray(0, 5)]).toEqual([0x54, 0x53, 0x46, 1, 4]);
		expect(sameBytes(blob.subarray(9, HEADER), header)).toBe(true);
		expect((await decryptFile(blob, key)).length).toBe(0);
	});

	it('tags the last chunk final and only the last', async () => {
		const sodium = await getSodium();
		const key = randomKey();
		const plaintext = randomBytes(3 * SMALL);
		const blob = await readAll(await source(key, plaintext, await createStreamHeader(key)));
		const state = sodium.crypto_secretstream_xchacha20poly1305_init_pull(
			blob.subarray(9, HEADER),
			key
		);
		const tags: number[] = [];
		for (let at = HEADER; at < blob.length; at += SMALL + 17) {
			const opened = sodium.crypto_secretstream_xchacha20poly1305_pull(
				state,
				blob.subarray(at, at + SMALL + 17),
				blob.subarray(0, 9)
			);
			if (opened === false) throw new Error('chunk did not open');
			tags.push(opened.tag);
		}
		const TAG_MESSAGE = sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE;
		const TAG_FINAL = sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL;
		expect(tags).toEqual([TAG_MESSAGE, TAG_MESSAGE, TAG_FINAL]);
		// Without its last chunk the blob is refused as cut short, never accepted as complete.
		const cut = blob.subarray(0, blob.length - (SMALL + 17));
		expect(await caught(() => decryptFile(cut, key))).toBeInstanceOf(StreamError);
	});

	it('gives a different blob for a different header or key (a header is never shared by accident)', async () => {
		const key = randomKey();
		const plaintext = randomBytes(2000);
		const h1 = await createStreamHeader(key);
		const h2 = await createStreamHeader(key);
		expect(sameBytes(h1, h2)).toBe(false);
		const a = await readAll(await source(key, plaintext, h1));
		const b = await readAll(await source(key, plaintext, h2));
		const c = await readAll(await source(randomKey(), plaintext, h1));
		expect(sameBytes(a.subarray(HEADER), b.subarray(HEADER))).toBe(false);
		expect(sameBytes(a.subarray(HEADER), c.subarray(HEADER))).toBe(false);
	});

	it('reads plaintext through a random-access reader, and refuses one that no longer has the bytes', async () => {
		const key = randomKey();
		const header = await createStreamHeader(key);
		const plaintext = randomBytes(5000);
		const reader: RandomAccessReader = {
			size: plaintext.length,
			read: async (start, end) => plaintext.slice(start, end)
		};
		const viaReader = await EncryptedFileSource.open(key, reader, header, { chunkSize: SMALL });
		const viaBlob = await source(key, plaintext, header);
		expect(sameBytes(await readAll(viaReader), await readAll(viaBlob))).toBe(true);

		const shrunk: RandomAccessReader = {
			size: plaintext.length,
			read: async (start, end) => plaintext.slice(start, Math.min(end, 3000))
		};
		const broken = await EncryptedFileSource.open(key, shrunk, header, { chunkSize: SMALL });
		expect(await caught(() => broken.read(0, broken.size))).toBeInstanceOf(PlaintextChangedError);
	});

	it('answers concurrent reads correctly (they run one at a time)', async () => {
		const key = randomKey();
		const header = await createStreamHeader(key);
		const plaintext = randomBytes(8000);
		const full = await readAll(await source(key, plaintext, header));
		const src = await source(key, plaintext, header);
		const ranges: [number, number][] = [
			[5000, 8000],
			[0, 100],
			[3000, 6000],
			[7000, full.length]
		];
		const parts = await Promise.all(ranges.map(([s, e]) => src.read(s, e)));
		ranges.forEach(([s, e], i) => expect(sameBytes(parts[i]!, full.subarray(s, e))).toBe(true));
	});

	it('refuses a wrong-sized header or key, ranges outside the blob, and use after close', async () => {
		const key = randomKey();
		const blob = blobOf(randomBytes(10));
		expect(await caught(() => EncryptedFileSource.open(key, blob, randomBytes(23)))).toBeInstanceOf(
			FormatError
		);
		expect(
			await caught(() => EncryptedFileSource.open(randomBytes(31), blob, randomBytes(24)))
		).toBeInstanceOf(FormatError);
		const src = await EncryptedFileSource.open(key, blob, await createStreamHeader(key));
		expect(await caught(() => src.read(-1, 5))).toBeInstanceOf(RangeError);
		expect(await caught(() => src.read(10, 5))).toBeInstanceOf(RangeError);
		src.close();
		expect(await caught(() => src.read(0, 5))).toBeInstanceOf(Error);
	});
});
