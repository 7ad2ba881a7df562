// The relay database: pragmas for durability, versioned migrations, refusal of newer databases.

import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../relay/src/config';
import {
	DATABASE_FILE,
	DatabaseTooNewError,
	openDatabase,
	schemaVersion
} from '../../../relay/src/db';
import { MIGRATIONS, type Migration } from '../../../relay/src/migrations';
import { startRelay } from '../../../relay/src/server';
import { makeTempDir, removeTempDir } from '../helpers/temp';

let root: string;
beforeAll(async () => {
	root = await makeTempDir('tessera-db');
});
afterAll(async () => {
	await removeTempDir(root);
});

let counter = 0;
const freshDir = () => path.join(root, `data-${++counter}`);

function tables(db: Database.Database): string[] {
	const rows = db
		.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
		.all() as { name: string }[];
	return rows.map((r) => r.name);
}

describe('openDatabase', () => {
	it('creates DATA_DIR/tessera.sqlite at the latest schema version', () => {
		const dir = freshDir();
		const db = openDatabase(dir);
		try {
			expect(db.name).toBe(path.join(dir, DATABASE_FILE));
			expect(schemaVersion(db)).toBe(MIGRATIONS.length);
			expect(tables(db)).toEqual(
				[
					'accounts',
					'album_blobs',
					'album_members',
					'albums',
					'blobs',
					'email_codes',
					'envelope_receipts',
					'envelopes',
					'invites',
					'membership_entries',
					'notifications',
					'relay_secrets',
					'schema_migrations',
					'sessions',
					'snapshot_parts',
					'snapshots',
					'uploads'
				].sort()
			);
			const applied = db.prepare('SELECT version, name FROM schema_migrations').all();
			expect(applied).toEqual(MIGRATIONS.map(({ version, name }) => ({ version, name })));
		} finally {
			db.close();
		}
	});

	it('runs in WAL mode with synchronous=FULL and foreign keys on', () => {
		const db = openDatabase(freshDir());
		try {
			expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
			expect(db.pragma('synchronous', { simple: true })).toBe(2);
			expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
			expect(db.pragma('busy_timeout', { simple: true })).toBeGreaterThan(0);
		} finally {
			db.close();
		}
	});

	it('enforces the schema: foreign keys and strict types', () => {
		const db = openDatabase(freshDir());
		try {
			expect(() =>
				db
					.prepare('INSERT INTO album_blobs (album_id, blob_id, bound_at) VALUES (?, ?, ?)')
					.run('no-album', 'no-blob', 1)
			).toThrow(/FOREIGN KEY/);
			expect(() =>
				db
					.prepare('INSERT INTO blobs (blob_id, size, created_at) VALUES (?, ?, ?)')
					.run('b', 'big', 1)
			).toThrow(/cannot store TEXT value in INTEGER column/);
		} finally {
			db.close();
		}
	});

	it('is idempotent on reopen and keeps the data', () => {
		const dir = freshDir();
		const first = openDatabase(dir);
		first.prepare('INSERT INTO blobs (blob_id, size, created_at) VALUES (?, ?, ?)').run('b1', 5, 1);
		first.close();
		const second = openDatabase(dir);
		try {
			expect(schemaVersion(second)).toBe(MIGRATIONS.length);
			expect(second.prepare('SELECT COUNT(*) AS n FROM schema_migrations').get()).toEqual({
				n: MIGRATIONS.length
			});
			expect(second.prepare('SELECT size FROM blobs').get()).toEqual({ size: 5 });
		} finally {
			second.close();
		}
	});

	it('applies only the migrations a database lacks', () => {
		const dir = freshDir();
		openDatabase(dir).close();
		const next: Migration = {
			version: MIGRATIONS.length + 1,
			name: 'test addition',
			sql: 'CREATE TABLE test_addition (x INTEGER) STRICT;'
		};
		const db = openDatabase(dir, { migrations: [...MIGRATIONS, next] });
		try {
			expect(schemaVersion(db)).toBe(next.version);
			expect(tables(db)).toContain('test_addition');
		} finally {
			db.close();
		}
	});

	it('rolls a failing migration back whole', () => {
		const dir = freshDir();
		openDatabase(dir).close();
		const broken: Migration = {
			version: MIGRATIONS.length + 1,
			name: 'broken',
			sql: 'CREATE TABLE half_done (x INTEGER); INSERT INTO nowhere VALUES (1);'
		};
		expect(() => openDatabase(dir, { migrations: [...MIGRATIONS, broken] })).toThrow(/nowhere/);
		const db = openDatabase(dir);
		try {
			expect(schemaVersion(db)).toBe(MIGRATIONS.length);
			expect(tables(db)).not.toContain('half_done');
		} finally {
			db.close();
		}
	});

	it('refuses a database from a newer relay, with a message saying what to do', async () => {
		const dir = freshDir();
		const db = openDatabase(dir);
		db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
			999,
			'from the future',
			Date.now()
		);
		db.close();

		let error: unknown;
		try {
			openDatabase(dir).close();
		} catch (e) {
			error = e;
		}
		expect(error).toBeInstanceOf(DatabaseTooNewError);
		expect((error as Error).message).toMatch(/schema version 999/);
		expect((error as Error).message).toMatch(new RegExp(`up to ${MIGRATIONS.length}`));
		expect((error as Error).message).toMatch(/Upgrade the relay/);

		// The relay refuses to start on it rather than running against an unknown schema.
		const config = loadConfig({ PORT: '0', LOG_LEVEL: 'silent', DATA_DIR: dir, APP_DIR: root });
		await expect(startRelay(config)).rejects.toThrow(DatabaseTooNewError);
	});

	it('refuses a migration list that is out of order', () => {
		const shuffled: Migration[] = [{ version: 2, name: 'two', sql: '' }];
		expect(() => openDatabase(freshDir(), { migrations: shuffled })).toThrow(/expected 1/);
	});
});

describe('migration 9 (envelopes lose their second hash index)', () => {
	const envelopeColumns = '(album_id, seq, doc_id, epoch, signer, hash, envelope, received_at)';

	/** A version-8 database with one album, two envelopes and their receipts. */
	function olderDatabase(dir: string): void {
		const older = openDatabase(dir, { migrations: MIGRATIONS.slice(0, 8) });
		older
			.prepare(
				`INSERT INTO albums (album_id, head_index, head_hash, epoch, last_seq, created_at)
				VALUES ('album-1', 0, x'00', 0, 2, 1)`
			)
			.run();
		const insert = older.prepare(
			`INSERT INTO envelopes ${envelopeColumns} VALUES ('album-1', ?, 'album', 0, 'pk', ?, ?, 1)`
		);
		const receipt = older.prepare(
			`INSERT INTO envelope_receipts (album_id, hash, seq) VALUES ('album-1', ?, ?)`
		);
		for (const seq of [1, 2]) {
			insert.run(seq, Buffer.from([seq]), `{"n":${seq}}`);
			receipt.run(Buffer.from([seq]), seq);
		}
		// What version 8 refused: the same hash stored twice.
		expect(() => insert.run(3, Buffer.from([1]), '{"n":3}')).toThrow(/UNIQUE/);
		older.close();
	}

	it('keeps every stored envelope, drops only the hash index, and still refuses a resend', async () => {
		const dir = freshDir();
		olderDatabase(dir);
		const db = openDatabase(dir);
		try {
			expect(schemaVersion(db)).toBe(MIGRATIONS.length);
			expect(db.prepare('SELECT seq, hash, envelope FROM envelopes ORDER BY seq').all()).toEqual([
				{ seq: 1, hash: Buffer.from([1]), envelope: '{"n":1}' },
				{ seq: 2, hash: Buffer.from([2]), envelope: '{"n":2}' }
			]);
			const indexes = db
				.prepare(
					`SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'envelopes'`
				)
				.all() as { name: string; sql: string | null }[];
			// The primary key's own index and the per-doc index that compaction uses; nothing on hash.
			expect(indexes.map((i) => i.name).sort()).toEqual([
				'envelopes_by_doc',
				'sqlite_autoindex_envelopes_1'
			]);
			// The store still answers catch-up and dedupes through the receipts.
			const { AlbumStore } = await import('../../../relay/src/album-store');
			const store = new AlbumStore(db);
			expect(store.page('album-1', 0, 10).map((row) => row.json)).toEqual(['{"n":1}', '{"n":2}']);
			expect(store.receipt('album-1', Uint8Array.from([2]))).toBe(2);
			const resend = {
				albumId: 'album-1',
				docId: 'album',
				epoch: 0,
				signer: 'pk',
				hash: Uint8Array.from([2]),
				json: '{"n":2}',
				covers: null,
				part: null,
				blobs: [],
				posterAccountId: 'nobody'
			};
			expect(() => store.insertEnvelopes([resend])).toThrow(/UNIQUE/);
			expect(db.prepare('SELECT COUNT(*) AS n FROM envelopes').get()).toEqual({ n: 2 });
			// Still owned by the album: gone with it.
			db.prepare(`DELETE FROM albums WHERE album_id = 'album-1'`).run();
			expect(db.prepare('SELECT COUNT(*) AS n FROM envelopes').get()).toEqual({ n: 0 });
			await store.close();
		} finally {
			db.close();
		}
	});
});
