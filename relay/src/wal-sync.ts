// Group commit for album-stream writes: many commits, one fdatasync of the WAL before their acks.

import fsp, { type FileHandle } from 'node:fs/promises';
import type { RelayDatabase } from './db';

/**
 * Album-stream writes commit with `synchronous = NORMAL`: the WAL frames are written (so they
 * survive a crash of the relay process, I8) but not yet flushed to the disk. Fan-out to other
 * followers happens right then; the writer's ack waits for `durable()`, which flushes the WAL file
 * with one fdatasync shared by every commit made before it started (a group commit), so an ack
 * still means "survives power loss", as with `synchronous = FULL`, without one fsync per write.
 *
 * fdatasync on a descriptor of our own flushes the same inode SQLite writes to. The descriptor is
 * opened at the first flush and held (an open and a close per flush cost as much as the sync on a
 * busy machine): SQLite rewinds and truncates the WAL in place, and deletes it only when the last
 * connection closes, which is this one, so the inode cannot change under us while the database is
 * open. A flush after the database closed (or in another process's hands) opens nothing; close()
 * lets the descriptor go. A checkpoint syncs the WAL itself before copying it back.
 */
export class WalSync {
	/** Commits made so far (a counter, not a seq). */
	private written = 0;
	/** Every commit numbered up to this one is on disk. */
	private flushed = 0;
	private flushing: Promise<void> | null = null;
	private wal: Promise<FileHandle> | null = null;
	/** How many fdatasyncs ran (for tests and metrics: far fewer than commits under load). */
	flushes = 0;

	constructor(private readonly db: RelayDatabase) {}

	/**
	 * Runs `commit` (a better-sqlite3 transaction) without a sync of its own; see durable(). The
	 * setting is switched with exec(): SQLite applies `PRAGMA synchronous` when it compiles the
	 * statement, so a prepared one cannot be reused, and db.pragma() costs seven times as much
	 * (it builds a statement object and reads back rows) for the same effect.
	 */
	commitUnsynced<T>(commit: () => T): T {
		this.db.exec('PRAGMA synchronous = NORMAL');
		try {
			const result = commit();
			this.written++;
			return result;
		} finally {
			this.db.exec('PRAGMA synchronous = FULL');
		}
	}

	/** Resolves once every commit made before this call is on disk. */
	async durable(): Promise<void> {
		const target = this.written;
		while (this.flushed < target) {
			if (!this.flushing) {
				this.flushing = this.flush().finally(() => (this.flushing = null));
			}
			await this.flushing;
		}
	}

	/** Lets the held WAL descriptor go (after the database closed; a later flush reopens it). */
	async close(): Promise<void> {
		const wal = this.wal;
		this.wal = null;
		if (!wal) return;
		try {
			await (await wal).close();
		} catch {
			// It never opened: nothing to close.
		}
	}

	private async flush(): Promise<void> {
		const upTo = this.written;
		if (!this.db.open) throw new Error('the database closed before its writes were flushed');
		this.wal ??= fsp.open(`${this.db.name}-wal`, 'r');
		const opening = this.wal;
		let wal: FileHandle;
		try {
			wal = await opening;
		} catch (error) {
			// Try again on the next flush rather than hold a failed open forever.
			if (this.wal === opening) this.wal = null;
			throw error;
		}
		await wal.datasync();
		this.flushes++;
		this.flushed = Math.max(this.flushed, upTo);
	}
}
