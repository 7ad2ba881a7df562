// Changing who is in an album: share with a person at a role, change a role, remove (with a new epoch), leave.

import { WsErrorCode, type GrantableRole, type MembershipEntry, type Role } from '../protocol';
import type { AlbumIdentity } from '../sync';
import { RelayRefusal, type AlbumSync, type SyncEngine } from '../sync/engine';
import type { MemberKeys } from '../sync/membership-chain';

export type MembershipProblemCode =
	'not-ready' | 'not-allowed' | 'already-member' | 'not-a-member' | 'busy' | 'refused';

/** Why a membership change did not happen, in words for a person. */
export class MembershipProblem extends Error {
	constructor(
		readonly code: MembershipProblemCode,
		message: string
	) {
		super(message);
		this.name = 'MembershipProblem';
	}
}

/** Tries on a newer head this many times when others change the album at the same moment. */
const MAX_ATTEMPTS = 5;

const STALE = new Set<string>([WsErrorCode.staleHead, WsErrorCode.unknownHead]);

/** How long a change waits for someone else's newer entry to reach this device before giving up. */
const HEAD_WAIT_MS = 5_000;

/**
 * Resolves true once this device's chain has reached `index`, false when `ms` passed first or the
 * album stopped (closed, failed). Woken by each frame the album applies, not by a timer.
 */
async function whenHeadReaches(album: AlbumSync, index: number, ms: number): Promise<boolean> {
	let timer: ReturnType<typeof setTimeout> | undefined;
	const timedOut = new Promise<false>((resolve) => {
		timer = setTimeout(() => resolve(false), ms);
	});
	try {
		if ((await Promise.race([album.whenCaughtUp().then(() => true), timedOut])) === false) {
			return false;
		}
		while ((album.membership?.head.index ?? -1) < index) {
			const seq = album.seq;
			// whenSeq also resolves when the album closes or fails: then seq stays where it was.
			const next = album.whenSeq(seq + 1).then(() => album.seq > seq);
			if (!(await Promise.race([next, timedOut]))) return false;
		}
		return true;
	} finally {
		clearTimeout(timer);
	}
}

/**
 * Builds an entry on the album's current head and appends it; when someone else moved the head
 * first, waits until this device holds the new head and builds again. Resolves once this device
 * has applied its own entry, so the album it shows already has the change.
 */
async function change(
	{ engine, headWaitMs = HEAD_WAIT_MS }: MembersOptions,
	album: AlbumSync,
	build: (album: AlbumSync) => Promise<MembershipEntry>,
	{ applied = true }: { applied?: boolean } = {}
): Promise<void> {
	for (let attempt = 1; ; attempt++) {
		if (!album.membershipChain) {
			throw new MembershipProblem('not-ready', 'This album is still opening on this device.');
		}
		const entry = await build(album);
		try {
			const seq = await engine.appendMembership(entry);
			if (applied) await album.whenSeq(seq);
			return;
		} catch (error) {
			if (!(error instanceof RelayRefusal)) throw error;
			if (!STALE.has(error.code) || attempt >= MAX_ATTEMPTS) {
				throw new MembershipProblem(
					STALE.has(error.code) ? 'busy' : 'refused',
					STALE.has(error.code)
						? 'Others are changing this album’s members right now. Try again in a moment.'
						: error.message
				);
			}
			// The newer entry comes on the album's stream; build on it once it is here.
			if (
				error.headIndex !== undefined &&
				!(await whenHeadReaches(album, error.headIndex, headWaitMs))
			) {
				throw new MembershipProblem(
					'busy',
					'This album’s latest member change has not reached this device yet. Try again in a moment.'
				);
			}
		}
	}
}

export interface MembersOptions {
	engine: SyncEngine;
	/** This account's signing key as the chain writes it (base64url). */
	me: string;
	/** How long a change waits for someone else's newer entry to arrive (default 5 s). */
	headWaitMs?: number;
}

/** Membership changes on one open album, checked before they are built so errors read well. */
export class Members {
	constructor(
		private readonly options: MembersOptions,
		private readonly album: AlbumSync
	) {}

	private get identity(): AlbumIdentity {
		return this.options.engine.identity;
	}

	get role(): Role | null {
		return this.album.membership?.members.get(this.options.me)?.role ?? null;
	}

	get canManage(): boolean {
		return this.role === 'owner' || this.role === 'admin';
	}

	/** Shares the album with `member` at `role`: seals the current epoch key to them. */
	async add(member: MemberKeys, role: GrantableRole): Promise<void> {
		this.requireManager('share this album');
		if (this.album.membership?.members.has(member.signPk)) {
			throw new MembershipProblem('already-member', 'This person is already in the album.');
		}
		await change(this.options, this.album, async (album) => {
			const epochKey = album.currentEpochKey();
			if (!epochKey) {
				throw new MembershipProblem('not-ready', 'This device does not hold the album’s key yet.');
			}
			return album.membershipChain!.addMember(this.identity, member, role, epochKey);
		});
	}

	async changeRole(memberSignPk: string, role: GrantableRole): Promise<void> {
		this.requireManager('change roles');
		const current = this.album.membership?.members.get(memberSignPk);
		if (!current) throw new MembershipProblem('not-a-member', 'This person is not in the album.');
		if (current.role === 'owner') {
			throw new MembershipProblem('not-allowed', 'The owner’s role cannot be changed.');
		}
		if (current.role === role) return;
		await change(this.options, this.album, (album) =>
			album.membershipChain!.changeRole(this.identity, memberSignPk, role)
		);
	}

	/**
	 * Removes someone: a new epoch key goes to everyone who stays, so what is added afterwards is
	 * unreadable with the keys the removed person held (I3). Writers re-snapshot under it.
	 */
	async remove(memberSignPk: string): Promise<void> {
		this.requireManager('remove people');
		const current = this.album.membership?.members.get(memberSignPk);
		if (!current) throw new MembershipProblem('not-a-member', 'This person is not in the album.');
		if (current.role === 'owner') {
			throw new MembershipProblem('not-allowed', 'The owner cannot be removed from their album.');
		}
		if (memberSignPk === this.options.me) {
			throw new MembershipProblem('not-allowed', 'To leave the album, use Leave album.');
		}
		if (this.album.membership!.links.size > 0) {
			// Links keep their wrap keys off this device; removing a member then needs them.
			throw new MembershipProblem(
				'not-allowed',
				'This album has public links: remove them before removing people.'
			);
		}
		await change(this.options, this.album, async (album) => {
			const { entry } = await album.membershipChain!.removeMember(
				this.identity,
				memberSignPk,
				new Map()
			);
			return entry;
		});
	}

	/** Leaves the album (anyone but its owner); a manager's device then rotates the key. */
	async leave(): Promise<void> {
		if (this.role === null)
			throw new MembershipProblem('not-a-member', 'You are not in this album.');
		if (this.role === 'owner') {
			throw new MembershipProblem(
				'not-allowed',
				'The owner cannot leave their album; delete it instead.'
			);
		}
		// Once out, the relay stops serving the album to this device: nothing to wait for.
		await change(this.options, this.album, (album) => album.membershipChain!.leave(this.identity), {
			applied: false
		});
	}

	private requireManager(what: string): void {
		if (!this.canManage) {
			throw new MembershipProblem('not-allowed', `Only the album’s owner or an admin can ${what}.`);
		}
	}
}
