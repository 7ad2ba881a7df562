// The sync engine against a real relay: edits reach other devices, the outbox survives offline restarts, presence, snapshots, refusals.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlbumError, type AlbumModel } from '../../../src/lib/albums';
import { deriveDocKey } from '../../../src/lib/crypto';
import { sealEnvelope } from '../../../src/lib/sync/envelope';
import { RelayRefusal, type AlbumSync } from '../../../src/lib/sync/engine';
import { openDatabase } from '../../../relay/src/db';
import { startTestRelay, type TestRelay } from '../helpers/relay';
import { seedAccounts, seededRandom, type SeededAccount } from '../helpers/stream';
import { docDigest, eventually, makeDevice, type Device } from './helpers';
import { photo } from './photos';

let relay: TestRelay;
let owner: SeededAccount, collab: SeededAccount, viewer: SeededAccount, newcomer: SeededAccount;
const devices: Device[] = [];
const random = seededRandom(7);

function device(
	name: string,
	account: SeededAccount,
	extra: { snapshotPolicy?: { updates: number; bytes: number } } = {}
): Device {
	const d = makeDevice({
		name,
		identity: account.identity,
		token: account.token,
		url: () => relay.wsUrl,
		random,
		presenceTtlMs: 60_000,
		...extra
	});
	devices.push(d);
	return d;
}

beforeAll(async () => {
	relay = await startTestRelay();
	[owner, collab, viewer, newcomer] = (await seedAccounts(relay.dataDir, [
		'owner',
		'collab',
		'viewer',
		'newcomer'
	])) as [SeededAccount, SeededAccount, SeededAccount, SeededAccount];
});

afterAll(async () => {
	for (const d of devices) await d.engine.stop();
	await relay.stop();
});

async function share(
	album: AlbumSync,
	ownerDevice: Device,
	member: SeededAccount,
	role: 'collaborator' | 'viewer'
) {
	const chain = album.membershipChain!;
	const entry = await chain.addMember(
		ownerDevice.identity,
		{ signPk: member.signPk, boxPk: member.boxPk },
		role,
		album.currentEpochKey()!
	);
	await ownerDevice.engine.appendMembership(entry);
	await eventually(() => album.membership!.members.has(member.signPk), 'the add on the stream');
}

async function openModel(
	d: Device,
	albumId: string
): Promise<{ album: AlbumSync; model: AlbumModel }> {
	const album = await d.engine.openAlbum(albumId);
	const model = await album.whenModel();
	await album.whenCaughtUp();
	return { album, model };
}

describe('sync engine', () => {
	let albumId: string;
	let ownerA: Device, ownerB: Device, collabDevice: Device, viewerDevice: Device;
	let ownerAlbum: AlbumSync;

	it('carries an edit from one device to the others, collaborators included', async () => {
		ownerA = device('owner-a', owner);
		ownerA.engine.start();
		const { album, created } = await ownerA.engine.createAlbum();
		ownerAlbum = album;
		albumId = created.albumId;
		album.model!.rename('Summer');
		await share(album, ownerA, collab, 'collaborator');
		await share(album, ownerA, viewer, 'viewer');

		collabDevice = device('collab', collab);
		collabDevice.engine.start();
		const { model: collabModel } = await openModel(collabDevice, albumId);
		await eventually(() => collabModel.meta().name === 'Summer', 'the name on the collaborator');
		const [added] = collabModel.addPhotos([photo(1)]);
		await eventually(
			() => album.model!.view().some((p) => p.ref.id === added),
			'the photo on the owner'
		);
		expect(await album.pendingWrites()).toBe(0);
	});

	it('opens from the device database without the relay, keeps offline edits and sends them later', async () => {
		ownerB = device('owner-b', owner);
		ownerB.engine.start();
		const first = await openModel(ownerB, albumId);
		expect(first.model.meta().name).toBe('Summer');
		await ownerB.engine.stop();

		// Reopened with no connection: everything comes from IndexedDB.
		await ownerB.restart();
		ownerB.engine.connection.stop();
		const album = await ownerB.engine.openAlbum(albumId);
		const model = album.model!;
		expect(model.meta().name).toBe('Summer');
		expect(model.view()).toHaveLength(1);
		model.rename('Summer, offline');
		await album.settled();
		expect(await album.pendingWrites()).toBe(1);

		// The app closes with the edit unsent, and comes back online later.
		await ownerB.restart();
		const again = await ownerB.engine.openAlbum(albumId);
		expect(again.model!.meta().name).toBe('Summer, offline');
		await eventually(async () => (await again.pendingWrites()) === 0, 'the outbox to drain');
		await eventually(
			() => ownerAlbum.model!.meta().name === 'Summer, offline',
			'the offline edit on the other device'
		);
	});

	it('refuses a viewer’s write locally, and the relay refuses it when sent anyway', async () => {
		viewerDevice = device('viewer', viewer);
		viewerDevice.engine.start();
		const { album, model } = await openModel(viewerDevice, albumId);
		expect(() => model.rename('viewer was here')).toThrow(AlbumError);

		const state = album.membership!;
		const forged = await sealEnvelope({
			albumId,
			docId: 'album',
			kind: 'update',
			epoch: state.epoch,
			chainIndex: state.head.index,
			update: new Uint8Array([0, 0]),
			docKey: await deriveDocKey(album.currentEpochKey()!, 'album'),
			signer: viewer.identity.sign
		});
		const refusal = await viewerDevice.engine.connection
			.request({ t: 'post', envelope: forged })
			.catch((error: unknown) => error);
		expect(refusal).toBeInstanceOf(RelayRefusal);
		expect((refusal as RelayRefusal).code).toBe('not-authorized');
	});

	it('shows who is here and how many files they are uploading', async () => {
		const collabAlbum = await collabDevice.engine.openAlbum(albumId);
		ownerAlbum.setPresence(3);
		await eventually(
			() => collabAlbum.present().some((p) => p.member === owner.signPk && p.uploading === 3),
			'the owner’s presence on the collaborator'
		);
		// Never oneself.
		expect(ownerAlbum.present().some((p) => p.member === owner.signPk)).toBe(false);
	});

	it('posts a snapshot after enough updates, and a new device catches up from it', async () => {
		const writer = device('owner-c', owner, { snapshotPolicy: { updates: 10, bytes: 1 << 30 } });
		writer.engine.start();
		const { model } = await openModel(writer, albumId);
		for (let i = 0; i < 30; i++) model.rename(`name ${i}`);
		await eventually(() => {
			const db = openDatabase(relay.dataDir);
			try {
				const row = db
					.prepare('SELECT count(*) AS n FROM snapshots WHERE doc_id = ?')
					.get('album') as { n: number };
				return row.n > 0;
			} finally {
				db.close();
			}
		}, 'a snapshot of the album doc on the relay');

		const late = device('late', collab);
		late.engine.start();
		const { model: lateModel } = await openModel(late, albumId);
		await eventually(() => lateModel.meta().name === 'name 29', 'the last name on the new device');
		expect(docDigest(lateModel, 'album')).toBe(docDigest(model, 'album'));
	});

	it('renews the album key when a member leaves; the leaver stops following', async () => {
		const collabAlbum = await collabDevice.engine.openAlbum(albumId);
		const viewerAlbum = await viewerDevice.engine.openAlbum(albumId);
		const epoch = ownerAlbum.membership!.epoch;
		const leave = await collabAlbum.membershipChain!.leave(collab.identity);
		await collabDevice.engine.appendMembership(leave);

		// No one asked for it: a manager's device rotates on its own.
		await eventually(
			() => ownerAlbum.membership!.epoch === epoch + 1 && !ownerAlbum.membership!.rotationDue,
			'a rotation after the leave'
		);
		await eventually(() => collabAlbum.error?.code === 'not-a-member', 'the leaver to stop');
		ownerAlbum.model!.rename('after the leave');
		await eventually(
			() => viewerAlbum.model!.meta().name === 'after the leave',
			'a new-epoch edit on a member who stayed'
		);
		expect(collabAlbum.model!.meta().name).not.toBe('after the leave');
	});

	it('stops a removed member’s device, which shows nothing written afterwards', async () => {
		const viewerAlbum = await viewerDevice.engine.openAlbum(albumId);
		const { entry } = await ownerAlbum.membershipChain!.removeMember(
			ownerA.identity,
			viewer.signPk,
			new Map()
		);
		await ownerA.engine.appendMembership(entry);
		await eventually(
			() => viewerAlbum.error?.code === 'not-a-member',
			'the removed device to stop'
		);
		ownerAlbum.model!.rename('after the removal');
		await eventually(
			async () => (await ownerAlbum.pendingWrites()) === 0,
			'the rename to be acked'
		);
		await viewerAlbum.settled();
		expect(viewerAlbum.model!.meta().name).not.toBe('after the removal');
	});

	it('re-snapshots under the new epoch, so a member added after rotations reads what came before', async () => {
		const epoch = ownerAlbum.membership!.epoch;
		expect(epoch).toBeGreaterThan(0);
		await share(ownerAlbum, ownerA, newcomer, 'viewer');
		const late = device('newcomer', newcomer);
		late.engine.start();
		const { model } = await openModel(late, albumId);
		// The album doc holds edits from epoch 0 on; the newcomer only has the current key.
		await eventually(
			() => docDigest(model, 'album') === docDigest(ownerAlbum.model!, 'album'),
			'the whole album doc on the newcomer'
		);
		expect(model.meta().name).toBe('after the removal');
	});

	it('a member added after edits reads them: envelopes sealed before their key box arrived wait for it', async () => {
		const first = device('owner-early', owner, { snapshotPolicy: { updates: 1e9, bytes: 1e12 } });
		first.engine.start();
		const { album, created } = await first.engine.createAlbum();
		album.model!.rename('Before you joined');
		// The rename is on the relay (seq 2, after the genesis) before the viewer is added.
		await eventually(
			async () => album.seq >= 2 && (await album.pendingWrites()) === 0,
			'the rename acked'
		);
		await share(album, first, viewer, 'viewer');

		const joiner = device('viewer-late', viewer);
		joiner.engine.start();
		const { model } = await openModel(joiner, created.albumId);
		await eventually(() => model.meta().name === 'Before you joined', 'the earlier name');
		expect(docDigest(model, 'album')).toBe(docDigest(album.model!, 'album'));
	});
});
