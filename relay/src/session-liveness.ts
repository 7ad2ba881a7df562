// Whether a socket's session still stands: one primary-key lookup, cheap enough to run before every frame.

import type { Statement } from 'better-sqlite3';
import type { AccountPrincipal } from './connection';
import type { RelayDatabase } from './db';

/**
 * A socket authenticates once with its token (sessionForToken: SHA-256 of the token, the session,
 * the account row, a last-seen write). After that every frame only needs to know that the same
 * session still exists. Sessions end by being deleted (log-out, revocation, password change), an
 * account's deletion deletes its sessions (ON DELETE CASCADE), sessions exist only for verified
 * accounts, and session ids are random and never reused: so looking the row up by its key answers
 * as the full token check would, at a fraction of the cost. The heartbeat still runs the full
 * check, which also marks the session seen.
 */
export class SessionLiveness {
	private readonly lookup: Statement<[string, string], number>;

	constructor(db: RelayDatabase) {
		this.lookup = db
			.prepare<[string, string], number>(
				'SELECT 1 FROM sessions WHERE session_id = ? AND account_id = ?'
			)
			.pluck();
	}

	/** True while the principal's session exists (and so does its account). */
	stands(principal: AccountPrincipal): boolean {
		return this.lookup.get(principal.sessionId, principal.accountId) !== undefined;
	}
}
