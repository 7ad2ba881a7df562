// Formats of the album stream: signed membership entries and doc envelopes, and their signed bytes.

import * as v from 'valibot';
import { DomainTag, canonicalBytes } from './canonical';
import {
	BoxPublicKeySchema,
	CounterSchema,
	HashSchema,
	SignatureSchema,
	TimestampMsSchema,
	base64UrlBytes
} from './fields';
import { AlbumIdSchema, DocIdSchema, LinkIdSchema, PublicKeySchema } from './ids';
import {
	ENVELOPE_NONCE_BYTES,
	LINK_PASSWORD_SALT_BYTES,
	MAX_ENVELOPE_CIPHERTEXT_BYTES,
	MAX_KEY_BOXES_PER_ENTRY,
	MAX_KEY_WRAP_BYTES,
	MAX_LINK_WRAPS_PER_ENTRY,
	MAX_MEMBERSHIP_ENTRY_BYTES,
	MAX_SEALED_BOX_BYTES,
	MAX_SNAPSHOT_PARTS,
	MIN_ENVELOPE_CIPHERTEXT_BYTES,
	MIN_KEY_WRAP_BYTES,
	MIN_SEALED_BOX_BYTES,
	SNAPSHOT_SET_ID_BYTES
} from './limits';
import { canWriteDoc, epochAt, type MembershipState } from './membership-rules';

/** Omit that distributes over a union, so each op keeps its own fields. */
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

// ---------------------------------------------------------------------------------------------
// Roles and the pieces entries are made of

export const ROLES = ['viewer', 'collaborator', 'admin', 'owner'] as const;
export type Role = (typeof ROLES)[number];
export const RoleSchema = v.picklist(ROLES, 'must be viewer, collaborator, admin or owner');

/** Roles an `add` can grant; ownership comes only from `create` (or a later `role` change). */
export const GRANTABLE_ROLES = ['viewer', 'collaborator', 'admin'] as const;
export const GrantableRoleSchema = v.picklist(
	GRANTABLE_ROLES,
	'must be viewer, collaborator or admin'
);

/** A member's public keys: Ed25519 for signing (their id in the album) and X25519 for key boxes. */
export const MemberKeysSchema = v.strictObject({
	signPk: PublicKeySchema,
	boxPk: BoxPublicKeySchema
});

/** The epoch key sealed (crypto_box_seal) to one member's boxPk. */
export const SealedKeyBoxSchema = base64UrlBytes(MIN_SEALED_BOX_BYTES, MAX_SEALED_BOX_BYTES);

/** The epoch key wrapped (secretbox) with a link's wrap key. */
export const LinkKeyWrapSchema = base64UrlBytes(MIN_KEY_WRAP_BYTES, MAX_KEY_WRAP_BYTES);

/** A new epoch: its key sealed to every member who stays and wrapped for every link that stays. */
export const RotationSchema = v.strictObject({
	epoch: CounterSchema,
	keyBoxes: v.pipe(
		v.array(v.strictObject({ member: PublicKeySchema, box: SealedKeyBoxSchema })),
		v.maxLength(MAX_KEY_BOXES_PER_ENTRY, `has more than ${MAX_KEY_BOXES_PER_ENTRY} key boxes`)
	),
	linkWraps: v.pipe(
		v.array(v.strictObject({ linkId: LinkIdSchema, wrap: LinkKeyWrapSchema })),
		v.maxLength(MAX_LINK_WRAPS_PER_ENTRY, `has more than ${MAX_LINK_WRAPS_PER_ENTRY} link wraps`)
	)
});

export const LinkPermissionsSchema = v.strictObject({
	download: v.boolean(),
	upload: v.boolean(),
	comment: v.boolean(),
	join: v.boolean()
});

/** Argon2id parameters of a password link; null when the link has no password. */
export const LinkPasswordKdfSchema = v.strictObject({
	salt: base64UrlBytes(LINK_PASSWORD_SALT_BYTES, LINK_PASSWORD_SALT_BYTES),
	opsLimit: v.pipe(
		CounterSchema,
		v.minValue(1, 'must be at least 1'),
		v.maxValue(64, 'is too big')
	),
	memLimitBytes: v.pipe(
		CounterSchema,
		v.minValue(8 * 1024, 'is too small'),
		v.maxValue(4 * 1024 * 1024 * 1024, 'is too big')
	)
});

const linkSettingsEntries = {
	permissions: LinkPermissionsSchema,
	/** Milliseconds since 1970, or null for a link that never expires. */
	expiresAt: v.nullable(TimestampMsSchema),
	/** How many devices may open the link, or null for no limit. */
	deviceLimit: v.nullable(
		v.pipe(CounterSchema, v.minValue(1, 'must be at least 1'), v.maxValue(100_000, 'is too big'))
	)
};

// ---------------------------------------------------------------------------------------------
// Membership entries: a hash chain, one variant per op

const genesisPosition = {
	albumId: AlbumIdSchema,
	index: v.literal(0, 'must be 0 for create'),
	prev: v.null('must be null for create')
};

const chainedPosition = {
	albumId: AlbumIdSchema,
	index: v.pipe(CounterSchema, v.minValue(1, 'must be at least 1 after create')),
	prev: HashSchema
};

const signature = {
	/** The signer's Ed25519 public key. */
	by: PublicKeySchema,
	sig: SignatureSchema
};

export const MEMBERSHIP_OPS = [
	'create',
	'add',
	'role',
	'remove',
	'leave',
	'rotate',
	'link-add',
	'link-update',
	'link-remove',
	'delete'
] as const;
export type MembershipOp = (typeof MEMBERSHIP_OPS)[number];

const membershipVariant = v.variant(
	'op',
	[
		/** Genesis: binds the albumId to its owner (`by`) and seals epoch 0 to the owner. */
		v.strictObject({
			...genesisPosition,
			op: v.literal('create'),
			ownerBoxPk: BoxPublicKeySchema,
			epoch: v.literal(0, 'must be 0 for create'),
			keyBox: SealedKeyBoxSchema,
			...signature
		}),
		/** A new member with a role and the current epoch key sealed to them. */
		v.strictObject({
			...chainedPosition,
			op: v.literal('add'),
			member: MemberKeysSchema,
			role: GrantableRoleSchema,
			epoch: CounterSchema,
			keyBox: SealedKeyBoxSchema,
			...signature
		}),
		v.strictObject({
			...chainedPosition,
			op: v.literal('role'),
			member: PublicKeySchema,
			role: RoleSchema,
			...signature
		}),
		/** Removing a member always starts a new epoch that they are left out of. */
		v.strictObject({
			...chainedPosition,
			op: v.literal('remove'),
			member: PublicKeySchema,
			rotation: RotationSchema,
			...signature
		}),
		/**
		 * A member (not the owner) removes themselves. No new key: the leaver must not know the next
		 * epoch key, so a manager's later rotation starts it (the state marks a rotation as due).
		 */
		v.strictObject({
			...chainedPosition,
			op: v.literal('leave'),
			...signature
		}),
		/** A new epoch without a removal (e.g. a member lost a device). */
		v.strictObject({
			...chainedPosition,
			op: v.literal('rotate'),
			rotation: RotationSchema,
			...signature
		}),
		v.strictObject({
			...chainedPosition,
			op: v.literal('link-add'),
			linkId: LinkIdSchema,
			linkPk: PublicKeySchema,
			...linkSettingsEntries,
			password: v.nullable(LinkPasswordKdfSchema),
			epoch: CounterSchema,
			wrap: LinkKeyWrapSchema,
			...signature
		}),
		/** Replaces a link's settings; a new password needs a new link. */
		v.strictObject({
			...chainedPosition,
			op: v.literal('link-update'),
			linkId: LinkIdSchema,
			...linkSettingsEntries,
			...signature
		}),
		/** Revoking a link always starts a new epoch that the link is left out of. */
		v.strictObject({
			...chainedPosition,
			op: v.literal('link-remove'),
			linkId: LinkIdSchema,
			rotation: RotationSchema,
			...signature
		}),
		v.strictObject({
			...chainedPosition,
			op: v.literal('delete'),
			...signature
		})
	],
	`must be one of ${MEMBERSHIP_OPS.join(', ')}`
);

export const MembershipEntrySchema = v.pipe(
	membershipVariant,
	// Every string in an entry is base64url, an id or an enum (ASCII), so length = UTF-8 bytes, and
	// canonical JSON has the same length as JSON.stringify (it only reorders keys). JSON.stringify
	// also measures entries that other checks already refused, where canonicalJson would throw.
	v.check(
		(entry) => JSON.stringify(entry).length <= MAX_MEMBERSHIP_ENTRY_BYTES,
		`membership entry is larger than ${MAX_MEMBERSHIP_ENTRY_BYTES} bytes`
	)
);

export type MembershipEntry = v.InferOutput<typeof MembershipEntrySchema>;
export type UnsignedMembershipEntry = DistributiveOmit<MembershipEntry, 'sig'>;
export type Rotation = v.InferOutput<typeof RotationSchema>;
export type LinkPermissions = v.InferOutput<typeof LinkPermissionsSchema>;

/** The bytes an entry's `sig` covers: the entry without `sig`, under its own domain tag. */
export function membershipSigningBytes(entry: UnsignedMembershipEntry): Uint8Array {
	if ('sig' in entry) {
		throw new TypeError('membershipSigningBytes takes the entry without its sig');
	}
	return canonicalBytes(DomainTag.membershipEntry, entry);
}

/** The bytes the next entry's `prev` is the hash of: the whole signed entry. */
export function membershipHashBytes(entry: MembershipEntry): Uint8Array {
	return canonicalBytes(DomainTag.membershipHash, entry);
}

// ---------------------------------------------------------------------------------------------
// Doc envelopes

export const ENVELOPE_KINDS = ['update', 'snapshot', 'ephemeral'] as const;
export type EnvelopeKind = (typeof ENVELOPE_KINDS)[number];

const headerEntries = {
	albumId: AlbumIdSchema,
	docId: DocIdSchema,
	/** The epoch whose key encrypted `ct`. */
	epoch: CounterSchema,
	/** The membership chain index the author wrote under. */
	chainIndex: CounterSchema,
	/** The author's Ed25519 public key (a member's, or a link's for inbox docs). */
	by: PublicKeySchema
};

/**
 * Where one envelope sits in a snapshot that spans several (a doc state over one envelope's
 * ciphertext cap): the set's random id, this part's index and the number of parts. In the header,
 * so it is in the AEAD's additional data and under the signature: a part cannot be moved to another
 * set or position. A snapshot without it is a set of one; a set of several has 2 to
 * MAX_SNAPSHOT_PARTS parts (so every snapshot has one encoding).
 */
export const SnapshotPartSchema = v.pipe(
	v.strictObject({
		set: base64UrlBytes(SNAPSHOT_SET_ID_BYTES, SNAPSHOT_SET_ID_BYTES),
		index: CounterSchema,
		count: v.pipe(
			CounterSchema,
			v.minValue(2, 'must be at least 2 (a snapshot in one envelope has no part field)'),
			v.maxValue(MAX_SNAPSHOT_PARTS, `must be at most ${MAX_SNAPSHOT_PARTS}`)
		)
	}),
	v.check((part) => part.index < part.count, 'index must be below count')
);
export type SnapshotPart = v.InferOutput<typeof SnapshotPartSchema>;

/** A snapshot states the album seq it covers, so the relay can drop the updates before it. */
const kindEntries = {
	update: { kind: v.literal('update') },
	snapshot: {
		kind: v.literal('snapshot'),
		covers: CounterSchema,
		part: v.optional(SnapshotPartSchema)
	},
	ephemeral: { kind: v.literal('ephemeral') }
} as const;

const kindMessage = `must be one of ${ENVELOPE_KINDS.join(', ')}`;

export const EnvelopeHeaderSchema = v.variant(
	'kind',
	[
		v.strictObject({ ...headerEntries, ...kindEntries.update }),
		v.strictObject({ ...headerEntries, ...kindEntries.snapshot }),
		v.strictObject({ ...headerEntries, ...kindEntries.ephemeral })
	],
	kindMessage
);

const bodyEntries = {
	nonce: base64UrlBytes(ENVELOPE_NONCE_BYTES, ENVELOPE_NONCE_BYTES),
	ct: base64UrlBytes(MIN_ENVELOPE_CIPHERTEXT_BYTES, MAX_ENVELOPE_CIPHERTEXT_BYTES),
	sig: SignatureSchema
};

export const EnvelopeSchema = v.variant(
	'kind',
	[
		v.strictObject({ ...headerEntries, ...kindEntries.update, ...bodyEntries }),
		v.strictObject({ ...headerEntries, ...kindEntries.snapshot, ...bodyEntries }),
		v.strictObject({ ...headerEntries, ...kindEntries.ephemeral, ...bodyEntries })
	],
	kindMessage
);

export type EnvelopeHeader = v.InferOutput<typeof EnvelopeHeaderSchema>;
export type Envelope = v.InferOutput<typeof EnvelopeSchema>;

/**
 * The header fields of a header or a whole envelope. Picking them by name means passing an
 * envelope where a header is expected still yields the header's bytes.
 */
export function envelopeHeaderOf(source: EnvelopeHeader | Envelope): EnvelopeHeader {
	const base = {
		albumId: source.albumId,
		docId: source.docId,
		epoch: source.epoch,
		chainIndex: source.chainIndex,
		by: source.by
	};
	if (source.kind !== 'snapshot') return { ...base, kind: source.kind };
	const { part } = source;
	return part === undefined
		? { ...base, kind: 'snapshot', covers: source.covers }
		: {
				...base,
				kind: 'snapshot',
				covers: source.covers,
				part: { set: part.set, index: part.index, count: part.count }
			};
}

/** The AEAD associated data of an envelope: its header under its own domain tag. */
export function envelopeHeaderBytes(header: EnvelopeHeader | Envelope): Uint8Array {
	return canonicalBytes(DomainTag.envelopeHeader, envelopeHeaderOf(header));
}

/** The bytes an envelope's `sig` covers: header, nonce and ciphertext (bytes or base64url). */
export function envelopeSigningBytes(
	header: EnvelopeHeader | Envelope,
	nonce: Uint8Array | string,
	ct: Uint8Array | string
): Uint8Array {
	return canonicalBytes(DomainTag.envelope, { header: envelopeHeaderOf(header), nonce, ct });
}

// ---------------------------------------------------------------------------------------------
// Envelope acceptance: who may write which doc in which epoch (docs/album-stream.md "Envelopes")

export type EnvelopeAuthorityCode =
	'unknown-head' | 'ahead-of-log' | 'not-writer' | 'wrong-epoch' | 'stale-epoch';

export interface EnvelopeAuthorityRefusal {
	code: EnvelopeAuthorityCode;
	message: string;
}

/**
 * Judges an envelope's header against a verified membership state, as the relay and every client
 * must, so they all agree: null when accepted, else why not. `sequencedAt` is the chain index that
 * was the membership head when the relay gave the envelope its seq (the relay: its head on arrival;
 * a client: the last membership entry with a lower seq; see membershipHeadAt in src/lib/sync).
 * Judging at that point of the album log, not at whatever head a device has reached, is what makes
 * the verdict the same on every device whatever order frames arrive in.
 *
 * Accepted only when: the envelope's head (`chainIndex`) was reached by the log when it was
 * sequenced; its author could write that doc both at `chainIndex` and at `sequencedAt` (a removed
 * or demoted author cannot backdate `chainIndex` to before their removal); and its epoch is the
 * epoch at `chainIndex` and still the epoch at `sequencedAt` (old-epoch writes are refused once a
 * rotation is in the log before them).
 */
export function envelopeAuthorityRefusal(
	state: MembershipState,
	header: EnvelopeHeader | Envelope,
	sequencedAt: number = state.head.index
): EnvelopeAuthorityRefusal | null {
	const { chainIndex, by, docId, epoch } = header;
	if (!Number.isSafeInteger(sequencedAt) || sequencedAt < 0) {
		throw new RangeError('envelopeAuthorityRefusal: sequencedAt must be a chain index');
	}
	if (chainIndex > state.head.index || sequencedAt > state.head.index) {
		return {
			code: 'unknown-head',
			message: 'This update was written under a newer album history than this device has checked.'
		};
	}
	if (chainIndex > sequencedAt) {
		return {
			code: 'ahead-of-log',
			message: 'This update names an album history that did not exist when it was received.'
		};
	}
	if (!canWriteDoc(state, by, docId, chainIndex) || !canWriteDoc(state, by, docId, sequencedAt)) {
		return {
			code: 'not-writer',
			message: 'This update was written by someone not allowed to change this part of the album.'
		};
	}
	if (epoch !== epochAt(state, chainIndex)) {
		return {
			code: 'wrong-epoch',
			message: `This update uses key epoch ${epoch}, which is not the album's key at the point it names.`
		};
	}
	if (epoch !== epochAt(state, sequencedAt)) {
		return {
			code: 'stale-epoch',
			message: 'This update uses an album key that had already been replaced when it arrived.'
		};
	}
	return null;
}
