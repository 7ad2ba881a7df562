// Invites of people without an account: the signed invite message, the HTTP bodies and their limits.

import * as v from 'valibot';
import { EmailSchema, IsoTimeSchema, PublicKeysSchema } from './accounts';
import { GRANTABLE_ROLES, GrantableRoleSchema } from './album-stream';
import { canonicalJson } from './canonical';
import { SignatureSchema, TimestampMsSchema } from './fields';
import { AlbumIdSchema, PublicKeySchema, RANDOM_ID_PATTERN } from './ids';

/** Paths of the invites API (docs/sharing-invites.md). */
export const InvitesApiPath = {
	invites: '/api/invites',
	accepted: '/api/invites/accepted'
} as const;

/** DELETE target of one invite. */
export function invitePath(inviteId: string): string {
	return `${InvitesApiPath.invites}/${encodeURIComponent(inviteId)}`;
}

/** POST target that marks an accepted invite done. */
export function inviteCompletePath(inviteId: string): string {
	return `${invitePath(inviteId)}/complete`;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** A pending invite is forgotten this long after it was made. */
export const INVITE_TTL_MS = 30 * DAY_MS;
/**
 * How far `signedAt` may be from the relay's clock. The relay keeps the signature, so this bounds
 * how old a signature it can ever have been given: a device checks `signedAt` against expiry too.
 */
export const INVITE_SIGNED_AT_SKEW_MS = 10 * 60 * 1000;
/** Pending invites one album may hold at once. */
export const MAX_PENDING_INVITES_PER_ALBUM = 50;
/** Most accepted invites one GET /api/invites/accepted returns (oldest first). */
export const MAX_ACCEPTED_INVITES_LISTED = 200;

/**
 * Domain tag of what an invite's `sig` covers. Distinct from every other tag (canonical.ts), so an
 * invite signature can never be taken for a membership entry or an envelope, nor one of those for it.
 */
export const INVITE_DOMAIN_TAG = 'tessera/v1/invite\0';

export type InviteRole = (typeof GRANTABLE_ROLES)[number];
export const InviteRoleSchema = GrantableRoleSchema;

/** What an inviter signs: the album, the invitee's normalised email, the role, and when. */
export interface InviteStatement {
	albumId: string;
	/** Normalised as `normalizeEmail` does, or the relay's check fails. */
	email: string;
	role: InviteRole;
	/** Milliseconds since 1970. */
	signedAt: number;
}

const utf8 = new TextEncoder();

/** UTF-8 of INVITE_DOMAIN_TAG followed by the canonical JSON of the statement (docs/protocol.md). */
export function inviteSigningBytes(statement: InviteStatement): Uint8Array {
	const { albumId, email, role, signedAt } = statement;
	const head = utf8.encode(INVITE_DOMAIN_TAG);
	const body = utf8.encode(canonicalJson({ albumId, email, role, signedAt }));
	const out = new Uint8Array(head.length + body.length);
	out.set(head, 0);
	out.set(body, head.length);
	return out;
}

export const InviteIdSchema = v.pipe(v.string(), v.regex(RANDOM_ID_PATTERN, 'is not a valid id'));

/** The query of the sign-up link an invite email carries: `/?invite=<inviteId>&email=<email>`. */
export const InviteLinkQuerySchema = v.object({ invite: InviteIdSchema, email: EmailSchema });
export type InviteLinkQuery = v.InferOutput<typeof InviteLinkQuerySchema>;

// ---------------------------------------------------------------------------------------------
// Requests (strict) and replies (open to new fields), in the order of docs/api.md

/** POST /api/invites */
export const CreateInviteRequestSchema = v.strictObject({
	albumId: AlbumIdSchema,
	email: EmailSchema,
	role: InviteRoleSchema,
	signedAt: TimestampMsSchema,
	sig: SignatureSchema
});
export type CreateInviteRequest = v.InferOutput<typeof CreateInviteRequestSchema>;

/** 201 reply of POST /api/invites. */
export const CreateInviteResponseSchema = v.object({
	inviteId: InviteIdSchema,
	expiresAt: IsoTimeSchema
});
export type CreateInviteResponse = v.InferOutput<typeof CreateInviteResponseSchema>;

/** GET /api/invites?albumId=... */
export const InviteListQuerySchema = v.strictObject({ albumId: AlbumIdSchema });
export type InviteListQuery = v.InferOutput<typeof InviteListQuerySchema>;

/** `pending`: no account yet; `accepted`: signed up, waiting for a manager's device to add them. */
export const InviteStateSchema = v.picklist(['pending', 'accepted']);
export type InviteState = v.InferOutput<typeof InviteStateSchema>;

export const AlbumInviteSchema = v.object({
	inviteId: InviteIdSchema,
	email: EmailSchema,
	role: InviteRoleSchema,
	state: InviteStateSchema,
	/** The inviter's signing key. */
	invitedBy: PublicKeySchema,
	createdAt: IsoTimeSchema,
	expiresAt: IsoTimeSchema
});
export type AlbumInvite = v.InferOutput<typeof AlbumInviteSchema>;

export const InviteListResponseSchema = v.object({
	invites: v.pipe(v.array(AlbumInviteSchema), v.maxLength(MAX_PENDING_INVITES_PER_ALBUM * 4))
});
export type InviteListResponse = v.InferOutput<typeof InviteListResponseSchema>;

/**
 * One accepted invite waiting to be completed, with what a device needs to check it: the inviter's
 * signature over {albumId, email, role, signedAt}, and the new account's public keys.
 */
export const AcceptedInviteSchema = v.object({
	inviteId: InviteIdSchema,
	albumId: AlbumIdSchema,
	email: EmailSchema,
	role: InviteRoleSchema,
	publicKeys: PublicKeysSchema,
	acceptedAt: IsoTimeSchema,
	inviterSignPk: PublicKeySchema,
	signedAt: TimestampMsSchema,
	sig: SignatureSchema
});
export type AcceptedInvite = v.InferOutput<typeof AcceptedInviteSchema>;

/** GET /api/invites/accepted */
export const AcceptedInvitesResponseSchema = v.object({
	invites: v.pipe(v.array(AcceptedInviteSchema), v.maxLength(MAX_ACCEPTED_INVITES_LISTED))
});
export type AcceptedInvitesResponse = v.InferOutput<typeof AcceptedInvitesResponseSchema>;
