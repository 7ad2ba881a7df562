// Judges a password as it is typed; zxcvbn-ts loads on first use, and stale answers are dropped.
import { judgePassword, type PasswordVerdict } from '../account';

export class PasswordCheck {
	verdict = $state<PasswordVerdict | null>(null);
	#latest = 0;

	async check(password: string, userInputs: string[]): Promise<void> {
		const ticket = ++this.#latest;
		if (password.length === 0) {
			this.verdict = null;
			return;
		}
		const verdict = await judgePassword(password, userInputs);
		if (ticket === this.#latest) this.verdict = verdict;
	}
}
