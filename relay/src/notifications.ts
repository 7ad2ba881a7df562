// Each account's notifications (album id, event type, times): recorded after the writes that cause them, batched, capped, pushed to listening sockets.

import * as v from 'valibot';
import {
	AlbumIdSchema,
	fromBase64Url,
	MAX_NOTIFICATIONS_PER_ACCOUNT,
	NotificationTypeSchema,
	type Envelope,
	type MembershipEntry,
	type Notification,
	type NotificationType,
	type ServerMessage
} from '../../src/lib/protocol';
import type { ClientConnection } from './connection';
import type { RelayDatabase } from './db';
import type { Logger } from './log';
import { WalSync } from './wal-sync';

/** One event for one account. `seq` is the album seq that caused it, when there is one. */
export interface NotificationEvent {
	accountId: string;
	albumId: string;
	type: NotificationType;
	seq: number | null;
	/** Events it stands for (a `photos` batch of several updates). */
	count: number;
	/** For a `photos` batch: the seqs of its updates, so those counted before (resends) are skipped. */
	seqs?: readonly number[];
}

export interface NotificationPage {
	notifications: Notification[];
	unread: number;
	more: boolean;
}

export interface NotificationStoreOptions {
	/** The album's current members by signing key (base64url); the relay's membership states. */
	membersOf: (albumId: string) => Iterable<string>;
	/** Notifications kept per account (the oldest beyond it are dropped). */
	maxPerAccount?: number;
}

interface NotificationRow {
	id: number;
	account_id: string;
	album_id: string;
	type: NotificationType;
	created_at: number;
	updated_at: number;
	count: number;
	seq: number | null;
	read_at: number | null;
}

/**
 * Stream events waiting to be recorded. An update carries the members it concerns (every member
 * but its author) as they were when it was stored, so a member added meanwhile is not told of it.
 */
type StreamEvent =
	| { kind: 'member'; signPk: string; albumId: string; type: 'shared' | 'removed'; seq: number }
	| { kind: 'update'; albumId: string; seq: number; recipients: readonly string[] };

/** Docs whose updates are photos being added or changed (the relay cannot tell which). */
const PHOTO_DOC_PREFIXES = ['contrib:', 'inbox:'] as const;

/**
 * How long new-photo events gather before they are recorded: a burst of uploads becomes one
 * transaction and one grown row per person, instead of a write and a push per turn. Membership
 * events (shared, removed) are recorded at the end of their turn, with whatever photos wait.
 */
export const PHOTOS_BATCH_MS = 100;

/**
 * Notifications are a side effect of writes already committed: they never hold up an ack or a
 * fan-out, and a failure here is logged, never thrown back into the write that caused it. Stream
 * events are queued and recorded together in one transaction: membership events at the end of
 * their turn, new-photo events within PHOTOS_BATCH_MS, so a burst of twenty updates becomes one
 * `photos` row with a count and one push per recipient, not twenty writes.
 *
 * Like album writes, these commit with `synchronous = NORMAL` (no fsync of their own): they survive
 * a crash of the relay, and the next group commit of the WAL puts them on disk. A notification
 * lost to a power cut between the two is an acceptable loss; a blocked write path is not.
 */
export class NotificationStore {
	private readonly statements;
	private readonly wal: WalSync;
	private readonly maxPerAccount: number;
	/** Sockets that listed their notifications, by account: they get new ones pushed. */
	private readonly listeners = new Map<string, Set<ClientConnection>>();
	private queued: StreamEvent[] = [];
	private flushSoon: NodeJS.Immediate | null = null;
	private flushLater: NodeJS.Timeout | null = null;

	constructor(
		private readonly db: RelayDatabase,
		private readonly log: Logger,
		private readonly options: NotificationStoreOptions
	) {
		this.wal = new WalSync(db);
		this.maxPerAccount = options.maxPerAccount ?? MAX_NOTIFICATIONS_PER_ACCOUNT;
		this.statements = {
			accountBySignPk: db.prepare('SELECT account_id FROM accounts WHERE sign_pk = ?'),
			latestOfType: db.prepare(
				`SELECT * FROM notifications WHERE account_id = ? AND album_id = ? AND type = ?
				ORDER BY id DESC LIMIT 1`
			),
			sameEvent: db.prepare(
				`SELECT 1 FROM notifications
				WHERE account_id = ? AND album_id = ? AND type = ? AND seq = ? LIMIT 1`
			),
			insert: db.prepare(
				`INSERT INTO notifications (account_id, album_id, type, created_at, updated_at, count, seq)
				VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *`
			),
			delete: db.prepare('DELETE FROM notifications WHERE id = ?'),
			// Keeps the newest `keep`: everything below the keep-th newest id goes.
			prune: db.prepare(
				`DELETE FROM notifications WHERE account_id = @accountId AND id < (
					SELECT id FROM notifications WHERE account_id = @accountId
					ORDER BY id DESC LIMIT 1 OFFSET @keep - 1)`
			),
			page: db.prepare(
				`SELECT * FROM notifications WHERE account_id = ? AND id < ? ORDER BY id DESC LIMIT ?`
			),
			unread: db.prepare(
				'SELECT COUNT(*) AS n FROM notifications WHERE account_id = ? AND read_at IS NULL'
			),
			markRead: db.prepare(
				`UPDATE notifications SET read_at = ?
				WHERE account_id = ? AND id <= ? AND read_at IS NULL`
			)
		};
	}

	// -------------------------------------------------------------------------------------------
	// Recording

	/**
	 * Records one event for an account at once and pushes it to the account's listening sockets
	 * (e.g. `invite-accepted` for the inviter). Call it once your own write has committed: a push
	 * cannot be taken back. Never throws: a notification is never worth failing the action that
	 * caused it.
	 */
	record(
		accountId: string,
		albumId: string,
		type: NotificationType,
		seq: number | null = null
	): void {
		// Every row goes out in frames devices check strictly: one bad row would spoil every page.
		if (!v.is(AlbumIdSchema, albumId) || !v.is(NotificationTypeSchema, type)) {
			this.log.error({ type }, 'refusing to record a notification with a bad album id or type');
			return;
		}
		this.apply([{ accountId, albumId, type, seq, count: 1 }]);
	}

	/** After a membership entry was committed at `seq`: `shared` for an added member, `removed` for a removed one. */
	membershipAppended(entry: MembershipEntry, seq: number): void {
		if (entry.op === 'add') {
			this.enqueue(
				{
					kind: 'member',
					signPk: entry.member.signPk,
					albumId: entry.albumId,
					type: 'shared',
					seq
				},
				true
			);
		} else if (entry.op === 'remove') {
			this.enqueue(
				{ kind: 'member', signPk: entry.member, albumId: entry.albumId, type: 'removed', seq },
				true
			);
		}
	}

	/**
	 * After an envelope was committed at `seq`: an update to a `contrib:` or `inbox:` doc is
	 * `photos` for every member of the album but its author. Snapshots re-post what was already
	 * there and count for nothing. A library has one member, its author, so it notifies no one and
	 * costs nothing here.
	 */
	envelopeStored(envelope: Envelope, seq: number): void {
		if (envelope.kind !== 'update') return;
		if (!PHOTO_DOC_PREFIXES.some((prefix) => envelope.docId.startsWith(prefix))) return;
		const recipients: string[] = [];
		for (const member of this.options.membersOf(envelope.albumId)) {
			if (member !== envelope.by) recipients.push(member);
		}
		if (recipients.length === 0) return;
		this.enqueue({ kind: 'update', albumId: envelope.albumId, seq, recipients }, false);
	}

	/** Records every event still waiting now (e.g. before the database closes). Never throws. */
	flush(): void {
		if (this.flushSoon) clearImmediate(this.flushSoon);
		if (this.flushLater) clearTimeout(this.flushLater);
		this.flushSoon = null;
		this.flushLater = null;
		const events = this.queued;
		this.queued = [];
		if (events.length === 0 || !this.db.open) return;
		try {
			this.apply(this.resolve(events));
		} catch (error) {
			this.log.error({ err: error }, 'could not work out who to notify');
		}
	}

	/** Queues an event: recorded at the end of this turn (`soon`) or within PHOTOS_BATCH_MS. */
	private enqueue(event: StreamEvent, soon: boolean): void {
		this.queued.push(event);
		if (soon) {
			this.flushSoon ??= setImmediate(() => this.flush());
		} else if (!this.flushLater) {
			this.flushLater = setTimeout(() => this.flush(), PHOTOS_BATCH_MS);
			// Pending notifications never keep a stopping relay alive.
			this.flushLater.unref();
		}
	}

	/** Turns stream events into per-account events; a batch of updates becomes one event per recipient and album. */
	private resolve(events: readonly StreamEvent[]): NotificationEvent[] {
		const accounts = new Map<string, string | null>();
		const accountOf = (signPk: string): string | null => {
			let accountId = accounts.get(signPk);
			if (accountId === undefined) {
				const row = this.statements.accountBySignPk.get(Buffer.from(fromBase64Url(signPk))) as
					{ account_id: string } | undefined;
				accountId = row?.account_id ?? null;
				accounts.set(signPk, accountId);
			}
			return accountId;
		};
		const out: NotificationEvent[] = [];
		// Seqs of this batch by album and recipient, in seq order.
		const updates = new Map<string, Map<string, number[]>>();
		for (const event of events) {
			if (event.kind === 'member') {
				const accountId = accountOf(event.signPk);
				if (accountId !== null) {
					out.push({
						accountId,
						albumId: event.albumId,
						type: event.type,
						seq: event.seq,
						count: 1
					});
				}
				continue;
			}
			let byRecipient = updates.get(event.albumId);
			if (!byRecipient) updates.set(event.albumId, (byRecipient = new Map()));
			for (const member of event.recipients) {
				let seqs = byRecipient.get(member);
				if (!seqs) byRecipient.set(member, (seqs = []));
				seqs.push(event.seq);
			}
		}
		for (const [albumId, byRecipient] of updates) {
			for (const [member, seqs] of byRecipient) {
				const accountId = accountOf(member);
				if (accountId === null) continue;
				seqs.sort((a, b) => a - b);
				// The newest seq is kept for dedupe.
				out.push({
					accountId,
					albumId,
					type: 'photos',
					seq: seqs.at(-1)!,
					count: seqs.length,
					seqs
				});
			}
		}
		return out;
	}

	/** Stores events (one transaction), then pushes what changed to listening sockets. Never throws. */
	private apply(events: readonly NotificationEvent[]): void {
		if (events.length === 0) return;
		let changed: { accountId: string; row: NotificationRow; replaces: number | null }[];
		const write = this.db.transaction(() => {
			const out = events.flatMap((event) => {
				const stored = this.store(event);
				return stored ? [{ accountId: event.accountId, ...stored }] : [];
			});
			// Only a new row can take an account past its cap; a grown `photos` batch replaces one.
			const grew = new Set(out.filter((c) => c.replaces === null).map((c) => c.accountId));
			for (const accountId of grew) {
				this.statements.prune.run({ accountId, keep: this.maxPerAccount });
			}
			return out;
		});
		try {
			// Called inside a caller's transaction (record() from another feature), the rows commit
			// with it, as a savepoint; `synchronous` cannot change mid-transaction.
			changed = this.db.inTransaction ? write() : this.wal.commitUnsynced(() => write.immediate());
		} catch (error) {
			this.log.error({ err: error }, 'could not record notifications');
			return;
		}
		for (const { accountId, row, replaces } of changed) this.push(accountId, row, replaces);
	}

	/**
	 * Stores one event: a new row, or (for `photos`) the account's unread batch for the album grown
	 * and moved to a new id. An event already recorded (a resent entry or envelope is acked with its
	 * first seq) is skipped: null.
	 */
	private store(
		event: NotificationEvent
	): { row: NotificationRow; replaces: number | null } | null {
		const now = Date.now();
		const { accountId, albumId, type, seq } = event;
		if (type !== 'photos') {
			if (seq !== null && this.statements.sameEvent.get(accountId, albumId, type, seq)) return null;
			const row = this.statements.insert.get(accountId, albumId, type, now, now, 1, seq);
			return { row: row as NotificationRow, replaces: null };
		}
		const latest = this.statements.latestOfType.get(accountId, albumId, type) as
			NotificationRow | undefined;
		// The newest `photos` row holds the highest seq counted for this album: a resend is not above.
		const counted = latest?.seq ?? 0;
		let count = event.count;
		if (event.seqs) count = new Set(event.seqs.filter((s) => s > counted)).size;
		else if (seq !== null && seq <= counted) count = 0;
		if (count === 0) return null;
		if (latest && latest.read_at === null) {
			// Inserted before the old row goes, so the new id is above it even when it was the newest.
			const row = this.statements.insert.get(
				accountId,
				albumId,
				type,
				latest.created_at,
				now,
				latest.count + count,
				Math.max(seq ?? 0, counted)
			);
			this.statements.delete.run(latest.id);
			return { row: row as NotificationRow, replaces: latest.id };
		}
		const row = this.statements.insert.get(accountId, albumId, type, now, now, count, seq);
		return { row: row as NotificationRow, replaces: null };
	}

	// -------------------------------------------------------------------------------------------
	// Reading

	/** A page of the account's notifications, newest first (ids below `before`), and how many are unread. */
	list(accountId: string, { before, limit }: { before?: number; limit: number }): NotificationPage {
		const rows = this.statements.page.all(
			accountId,
			before ?? Number.MAX_SAFE_INTEGER,
			limit + 1
		) as NotificationRow[];
		return {
			notifications: rows.slice(0, limit).map(toNotification),
			unread: this.unread(accountId),
			more: rows.length > limit
		};
	}

	unread(accountId: string): number {
		return (this.statements.unread.get(accountId) as { n: number }).n;
	}

	/**
	 * Marks the account's notifications up to `upTo` read; the account's other listening sockets
	 * are told, so the badge clears on every device. Returns the unread count left.
	 */
	markRead(accountId: string, upTo: number, from?: ClientConnection): number {
		this.statements.markRead.run(Date.now(), accountId, upTo);
		const unread = this.unread(accountId);
		this.sendTo(accountId, { t: 'notifications-read', upTo, unread }, from);
		return unread;
	}

	// -------------------------------------------------------------------------------------------
	// Pushing

	/**
	 * From now on the socket gets its account's new notifications pushed. Sockets opt in by listing
	 * their notifications: a client that never asks (an older app) never gets frames it cannot read.
	 */
	listen(connection: ClientConnection): void {
		const accountId = connection.principal?.accountId;
		if (accountId === undefined) return;
		let sockets = this.listeners.get(accountId);
		if (!sockets) this.listeners.set(accountId, (sockets = new Set()));
		if (sockets.has(connection)) return;
		sockets.add(connection);
		connection.socket.once('close', () => {
			sockets.delete(connection);
			if (sockets.size === 0 && this.listeners.get(accountId) === sockets) {
				this.listeners.delete(accountId);
			}
		});
	}

	private push(accountId: string, row: NotificationRow, replaces: number | null): void {
		if (!this.listeners.has(accountId)) return;
		this.sendTo(accountId, {
			t: 'notification',
			notification: toNotification(row),
			...(replaces === null ? {} : { replaces }),
			unread: this.unread(accountId)
		});
	}

	private sendTo(accountId: string, message: ServerMessage, except?: ClientConnection): void {
		const sockets = this.listeners.get(accountId);
		if (!sockets) return;
		const text = JSON.stringify(message);
		for (const connection of sockets) {
			// A socket whose session ended keeps no principal; it is being closed.
			if (connection === except || connection.principal?.accountId !== accountId) continue;
			connection.sendText(text);
		}
	}
}

function toNotification(row: NotificationRow): Notification {
	return {
		id: row.id,
		albumId: row.album_id,
		type: row.type,
		createdAt: row.created_at,
		updatedAt: row.updated_at,
		count: row.count,
		readAt: row.read_at
	};
}
