// File blobs: streamed in any piece sizes, and any damage, reordering, truncation or swap is a typed error.

import { beforeAll, describe, expect, it } from 'vitest';
import {
	createDecryptStream,
	createEncryptStream,
	decryptFile,
	DecryptError,
	encryptedSize,
	encryptFile,
	encryptEnvelope,
	FILE_CHUNK_SIZE,
	fileSubkeys,
	FormatError,
	randomBytes,
	randomKey,
	StreamError
} from '../../../src/lib/crypto';
import { caught, type ErrorClass, flipBit, pattern, pipe, sameBytes, split } from './helpers';

const SMALL_CHUNK = 1024;
const SEALED_SMALL_CHUNK = SMALL_CHUNK + 17;
const HEADER = 33;
const MiB = 1024 * 1024;

/** Header and sealed chunks of a blob made with `chunkSize`. */
function chunksOf(
	blob: Uint8Array,
	chunkSize: number
): { header: Uint8Array; chunks: Uint8Array[] } {
	const chunks: Uint8Array[] = [];
	for (let offset = HEADER; offset < blob.length; offset += chunkSize + 17) {
		chunks.push(blob.subarray(offset, offset + chunkSize + 17));
	}
	return { header: blob.subarray(0, HEADER), chunks };
}

function join(...parts: Uint8Array[]): Uint8Array {
	return Buffer.concat(parts);
}

async function expectRefused(
	blob: Uint8Array,
	key: Uint8Array,
	expected: ErrorClass,
	code?: string
): Promise<void> {
	let plaintext: Uint8Array | undefined;
	const error = await caught(async () => {
		plaintext = await decryptFile(blob, key);
	});
	expect(plaintext).toBeUndefined();
	expect(error).toBeInstanceOf(expected);
	if (code) expect((error as DecryptError).code).toBe(code);
}

describe('encryptFile / decryptFile (small chunks)', () => {
	it('round-trips every size around chunk boundaries, at exactly encryptedSize', async () => {
		const key = randomKey();
		for (const size of [0, 1, 1023, 1024, 1025, 2047, 2048, 2049, 3000]) {
			const plaintext = randomBytes(size);
			const blob = await encryptFile(plaintext, key, { chunkSize: SMALL_CHUNK });
			expect(blob.length, `size ${size}`).toBe(encryptedSize(size, SMALL_CHUNK));
			expect(sameBytes(await decryptFile(blob, key), plaintext), `size ${size}`).toBe(true);
		}
	});

	it('computes encryptedSize for the default 4 MiB chunks', () => {
		expect(FILE_CHUNK_SIZE).toBe(4 * MiB);
		expect(encryptedSize(0)).toBe(HEADER + 17);
		expect(encryptedSize(4 * MiB)).toBe(HEADER + 4 * MiB + 17);
		expect(encryptedSize(4 * MiB + 1)).toBe(HEADER + 4 * MiB + 1 + 2 * 17);
		expect(encryptedSize(9 * MiB)).toBe(HEADER + 9 * MiB + 3 * 17);
	});

	it('keeps the plaintext out of the blob', async () => {
		const plaintext = new TextEncoder().encode('EXIF marker: Lake Geneva, 2024'.repeat(40));
		const blob = await encryptFile(plaintext, randomKey(), { chunkSize: SMALL_CHUNK });
		expect(Buffer.from(blob).includes(Buffer.from('Lake Geneva'))).toBe(false);
	});

	it('gives the original and the thumbnail distinct subkeys, so a swapped blob does not decrypt', async () => {
		const fileKey = randomKey();
		const { original, thumbnail } = await fileSubkeys(fileKey);
		expect(sameBytes(original, thumbnail)).toBe(false);
		expect(sameBytes(original, fileKey)).toBe(false);
		const thumbnailBlob = await encryptFile(randomBytes(500), thumbnail);
		await expectRefused(thumbnailBlob, original, DecryptError, 'decrypt_failed');
		const otherPhotosBlob = await encryptFile(
			randomBytes(500),
			(await fileSubkeys(randomKey())).original
		);
		await expectRefused(otherPhotosBlob, original, DecryptError, 'decrypt_failed');
	});
});

describe('tampering with a file blob', () => {
	const key = randomKey();
	const plaintext = pattern(3000, 11);
	let blob: Uint8Array;
	beforeAll(async () => {
		blob = await encryptFile(plaintext, key, { chunkSize: SMALL_CHUNK });
	});

	it('has three chunks: two full, one short final', () => {
		const { chunks } = chunksOf(blob, SMALL_CHUNK);
		expect(chunks.map((chunk) => chunk.length)).toEqual([
			SEALED_SMALL_CHUNK,
			SEALED_SMALL_CHUNK,
			3000 - 2048 + 17
		]);
	});

	it('refuses a flipped bit at every byte: magic, version, algorithm, chunk size, stream header, tag byte, ciphertext, MAC', async () => {
		for (let i = 0; i < blob.length; i++) {
			let out: Uint8Array | undefined;
			const error = await caught(async () => {
				out = await decryptFile(flipBit(blob, i, i % 8), key);
			});
			expect(out, `byte ${i}`).toBeUndefined();
			if (i < 5) expect(error, `byte ${i}`).toBeInstanceOf(FormatError);
			else if (i < 9)
				expect(error instanceof FormatError || error instanceof DecryptError, `byte ${i}`).toBe(
					true
				);
			else expect(error, `byte ${i}`).toBeInstanceOf(DecryptError);
		}
	});

	it('names an unknown version or algorithm', async () => {
		const v2 = blob.slice();
		v2[3] = 2;
		expect(((await caught(() => decryptFile(v2, key))) as FormatError).code).toBe(
			'unknown_version'
		);
		const alg = blob.slice();
		alg[4] = 0x7f;
		expect(((await caught(() => decryptFile(alg, key))) as FormatError).code).toBe(
			'unknown_algorithm'
		);
	});

	it('refuses reordered, duplicated and dropped chunks', async () => {
		const { header, chunks } = chunksOf(blob, SMALL_CHUNK);
		const [c1, c2, c3] = chunks as [Uint8Array, Uint8Array, Uint8Array];
		await expectRefused(join(header, c2, c1, c3), key, DecryptError, 'decrypt_failed');
		await expectRefused(join(header, c1, c1, c2, c3), key, DecryptError, 'decrypt_failed');
		await expectRefused(join(header, c1, c3), key, DecryptError, 'decrypt_failed');
	});

	it('refuses a stream cut at a chunk boundary (final chunk missing) as truncated', async () => {
		const { header, chunks } = chunksOf(blob, SMALL_CHUNK);
		await expectRefused(join(header, chunks[0]!, chunks[1]!), key, StreamError, 'stream_truncated');
		await expectRefused(join(header, chunks[0]!), key, StreamError, 'stream_truncated');
		await expectRefused(header, key, StreamError, 'stream_truncated');
		await expectRefused(blob.subarray(0, 20), key, StreamError, 'stream_truncated');
		await expectRefused(new Uint8Array(0), key, StreamError, 'stream_truncated');
	});

	it('refuses a stream cut mid-chunk', async () => {
		for (const cut of [1, 16, 17, 500, SEALED_SMALL_CHUNK - 1]) {
			await expectRefused(blob.subarray(0, HEADER + cut), key, DecryptError);
			await expectRefused(blob.subarray(0, blob.length - cut), key, DecryptError);
		}
	});

	it('refuses data after the final chunk', async () => {
		await expectRefused(join(blob, new Uint8Array([0])), key, DecryptError);
		const fullFinal = await encryptFile(pattern(2048), key, { chunkSize: SMALL_CHUNK });
		await expectRefused(
			join(fullFinal, new Uint8Array([0])),
			key,
			StreamError,
			'stream_trailing_data'
		);
		const { chunks } = chunksOf(fullFinal, SMALL_CHUNK);
		await expectRefused(join(fullFinal, chunks[1]!), key, StreamError, 'stream_trailing_data');
	});

	it('refuses a chunk spliced in from another file under the same key', async () => {
		const other = await encryptFile(pattern(3000, 11), key, { chunkSize: SMALL_CHUNK });
		const mine = chunksOf(blob, SMALL_CHUNK);
		const theirs = chunksOf(other, SMALL_CHUNK);
		await expectRefused(
			join(mine.header, mine.chunks[0]!, theirs.chunks[1]!, mine.chunks[2]!),
			key,
			DecryptError
		);
		await expectRefused(join(theirs.header, ...mine.chunks), key, DecryptError);
	});

	it('refuses a wrong key', async () => {
		await expectRefused(blob, randomKey(), DecryptError, 'decrypt_failed');
		await expectRefused(
			await encryptFile(new Uint8Array(0), key),
			randomKey(),
			DecryptError,
			'decrypt_failed'
		);
	});

	it('refuses things that are not Tessera files, and absurd chunk sizes', async () => {
		await expectRefused(randomBytes(200), key, FormatError);
		await expectRefused(new TextEncoder().encode('TX'), key, FormatError);
		await expectRefused(new TextEncoder().encode('TS'), key, StreamError, 'stream_truncated');
		const envelope = await encryptEnvelope(key, new Uint8Array(1), randomBytes(100));
		await expectRefused(envelope.ciphertext, key, FormatError);
		for (const size of [0, 1023, 16 * MiB + 1, 0xffffffff]) {
			const forged = blob.slice();
			new DataView(forged.buffer).setUint32(5, size, false);
			await expectRefused(forged, key, FormatError, 'malformed');
		}
	});
});

describe('createEncryptStream / createDecryptStream', () => {
	it('gives the same plaintext whatever the piece sizes on either side (small chunks)', async () => {
		const key = randomKey();
		const plaintext = randomBytes(3000);
		const blobs: Uint8Array[] = [];
		for (const sizes of [[1], [7], [3000], [1023, 1, 1025, 2]]) {
			const { output, error } = await pipe(
				createEncryptStream(key, { chunkSize: SMALL_CHUNK }),
				split(plaintext, sizes)
			);
			expect(error).toBeUndefined();
			expect(output.length).toBe(encryptedSize(3000, SMALL_CHUNK));
			blobs.push(output);
		}
		for (const blob of blobs) {
			for (const sizes of [[1], [7], [blob.length], [33, 1041, 1, 2000]]) {
				const { output, error } = await pipe(createDecryptStream(key), split(blob, sizes));
				expect(error).toBeUndefined();
				expect(sameBytes(output, plaintext)).toBe(true);
			}
		}
	});

	it('emits an empty file as a header and one final chunk', async () => {
		const key = randomKey();
		const encrypted = await pipe(createEncryptStream(key), []);
		expect(encrypted.pieceSizes).toEqual([33, 17]);
		const decrypted = await pipe(createDecryptStream(key), [encrypted.output]);
		expect(decrypted.error).toBeUndefined();
		expect(decrypted.output.length).toBe(0);
	});

	it('interoperates with encryptFile / decryptFile', async () => {
		const key = randomKey();
		const plaintext = randomBytes(2500);
		const streamed = (await pipe(createEncryptStream(key, { chunkSize: SMALL_CHUNK }), [plaintext]))
			.output;
		expect(sameBytes(await decryptFile(streamed, key), plaintext)).toBe(true);
		const whole = await encryptFile(plaintext, key, { chunkSize: SMALL_CHUNK });
		expect(sameBytes((await pipe(createDecryptStream(key), [whole])).output, plaintext)).toBe(true);
	});

	it('errors the stream on tampering without emitting the damaged chunk', async () => {
		const key = randomKey();
		const plaintext = pattern(3000, 5);
		const blob = await encryptFile(plaintext, key, { chunkSize: SMALL_CHUNK });
		const cases: { blob: Uint8Array; emittedAtMost: number; expected: ErrorClass }[] = [
			{ blob: flipBit(blob, HEADER + 3), emittedAtMost: 0, expected: DecryptError },
			{
				blob: flipBit(blob, HEADER + SEALED_SMALL_CHUNK + 3),
				emittedAtMost: SMALL_CHUNK,
				expected: DecryptError
			},
			{
				blob: flipBit(blob, blob.length - 1),
				emittedAtMost: 2 * SMALL_CHUNK,
				expected: DecryptError
			},
			{
				blob: blob.subarray(0, HEADER + 2 * SEALED_SMALL_CHUNK),
				emittedAtMost: 2 * SMALL_CHUNK,
				expected: StreamError
			}
		];
		for (const { blob: damaged, emittedAtMost, expected } of cases) {
			for (const sizes of [[1], [damaged.length]]) {
				const { output, error } = await pipe(createDecryptStream(key), split(damaged, sizes));
				expect(error).toBeInstanceOf(expected);
				expect(output.length).toBeLessThanOrEqual(emittedAtMost);
				// Whatever came out before the error was authenticated, so it is genuine plaintext.
				expect(sameBytes(output, plaintext.subarray(0, output.length))).toBe(true);
			}
		}
	});

	it('errors on a wrong key and on non-Uint8Array input', async () => {
		const blob = await encryptFile(randomBytes(100), randomKey());
		const wrongKey = await pipe(createDecryptStream(randomKey()), [blob]);
		expect(wrongKey.error).toBeInstanceOf(DecryptError);
		expect(wrongKey.output.length).toBe(0);
		const notBytes = await pipe(createEncryptStream(randomKey()), [
			'text' as unknown as Uint8Array
		]);
		expect(notBytes.error).toBeInstanceOf(TypeError);
	});

	it('refuses a key of the wrong size up front', () => {
		expect(() => createEncryptStream(new Uint8Array(16))).toThrow(FormatError);
		expect(() => createDecryptStream(new Uint8Array(33))).toThrow(FormatError);
	});
});

describe('4 MiB chunks on a 9 MiB file', () => {
	const key = randomKey();
	const plaintext = randomBytes(9 * MiB);
	let blob: Uint8Array;
	let pieceSizes: number[];

	beforeAll(async () => {
		// Odd piece sizes: chunk boundaries fall inside pieces, never on them.
		const result = await pipe(createEncryptStream(key), split(plaintext, [5 * MiB, 7, 1, 65_537]));
		expect(result.error).toBeUndefined();
		blob = result.output;
		pieceSizes = result.pieceSizes;
	});

	it('emits the header, then one piece per chunk, at exactly encryptedSize', () => {
		expect(pieceSizes).toEqual([33, 4 * MiB + 17, 4 * MiB + 17, 1 * MiB + 17]);
		expect(blob.length).toBe(encryptedSize(plaintext.length));
	});

	it('decrypts identically whatever the piece sizes, emitting one chunk at a time', async () => {
		for (const sizes of [[blob.length], [MiB + 3, 7, 5 * MiB], [4 * MiB + 50]]) {
			const {
				output,
				pieceSizes: outSizes,
				error
			} = await pipe(createDecryptStream(key), split(blob, sizes));
			expect(error).toBeUndefined();
			expect(Buffer.compare(output, plaintext)).toBe(0);
			expect(outSizes).toEqual([4 * MiB, 4 * MiB, 1 * MiB]);
		}
	});

	it('emits ciphertext before the input has ended (it streams, it does not buffer the file)', async () => {
		const stream = createEncryptStream(key);
		const writer = stream.writable.getWriter();
		const reader = stream.readable.getReader();
		void writer.write(plaintext.subarray(0, 4 * MiB + 1));
		expect((await reader.read()).value?.length).toBe(33);
		expect((await reader.read()).value?.length).toBe(4 * MiB + 17);
		void writer.abort();
	});

	it('refuses reordered, duplicated and dropped 4 MiB chunks', async () => {
		const { header, chunks } = chunksOf(blob, FILE_CHUNK_SIZE);
		const [c1, c2, c3] = chunks as [Uint8Array, Uint8Array, Uint8Array];
		await expectRefused(join(header, c2, c1, c3), key, DecryptError, 'decrypt_failed');
		await expectRefused(join(header, c1, c1, c3), key, DecryptError, 'decrypt_failed');
		await expectRefused(join(header, c1, c2), key, StreamError, 'stream_truncated');
	});
});
