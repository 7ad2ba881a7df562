// Answers 429 when any of a request's rate-limit verdicts says so, with the longest wait.

import type { ServerResponse } from 'node:http';
import { ApiErrorCode } from '../../../src/lib/protocol';
import type { RateLimitVerdict } from '../rate-limit';
import { sendTooManyRequests } from '../responses';

export const TOO_MANY_ATTEMPTS_MESSAGE = 'Too many failed attempts. Try again in a few minutes.';
export const RATE_LIMITED_MESSAGE = 'Too many requests. Try again shortly.';

/** True after answering 429 because one of the verdicts is limited. */
export function refuseIfLimited(
	res: ServerResponse,
	verdicts: readonly RateLimitVerdict[],
	code: ApiErrorCode = ApiErrorCode.tooManyAttempts,
	message: string = TOO_MANY_ATTEMPTS_MESSAGE
): boolean {
	let wait = 0;
	for (const verdict of verdicts) if (verdict.limited) wait = Math.max(wait, verdict.retryAfterS);
	if (wait === 0) return false;
	sendTooManyRequests(res, code, message, wait);
	return true;
}

/** A route matcher for one exact path. */
export function exactPath(path: string): (rawPath: string) => Record<string, string> | null {
	return (rawPath) => (rawPath === path ? {} : null);
}
