// Crypto throughput: our file streams against raw libsodium secretstream, and the cost of the default Argon2id.

import {
	createDecryptStream,
	createEncryptStream,
	DEFAULT_KDF_PARAMS,
	derivePasswordKey,
	encryptFile,
	getSodium,
	randomBytes,
	randomKey
} from '../src/lib/crypto';
import {
	defineBenchmark,
	figure,
	measure,
	measureInterleaved,
	median,
	megabytesPerSecond,
	type Figure
} from './lib';

const MiB = 1024 * 1024;
const DATA_BYTES = 64 * MiB;
const PIECE_BYTES = 1 * MiB;
const RAW_CHUNK_BYTES = 4 * MiB;
const RUNS = 5;

/** Feeds `input` in 1 MiB pieces through `transform` and discards the output, as an upload would. */
async function drain(
	transform: TransformStream<Uint8Array, Uint8Array>,
	input: Uint8Array
): Promise<number> {
	let bytes = 0;
	const reading = (async () => {
		const reader = transform.readable.getReader();
		for (;;) {
			const { done, value } = await reader.read();
			if (done) return;
			bytes += value.length;
		}
	})();
	const writer = transform.writable.getWriter();
	for (let offset = 0; offset < input.length; offset += PIECE_BYTES) {
		await writer.write(input.subarray(offset, offset + PIECE_BYTES));
	}
	await writer.close();
	await reading;
	return bytes;
}

export default defineBenchmark('crypto', async (): Promise<Figure[]> => {
	const sodium = await getSodium();
	const key = randomKey();
	const data = randomBytes(DATA_BYTES);

	/** Keeps the output only when asked: the timed runs discard it, like ours. */
	function rawEncrypt(keep = false): Uint8Array[] {
		const { state, header } = sodium.crypto_secretstream_xchacha20poly1305_init_push(key);
		const chunks = [header];
		for (let offset = 0; offset < data.length; offset += RAW_CHUNK_BYTES) {
			const last = offset + RAW_CHUNK_BYTES >= data.length;
			const sealed = sodium.crypto_secretstream_xchacha20poly1305_push(
				state,
				data.subarray(offset, offset + RAW_CHUNK_BYTES),
				null,
				last
					? sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL
					: sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE
			);
			if (keep) chunks.push(sealed);
		}
		return chunks;
	}

	function rawDecrypt(sealed: Uint8Array[]): void {
		const state = sodium.crypto_secretstream_xchacha20poly1305_init_pull(sealed[0]!, key);
		for (const chunk of sealed.slice(1)) {
			if (sodium.crypto_secretstream_xchacha20poly1305_pull(state, chunk, null) === false) {
				throw new Error('raw secretstream failed to decrypt');
			}
		}
	}

	const encrypt = await measureInterleaved(
		rawEncrypt,
		() => drain(createEncryptStream(key), data),
		RUNS
	);

	const rawSealed = rawEncrypt(true);
	const blob = await encryptFile(data, key);
	const decrypt = await measureInterleaved(
		() => rawDecrypt(rawSealed),
		() => drain(createDecryptStream(key), blob),
		RUNS
	);

	const salt = randomBytes(16);
	const argon2 = await measure(
		() => derivePasswordKey('correct horse battery staple', salt, DEFAULT_KDF_PARAMS),
		RUNS
	);

	const throughput = (samples: number[]) => megabytesPerSecond(DATA_BYTES, median(samples));
	return [
		figure({
			name: 'crypto.secretstream.encrypt',
			unit: 'MB/s',
			value: throughput(encrypt.ours),
			baseline: 'libsodium secretstream raw',
			baselineValue: throughput(encrypt.baseline),
			target: { of: 'ratio', op: '>=', bound: 0.8 },
			runs: RUNS
		}),
		figure({
			name: 'crypto.secretstream.decrypt',
			unit: 'MB/s',
			value: throughput(decrypt.ours),
			baseline: 'libsodium secretstream raw',
			baselineValue: throughput(decrypt.baseline),
			target: { of: 'ratio', op: '>=', bound: 0.8 },
			runs: RUNS
		}),
		figure({
			name: 'crypto.argon2id.default',
			unit: 'ms',
			value: median(argon2),
			target: { of: 'value', op: '<=', bound: 2000 },
			runs: RUNS
		})
	];
});
