// Typed errors of the crypto core: each carries a stable `code` for the UI and a message a person understands.

export type CryptoErrorCode =
	| 'decrypt_failed'
	| 'stream_truncated'
	| 'stream_trailing_data'
	| 'bad_signature'
	| 'unknown_version'
	| 'unknown_algorithm'
	| 'malformed'
	| 'bad_key_length'
	| 'bad_base64url'
	| 'weak_kdf_params'
	| 'kdf_params_out_of_range'
	| 'unknown_word'
	| 'wrong_word_count'
	| 'bad_checksum';

export class CryptoError extends Error {
	readonly code: CryptoErrorCode;

	constructor(code: CryptoErrorCode, message: string) {
		super(message);
		this.name = new.target.name;
		this.code = code;
	}
}

/** The key is wrong or the ciphertext (or the data bound to it) was changed. */
export class DecryptError extends CryptoError {
	constructor(
		message = 'This data could not be decrypted: the key is wrong or the data was changed.',
		code: CryptoErrorCode = 'decrypt_failed'
	) {
		super(code, message);
	}
}

/**
 * A file stream whose chunks authenticate but whose shape is wrong: cut short or followed by extra
 * bytes. A subclass of DecryptError so one `catch` covers every untrustworthy file.
 */
export class StreamError extends DecryptError {
	constructor(code: 'stream_truncated' | 'stream_trailing_data', message: string) {
		super(message, code);
	}
}

export class SignatureError extends CryptoError {
	constructor(
		message = 'The signature does not match: the data was changed or not signed by this key.'
	) {
		super('bad_signature', message);
	}
}

/** Bytes that are not one of our formats: unknown version or algorithm, bad magic, bad length. */
export class FormatError extends CryptoError {
	constructor(
		code:
			| 'unknown_version'
			| 'unknown_algorithm'
			| 'malformed'
			| 'bad_key_length'
			| 'bad_base64url'
			| 'kdf_params_out_of_range',
		message: string
	) {
		super(code, message);
	}
}

export class WeakKdfParamsError extends CryptoError {
	constructor(message: string) {
		super('weak_kdf_params', message);
	}
}

export class RecoveryWordsError extends CryptoError {
	/** 1-based position of the offending word, when one word is to blame. */
	readonly position: number | undefined;

	constructor(
		code: 'unknown_word' | 'wrong_word_count' | 'bad_checksum',
		message: string,
		position?: number
	) {
		super(code, message);
		this.position = position;
	}
}
