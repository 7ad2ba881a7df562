// Verification ID: the same keys always render the same 12 groups; any other key renders differently.

import { describe, expect, it } from 'vitest';
import {
	FormatError,
	generateBoxKeyPair,
	generateSignKeyPair,
	verificationId
} from '../../../src/lib/crypto';
import { caught } from './helpers';

describe('verificationId', () => {
	it('renders 12 groups of 5 digits, the same every time', async () => {
		const sign = await generateSignKeyPair();
		const box = await generateBoxKeyPair();
		const id = await verificationId(sign.publicKey, box.publicKey);
		expect(id).toMatch(/^\d{5}( \d{5}){11}$/);
		expect(await verificationId(sign.publicKey.slice(), box.publicKey.slice())).toBe(id);
	});

	it('changes when either key changes, or when they are swapped', async () => {
		const sign = await generateSignKeyPair();
		const box = await generateBoxKeyPair();
		const id = await verificationId(sign.publicKey, box.publicKey);
		expect(await verificationId((await generateSignKeyPair()).publicKey, box.publicKey)).not.toBe(
			id
		);
		expect(await verificationId(sign.publicKey, (await generateBoxKeyPair()).publicKey)).not.toBe(
			id
		);
		expect(await verificationId(box.publicKey, sign.publicKey)).not.toBe(id);
	});

	it('refuses keys of the wrong size', async () => {
		const box = await generateBoxKeyPair();
		expect(await caught(() => verificationId(new Uint8Array(31), box.publicKey))).toBeInstanceOf(
			FormatError
		);
	});
});
