// Well-formed sample entries, envelopes and frames for the protocol tests.

import { toBase64Url } from '../../../src/lib/protocol';
import type { Envelope, MembershipEntry } from '../../../src/lib/protocol';

export function b64(length: number, fill = 1): string {
	return toBase64Url(new Uint8Array(length).fill(fill));
}

export const albumId = b64(16, 7);
export const linkId = b64(24, 9);
export const ownerPk = b64(32, 1);
export const memberPk = b64(32, 2);
export const linkPk = b64(32, 3);
const boxPk = b64(32, 4);
const hash = b64(32, 5);
const sig = b64(64, 6);
const sealed = b64(80, 8);
const wrap = b64(72, 10);

const chained = { albumId, prev: hash, by: ownerPk, sig };
const rotation = {
	epoch: 2,
	keyBoxes: [{ member: ownerPk, box: sealed }],
	linkWraps: [{ linkId, wrap }]
};
const linkSettings = {
	permissions: { download: true, upload: false, comment: true, join: false },
	expiresAt: 1_900_000_000_000,
	deviceLimit: 3
};

/** One well-formed entry per op. */
export const entries = {
	create: {
		albumId,
		index: 0,
		prev: null,
		op: 'create',
		ownerBoxPk: boxPk,
		epoch: 0,
		keyBox: sealed,
		by: ownerPk,
		sig
	} satisfies MembershipEntry,
	add: {
		...chained,
		index: 1,
		op: 'add',
		member: { signPk: memberPk, boxPk },
		role: 'collaborator',
		epoch: 0,
		keyBox: sealed
	} satisfies MembershipEntry,
	role: {
		...chained,
		index: 2,
		op: 'role',
		member: memberPk,
		role: 'admin'
	} satisfies MembershipEntry,
	remove: {
		...chained,
		index: 3,
		op: 'remove',
		member: memberPk,
		rotation
	} satisfies MembershipEntry,
	leave: { ...chained, index: 3, op: 'leave' } satisfies MembershipEntry,
	rotate: {
		...chained,
		index: 4,
		op: 'rotate',
		rotation: { ...rotation, epoch: 3 }
	} satisfies MembershipEntry,
	'link-add': {
		...chained,
		index: 5,
		op: 'link-add',
		linkId,
		linkPk,
		...linkSettings,
		password: { salt: b64(16, 11), opsLimit: 3, memLimitBytes: 64 * 1024 * 1024 },
		epoch: 3,
		wrap
	} satisfies MembershipEntry,
	'link-update': {
		...chained,
		index: 6,
		op: 'link-update',
		linkId,
		...linkSettings,
		deviceLimit: null
	} satisfies MembershipEntry,
	'link-remove': {
		...chained,
		index: 7,
		op: 'link-remove',
		linkId,
		rotation: { ...rotation, epoch: 4 }
	} satisfies MembershipEntry,
	delete: { ...chained, index: 8, op: 'delete' }
} satisfies Record<MembershipEntry['op'], MembershipEntry>;

const envelopeBase = {
	albumId,
	docId: `contrib:${memberPk}`,
	epoch: 2,
	chainIndex: 5,
	by: memberPk,
	nonce: b64(24, 12),
	ct: b64(100, 13),
	sig
};

export const envelopes = {
	update: { ...envelopeBase, kind: 'update' } satisfies Envelope,
	snapshot: { ...envelopeBase, kind: 'snapshot', covers: 41 } satisfies Envelope,
	ephemeral: {
		...envelopeBase,
		docId: `activity:${memberPk}`,
		kind: 'ephemeral'
	} satisfies Envelope
} satisfies Record<Envelope['kind'], Envelope>;
