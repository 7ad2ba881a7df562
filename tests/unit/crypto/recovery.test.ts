// Recovery words: 24 BIP39 words round-trip the recovery key, forgive typing style, and name the mistake.

import { describe, expect, it } from 'vitest';
import { randomKey, RecoveryWordsError } from '../../../src/lib/crypto';
import { recoveryKeyToWords, wordsToRecoveryKey } from '../../../src/lib/crypto/recovery';
import { sameBytes } from './helpers';

function refusal(words: string | string[]): RecoveryWordsError {
	try {
		wordsToRecoveryKey(words);
	} catch (error) {
		expect(error).toBeInstanceOf(RecoveryWordsError);
		return error as RecoveryWordsError;
	}
	throw new Error('expected the words to be refused');
}

describe('recovery words', () => {
	it('round-trips random recovery keys through 24 words', () => {
		for (let i = 0; i < 20; i++) {
			const key = randomKey();
			const words = recoveryKeyToWords(key);
			expect(words).toHaveLength(24);
			expect(sameBytes(wordsToRecoveryKey(words), key)).toBe(true);
		}
	});

	it('accepts any case, extra spaces, line breaks and commas', () => {
		const key = randomKey();
		const words = recoveryKeyToWords(key);
		const typed = `  ${words.slice(0, 12).join('  ').toUpperCase()}\n${words.slice(12).join(', ')}\t `;
		expect(sameBytes(wordsToRecoveryKey(typed), key)).toBe(true);
		expect(
			sameBytes(
				wordsToRecoveryKey(words.map((word) => ` ${word[0]!.toUpperCase()}${word.slice(1)} `)),
				key
			)
		).toBe(true);
	});

	it('names an unknown word and its position', () => {
		const words = recoveryKeyToWords(randomKey());
		words[6] = 'bananna';
		const error = refusal(words);
		expect(error.code).toBe('unknown_word');
		expect(error.position).toBe(7);
		expect(error.message).toContain('bananna');
		expect(error.message).toContain('Word 7');
	});

	it('refuses the wrong number of words', () => {
		const words = recoveryKeyToWords(randomKey());
		expect(refusal(words.slice(0, 23)).code).toBe('wrong_word_count');
		expect(refusal([...words, 'abandon']).code).toBe('wrong_word_count');
		expect(refusal('').code).toBe('wrong_word_count');
	});

	it('refuses a wrong or swapped word through the checksum', () => {
		const words = recoveryKeyToWords(new Uint8Array(32).fill(0x7f));
		const wrongLast = [...words.slice(0, 23), 'zoo'];
		expect(refusal(wrongLast).code).toBe('bad_checksum');
		const swapped = [...words];
		[swapped[0], swapped[23]] = [swapped[23]!, swapped[0]!];
		expect(refusal(swapped).code).toBe('bad_checksum');
	});
});
