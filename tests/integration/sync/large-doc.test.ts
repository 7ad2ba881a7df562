// A doc larger than one envelope (thousands of photos): snapshotted as a set of parts, compacted on the relay, read whole by new devices and, after a rotation, by members added later.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contribDocId } from '../../../src/lib/albums';
import { toBase64Url } from '../../../src/lib/crypto';
import { MAX_ENVELOPE_CIPHERTEXT_BYTES } from '../../../src/lib/protocol';
import type { AlbumSync } from '../../../src/lib/sync/engine';
import { startTestRelay, type TestRelay } from '../helpers/relay';
import { seedAccounts, seededRandom, type SeededAccount } from '../helpers/stream';
import { docDigest, eventually, makeDevice, withRelayDatabase, type Device } from './helpers';
import { photo } from './photos';

let relay: TestRelay;
let owner: SeededAccount;
let viewer: SeededAccount;
let newcomer: SeededAccount;
const devices: Device[] = [];
const random = seededRandom(11);

/** Photos per update, as an import batches them; each update stays well inside one envelope. */
const BATCH = 500;

function device(name: string, account: SeededAccount): Device {
	const d = makeDevice({
		name,
		identity: account.identity,
		token: account.token,
		url: () => relay.wsUrl,
		random,
		// A snapshot is due after every 4 updates: the large doc asks for one again and again.
		snapshotPolicy: { updates: 4, bytes: 1 << 30 }
	});
	devices.push(d);
	return d;
}

interface RelaySnapshot {
	seq: number;
	covers: number;
	epoch: number;
	setId: string | null;
	partCount: number | null;
	/** Parts stored for the set, and the longest ciphertext among them (base64url characters). */
	parts: number;
	longestCt: number;
	/** Updates of the doc the relay still keeps at or below `covers` (compaction leaves none). */
	coveredUpdates: number;
}

function relaySnapshot(albumId: string, docId: string): RelaySnapshot | null {
	return withRelayDatabase(relay.dataDir, (db) => {
		const row = db
			.prepare(
				`SELECT seq, covers, epoch, set_id AS setId, part_count AS partCount FROM snapshots
				WHERE album_id = ? AND doc_id = ?`
			)
			.get(albumId, docId) as Omit<RelaySnapshot, 'parts' | 'longestCt' | 'coveredUpdates'>;
		if (!row) return null;
		const parts = db
			.prepare(
				`SELECT COUNT(*) AS n, MAX(LENGTH(json_extract(envelope, '$.ct'))) AS longest
				FROM snapshot_parts WHERE album_id = ? AND doc_id = ? AND set_id IS ?`
			)
			.get(albumId, docId, row.setId) as { n: number; longest: number | null };
		const covered = db
			.prepare('SELECT COUNT(*) AS n FROM envelopes WHERE album_id = ? AND doc_id = ? AND seq <= ?')
			.get(albumId, docId, row.covers) as { n: number };
		return { ...row, parts: parts.n, longestCt: parts.longest ?? 0, coveredUpdates: covered.n };
	});
}

beforeAll(async () => {
	relay = await startTestRelay();
	[owner, viewer, newcomer] = (await seedAccounts(relay.dataDir, [
		'owner',
		'viewer',
		'newcomer'
	])) as [SeededAccount, SeededAccount, SeededAccount];
});

afterAll(async () => {
	for (const d of devices) await d.engine.stop();
	await relay.stop();
});

async function share(album: AlbumSync, by: Device, member: SeededAccount): Promise<void> {
	const entry = await album.membershipChain!.addMember(
		by.identity,
		{ signPk: member.signPk, boxPk: member.boxPk },
		'viewer',
		album.currentEpochKey()!
	);
	await by.engine.appendMembership(entry);
	await eventually(() => album.membership!.members.has(member.signPk), 'the add on the stream');
}

describe('a doc larger than one envelope', () => {
	it('is snapshotted in parts, compacted on the relay, read whole elsewhere, and re-snapshotted after a removal', async () => {
		const phone = device('phone', owner);
		phone.engine.start();
		const { album, created } = await phone.engine.createAlbum();
		const { albumId } = created;
		const model = album.model!;
		const mine = contribDocId(toBase64Url(owner.identity.sign.publicKey));

		let takenAt = 1;
		while (model.snapshot(mine).byteLength <= MAX_ENVELOPE_CIPHERTEXT_BYTES) {
			model.addPhotos(Array.from({ length: BATCH }, () => photo(takenAt++)));
			await album.whenSent();
		}
		// A few more small updates: a snapshot falls due on a doc that no envelope can hold.
		for (let i = 0; i < 6; i++) {
			model.addPhotos([photo(takenAt++, `small-${i}.jpg`)]);
			await album.whenSent();
		}
		await eventually(
			() => (relaySnapshot(albumId, mine)?.setId ?? null) !== null,
			'a snapshot set of several parts on the relay'
		);
		const first = relaySnapshot(albumId, mine)!;
		expect(first.partCount).toBeGreaterThanOrEqual(2);
		expect(first.parts).toBe(first.partCount);
		expect(first.longestCt).toBeLessThanOrEqual(Math.ceil((MAX_ENVELOPE_CIPHERTEXT_BYTES * 4) / 3));
		// The relay dropped the updates the complete set covers.
		expect(first.coveredUpdates).toBe(0);
		await album.settled();
		expect(album.error).toBeNull();

		// Another device reads the doc whole from the parts: the covered updates are gone.
		const laptop = device('laptop', owner);
		laptop.engine.start();
		const other = await laptop.engine.openAlbum(albumId);
		const otherModel = await other.whenModel();
		await other.whenCaughtUp();
		await other.settled();
		expect(other.error).toBeNull();
		expect(otherModel.view()).toHaveLength(model.view().length);
		expect(docDigest(otherModel, mine)).toBe(docDigest(model, mine));

		// Removing a member rotates the key: the owner re-snapshots the large doc under the new
		// epoch, in parts, so a member added afterwards (who holds only the new key) reads it.
		await share(album, phone, viewer);
		const { entry } = await album.membershipChain!.removeMember(
			phone.identity,
			viewer.signPk,
			new Map()
		);
		await phone.engine.appendMembership(entry);
		const epoch = album.membership!.epoch;
		expect(epoch).toBeGreaterThan(0);
		await eventually(
			() => relaySnapshot(albumId, mine)?.epoch === epoch,
			'the large doc re-snapshotted under the new epoch'
		);
		const resnapshot = relaySnapshot(albumId, mine)!;
		expect(resnapshot.setId).not.toBeNull();
		expect(resnapshot.setId).not.toBe(first.setId);
		expect(resnapshot.parts).toBe(resnapshot.partCount);
		expect(resnapshot.coveredUpdates).toBe(0);

		await share(album, phone, newcomer);
		const late = device('newcomer', newcomer);
		late.engine.start();
		const lateAlbum = await late.engine.openAlbum(albumId);
		const lateModel = await lateAlbum.whenModel();
		await lateAlbum.whenCaughtUp();
		await lateAlbum.settled();
		expect(lateAlbum.error).toBeNull();
		expect(lateAlbum.currentEpochKey()).not.toBeNull();
		expect(lateModel.view()).toHaveLength(model.view().length);
		expect(docDigest(lateModel, mine)).toBe(docDigest(model, mine));

		// After a restart the laptop opens from its own database and still syncs both ways.
		await laptop.restart();
		const reopened = await laptop.engine.openAlbum(albumId);
		const reopenedModel = await reopened.whenModel();
		await reopened.whenCaughtUp();
		expect(reopenedModel.view()).toHaveLength(model.view().length);
		const [fromPhone] = model.addPhotos([photo(takenAt++, 'after-the-restart.jpg')]);
		await eventually(
			() => reopenedModel.view().some((p) => p.ref.id === fromPhone),
			'the phone’s photo on the restarted laptop'
		);
		await reopened.settled();
		expect(reopened.error).toBeNull();
		expect(album.error).toBeNull();
	}, 120_000);
});
