// Spec of the membership chain on a device: a full album lifecycle, epoch keys, and what a verifier refuses.

import * as v from 'valibot';
import { beforeAll, describe, expect, it } from 'vitest';
import {
	DecryptError,
	fromBase64Url,
	openSealed,
	randomKey,
	sealTo
} from '../../../src/lib/crypto';
import {
	MembershipEntrySchema,
	toBase64Url,
	type MembershipEntry,
	type UnsignedMembershipEntry
} from '../../../src/lib/protocol';
import {
	MembershipRuleError,
	epochAt,
	roleAt,
	type LinkSettings,
	type MembershipRuleCode
} from '../../../src/lib/protocol/membership-rules';
import {
	ForkError,
	MembershipChain,
	MembershipChainError,
	RollbackError,
	deriveAlbumId,
	hashMembershipEntry,
	memberKeysOf,
	openEpochKeys,
	openLinkEpochKeys,
	signMembershipEntry,
	type AlbumIdentity
} from '../../../src/lib/sync';
import { caught, identityFrom, linkFrom, seededRandom, type TestLink } from './helpers';

const random = seededRandom(0x7e55e7a);
let owner: AlbumIdentity;
let admin: AlbumIdentity;
let collab: AlbumIdentity;
let viewer: AlbumIdentity;
let dave: AlbumIdentity;
let outsider: AlbumIdentity;
let link1: TestLink;
let link2: TestLink;

beforeAll(async () => {
	// One after another, so each identity always gets the same bytes of the seeded stream.
	owner = await identityFrom(random);
	admin = await identityFrom(random);
	collab = await identityFrom(random);
	viewer = await identityFrom(random);
	dave = await identityFrom(random);
	outsider = await identityFrom(random);
	link1 = await linkFrom(random);
	link2 = await linkFrom(random);
});

/** A well-formed key box: a random key sealed to `to`. */
function keyBoxFor(to: AlbumIdentity): Promise<Uint8Array> {
	return sealTo(to.box.publicKey, randomKey());
}

const pk = (identity: AlbumIdentity): string => toBase64Url(identity.sign.publicKey);

const uploads: LinkSettings = {
	permissions: { download: true, upload: true, comment: false, join: false },
	expiresAt: 1_900_000_000_000,
	deviceLimit: 5
};

function wire(entry: unknown): unknown {
	return JSON.parse(JSON.stringify(entry));
}

/** Appends an entry the way a device does once the relay accepted it, after a wire round trip. */
async function accept(chain: MembershipChain, entry: MembershipEntry): Promise<void> {
	expect(v.parse(MembershipEntrySchema, wire(entry))).toEqual(entry);
	await chain.append(wire(entry));
}

async function newLink(link: TestLink, settings = uploads) {
	return {
		linkId: link.linkId,
		linkPk: link.keys.signKeyPair.publicKey,
		wrapKey: link.keys.wrapKey,
		settings,
		password: null
	};
}

/** An entry signed by `by` on top of `chain`'s head without the builder's rule check: an attacker's tool. */
async function forge(
	chain: MembershipChain,
	by: AlbumIdentity,
	body: Record<string, unknown>,
	position: Partial<{ albumId: string; index: number; prev: string }> = {}
): Promise<MembershipEntry> {
	const unsigned = {
		albumId: chain.albumId,
		index: chain.state.head.index + 1,
		prev: toBase64Url(chain.state.head.hash),
		...body,
		...position,
		by: pk(by)
	} as unknown as UnsignedMembershipEntry;
	return (await signMembershipEntry(unsigned, by.sign.privateKey)) as MembershipEntry;
}

/** Re-signs an entry after changing it, as an authorised but misbehaving signer would. */
async function resign(
	entry: MembershipEntry,
	by: AlbumIdentity,
	change: Record<string, unknown>
): Promise<MembershipEntry> {
	const { sig: _sig, ...rest } = { ...entry, ...change } as MembershipEntry;
	return (await signMembershipEntry(
		rest as UnsignedMembershipEntry,
		by.sign.privateKey
	)) as MembershipEntry;
}

async function verifyWith(
	chain: MembershipChain,
	extra: MembershipEntry[] = []
): Promise<MembershipChain> {
	return MembershipChain.verify(wire([...chain.entries, ...extra]) as unknown[], {
		expectedAlbumId: chain.albumId
	});
}

async function expectRule(run: () => unknown, code: MembershipRuleCode): Promise<void> {
	const error = await caught(run);
	expect(error).toBeInstanceOf(MembershipRuleError);
	expect((error as MembershipRuleError).code).toBe(code);
}

async function expectChainError(run: () => unknown, code: string): Promise<MembershipChainError> {
	const error = await caught(run);
	expect(error).toBeInstanceOf(MembershipChainError);
	expect((error as MembershipChainError).code).toBe(code);
	return error as MembershipChainError;
}

describe('an album from creation to deletion', () => {
	it('verifies from genesis with the expected roles, epochs and keys at every step', async () => {
		const created = await MembershipChain.createAlbum(owner);
		const { chain } = created;
		expect(created.albumId).toBe(
			await deriveAlbumId({
				by: created.genesis.by,
				ownerBoxPk: created.genesis.ownerBoxPk,
				keyBox: created.genesis.keyBox
			})
		);
		expect(v.parse(MembershipEntrySchema, wire(created.genesis))).toEqual(created.genesis);

		const epochKeys = [created.epochKey];
		const linkKeys = new Map([
			[link1.linkId, link1.keys.wrapKey],
			[link2.linkId, link2.keys.wrapKey]
		]);
		const k = () => epochKeys[epochKeys.length - 1]!;
		const rotating = async (made: Promise<{ entry: MembershipEntry; epochKey: Uint8Array }>) => {
			const { entry, epochKey } = await made;
			epochKeys.push(epochKey);
			await accept(chain, entry);
		};

		await accept(chain, await chain.addMember(owner, memberKeysOf(viewer), 'viewer', k())); // 1
		await accept(chain, await chain.addMember(owner, memberKeysOf(collab), 'collaborator', k())); // 2
		await accept(chain, await chain.addMember(owner, memberKeysOf(admin), 'admin', k())); // 3
		await accept(chain, await chain.changeRole(admin, pk(viewer), 'collaborator')); // 4
		await accept(chain, await chain.addMember(admin, memberKeysOf(dave), 'viewer', k())); // 5
		await accept(chain, await chain.addLink(admin, await newLink(link1), k())); // 6
		await accept(chain, await chain.changeRole(owner, pk(collab), 'viewer')); // 7
		await rotating(chain.removeMember(admin, pk(viewer), linkKeys)); // 8: epoch 1
		await accept(chain, await chain.leave(dave)); // 9: dave leaves, no new key yet
		expect(chain.state.rotationDue).toBe(true);
		await accept(chain, await chain.addLink(owner, await newLink(link2), k())); // 10
		await accept(
			chain,
			await chain.updateLink(owner, link1.linkId, {
				...uploads,
				permissions: { ...uploads.permissions, upload: false }
			})
		); // 11
		await rotating(chain.removeLink(owner, link2.linkId, linkKeys)); // 12: epoch 2
		expect(chain.state.rotationDue).toBe(false);
		await rotating(chain.rotate(admin, linkKeys)); // 13: epoch 3
		await accept(chain, await chain.deleteAlbum(owner)); // 14

		const verified = await verifyWith(chain);
		const s = verified.state;
		expect(s.head.index).toBe(14);
		expect(Buffer.compare(s.head.hash, chain.state.head.hash)).toBe(0);
		expect(s.deleted).toBe(true);
		expect(s.epoch).toBe(3);
		expect([...s.members.keys()].sort()).toEqual([pk(owner), pk(collab), pk(admin)].sort());
		expect([...s.links.keys()]).toEqual([link1.linkId]);
		expect(s.links.get(link1.linkId)?.settings.permissions.upload).toBe(false);

		const rolesOf = (who: AlbumIdentity) =>
			Array.from({ length: 15 }, (_, i) => roleAt(s, pk(who), i));
		// prettier-ignore
		expect(rolesOf(viewer)).toEqual([null, 'viewer', 'viewer', 'viewer', 'collaborator', 'collaborator', 'collaborator', 'collaborator', null, null, null, null, null, null, null]);
		// prettier-ignore
		expect(rolesOf(collab)).toEqual([null, null, 'collaborator', 'collaborator', 'collaborator', 'collaborator', 'collaborator', 'viewer', 'viewer', 'viewer', 'viewer', 'viewer', 'viewer', 'viewer', 'viewer']);
		expect(rolesOf(dave).filter((role) => role === 'viewer')).toHaveLength(4); // 5..8
		expect(rolesOf(owner).every((role) => role === 'owner')).toBe(true);
		// prettier-ignore
		expect(Array.from({ length: 15 }, (_, i) => epochAt(s, i))).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 3, 3]);

		// Epoch keys: everyone gets exactly the epochs they were sealed into.
		const opened = async (who: AlbumIdentity) => openEpochKeys(s, verified.entries, who);
		const ownerKeys = await opened(owner);
		expect([...ownerKeys.keys()]).toEqual([0, 1, 2, 3]);
		for (const [epoch, key] of ownerKeys) {
			expect(Buffer.compare(key, epochKeys[epoch]!)).toBe(0);
		}
		expect([...(await opened(collab)).keys()]).toEqual([0, 1, 2, 3]);
		expect([...(await opened(admin)).keys()]).toEqual([0, 1, 2, 3]);
		expect([...(await opened(viewer)).keys()]).toEqual([0]);
		expect([...(await opened(dave)).keys()]).toEqual([0, 1]);
		expect([...(await opened(outsider)).keys()]).toEqual([]);

		const link1Keys = await openLinkEpochKeys(verified.entries, link1.linkId, link1.keys.wrapKey);
		expect([...link1Keys.keys()]).toEqual([0, 1, 2, 3]);
		expect(Buffer.compare(link1Keys.get(3)!, epochKeys[3]!)).toBe(0);
		const link2Keys = await openLinkEpochKeys(verified.entries, link2.linkId, link2.keys.wrapKey);
		expect([...link2Keys.keys()]).toEqual([1]);
		// A wrong password gives a wrong wrap key: nothing opens.
		expect((await openLinkEpochKeys(verified.entries, link1.linkId, link2.keys.wrapKey)).size).toBe(
			0
		);
	});

	it('leaves the removed member no way to open the new epoch key', async () => {
		const { chain, epochKey } = await MembershipChain.createAlbum(owner);
		await accept(chain, await chain.addMember(owner, memberKeysOf(viewer), 'viewer', epochKey));
		await accept(
			chain,
			await chain.addMember(owner, memberKeysOf(collab), 'collaborator', epochKey)
		);
		const { entry } = await chain.removeMember(owner, pk(viewer), new Map());
		await accept(chain, entry);
		if (entry.op !== 'remove') throw new Error('expected a remove');
		expect(entry.rotation.keyBoxes.map((box) => box.member)).not.toContain(pk(viewer));
		expect(entry.rotation.keyBoxes).toHaveLength(2);
		for (const { box } of entry.rotation.keyBoxes) {
			await expect(openSealed(fromBase64Url(box), viewer.box)).rejects.toBeInstanceOf(DecryptError);
		}
		expect([...(await chain.openEpochKeys(viewer)).keys()]).toEqual([0]);
		expect([...(await chain.openEpochKeys(collab)).keys()]).toEqual([0, 1]);
	});
});

describe('leaving', () => {
	it('gives the leaver no key of the epoch a manager starts after the leave', async () => {
		const { chain, epochKey } = await MembershipChain.createAlbum(owner);
		await accept(chain, await chain.addMember(owner, memberKeysOf(admin), 'admin', epochKey));
		await accept(chain, await chain.addMember(owner, memberKeysOf(dave), 'viewer', epochKey));
		const leave = await chain.leave(dave);
		expect(Object.keys(leave).sort()).toEqual(['albumId', 'by', 'index', 'op', 'prev', 'sig']);
		await accept(chain, leave);
		expect(chain.state.members.has(pk(dave))).toBe(false);
		expect(chain.state.epoch).toBe(0);
		expect(chain.state.rotationDue).toBe(true);

		const { entry, epochKey: next } = await chain.rotate(admin, new Map());
		await accept(chain, entry);
		expect(chain.state.rotationDue).toBe(false);
		expect([...(await chain.openEpochKeys(dave)).keys()]).toEqual([0]);
		const adminKeys = await chain.openEpochKeys(admin);
		expect(Buffer.compare(adminKeys.get(1)!, next)).toBe(0);
		// The verifier reaches the same state from genesis.
		const verified = await verifyWith(chain);
		expect(verified.state.rotationDue).toBe(false);
		expect(verified.state.members.has(pk(dave))).toBe(false);
	});

	it('refuses to build a self-remove or an owner leaving', async () => {
		const { chain, epochKey } = await MembershipChain.createAlbum(owner);
		await accept(chain, await chain.addMember(owner, memberKeysOf(dave), 'admin', epochKey));
		await expectRule(() => chain.removeMember(dave, pk(dave), new Map()), 'use-leave');
		await expectRule(() => chain.leave(owner), 'cannot-remove-owner');
		await expectRule(() => chain.leave(outsider), 'not-authorized');
	});
});

describe('what a verifier refuses', () => {
	let base: MembershipChain;
	let epochKey: Uint8Array;

	beforeAll(async () => {
		const created = await MembershipChain.createAlbum(owner);
		base = created.chain;
		epochKey = created.epochKey;
		await accept(base, await base.addMember(owner, memberKeysOf(admin), 'admin', epochKey)); // 1
		await accept(base, await base.addMember(owner, memberKeysOf(collab), 'collaborator', epochKey)); // 2
		await accept(base, await base.addMember(admin, memberKeysOf(viewer), 'viewer', epochKey)); // 3
		await accept(base, await base.addLink(owner, await newLink(link1), epochKey)); // 4
	});

	const wraps = () => new Map([[link1.linkId, link1.keys.wrapKey]]);

	it('accepts the untouched chain', async () => {
		expect((await verifyWith(base)).state.head.index).toBe(4);
	});

	it.each(['viewer', 'collaborator'] as const)(
		"refuses a %s's correctly signed add, remove and role change",
		async (who) => {
			const signer = who === 'viewer' ? viewer : collab;
			const other = who === 'viewer' ? collab : viewer;
			const { entry: removal } = await base.removeMember(owner, pk(other), wraps());
			const attempts = [
				await forge(base, signer, {
					op: 'add',
					member: memberKeysOf(outsider),
					role: 'viewer',
					epoch: 0,
					keyBox: toBase64Url(await keyBoxFor(outsider))
				}),
				await resign(removal, signer, { by: pk(signer) }),
				await forge(base, signer, { op: 'role', member: pk(other), role: 'admin' }),
				await forge(base, signer, { op: 'role', member: pk(signer), role: 'admin' })
			];
			for (const attempt of attempts) {
				await expectRule(() => verifyWith(base, [attempt]), 'not-authorized');
			}
		}
	);

	it("refuses an outsider's entry, even one adding themselves", async () => {
		const selfAdd = await forge(base, outsider, {
			op: 'add',
			member: memberKeysOf(outsider),
			role: 'admin',
			epoch: 0,
			keyBox: toBase64Url(await keyBoxFor(outsider))
		});
		await expectRule(() => verifyWith(base, [selfAdd]), 'not-authorized');
		await expectRule(
			async () => verifyWith(base, [await forge(base, outsider, { op: 'delete' })]),
			'not-authorized'
		);
	});

	it('refuses a signature with one byte flipped, and any field changed after signing', async () => {
		const good = await base.addMember(owner, memberKeysOf(dave), 'viewer', epochKey);
		expect((await verifyWith(base, [good])).state.head.index).toBe(5);
		if (good.op !== 'add') throw new Error('expected an add');
		const flip = (text: string, at = 0): string => {
			const bytes = fromBase64Url(text);
			bytes[at]! ^= 0x01;
			return toBase64Url(bytes);
		};
		const tampered: MembershipEntry[] = [
			{ ...good, sig: flip(good.sig) },
			{ ...good, sig: flip(good.sig, 63) },
			{ ...good, role: 'admin' },
			{ ...good, member: { ...good.member, signPk: pk(outsider) } },
			{ ...good, member: { ...good.member, boxPk: flip(good.member.boxPk) } },
			{ ...good, keyBox: flip(good.keyBox, 10) },
			{ ...good, by: pk(admin) },
			{ ...good, prev: flip(good.prev) },
			{ ...good, index: 6 },
			{ ...good, epoch: 1 },
			{ ...good, albumId: flip(good.albumId) }
		];
		for (const entry of tampered) {
			await expectChainError(() => verifyWith(base, [entry]), 'bad-signature');
		}
		// A tampered genesis fails the same way, and so does a tampered entry in the middle.
		const [genesis, ...rest] = base.entries;
		if (genesis?.op !== 'create') throw new Error('expected a create');
		await expectChainError(
			() =>
				MembershipChain.verify(
					wire([{ ...genesis, keyBox: flip(genesis.keyBox, 5) }, ...rest]) as unknown[],
					{
						expectedAlbumId: base.albumId
					}
				),
			'bad-signature'
		);
		const middle = [...base.entries];
		middle[2] = { ...middle[2]!, prev: flip(middle[2]!.prev!) } as MembershipEntry;
		const error = await expectChainError(
			() => MembershipChain.verify(wire(middle) as unknown[], { expectedAlbumId: base.albumId }),
			'bad-signature'
		);
		expect(error.index).toBe(2);
	});

	it('refuses a wrong prev, a gap, a duplicate index and a replayed entry', async () => {
		const body = { op: 'role', member: pk(viewer), role: 'collaborator' };
		const olderPrev = toBase64Url(await hashMembershipEntry(base.entries[3]!));
		await expectRule(
			async () => verifyWith(base, [await forge(base, owner, body, { prev: olderPrev })]),
			'wrong-prev'
		);
		await expectRule(
			async () => verifyWith(base, [await forge(base, owner, body, { index: 6 })]),
			'wrong-index'
		);
		await expectRule(
			async () => verifyWith(base, [await forge(base, owner, body, { index: 4, prev: olderPrev })]),
			'wrong-index'
		);
		await expectRule(() => verifyWith(base, [base.entries[4]!]), 'wrong-index');
	});

	it('refuses an entry spliced in from another album, even by the same owner', async () => {
		const other = await MembershipChain.createAlbum(owner);
		const foreign = await other.chain.addMember(
			owner,
			memberKeysOf(outsider),
			'admin',
			other.epochKey
		);
		const spliced = [...base.entries.slice(0, 1), foreign, ...base.entries.slice(2)];
		await expectRule(
			() => MembershipChain.verify(wire(spliced) as unknown[], { expectedAlbumId: base.albumId }),
			'wrong-album'
		);
		await expectRule(() => verifyWith(base, [foreign]), 'wrong-album');
		// A whole other album's history under this album's id.
		await expectChainError(
			() =>
				MembershipChain.verify(wire(other.chain.entries) as unknown[], {
					expectedAlbumId: base.albumId
				}),
			'wrong-album'
		);
	});

	describe('rotations', () => {
		let removal: MembershipEntry & { op: 'remove' };

		beforeAll(async () => {
			const { entry } = await base.removeMember(admin, pk(viewer), wraps());
			if (entry.op !== 'remove') throw new Error('expected a remove');
			removal = entry;
			expect((await verifyWith(base, [removal])).state.epoch).toBe(1);
		});

		const withRotation = (change: (r: typeof removal.rotation) => typeof removal.rotation) =>
			resign(removal, admin, { rotation: change(removal.rotation) });

		it('refuses a rotation that leaves out a remaining member', async () => {
			const entry = await withRotation((r) => ({
				...r,
				keyBoxes: r.keyBoxes.filter((box) => box.member !== pk(collab))
			}));
			await expectRule(() => verifyWith(base, [entry]), 'bad-rotation');
		});

		it('refuses a rotation that still seals the key to the removed member', async () => {
			const sealedToViewer = { member: pk(viewer), box: removal.rotation.keyBoxes[0]!.box };
			const entry = await withRotation((r) => ({
				...r,
				keyBoxes: [...r.keyBoxes, sealedToViewer]
			}));
			await expectRule(() => verifyWith(base, [entry]), 'bad-rotation');
		});

		it('refuses a rotation that seals twice to one member', async () => {
			const entry = await withRotation((r) => ({
				...r,
				keyBoxes: [...r.keyBoxes, r.keyBoxes[0]!]
			}));
			await expectRule(() => verifyWith(base, [entry]), 'bad-rotation');
		});

		it('refuses a rotation that forgets a link', async () => {
			const entry = await withRotation((r) => ({ ...r, linkWraps: [] }));
			await expectRule(() => verifyWith(base, [entry]), 'bad-rotation');
		});

		it.each([0, 2, 7])('refuses a rotation to epoch %i (the next is 1)', async (epoch) => {
			const entry = await withRotation((r) => ({ ...r, epoch }));
			await expectRule(() => verifyWith(base, [entry]), 'wrong-epoch');
		});

		it("needs every remaining link's wrap key to build one", async () => {
			await expectChainError(() => base.rotate(owner, new Map()), 'missing-link-wrap-key');
		});
	});

	it('refuses removing the owner and an admin promoting anyone to owner', async () => {
		const { entry: removal } = await base.removeMember(admin, pk(viewer), wraps());
		await expectRule(
			async () => verifyWith(base, [await resign(removal, admin, { member: pk(owner) })]),
			'cannot-remove-owner'
		);
		await expectRule(() => base.removeMember(admin, pk(owner), wraps()), 'cannot-remove-owner');
		await expectRule(
			async () =>
				verifyWith(base, [
					await forge(base, admin, { op: 'role', member: pk(admin), role: 'owner' })
				]),
			'ownership-transfer-unsupported'
		);
		await expectRule(
			() => base.changeRole(admin, pk(collab), 'owner'),
			'ownership-transfer-unsupported'
		);
	});

	it('refuses anything after delete', async () => {
		const deletion = await base.deleteAlbum(owner);
		const deleted = await verifyWith(base, [deletion]);
		expect(deleted.state.deleted).toBe(true);
		const after = await forge(deleted, owner, { op: 'role', member: pk(viewer), role: 'admin' });
		await expectRule(() => verifyWith(base, [deletion, after]), 'album-deleted');
		await expectRule(() => deleted.deleteAlbum(owner), 'album-deleted');
	});

	it('refuses a second genesis for the same album id with another owner', async () => {
		const genesis = base.entries[0]!;
		if (genesis.op !== 'create') throw new Error('expected a create');
		const usurper = memberKeysOf(outsider);
		// Same id, same sealed key box even: only the owner fields differ, and the id no longer matches.
		for (const fields of [
			{ ownerBoxPk: usurper.boxPk },
			{ ownerBoxPk: usurper.boxPk, keyBox: toBase64Url(await keyBoxFor(outsider)) }
		]) {
			const { sig: _sig, ...unsigned } = { ...genesis, ...fields, by: usurper.signPk };
			const fake = await signMembershipEntry(unsigned, outsider.sign.privateKey);
			await expectRule(
				() => MembershipChain.verify(wire([fake]) as unknown[], { expectedAlbumId: base.albumId }),
				'album-id-mismatch'
			);
		}
	});

	it('refuses to go back to an older head', async () => {
		const head = base.state.head;
		const older = base.entries.slice(0, 3);
		const error = await caught(() =>
			MembershipChain.verify(wire(older) as unknown[], {
				expectedAlbumId: base.albumId,
				knownHead: head
			})
		);
		expect(error).toBeInstanceOf(RollbackError);
		expect((error as RollbackError).code).toBe('rollback');
		// The same head, or a longer chain through it, is fine.
		const newer = await base.addMember(owner, memberKeysOf(dave), 'viewer', epochKey);
		for (const entries of [base.entries, [...base.entries, newer]]) {
			const chain = await MembershipChain.verify(wire(entries) as unknown[], {
				expectedAlbumId: base.albumId,
				knownHead: { index: head.index, hash: toBase64Url(head.hash) }
			});
			expect(chain.state.head.index).toBeGreaterThanOrEqual(head.index);
		}
	});

	it('refuses a fork: another entry at an index the device already verified', async () => {
		const seen = await base.addMember(owner, memberKeysOf(dave), 'viewer', epochKey);
		const knownHead = { index: 5, hash: await hashMembershipEntry(seen) };
		// The owner (or an admin) signed two different entries at index 5; the relay shows the other.
		const other = await base.addMember(owner, memberKeysOf(outsider), 'viewer', epochKey);
		const longer = await forge(await verifyWith(base, [other]), owner, {
			op: 'role',
			member: pk(outsider),
			role: 'collaborator'
		});
		for (const extra of [[other], [other, longer]]) {
			const error = await caught(() =>
				MembershipChain.verify(wire([...base.entries, ...extra]) as unknown[], {
					expectedAlbumId: base.albumId,
					knownHead
				})
			);
			expect(error).toBeInstanceOf(ForkError);
			expect((error as ForkError).code).toBe('fork');
		}
	});

	it('refuses malformed wire entries and an empty history', async () => {
		const error = await expectChainError(
			() =>
				verifyWith(base, [
					{ ...base.entries[4]!, index: 5, op: 'promote' } as unknown as MembershipEntry
				]),
			'malformed-entry'
		);
		expect(error.message).toContain('op:');
		await expectChainError(
			() => MembershipChain.verify([], { expectedAlbumId: base.albumId }),
			'empty-chain'
		);
	});

	it('builders refuse what the rules refuse, and a refused append changes nothing', async () => {
		await expectRule(
			() => base.addMember(viewer, memberKeysOf(outsider), 'viewer', epochKey),
			'not-authorized'
		);
		await expectRule(() => base.changeRole(admin, pk(owner), 'viewer'), 'cannot-change-owner');
		await expectRule(() => base.deleteAlbum(admin), 'not-authorized');
		const before = base.state;
		await expectRule(
			async () => base.append(wire(await forge(base, viewer, { op: 'delete' }))),
			'not-authorized'
		);
		await expectChainError(() => base.append({ nonsense: true }), 'malformed-entry');
		expect(base.state).toBe(before);
		expect(base.entries).toHaveLength(5);
	});
});
