// The recovery key as 24 BIP39 English words (256 bits of key + an 8-bit checksum).

import { entropyToMnemonic, mnemonicToEntropy } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import { assertKey } from './bytes';
import { RecoveryWordsError } from './errors';

export const RECOVERY_WORD_COUNT = 24;

const KNOWN_WORDS = new Set(wordlist);

export function recoveryKeyToWords(recoveryKey: Uint8Array): string[] {
	assertKey(recoveryKey, 'Recovery key');
	return entropyToMnemonic(recoveryKey, wordlist).split(' ');
}

/**
 * Accepts the words as typed or pasted: any case, any spacing, commas or line breaks between them.
 * Throws RecoveryWordsError naming the first unknown word, or when the count or checksum is wrong.
 */
export function wordsToRecoveryKey(words: string | readonly string[]): Uint8Array {
	const text = typeof words === 'string' ? words : words.join(' ');
	const normalized = text
		.normalize('NFKD')
		.toLowerCase()
		.split(/[\s,]+/u)
		.filter((word) => word.length > 0);
	normalized.forEach((word, index) => {
		if (!KNOWN_WORDS.has(word)) {
			throw new RecoveryWordsError(
				'unknown_word',
				`Word ${index + 1}, "${word}", is not one of the recovery words. Check its spelling.`,
				index + 1
			);
		}
	});
	if (normalized.length !== RECOVERY_WORD_COUNT) {
		throw new RecoveryWordsError(
			'wrong_word_count',
			`A recovery key has ${RECOVERY_WORD_COUNT} words; you entered ${normalized.length}.`
		);
	}
	try {
		return mnemonicToEntropy(normalized.join(' '), wordlist);
	} catch {
		throw new RecoveryWordsError(
			'bad_checksum',
			'These words are not a valid recovery key: a word is wrong or two words are swapped.'
		);
	}
}
