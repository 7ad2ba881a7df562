// Group commit: album-stream writes commit without their own fsync and share one WAL flush before their acks.

import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../relay/src/db';
import { WalSync } from '../../../relay/src/wal-sync';
import { makeTempDir, removeTempDir } from '../helpers/temp';

let root: string;
beforeAll(async () => {
	root = await makeTempDir('tessera-wal-sync');
});
afterAll(async () => {
	await removeTempDir(root);
});

let counter = 0;
function freshDatabase() {
	const db = openDatabase(path.join(root, `data-${++counter}`));
	db.exec('CREATE TABLE t (n INTEGER NOT NULL) STRICT');
	return db;
}

describe('WalSync', () => {
	it('commits without a sync of its own and restores synchronous=FULL for every other write', () => {
		const db = freshDatabase();
		const wal = new WalSync(db);
		const insert = db.prepare('INSERT INTO t (n) VALUES (?)');
		let inside: unknown;
		wal.commitUnsynced(() => {
			inside = db.pragma('synchronous', { simple: true });
			insert.run(1);
		});
		expect(inside).toBe(1); // NORMAL
		expect(db.pragma('synchronous', { simple: true })).toBe(2); // FULL
		expect(() =>
			wal.commitUnsynced(() => {
				throw new Error('refused');
			})
		).toThrow('refused');
		expect(db.pragma('synchronous', { simple: true })).toBe(2);
		db.close();
	});

	it('acknowledges a burst of writes with far fewer flushes than writes', async () => {
		const db = freshDatabase();
		const wal = new WalSync(db);
		const insert = db.transaction((n: number) => db.prepare('INSERT INTO t (n) VALUES (?)').run(n));
		const acks: Promise<void>[] = [];
		for (let n = 0; n < 50; n++) {
			wal.commitUnsynced(() => insert.immediate(n));
			acks.push(wal.durable());
		}
		await Promise.all(acks);
		expect(wal.flushes).toBeGreaterThanOrEqual(1);
		expect(wal.flushes).toBeLessThan(5);
		await wal.close();
		db.close();
	});

	it('flushes again for a write made while a flush is running, and not at all when nothing was written', async () => {
		const db = freshDatabase();
		const wal = new WalSync(db);
		await wal.durable();
		expect(wal.flushes).toBe(0);
		const insert = db.prepare('INSERT INTO t (n) VALUES (?)');
		wal.commitUnsynced(() => insert.run(1));
		const first = wal.durable();
		wal.commitUnsynced(() => insert.run(2));
		const second = wal.durable();
		await first;
		await second;
		// The second write came after the first flush began: it cannot have ridden on it.
		expect(wal.flushes).toBe(2);
		await wal.close();
		db.close();
	});

	it('keeps flushing the live WAL after a checkpoint truncates it, and refuses to once the database closed', async () => {
		const db = freshDatabase();
		const wal = new WalSync(db);
		const insert = db.prepare('INSERT INTO t (n) VALUES (?)');
		wal.commitUnsynced(() => insert.run(1));
		await wal.durable();
		// SQLite rewinds the WAL in place: the descriptor held since the first flush still names it.
		db.pragma('wal_checkpoint(TRUNCATE)');
		wal.commitUnsynced(() => insert.run(2));
		await wal.durable();
		expect(wal.flushes).toBe(2);
		wal.commitUnsynced(() => insert.run(3));
		db.close();
		// The write is in the database file (closing checkpointed it), but this flush cannot say so.
		await expect(wal.durable()).rejects.toThrow(/closed/);
		await wal.close();
		await wal.close();
	});
});
