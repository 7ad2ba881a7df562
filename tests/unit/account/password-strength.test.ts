// New passwords: empty and guessable ones are refused with a reason a person can act on.

import { describe, expect, it } from 'vitest';
import { judgePassword, MIN_PASSWORD_SCORE } from '../../../src/lib/account';

describe('password strength', () => {
	it('refuses an empty password', async () => {
		const verdict = await judgePassword('');
		expect(verdict.acceptable).toBe(false);
		expect(verdict.warning).toBe('Choose a password.');
	});

	it('refuses common passwords and says why', async () => {
		for (const weak of ['password', 'qwerty123', 'kitten12345']) {
			const verdict = await judgePassword(weak);
			expect(verdict.acceptable, weak).toBe(false);
			expect(verdict.score).toBeLessThan(MIN_PASSWORD_SCORE);
			expect(verdict.warning.length, weak).toBeGreaterThan(0);
		}
	});

	it('counts the email address as known to an attacker', async () => {
		const alone = await judgePassword('margaretbanks1987');
		const withEmail = await judgePassword('margaretbanks1987', ['margaretbanks1987@example.com']);
		expect(withEmail.score).toBeLessThanOrEqual(alone.score);
		expect(withEmail.acceptable).toBe(false);
	});

	it('accepts a long passphrase', async () => {
		const verdict = await judgePassword('violet anchor mosaic 71');
		expect(verdict.acceptable).toBe(true);
	});
});
