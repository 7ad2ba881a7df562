// The outbox: local writes sealed as envelopes, kept in the device database in order until the relay acks them.

import type { OutboxRecord, TesseraDB } from '../../local/db';
import { openOnDevice, sealForDevice } from '../../local/vault';
import type { Envelope } from '../../protocol';

const updatePurpose = (albumId: string, docId: string) =>
	`tessera/v1/outbox-update\0${albumId}\0${docId}`;

export interface PendingWrite {
	id: number;
	docId: string;
	envelope: Envelope;
	/** Blob ids the update adds, bound to the album by the relay with the post (may be empty). */
	blobs: readonly string[];
}

/** One album's outbox. Rows leave only on an ack or a final refusal. */
export class Outbox {
	constructor(
		private readonly db: TesseraDB,
		readonly albumId: string
	) {}

	/**
	 * Queues a sealed envelope with its Yjs update (sealed by the device key, for re-sealing) and
	 * the blob ids the update adds, which go with every post of it, re-sealed or not.
	 */
	async add(
		docId: string,
		update: Uint8Array,
		envelope: Envelope,
		now: number,
		blobs: readonly string[] = []
	): Promise<number> {
		const sealed = await sealForDevice(this.db, update, updatePurpose(this.albumId, docId));
		const record: OutboxRecord = {
			albumId: this.albumId,
			docId,
			update: sealed,
			envelope,
			...(blobs.length > 0 ? { blobs: [...blobs] } : {}),
			createdAt: now
		};
		return (await this.db.outbox.add(record)) as number;
	}

	/** Unacked writes in the order they were made. */
	async pending(): Promise<PendingWrite[]> {
		const rows = await this.db.outbox.where('albumId').equals(this.albumId).sortBy('id');
		return rows.map((row) => ({
			id: row.id!,
			docId: row.docId,
			envelope: row.envelope,
			blobs: row.blobs ?? []
		}));
	}

	/** The Yjs update of a queued write (to re-seal it, or to re-apply it on open). */
	async update(id: number): Promise<Uint8Array | null> {
		const row = await this.db.outbox.get(id);
		if (!row) return null;
		return openOnDevice(this.db, row.update, updatePurpose(this.albumId, row.docId));
	}

	/** Every queued update, for opening the album with its unsent edits. */
	async updates(): Promise<{ docId: string; update: Uint8Array }[]> {
		const rows = await this.db.outbox.where('albumId').equals(this.albumId).sortBy('id');
		const out: { docId: string; update: Uint8Array }[] = [];
		for (const row of rows) {
			out.push({
				docId: row.docId,
				update: await openOnDevice(this.db, row.update, updatePurpose(this.albumId, row.docId))
			});
		}
		return out;
	}

	/** After a rotation or a new head: the same update (and blobs), sealed again. */
	async replace(id: number, envelope: Envelope): Promise<void> {
		await this.db.outbox.update(id, { envelope });
	}

	async remove(id: number): Promise<void> {
		await this.db.outbox.delete(id);
	}

	async size(): Promise<number> {
		return this.db.outbox.where('albumId').equals(this.albumId).count();
	}
}
