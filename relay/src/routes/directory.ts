// GET /api/directory?email=... or ?member=<signPk>: a verified user's public keys and email, for sharing (signed-in users only).

import {
	AccountsApiPath,
	ApiErrorCode,
	DirectoryMemberQuerySchema,
	DirectoryQuerySchema,
	type DirectoryResponse
} from '../../../src/lib/protocol';
import { memberDirectory } from '../member-directory';
import { sendApiError, sendJson } from '../responses';
import { authenticate } from './auth';
import { checkInput, queryOf } from './json-body';
import { exactPath, RATE_LIMITED_MESSAGE, refuseIfLimited } from './limits';
import type { ApiRoute } from './route';

export const directoryRoute: ApiRoute = {
	methods: ['GET'],
	match: exactPath(AccountsApiPath.directory),
	handle(request) {
		const { req, res, ctx } = request;
		const auth = authenticate(request);
		if (!auth) return;
		// Per session, so one signed-in device cannot walk the directory email by email.
		const verdict = ctx.accounts.limits.directoryPerSession.take(auth.session.id);
		if (refuseIfLimited(res, [verdict], ApiErrorCode.rateLimited, RATE_LIMITED_MESSAGE)) return;

		const query = queryOf(req);
		const member = query.get('member');
		if (member !== null) {
			const checked = checkInput(res, DirectoryMemberQuerySchema, { member });
			if (!checked) return;
			const listing = memberDirectory(ctx.db).lookUp(
				auth.account.publicKeys.signPk,
				checked.member
			);
			if (!listing) {
				return sendApiError(
					res,
					404,
					ApiErrorCode.noSuchUser,
					'You share no album with this person, or they no longer use Tessera here.'
				);
			}
			return sendJson(res, 200, listing satisfies DirectoryResponse);
		}
		const email = query.get('email');
		const checked = checkInput(res, DirectoryQuerySchema, email === null ? {} : { email });
		if (!checked) return;
		const account = ctx.accounts.store.findByEmail(checked.email);
		if (!account || account.verifiedAt === null) {
			return sendApiError(
				res,
				404,
				ApiErrorCode.noSuchUser,
				'Nobody with this email uses Tessera here.'
			);
		}
		const body: DirectoryResponse = { email: account.email, publicKeys: account.publicKeys };
		sendJson(res, 200, body);
	}
};
