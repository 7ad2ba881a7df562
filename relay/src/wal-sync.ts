// Group commit for album-stream writes: many commits, one fdatasync of the WAL before their acks.

import fsp from 'node:fs/promises';
import type { RelayDatabase } from './db';

/**
 * Album-stream writes commit with `synchronous = NORMAL`: the WAL frames are written (so they
 * survive a crash of the relay process, I8) but not yet flushed to the disk. Fan-out to other
 * followers happens right then; the writer's ack waits for `durable()`, which flushes the WAL file
 * with one fdatasync shared by every commit made before it started (a group commit), so an ack
 * still means "survives power loss", as with `synchronous = FULL`, without one fsync per write.
 *
 * fdatasync on a descriptor of our own flushes the same inode SQLite writes to. The file is opened
 * per flush (in the thread pool, like the sync itself) rather than held, so nothing outlives the
 * database; a checkpoint syncs the WAL itself before copying it back and rewinding it.
 */
export class WalSync {
	/** Commits made so far (a counter, not a seq). */
	private written = 0;
	/** Every commit numbered up to this one is on disk. */
	private flushed = 0;
	private flushing: Promise<void> | null = null;
	/** How many fdatasyncs ran (for tests and metrics: far fewer than commits under load). */
	flushes = 0;

	constructor(private readonly db: RelayDatabase) {}

	/** Runs `commit` (a better-sqlite3 transaction) without a sync of its own; see durable(). */
	commitUnsynced<T>(commit: () => T): T {
		this.db.pragma('synchronous = NORMAL');
		try {
			const result = commit();
			this.written++;
			return result;
		} finally {
			this.db.pragma('synchronous = FULL');
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

	private async flush(): Promise<void> {
		const upTo = this.written;
		const wal = await fsp.open(`${this.db.name}-wal`, 'r');
		try {
			await wal.datasync();
		} finally {
			await wal.close();
		}
		this.flushes++;
		this.flushed = Math.max(this.flushed, upTo);
	}
}
