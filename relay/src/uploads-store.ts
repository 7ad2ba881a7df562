// Uploads in SQLite: reservations against the quota, ownership, expiry, and the transaction that records a finished blob.

import type { AccountStore } from './account-store';
import type { RelayDatabase } from './db';
import { WalSync } from './wal-sync';

/** One upload in flight: who started it, the blob it becomes, and the length it declared. */
export interface UploadRecord {
	id: string;
	ownerAccountId: string;
	blobId: string;
	/** The declared Upload-Length, reserved against the owner's quota until the upload ends. */
	size: number;
	createdAt: number;
	expiresAt: number;
}

/** Why an upload could not be reserved. */
export type ReservationRefusal =
	/** The caller already stored this blob: its upload is done. */
	| { reason: 'blob-exists' }
	/** Another account stored this blob id, or is uploading it. */
	| { reason: 'blob-id-taken' }
	/** The caller is already uploading this blob id, as `uploadId`. */
	| { reason: 'upload-in-progress'; uploadId: string }
	| { reason: 'quota-exceeded' }
	| { reason: 'no-account' };

export type Reservation = { ok: true; upload: UploadRecord } | ({ ok: false } & ReservationRefusal);

/** What an account stores and may store. */
export interface StorageUse {
	/** null = unlimited. */
	quotaBytes: number | null;
	/** Bytes of the blobs it stored (accounts.usage_bytes). */
	usedBytes: number;
	/** Declared lengths of its uploads in flight. */
	reservedBytes: number;
}

interface UploadRow {
	upload_id: string;
	owner_account_id: string;
	blob_id: string;
	size: number;
	created_at: number;
	expires_at: number;
}

/**
 * The two writes every upload makes, its reservation and its finish, and the deletion of a blob
 * commit without a sync of their own and are made durable by a group commit of the WAL (see
 * WalSync): a caller awaits durable() before it answers. Other writes (releases after a refusal,
 * expiry or cancellation) commit with `synchronous = FULL`.
 */
export class UploadRecords {
	private readonly wal: WalSync;

	constructor(
		private readonly db: RelayDatabase,
		private readonly accounts: AccountStore
	) {
		this.wal = new WalSync(db);
	}

	/** Resolves once every reservation and finish recorded so far is on disk. */
	durable(): Promise<void> {
		return this.wal.durable();
	}

	/** WAL flushes durable() ran so far (fewer than reservations and finishes under load). */
	get walFlushes(): number {
		return this.wal.flushes;
	}

	/** Lets go of the WAL descriptor durable() holds. */
	close(): Promise<void> {
		return this.wal.close();
	}

	find(uploadId: string): UploadRecord | undefined {
		const row = this.db.prepare('SELECT * FROM uploads WHERE upload_id = ?').get(uploadId) as
			UploadRow | undefined;
		return row && toRecord(row);
	}

	/** The upload if `accountId` started it: another account's upload reads as missing. */
	findOwned(uploadId: string, accountId: string): UploadRecord | undefined {
		const upload = this.find(uploadId);
		return upload?.ownerAccountId === accountId ? upload : undefined;
	}

	all(): UploadRecord[] {
		const rows = this.db.prepare('SELECT * FROM uploads ORDER BY created_at').all();
		return (rows as UploadRow[]).map(toRecord);
	}

	/** Uploads whose 24 hours are up at `now`. */
	expired(now: number): UploadRecord[] {
		const rows = this.db.prepare('SELECT * FROM uploads WHERE expires_at <= ?').all(now);
		return (rows as UploadRow[]).map(toRecord);
	}

	storageOf(accountId: string): StorageUse | undefined {
		const account = this.accounts.findById(accountId);
		if (!account) return undefined;
		const row = this.db
			.prepare('SELECT COALESCE(SUM(size), 0) AS reserved FROM uploads WHERE owner_account_id = ?')
			.get(accountId) as { reserved: number };
		return {
			quotaBytes: account.quotaBytes,
			usedBytes: account.usageBytes,
			reservedBytes: row.reserved
		};
	}

	/**
	 * True when the account stores or reserves more than its quota, e.g. after an admin lowered it
	 * or moved it to a smaller plan while an upload was running.
	 */
	isOverQuota(accountId: string): boolean {
		const use = this.storageOf(accountId);
		if (!use) return true;
		return use.quotaBytes !== null && use.usedBytes + use.reservedBytes > use.quotaBytes;
	}

	/**
	 * Checks and reserves in one write transaction, so two uploads of the same blob id, or two
	 * uploads that each fit the quota only alone, cannot both get through. Durable once durable()
	 * resolves.
	 */
	reserve(upload: UploadRecord): Reservation {
		return this.wal.commitUnsynced(() => this.reserveNow(upload));
	}

	private reserveNow(upload: UploadRecord): Reservation {
		return this.db
			.transaction((): Reservation => {
				const blob = this.db
					.prepare('SELECT owner_account_id FROM blobs WHERE blob_id = ?')
					.get(upload.blobId) as { owner_account_id: string | null } | undefined;
				if (blob) {
					const mine = blob.owner_account_id === upload.ownerAccountId;
					return { ok: false, reason: mine ? 'blob-exists' : 'blob-id-taken' };
				}
				const inFlight = this.db
					.prepare('SELECT upload_id, owner_account_id FROM uploads WHERE blob_id = ?')
					.get(upload.blobId) as { upload_id: string; owner_account_id: string } | undefined;
				if (inFlight) {
					return inFlight.owner_account_id === upload.ownerAccountId
						? { ok: false, reason: 'upload-in-progress', uploadId: inFlight.upload_id }
						: { ok: false, reason: 'blob-id-taken' };
				}
				const use = this.storageOf(upload.ownerAccountId);
				if (!use) return { ok: false, reason: 'no-account' };
				if (
					use.quotaBytes !== null &&
					use.usedBytes + use.reservedBytes + upload.size > use.quotaBytes
				) {
					return { ok: false, reason: 'quota-exceeded' };
				}
				this.db
					.prepare(
						`INSERT INTO uploads (upload_id, owner_account_id, blob_id, size, created_at, expires_at)
						VALUES (?, ?, ?, ?, ?, ?)`
					)
					.run(
						upload.id,
						upload.ownerAccountId,
						upload.blobId,
						upload.size,
						upload.createdAt,
						upload.expiresAt
					);
				return { ok: true, upload };
			})
			.immediate();
	}

	/** Forgets an upload and frees its reservation; false when there was none. */
	release(uploadId: string): boolean {
		return this.db.prepare('DELETE FROM uploads WHERE upload_id = ?').run(uploadId).changes > 0;
	}

	/**
	 * The upload's bytes are now the blob: record the blob with its owner, add its size to the
	 * owner's usage and drop the upload, all or nothing. False when the upload is no longer there
	 * (it expired, was terminated, or its account was deleted meanwhile). Durable once durable()
	 * resolves.
	 */
	recordFinished(upload: UploadRecord, now: number): boolean {
		return this.wal.commitUnsynced(() => this.recordFinishedNow(upload, now));
	}

	/**
	 * The owner's blob is no longer wanted (its photo was deleted for good): drop its row, its
	 * bindings and its size from the owner's usage, all or nothing, unless an album other than
	 * `boundTo` (the library it left) binds it. Copies of a photo in other albums share its blobs,
	 * and the relay cannot see which copies still exist, so a blob any other album ever bound is
	 * kept. Durable once durable() resolves; the caller then deletes the file.
	 */
	deleteBlob(ownerAccountId: string, blobId: string, boundTo: string | null): BlobDeletion {
		return this.wal.commitUnsynced(() => this.deleteBlobNow(ownerAccountId, blobId, boundTo));
	}

	private deleteBlobNow(
		ownerAccountId: string,
		blobId: string,
		boundTo: string | null
	): BlobDeletion {
		return this.db
			.transaction((): BlobDeletion => {
				const blob = this.db
					.prepare('SELECT size FROM blobs WHERE blob_id = ? AND owner_account_id = ?')
					.get(blobId, ownerAccountId) as { size: number } | undefined;
				if (!blob) return { result: 'not-found' };
				const elsewhere = this.db
					.prepare('SELECT 1 FROM album_blobs WHERE blob_id = ? AND album_id IS NOT ? LIMIT 1')
					.get(blobId, boundTo);
				if (elsewhere) return { result: 'in-use' };
				this.db.prepare('DELETE FROM album_blobs WHERE blob_id = ?').run(blobId);
				this.db.prepare('DELETE FROM blobs WHERE blob_id = ?').run(blobId);
				this.accounts.addUsage(ownerAccountId, -blob.size);
				return { result: 'deleted', size: blob.size };
			})
			.immediate();
	}

	private recordFinishedNow(upload: UploadRecord, now: number): boolean {
		return this.db
			.transaction(() => {
				if (!this.release(upload.id)) return false;
				this.db
					.prepare(
						'INSERT INTO blobs (blob_id, owner_account_id, size, created_at) VALUES (?, ?, ?, ?)'
					)
					.run(upload.blobId, upload.ownerAccountId, upload.size, now);
				this.accounts.addUsage(upload.ownerAccountId, upload.size);
				return true;
			})
			.immediate();
	}
}

/** What deleteBlob did. */
export type BlobDeletion =
	| { result: 'deleted'; size: number }
	/** Bound to an album other than the one named: kept, bindings and all. */
	| { result: 'in-use' }
	/** No such blob, or another account's: the same answer for both. */
	| { result: 'not-found' };

function toRecord(row: UploadRow): UploadRecord {
	return {
		id: row.upload_id,
		ownerAccountId: row.owner_account_id,
		blobId: row.blob_id,
		size: row.size,
		createdAt: row.created_at,
		expiresAt: row.expires_at
	};
}
