// The one error type of accounts: a stable code the UI branches on and a sentence a person reads.

import { RelayError, type RelayErrorOptions } from '../net/relay-http';

export { OFFLINE_MESSAGE } from '../net/relay-http';

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

export class AccountError extends RelayError<AccountErrorCode> {
	constructor(code: AccountErrorCode, message: string, options: RelayErrorOptions = {}) {
		super(code, message, options);
		this.name = 'AccountError';
	}
}
