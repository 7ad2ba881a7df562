// Invites of people without an account, from the app: signed with the identity's key, over the relay's invites API.

import * as v from 'valibot';
import {
	fromBase64Url,
	isValidSignature,
	signDetached,
	signKeyPairFromSeed,
	toBase64Url
} from '../crypto';
import {
	AcceptedInvitesResponseSchema,
	CreateInviteResponseSchema,
	EmailSchema,
	InviteLinkQuerySchema,
	InviteListResponseSchema,
	InvitesApiPath,
	inviteCompletePath,
	invitePath,
	inviteSigningBytes,
	type AcceptedInvite,
	type AlbumInvite,
	type CreateInviteRequest,
	type CreateInviteResponse,
	type InviteRole,
	type InviteStatement
} from '../protocol';
import {
	RelayError,
	relayRequest,
	type RelayClient,
	type RelayErrorOptions
} from '../net/relay-http';

export type InviteErrorCode =
	| 'offline'
	| 'bad-reply'
	| 'invalid-email'
	| 'already-user'
	| 'already-invited'
	| 'not-authorized'
	| 'plan-no-sharing'
	| 'stale-signature'
	| 'too-many-invites'
	| 'invite-not-found'
	| 'invite-not-accepted'
	| 'invitee-not-member'
	| 'rate-limited'
	| 'mail-failed'
	| 'unauthenticated'
	// Anything else the relay says.
	| (string & {});

/** What went wrong with an invite: a code to branch on and a sentence to show. */
export class InviteError extends RelayError<InviteErrorCode> {
	constructor(code: InviteErrorCode, message: string, options: RelayErrorOptions = {}) {
		super(code, message, options);
		this.name = 'InviteError';
	}
}

/** The app's own words for the codes a person can meet; other codes keep the relay's message. */
function wordsFor(code: string, relayMessage: string, retryAfterS: number | undefined): string {
	switch (code) {
		case 'already-user':
			return 'This person already uses Tessera: share the album with them directly.';
		case 'already-invited':
			return 'This person is already invited to this album.';
		case 'not-authorized':
			return "Only the album's owner or an admin can invite people to it.";
		case 'bad-signature':
			return 'This device could not sign the invite with your key. Log out, log in again and retry.';
		case 'stale-signature':
			return "This device's clock seems to be wrong. Set the right time and try again.";
		case 'invite-not-found':
			return 'This invite no longer exists: it was cancelled, used, or it expired.';
		case 'invite-not-accepted':
			return 'This person has not created their account yet.';
		case 'invitee-not-member':
			return 'Add this person to the album first, then complete the invite.';
		case 'rate-limited': {
			if (retryAfterS === undefined) return 'Too many invitations for now. Try again later.';
			const minutes = Math.max(1, Math.ceil(retryAfterS / 60));
			return `Too many invitations for now. Try again in ${minutes} ${minutes === 1 ? 'minute' : 'minutes'}.`;
		}
		case 'mail-failed':
			return 'The invitation email could not be sent. Try again later.';
		default:
			return relayMessage;
	}
}

export interface InviteApiOptions {
	/** The session token (SignedIn.token). */
	token: string;
	/** The identity's 32-byte Ed25519 seed (AccountKeys.signSeed): it signs new invites. */
	signSeed: Uint8Array;
	/** Origin of the relay; empty for the page's own origin. */
	baseUrl?: string;
	fetch?: typeof fetch;
	now?: () => number;
}

export interface NewInvite {
	albumId: string;
	/** Any spelling: it is normalised (as the relay does) before it is signed. */
	email: string;
	role: InviteRole;
}

/**
 * The invites API for one signed-in session. Completing a share on a manager's device is:
 * `for (const invite of await api.accepted())` → check `invite.inviterSignPk` had the authority
 * in the verified chain, pin `invite.publicKeys`, append the `add` entry, then
 * `await api.complete(invite.inviteId)`.
 */
export class InviteApi {
	readonly #options: InviteApiOptions;
	readonly #client: RelayClient<InviteError>;

	constructor(options: InviteApiOptions) {
		this.#options = options;
		this.#client = {
			baseUrl: options.baseUrl,
			fetch: options.fetch,
			errorClass: InviteError,
			wordsFor
		};
	}

	/** Signs and sends an invite; the relay mails the sign-up link. */
	async create(invite: NewInvite): Promise<CreateInviteResponse> {
		const email = v.safeParse(EmailSchema, invite.email);
		if (!email.success) throw new InviteError('invalid-email', 'Enter a valid email address.');
		const now = this.#options.now ?? Date.now;
		const statement: InviteStatement = {
			albumId: invite.albumId,
			email: email.output,
			role: invite.role,
			signedAt: now()
		};
		const body: CreateInviteRequest = {
			...statement,
			sig: await signInvite(statement, this.#options.signSeed)
		};
		return this.#call('POST', InvitesApiPath.invites, CreateInviteResponseSchema, body);
	}

	/** The album's pending and accepted invites (owner or admin only). */
	async list(albumId: string): Promise<AlbumInvite[]> {
		const path = `${InvitesApiPath.invites}?${new URLSearchParams({ albumId }).toString()}`;
		return (await this.#call('GET', path, InviteListResponseSchema)).invites;
	}

	async cancel(inviteId: string): Promise<void> {
		await this.#call('DELETE', invitePath(inviteId));
	}

	/**
	 * Accepted invites this account may complete, each with the new account's keys. Only invites
	 * whose signature verifies are returned: the relay cannot make one up.
	 */
	async accepted(): Promise<AcceptedInvite[]> {
		const { invites } = await this.#call(
			'GET',
			InvitesApiPath.accepted,
			AcceptedInvitesResponseSchema
		);
		const checked = await Promise.all(invites.map((invite) => verifyInviteSignature(invite)));
		return invites.filter((_, i) => checked[i]);
	}

	/** Tells the relay the invitee was added to the album (after the `add` entry was acknowledged). */
	async complete(inviteId: string): Promise<void> {
		await this.#call('POST', inviteCompletePath(inviteId));
	}

	#call<T>(
		method: 'GET' | 'POST' | 'DELETE',
		path: string,
		reply?: v.GenericSchema<unknown, T>,
		body?: unknown
	): Promise<T> {
		return relayRequest(this.#client, { method, path, token: this.#options.token, body, reply });
	}
}

/** The inviter's signature (base64url) over the statement, with the identity's seed. */
export async function signInvite(
	statement: InviteStatement,
	signSeed: Uint8Array
): Promise<string> {
	const { privateKey } = await signKeyPairFromSeed(signSeed);
	try {
		return toBase64Url(await signDetached(inviteSigningBytes(statement), privateKey));
	} finally {
		privateKey.fill(0);
	}
}

/** Whether `sig` is `inviterSignPk`'s signature of the invite's album, email, role and time. */
export function verifyInviteSignature(
	invite: InviteStatement & { inviterSignPk: string; sig: string }
): Promise<boolean> {
	return isValidSignature(
		fromBase64Url(invite.sig),
		inviteSigningBytes(invite),
		fromBase64Url(invite.inviterSignPk)
	);
}

/** The invite in a sign-up link (`/?invite=<id>&email=<email>`), or null when there is none. */
export function readInviteLink(url: URL | string): { inviteId: string; email: string } | null {
	const params = new URL(url).searchParams;
	const parsed = v.safeParse(InviteLinkQuerySchema, {
		invite: params.get('invite') ?? undefined,
		email: params.get('email') ?? undefined
	});
	return parsed.success ? { inviteId: parsed.output.invite, email: parsed.output.email } : null;
}
