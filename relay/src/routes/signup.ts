// POST /api/signup, /api/signup/verify, /api/signup/resend: a new account, confirmed by an email code.

import {
	AccountsApiPath,
	ApiErrorCode,
	MAX_EMAIL_CODE_ATTEMPTS,
	SignupRequestSchema,
	SignupResendRequestSchema,
	SignupVerifyRequestSchema,
	type SignupPendingResponse
} from '../../../src/lib/protocol';
import { hashEmailCode, sameDigest } from '../account-store';
import { PLANS } from '../plans';
import { clientAddress } from '../rate-limit';
import { sendApiError, sendJson } from '../responses';
import { readJsonBody } from './json-body';
import { exactPath, RATE_LIMITED_MESSAGE, refuseIfLimited } from './limits';
import type { ApiRoute } from './route';

const CODE_EXPIRED_MESSAGE = 'This code has expired or was mistyped too often. Ask for a new code.';
const MAIL_FAILED_MESSAGE = 'The relay could not send the email. Try again later.';

export const signupRoute: ApiRoute = {
	methods: ['POST'],
	match: exactPath(AccountsApiPath.signup),
	async handle(request) {
		const { req, res, ctx } = request;
		const accounts = ctx.accounts;
		const body = readJsonBody(request, SignupRequestSchema);
		if (!body) return;
		const kdfProblem = accounts.kdfProblem(body.kdf);
		if (kdfProblem) return sendApiError(res, 400, kdfProblem.code, kdfProblem.message);

		const address = clientAddress(req, ctx.config.trustProxy);
		const limited = refuseIfLimited(
			res,
			[
				accounts.limits.signupsPerAddress.check(address),
				accounts.limits.codeMailsPerEmail.check(body.email)
			],
			ApiErrorCode.rateLimited,
			RATE_LIMITED_MESSAGE
		);
		if (limited) return;
		if (accounts.store.findByEmail(body.email)?.verifiedAt != null) return emailTaken(res);

		const [authHash, recoveryAuthHash] = [
			await accounts.hashKey(body.authKey),
			await accounts.hashKey(body.recoveryAuthKey)
		];
		accounts.dropStalePending();
		const plan = PLANS[ctx.config.defaultPlan];
		const { code, expiresAt } = accounts.newCode();
		const account = accounts.store.createPending(
			{
				email: body.email,
				kdf: body.kdf,
				authHash,
				recoveryAuthHash,
				masterKeyByRecovery: body.masterKeyByRecovery,
				wrappedKeys: body.wrappedKeys,
				publicKeys: body.publicKeys,
				plan: plan.id,
				quotaBytes: plan.quotaBytes
			},
			code,
			expiresAt,
			Date.now()
		);
		// Checked again inside the write: another sign-up may have been verified meanwhile.
		if (!account) return emailTaken(res);
		accounts.limits.signupsPerAddress.hit(address);
		accounts.limits.codeMailsPerEmail.hit(body.email);
		if (!(await mailCode(request, body.email, code))) return;
		sendPending(res, expiresAt);
	}
};

export const signupVerifyRoute: ApiRoute = {
	methods: ['POST'],
	match: exactPath(AccountsApiPath.signupVerify),
	handle(request) {
		const { res, ctx } = request;
		const { store } = ctx.accounts;
		const body = readJsonBody(request, SignupVerifyRequestSchema);
		if (!body) return;
		const account = store.findByEmail(body.email);
		const stored = account && account.verifiedAt === null ? store.codeOf(account.id) : undefined;
		if (!account || !stored) {
			return sendApiError(res, 410, ApiErrorCode.codeExpired, CODE_EXPIRED_MESSAGE);
		}
		if (stored.expiresAt <= Date.now() || stored.attempts >= MAX_EMAIL_CODE_ATTEMPTS) {
			store.deleteCode(account.id);
			return sendApiError(res, 410, ApiErrorCode.codeExpired, CODE_EXPIRED_MESSAGE);
		}
		if (!sameDigest(hashEmailCode(account.id, body.code), stored.codeHash)) {
			const attempts = store.recordWrongCode(account.id);
			if (attempts >= MAX_EMAIL_CODE_ATTEMPTS) {
				store.deleteCode(account.id);
				return sendApiError(res, 410, ApiErrorCode.codeExpired, CODE_EXPIRED_MESSAGE);
			}
			return sendApiError(
				res,
				400,
				ApiErrorCode.wrongCode,
				'That code is not right. Check the email and try again.'
			);
		}
		store.markVerified(account.id, Date.now());
		const verified = store.findById(account.id);
		if (!verified) return sendApiError(res, 410, ApiErrorCode.codeExpired, CODE_EXPIRED_MESSAGE);
		sendJson(res, 200, ctx.accounts.grantSession(verified, body.device.name));
	}
};

export const signupResendRoute: ApiRoute = {
	methods: ['POST'],
	match: exactPath(AccountsApiPath.signupResend),
	async handle(request) {
		const { res, ctx } = request;
		const accounts = ctx.accounts;
		const body = readJsonBody(request, SignupResendRequestSchema);
		if (!body) return;
		const verdict = accounts.limits.codeMailsPerEmail.check(body.email);
		if (refuseIfLimited(res, [verdict], ApiErrorCode.rateLimited, RATE_LIMITED_MESSAGE)) return;
		accounts.limits.codeMailsPerEmail.hit(body.email);

		const account = accounts.store.findByEmail(body.email);
		const { code, expiresAt } = accounts.newCode();
		// Unknown and already verified emails get the same answer, and no mail.
		if (account && account.verifiedAt === null) {
			accounts.store.setCode(account.id, code, expiresAt, Date.now());
			if (!(await mailCode(request, body.email, code))) return;
		}
		sendPending(res, expiresAt);
	}
};

async function mailCode(
	{ res, ctx }: Parameters<ApiRoute['handle']>[0],
	email: string,
	code: string
): Promise<boolean> {
	try {
		await ctx.accounts.mailCode(email, code);
		return true;
	} catch (error) {
		ctx.accounts.logger.error({ err: error }, 'sending an email code failed');
		sendApiError(res, 503, ApiErrorCode.mailFailed, MAIL_FAILED_MESSAGE);
		return false;
	}
}

function sendPending(res: Parameters<typeof sendJson>[0], expiresAt: number): void {
	const body: SignupPendingResponse = {
		pending: true,
		codeExpiresAt: new Date(expiresAt).toISOString()
	};
	sendJson(res, 202, body);
}

function emailTaken(res: Parameters<typeof sendJson>[0]): void {
	sendApiError(
		res,
		409,
		ApiErrorCode.emailTaken,
		'An account with this email already exists. Log in instead.'
	);
}
