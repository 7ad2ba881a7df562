// What uploads and downloads share about the relay: where it is, the session token, and its error replies.

import * as v from 'valibot';
import {
	OFFLINE_MESSAGE,
	QuotaExceededError,
	SessionEndedError,
	TransferError,
	type TransferErrorCode
} from './errors';

/**
 * The current session token, or null/undefined when there is none. Asked before every request,
 * so a token that changed (log-in again) is picked up without restarting anything.
 */
export type TokenProvider = () => string | null | undefined | Promise<string | null | undefined>;

export interface RelayEndpoint {
	/** Origin of the relay, e.g. "https://tessera.example"; empty for the page's own origin. */
	baseUrl?: string;
	token: TokenProvider;
	fetch?: typeof fetch;
}

export const UPLOADS_PATH = '/api/uploads';
export const BLOBS_PATH = '/api/blobs/';

export async function bearerHeader(token: TokenProvider): Promise<string> {
	const value = await token();
	if (!value) throw new SessionEndedError();
	return `Bearer ${value}`;
}

/** The relay's error body, read leniently: it may come from an older or newer relay, or a proxy. */
const ErrorReplySchema = v.object({
	error: v.object({
		code: v.pipe(v.string(), v.maxLength(64)),
		message: v.pipe(v.string(), v.maxLength(1000))
	})
});

export function parseErrorBody(body: string): { code: string; message: string } | null {
	let json: unknown;
	try {
		json = JSON.parse(body);
	} catch {
		return null;
	}
	const parsed = v.safeParse(ErrorReplySchema, json);
	return parsed.success ? parsed.output.error : null;
}

/**
 * A relay reply that is not a success, as the typed error the UI branches on. `fallback` names
 * what failed for statuses without a specific meaning.
 */
export function errorFromReply(
	status: number,
	body: string,
	fallback: 'upload-failed' | 'download-failed'
): TransferError {
	const reply = parseErrorBody(body);
	if (status === 401) return new SessionEndedError(undefined, { status });
	if (status === 413) {
		const quota = reply?.code === 'quota-exceeded' || (!reply && /quota-exceeded/.test(body));
		if (quota) return new QuotaExceededError();
		return new TransferError(
			'upload-too-large',
			reply?.message ?? 'This file is larger than the server accepts.',
			{ status }
		);
	}
	if (status === 404 && fallback === 'download-failed') {
		return new TransferError('blob-not-found', 'This file is not on the server (any more).', {
			status
		});
	}
	const code: TransferErrorCode = fallback;
	const what = fallback === 'upload-failed' ? 'upload' : 'download';
	return new TransferError(
		code,
		reply?.message ?? `The server refused the ${what} (HTTP ${status}).`,
		{ status }
	);
}

export function offlineError(cause: unknown): TransferError {
	return new TransferError('offline', OFFLINE_MESSAGE, { cause });
}
