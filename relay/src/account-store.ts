// Accounts, their sessions and email codes in SQLite: every query the accounts API and admin CLI need.

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { KdfParams, PublicKeys, WrappedKeys } from '../../src/lib/protocol';
import { fromBase64Url, toBase64Url } from '../../src/lib/protocol';
import type { Statement } from 'better-sqlite3';
import type { RelayDatabase } from './db';

export interface Account {
	id: string;
	email: string;
	verifiedAt: number | null;
	kdf: KdfParams;
	authHash: string;
	recoveryAuthHash: string;
	masterKeyByRecovery: string;
	wrappedKeys: WrappedKeys;
	publicKeys: PublicKeys;
	plan: string;
	quotaBytes: number | null;
	usageBytes: number;
	createdAt: number;
}

export interface NewAccount {
	email: string;
	kdf: KdfParams;
	authHash: string;
	recoveryAuthHash: string;
	masterKeyByRecovery: string;
	wrappedKeys: WrappedKeys;
	publicKeys: PublicKeys;
	plan: string;
	quotaBytes: number | null;
}

export interface Session {
	id: string;
	accountId: string;
	deviceName: string;
	createdAt: number;
	lastSeenAt: number;
}

export interface EmailCode {
	codeHash: Buffer;
	expiresAt: number;
	attempts: number;
}

interface AccountRow {
	account_id: string;
	email: string;
	verified_at: number | null;
	kdf_salt: Buffer;
	kdf_ops: number;
	kdf_mem: number;
	auth_hash: string;
	recovery_auth_hash: string;
	master_key_by_password: Buffer;
	master_key_by_recovery: Buffer;
	box_secret_key: Buffer;
	sign_seed: Buffer;
	box_pk: Buffer;
	sign_pk: Buffer;
	plan: string;
	quota_bytes: number | null;
	usage_bytes: number;
	created_at: number;
}

interface SessionRow {
	session_id: string;
	account_id: string;
	device_name: string;
	created_at: number;
	last_seen_at: number;
}

/** lastSeenAt is written at most this often per session, so reads do not turn into writes. */
export const LAST_SEEN_RESOLUTION_MS = 60_000;

const bytes = (text: string) => Buffer.from(fromBase64Url(text));
const text = (buffer: Buffer) => toBase64Url(buffer);

function sha256(...parts: (string | Buffer)[]): Buffer {
	const hash = createHash('sha256');
	for (const part of parts) hash.update(part);
	return hash.digest();
}

/** A fresh random id: base64url of 16 bytes, the shape of the protocol's random ids. */
export function newRecordId(): string {
	return toBase64Url(randomBytes(16));
}

/** SHA-256 of a session token: what the database keeps, so a stolen copy holds no usable token. */
export function hashSessionToken(token: string): Buffer {
	return sha256('tessera/v1/session-token\0', token);
}

/** SHA-256 of an email code, bound to its account so equal codes of two accounts differ. */
export function hashEmailCode(accountId: string, code: string): Buffer {
	return sha256('tessera/v1/email-code\0', accountId, '\0', code);
}

export function sameDigest(a: Buffer, b: Buffer): boolean {
	return a.length === b.length && timingSafeEqual(a, b);
}

export class AccountStore {
	/** Prepared once per SQL text: sessions are looked up on every websocket frame. */
	private readonly statements = new Map<string, Statement>();

	constructor(private readonly db: RelayDatabase) {}

	private prepare(sql: string): Statement {
		let statement = this.statements.get(sql);
		if (!statement) {
			statement = this.db.prepare(sql);
			this.statements.set(sql, statement);
		}
		return statement;
	}

	findByEmail(email: string): Account | undefined {
		const row = this.prepare('SELECT * FROM accounts WHERE email = ?').get(email) as
			AccountRow | undefined;
		return row && toAccount(row);
	}

	findById(accountId: string): Account | undefined {
		const row = this.prepare('SELECT * FROM accounts WHERE account_id = ?').get(accountId) as
			AccountRow | undefined;
		return row && toAccount(row);
	}

	listAccounts(): Account[] {
		const rows = this.prepare('SELECT * FROM accounts ORDER BY created_at, email').all();
		return (rows as AccountRow[]).map(toAccount);
	}

	/**
	 * Stores a sign-up waiting for its email code, replacing an earlier unverified one for the same
	 * email. Returns null when a verified account already has the email.
	 */
	createPending(
		input: NewAccount,
		code: string,
		codeExpiresAt: number,
		now: number
	): Account | null {
		return this.db
			.transaction(() => {
				const existing = this.findByEmail(input.email);
				if (existing?.verifiedAt != null) return null;
				if (existing) this.deleteAccount(existing.id);
				const id = newRecordId();
				this.prepare(
					`INSERT INTO accounts (account_id, email, verified_at, kdf_salt, kdf_ops, kdf_mem,
							auth_hash, recovery_auth_hash, master_key_by_password, master_key_by_recovery,
							box_secret_key, sign_seed, box_pk, sign_pk, plan, quota_bytes, usage_bytes, created_at)
						VALUES (?, ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)`
				).run(
					id,
					input.email,
					bytes(input.kdf.salt),
					input.kdf.opsLimit,
					input.kdf.memLimit,
					input.authHash,
					input.recoveryAuthHash,
					bytes(input.wrappedKeys.masterKeyByPassword),
					bytes(input.masterKeyByRecovery),
					bytes(input.wrappedKeys.boxSecretKey),
					bytes(input.wrappedKeys.signSeed),
					bytes(input.publicKeys.boxPk),
					bytes(input.publicKeys.signPk),
					input.plan,
					input.quotaBytes,
					now
				);
				this.setCode(id, code, codeExpiresAt, now);
				return this.findById(id) ?? null;
			})
			.immediate();
	}

	/** Unverified sign-ups older than `before` are dropped: nobody can finish them any more. */
	dropStalePending(before: number): void {
		this.prepare('DELETE FROM accounts WHERE verified_at IS NULL AND created_at < ?').run(before);
	}

	/** A new code for the account; any earlier code and its wrong attempts are forgotten. */
	setCode(accountId: string, code: string, expiresAt: number, now: number): void {
		this.prepare(
			`INSERT INTO email_codes (account_id, code_hash, expires_at, attempts, sent_at)
				VALUES (?, ?, ?, 0, ?)
				ON CONFLICT (account_id) DO UPDATE SET code_hash = excluded.code_hash,
					expires_at = excluded.expires_at, attempts = 0, sent_at = excluded.sent_at`
		).run(accountId, hashEmailCode(accountId, code), expiresAt, now);
	}

	codeOf(accountId: string): EmailCode | undefined {
		const row = this.prepare(
			'SELECT code_hash, expires_at, attempts FROM email_codes WHERE account_id = ?'
		).get(accountId) as { code_hash: Buffer; expires_at: number; attempts: number } | undefined;
		return row && { codeHash: row.code_hash, expiresAt: row.expires_at, attempts: row.attempts };
	}

	/** Counts a wrong code; returns the attempts so far. */
	recordWrongCode(accountId: string): number {
		const row = this.prepare(
			'UPDATE email_codes SET attempts = attempts + 1 WHERE account_id = ? RETURNING attempts'
		).get(accountId) as { attempts: number } | undefined;
		return row?.attempts ?? 0;
	}

	deleteCode(accountId: string): void {
		this.prepare('DELETE FROM email_codes WHERE account_id = ?').run(accountId);
	}

	markVerified(accountId: string, now: number): void {
		this.db.transaction(() => {
			this.prepare('UPDATE accounts SET verified_at = ? WHERE account_id = ?').run(now, accountId);
			this.deleteCode(accountId);
		})();
	}

	/** Opens a session; the token is returned once and only its digest is stored. */
	createSession(accountId: string, deviceName: string, now: number): { id: string; token: string } {
		const id = newRecordId();
		const token = toBase64Url(randomBytes(32));
		this.prepare(
			`INSERT INTO sessions (session_id, account_id, token_hash, device_name, created_at, last_seen_at)
				VALUES (?, ?, ?, ?, ?, ?)`
		).run(id, accountId, hashSessionToken(token), deviceName, now, now);
		return { id, token };
	}

	/** The session a bearer token belongs to (and marks it seen), or undefined. */
	sessionByToken(token: string, now: number): Session | undefined {
		const row = this.prepare('SELECT * FROM sessions WHERE token_hash = ?').get(
			hashSessionToken(token)
		) as SessionRow | undefined;
		if (!row) return undefined;
		if (now - row.last_seen_at >= LAST_SEEN_RESOLUTION_MS) {
			this.prepare('UPDATE sessions SET last_seen_at = ? WHERE session_id = ?').run(
				now,
				row.session_id
			);
			row.last_seen_at = now;
		}
		return toSession(row);
	}

	listSessions(accountId: string): Session[] {
		const rows = this.prepare(
			'SELECT * FROM sessions WHERE account_id = ? ORDER BY created_at, session_id'
		).all(accountId) as SessionRow[];
		return rows.map(toSession);
	}

	/** Ends one of the account's sessions; false when it has no such session. */
	deleteSession(accountId: string, sessionId: string): boolean {
		const result = this.prepare('DELETE FROM sessions WHERE account_id = ? AND session_id = ?').run(
			accountId,
			sessionId
		);
		return result.changes > 0;
	}

	/** Ends every session of the account except `keep` (none when null). */
	deleteOtherSessions(accountId: string, keep: string | null): void {
		this.prepare('DELETE FROM sessions WHERE account_id = ? AND session_id IS NOT ?').run(
			accountId,
			keep
		);
	}

	/**
	 * A new password: new KDF params, authKey hash and master key wrap, and every session but
	 * `keepSession` ends (all of them when null), in one transaction.
	 */
	setPassword(
		accountId: string,
		change: { kdf: KdfParams; authHash: string; masterKeyByPassword: string },
		keepSession: string | null
	): void {
		this.db.transaction(() => {
			this.prepare(
				`UPDATE accounts SET kdf_salt = ?, kdf_ops = ?, kdf_mem = ?, auth_hash = ?,
						master_key_by_password = ? WHERE account_id = ?`
			).run(
				bytes(change.kdf.salt),
				change.kdf.opsLimit,
				change.kdf.memLimit,
				change.authHash,
				bytes(change.masterKeyByPassword),
				accountId
			);
			this.deleteOtherSessions(accountId, keepSession);
		})();
	}

	/** Removes the account with its sessions and codes (ON DELETE CASCADE). */
	deleteAccount(accountId: string): void {
		this.prepare('DELETE FROM accounts WHERE account_id = ?').run(accountId);
	}

	setPlan(accountId: string, plan: string, quotaBytes: number | null): void {
		this.prepare('UPDATE accounts SET plan = ?, quota_bytes = ? WHERE account_id = ?').run(
			plan,
			quotaBytes,
			accountId
		);
	}

	setQuota(accountId: string, quotaBytes: number | null): void {
		this.prepare('UPDATE accounts SET quota_bytes = ? WHERE account_id = ?').run(
			quotaBytes,
			accountId
		);
	}

	/**
	 * Adds `deltaBytes` (negative when a blob goes) to the account's stored bytes. Callers run it
	 * in the same transaction as the blob record it accounts for, so usage never drifts from it.
	 */
	addUsage(accountId: string, deltaBytes: number): void {
		this.prepare(
			'UPDATE accounts SET usage_bytes = MAX(0, usage_bytes + ?) WHERE account_id = ?'
		).run(deltaBytes, accountId);
	}

	/** A named relay secret of 32 random bytes, created on first use and kept in the database. */
	secret(name: string): Buffer {
		this.prepare(
			'INSERT INTO relay_secrets (name, secret, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING'
		).run(name, randomBytes(32), Date.now());
		const row = this.prepare('SELECT secret FROM relay_secrets WHERE name = ?').get(name) as {
			secret: Buffer;
		};
		return row.secret;
	}
}

function toAccount(row: AccountRow): Account {
	return {
		id: row.account_id,
		email: row.email,
		verifiedAt: row.verified_at,
		kdf: { salt: text(row.kdf_salt), opsLimit: row.kdf_ops, memLimit: row.kdf_mem },
		authHash: row.auth_hash,
		recoveryAuthHash: row.recovery_auth_hash,
		masterKeyByRecovery: text(row.master_key_by_recovery),
		wrappedKeys: {
			masterKeyByPassword: text(row.master_key_by_password),
			boxSecretKey: text(row.box_secret_key),
			signSeed: text(row.sign_seed)
		},
		publicKeys: { boxPk: text(row.box_pk), signPk: text(row.sign_pk) },
		plan: row.plan,
		quotaBytes: row.quota_bytes,
		usageBytes: row.usage_bytes,
		createdAt: row.created_at
	};
}

function toSession(row: SessionRow): Session {
	return {
		id: row.session_id,
		accountId: row.account_id,
		deviceName: row.device_name,
		createdAt: row.created_at,
		lastSeenAt: row.last_seen_at
	};
}
