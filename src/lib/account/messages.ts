// What to tell a person when an account action fails.

import { AccountError, OFFLINE_MESSAGE } from './errors';

function minutes(seconds: number): string {
	const m = Math.max(1, Math.ceil(seconds / 60));
	return `${m} ${m === 1 ? 'minute' : 'minutes'}`;
}

export function describeAccountError(error: unknown): string {
	if (error instanceof AccountError) {
		switch (error.code) {
			case 'too-many-attempts':
				return error.retryAfterS !== undefined
					? `Too many attempts. Try again in ${minutes(error.retryAfterS)}.`
					: 'Too many attempts. Try again later.';
			case 'offline':
				return OFFLINE_MESSAGE;
			case 'email-not-verified':
				return 'This email address is not verified yet. Sign up again to get a new code.';
			default:
				return error.message;
		}
	}
	if (error instanceof Error && error.name === 'DecryptError') {
		return 'These keys could not be opened. Check the password and try again.';
	}
	return error instanceof Error ? error.message : 'Something went wrong. Try again.';
}
