// Typed errors of uploads and downloads: a stable code for the UI and a sentence a person reads.

export type TransferErrorCode =
	| 'quota-exceeded'
	| 'upload-too-large'
	| 'unauthenticated'
	| 'offline'
	| 'blob-not-found'
	| 'upload-conflict'
	| 'upload-failed'
	| 'download-failed'
	| 'bad-reply'
	| 'key-unavailable'
	| 'plaintext-changed'
	| 'encrypt-failed'
	| 'aborted';

export class TransferError extends Error {
	readonly code: TransferErrorCode;
	/** HTTP status when the relay answered; undefined for errors raised on the device. */
	readonly status: number | undefined;

	constructor(
		code: TransferErrorCode,
		message: string,
		options: { status?: number; cause?: unknown } = {}
	) {
		super(message, { cause: options.cause });
		this.name = new.target.name;
		this.code = code;
		this.status = options.status;
	}
}

export const STORAGE_FULL_MESSAGE = 'Your storage is full';

/** The account's quota would be exceeded: nothing more can be uploaded until space is freed. */
export class QuotaExceededError extends TransferError {
	constructor(message = STORAGE_FULL_MESSAGE, options: { cause?: unknown } = {}) {
		super('quota-exceeded', message, { status: 413, ...options });
	}
}

export const SESSION_ENDED_MESSAGE = 'Your session has ended. Log in again.';

/** No session, or the relay says it ended: the queue waits until the user logs in again. */
export class SessionEndedError extends TransferError {
	constructor(message = SESSION_ENDED_MESSAGE, options: { status?: number; cause?: unknown } = {}) {
		super('unauthenticated', message, options);
	}
}

export const OFFLINE_MESSAGE = "Can't reach Tessera — check your connection.";

/** Rebuilds the typed error of a failure stored as {code, message} (the queue's rows keep only that). */
export function transferErrorOf(code: string, message: string): TransferError {
	if (code === 'quota-exceeded') return new QuotaExceededError(message);
	if (code === 'unauthenticated') return new SessionEndedError(message);
	return new TransferError(code as TransferErrorCode, message);
}
