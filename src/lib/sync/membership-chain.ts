// An album's membership chain on a device: builds signed entries, verifies a chain from genesis, opens epoch keys.

import * as v from 'valibot';
import {
	fromBase64Url,
	openSealed,
	randomKey,
	sealTo,
	toBase64Url,
	unwrapKey,
	wrapKey,
	type BoxKeyPair,
	type SignKeyPair
} from '../crypto';
import {
	MembershipEntrySchema,
	describeIssues,
	type LinkPermissions,
	type MembershipEntry,
	type Role,
	type Rotation,
	type UnsignedMembershipEntry
} from '../protocol';
import {
	albumIdFromDigest,
	applyMembershipEntry,
	checkAlbumIdBinding,
	type GenesisEntry,
	type GrantableRole,
	type LinkRecord,
	type LinkSettings,
	type MembershipState
} from '../protocol/membership-rules';
import {
	albumIdDigest,
	hashMembershipEntry,
	hasValidMembershipSignature,
	signMembershipEntry
} from './membership-crypto';

/** A member's keys as the chain needs them: Ed25519 to sign entries, X25519 to open key boxes. */
export interface AlbumIdentity {
	sign: SignKeyPair;
	box: BoxKeyPair;
}

/** A member's public keys as they appear on the wire. */
export interface MemberKeys {
	signPk: string;
	boxPk: string;
}

export function memberKeysOf(identity: AlbumIdentity): MemberKeys {
	return {
		signPk: toBase64Url(identity.sign.publicKey),
		boxPk: toBase64Url(identity.box.publicKey)
	};
}

export type LinkPasswordKdf = Extract<MembershipEntry, { op: 'link-add' }>['password'];

/** What a link-add needs: the link's id and keys (from its seed) and its settings. */
export interface NewLink {
	linkId: string;
	linkPk: Uint8Array | string;
	/** The link's wrap key (linkKeysFromSeed): the epoch key is wrapped with it. */
	wrapKey: Uint8Array;
	settings: LinkSettings;
	password: LinkPasswordKdf;
}

/** The head a device verified before: a newer chain must extend it. */
export interface KnownHead {
	index: number;
	hash: Uint8Array | string;
}

export interface VerifyOptions {
	expectedAlbumId: string;
	knownHead?: KnownHead;
}

export type MembershipChainErrorCode =
	| 'empty-chain'
	| 'malformed-entry'
	| 'bad-signature'
	| 'wrong-album'
	| 'rollback'
	| 'fork'
	| 'missing-link-wrap-key';

/** A chain that cannot be trusted as a whole (rule breaks are MembershipRuleError). */
export class MembershipChainError extends Error {
	constructor(
		readonly code: MembershipChainErrorCode,
		message: string,
		readonly index: number | null = null
	) {
		super(message);
		this.name = new.target.name;
	}
}

/** The chain is older than the head this device already verified: someone is replaying the past. */
export class RollbackError extends MembershipChainError {
	constructor(knownIndex: number, receivedIndex: number) {
		super(
			'rollback',
			`The album's history went back in time (from change ${knownIndex} to ${receivedIndex}); it was not accepted.`,
			receivedIndex
		);
	}
}

/** The chain disagrees with the head this device verified: two different histories exist. */
export class ForkError extends MembershipChainError {
	constructor(index: number) {
		super(
			'fork',
			`The album's history was rewritten at change ${index}; it was not accepted.`,
			index
		);
	}
}

export interface NewAlbum {
	albumId: string;
	genesis: GenesisEntry;
	/** K_0, the first epoch key; it is also sealed to the owner inside the genesis. */
	epochKey: Uint8Array;
	chain: MembershipChain;
}

/** An entry that starts a new epoch, and the new epoch key it carries. */
export interface RotatingEntry {
	entry: MembershipEntry;
	epochKey: Uint8Array;
}

/**
 * A verified membership chain and its state. Builders return signed entries on top of the current
 * head without applying them (the relay orders entries); `append` applies one once it is accepted.
 * Every built entry has been run through the rules, so a builder never hands out a refused entry.
 */
export class MembershipChain {
	private constructor(
		private readonly log: MembershipEntry[],
		private current: MembershipState
	) {}

	get state(): MembershipState {
		return this.current;
	}

	get entries(): readonly MembershipEntry[] {
		return this.log;
	}

	get albumId(): string {
		return this.current.albumId;
	}

	/** Creates an album: a fresh epoch-0 key sealed to the owner, and the genesis that binds the id. */
	static async createAlbum(owner: AlbumIdentity): Promise<NewAlbum> {
		const epochKey = randomKey();
		const { signPk: by, boxPk: ownerBoxPk } = memberKeysOf(owner);
		const keyBox = toBase64Url(await sealTo(owner.box.publicKey, epochKey));
		const digest = await albumIdDigest({ by, ownerBoxPk, keyBox });
		const albumId = albumIdFromDigest(digest);
		const genesis = await signMembershipEntry(
			{
				albumId,
				index: 0,
				prev: null,
				op: 'create',
				ownerBoxPk,
				epoch: 0,
				keyBox,
				by
			} as const,
			owner.sign.privateKey
		);
		checkAlbumIdBinding(genesis, digest);
		const state = applyMembershipEntry(null, genesis, await hashMembershipEntry(genesis));
		return { albumId, genesis, epochKey, chain: new MembershipChain([genesis], state) };
	}

	/**
	 * Verifies a whole chain from its genesis: wire format, album id binding, every signature (by
	 * `by`), every `prev`, every rule. With `knownHead`, also refuses a chain that is shorter than
	 * what this device verified before (RollbackError) or differs from it (ForkError).
	 */
	static async verify(
		entries: readonly unknown[],
		options: VerifyOptions
	): Promise<MembershipChain> {
		const { expectedAlbumId, knownHead } = options;
		if (entries.length === 0) {
			throw new MembershipChainError('empty-chain', 'This album has no history.');
		}
		if (knownHead && entries.length - 1 < knownHead.index) {
			throw new RollbackError(knownHead.index, entries.length - 1);
		}
		const knownHash =
			knownHead === undefined
				? null
				: typeof knownHead.hash === 'string'
					? knownHead.hash
					: toBase64Url(knownHead.hash);

		const log: MembershipEntry[] = [];
		let state: MembershipState | null = null;
		for (let i = 0; i < entries.length; i++) {
			const entry = parseEntry(entries[i], i);
			if (i === 0) {
				if (entry.albumId !== expectedAlbumId) {
					throw new MembershipChainError(
						'wrong-album',
						'This history belongs to another album.',
						0
					);
				}
			}
			const hash = await checkedHash(entry, i);
			if (entry.op === 'create') checkAlbumIdBinding(entry, await albumIdDigest(entry));
			state = applyMembershipEntry(state, entry, hash);
			if (knownHead && i === knownHead.index && toBase64Url(hash) !== knownHash) {
				throw new ForkError(i);
			}
			log.push(entry);
		}
		return new MembershipChain(log, state!);
	}

	/** Applies one entry the relay accepted; on any error the chain is left as it was. */
	async append(wireEntry: unknown): Promise<MembershipState> {
		const index = this.current.head.index + 1;
		const entry = parseEntry(wireEntry, index);
		const hash = await checkedHash(entry, index);
		this.current = applyMembershipEntry(this.current, entry, hash);
		this.log.push(entry);
		return this.current;
	}

	/** Adds a member with a role, sealing the current epoch key (`epochKey`) to them. */
	async addMember(
		by: AlbumIdentity,
		member: MemberKeys,
		role: GrantableRole,
		epochKey: Uint8Array
	): Promise<MembershipEntry> {
		const keyBox = await sealTo(fromBase64Url(member.boxPk, 32), epochKey);
		return this.build(by, {
			op: 'add',
			member: { signPk: member.signPk, boxPk: member.boxPk },
			role,
			epoch: this.current.epoch,
			keyBox: toBase64Url(keyBox)
		});
	}

	async changeRole(by: AlbumIdentity, memberSignPk: string, role: Role): Promise<MembershipEntry> {
		return this.build(by, { op: 'role', member: memberSignPk, role });
	}

	/**
	 * Removes another member with a new epoch key sealed to everyone who stays and wrapped for every
	 * link with `linkWrapKeys`. To remove oneself, use `leave`.
	 */
	async removeMember(
		by: AlbumIdentity,
		memberSignPk: string,
		linkWrapKeys: ReadonlyMap<string, Uint8Array>
	): Promise<RotatingEntry> {
		const staying = [...this.current.members].filter(([signPk]) => signPk !== memberSignPk);
		const { rotation, epochKey } = await this.rotation(staying, this.current.links, linkWrapKeys);
		const entry = await this.build(by, { op: 'remove', member: memberSignPk, rotation });
		return { entry, epochKey };
	}

	/**
	 * Leaves the album (anyone but the owner). It carries no new key, so the leaver never learns the
	 * next epoch's; the state then has `rotationDue` until a manager rotates.
	 */
	async leave(by: AlbumIdentity): Promise<MembershipEntry> {
		return this.build(by, { op: 'leave' });
	}

	/** A new epoch for the same members and links (e.g. after a lost device, or after a leave). */
	async rotate(
		by: AlbumIdentity,
		linkWrapKeys: ReadonlyMap<string, Uint8Array>
	): Promise<RotatingEntry> {
		const { rotation, epochKey } = await this.rotation(
			this.current.members,
			this.current.links,
			linkWrapKeys
		);
		const entry = await this.build(by, { op: 'rotate', rotation });
		return { entry, epochKey };
	}

	/** Adds a public link, wrapping the current epoch key (`epochKey`) with the link's wrap key. */
	async addLink(by: AlbumIdentity, link: NewLink, epochKey: Uint8Array): Promise<MembershipEntry> {
		const wrap = await wrapKey(epochKey, link.wrapKey);
		return this.build(by, {
			op: 'link-add',
			linkId: link.linkId,
			linkPk: typeof link.linkPk === 'string' ? link.linkPk : toBase64Url(link.linkPk),
			...copySettings(link.settings),
			password: link.password,
			epoch: this.current.epoch,
			wrap: toBase64Url(wrap)
		});
	}

	async updateLink(
		by: AlbumIdentity,
		linkId: string,
		settings: LinkSettings
	): Promise<MembershipEntry> {
		return this.build(by, { op: 'link-update', linkId, ...copySettings(settings) });
	}

	/** Revokes a link with a new epoch key that every member and every other link gets. */
	async removeLink(
		by: AlbumIdentity,
		linkId: string,
		linkWrapKeys: ReadonlyMap<string, Uint8Array>
	): Promise<RotatingEntry> {
		const staying = [...this.current.links].filter(([id]) => id !== linkId);
		const { rotation, epochKey } = await this.rotation(this.current.members, staying, linkWrapKeys);
		const entry = await this.build(by, { op: 'link-remove', linkId, rotation });
		return { entry, epochKey };
	}

	async deleteAlbum(by: AlbumIdentity): Promise<MembershipEntry> {
		return this.build(by, { op: 'delete' });
	}

	/** The epoch keys sealed to `identity` in this chain (see openEpochKeys). */
	openEpochKeys(identity: AlbumIdentity): Promise<Map<number, Uint8Array>> {
		return openEpochKeys(this.current, this.log, identity);
	}

	private async rotation(
		members: Iterable<readonly [string, { boxPk: string }]>,
		links: Iterable<readonly [string, LinkRecord]>,
		linkWrapKeys: ReadonlyMap<string, Uint8Array>
	): Promise<{ rotation: Rotation; epochKey: Uint8Array }> {
		const epochKey = randomKey();
		const keyBoxes: Rotation['keyBoxes'] = [];
		for (const [signPk, { boxPk }] of members) {
			const box = await sealTo(fromBase64Url(boxPk, 32), epochKey);
			keyBoxes.push({ member: signPk, box: toBase64Url(box) });
		}
		const linkWraps: Rotation['linkWraps'] = [];
		for (const [linkId] of links) {
			const linkWrapKey = linkWrapKeys.get(linkId);
			if (!linkWrapKey) {
				throw new MembershipChainError(
					'missing-link-wrap-key',
					`The key of link ${linkId} is needed to give it the new album key.`
				);
			}
			linkWraps.push({ linkId, wrap: toBase64Url(await wrapKey(epochKey, linkWrapKey)) });
		}
		return { rotation: { epoch: this.current.epoch + 1, keyBoxes, linkWraps }, epochKey };
	}

	/** Positions, signs and rule-checks an entry on top of the current head. */
	private async build(
		by: AlbumIdentity,
		body: OpBody<Exclude<MembershipEntry['op'], 'create'>>
	): Promise<MembershipEntry> {
		const { head, albumId } = this.current;
		const unsigned = {
			...body,
			albumId,
			index: head.index + 1,
			prev: toBase64Url(head.hash),
			by: toBase64Url(by.sign.publicKey)
		} as UnsignedMembershipEntry;
		const entry = (await signMembershipEntry(unsigned, by.sign.privateKey)) as MembershipEntry;
		// Dry run: throws the MembershipRuleError the relay and every client would throw.
		applyMembershipEntry(this.current, entry, await hashMembershipEntry(entry));
		return entry;
	}
}

/** The fields of one op, without position and signature. */
type OpBody<Op extends MembershipEntry['op']> =
	Extract<MembershipEntry, { op: Op }> extends infer E
		? E extends MembershipEntry
			? Omit<E, 'albumId' | 'index' | 'prev' | 'by' | 'sig'>
			: never
		: never;

function copySettings(settings: LinkSettings): {
	permissions: LinkPermissions;
	expiresAt: number | null;
	deviceLimit: number | null;
} {
	return {
		permissions: { ...settings.permissions },
		expiresAt: settings.expiresAt,
		deviceLimit: settings.deviceLimit
	};
}

function parseEntry(wire: unknown, index: number): MembershipEntry {
	const result = v.safeParse(MembershipEntrySchema, wire);
	if (!result.success) {
		throw new MembershipChainError(
			'malformed-entry',
			`Change ${index} of this album's history is malformed: ${describeIssues(result.issues)}`,
			index
		);
	}
	return result.output;
}

/** The entry's hash, once its signature is known to be `by`'s. */
async function checkedHash(entry: MembershipEntry, index: number): Promise<Uint8Array> {
	if (!(await hasValidMembershipSignature(entry))) {
		throw new MembershipChainError(
			'bad-signature',
			`Change ${index} of this album's history is not signed by the member it names.`,
			index
		);
	}
	return hashMembershipEntry(entry);
}

/**
 * The epoch keys sealed to `identity` in a verified chain, by epoch. Epochs this identity was not
 * part of are absent; so is a box that does not open (only a signer with authority could have put
 * it there, and it gives nothing to read, so it is not worth failing the whole album for).
 */
export async function openEpochKeys(
	state: MembershipState,
	entries: readonly MembershipEntry[],
	identity: AlbumIdentity
): Promise<Map<number, Uint8Array>> {
	if (entries.length !== state.head.index + 1 || entries[0]?.albumId !== state.albumId) {
		throw new RangeError('openEpochKeys: the entries are not the chain this state was built from');
	}
	const me = memberKeysOf(identity);
	const keys = new Map<number, Uint8Array>();
	const tryOpen = async (epoch: number, box: string): Promise<void> => {
		try {
			const key = await openSealed(fromBase64Url(box), identity.box);
			if (key.length === 32) keys.set(epoch, key);
		} catch {
			// Not sealed to this box key, or altered: no key for this epoch.
		}
	};
	for (const entry of entries) {
		switch (entry.op) {
			case 'create':
				if (entry.by === me.signPk && entry.ownerBoxPk === me.boxPk) {
					await tryOpen(entry.epoch, entry.keyBox);
				}
				break;
			case 'add':
				if (entry.member.signPk === me.signPk && entry.member.boxPk === me.boxPk) {
					await tryOpen(entry.epoch, entry.keyBox);
				}
				break;
			case 'remove':
			case 'rotate':
			case 'link-remove':
				for (const box of entry.rotation.keyBoxes) {
					if (box.member === me.signPk) await tryOpen(entry.rotation.epoch, box.box);
				}
				break;
		}
	}
	return keys;
}

/**
 * The epoch keys a public link can unwrap with its wrap key, by epoch: from its link-add and every
 * later rotation that kept it. A revoked link gets nothing after its revocation.
 */
export async function openLinkEpochKeys(
	entries: readonly MembershipEntry[],
	linkId: string,
	linkWrapKey: Uint8Array
): Promise<Map<number, Uint8Array>> {
	const keys = new Map<number, Uint8Array>();
	const tryUnwrap = async (epoch: number, wrap: string): Promise<void> => {
		try {
			keys.set(epoch, await unwrapKey(fromBase64Url(wrap), linkWrapKey));
		} catch {
			// A wrong password gives a wrong wrap key: nothing opens.
		}
	};
	for (const entry of entries) {
		if (entry.op === 'link-add' && entry.linkId === linkId)
			await tryUnwrap(entry.epoch, entry.wrap);
		if (entry.op === 'remove' || entry.op === 'rotate' || entry.op === 'link-remove') {
			for (const wrap of entry.rotation.linkWraps) {
				if (wrap.linkId === linkId) await tryUnwrap(entry.rotation.epoch, wrap.wrap);
			}
		}
	}
	return keys;
}
