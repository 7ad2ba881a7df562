// Seeded random membership changes by random signers: whatever the rules accept keeps the epoch key with exactly the current members.

import { describe, expect, it } from 'vitest';
import { toBase64Url, type MembershipEntry, type Role } from '../../../src/lib/protocol';
import { MembershipRuleError } from '../../../src/lib/protocol/membership-rules';
import { MembershipChain, memberKeysOf, type AlbumIdentity } from '../../../src/lib/sync';
import { identityFrom, linkFrom, seededRandom, type TestLink } from './helpers';

const SEED = Number(process.env.MEMBERSHIP_SEED ?? 20_251_129);
const STEPS = Number(process.env.MEMBERSHIP_STEPS ?? 150);
const ROLES: Role[] = ['viewer', 'collaborator', 'admin', 'owner'];

/** A built entry, with the new epoch key when it rotates. */
interface Made {
	entry: MembershipEntry;
	epochKey?: Uint8Array;
}

describe(`random membership changes (seed ${SEED})`, () => {
	it('accepts only what the rules allow and keeps every epoch key with its members', async () => {
		const random = seededRandom(SEED);
		const pick = <T>(items: readonly T[]): T => items[random(1)[0]! % items.length]!;
		const people: AlbumIdentity[] = [];
		for (let i = 0; i < 6; i++) people.push(await identityFrom(random));
		const links: TestLink[] = [];
		for (let i = 0; i < 3; i++) links.push(await linkFrom(random));
		const wraps = new Map(links.map((link) => [link.linkId, link.keys.wrapKey]));
		const pk = (who: AlbumIdentity) => toBase64Url(who.sign.publicKey);

		const created = await MembershipChain.createAlbum(people[0]!);
		const { chain } = created;
		const epochKeys = [created.epochKey];
		let accepted = 0;
		const refusedCodes = new Set<string>();
		const leftSinceRotation = new Set<string>();

		for (let step = 0; step < STEPS; step++) {
			const by = pick(people);
			const target = pick(people);
			const link = pick(links);
			const currentKey = epochKeys[chain.state.epoch]!;
			const attempt: () => Promise<Made> = pick([
				async () => ({
					entry: await chain.addMember(
						by,
						memberKeysOf(target),
						pick(['viewer', 'collaborator', 'admin'] as const),
						currentKey
					)
				}),
				async () => ({ entry: await chain.changeRole(by, pk(target), pick(ROLES)) }),
				() => chain.removeMember(by, pk(target), wraps),
				async () => ({ entry: await chain.leave(by) }),
				() => chain.rotate(by, wraps),
				async () => ({
					entry: await chain.addLink(
						by,
						{
							linkId: link.linkId,
							linkPk: link.keys.signKeyPair.publicKey,
							wrapKey: link.keys.wrapKey,
							settings: {
								permissions: { download: true, upload: true, comment: true, join: false },
								expiresAt: null,
								deviceLimit: null
							},
							password: null
						},
						currentKey
					)
				}),
				() => chain.removeLink(by, link.linkId, wraps)
			]);
			const before = chain.state;
			let made: Made;
			try {
				made = await attempt();
			} catch (error) {
				// A refusal is always a rule error, and leaves the chain as it was.
				expect(error).toBeInstanceOf(MembershipRuleError);
				refusedCodes.add((error as MembershipRuleError).code);
				expect(chain.state).toBe(before);
				continue;
			}
			await chain.append(JSON.parse(JSON.stringify(made.entry)));
			if (made.epochKey) epochKeys.push(made.epochKey);
			accepted++;

			// Every current member holds the current epoch key, and it is the one made for it. Nobody
			// else does, except someone who left since the last rotation (rotationDue says so).
			if (made.entry.op === 'leave') leftSinceRotation.add(made.entry.by);
			if (made.epochKey) leftSinceRotation.clear();
			expect(chain.state.rotationDue).toBe(leftSinceRotation.size > 0);
			for (const person of people) {
				const keys = await chain.openEpochKeys(person);
				const key = keys.get(chain.state.epoch);
				const member = chain.state.members.has(pk(person));
				const mayHold = member || leftSinceRotation.has(pk(person));
				if (member) expect(key, `step ${step}`).toBeDefined();
				if (!mayHold) expect(key, `step ${step}`).toBeUndefined();
				if (key) expect(Buffer.compare(key, epochKeys[chain.state.epoch]!)).toBe(0);
			}
		}

		// The owner never changes, and a fresh verification reaches the same state.
		expect(chain.state.members.get(pk(people[0]!))?.role).toBe('owner');
		const verified = await MembershipChain.verify(JSON.parse(JSON.stringify(chain.entries)), {
			expectedAlbumId: chain.albumId
		});
		expect(verified.state.head.index).toBe(accepted);
		expect(Buffer.compare(verified.state.head.hash, chain.state.head.hash)).toBe(0);
		expect([...verified.state.members]).toEqual([...chain.state.members]);
		expect([...verified.state.links]).toEqual([...chain.state.links]);
		expect(verified.state.epoch).toBe(epochKeys.length - 1);
		// The run exercised both sides of the rules.
		expect(accepted).toBeGreaterThan(5);
		expect(refusedCodes.size).toBeGreaterThan(2);
	});
});
