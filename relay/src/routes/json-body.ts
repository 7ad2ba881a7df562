// Reads a route's JSON body or query and checks it against its protocol schema; 400 names the bad field.

import * as v from 'valibot';
import { ApiErrorCode, describeIssues } from '../../../src/lib/protocol';
import { sendApiError } from '../responses';
import type { ApiRequest } from './route';

/**
 * The checked body, or undefined after answering 400. The size cap (413) was already enforced
 * while the body was read (http.ts, MAX_JSON_BODY_BYTES).
 */
export function readJsonBody<S extends v.GenericSchema>(
	{ res, body }: ApiRequest,
	schema: S
): v.InferOutput<S> | undefined {
	let json: unknown;
	try {
		json = JSON.parse(body.toString('utf8'));
	} catch {
		sendApiError(res, 400, ApiErrorCode.invalidJson, 'The request body is not valid JSON.');
		return undefined;
	}
	return checkInput(res, schema, json);
}

/** Checks already-parsed input (e.g. a query string); answers 400 naming the field when it fails. */
export function checkInput<S extends v.GenericSchema>(
	res: ApiRequest['res'],
	schema: S,
	input: unknown
): v.InferOutput<S> | undefined {
	const result = v.safeParse(schema, input);
	if (result.success) return result.output;
	sendApiError(res, 400, ApiErrorCode.invalidRequest, describeIssues(result.issues));
	return undefined;
}

/** The request's query parameters (the path is matched elsewhere; the origin is never used). */
export function queryOf(req: ApiRequest['req']): URLSearchParams {
	return new URL(req.url ?? '', 'http://relay.invalid').searchParams;
}
