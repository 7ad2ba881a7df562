// Invites of people without an account: checked and stored owner-signed, mailed, accepted at sign-up, completed by a manager's device.

import { randomBytes } from 'node:crypto';
import { isValidSignature } from '../../src/lib/crypto';
import {
	ApiErrorCode,
	fromBase64Url,
	INVITE_SIGNED_AT_SKEW_MS,
	INVITE_TTL_MS,
	inviteSigningBytes,
	MAX_ACCEPTED_INVITES_LISTED,
	MAX_PENDING_INVITES_PER_ALBUM,
	toBase64Url,
	type AcceptedInvite,
	type AlbumInvite,
	type CreateInviteRequest,
	type CreateInviteResponse,
	type InviteRole
} from '../../src/lib/protocol';
import type { Account } from './account-store';
import type { RelayDatabase } from './db';
import type { Logger } from './log';
import type { Mailer, MailMessage } from './mail';
import { planOf } from './plans';
import { RateLimiter, type RateLimitVerdict } from './rate-limit';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * Every invite mails an address of the inviter's choosing, so creating them is limited per session
 * (every request, like directory look-ups), per account (an account can open many sessions), and
 * per recipient (several inviters together cannot flood one mailbox).
 */
export const INVITE_LIMITS = {
	invitesPerSession: { limit: 60, windowMs: HOUR },
	invitesPerAccount: { limit: 100, windowMs: DAY },
	inviteMailsPerEmail: { limit: 3, windowMs: DAY }
} as const;

/** A refusal with its HTTP status, code and a sentence a person can read. */
export class InviteRefusal extends Error {
	constructor(
		readonly status: number,
		readonly code: ApiErrorCode,
		message: string,
		readonly retryAfterS?: number
	) {
		super(message);
		this.name = 'InviteRefusal';
	}
}

/** An invite that became accepted when its invitee verified their email. */
export interface AcceptedInviteEvent {
	inviteId: string;
	albumId: string;
	/** Who should hear that the invite was accepted. */
	inviterAccountId: string;
	acceptedAccountId: string;
}

export interface InviteServiceOptions {
	mailer: Mailer;
	/** Origin of the sign-up link in invite mails (PUBLIC_ORIGIN). */
	publicOrigin: string;
	logger: Logger;
	now?: () => number;
}

interface InviteRow {
	invite_id: string;
	album_id: string;
	email: string;
	role: InviteRole;
	inviter_sign_pk: string;
	inviter_account_id: string;
	signature: Buffer;
	signed_at: number;
	created_at: number;
	expires_at: number;
	accepted_account_id: string | null;
	accepted_at: number | null;
	completed_at: number | null;
}

interface AcceptedRow extends InviteRow {
	box_pk: Buffer;
	sign_pk: Buffer;
}

const NOT_MANAGER_MESSAGE = "Only the album's owner or an admin can invite people to it.";
const NOT_FOUND_MESSAGE = 'There is no such invite (it may have been cancelled, used or expired).';
const MAIL_FAILED_MESSAGE = 'The relay could not send the invitation email. Try again later.';
const RATE_LIMITED_MESSAGE = 'Too many invitations for now. Try again later.';

const iso = (ms: number) => new Date(ms).toISOString();

export class InviteService {
	private readonly statements;
	private readonly limits;
	private readonly now: () => number;

	constructor(
		private readonly db: RelayDatabase,
		private readonly options: InviteServiceOptions
	) {
		this.now = options.now ?? Date.now;
		this.limits = {
			invitesPerSession: new RateLimiter(INVITE_LIMITS.invitesPerSession, this.now),
			invitesPerAccount: new RateLimiter(INVITE_LIMITS.invitesPerAccount, this.now),
			inviteMailsPerEmail: new RateLimiter(INVITE_LIMITS.inviteMailsPerEmail, this.now)
		};
		this.statements = {
			managerRole: db.prepare(
				`SELECT m.role FROM album_members m JOIN albums a ON a.album_id = m.album_id
				WHERE m.album_id = ? AND m.sign_pk = ? AND a.deleted_at IS NULL
					AND m.role IN ('owner', 'admin')`
			),
			isMember: db.prepare('SELECT 1 FROM album_members WHERE album_id = ? AND sign_pk = ?'),
			albumOwnerPlan: db.prepare(
				`SELECT acc.plan FROM albums a JOIN accounts acc ON acc.account_id = a.owner_account_id
				WHERE a.album_id = ?`
			),
			verifiedAccount: db.prepare(
				'SELECT 1 FROM accounts WHERE email = ? AND verified_at IS NOT NULL'
			),
			dropExpired: db.prepare('DELETE FROM invites WHERE accepted_at IS NULL AND expires_at <= ?'),
			openForEmail: db.prepare(
				`SELECT 1 FROM invites WHERE album_id = ? AND email = ? AND completed_at IS NULL
					AND (accepted_at IS NOT NULL OR expires_at > ?)`
			),
			pendingInAlbum: db.prepare(
				`SELECT COUNT(*) AS n FROM invites
				WHERE album_id = ? AND accepted_at IS NULL AND expires_at > ?`
			),
			insert: db.prepare(
				`INSERT INTO invites (invite_id, album_id, email, role, inviter_sign_pk, inviter_account_id,
					signature, signed_at, created_at, expires_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
			),
			byId: db.prepare('SELECT * FROM invites WHERE invite_id = ?'),
			delete: db.prepare('DELETE FROM invites WHERE invite_id = ?'),
			listAlbum: db.prepare(
				`SELECT * FROM invites WHERE album_id = ? AND completed_at IS NULL
					AND (accepted_at IS NOT NULL OR expires_at > ?)
				ORDER BY created_at, invite_id`
			),
			accept: db.prepare(
				`UPDATE invites SET accepted_account_id = ?, accepted_at = ?
				WHERE email = ? AND accepted_at IS NULL AND expires_at > ?
				RETURNING invite_id, album_id, inviter_account_id`
			),
			// Accepted, not completed, in live albums where the asker is owner or admin now: the
			// invites whose `add` entry this account's device can sign.
			acceptedFor: db.prepare(
				`SELECT i.*, acc.box_pk, acc.sign_pk FROM invites i
				JOIN accounts acc ON acc.account_id = i.accepted_account_id
				JOIN albums a ON a.album_id = i.album_id AND a.deleted_at IS NULL
				JOIN album_members m ON m.album_id = i.album_id AND m.sign_pk = ?
					AND m.role IN ('owner', 'admin')
				WHERE i.accepted_at IS NOT NULL AND i.completed_at IS NULL
				ORDER BY i.accepted_at, i.invite_id
				LIMIT ${MAX_ACCEPTED_INVITES_LISTED}`
			),
			complete: db.prepare(
				'UPDATE invites SET completed_at = ? WHERE invite_id = ? AND completed_at IS NULL'
			),
			acceptedSignPk: db.prepare('SELECT sign_pk FROM accounts WHERE account_id = ?')
		};
	}

	/**
	 * Checks, stores and mails a new invite. Throws InviteRefusal for anything a client can fix or
	 * should be told: the checks run in the order of docs/sharing-invites.md.
	 */
	async create(
		inviter: Account,
		sessionId: string,
		request: CreateInviteRequest
	): Promise<CreateInviteResponse> {
		// Counted on every request, refused or not: the answer says whether an email has an account.
		refuseIfLimited([this.limits.invitesPerSession.take(sessionId)]);
		const signPk = inviter.publicKeys.signPk;
		const signed = await isValidSignature(
			fromBase64Url(request.sig),
			inviteSigningBytes(request),
			fromBase64Url(signPk)
		);
		if (!signed) {
			throw new InviteRefusal(
				400,
				ApiErrorCode.badSignature,
				"sig: this invite is not signed by your account's key."
			);
		}
		const now = this.now();
		if (Math.abs(request.signedAt - now) > INVITE_SIGNED_AT_SKEW_MS) {
			throw new InviteRefusal(
				400,
				ApiErrorCode.staleSignature,
				"signedAt: the invite was signed too long ago, or this device's clock is wrong. Check the clock and try again."
			);
		}
		if (!this.managerRole(request.albumId, signPk)) {
			throw new InviteRefusal(403, ApiErrorCode.notAuthorized, NOT_MANAGER_MESSAGE);
		}
		this.checkSharing(request.albumId);
		if (this.statements.verifiedAccount.get(request.email)) {
			throw new InviteRefusal(
				409,
				ApiErrorCode.alreadyUser,
				'This person already uses Tessera: share the album with them directly.'
			);
		}
		refuseIfLimited([
			this.limits.invitesPerAccount.check(inviter.id),
			this.limits.inviteMailsPerEmail.check(request.email)
		]);

		const inviteId = toBase64Url(randomBytes(16));
		const expiresAt = now + INVITE_TTL_MS;
		this.db
			.transaction(() => {
				this.statements.dropExpired.run(now);
				if (this.statements.openForEmail.get(request.albumId, request.email, now)) {
					throw new InviteRefusal(
						409,
						ApiErrorCode.alreadyInvited,
						'This person is already invited to this album. Cancel that invite to send a new one.'
					);
				}
				const { n } = this.statements.pendingInAlbum.get(request.albumId, now) as { n: number };
				if (n >= MAX_PENDING_INVITES_PER_ALBUM) {
					throw new InviteRefusal(
						409,
						ApiErrorCode.tooManyInvites,
						`This album already has ${MAX_PENDING_INVITES_PER_ALBUM} pending invites. Cancel some, or wait for them to be accepted.`
					);
				}
				this.statements.insert.run(
					inviteId,
					request.albumId,
					request.email,
					request.role,
					signPk,
					inviter.id,
					Buffer.from(fromBase64Url(request.sig)),
					request.signedAt,
					now,
					expiresAt
				);
			})
			.immediate();

		const link = inviteLink(this.options.publicOrigin, inviteId, request.email);
		try {
			await this.options.mailer.send(inviteMail(request.email, inviter.email, link, expiresAt));
		} catch (error) {
			// An invite nobody was told about is useless; drop it so it can be sent again.
			this.statements.delete.run(inviteId);
			this.options.logger.error({ err: error, inviteId }, 'sending an invite failed');
			throw new InviteRefusal(503, ApiErrorCode.mailFailed, MAIL_FAILED_MESSAGE);
		}
		this.limits.invitesPerAccount.hit(inviter.id);
		this.limits.inviteMailsPerEmail.hit(request.email);
		this.options.logger.info({ inviteId, albumId: request.albumId }, 'invite created');
		return { inviteId, expiresAt: iso(expiresAt) };
	}

	/** Pending and accepted (not yet completed) invites of an album, for its owner or an admin. */
	list(requester: Account, albumId: string): AlbumInvite[] {
		if (!this.managerRole(albumId, requester.publicKeys.signPk)) {
			throw new InviteRefusal(
				403,
				ApiErrorCode.notAuthorized,
				"Only the album's owner or an admin can see its invites."
			);
		}
		const rows = this.statements.listAlbum.all(albumId, this.now()) as InviteRow[];
		return rows.map((row) => ({
			inviteId: row.invite_id,
			email: row.email,
			role: row.role,
			state: row.accepted_at === null ? 'pending' : 'accepted',
			invitedBy: row.inviter_sign_pk,
			createdAt: iso(row.created_at),
			expiresAt: iso(row.expires_at)
		}));
	}

	/** Cancels an invite that is not completed: its inviter, or the album's owner or an admin. */
	cancel(requester: Account, inviteId: string): void {
		const row = this.visibleTo(requester, inviteId);
		if (!row || row.completed_at !== null) throw notFound();
		this.statements.delete.run(inviteId);
	}

	/**
	 * Accepted invites waiting for this account's device to add the new member: in albums where it
	 * is owner or admin now (who made the invite does not matter: any manager can complete it).
	 */
	accepted(requester: Account): AcceptedInvite[] {
		const rows = this.statements.acceptedFor.all(requester.publicKeys.signPk) as AcceptedRow[];
		return rows.map((row) => ({
			inviteId: row.invite_id,
			albumId: row.album_id,
			email: row.email,
			role: row.role,
			publicKeys: { boxPk: toBase64Url(row.box_pk), signPk: toBase64Url(row.sign_pk) },
			acceptedAt: iso(row.accepted_at ?? row.created_at),
			inviterSignPk: row.inviter_sign_pk,
			signedAt: row.signed_at,
			sig: toBase64Url(row.signature)
		}));
	}

	/**
	 * Marks an accepted invite done once the new account's key is a member of the album (the `add`
	 * entry was appended). Completing twice is fine.
	 */
	complete(requester: Account, inviteId: string): void {
		const row = this.visibleTo(requester, inviteId);
		if (!row) throw notFound();
		if (row.completed_at !== null) return;
		if (row.accepted_account_id === null) {
			throw new InviteRefusal(
				409,
				ApiErrorCode.inviteNotAccepted,
				'This invite is not accepted yet: the person has not signed up.'
			);
		}
		const account = this.statements.acceptedSignPk.get(row.accepted_account_id) as
			{ sign_pk: Buffer } | undefined;
		const memberPk = account ? toBase64Url(account.sign_pk) : null;
		if (memberPk === null || !this.statements.isMember.get(row.album_id, memberPk)) {
			throw new InviteRefusal(
				409,
				ApiErrorCode.inviteeNotMember,
				'The invited person is not a member of the album yet: add them first, then complete the invite.'
			);
		}
		this.statements.complete.run(this.now(), inviteId);
	}

	/**
	 * Called in the transaction that verifies an account's email: every unexpired pending invite for
	 * that email becomes accepted by it. Returns them, so whoever invited can be told.
	 */
	acceptFor(account: { id: string; email: string }, now: number): AcceptedInviteEvent[] {
		const rows = this.statements.accept.all(account.id, now, account.email, now) as {
			invite_id: string;
			album_id: string;
			inviter_account_id: string;
		}[];
		return rows.map((row) => ({
			inviteId: row.invite_id,
			albumId: row.album_id,
			inviterAccountId: row.inviter_account_id,
			acceptedAccountId: account.id
		}));
	}

	/** The invite if `requester` made it or manages its album now; otherwise undefined. */
	private visibleTo(requester: Account, inviteId: string): InviteRow | undefined {
		const row = this.statements.byId.get(inviteId) as InviteRow | undefined;
		if (!row) return undefined;
		if (row.inviter_account_id === requester.id) return row;
		return this.managerRole(row.album_id, requester.publicKeys.signPk) ? row : undefined;
	}

	private managerRole(albumId: string, signPk: string): boolean {
		return this.statements.managerRole.get(albumId, signPk) !== undefined;
	}

	/** As album-streams checks an `add`: the album owner's plan must include sharing. */
	private checkSharing(albumId: string): void {
		const row = this.statements.albumOwnerPlan.get(albumId) as { plan: string } | undefined;
		const plan = row ? planOf(row.plan) : undefined;
		if (!plan?.sharing) {
			throw new InviteRefusal(
				403,
				ApiErrorCode.planNoSharing,
				plan
					? `The album owner's ${plan.name} plan does not include sharing. Upgrade the plan to invite people.`
					: 'This album cannot be shared: its owner no longer has an account here.'
			);
		}
	}
}

function notFound(): InviteRefusal {
	return new InviteRefusal(404, ApiErrorCode.inviteNotFound, NOT_FOUND_MESSAGE);
}

function refuseIfLimited(verdicts: readonly RateLimitVerdict[]): void {
	let wait = 0;
	for (const verdict of verdicts) if (verdict.limited) wait = Math.max(wait, verdict.retryAfterS);
	if (wait > 0) throw new InviteRefusal(429, ApiErrorCode.rateLimited, RATE_LIMITED_MESSAGE, wait);
}

/**
 * The sign-up link of an invite mail. Always PUBLIC_ORIGIN, never the request's Host header: that
 * header is the inviter's to choose, and would let anyone make the relay mail a link to their site.
 */
export function inviteLink(publicOrigin: string, inviteId: string, email: string): string {
	const query = new URLSearchParams({ invite: inviteId, email });
	return `${publicOrigin}/?${query.toString()}`;
}

/** The invitation: who invited, the link, the expiry. No album name: the relay never knows it. */
export function inviteMail(
	to: string,
	inviterEmail: string,
	link: string,
	expiresAt: number
): MailMessage {
	const until = new Date(expiresAt).toISOString().slice(0, 10);
	return {
		to,
		subject: "You're invited to a shared album on Tessera",
		text:
			`${inviterEmail} invited you to a shared album on Tessera, an end-to-end encrypted photo app.\n\n` +
			`To accept, create your account with this email address (${to}):\n\n` +
			`${link}\n\n` +
			`The album appears in your library once ${inviterEmail}'s Tessera app is next online. ` +
			`The invitation is valid until ${until}.\n\n` +
			`If you do not know ${inviterEmail}, you can ignore this message.\n`
	};
}
