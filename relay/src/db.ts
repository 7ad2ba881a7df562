// Opens the relay's SQLite database (WAL, synchronous=FULL) and brings its schema up to date.

import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Logger } from './log';
import { MIGRATIONS, type Migration } from './migrations';

export type RelayDatabase = Database.Database;

export const DATABASE_FILE = 'tessera.sqlite';

/** The database was written by a newer relay; opening it with this one could corrupt it. */
export class DatabaseTooNewError extends Error {
	readonly code = 'database-too-new';
	constructor(
		readonly file: string,
		readonly databaseVersion: number,
		readonly knownVersion: number
	) {
		super(
			`The database ${file} is at schema version ${databaseVersion}, but this relay only knows ` +
				`versions up to ${knownVersion}. Upgrade the relay (or restore a backup made for this version).`
		);
		this.name = 'DatabaseTooNewError';
	}
}

export interface OpenDatabaseOptions {
	logger?: Logger;
	/** Replaces the built-in migrations (tests use this to simulate older and newer code). */
	migrations?: readonly Migration[];
}

/** Opens (creating if needed) DATA_DIR/tessera.sqlite and applies the migrations it lacks. */
export function openDatabase(dataDir: string, options: OpenDatabaseOptions = {}): RelayDatabase {
	fs.mkdirSync(dataDir, { recursive: true });
	const file = path.join(dataDir, DATABASE_FILE);
	const db = new Database(file);
	try {
		db.pragma('journal_mode = WAL');
		// FULL: an acknowledged write survives power loss, not just a crash of the process (I8).
		db.pragma('synchronous = FULL');
		db.pragma('foreign_keys = ON');
		db.pragma('busy_timeout = 5000');
		migrate(db, file, options.migrations ?? MIGRATIONS, options.logger);
		return db;
	} catch (error) {
		db.close();
		throw error;
	}
}

/** The newest schema version applied to `db` (0 for an empty database). */
export function schemaVersion(db: RelayDatabase): number {
	const row = db.prepare('SELECT MAX(version) AS version FROM schema_migrations').get() as
		{ version: number | null } | undefined;
	return row?.version ?? 0;
}

function migrate(
	db: RelayDatabase,
	file: string,
	migrations: readonly Migration[],
	logger: Logger | undefined
): void {
	checkOrder(migrations);
	db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
		version     INTEGER PRIMARY KEY,
		name        TEXT NOT NULL,
		applied_at  INTEGER NOT NULL
	) STRICT`);
	const current = schemaVersion(db);
	const known = migrations.at(-1)?.version ?? 0;
	if (current > known) throw new DatabaseTooNewError(file, current, known);
	const record = db.prepare(
		'INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)'
	);
	for (const migration of migrations) {
		if (migration.version <= current) continue;
		// Each migration and its record commit together, so a crash never leaves one half-applied.
		// The version is read again inside the write lock in case another process migrated first.
		db.transaction(() => {
			if (schemaVersion(db) >= migration.version) return;
			db.exec(migration.sql);
			record.run(migration.version, migration.name, Date.now());
		}).immediate();
		logger?.info({ version: migration.version, name: migration.name }, 'applied migration');
	}
}

function checkOrder(migrations: readonly Migration[]): void {
	migrations.forEach((migration, i) => {
		if (migration.version !== i + 1) {
			throw new Error(
				`migration "${migration.name}" has version ${migration.version}, expected ${i + 1}`
			);
		}
	});
}
