// Bearer-token authentication: the request's session and account, or 401.

import { ApiErrorCode, SessionTokenSchema } from '../../../src/lib/protocol';
import * as v from 'valibot';
import type { Account } from '../account-store';
import type { Session } from '../account-store';
import type { RelayContext } from '../context';
import { sendApiError } from '../responses';
import type { ApiRequest } from './route';

export interface Authenticated {
	session: Session;
	account: Account;
}

export const SESSION_ENDED_MESSAGE = 'Your session has ended. Log in again.';

/** The session behind `Authorization: Bearer <token>`, or undefined after answering 401. */
export function authenticate({ req, res, ctx }: ApiRequest): Authenticated | undefined {
	const found = sessionOf(req.headers.authorization, ctx);
	if (!found) {
		res.setHeader('WWW-Authenticate', 'Bearer');
		sendApiError(res, 401, ApiErrorCode.unauthenticated, SESSION_ENDED_MESSAGE);
		return undefined;
	}
	return found;
}

function sessionOf(header: string | undefined, ctx: ApiRequest['ctx']): Authenticated | undefined {
	const match = /^Bearer ([A-Za-z0-9_-]{1,64})$/.exec(header?.trim() ?? '');
	const token = match?.[1];
	if (!token) return undefined;
	return sessionForToken(token, ctx);
}

/** The live session and verified account behind a session token (HTTP bearer or websocket auth). */
export function sessionForToken(token: string, ctx: RelayContext): Authenticated | undefined {
	if (!v.is(SessionTokenSchema, token)) return undefined;
	const store = ctx.accounts.store;
	const session = store.sessionByToken(token, Date.now());
	if (!session) return undefined;
	const account = store.findById(session.accountId);
	// A session of an unverified account cannot exist, but refuse one rather than trust it.
	if (!account || account.verifiedAt === null) return undefined;
	return { session, account };
}
