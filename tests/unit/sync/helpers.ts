// Test helpers for the sync specs: seeded identities and link keys, and error capture.

import {
	boxKeyPairFromSeed,
	linkKeysFromSeed,
	signKeyPairFromSeed,
	type LinkKeys
} from '../../../src/lib/crypto';
import { toBase64Url } from '../../../src/lib/protocol';
import type { AlbumIdentity } from '../../../src/lib/sync';

/** A small seeded PRNG (mulberry32): the same seed gives the same keys on every run. */
export function seededRandom(seed: number): (length: number) => Uint8Array {
	let state = seed >>> 0;
	const next = (): number => {
		state = (state + 0x6d2b79f5) >>> 0;
		let t = state;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return (t ^ (t >>> 14)) >>> 0;
	};
	return (length) => {
		const bytes = new Uint8Array(length);
		for (let i = 0; i < length; i++) bytes[i] = next() & 0xff;
		return bytes;
	};
}

export async function identityFrom(random: (length: number) => Uint8Array): Promise<AlbumIdentity> {
	return {
		sign: await signKeyPairFromSeed(random(32)),
		box: await boxKeyPairFromSeed(random(32))
	};
}

export interface TestLink {
	linkId: string;
	keys: LinkKeys;
}

export async function linkFrom(random: (length: number) => Uint8Array): Promise<TestLink> {
	return { linkId: toBase64Url(random(16)), keys: await linkKeysFromSeed(random(32)) };
}

/** Runs `fn` and returns what it threw (or rejected with); fails the test if it did not throw. */
export async function caught(fn: () => unknown): Promise<unknown> {
	try {
		await fn();
	} catch (error) {
		return error;
	}
	throw new Error('expected an error, but none was thrown');
}
