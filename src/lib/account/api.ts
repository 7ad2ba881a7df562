// The relay's accounts API over fetch: Bearer tokens, replies checked by the protocol's schemas.

import * as v from 'valibot';
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
import { AccountError, OFFLINE_MESSAGE } from './errors';

/** The relay's error body; read leniently, since any reply may come from an older or newer relay. */
const ErrorReplySchema = v.object({
	error: v.object({
		code: v.pipe(v.string(), v.maxLength(64)),
		message: v.pipe(v.string(), v.maxLength(1000)),
		retryAfterS: v.optional(v.pipe(v.number(), v.minValue(0)))
	})
});

export interface AccountApiOptions {
	/** Origin of the relay; empty for the page's own origin. */
	baseUrl?: string;
	fetch?: typeof fetch;
}

interface Call<T> {
	method: 'GET' | 'POST' | 'DELETE';
	path: string;
	token?: string;
	body?: unknown;
	/** Schema of a 2xx reply with a body; absent for 202/204 replies read without a body. */
	reply?: v.GenericSchema<unknown, T>;
}

export class AccountApi {
	readonly #baseUrl: string;
	readonly #fetch: typeof fetch;

	constructor(options: AccountApiOptions = {}) {
		this.#baseUrl = options.baseUrl ?? '';
		this.#fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
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

	async #call<T>(call: Call<T>): Promise<T> {
		const headers: Record<string, string> = { accept: 'application/json' };
		if (call.token) headers.authorization = `Bearer ${call.token}`;
		if (call.body !== undefined) headers['content-type'] = 'application/json';
		let response: Response;
		try {
			response = await this.#fetch(this.#baseUrl + call.path, {
				method: call.method,
				headers,
				body: call.body === undefined ? undefined : JSON.stringify(call.body),
				cache: 'no-store',
				credentials: 'omit'
			});
		} catch (cause) {
			throw new AccountError('offline', OFFLINE_MESSAGE, { cause });
		}
		if (!response.ok) throw await errorOf(response);
		if (!call.reply) return undefined as T;
		let json: unknown;
		try {
			json = await response.json();
		} catch (cause) {
			throw badReply(response.status, cause);
		}
		const parsed = v.safeParse(call.reply, json);
		if (!parsed.success) throw badReply(response.status, v.flatten(parsed.issues));
		return parsed.output;
	}
}

function badReply(status: number, cause: unknown): AccountError {
	return new AccountError(
		'bad-reply',
		'Tessera’s server sent a reply this app does not understand.',
		{
			status,
			cause
		}
	);
}

async function errorOf(response: Response): Promise<AccountError> {
	const header = Number(response.headers.get('retry-after'));
	let json: unknown = null;
	try {
		json = await response.json();
	} catch {
		// A proxy's HTML error page, say: fall through to a generic message.
	}
	const parsed = v.safeParse(ErrorReplySchema, json);
	if (parsed.success) {
		const { code, message, retryAfterS } = parsed.output.error;
		return new AccountError(code, message, {
			status: response.status,
			retryAfterS: retryAfterS ?? (Number.isFinite(header) && header > 0 ? header : undefined)
		});
	}
	if (response.status === 502 || response.status === 503 || response.status === 504) {
		return new AccountError('offline', OFFLINE_MESSAGE, { status: response.status });
	}
	return new AccountError(
		'http-error',
		`Tessera’s server could not do that (HTTP ${response.status}). Try again in a moment.`,
		{ status: response.status }
	);
}
