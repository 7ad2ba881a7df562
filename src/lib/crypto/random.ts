// Random keys and bytes from the platform CSPRNG (libsodium's randombytes is slow in wasm).

import { KEY_BYTES } from './bytes';

/** getRandomValues refuses more than 65,536 bytes per call. */
const MAX_RANDOM_CALL = 65_536;

export function randomBytes(length: number): Uint8Array {
	if (!Number.isSafeInteger(length) || length < 0) {
		throw new RangeError(`randomBytes: length must be a non-negative integer, got ${length}`);
	}
	const bytes = new Uint8Array(length);
	for (let offset = 0; offset < length; offset += MAX_RANDOM_CALL) {
		crypto.getRandomValues(bytes.subarray(offset, Math.min(length, offset + MAX_RANDOM_CALL)));
	}
	return bytes;
}

/** A fresh 32-byte symmetric key (master, recovery, epoch, file key, link secret). */
export function randomKey(): Uint8Array {
	return randomBytes(KEY_BYTES);
}
