// One JSON request to the relay's HTTP API: fetch, the reply checked by a schema, refusals as typed errors.

import * as v from 'valibot';
import { ApiErrorSchema } from '../protocol';

export const OFFLINE_MESSAGE = "Can't reach Tessera — check your connection.";

const BAD_REPLY_MESSAGE = 'Tessera’s server sent a reply this app does not understand.';

/**
 * The relay's error body, field by field as the protocol has it, but loose about keys it does not
 * know: the reply may come from a newer relay that says more.
 */
const ErrorReplySchema = v.looseObject({
	error: v.looseObject(ApiErrorSchema.entries.error.entries)
});

export interface RelayErrorOptions {
	/** HTTP status when the relay answered; undefined for errors raised on the device. */
	status?: number;
	/** Seconds until a rate-limited request may be tried again. */
	retryAfterS?: number;
	cause?: unknown;
}

/** A failure of a relay request: a stable code the UI branches on and a sentence a person reads. */
export class RelayError<Code extends string = string> extends Error {
	readonly code: Code;
	readonly status: number | undefined;
	readonly retryAfterS: number | undefined;

	constructor(code: Code, message: string, options: RelayErrorOptions = {}) {
		super(message, { cause: options.cause });
		this.name = 'RelayError';
		this.code = code;
		this.status = options.status;
		this.retryAfterS = options.retryAfterS;
	}
}

/** The error class an API's callers catch (AccountError, InviteError, …). */
export type RelayErrorClass<E extends RelayError> = new (
	code: string,
	message: string,
	options?: RelayErrorOptions
) => E;

/** How one API talks to the relay; built once per client. */
export interface RelayClient<E extends RelayError> {
	/** Origin of the relay; empty or absent for the page's own origin. */
	baseUrl?: string;
	/** Absent: the global fetch, looked up on each request. */
	fetch?: typeof fetch;
	errorClass: RelayErrorClass<E>;
	/** The app's own words for a refusal the relay explained; absent: the relay's message. */
	wordsFor?: (code: string, relayMessage: string, retryAfterS: number | undefined) => string;
}

export interface RelayRequest<T> {
	method: 'GET' | 'POST' | 'DELETE';
	/** Path and query, appended to the client's baseUrl. */
	path: string;
	/** Session token, sent as a Bearer authorization. */
	token?: string;
	/** Sent as JSON when present. */
	body?: unknown;
	/** Schema of a 2xx reply with a body; absent for replies read without a body (202/204). */
	reply?: v.GenericSchema<unknown, T>;
}

/**
 * Sends one request. Throws `client.errorClass` with code `offline` (no answer, or a gateway's
 * 502/503/504), the relay's own code (its error body), `http-error` (any other failure) or
 * `bad-reply` (a 2xx the schema refuses).
 */
export async function relayRequest<T, E extends RelayError>(
	client: RelayClient<E>,
	request: RelayRequest<T>
): Promise<T> {
	const headers: Record<string, string> = { accept: 'application/json' };
	if (request.token) headers.authorization = `Bearer ${request.token}`;
	if (request.body !== undefined) headers['content-type'] = 'application/json';
	const send: typeof fetch = client.fetch ?? ((input, init) => globalThis.fetch(input, init));
	let response: Response;
	try {
		response = await send((client.baseUrl ?? '') + request.path, {
			method: request.method,
			headers,
			body: request.body === undefined ? undefined : JSON.stringify(request.body),
			cache: 'no-store',
			credentials: 'omit'
		});
	} catch (cause) {
		throw new client.errorClass('offline', OFFLINE_MESSAGE, { cause });
	}
	if (!response.ok) throw await refusalOf(client, response);
	if (!request.reply) return undefined as T;
	let json: unknown;
	try {
		json = await response.json();
	} catch (cause) {
		throw new client.errorClass('bad-reply', BAD_REPLY_MESSAGE, { status: response.status, cause });
	}
	const parsed = v.safeParse(request.reply, json);
	if (!parsed.success) {
		throw new client.errorClass('bad-reply', BAD_REPLY_MESSAGE, {
			status: response.status,
			cause: v.flatten(parsed.issues)
		});
	}
	return parsed.output;
}

async function refusalOf<E extends RelayError>(
	client: RelayClient<E>,
	response: Response
): Promise<E> {
	const { status } = response;
	const header = Number(response.headers.get('retry-after'));
	let json: unknown = null;
	try {
		json = await response.json();
	} catch {
		// A proxy's HTML error page, say: fall through to a generic message.
	}
	const parsed = v.safeParse(ErrorReplySchema, json);
	if (parsed.success) {
		const { code, message } = parsed.output.error;
		const retryAfterS =
			parsed.output.error.retryAfterS ??
			(Number.isFinite(header) && header > 0 ? header : undefined);
		const words = client.wordsFor?.(code, message, retryAfterS) ?? message;
		return new client.errorClass(code, words, { status, retryAfterS });
	}
	if (status === 502 || status === 503 || status === 504) {
		return new client.errorClass('offline', OFFLINE_MESSAGE, { status });
	}
	return new client.errorClass(
		'http-error',
		`Tessera’s server could not do that (HTTP ${status}). Try again in a moment.`,
		{ status }
	);
}
