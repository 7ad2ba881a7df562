// Albums in SQLite: membership chains, stored envelopes, the newest snapshot per doc, receipts, blob bindings, catch-up pages.

import type { MembershipEntry } from '../../src/lib/protocol';
import type { Transaction } from 'better-sqlite3';
import type { RelayDatabase } from './db';
import { WalSync } from './wal-sync';

export interface AlbumRow {
	albumId: string;
	headIndex: number;
	epoch: number;
	lastSeq: number;
	ownerAccountId: string | null;
	deleted: boolean;
}

export interface StoredChainEntry {
	seq: number;
	hash: Uint8Array;
	/** The entry as the author sent it (JSON text), checked when it was appended. */
	json: string;
}

/** A stored item in album seq order, as catch-up reads it. */
export interface StreamRow {
	seq: number;
	kind: 'membership' | 'envelope';
	json: string;
}

/** Current members by signing key (MembershipState.members). */
export type Members = ReadonlyMap<string, { readonly role: string }>;

export interface MemberAlbum {
	albumId: string;
	role: string;
	lastSeq: number;
}

/** What a post stores: an update, or a snapshot that replaces its doc's snapshot and compacts. */
export interface NewEnvelope {
	albumId: string;
	docId: string;
	epoch: number;
	signer: string;
	hash: Uint8Array;
	json: string;
	/** Set for snapshots: the album seq the snapshot covers. */
	covers: number | null;
	/** Set for a part of a snapshot set (a snapshot in several envelopes). */
	part: SnapshotPartRef | null;
	/** Blob ids the envelope's update references, to bind to the album (see bindBlobs). */
	blobs: readonly string[];
	/** The account of the socket that posted it (`signer` is its key). */
	posterAccountId: string;
}

/** Where a part sits in its snapshot set (the envelope's `part` header field). */
export interface SnapshotPartRef {
	set: string;
	index: number;
	count: number;
}

/** A stored part of a snapshot set, as the checks of the next part compare against. */
export interface StoredSnapshotPart {
	index: number;
	count: number;
	covers: number;
	epoch: number;
	signer: string;
}

/** What storing an envelope did: its seq, and the blob ids whose binding was refused. */
export interface StoredEnvelope {
	seq: number;
	refusedBlobs: string[];
}

/** Who asks for a blob: their account, and the signing key albums know them by. */
export interface BlobReader {
	accountId: string;
	signPk: string;
}

interface AlbumDbRow {
	album_id: string;
	head_index: number;
	epoch: number;
	last_seq: number;
	owner_account_id: string | null;
	deleted_at: number | null;
}

/**
 * Every write runs in one IMMEDIATE transaction with its seq. Appends and envelopes commit without
 * a sync of their own (they survive a crash of the process once the method returns, I8); the
 * caller awaits `durable()`, a group commit of the WAL, before it acknowledges them.
 */
export class AlbumStore {
	private readonly statements;
	private readonly wal: WalSync;
	private insertBatch: Transaction<(batch: readonly NewEnvelope[]) => StoredEnvelope[]> | undefined;

	constructor(private readonly db: RelayDatabase) {
		this.wal = new WalSync(db);
		this.statements = {
			album: db.prepare('SELECT * FROM albums WHERE album_id = ?'),
			chain: db.prepare(
				'SELECT seq, hash, entry FROM membership_entries WHERE album_id = ? ORDER BY chain_index'
			),
			entryAt: db.prepare(
				'SELECT seq, hash, entry FROM membership_entries WHERE album_id = ? AND chain_index = ?'
			),
			insertAlbum: db.prepare(
				`INSERT INTO albums (album_id, head_index, head_hash, epoch, last_seq, created_at, owner_account_id)
				VALUES (?, 0, ?, 0, 0, ?, ?)`
			),
			nextSeq: db.prepare(
				'UPDATE albums SET last_seq = last_seq + 1 WHERE album_id = ? RETURNING last_seq'
			),
			lastSeq: db.prepare('SELECT last_seq FROM albums WHERE album_id = ?').pluck(),
			setLastSeq: db.prepare('UPDATE albums SET last_seq = ? WHERE album_id = ?'),
			deleteMembers: db.prepare('DELETE FROM album_members WHERE album_id = ?'),
			insertMember: db.prepare(
				'INSERT INTO album_members (album_id, sign_pk, role) VALUES (?, ?, ?)'
			),
			albumsOf: db.prepare(
				`SELECT m.album_id AS albumId, m.role AS role, a.last_seq AS lastSeq
				FROM album_members m JOIN albums a ON a.album_id = m.album_id
				WHERE m.sign_pk = ? AND a.deleted_at IS NULL
				ORDER BY a.created_at, a.album_id`
			),
			albumsWithoutMembers: db.prepare(
				`SELECT album_id FROM albums a WHERE deleted_at IS NULL
				AND NOT EXISTS (SELECT 1 FROM album_members m WHERE m.album_id = a.album_id)`
			),
			setHead: db.prepare(
				`UPDATE albums SET head_index = ?, head_hash = ?, epoch = ?,
					deleted_at = CASE WHEN ? THEN COALESCE(deleted_at, ?) ELSE deleted_at END
				WHERE album_id = ?`
			),
			insertEntry: db.prepare(
				`INSERT INTO membership_entries (album_id, chain_index, seq, hash, signer, op, entry, received_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?)`
			),
			receipt: db.prepare('SELECT seq FROM envelope_receipts WHERE album_id = ? AND hash = ?'),
			insertReceipt: db.prepare(
				'INSERT INTO envelope_receipts (album_id, hash, seq) VALUES (?, ?, ?)'
			),
			insertEnvelope: db.prepare(
				`INSERT INTO envelopes (album_id, seq, doc_id, epoch, signer, hash, envelope, received_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?)`
			),
			snapshotCovers: db.prepare('SELECT covers FROM snapshots WHERE album_id = ? AND doc_id = ?'),
			upsertSnapshot: db.prepare(
				`INSERT INTO snapshots (album_id, doc_id, seq, covers, epoch, signer, hash, envelope, set_id, part_count, received_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT (album_id, doc_id) DO UPDATE SET seq = excluded.seq, covers = excluded.covers,
					epoch = excluded.epoch, signer = excluded.signer, hash = excluded.hash,
					envelope = excluded.envelope, set_id = excluded.set_id,
					part_count = excluded.part_count, received_at = excluded.received_at`
			),
			partsOfSet: db.prepare(
				`SELECT part_index AS "index", part_count AS count, covers, epoch, signer FROM snapshot_parts
				WHERE album_id = ? AND doc_id = ? AND set_id = ? ORDER BY part_index`
			),
			insertPart: db.prepare(
				`INSERT INTO snapshot_parts (album_id, seq, doc_id, set_id, part_index, part_count, covers,
					epoch, signer, hash, envelope, received_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
			),
			// A new set supersedes any set still incomplete (not the stored one, not itself).
			deleteIncompleteParts: db.prepare(
				`DELETE FROM snapshot_parts WHERE album_id = @albumId AND doc_id = @docId AND set_id <> @setId
				AND set_id IS NOT (SELECT set_id FROM snapshots WHERE album_id = @albumId AND doc_id = @docId)`
			),
			// A complete snapshot replaces every other part of its doc: the set it replaces, and any
			// incomplete set (which could not complete any more: it would cover less).
			deleteOtherParts: db.prepare(
				'DELETE FROM snapshot_parts WHERE album_id = ? AND doc_id = ? AND set_id IS NOT ?'
			),
			compact: db.prepare('DELETE FROM envelopes WHERE album_id = ? AND doc_id = ? AND seq <= ?'),
			bound: db.prepare('SELECT 1 FROM album_blobs WHERE album_id = ? AND blob_id = ?'),
			bind: db.prepare(
				'INSERT OR IGNORE INTO album_blobs (album_id, blob_id, bound_at) VALUES (?, ?, ?)'
			),
			blobOwner: db.prepare('SELECT owner_account_id FROM blobs WHERE blob_id = ?'),
			// Bound to a live album that this key is a member of now (album_members follows the
			// chain in the transaction of every membership entry, and is emptied on delete).
			boundForMember: db.prepare(
				`SELECT 1 FROM album_blobs b
				JOIN album_members m ON m.album_id = b.album_id AND m.sign_pk = ?
				JOIN albums a ON a.album_id = b.album_id AND a.deleted_at IS NULL
				WHERE b.blob_id = ? LIMIT 1`
			),
			// One page of catch-up in album seq order: membership entries, the newest snapshot of each
			// doc (its envelope, or every part of its set), the parts of a set still being posted (so
			// a device that catches up midway can complete it from the live parts), and the updates
			// no snapshot covers. Keyset-paged on seq, so each page is a short
			// query of its own and writes can run between pages.
			page: db.prepare(
				`SELECT seq, 'membership' AS kind, entry AS json FROM membership_entries
					WHERE album_id = @albumId AND seq > @after
				UNION ALL
				SELECT seq, 'envelope', envelope FROM snapshots
					WHERE album_id = @albumId AND seq > @after AND envelope IS NOT NULL
				UNION ALL
				SELECT seq, 'envelope', envelope FROM snapshot_parts
					WHERE album_id = @albumId AND seq > @after
				UNION ALL
				SELECT e.seq, 'envelope', e.envelope FROM envelopes e
					LEFT JOIN snapshots s ON s.album_id = e.album_id AND s.doc_id = e.doc_id
					WHERE e.album_id = @albumId AND e.seq > @after AND (s.covers IS NULL OR e.seq > s.covers)
				ORDER BY seq LIMIT @limit`
			)
		};
	}

	album(albumId: string): AlbumRow | undefined {
		const row = this.statements.album.get(albumId) as AlbumDbRow | undefined;
		return (
			row && {
				albumId: row.album_id,
				headIndex: row.head_index,
				epoch: row.epoch,
				lastSeq: row.last_seq,
				ownerAccountId: row.owner_account_id,
				deleted: row.deleted_at !== null
			}
		);
	}

	chain(albumId: string): StoredChainEntry[] {
		const rows = this.statements.chain.all(albumId) as {
			seq: number;
			hash: Buffer;
			entry: string;
		}[];
		return rows.map((row) => ({ seq: row.seq, hash: new Uint8Array(row.hash), json: row.entry }));
	}

	entryAt(albumId: string, index: number): StoredChainEntry | undefined {
		const row = this.statements.entryAt.get(albumId, index) as
			{ seq: number; hash: Buffer; entry: string } | undefined;
		return row && { seq: row.seq, hash: new Uint8Array(row.hash), json: row.entry };
	}

	/**
	 * Stores a membership entry at the next seq and moves the head (creating the album for a
	 * genesis). `head` is the state after the entry: its hash, epoch and deleted flag.
	 */
	appendEntry(
		entry: MembershipEntry,
		json: string,
		head: { hash: Uint8Array; epoch: number; deleted: boolean; members: Members },
		ownerAccountId: string | null
	): number {
		const append = this.db.transaction(() => {
			const now = Date.now();
			const hash = Buffer.from(head.hash);
			if (entry.op === 'create') {
				this.statements.insertAlbum.run(entry.albumId, hash, now, ownerAccountId);
			}
			const seq = this.nextSeq(entry.albumId);
			this.statements.setHead.run(
				entry.index,
				hash,
				head.epoch,
				head.deleted ? 1 : 0,
				now,
				entry.albumId
			);
			this.statements.insertEntry.run(
				entry.albumId,
				entry.index,
				seq,
				hash,
				entry.by,
				entry.op,
				json,
				now
			);
			this.writeMembers(entry.albumId, head.deleted ? new Map() : head.members);
			return seq;
		});
		return this.wal.commitUnsynced(() => append.immediate());
	}

	/** Albums the key is a member of now (deleted ones left out), oldest first. */
	albumsOf(signPk: string): MemberAlbum[] {
		return this.statements.albumsOf.all(signPk) as MemberAlbum[];
	}

	/** Albums created before the relay kept member lists (a one-off fill at start). */
	albumsWithoutMembers(): string[] {
		return (this.statements.albumsWithoutMembers.all() as { album_id: string }[]).map(
			(row) => row.album_id
		);
	}

	setMembers(albumId: string, members: Members): void {
		this.db.transaction(() => this.writeMembers(albumId, members)).immediate();
	}

	private writeMembers(albumId: string, members: Members): void {
		this.statements.deleteMembers.run(albumId);
		for (const [signPk, { role }] of members)
			this.statements.insertMember.run(albumId, signPk, role);
	}

	/** Lets go of what the store holds beside the database (the WAL descriptor); after db.close(). */
	close(): Promise<void> {
		return this.wal.close();
	}

	/** Resolves once every write returned so far is on disk (see WalSync). */
	durable(): Promise<void> {
		return this.wal.durable();
	}

	/** The seq an envelope with this signing-bytes hash was stored at, if it ever was. */
	receipt(albumId: string, hash: Uint8Array): number | undefined {
		const row = this.statements.receipt.get(albumId, Buffer.from(hash)) as
			{ seq: number } | undefined;
		return row?.seq;
	}

	/** The `covers` of the doc's stored snapshot, if it has one. */
	snapshotCovers(albumId: string, docId: string): number | undefined {
		const row = this.statements.snapshotCovers.get(albumId, docId) as
			{ covers: number } | undefined;
		return row?.covers;
	}

	/** The stored parts of one snapshot set, in index order (none for an unknown set). */
	snapshotParts(albumId: string, docId: string, setId: string): StoredSnapshotPart[] {
		return this.statements.partsOfSet.all(albumId, docId, setId) as StoredSnapshotPart[];
	}

	/**
	 * Stores an envelope at the next seq with its receipt and blob bindings. A snapshot replaces
	 * the doc's snapshot and drops the doc's updates it covers, in the same transaction.
	 */
	insertEnvelope(envelope: NewEnvelope): StoredEnvelope {
		return this.insertEnvelopes([envelope])[0]!;
	}

	/**
	 * Stores several envelopes in one transaction (one WAL append for the lot), each with its blob
	 * bindings, and returns their seqs in order. The caller checked each against the head, and
	 * nothing moved it since.
	 */
	insertEnvelopes(envelopes: readonly NewEnvelope[]): StoredEnvelope[] {
		this.insertBatch ??= this.db.transaction((batch: readonly NewEnvelope[]) => {
			// Seqs are handed out in memory and each album's last_seq written once per batch: a burst
			// of uploads to one album costs one UPDATE, not one per envelope.
			const lastSeqs = new Map<string, number>();
			const stored = batch.map((envelope) => {
				let last = lastSeqs.get(envelope.albumId);
				if (last === undefined) {
					last = this.statements.lastSeq.get(envelope.albumId) as number | undefined;
					if (last === undefined)
						throw new Error(`album ${envelope.albumId} vanished during a write`);
				}
				const seq = last + 1;
				lastSeqs.set(envelope.albumId, seq);
				this.storeEnvelope(envelope, seq);
				return { seq, refusedBlobs: this.bindBlobs(envelope) };
			});
			for (const [albumId, seq] of lastSeqs) this.statements.setLastSeq.run(seq, albumId);
			return stored;
		});
		const insert = this.insertBatch;
		return this.wal.commitUnsynced(() => insert.immediate(envelopes));
	}

	/**
	 * Binds the envelope's blobs to its album, inside the transaction that stores it (so a binding
	 * exists exactly when its envelope does, and is judged against the members and blob owners of
	 * that moment). A blob may be bound when it is already bound here (idempotent), when it does
	 * not exist yet (ids are 16+ random bytes: knowing one means having read the PhotoRef that
	 * names it; its uploader's upload creates it later), when the poster's account owns it, or
	 * when the poster can read it already through another live album they are a member of (a copy
	 * of a shared photo). Returns the ids refused; the envelope stands either way.
	 */
	private bindBlobs(envelope: NewEnvelope): string[] {
		const refused: string[] = [];
		if (envelope.blobs.length === 0) return refused;
		const now = Date.now();
		for (const blobId of envelope.blobs) {
			if (this.statements.bound.get(envelope.albumId, blobId)) continue;
			const owner = this.blobOwner(blobId);
			const allowed =
				owner === undefined ||
				owner === envelope.posterAccountId ||
				this.statements.boundForMember.get(envelope.signer, blobId) !== undefined;
			if (allowed) this.statements.bind.run(envelope.albumId, blobId, now);
			else refused.push(blobId);
		}
		return refused;
	}

	/**
	 * Whether the relay serves this blob to `reader`: their account uploaded it (their library),
	 * or it is bound to a live album whose current members include their key. Anyone else is told
	 * nothing, exactly as for a blob that does not exist.
	 */
	blobReadable(blobId: string, reader: BlobReader): boolean {
		if (this.blobOwner(blobId) === reader.accountId) return true;
		return this.statements.boundForMember.get(reader.signPk, blobId) !== undefined;
	}

	/** The account that uploaded the blob; null when that account is gone, undefined when no blob. */
	private blobOwner(blobId: string): string | null | undefined {
		const row = this.statements.blobOwner.get(blobId) as
			{ owner_account_id: string | null } | undefined;
		return row === undefined ? undefined : row.owner_account_id;
	}

	private storeEnvelope(envelope: NewEnvelope, seq: number): void {
		const now = Date.now();
		const hash = Buffer.from(envelope.hash);
		this.statements.insertReceipt.run(envelope.albumId, hash, seq);
		if (envelope.covers === null) {
			this.statements.insertEnvelope.run(
				envelope.albumId,
				seq,
				envelope.docId,
				envelope.epoch,
				envelope.signer,
				hash,
				envelope.json,
				now
			);
			return;
		}
		const { albumId, docId, covers, part } = envelope;
		if (part !== null) {
			this.statements.insertPart.run(
				albumId,
				seq,
				docId,
				part.set,
				part.index,
				part.count,
				covers,
				envelope.epoch,
				envelope.signer,
				hash,
				envelope.json,
				now
			);
			// At most one incomplete set per doc: the newest one started.
			if (part.index === 0) {
				this.statements.deleteIncompleteParts.run({ albumId, docId, setId: part.set });
			}
			// Only a complete set replaces the doc's snapshot and compacts (parts arrive in order,
			// checked by the caller, so the last index completes it).
			if (part.index < part.count - 1) return;
		}
		this.statements.upsertSnapshot.run(
			albumId,
			docId,
			seq,
			covers,
			envelope.epoch,
			envelope.signer,
			hash,
			part === null ? envelope.json : null,
			part?.set ?? null,
			part?.count ?? null,
			now
		);
		this.statements.deleteOtherParts.run(albumId, docId, part?.set ?? null);
		this.statements.compact.run(albumId, docId, covers);
	}

	/** Up to `limit` stored items with seq > `after`, in seq order. */
	page(albumId: string, after: number, limit: number): StreamRow[] {
		return this.statements.page.all({ albumId, after, limit }) as StreamRow[];
	}

	private nextSeq(albumId: string): number {
		const row = this.statements.nextSeq.get(albumId) as { last_seq: number } | undefined;
		if (!row) throw new Error(`album ${albumId} vanished during a write`);
		return row.last_seq;
	}
}
