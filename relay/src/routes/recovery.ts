// POST /api/recovery/start and /complete: a new password from the 24 recovery words.

import {
	AccountsApiPath,
	ApiErrorCode,
	RecoveryCompleteRequestSchema,
	RecoveryStartRequestSchema,
	type RecoveryStartResponse
} from '../../../src/lib/protocol';
import type { Account } from '../account-store';
import { clientAddress } from '../rate-limit';
import { sendApiError, sendJson } from '../responses';
import { readJsonBody } from './json-body';
import { exactPath, refuseIfLimited } from './limits';
import type { ApiRequest, ApiRoute } from './route';

export const recoveryStartRoute: ApiRoute = {
	methods: ['POST'],
	match: exactPath(AccountsApiPath.recoveryStart),
	async handle(request) {
		const body = readJsonBody(request, RecoveryStartRequestSchema);
		if (!body) return;
		const account = await provenAccount(request, body.email, body.recoveryAuthKey);
		if (!account) return;
		const reply: RecoveryStartResponse = {
			masterKeyByRecovery: account.masterKeyByRecovery,
			wrappedKeys: account.wrappedKeys,
			publicKeys: account.publicKeys
		};
		sendJson(request.res, 200, reply);
	}
};

export const recoveryCompleteRoute: ApiRoute = {
	methods: ['POST'],
	match: exactPath(AccountsApiPath.recoveryComplete),
	async handle(request) {
		const { res, ctx } = request;
		const accounts = ctx.accounts;
		const body = readJsonBody(request, RecoveryCompleteRequestSchema);
		if (!body) return;
		const kdfProblem = accounts.kdfProblem(body.kdf);
		if (kdfProblem) return sendApiError(res, 400, kdfProblem.code, kdfProblem.message);
		const account = await provenAccount(request, body.email, body.recoveryAuthKey);
		if (!account) return;

		const authHash = await accounts.hashKey(body.authKey);
		// Every session ends: whoever knew the old password must not stay signed in.
		accounts.store.setPassword(
			account.id,
			{ kdf: body.kdf, authHash, masterKeyByPassword: body.masterKeyByPassword },
			null
		);
		// The owner proved themselves with the recovery key; earlier failed log-ins no longer matter.
		accounts.limits.loginFailuresPerAccount.forget(account.email);
		const updated = accounts.store.findById(account.id);
		if (!updated) return wrongRecoveryKey(request);
		sendJson(res, 200, accounts.grantSession(updated, body.device.name));
	}
};

/** The verified account whose recoveryAuthKey this is, or undefined after answering 401/403/429. */
async function provenAccount(
	request: ApiRequest,
	email: string,
	recoveryAuthKey: string
): Promise<Account | undefined> {
	const { req, res, ctx } = request;
	const accounts = ctx.accounts;
	const address = clientAddress(req, ctx.config.trustProxy);
	const verdicts = [
		accounts.limits.recoveryFailuresPerAccount.check(email),
		accounts.limits.loginFailuresPerAddress.check(address)
	];
	if (refuseIfLimited(res, verdicts)) return undefined;
	const account = accounts.store.findByEmail(email);
	if (!(await accounts.verifyKey(account?.recoveryAuthHash, recoveryAuthKey)) || !account) {
		accounts.limits.recoveryFailuresPerAccount.hit(email);
		accounts.limits.loginFailuresPerAddress.hit(address);
		wrongRecoveryKey(request);
		return undefined;
	}
	if (account.verifiedAt === null) {
		sendApiError(
			res,
			403,
			ApiErrorCode.emailNotVerified,
			'Confirm your email address first: enter the code we sent you.'
		);
		return undefined;
	}
	return account;
}

function wrongRecoveryKey({ res }: ApiRequest): void {
	sendApiError(
		res,
		401,
		ApiErrorCode.wrongRecoveryKey,
		'Those recovery words do not match this account.'
	);
}
