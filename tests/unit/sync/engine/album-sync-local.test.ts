// AlbumSync opening from the device database: re-verifies what it stored, refuses a rolled-back chain, keeps doc states sealed.

import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { deriveDocKey, toBase64Url } from '../../../../src/lib/crypto';
import { MAX_ENVELOPE_CIPHERTEXT_BYTES } from '../../../../src/lib/protocol';
import { MembershipChain, hashMembershipEntry, memberKeysOf } from '../../../../src/lib/sync';
import { sealEnvelope } from '../../../../src/lib/sync/envelope';
import { sealSnapshot } from '../../../../src/lib/sync/snapshot-parts';
import {
	AlbumSync,
	LocalAlbum,
	Outbox,
	type AlbumSyncError
} from '../../../../src/lib/sync/engine';
import { snapshotPartsKey } from '../../../../src/lib/sync/engine/local-album';
import { identityFrom, seededRandom } from '../helpers';
import { freshDb, offline, rename } from './helpers';

async function storedAlbum() {
	const random = seededRandom(42);
	const owner = await identityFrom(random);
	const viewer = await identityFrom(random);
	const { albumId, genesis, epochKey, chain } = await MembershipChain.createAlbum(owner);
	const add = await chain.addMember(owner, memberKeysOf(viewer), 'viewer', epochKey);
	await chain.append(add);
	const seal = async (by: typeof owner, name: string) =>
		sealEnvelope({
			albumId,
			docId: 'album',
			kind: 'update',
			epoch: 0,
			chainIndex: 1,
			update: rename(name),
			docKey: await deriveDocKey(epochKey, 'album'),
			signer: by.sign
		});
	const db = freshDb();
	await db.entries.bulkPut([
		{ albumId, seq: 1, docId: '', item: { type: 'membership', entry: genesis } },
		{ albumId, seq: 2, docId: '', item: { type: 'membership', entry: add } },
		{
			albumId,
			seq: 3,
			docId: 'album',
			item: { type: 'envelope', envelope: await seal(owner, 'Trip') }
		},
		// Written straight into the database: a viewer's correctly sealed and signed rename.
		{
			albumId,
			seq: 4,
			docId: 'album',
			item: { type: 'envelope', envelope: await seal(viewer, 'hacked') }
		}
	]);
	const headHash = toBase64Url(await hashMembershipEntry(add));
	await db.albums.put({
		albumId,
		lastSeq: 4,
		head: { index: 1, hash: headHash },
		role: 'owner',
		epoch: 0,
		updatedAt: 0
	});
	return { db, albumId, owner, viewer, chain, epochKey };
}

describe('AlbumSync from the device database', () => {
	it('opens without the relay and re-checks every stored write: a viewer’s write counts nowhere', async () => {
		const { db, albumId, owner } = await storedAlbum();
		const album = await AlbumSync.open({ db, albumId, identity: owner, connection: offline() });
		expect(album.error).toBeNull();
		expect(album.model!.meta().name).toBe('Trip');
		expect(album.seq).toBe(4);
	});

	it('refuses a chain that went back behind the head it verified before (rollback)', async () => {
		const { db, albumId, owner } = await storedAlbum();
		await db.entries.delete([albumId, 2]);
		const errors: AlbumSyncError[] = [];
		const album = await AlbumSync.open(
			{ db, albumId, identity: owner, connection: offline() },
			{ error: (error) => errors.push(error) }
		);
		expect(album.model).toBeNull();
		expect(errors.map((e) => e.code)).toEqual(['untrusted-history']);
		expect(errors.map((e) => e.reason)).toEqual(['rollback']);
	});

	it('keeps compacted doc states and queued edits sealed at rest, and restores them', async () => {
		const { db, albumId, owner } = await storedAlbum();
		const marker = 'marker-4f1c-private-album-name';
		// Any sealed envelope will do as the queued write's wire form; its update is what counts.
		const stored = (await db.entries.get([albumId, 3]))!.item;
		if (stored.type !== 'envelope') throw new Error('fixture: seq 3 is an envelope');
		const local = new LocalAlbum(db, albumId);
		const base = rename(marker);
		await local.compact('album', base, 4, { updates: 0, bytes: 0 });
		const outbox = new Outbox(db, albumId);
		// The queued edit was made on top of that state (a later rename on this device).
		const doc = new Y.Doc();
		Y.applyUpdateV2(doc, base);
		const before = Y.encodeStateVector(doc);
		doc.getMap('meta').set('name', `${marker}-queued`);
		await outbox.add('album', Y.encodeStateAsUpdateV2(doc, before), stored.envelope, 0);

		const dump = JSON.stringify(
			[...(await db.docState.toArray()), ...(await db.outbox.toArray())],
			(_key, value: unknown) =>
				value instanceof Uint8Array ? Buffer.from(value).toString('latin1') : value
		);
		expect(dump).not.toContain(marker);
		// Compaction replaced the doc's stored updates up to its seq.
		expect(
			await db.entries
				.where('[albumId+docId+seq]')
				.between([albumId, 'album', 0], [albumId, 'album', Infinity])
				.count()
		).toBe(0);

		const album = await AlbumSync.open({ db, albumId, identity: owner, connection: offline() });
		expect(album.model!.meta().name).toBe(`${marker}-queued`);
		expect(await album.pendingWrites()).toBe(1);
	});

	it('opens a compacted doc state bigger than one envelope in full', async () => {
		const { db, albumId, owner } = await storedAlbum();
		// A big album's saved state is far over the 1 MiB a single envelope may carry.
		const doc = new Y.Doc();
		const padding = 'x'.repeat(1024);
		doc.transact(() => {
			for (let i = 0; i < 1500; i++) doc.getMap('meta').set(`note${i}`, `${i}:${padding}`);
			doc.getMap('meta').set('name', 'Big trip');
		});
		const state = Y.encodeStateAsUpdateV2(doc);
		expect(state.length).toBeGreaterThan(MAX_ENVELOPE_CIPHERTEXT_BYTES);
		await new LocalAlbum(db, albumId).compact('album', state, 4, { updates: 0, bytes: 0 });

		const album = await AlbumSync.open({ db, albumId, identity: owner, connection: offline() });
		expect(album.error).toBeNull();
		expect(album.model!.meta().name).toBe('Big trip');
	});

	it('counts updates toward the next snapshot from a set it finds complete, not from before it', async () => {
		const { db, albumId, owner, epochKey } = await storedAlbum();
		const docKey = await deriveDocKey(epochKey, 'album');
		const state = rename('Trip');
		// Compacted long ago, 40 updates after the relay's last snapshot of the doc.
		await new LocalAlbum(db, albumId).compact('album', state, 4, { updates: 40, bytes: 90_000 });
		// Then a snapshot set arrived in full, and one more update, before the app stopped.
		const parts = await sealSnapshot({
			albumId,
			docId: 'album',
			epoch: 0,
			chainIndex: 1,
			covers: 4,
			state,
			partBytes: Math.ceil(state.length / 3),
			docKey,
			signer: owner.sign
		});
		expect(parts!.length).toBe(3);
		// A rename made after the snapshot's state, so it wins whichever client id each got.
		const renamed = new Y.Doc();
		Y.applyUpdateV2(renamed, state);
		renamed.getMap('meta').set('name', 'Trip 2');
		const later = await sealEnvelope({
			albumId,
			docId: 'album',
			kind: 'update',
			epoch: 0,
			chainIndex: 1,
			update: Y.encodeStateAsUpdateV2(renamed, Y.encodeStateVectorFromUpdateV2(state)),
			docKey,
			signer: owner.sign
		});
		await db.entries.bulkPut([
			...parts!.map((envelope, i) => ({
				albumId,
				seq: 5 + i,
				docId: snapshotPartsKey('album'),
				item: { type: 'envelope' as const, envelope }
			})),
			{ albumId, seq: 8, docId: 'album', item: { type: 'envelope', envelope: later } }
		]);
		await db.albums.update(albumId, { lastSeq: 8 });

		const album = await AlbumSync.open({ db, albumId, identity: owner, connection: offline() });
		await album.settled();
		expect(album.error).toBeNull();
		expect(album.model!.meta().name).toBe('Trip 2');
		const saved = await db.docState.get([albumId, 'album']);
		expect(saved!.covers).toBe(8);
		expect(saved!.sinceSnapshot.updates).toBe(1);
		expect(saved!.sinceSnapshot.bytes).toBeGreaterThan(0);
		expect(saved!.sinceSnapshot.bytes).toBeLessThan(1_000);
	});
});
