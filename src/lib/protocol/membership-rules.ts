// Who may change an album and how: the membership chain as a pure state machine, shared by the app and the relay.

import type {
	GRANTABLE_ROLES,
	LinkPermissions,
	MembershipEntry,
	Role,
	Rotation
} from './album-stream';
import { toBase64Url } from './bytes';
import { canonicalJson } from './canonical';
import { parseDocId } from './ids';
import { HASH_BYTES } from './limits';

// This module holds no crypto (protocol imports nothing but valibot): signatures and hashes are
// checked by callers with src/lib/crypto, and the resulting entry hash is passed in.

export type GrantableRole = (typeof GRANTABLE_ROLES)[number];

export type MembershipRuleCode =
	| 'missing-genesis'
	| 'album-id-mismatch'
	| 'wrong-album'
	| 'wrong-index'
	| 'wrong-prev'
	| 'wrong-epoch'
	| 'not-authorized'
	| 'unknown-member'
	| 'already-member'
	| 'bad-role'
	| 'same-role'
	| 'ownership-transfer-unsupported'
	| 'cannot-change-owner'
	| 'cannot-remove-owner'
	| 'use-leave'
	| 'bad-rotation'
	| 'unknown-link'
	| 'link-exists'
	| 'key-in-use'
	| 'album-deleted';

/** An entry that breaks the album's rules. `index` is the entry's position in its chain. */
export class MembershipRuleError extends Error {
	constructor(
		readonly code: MembershipRuleCode,
		message: string,
		readonly index: number | null = null
	) {
		super(message);
		this.name = 'MembershipRuleError';
	}
}

export interface MemberRecord {
	readonly role: Role;
	readonly boxPk: string;
	/** The chain index of the entry that added this member (0 for the owner). */
	readonly sinceIndex: number;
}

export interface LinkSettings {
	readonly permissions: LinkPermissions;
	readonly expiresAt: number | null;
	readonly deviceLimit: number | null;
}

export interface LinkRecord {
	readonly linkPk: string;
	readonly settings: LinkSettings;
	/** Argon2id parameters when the link has a password; fixed for the link's life. */
	readonly password: Extract<MembershipEntry, { op: 'link-add' }>['password'];
	/** The epoch the link was added in. Later rotations re-wrap every link for the new epoch. */
	readonly sinceEpoch: number;
	readonly sinceIndex: number;
}

/** A value that holds from chain index `fromIndex` until the next change. */
interface Change<T> {
	readonly fromIndex: number;
	readonly value: T;
}

/** Enough of the past to judge a write made under an older head (envelopes carry `chainIndex`). */
export interface MembershipHistory {
	readonly epochs: readonly Change<number>[];
	readonly roles: ReadonlyMap<string, readonly Change<Role | null>[]>;
	readonly links: ReadonlyMap<string, readonly Change<LinkRecord | null>[]>;
}

export interface MembershipState {
	readonly albumId: string;
	readonly ownerSignPk: string;
	/** The last applied entry: its index and BLAKE2b-256 hash (what the next `prev` must be). */
	readonly head: { readonly index: number; readonly hash: Uint8Array };
	readonly epoch: number;
	/** Current members by Ed25519 public key, the owner included. */
	readonly members: ReadonlyMap<string, MemberRecord>;
	/** Current links by linkId. */
	readonly links: ReadonlyMap<string, LinkRecord>;
	readonly deleted: boolean;
	/**
	 * A member left (`leave`) since the last rotation: they still know the current epoch key, so a
	 * manager should rotate. Writes in the current epoch stay valid meanwhile.
	 */
	readonly rotationDue: boolean;
	readonly history: MembershipHistory;
}

// ---------------------------------------------------------------------------------------------
// Album id binding

/** Bytes of an album id: 16, as short as a random id may be (see docs/album-stream.md). */
export const ALBUM_ID_BYTES = 16;

/** Domain tag of the album id preimage, distinct from every signed or hashed kind. */
export const ALBUM_ID_DOMAIN_TAG = 'tessera/v1/album-id\0';

export type GenesisEntry = Extract<MembershipEntry, { op: 'create' }>;

/** The genesis fields an album id commits to: the owner's two keys and the sealed epoch-0 key. */
export interface AlbumIdInputs {
	by: string | Uint8Array;
	ownerBoxPk: string | Uint8Array;
	keyBox: string | Uint8Array;
}

const utf8 = new TextEncoder();

/**
 * The bytes whose BLAKE2b-256 gives the album id: tag ‖ canonical JSON of {by, keyBox, ownerBoxPk}.
 * The keyBox is a fresh sealed box, so each album's preimage is unique even for one owner, and
 * nobody can write a different genesis (another owner, another key) for an existing album id.
 */
export function albumIdPreimage(genesis: AlbumIdInputs): Uint8Array {
	const head = utf8.encode(ALBUM_ID_DOMAIN_TAG);
	const body = utf8.encode(
		canonicalJson({ by: genesis.by, keyBox: genesis.keyBox, ownerBoxPk: genesis.ownerBoxPk })
	);
	const out = new Uint8Array(head.length + body.length);
	out.set(head, 0);
	out.set(body, head.length);
	return out;
}

/** The album id from BLAKE2b-256(albumIdPreimage(genesis)): base64url of its first 16 bytes. */
export function albumIdFromDigest(digest: Uint8Array): string {
	assertHash(digest, 'albumIdFromDigest');
	return toBase64Url(digest.subarray(0, ALBUM_ID_BYTES));
}

/** Throws unless the genesis's albumId is the one its fields hash to (`digest` of the preimage). */
export function checkAlbumIdBinding(genesis: GenesisEntry, digest: Uint8Array): void {
	if (albumIdFromDigest(digest) !== genesis.albumId) {
		throw new MembershipRuleError(
			'album-id-mismatch',
			'This album was not created by the owner it names: its id does not match its first entry.',
			0
		);
	}
}

// ---------------------------------------------------------------------------------------------
// Applying entries

type Fail = (code: MembershipRuleCode, message: string) => never;

/**
 * Applies one entry to the state after the entries before it (null before the genesis) and
 * returns the new state; `state` itself is never changed, so a refused entry leaves nothing
 * behind. The caller has already checked the entry's signature (by `entry.by`), computed
 * `entryHash` = BLAKE2b-256(membershipHashBytes(entry)) and, for a genesis, the album id binding.
 */
export function applyMembershipEntry(
	state: MembershipState | null,
	entry: MembershipEntry,
	entryHash: Uint8Array
): MembershipState {
	assertHash(entryHash, 'applyMembershipEntry');
	const fail: Fail = (code, message) => {
		throw new MembershipRuleError(code, message, entry.index);
	};

	if (state === null) {
		if (entry.op !== 'create') {
			return fail('missing-genesis', 'This album history does not start with its creation.');
		}
		return applyGenesis(entry, entryHash, fail);
	}

	if (state.deleted) fail('album-deleted', 'This album was deleted; it takes no more changes.');
	if (entry.albumId !== state.albumId) {
		fail('wrong-album', 'This change belongs to another album.');
	}
	if (entry.op === 'create' || entry.index !== state.head.index + 1) {
		fail(
			'wrong-index',
			`This change is out of order: expected position ${state.head.index + 1}, got ${entry.index}.`
		);
	}
	if (entry.prev !== toBase64Url(state.head.hash)) {
		fail('wrong-prev', 'This change was not made on top of the album’s latest history.');
	}

	const signer = state.members.get(entry.by);
	if (!signer) fail('not-authorized', 'This change was signed by someone outside the album.');
	const signerRole = signer.role;
	const isManager = signerRole === 'owner' || signerRole === 'admin';
	const next = new StateBuilder(state, entry.index, entryHash);

	switch (entry.op) {
		case 'add': {
			if (!isManager) fail('not-authorized', `A ${signerRole} cannot add members.`);
			if (!isGrantable(entry.role)) {
				fail('bad-role', 'A member can be added as viewer, collaborator or admin.');
			}
			if (state.members.has(entry.member.signPk)) {
				fail('already-member', 'This person is already a member of the album.');
			}
			if (isLinkKey(state, entry.member.signPk)) {
				fail('key-in-use', 'This key already belongs to a link of this album.');
			}
			checkCurrentEpoch(state, entry.epoch, fail);
			next.setMember(entry.member.signPk, {
				role: entry.role,
				boxPk: entry.member.boxPk,
				sinceIndex: entry.index
			});
			break;
		}
		case 'role': {
			if (!isManager) fail('not-authorized', `A ${signerRole} cannot change roles.`);
			if (entry.role === 'owner') {
				fail(
					'ownership-transfer-unsupported',
					'Handing the album to a new owner is not supported yet.'
				);
			}
			if (!isGrantable(entry.role)) fail('bad-role', 'This role cannot be given.');
			const target = state.members.get(entry.member);
			if (!target) fail('unknown-member', 'This person is not a member of the album.');
			if (target.role === 'owner') {
				fail('cannot-change-owner', 'The owner’s role cannot be changed.');
			}
			// Admins may not demote each other (no admin wars); an admin may step down themselves.
			if (signerRole === 'admin' && target.role === 'admin' && entry.member !== entry.by) {
				fail('not-authorized', 'Only the owner can change another admin’s role.');
			}
			if (target.role === entry.role) fail('same-role', `This member is already ${entry.role}.`);
			next.setMember(entry.member, { ...target, role: entry.role });
			break;
		}
		case 'remove': {
			const target = state.members.get(entry.member);
			if (!target) fail('unknown-member', 'This person is not a member of the album.');
			if (target.role === 'owner') {
				fail(
					'cannot-remove-owner',
					'The owner cannot be removed or leave; the owner can delete the album.'
				);
			}
			// A self-removal would carry a rotation its signer made, so the leaver would know the
			// next epoch key; leaving is its own op without a key, and a manager rotates later.
			if (entry.member === entry.by) {
				fail('use-leave', 'To leave an album, sign a leave; a manager then renews the key.');
			}
			if (!isManager) fail('not-authorized', `A ${signerRole} cannot remove other members.`);
			if (signerRole === 'admin' && target.role === 'admin') {
				fail('not-authorized', 'Only the owner can remove an admin.');
			}
			next.setMember(entry.member, null);
			checkRotation(state, entry.rotation, next.members.keys(), state.links.keys(), fail);
			next.setEpoch(entry.rotation.epoch);
			break;
		}
		case 'leave': {
			if (signerRole === 'owner') {
				fail('cannot-remove-owner', 'The owner cannot leave the album; the owner can delete it.');
			}
			next.setMember(entry.by, null);
			next.rotationDue = true;
			break;
		}
		case 'rotate': {
			if (!isManager) fail('not-authorized', `A ${signerRole} cannot rotate the album key.`);
			checkRotation(state, entry.rotation, state.members.keys(), state.links.keys(), fail);
			next.setEpoch(entry.rotation.epoch);
			break;
		}
		case 'link-add': {
			if (!isManager) fail('not-authorized', `A ${signerRole} cannot create links.`);
			if (state.history.links.has(entry.linkId)) {
				fail('link-exists', 'This link id is already used in this album.');
			}
			if (state.members.has(entry.linkPk) || isLinkKey(state, entry.linkPk)) {
				fail('key-in-use', 'This link key already belongs to a member or another link.');
			}
			checkCurrentEpoch(state, entry.epoch, fail);
			next.setLink(entry.linkId, {
				linkPk: entry.linkPk,
				settings: settingsOf(entry),
				password: entry.password,
				sinceEpoch: entry.epoch,
				sinceIndex: entry.index
			});
			break;
		}
		case 'link-update': {
			if (!isManager) fail('not-authorized', `A ${signerRole} cannot change links.`);
			const link = state.links.get(entry.linkId);
			if (!link) fail('unknown-link', 'This link does not exist or was revoked.');
			next.setLink(entry.linkId, { ...link, settings: settingsOf(entry) });
			break;
		}
		case 'link-remove': {
			if (!isManager) fail('not-authorized', `A ${signerRole} cannot revoke links.`);
			if (!state.links.has(entry.linkId)) {
				fail('unknown-link', 'This link does not exist or was already revoked.');
			}
			next.setLink(entry.linkId, null);
			checkRotation(state, entry.rotation, state.members.keys(), next.links.keys(), fail);
			next.setEpoch(entry.rotation.epoch);
			break;
		}
		case 'delete': {
			if (signerRole !== 'owner') fail('not-authorized', 'Only the owner can delete the album.');
			next.deleted = true;
			break;
		}
	}
	return next.build();
}

function applyGenesis(entry: GenesisEntry, entryHash: Uint8Array, fail: Fail): MembershipState {
	if (entry.index !== 0 || entry.prev !== null) {
		fail('wrong-index', 'An album’s creation must be the first entry of its history.');
	}
	if (entry.epoch !== 0) fail('wrong-epoch', 'An album starts at epoch 0.');
	const owner: MemberRecord = { role: 'owner', boxPk: entry.ownerBoxPk, sinceIndex: 0 };
	return {
		albumId: entry.albumId,
		ownerSignPk: entry.by,
		head: { index: 0, hash: entryHash.slice() },
		epoch: 0,
		members: new Map([[entry.by, owner]]),
		links: new Map(),
		deleted: false,
		rotationDue: false,
		history: {
			epochs: [{ fromIndex: 0, value: 0 }],
			roles: new Map([[entry.by, [{ fromIndex: 0, value: 'owner' as Role }]]]),
			links: new Map()
		}
	};
}

/** Copy-on-write successor of a state: only the maps an entry touches are copied. */
class StateBuilder {
	members: Map<string, MemberRecord> | ReadonlyMap<string, MemberRecord>;
	links: Map<string, LinkRecord> | ReadonlyMap<string, LinkRecord>;
	deleted: boolean;
	rotationDue: boolean;
	private epoch: number;
	private history: MembershipHistory;

	constructor(
		private readonly base: MembershipState,
		private readonly index: number,
		private readonly hash: Uint8Array
	) {
		this.members = base.members;
		this.links = base.links;
		this.deleted = base.deleted;
		this.rotationDue = base.rotationDue;
		this.epoch = base.epoch;
		this.history = base.history;
	}

	setMember(signPk: string, record: MemberRecord | null): void {
		const members = new Map(this.members);
		if (record) members.set(signPk, record);
		else members.delete(signPk);
		this.members = members;
		this.history = {
			...this.history,
			roles: withChange(this.history.roles, signPk, this.index, record?.role ?? null)
		};
	}

	setLink(linkId: string, record: LinkRecord | null): void {
		const links = new Map(this.links);
		if (record) links.set(linkId, record);
		else links.delete(linkId);
		this.links = links;
		this.history = {
			...this.history,
			links: withChange(this.history.links, linkId, this.index, record)
		};
	}

	/** Every new epoch is sealed only to current members, so it settles a pending leave. */
	setEpoch(epoch: number): void {
		this.epoch = epoch;
		this.rotationDue = false;
		this.history = {
			...this.history,
			epochs: [...this.history.epochs, { fromIndex: this.index, value: epoch }]
		};
	}

	build(): MembershipState {
		return {
			albumId: this.base.albumId,
			ownerSignPk: this.base.ownerSignPk,
			head: { index: this.index, hash: this.hash.slice() },
			epoch: this.epoch,
			members: this.members,
			links: this.links,
			deleted: this.deleted,
			rotationDue: this.rotationDue,
			history: this.history
		};
	}
}

function withChange<T>(
	map: ReadonlyMap<string, readonly Change<T>[]>,
	key: string,
	fromIndex: number,
	value: T
): ReadonlyMap<string, readonly Change<T>[]> {
	const copy = new Map(map);
	copy.set(key, [...(map.get(key) ?? []), { fromIndex, value }]);
	return copy;
}

function isGrantable(role: Role): role is GrantableRole {
	return role === 'viewer' || role === 'collaborator' || role === 'admin';
}

function isLinkKey(state: MembershipState, key: string): boolean {
	for (const link of state.links.values()) if (link.linkPk === key) return true;
	return false;
}

function settingsOf(entry: LinkSettings): LinkSettings {
	return {
		permissions: { ...entry.permissions },
		expiresAt: entry.expiresAt,
		deviceLimit: entry.deviceLimit
	};
}

function checkCurrentEpoch(state: MembershipState, epoch: number, fail: Fail): void {
	if (epoch !== state.epoch) {
		fail(
			'wrong-epoch',
			`This change uses key epoch ${epoch}, but the album is at epoch ${state.epoch}.`
		);
	}
}

/**
 * A rotation must seal the new key to exactly the members who stay and wrap it for exactly the
 * links that stay: one box each, nobody left out (they could not read on), nobody extra (a removed
 * member would keep reading).
 */
function checkRotation(
	state: MembershipState,
	rotation: Rotation,
	stayingMembers: Iterable<string>,
	stayingLinks: Iterable<string>,
	fail: Fail
): void {
	if (rotation.epoch !== state.epoch + 1) {
		fail(
			'wrong-epoch',
			`A new key must start epoch ${state.epoch + 1}, but this one starts epoch ${rotation.epoch}.`
		);
	}
	const exactly = (what: string, expected: Iterable<string>, given: readonly string[]): void => {
		const remaining = new Set(expected);
		const seen = new Set<string>();
		for (const id of given) {
			if (seen.has(id)) fail('bad-rotation', `The new key is given twice to ${what} ${id}.`);
			if (!remaining.has(id)) {
				fail('bad-rotation', `The new key is given to ${what} ${id}, who is not staying.`);
			}
			seen.add(id);
		}
		for (const id of remaining) {
			if (!seen.has(id)) fail('bad-rotation', `The new key leaves out ${what} ${id}.`);
		}
	};
	exactly(
		'member',
		stayingMembers,
		rotation.keyBoxes.map((box) => box.member)
	);
	exactly(
		'link',
		stayingLinks,
		rotation.linkWraps.map((wrap) => wrap.linkId)
	);
}

function assertHash(hash: Uint8Array, where: string): void {
	if (!(hash instanceof Uint8Array) || hash.length !== HASH_BYTES) {
		throw new TypeError(`${where}: expected a ${HASH_BYTES}-byte BLAKE2b-256 hash`);
	}
}

// ---------------------------------------------------------------------------------------------
// Questions about the past, for envelope checks

function valueAt<T>(changes: readonly Change<T>[] | undefined, index: number): T | undefined {
	if (!changes) return undefined;
	// Changes are in chain order; binary search for the last one at or before `index`.
	let low = 0;
	let high = changes.length - 1;
	let found: Change<T> | undefined;
	while (low <= high) {
		const mid = (low + high) >> 1;
		const change = changes[mid]!;
		if (change.fromIndex <= index) {
			found = change;
			low = mid + 1;
		} else {
			high = mid - 1;
		}
	}
	return found?.value;
}

function inChain(state: MembershipState, chainIndex: number): boolean {
	return Number.isSafeInteger(chainIndex) && chainIndex >= 0 && chainIndex <= state.head.index;
}

/** The member's role right after entry `chainIndex`, or null (not a member, or not in the chain). */
export function roleAt(state: MembershipState, signPk: string, chainIndex: number): Role | null {
	if (!inChain(state, chainIndex)) return null;
	return valueAt(state.history.roles.get(signPk), chainIndex) ?? null;
}

/** The key epoch right after entry `chainIndex`, or null when the chain has no such entry. */
export function epochAt(state: MembershipState, chainIndex: number): number | null {
	if (!inChain(state, chainIndex)) return null;
	return valueAt(state.history.epochs, chainIndex) ?? null;
}

/** The link as it was right after entry `chainIndex`, or null (absent, revoked, not in chain). */
export function linkAt(
	state: MembershipState,
	linkId: string,
	chainIndex: number
): LinkRecord | null {
	if (!inChain(state, chainIndex)) return null;
	return valueAt(state.history.links.get(linkId), chainIndex) ?? null;
}

const CONTRIBUTOR_ROLES: readonly Role[] = ['collaborator', 'admin', 'owner'];

/**
 * Whether `signPk` may write doc `docId` under membership head `atIndex` (DESIGN's docs table):
 * `album` the owner and admins; `contrib:<pk>` that member while collaborator or above;
 * `activity:<pk>` that member in any role; `inbox:<linkId>` that link's key while it allows
 * uploads. A deleted album takes no writes. Link expiry is a matter of time, which envelopes do
 * not carry: the relay checks it when a guest opens the link.
 */
export function canWriteDoc(
	state: MembershipState,
	signPk: string,
	docId: string,
	atIndex: number
): boolean {
	if (state.deleted) return false;
	const doc = parseDocId(docId);
	if (!doc) return false;
	switch (doc.kind) {
		case 'album': {
			const role = roleAt(state, signPk, atIndex);
			return role === 'owner' || role === 'admin';
		}
		case 'contrib': {
			const role = roleAt(state, signPk, atIndex);
			return doc.memberPk === signPk && role !== null && CONTRIBUTOR_ROLES.includes(role);
		}
		case 'activity':
			return doc.memberPk === signPk && roleAt(state, signPk, atIndex) !== null;
		case 'inbox': {
			const link = linkAt(state, doc.linkId, atIndex);
			return link !== null && link.linkPk === signPk && link.settings.permissions.upload;
		}
	}
}
