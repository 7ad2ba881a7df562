// Judges a new password with zxcvbn-ts (loaded on demand: its dictionaries are ~1 MB of JS).

export interface PasswordVerdict {
	/** 0 (guessable in seconds) to 4 (very unguessable); zxcvbn's scale. */
	score: 0 | 1 | 2 | 3 | 4;
	/** Whether Tessera accepts it for an account. */
	acceptable: boolean;
	/** Why not, or how to make it better; empty when there is nothing to say. */
	warning: string;
	suggestions: string[];
}

/**
 * Score 3 = "safely unguessable: moderate protection from offline slow-hash scenario" (~10^8
 * guesses). Argon2id at 128 MiB costs an attacker with the relay's data far more per guess than the
 * fast hashes zxcvbn assumes, so 3 is a sound floor without demanding a 20-character password.
 */
export const MIN_PASSWORD_SCORE = 3;

type Checker = (password: string, userInputs: string[]) => Omit<PasswordVerdict, 'acceptable'>;

let loading: Promise<Checker> | undefined;

function loadChecker(): Promise<Checker> {
	loading ??= Promise.all([
		import('@zxcvbn-ts/core'),
		import('@zxcvbn-ts/language-common'),
		import('@zxcvbn-ts/language-en')
	]).then(
		([core, common, en]) => {
			const zxcvbn = new core.ZxcvbnFactory({
				dictionary: { ...common.dictionary, ...en.dictionary },
				graphs: common.adjacencyGraphs,
				translations: en.translations
			});
			return (password, userInputs) => {
				const result = zxcvbn.check(password, userInputs);
				return {
					score: result.score,
					warning: result.feedback.warning ?? '',
					suggestions: result.feedback.suggestions
				};
			};
		},
		(error: unknown) => {
			loading = undefined;
			throw error;
		}
	);
	return loading;
}

/** Starts loading the checker early (e.g. when the sign-up form opens). */
export function preloadPasswordChecker(): void {
	void loadChecker().catch(() => {});
}

/** `userInputs` (the email, "tessera") count as known to an attacker. */
export async function judgePassword(
	password: string,
	userInputs: string[] = []
): Promise<PasswordVerdict> {
	if (password.length === 0) {
		return { score: 0, acceptable: false, warning: 'Choose a password.', suggestions: [] };
	}
	const check = await loadChecker();
	const inputs = [...userInputs, ...userInputs.flatMap((x) => x.split(/[@.]/)), 'tessera'].filter(
		(x) => x.length > 2
	);
	const verdict = check(password.slice(0, 256), inputs);
	const acceptable = verdict.score >= MIN_PASSWORD_SCORE;
	const warning = verdict.warning || (acceptable ? '' : 'This password would be easy to guess.');
	return { ...verdict, acceptable, warning };
}
