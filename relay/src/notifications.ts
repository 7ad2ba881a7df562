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

/** Stream events waiting for the end of the turn: who is concerned is worked out then. */
type StreamEvent =
	| { kind: 'member'; signPk: string; albumId: string; type: 'shared' | 'removed'; seq: number }
	| { kind: 'update'; albumId: string; by: string; seq: number };

/** Docs whose updates are photos being added or changed (the relay cannot tell which). */
const PHOTO_DOC_PREFIXES = ['contrib:', 'inbox:'] as const;

/**
 * Notifications are a side effect of writes already committed: they never hold up an ack or a
 * fan-out, and a failure here is logged, never thrown back into the write that caused it. Stream
 * events are queued and recorded together at the end of the event-loop turn (one transaction), so
 * twenty updates posted in one burst become one `photos` row with a count, not twenty rows.
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
			this.enqueue({
				kind: 'member',
				signPk: entry.member.signPk,
				albumId: entry.albumId,
				type: 'shared',
				seq
			});
		} else if (entry.op === 'remove') {
			this.enqueue({
				kind: 'member',
				signPk: entry.member,
				albumId: entry.albumId,
				type: 'removed',
				seq
			});
		}
	}

	/**
	 * After an envelope was committed at `seq`: an update to a `contrib:` or `inbox:` doc is
	 * `photos` for every member of the album but its author. Snapshots re-post what was already
	 * there and count for nothing. A library has one member, its author, so it notifies no one.
	 */
	envelopeStored(envelope: Envelope, seq: number): void {
		if (envelope.kind !== 'update') return;
		if (!PHOTO_DOC_PREFIXES.some((prefix) => envelope.docId.startsWith(prefix))) return;
		this.enqueue({ kind: 'update', albumId: envelope.albumId, by: envelope.by, seq });
	}

	private enqueue(event: StreamEvent): void {
		this.queued.push(event);
		if (this.queued.length === 1) setImmediate(() => this.flush());
	}

	/** Records the queued stream events: who each concerns, then one transaction for them all. */
	private flush(): void {
		const events = this.queued;
		this.queued = [];
		if (events.length === 0 || !this.db.open) return;
		try {
			this.apply(this.resolve(events));
		} catch (error) {
			this.log.error({ err: error }, 'could not work out who to notify');
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
		const updates = new Map<string, { by: string; seq: number }[]>();
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
			let list = updates.get(event.albumId);
			if (!list) updates.set(event.albumId, (list = []));
			list.push({ by: event.by, seq: event.seq });
		}
		for (const [albumId, list] of updates) {
			list.sort((a, b) => a.seq - b.seq);
			for (const member of this.options.membersOf(albumId)) {
				// Seqs of this batch written by someone else; the newest one is kept for dedupe.
				const seqs = list.filter((update) => update.by !== member).map((update) => update.seq);
				if (seqs.length === 0) continue;
				const accountId = accountOf(member);
				if (accountId === null) continue;
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
			for (const accountId of new Set(out.map((c) => c.accountId))) {
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
