// The relay's accounts API over fetch: Bearer tokens, replies checked by the protocol's schemas.

import {
	AccountInfoSchema,
	AccountsApiPath,
	DirectoryResponseSchema,
	LoginParamsResponseSchema,
	RecoveryStartResponseSchema,
	SessionGrantSchema,
	SessionsResponseSchema,
	SignupPendingResponseSchema,
	type AccountInfo,
	type ChangePasswordRequest,
	type DirectoryResponse,
	type KdfParams,
	type LoginRequest,
	type RecoveryCompleteRequest,
	type RecoveryStartRequest,
	type RecoveryStartResponse,
	type SessionGrant,
	type SessionInfo,
	type SignupPendingResponse,
	type SignupRequest,
	type SignupVerifyRequest
} from '../protocol';
import { relayRequest, type RelayClient, type RelayRequest } from '../net/relay-http';
import { AccountError } from './errors';

export interface AccountApiOptions {
	/** Origin of the relay; empty for the page's own origin. */
	baseUrl?: string;
	fetch?: typeof fetch;
}

export class AccountApi {
	readonly #client: RelayClient<AccountError>;

	constructor(options: AccountApiOptions = {}) {
		this.#client = { baseUrl: options.baseUrl, fetch: options.fetch, errorClass: AccountError };
	}

	signUp(body: SignupRequest): Promise<SignupPendingResponse> {
		return this.#call({
			method: 'POST',
			path: AccountsApiPath.signup,
			body,
			reply: SignupPendingResponseSchema
		});
	}

	verifySignUp(body: SignupVerifyRequest): Promise<SessionGrant> {
		return this.#call({
			method: 'POST',
			path: AccountsApiPath.signupVerify,
			body,
			reply: SessionGrantSchema
		});
	}

	resendCode(email: string): Promise<SignupPendingResponse> {
		return this.#call({
			method: 'POST',
			path: AccountsApiPath.signupResend,
			body: { email },
			reply: SignupPendingResponseSchema
		});
	}

	async loginParams(email: string): Promise<KdfParams> {
		const reply = await this.#call({
			method: 'POST',
			path: AccountsApiPath.loginParams,
			body: { email },
			reply: LoginParamsResponseSchema
		});
		return reply.kdf;
	}

	logIn(body: LoginRequest): Promise<SessionGrant> {
		return this.#call({
			method: 'POST',
			path: AccountsApiPath.login,
			body,
			reply: SessionGrantSchema
		});
	}

	async logOut(token: string): Promise<void> {
		await this.#call({ method: 'POST', path: AccountsApiPath.logout, token });
	}

	account(token: string): Promise<AccountInfo> {
		return this.#call({
			method: 'GET',
			path: AccountsApiPath.account,
			token,
			reply: AccountInfoSchema
		});
	}

	async deleteAccount(token: string, authKey: string): Promise<void> {
		await this.#call({ method: 'DELETE', path: AccountsApiPath.account, token, body: { authKey } });
	}

	async sessions(token: string): Promise<SessionInfo[]> {
		const reply = await this.#call({
			method: 'GET',
			path: AccountsApiPath.sessions,
			token,
			reply: SessionsResponseSchema
		});
		return reply.sessions;
	}

	async revokeSession(token: string, sessionId: string): Promise<void> {
		await this.#call({
			method: 'DELETE',
			path: `${AccountsApiPath.sessions}/${encodeURIComponent(sessionId)}`,
			token
		});
	}

	async changePassword(token: string, body: ChangePasswordRequest): Promise<void> {
		await this.#call({ method: 'POST', path: AccountsApiPath.accountPassword, token, body });
	}

	startRecovery(body: RecoveryStartRequest): Promise<RecoveryStartResponse> {
		return this.#call({
			method: 'POST',
			path: AccountsApiPath.recoveryStart,
			body,
			reply: RecoveryStartResponseSchema
		});
	}

	completeRecovery(body: RecoveryCompleteRequest): Promise<SessionGrant> {
		return this.#call({
			method: 'POST',
			path: AccountsApiPath.recoveryComplete,
			body,
			reply: SessionGrantSchema
		});
	}

	lookUp(token: string, email: string): Promise<DirectoryResponse> {
		return this.#call({
			method: 'GET',
			path: `${AccountsApiPath.directory}?email=${encodeURIComponent(email)}`,
			token,
			reply: DirectoryResponseSchema
		});
	}

	/** A fellow member's email and keys (only for someone who shares an album with them). */
	lookUpMember(token: string, signPk: string): Promise<DirectoryResponse> {
		return this.#call({
			method: 'GET',
			path: `${AccountsApiPath.directory}?member=${encodeURIComponent(signPk)}`,
			token,
			reply: DirectoryResponseSchema
		});
	}

	#call<T>(request: RelayRequest<T>): Promise<T> {
		return relayRequest(this.#client, request);
	}
}
