// The one error type of accounts: a stable code the UI branches on and a sentence a person reads.

export type AccountErrorCode =
	| 'offline'
	| 'bad-reply'
	| 'weak-password'
	| 'wrong-recovery-words'
	| 'keys-do-not-match'
	| 'not-logged-in'
	| 'kdf-failed'
	// Anything else the relay says, e.g. wrong-credentials, email-not-verified, too-many-attempts.
	| (string & {});

export class AccountError extends Error {
	readonly code: AccountErrorCode;
	/** HTTP status when the relay answered; undefined for errors raised on the device. */
	readonly status: number | undefined;
	/** Seconds until a rate-limited request may be tried again. */
	readonly retryAfterS: number | undefined;

	constructor(
		code: AccountErrorCode,
		message: string,
		options: { status?: number; retryAfterS?: number; cause?: unknown } = {}
	) {
		super(message, { cause: options.cause });
		this.name = 'AccountError';
		this.code = code;
		this.status = options.status;
		this.retryAfterS = options.retryAfterS;
	}
}

export const OFFLINE_MESSAGE = "Can't reach Tessera — check your connection.";
