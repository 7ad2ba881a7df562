// GET|DELETE /api/account and POST /api/account/password: the signed-in account itself.

import {
	AccountsApiPath,
	ApiErrorCode,
	ChangePasswordRequestSchema,
	DeleteAccountRequestSchema
} from '../../../src/lib/protocol';
import { clientAddress } from '../rate-limit';
import { sendApiError, sendJson, sendNoContent } from '../responses';
import { authenticate } from './auth';
import { readJsonBody } from './json-body';
import { exactPath, refuseIfLimited } from './limits';
import { countLoginFailure, loginVerdicts, WRONG_CREDENTIALS_MESSAGE } from './login';
import type { ApiRoute } from './route';

export const accountRoute: ApiRoute = {
	methods: ['GET', 'DELETE'],
	match: exactPath(AccountsApiPath.account),
	async handle(request) {
		const { req, res, ctx } = request;
		const auth = authenticate(request);
		if (!auth) return;
		if (req.method === 'GET') return sendJson(res, 200, ctx.accounts.accountInfo(auth.account));

		// Deleting needs the password again (its authKey), checked like a log-in.
		const body = readJsonBody(request, DeleteAccountRequestSchema);
		if (!body) return;
		const { account } = auth;
		const address = clientAddress(req, ctx.config.trustProxy);
		if (refuseIfLimited(res, loginVerdicts(ctx.accounts, account.email, address))) return;
		if (!(await ctx.accounts.verifyKey(account.authHash, body.authKey))) {
			countLoginFailure(ctx.accounts, account.email, address);
			return sendApiError(res, 401, ApiErrorCode.wrongCredentials, WRONG_CREDENTIALS_MESSAGE);
		}
		ctx.accounts.store.deleteAccount(account.id);
		ctx.accounts.limits.loginFailuresPerAccount.forget(account.email);
		ctx.accounts.logger.info({ accountId: account.id }, 'account deleted');
		sendNoContent(res);
	}
};

export const changePasswordRoute: ApiRoute = {
	methods: ['POST'],
	match: exactPath(AccountsApiPath.accountPassword),
	async handle(request) {
		const { req, res, ctx } = request;
		const accounts = ctx.accounts;
		const auth = authenticate(request);
		if (!auth) return;
		const body = readJsonBody(request, ChangePasswordRequestSchema);
		if (!body) return;
		const { account, session } = auth;
		const kdfProblem = accounts.kdfProblem(body.kdf);
		if (kdfProblem) return sendApiError(res, 400, kdfProblem.code, kdfProblem.message);
		const address = clientAddress(req, ctx.config.trustProxy);
		if (refuseIfLimited(res, loginVerdicts(accounts, account.email, address))) return;
		if (!(await accounts.verifyKey(account.authHash, body.currentAuthKey))) {
			countLoginFailure(accounts, account.email, address);
			return sendApiError(
				res,
				401,
				ApiErrorCode.wrongCredentials,
				'The current password is not right.'
			);
		}
		const authHash = await accounts.hashKey(body.authKey);
		accounts.store.setPassword(
			account.id,
			{ kdf: body.kdf, authHash, masterKeyByPassword: body.masterKeyByPassword },
			session.id
		);
		sendNoContent(res);
	}
};
