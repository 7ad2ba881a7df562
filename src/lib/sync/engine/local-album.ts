// One album's copy in the device database: its log entries, compacted doc states and lastSeq, written in transactions.

import type { AlbumRecord, DocStateRecord, EntryRecord, TesseraDB } from '../../local/db';
import { openOnDevice, sealForDevice } from '../../local/vault';
import type { MembershipEntry, MembershipState, StreamItem } from '../../protocol';
import { toBase64Url } from '../../crypto';

/** docState is sealed for this purpose, so a sealed doc state cannot pass for another secret. */
const docStatePurpose = (albumId: string, docId: string) =>
	`tessera/v1/doc-state\0${albumId}\0${docId}`;

/**
 * Parts of snapshot sets are stored under their own key, not their doc's: compacting a doc deletes
 * its stored envelopes up to a seq, and the parts of a set still waiting for the rest must stay.
 */
export const snapshotPartsKey = (docId: string) => `${docId}\0parts`;

/** A stored envelope that is one part of a snapshot set. */
function isSnapshotPart(item: StreamItem): boolean {
	return item.type === 'envelope' && item.envelope.kind === 'snapshot' && !!item.envelope.part;
}

export interface LoadedAlbum {
	record: AlbumRecord;
	/** Membership entries in chain order, with the seq each was sequenced at. */
	membership: { seq: number; entry: unknown }[];
	/** Per doc: the compacted state and the envelopes after it, in seq order. */
	docs: Map<string, { state: Uint8Array | null; covers: number; envelopes: EntryRecord[] }>;
	/**
	 * Stored parts of snapshot sets, every doc's, in seq order: also those at or below their doc's
	 * compacted state, since a set still incomplete when its doc was compacted is not in that state.
	 */
	snapshotParts: EntryRecord[];
	docCounters: Map<string, DocStateRecord['sinceSnapshot']>;
}

export class LocalAlbum {
	constructor(
		private readonly db: TesseraDB,
		readonly albumId: string
	) {}

	/** Everything stored for the album (sealed doc states opened); a fresh record if none. */
	async load(now: number): Promise<LoadedAlbum> {
		const { albumId } = this;
		// One read transaction: the three reads go out together and see one moment of the database.
		const [stored, entries, states] = await this.db.transaction(
			'r',
			this.db.albums,
			this.db.entries,
			this.db.docState,
			() =>
				Promise.all([
					this.db.albums.get(albumId),
					this.db.entries
						.where('[albumId+seq]')
						.between([albumId, 0], [albumId, Infinity])
						.toArray(),
					this.db.docState
						.where('[albumId+docId]')
						.between([albumId, ''], [albumId, '\uffff'])
						.toArray()
				])
		);
		const record = stored ?? {
			albumId,
			lastSeq: 0,
			head: null,
			role: null,
			epoch: 0,
			updatedAt: now
		};
		// Opened outside the transaction (IndexedDB would commit one that awaits WebCrypto), and
		// together: WebCrypto works off the main thread.
		const opened = await Promise.all(
			states.map((row) => openOnDevice(this.db, row.state, docStatePurpose(albumId, row.docId)))
		);
		const docs: LoadedAlbum['docs'] = new Map();
		const docCounters: LoadedAlbum['docCounters'] = new Map();
		states.forEach((row, i) => {
			docs.set(row.docId, { state: opened[i]!, covers: row.covers, envelopes: [] });
			docCounters.set(row.docId, row.sinceSnapshot);
		});
		const membership: LoadedAlbum['membership'] = [];
		const snapshotParts: EntryRecord[] = [];
		// Created offline: the genesis stands in (at seq 0) until the relay sequences it.
		if (record.pendingGenesis && record.lastSeq === 0) {
			membership.push({ seq: 0, entry: record.pendingGenesis });
		}
		for (const row of entries) {
			if (row.item.type === 'membership') {
				membership.push({ seq: row.seq, entry: row.item.entry });
				continue;
			}
			if (isSnapshotPart(row.item)) {
				snapshotParts.push(row);
				continue;
			}
			let doc = docs.get(row.docId);
			if (!doc) docs.set(row.docId, (doc = { state: null, covers: 0, envelopes: [] }));
			if (row.seq > doc.covers) doc.envelopes.push(row);
		}
		return { record, membership, docs, snapshotParts, docCounters };
	}

	/**
	 * Stores one applied item (or, with item null, just a seq that was read and refused) and moves
	 * lastSeq, in one transaction: a crash leaves either both or neither.
	 */
	async commit(
		seq: number,
		item: StreamItem | null,
		state: MembershipState | null,
		role: AlbumRecord['role'],
		now: number
	): Promise<void> {
		const { albumId } = this;
		await this.db.transaction('rw', this.db.albums, this.db.entries, async () => {
			const record = await this.db.albums.get(albumId);
			if (record && record.lastSeq >= seq) return; // another tab stored it first
			if (item) {
				const docId =
					item.type === 'membership'
						? ''
						: isSnapshotPart(item)
							? snapshotPartsKey(item.envelope.docId)
							: item.envelope.docId;
				await this.db.entries.put({ albumId, seq, docId, item });
			}
			await this.db.albums.put({
				albumId,
				lastSeq: seq,
				head: state
					? { index: state.head.index, hash: toBase64Url(state.head.hash) }
					: (record?.head ?? null),
				role,
				epoch: state?.epoch ?? record?.epoch ?? 0,
				updatedAt: now
			});
		});
	}

	/** Records an album created on this device and not yet on the relay (see AlbumRecord). */
	async createPending(
		genesis: MembershipEntry,
		state: MembershipState,
		now: number
	): Promise<void> {
		await this.db.albums.add({
			albumId: this.albumId,
			lastSeq: 0,
			head: { index: state.head.index, hash: toBase64Url(state.head.hash) },
			role: 'owner',
			epoch: state.epoch,
			updatedAt: now,
			pendingGenesis: genesis
		});
	}

	/** Moves lastSeq forward only (after caught-up): the relay holds nothing unseen below it. */
	async advance(seq: number, now: number): Promise<void> {
		await this.db.transaction('rw', this.db.albums, async () => {
			const record = await this.db.albums.get(this.albumId);
			if (!record || record.lastSeq >= seq) return;
			await this.db.albums.put({ ...record, lastSeq: seq, updatedAt: now });
		});
	}

	/**
	 * Replaces a doc's stored updates up to `covers` with its compacted state (sealed by the device
	 * key), and drops its stored snapshot parts up to there but those of `keepParts` (the seqs of a
	 * set still waiting for parts: the state does not hold it). Sealing happens before the
	 * transaction: IndexedDB would commit one that awaits WebCrypto.
	 */
	async compact(
		docId: string,
		state: Uint8Array,
		covers: number,
		sinceSnapshot: DocStateRecord['sinceSnapshot'],
		keepParts: readonly number[] = []
	): Promise<void> {
		const { albumId } = this;
		const sealed = await sealForDevice(this.db, state, docStatePurpose(albumId, docId));
		await this.db.transaction('rw', this.db.docState, this.db.entries, async () => {
			const existing = await this.db.docState.get([albumId, docId]);
			if (existing && existing.covers > covers) return;
			await this.db.docState.put({ albumId, docId, covers, state: sealed, sinceSnapshot });
			await this.db.entries
				.where('[albumId+docId+seq]')
				.between([albumId, docId, 0], [albumId, docId, covers], true, true)
				.delete();
			const keep = new Set(keepParts);
			await this.db.entries
				.where('[albumId+docId+seq]')
				.between(
					[albumId, snapshotPartsKey(docId), 0],
					[albumId, snapshotPartsKey(docId), covers],
					true,
					true
				)
				.filter((row) => !keep.has(row.seq))
				.delete();
		});
	}

	/** Drops the doc's stored snapshot parts below `before` (a newer set superseded them). */
	async dropSnapshotParts(docId: string, before: number): Promise<void> {
		const key = snapshotPartsKey(docId);
		await this.db.entries
			.where('[albumId+docId+seq]')
			.between([this.albumId, key, 0], [this.albumId, key, before], true, false)
			.delete();
	}

	/** Remembers per-doc snapshot counters without touching the compacted state. */
	async saveCounters(docId: string, sinceSnapshot: DocStateRecord['sinceSnapshot']): Promise<void> {
		await this.db.docState.update([this.albumId, docId], { sinceSnapshot });
	}
}
