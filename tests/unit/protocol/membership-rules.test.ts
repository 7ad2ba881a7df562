// Spec of the membership rules: who may sign which change, rotations, history and doc writers (no crypto).

import { describe, expect, it } from 'vitest';
import {
	toBase64Url,
	type MembershipEntry,
	type Role,
	type Rotation
} from '../../../src/lib/protocol';
import {
	MembershipRuleError,
	albumIdFromDigest,
	albumIdPreimage,
	applyMembershipEntry,
	canWriteDoc,
	checkAlbumIdBinding,
	epochAt,
	linkAt,
	roleAt,
	type MembershipRuleCode,
	type MembershipState
} from '../../../src/lib/protocol/membership-rules';
import { b64 } from './fixtures';

// Keys are opaque strings to the rules; signatures and hashes are the caller's job, so these
// tests use fixed bytes for both.
const owner = b64(32, 1);
const admin = b64(32, 2);
const admin2 = b64(32, 3);
const collab = b64(32, 4);
const viewer = b64(32, 5);
const outsider = b64(32, 6);
const linkPk = b64(32, 7);
const boxPk = b64(32, 8);
const albumId = b64(16, 9);
const linkId = b64(16, 10);
const link2 = b64(16, 11);
const sealed = b64(80, 12);
const wrap = b64(72, 13);
const sig = b64(64, 14);
const settings = {
	permissions: { download: true, upload: true, comment: false, join: false },
	expiresAt: null,
	deviceLimit: null
};

type Body = DistributiveOmit<MembershipEntry, 'albumId' | 'index' | 'prev' | 'by' | 'sig'>;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** An entry with some fields changed (kept well-formed; the rules must catch the change). */
function changed(
	entry: MembershipEntry,
	change: Partial<Record<string, unknown>>
): MembershipEntry {
	return { ...entry, ...change } as MembershipEntry;
}

function hashFor(index: number): Uint8Array {
	return new Uint8Array(32).fill(100 + index);
}

/** Builds entries on top of the current head and applies them, like a relay that trusts sigs. */
class Album {
	state: MembershipState;

	constructor() {
		this.state = applyMembershipEntry(
			null,
			{
				albumId,
				index: 0,
				prev: null,
				op: 'create',
				ownerBoxPk: boxPk,
				epoch: 0,
				keyBox: sealed,
				by: owner,
				sig
			},
			hashFor(0)
		);
	}

	entry(by: string, body: Body): MembershipEntry {
		return {
			...body,
			albumId,
			index: this.state.head.index + 1,
			prev: toBase64Url(this.state.head.hash),
			by,
			sig
		} as MembershipEntry;
	}

	apply(by: string, body: Body): MembershipState {
		const entry = this.entry(by, body);
		this.state = applyMembershipEntry(this.state, entry, hashFor(entry.index));
		return this.state;
	}

	rotation(
		members = [...this.state.members.keys()],
		links = [...this.state.links.keys()]
	): Rotation {
		return {
			epoch: this.state.epoch + 1,
			keyBoxes: members.map((member) => ({ member, box: sealed })),
			linkWraps: links.map((id) => ({ linkId: id, wrap }))
		};
	}

	add(by: string, member: string, role: 'viewer' | 'collaborator' | 'admin'): MembershipState {
		return this.apply(by, {
			op: 'add',
			member: { signPk: member, boxPk },
			role,
			epoch: this.state.epoch,
			keyBox: sealed
		});
	}

	addLink(by: string, id = linkId, pk = linkPk): MembershipState {
		return this.apply(by, {
			op: 'link-add',
			linkId: id,
			linkPk: pk,
			...settings,
			password: null,
			epoch: this.state.epoch,
			wrap
		});
	}
}

/** An album with one member of each role and one upload link. */
function populated(): Album {
	const album = new Album();
	album.add(owner, admin, 'admin');
	album.add(owner, admin2, 'admin');
	album.add(admin, collab, 'collaborator');
	album.add(admin, viewer, 'viewer');
	album.addLink(owner);
	return album;
}

function refusal(run: () => unknown): MembershipRuleError {
	try {
		run();
	} catch (error) {
		expect(error).toBeInstanceOf(MembershipRuleError);
		return error as MembershipRuleError;
	}
	throw new Error('expected the entry to be refused');
}

function expectRefused(run: () => unknown, code: MembershipRuleCode): MembershipRuleError {
	const error = refusal(run);
	expect(error.code).toBe(code);
	expect(error.message.length).toBeGreaterThan(10);
	return error;
}

describe('genesis', () => {
	it('makes the signer the owner at epoch 0', () => {
		const { state } = new Album();
		expect(state.ownerSignPk).toBe(owner);
		expect(state.members.get(owner)).toEqual({ role: 'owner', boxPk, sinceIndex: 0 });
		expect(state.epoch).toBe(0);
		expect(state.head.index).toBe(0);
	});

	it('must come first and only once', () => {
		const album = new Album();
		const add = album.entry(owner, {
			op: 'add',
			member: { signPk: viewer, boxPk },
			role: 'viewer',
			epoch: 0,
			keyBox: sealed
		});
		expectRefused(() => applyMembershipEntry(null, add, hashFor(1)), 'missing-genesis');
		const again = {
			albumId,
			index: 0,
			prev: null,
			op: 'create',
			ownerBoxPk: boxPk,
			epoch: 0,
			keyBox: sealed,
			by: outsider,
			sig
		} as const;
		expectRefused(() => applyMembershipEntry(album.state, again, hashFor(1)), 'wrong-index');
	});

	it('binds the album id to the owner, their box key and the sealed key', () => {
		const fields = { by: owner, ownerBoxPk: boxPk, keyBox: sealed };
		const preimage = albumIdPreimage(fields);
		expect(new TextDecoder().decode(preimage)).toBe(
			`tessera/v1/album-id\0{"by":"${owner}","keyBox":"${sealed}","ownerBoxPk":"${boxPk}"}`
		);
		// Each field changes the preimage, so another owner cannot reuse the id.
		for (const changed of [
			{ ...fields, by: outsider },
			{ ...fields, ownerBoxPk: b64(32, 99) },
			{ ...fields, keyBox: b64(80, 99) }
		]) {
			expect(Buffer.compare(albumIdPreimage(changed), preimage)).not.toBe(0);
		}
		const digest = new Uint8Array(32).fill(9);
		const genesis = {
			albumId: albumIdFromDigest(digest),
			index: 0,
			prev: null,
			op: 'create',
			ownerBoxPk: boxPk,
			epoch: 0,
			keyBox: sealed,
			by: owner,
			sig
		} as const;
		expect(genesis.albumId).toBe(b64(16, 9));
		expect(() => checkAlbumIdBinding(genesis, digest)).not.toThrow();
		expectRefused(
			() => checkAlbumIdBinding(genesis, new Uint8Array(32).fill(8)),
			'album-id-mismatch'
		);
	});
});

describe('chain position', () => {
	it('refuses a gap, a duplicate index, a wrong prev and another album', () => {
		const album = populated();
		const body: Body = { op: 'role', member: viewer, role: 'collaborator' };
		const good = album.entry(owner, body);
		expectRefused(
			() => applyMembershipEntry(album.state, changed(good, { index: good.index + 1 }), hashFor(9)),
			'wrong-index'
		);
		expectRefused(
			() => applyMembershipEntry(album.state, changed(good, { index: good.index - 1 }), hashFor(9)),
			'wrong-index'
		);
		expectRefused(
			() => applyMembershipEntry(album.state, changed(good, { prev: b64(32, 77) }), hashFor(9)),
			'wrong-prev'
		);
		expectRefused(
			() => applyMembershipEntry(album.state, changed(good, { albumId: b64(16, 77) }), hashFor(9)),
			'wrong-album'
		);
	});

	it('leaves the state it was given untouched when it refuses or applies', () => {
		const album = populated();
		const before = album.state;
		const membersBefore = [...before.members.entries()];
		expectRefused(() => album.apply(viewer, { op: 'delete' }), 'not-authorized');
		expect(album.state).toBe(before);
		album.apply(owner, {
			op: 'remove',
			member: viewer,
			rotation: album.rotation([owner, admin, admin2, collab])
		});
		expect([...before.members.entries()]).toEqual(membersBefore);
		expect(before.epoch).toBe(0);
		expect(album.state.members.has(viewer)).toBe(false);
	});
});

describe('who may sign what', () => {
	it('lets the owner and admins add any grantable role, and nobody else add anyone', () => {
		const album = populated();
		album.add(admin, b64(32, 40), 'admin');
		album.add(owner, b64(32, 41), 'collaborator');
		for (const by of [collab, viewer, outsider, linkPk]) {
			expectRefused(() => album.add(by, b64(32, 42), 'viewer'), 'not-authorized');
		}
		expectRefused(() => album.add(owner, viewer, 'admin'), 'already-member');
		expectRefused(() => album.add(owner, linkPk, 'viewer'), 'key-in-use');
	});

	it('refuses an add under an old or future epoch', () => {
		const album = populated();
		const body = (epoch: number): Body => ({
			op: 'add',
			member: { signPk: b64(32, 50), boxPk },
			role: 'viewer',
			epoch,
			keyBox: sealed
		});
		expectRefused(() => album.apply(owner, body(1)), 'wrong-epoch');
		album.apply(owner, { op: 'rotate', rotation: album.rotation() });
		expectRefused(() => album.apply(owner, body(0)), 'wrong-epoch');
		expect(album.apply(owner, body(1)).members.get(b64(32, 50))?.role).toBe('viewer');
	});

	it('changes roles within the limits of the signer', () => {
		const album = populated();
		const role = (by: string, member: string, newRole: Role) =>
			album.apply(by, { op: 'role', member, role: newRole });
		expect(role(admin, viewer, 'collaborator').members.get(viewer)?.role).toBe('collaborator');
		expect(role(admin, viewer, 'admin').members.get(viewer)?.role).toBe('admin');
		expectRefused(() => role(admin, viewer, 'viewer'), 'not-authorized');
		expect(role(owner, viewer, 'viewer').members.get(viewer)?.role).toBe('viewer');
		expectRefused(() => role(admin, admin2, 'viewer'), 'not-authorized');
		expectRefused(() => role(collab, viewer, 'collaborator'), 'not-authorized');
		expectRefused(() => role(viewer, viewer, 'admin'), 'not-authorized');
		expectRefused(() => role(outsider, viewer, 'admin'), 'not-authorized');
		expectRefused(() => role(admin, owner, 'viewer'), 'cannot-change-owner');
		expectRefused(() => role(owner, outsider, 'viewer'), 'unknown-member');
		expectRefused(() => role(owner, collab, 'collaborator'), 'same-role');
		expectRefused(() => role(admin, collab, 'owner'), 'ownership-transfer-unsupported');
		expectRefused(() => role(owner, collab, 'owner'), 'ownership-transfer-unsupported');
		// An admin may step down; the owner may demote any admin.
		expect(role(admin2, admin2, 'collaborator').members.get(admin2)?.role).toBe('collaborator');
		expect(role(owner, admin, 'viewer').members.get(admin)?.role).toBe('viewer');
	});

	it('removes members only with authority', () => {
		const album = populated();
		const remove = (by: string, member: string) => {
			const staying = [...album.state.members.keys()].filter((pk) => pk !== member);
			return album.apply(by, { op: 'remove', member, rotation: album.rotation(staying) });
		};
		expectRefused(() => remove(viewer, collab), 'not-authorized');
		expectRefused(() => remove(collab, viewer), 'not-authorized');
		expectRefused(() => remove(outsider, viewer), 'not-authorized');
		expectRefused(() => remove(admin, admin2), 'not-authorized');
		expectRefused(() => remove(admin, owner), 'cannot-remove-owner');
		expectRefused(() => remove(owner, owner), 'cannot-remove-owner');
		expectRefused(() => remove(owner, outsider), 'unknown-member');
		expect(remove(admin, collab).members.has(collab)).toBe(false);
		expect(remove(owner, admin2).members.has(admin2)).toBe(false);
		expect(album.state.epoch).toBe(2);
		expect([...album.state.members.keys()].sort()).toEqual([owner, admin, viewer].sort());
	});

	it('refuses a self-remove: the leaver would make, and know, the next key', () => {
		const album = populated();
		for (const member of [viewer, collab, admin]) {
			const staying = [...album.state.members.keys()].filter((pk) => pk !== member);
			const error = expectRefused(
				() => album.apply(member, { op: 'remove', member, rotation: album.rotation(staying) }),
				'use-leave'
			);
			expect(error.message).toMatch(/leave/);
		}
		expect(album.state.members.size).toBe(5);
		expect(album.state.epoch).toBe(0);
	});

	it('lets only the owner and admins rotate and manage links', () => {
		const album = populated();
		for (const by of [collab, viewer, outsider]) {
			expectRefused(
				() => album.apply(by, { op: 'rotate', rotation: album.rotation() }),
				'not-authorized'
			);
			expectRefused(() => album.addLink(by, link2, b64(32, 60)), 'not-authorized');
			expectRefused(
				() => album.apply(by, { op: 'link-update', linkId, ...settings, deviceLimit: 2 }),
				'not-authorized'
			);
			expectRefused(
				() =>
					album.apply(by, { op: 'link-remove', linkId, rotation: album.rotation(undefined, []) }),
				'not-authorized'
			);
		}
		album.apply(admin, { op: 'rotate', rotation: album.rotation() });
		album.addLink(admin, link2, b64(32, 60));
		album.apply(admin, { op: 'link-update', linkId: link2, ...settings, deviceLimit: 2 });
		expect(album.state.links.get(link2)?.settings.deviceLimit).toBe(2);
		album.apply(admin, {
			op: 'link-remove',
			linkId: link2,
			rotation: album.rotation(undefined, [linkId])
		});
		expect([...album.state.links.keys()]).toEqual([linkId]);
		expect(album.state.epoch).toBe(2);
	});

	it('lets only the owner delete, and nothing after', () => {
		const album = populated();
		expectRefused(() => album.apply(admin, { op: 'delete' }), 'not-authorized');
		album.apply(owner, { op: 'delete' });
		expect(album.state.deleted).toBe(true);
		expectRefused(() => album.add(owner, b64(32, 70), 'viewer'), 'album-deleted');
		expectRefused(() => album.apply(owner, { op: 'delete' }), 'album-deleted');
		expect(canWriteDoc(album.state, owner, 'album', album.state.head.index)).toBe(false);
	});
});

describe('leaving', () => {
	it('lets any member but the owner leave, without a new key, and marks a rotation as due', () => {
		const album = populated();
		expect(album.state.rotationDue).toBe(false);
		const after = album.apply(viewer, { op: 'leave' });
		expect(after.members.has(viewer)).toBe(false);
		expect(after.epoch).toBe(0);
		expect(after.rotationDue).toBe(true);
		expect(roleAt(after, viewer, after.head.index)).toBeNull();
		expect(roleAt(after, viewer, after.head.index - 1)).toBe('viewer');
		album.apply(admin, { op: 'leave' });
		expect(album.state.members.has(admin)).toBe(false);
		expectRefused(() => album.apply(owner, { op: 'leave' }), 'cannot-remove-owner');
		expectRefused(() => album.apply(outsider, { op: 'leave' }), 'not-authorized');
		expectRefused(() => album.apply(viewer, { op: 'leave' }), 'not-authorized');
	});

	it('keeps the current epoch writable for those who stay until a manager rotates', () => {
		const album = populated();
		album.apply(collab, { op: 'leave' });
		const head = album.state.head.index;
		// The leaver can no longer write at once; everyone else still writes in epoch 0.
		expect(canWriteDoc(album.state, collab, `contrib:${collab}`, head)).toBe(false);
		expect(canWriteDoc(album.state, owner, 'album', head)).toBe(true);
		expect(epochAt(album.state, head)).toBe(0);
		// Members can still be added meanwhile; the debt stays until a new epoch.
		album.add(owner, b64(32, 80), 'viewer');
		expect(album.state.rotationDue).toBe(true);
		album.apply(owner, { op: 'rotate', rotation: album.rotation() });
		expect(album.state.rotationDue).toBe(false);
		expect(album.state.epoch).toBe(1);
	});

	it.each(['remove', 'link-remove'] as const)('is settled by a %s too', (op) => {
		const album = populated();
		album.apply(viewer, { op: 'leave' });
		if (op === 'remove') {
			const staying = [...album.state.members.keys()].filter((pk) => pk !== collab);
			album.apply(owner, { op: 'remove', member: collab, rotation: album.rotation(staying) });
		} else {
			album.apply(owner, { op: 'link-remove', linkId, rotation: album.rotation(undefined, []) });
		}
		expect(album.state.rotationDue).toBe(false);
		// A role change or link update is no rotation and settles nothing.
		album.apply(admin2, { op: 'leave' });
		album.apply(owner, { op: 'role', member: admin, role: 'collaborator' });
		expect(album.state.rotationDue).toBe(true);
	});
});

describe('links', () => {
	it('refuses a reused link id, a key in use and changes to a missing link', () => {
		const album = populated();
		expectRefused(() => album.addLink(owner, linkId, b64(32, 61)), 'link-exists');
		expectRefused(() => album.addLink(owner, link2, viewer), 'key-in-use');
		expectRefused(() => album.addLink(owner, link2, linkPk), 'key-in-use');
		expectRefused(
			() => album.apply(owner, { op: 'link-update', linkId: link2, ...settings }),
			'unknown-link'
		);
		album.apply(owner, { op: 'link-remove', linkId, rotation: album.rotation(undefined, []) });
		expectRefused(
			() =>
				album.apply(owner, { op: 'link-remove', linkId, rotation: album.rotation(undefined, []) }),
			'unknown-link'
		);
		// A revoked link's id stays burnt: its URL must never come back to life.
		expectRefused(() => album.addLink(owner, linkId, b64(32, 62)), 'link-exists');
	});
});

describe('rotations', () => {
	const cases: [string, (album: Album) => Rotation, MembershipRuleCode][] = [
		[
			'leaves out a staying member',
			(a) => a.rotation([owner, admin, admin2, collab]),
			'bad-rotation'
		],
		[
			'seals twice to one member',
			(a) => a.rotation([owner, admin, admin2, collab, viewer, viewer]),
			'bad-rotation'
		],
		[
			'seals to an outsider',
			(a) => a.rotation([owner, admin, admin2, collab, viewer, outsider]),
			'bad-rotation'
		],
		['forgets a link', (a) => a.rotation(undefined, []), 'bad-rotation'],
		['duplicates a link', (a) => a.rotation(undefined, [linkId, linkId]), 'bad-rotation'],
		['wraps for an unknown link', (a) => a.rotation(undefined, [linkId, link2]), 'bad-rotation'],
		['skips an epoch', (a) => ({ ...a.rotation(), epoch: a.state.epoch + 2 }), 'wrong-epoch'],
		['reuses the epoch', (a) => ({ ...a.rotation(), epoch: a.state.epoch }), 'wrong-epoch']
	];

	it.each(cases)('refuses a rotate that %s', (_name, make, code) => {
		const album = populated();
		album.apply(owner, { op: 'rotate', rotation: album.rotation() });
		expectRefused(() => album.apply(owner, { op: 'rotate', rotation: make(album) }), code);
	});

	it('refuses a remove whose rotation still seals to the removed member', () => {
		const album = populated();
		const rotation = album.rotation();
		const error = expectRefused(
			() => album.apply(owner, { op: 'remove', member: viewer, rotation }),
			'bad-rotation'
		);
		expect(error.message).toContain(viewer);
	});

	it('refuses a link-remove whose rotation still wraps for the revoked link', () => {
		const album = populated();
		expectRefused(
			() => album.apply(owner, { op: 'link-remove', linkId, rotation: album.rotation() }),
			'bad-rotation'
		);
	});
});

describe('history', () => {
	it('answers the role, epoch and link at any chain index', () => {
		const album = new Album();
		album.add(owner, collab, 'collaborator'); // 1
		album.addLink(owner); // 2
		album.apply(owner, { op: 'role', member: collab, role: 'viewer' }); // 3
		album.apply(owner, { op: 'remove', member: collab, rotation: album.rotation([owner]) }); // 4
		album.apply(owner, {
			op: 'link-update',
			linkId,
			...settings,
			permissions: { ...settings.permissions, upload: false }
		}); // 5
		album.add(owner, collab, 'admin'); // 6
		const s = album.state;
		expect([0, 1, 2, 3, 4, 5, 6].map((i) => roleAt(s, collab, i))).toEqual([
			null,
			'collaborator',
			'collaborator',
			'viewer',
			null,
			null,
			'admin'
		]);
		expect([0, 3, 4, 6].map((i) => epochAt(s, i))).toEqual([0, 0, 1, 1]);
		expect(roleAt(s, owner, 6)).toBe('owner');
		expect(epochAt(s, 7)).toBeNull();
		expect(roleAt(s, collab, -1)).toBeNull();
		expect(linkAt(s, linkId, 1)).toBeNull();
		expect(linkAt(s, linkId, 2)?.settings.permissions.upload).toBe(true);
		expect(linkAt(s, linkId, 5)?.settings.permissions.upload).toBe(false);
		expect(s.members.get(collab)?.sinceIndex).toBe(6);
	});
});

describe('doc writers', () => {
	it('follows the docs table at the index the author wrote under', () => {
		const album = populated(); // head 5: admin, admin2, collab, viewer, link
		album.apply(owner, { op: 'role', member: collab, role: 'viewer' }); // 6
		const s = album.state;
		const can = (by: string, doc: string, at = 5) => canWriteDoc(s, by, doc, at);

		expect(can(owner, 'album')).toBe(true);
		expect(can(admin, 'album')).toBe(true);
		expect(can(collab, 'album')).toBe(false);
		expect(can(viewer, 'album')).toBe(false);
		expect(can(outsider, 'album')).toBe(false);

		expect(can(collab, `contrib:${collab}`)).toBe(true);
		expect(can(collab, `contrib:${collab}`, 6)).toBe(false);
		expect(can(viewer, `contrib:${viewer}`)).toBe(false);
		expect(can(owner, `contrib:${owner}`)).toBe(true);
		expect(can(owner, `contrib:${collab}`)).toBe(false);

		expect(can(viewer, `activity:${viewer}`)).toBe(true);
		expect(can(collab, `activity:${collab}`, 6)).toBe(true);
		expect(can(viewer, `activity:${collab}`)).toBe(false);
		expect(can(outsider, `activity:${outsider}`)).toBe(false);
		expect(can(viewer, `activity:${viewer}`, 3)).toBe(false);

		expect(can(linkPk, `inbox:${linkId}`)).toBe(true);
		expect(can(linkPk, `inbox:${linkId}`, 4)).toBe(false);
		expect(can(owner, `inbox:${linkId}`)).toBe(false);
		expect(can(linkPk, `inbox:${link2}`)).toBe(false);
		expect(can(linkPk, `contrib:${linkPk}`)).toBe(false);

		expect(can(owner, 'album', 7)).toBe(false);
		expect(can(owner, 'nonsense')).toBe(false);
	});

	it('refuses inbox writes once uploads are turned off', () => {
		const album = populated();
		album.apply(owner, {
			op: 'link-update',
			linkId,
			...settings,
			permissions: { ...settings.permissions, upload: false }
		});
		expect(canWriteDoc(album.state, linkPk, `inbox:${linkId}`, 5)).toBe(true);
		expect(canWriteDoc(album.state, linkPk, `inbox:${linkId}`, 6)).toBe(false);
	});
});
