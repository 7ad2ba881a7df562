// POST /api/login/params and /api/login: a device proves it knows the password (its authKey).

import {
	AccountsApiPath,
	ApiErrorCode,
	LoginParamsRequestSchema,
	LoginRequestSchema,
	type LoginParamsResponse
} from '../../../src/lib/protocol';
import type { AccountService } from '../account-service';
import { clientAddress } from '../rate-limit';
import { sendApiError, sendJson } from '../responses';
import { readJsonBody } from './json-body';
import { exactPath, refuseIfLimited } from './limits';
import type { ApiRoute } from './route';

export const WRONG_CREDENTIALS_MESSAGE = 'Wrong email or password.';

export const loginParamsRoute: ApiRoute = {
	methods: ['POST'],
	match: exactPath(AccountsApiPath.loginParams),
	async handle(request) {
		const { res, ctx } = request;
		const body = readJsonBody(request, LoginParamsRequestSchema);
		if (!body) return;
		const account = ctx.accounts.store.findByEmail(body.email);
		const reply: LoginParamsResponse = {
			kdf: account ? account.kdf : await ctx.accounts.fakeLoginParams(body.email)
		};
		sendJson(res, 200, reply);
	}
};

export const loginRoute: ApiRoute = {
	methods: ['POST'],
	match: exactPath(AccountsApiPath.login),
	async handle(request) {
		const { req, res, ctx } = request;
		const accounts = ctx.accounts;
		const body = readJsonBody(request, LoginRequestSchema);
		if (!body) return;
		const address = clientAddress(req, ctx.config.trustProxy);
		// Checked before the key: once limited, even the right password waits.
		if (refuseIfLimited(res, loginVerdicts(accounts, body.email, address))) return;

		const account = accounts.store.findByEmail(body.email);
		if (!(await accounts.verifyKey(account?.authHash, body.authKey)) || !account) {
			countLoginFailure(accounts, body.email, address);
			return sendApiError(res, 401, ApiErrorCode.wrongCredentials, WRONG_CREDENTIALS_MESSAGE);
		}
		if (account.verifiedAt === null) {
			return sendApiError(
				res,
				403,
				ApiErrorCode.emailNotVerified,
				'Confirm your email address first: enter the code we sent you.'
			);
		}
		sendJson(res, 200, accounts.grantSession(account, body.device.name));
	}
};

/** The failed-log-in limits of an account (by email) and of a client address. */
export function loginVerdicts(accounts: AccountService, email: string, address: string) {
	return [
		accounts.limits.loginFailuresPerAccount.check(email),
		accounts.limits.loginFailuresPerAddress.check(address)
	];
}

export function countLoginFailure(accounts: AccountService, email: string, address: string): void {
	accounts.limits.loginFailuresPerAccount.hit(email);
	accounts.limits.loginFailuresPerAddress.hit(address);
}
