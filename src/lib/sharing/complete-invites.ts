// Completing invites on a manager's device: someone invited by email signed up, so seal the album's key to them.

import type { AcceptedInvite } from '../protocol';
import type { SyncEngine } from '../sync/engine';
import { Members } from './members';
import { KeyChangedError, type People } from './people';

/** What completing one accepted invite did. */
export type InviteOutcome =
	| { inviteId: string; albumId: string; email: string; result: 'added' | 'already-member' }
	| {
			inviteId: string;
			albumId: string;
			email: string;
			result: 'skipped';
			/** Why, in words: shown to the manager, and the invite stays for later. */
			reason: string;
	  };

export interface CompleteInvitesOptions {
	engine: SyncEngine;
	/** This account's signing key as the chain writes it (base64url). */
	me: string;
	people: People;
	invites: {
		accepted(): Promise<AcceptedInvite[]>;
		complete(inviteId: string): Promise<void>;
	};
}

const MANAGERS = new Set(['owner', 'admin']);

/**
 * Adds every invitee who has signed up since, to the album and role they were invited to. Each is
 * checked against this device's verified chain (the inviter held the authority, this device does
 * now) and the new account's keys are pinned on first use like any share (I6). One that cannot be
 * completed now is left for a later run; the rest go on.
 */
export async function completeInvites(options: CompleteInvitesOptions): Promise<InviteOutcome[]> {
	const outcomes: InviteOutcome[] = [];
	for (const invite of await options.invites.accepted()) {
		const base = { inviteId: invite.inviteId, albumId: invite.albumId, email: invite.email };
		const skip = (reason: string) => outcomes.push({ ...base, result: 'skipped', reason });
		const album = await options.engine.openAlbum(invite.albumId);
		if (album.error) {
			skip(album.error.message);
			continue;
		}
		await album.whenModel();
		await album.whenCaughtUp();
		const members = album.membership?.members;
		if (!members || album.membership?.deleted) {
			skip('The album is gone.');
			continue;
		}
		const inviterRole = members.get(invite.inviterSignPk)?.role;
		if (!inviterRole || !MANAGERS.has(inviterRole)) {
			skip('Whoever sent this invite can no longer add people to the album.');
			continue;
		}
		if (members.has(invite.publicKeys.signPk)) {
			await options.invites.complete(invite.inviteId);
			outcomes.push({ ...base, result: 'already-member' });
			continue;
		}
		try {
			const recipient = await options.people.recipientFor({
				email: invite.email,
				publicKeys: invite.publicKeys
			});
			await options.people.confirm(recipient);
			await new Members({ engine: options.engine, me: options.me }, album).add(
				invite.publicKeys,
				invite.role
			);
			await options.invites.complete(invite.inviteId);
			outcomes.push({ ...base, result: 'added' });
		} catch (error) {
			if (error instanceof KeyChangedError) skip(error.message);
			else skip(error instanceof Error ? error.message : 'The invite could not be completed.');
		}
	}
	return outcomes;
}
