// /api/invites: invite someone without an account to an album, list, cancel, and complete invites.

import {
	ApiErrorCode,
	CreateInviteRequestSchema,
	InviteIdSchema,
	InviteListQuerySchema,
	InvitesApiPath,
	type AcceptedInvitesResponse,
	type InviteListResponse
} from '../../../src/lib/protocol';
import * as v from 'valibot';
import { InviteRefusal } from '../invites';
import { sendApiError, sendJson, sendNoContent, sendTooManyRequests } from '../responses';
import { authenticate, type Authenticated } from './auth';
import { checkInput, queryOf, readJsonBody } from './json-body';
import { exactPath } from './limits';
import type { ApiRequest, ApiRoute } from './route';

const ITEM_PREFIX = `${InvitesApiPath.invites}/`;
const COMPLETE_SUFFIX = '/complete';

/** POST creates an invite (and mails it); GET ?albumId= lists an album's open invites. */
export const invitesRoute: ApiRoute = {
	methods: ['GET', 'POST'],
	match: exactPath(InvitesApiPath.invites),
	handle: (request) =>
		answer(request, async (auth) => {
			const { req, res, ctx } = request;
			if (req.method === 'POST') {
				const body = readJsonBody(request, CreateInviteRequestSchema);
				if (!body) return;
				const created = await ctx.accounts.invites.create(auth.account, auth.session.id, body);
				return sendJson(res, 201, created);
			}
			const query = queryOf(req);
			const albumId = query.get('albumId');
			const checked = checkInput(res, InviteListQuerySchema, albumId === null ? {} : { albumId });
			if (!checked) return;
			const reply: InviteListResponse = {
				invites: ctx.accounts.invites.list(auth.account, checked.albumId)
			};
			sendJson(res, 200, reply);
		})
};

/** Accepted invites this account's device can complete. Matched before the item routes. */
export const acceptedInvitesRoute: ApiRoute = {
	methods: ['GET'],
	match: exactPath(InvitesApiPath.accepted),
	handle: (request) =>
		answer(request, (auth) => {
			const reply: AcceptedInvitesResponse = {
				invites: request.ctx.accounts.invites.accepted(auth.account)
			};
			sendJson(request.res, 200, reply);
		})
};

/** DELETE /api/invites/:id cancels. */
export const inviteRoute: ApiRoute = {
	methods: ['DELETE'],
	match: (rawPath) => {
		const rawId = itemId(rawPath);
		return rawId === null || rawId.includes('/') ? null : { rawId };
	},
	handle: (request) =>
		answer(request, (auth) => {
			const inviteId = checkedId(request);
			if (inviteId === undefined) return;
			request.ctx.accounts.invites.cancel(auth.account, inviteId);
			sendNoContent(request.res);
		})
};

/** POST /api/invites/:id/complete: the new member was added to the chain. */
export const inviteCompleteRoute: ApiRoute = {
	methods: ['POST'],
	match: (rawPath) => {
		const rest = itemId(rawPath);
		if (rest === null || !rest.endsWith(COMPLETE_SUFFIX)) return null;
		const rawId = rest.slice(0, -COMPLETE_SUFFIX.length);
		return rawId.includes('/') ? null : { rawId };
	},
	handle: (request) =>
		answer(request, (auth) => {
			const inviteId = checkedId(request);
			if (inviteId === undefined) return;
			request.ctx.accounts.invites.complete(auth.account, inviteId);
			sendNoContent(request.res);
		})
};

export const INVITE_ROUTES: readonly ApiRoute[] = [
	invitesRoute,
	acceptedInvitesRoute,
	inviteCompleteRoute,
	inviteRoute
];

function itemId(rawPath: string): string | null {
	return rawPath.startsWith(ITEM_PREFIX) ? rawPath.slice(ITEM_PREFIX.length) : null;
}

/** The path's invite id, or undefined after answering 400. */
function checkedId({ res, params }: ApiRequest): string | undefined {
	const id = params.rawId ?? '';
	if (v.is(InviteIdSchema, id)) return id;
	sendApiError(
		res,
		400,
		ApiErrorCode.invalidRequest,
		'inviteId: is not a valid id (base64url of 16 to 32 bytes).'
	);
	return undefined;
}

/** Authenticates, runs the handler, and turns an InviteRefusal into its error reply. */
async function answer(
	request: ApiRequest,
	handler: (auth: Authenticated) => void | Promise<void>
): Promise<void> {
	const auth = authenticate(request);
	if (!auth) return;
	try {
		await handler(auth);
	} catch (error) {
		if (!(error instanceof InviteRefusal)) throw error;
		if (error.retryAfterS !== undefined) {
			return sendTooManyRequests(request.res, error.code, error.message, error.retryAfterS);
		}
		sendApiError(request.res, error.status, error.code, error.message);
	}
}
