// Argon2id password hashing: the KEK from the account password, and a link's password key.

import { assertLength, utf8 } from './bytes';
import { CryptoError, FormatError, WeakKdfParamsError } from './errors';
import { getSodium } from './sodium';

export interface KdfParams {
	/** Argon2id passes (libsodium's opslimit). */
	opsLimit: number;
	/** Argon2id memory in bytes (libsodium's memlimit). */
	memLimit: number;
}

const MiB = 1024 * 1024;

export const DEFAULT_KDF_PARAMS: Readonly<KdfParams> = Object.freeze({
	opsLimit: 3,
	memLimit: 128 * MiB
});
/** Used when a device cannot allocate the default's memory. */
export const FALLBACK_KDF_PARAMS: Readonly<KdfParams> = Object.freeze({
	opsLimit: 3,
	memLimit: 64 * MiB
});
/** Below this the relay refuses an account and clients refuse to derive. */
export const KDF_FLOOR: Readonly<KdfParams> = Object.freeze({ opsLimit: 3, memLimit: 64 * MiB });
/**
 * Above this clients refuse to derive: params come back from the relay at login, and a hostile relay
 * must not be able to make a phone allocate gigabytes.
 */
export const KDF_CEILING: Readonly<KdfParams> = Object.freeze({
	opsLimit: 10,
	memLimit: 1024 * MiB
});

export const KDF_SALT_BYTES = 16;
export const PASSWORD_KEY_BYTES = 32;

/** Throws WeakKdfParamsError under the floor, FormatError for non-integers or above the ceiling. */
export function checkKdfParams(params: KdfParams): void {
	const { opsLimit, memLimit } = params;
	if (!Number.isSafeInteger(opsLimit) || !Number.isSafeInteger(memLimit)) {
		throw new FormatError(
			'kdf_params_out_of_range',
			'Password hashing parameters must be whole numbers.'
		);
	}
	if (opsLimit < KDF_FLOOR.opsLimit || memLimit < KDF_FLOOR.memLimit) {
		throw new WeakKdfParamsError(
			`Password hashing parameters are too weak (${opsLimit} passes, ${memLimit / MiB} MiB); ` +
				`the minimum is ${KDF_FLOOR.opsLimit} passes and ${KDF_FLOOR.memLimit / MiB} MiB.`
		);
	}
	if (opsLimit > KDF_CEILING.opsLimit || memLimit > KDF_CEILING.memLimit) {
		throw new FormatError(
			'kdf_params_out_of_range',
			`Password hashing parameters are unreasonably costly (${opsLimit} passes, ${memLimit / MiB} MiB).`
		);
	}
}

/** For the relay (at sign-up) and clients (at login): are these params within floor and ceiling? */
export function isKdfParamsAcceptable(params: KdfParams): boolean {
	try {
		checkKdfParams(params);
		return true;
	} catch {
		return false;
	}
}

/**
 * Argon2id13(password, salt) -> 32 bytes. The password is NFC-normalised first so the same password
 * typed on macOS, Windows or a phone keyboard gives the same key.
 */
export async function derivePasswordKey(
	password: string,
	salt: Uint8Array,
	params: KdfParams
): Promise<Uint8Array> {
	checkKdfParams(params);
	assertLength(salt, KDF_SALT_BYTES, 'Password salt');
	const sodium = await getSodium();
	return sodium.crypto_pwhash(
		PASSWORD_KEY_BYTES,
		utf8(password.normalize('NFC')),
		salt,
		params.opsLimit,
		params.memLimit,
		sodium.crypto_pwhash_ALG_ARGON2ID13
	);
}

/**
 * For a new password (sign-up, password change): tries the default params and falls back to 64 MiB
 * when the device cannot allocate 128 MiB. Returns the params used, which must be stored with the salt.
 */
export async function deriveNewPasswordKey(
	password: string,
	salt: Uint8Array
): Promise<{ key: Uint8Array; params: KdfParams }> {
	try {
		return {
			key: await derivePasswordKey(password, salt, DEFAULT_KDF_PARAMS),
			params: { ...DEFAULT_KDF_PARAMS }
		};
	} catch (error) {
		// libsodium.js reports a failed malloc as a plain object, not an Error; anything ours is real.
		if (error instanceof CryptoError) throw error;
		return {
			key: await derivePasswordKey(password, salt, FALLBACK_KDF_PARAMS),
			params: { ...FALLBACK_KDF_PARAMS }
		};
	}
}
