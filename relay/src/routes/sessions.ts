// GET /api/sessions, DELETE /api/sessions/:id, POST /api/logout: the account's signed-in devices.

import { AccountsApiPath, ApiErrorCode, type SessionsResponse } from '../../../src/lib/protocol';
import { sendApiError, sendJson, sendNoContent } from '../responses';
import { authenticate } from './auth';
import { exactPath } from './limits';
import type { ApiRoute } from './route';

export const sessionsRoute: ApiRoute = {
	methods: ['GET'],
	match: exactPath(AccountsApiPath.sessions),
	handle(request) {
		const auth = authenticate(request);
		if (!auth) return;
		const sessions = request.ctx.accounts.store.listSessions(auth.account.id);
		const body: SessionsResponse = {
			sessions: sessions.map((session) => ({
				id: session.id,
				deviceName: session.deviceName,
				createdAt: new Date(session.createdAt).toISOString(),
				lastSeenAt: new Date(session.lastSeenAt).toISOString(),
				current: session.id === auth.session.id
			}))
		};
		sendJson(request.res, 200, body);
	}
};

const SESSION_PREFIX = `${AccountsApiPath.sessions}/`;

export const sessionRoute: ApiRoute = {
	methods: ['DELETE'],
	match: (rawPath) =>
		rawPath.startsWith(SESSION_PREFIX) ? { id: rawPath.slice(SESSION_PREFIX.length) } : null,
	handle(request) {
		const auth = authenticate(request);
		if (!auth) return;
		const id = request.params.id ?? '';
		// Only the account's own sessions can be found, so another account's id is simply unknown.
		if (!request.ctx.accounts.store.deleteSession(auth.account.id, id)) {
			return sendApiError(
				request.res,
				404,
				ApiErrorCode.sessionNotFound,
				'There is no such session (it may have ended already).'
			);
		}
		sendNoContent(request.res);
	}
};

export const logoutRoute: ApiRoute = {
	methods: ['POST'],
	match: exactPath(AccountsApiPath.logout),
	handle(request) {
		const auth = authenticate(request);
		if (!auth) return;
		request.ctx.accounts.store.deleteSession(auth.account.id, auth.session.id);
		sendNoContent(request.res);
	}
};
