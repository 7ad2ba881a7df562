// AlbumSync folds the stored envelopes it verified on open into the device-sealed doc state, and still refuses whatever was written into the database without the device key.

import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { deriveDocKey, toBase64Url } from '../../../../src/lib/crypto';
import type { TesseraDB } from '../../../../src/lib/local/db';
import type { Envelope, MembershipEntry } from '../../../../src/lib/protocol';
import {
	MembershipChain,
	hashMembershipEntry,
	memberKeysOf,
	type AlbumIdentity
} from '../../../../src/lib/sync';
import { sealEnvelope } from '../../../../src/lib/sync/envelope';
import {
	AlbumSync,
	LocalAlbum,
	type Clock,
	type RejectedItem
} from '../../../../src/lib/sync/engine';
import { caught, identityFrom, seededRandom } from '../helpers';
import { freshDb, offline, rename as renameUpdate } from './helpers';

/** Timers run only when the test says so. */
class ManualClock implements Clock {
	private timers = new Map<number, () => void>();
	private next = 0;
	now(): number {
		return 0;
	}
	setTimeout(fn: () => void, _ms: number): number {
		this.timers.set(++this.next, fn);
		return this.next;
	}
	clearTimeout(handle: unknown): void {
		this.timers.delete(handle as number);
	}
	runAll(): void {
		const due = [...this.timers.values()];
		this.timers.clear();
		for (const fn of due) fn();
	}
}

/** Updates of the album doc made one after another on one device (so the last name wins). */
function renames(count: number): Uint8Array[] {
	const doc = new Y.Doc();
	const updates: Uint8Array[] = [];
	doc.on('updateV2', (update: Uint8Array) => updates.push(update));
	for (let i = 1; i <= count; i++) doc.getMap('meta').set('name', `Trip ${i}`);
	return updates;
}

function describing(text: string): Uint8Array {
	const doc = new Y.Doc();
	doc.getMap('meta').set('description', text);
	return Y.encodeStateAsUpdateV2(doc);
}

const RENAMES = 5;
const LOCAL_COMPACTION = 3;

/**
 * A device database holding an owner's album: chain (seq 1–2, owner + viewer), five renames by
 * the owner (seq 3–7) and, written straight into the database, the viewer's correctly sealed and
 * signed description (seq 8), which a viewer may not write.
 */
async function storedAlbum() {
	const random = seededRandom(99);
	const owner = await identityFrom(random);
	const viewer = await identityFrom(random);
	const { albumId, genesis, epochKey, chain } = await MembershipChain.createAlbum(owner);
	const add = await chain.addMember(owner, memberKeysOf(viewer), 'viewer', epochKey);
	await chain.append(add);
	const seal = async (by: AlbumIdentity, update: Uint8Array) =>
		sealEnvelope({
			albumId,
			docId: 'album',
			kind: 'update',
			epoch: 0,
			chainIndex: 1,
			update,
			docKey: await deriveDocKey(epochKey, 'album'),
			signer: by.sign
		});
	const db = freshDb();
	const membership = (seq: number, entry: MembershipEntry) => ({
		albumId,
		seq,
		docId: '',
		item: { type: 'membership' as const, entry }
	});
	const envelope = (seq: number, env: Envelope) => ({
		albumId,
		seq,
		docId: 'album',
		item: { type: 'envelope' as const, envelope: env }
	});
	const updates = renames(RENAMES);
	await db.entries.bulkPut([
		membership(1, genesis),
		membership(2, add),
		...(await Promise.all(updates.map(async (u, i) => envelope(3 + i, await seal(owner, u))))),
		envelope(8, await seal(viewer, describing('hacked by a viewer')))
	]);
	await db.albums.put({
		albumId,
		lastSeq: 8,
		head: { index: 1, hash: toBase64Url(await hashMembershipEntry(add)) },
		role: 'owner',
		epoch: 0,
		updatedAt: 0
	});
	const open = (clock: Clock = new ManualClock()) =>
		AlbumSync.open({
			db,
			albumId,
			identity: owner,
			connection: offline(),
			clock,
			localCompaction: LOCAL_COMPACTION
		});
	return { db, albumId, owner, viewer, epochKey, seal, open };
}

function storedEnvelopes(db: TesseraDB, albumId: string): Promise<number> {
	return db.entries
		.where('[albumId+docId+seq]')
		.between([albumId, 'album', 0], [albumId, 'album', Infinity])
		.count();
}

describe('AlbumSync folds what it verified on open into the sealed doc state', () => {
	it('compacts the docs of the stored envelopes it checked, so the next open checks none', async () => {
		const { db, albumId, open } = await storedAlbum();
		const clock = new ManualClock();
		const album = await open(clock);
		expect(album.model!.meta().name).toBe(`Trip ${RENAMES}`);
		// Shown first; the envelopes are still there until the fold runs.
		expect(await storedEnvelopes(db, albumId)).toBe(RENAMES + 1);

		clock.runAll();
		await album.settled();
		expect(album.error).toBeNull();
		expect(await storedEnvelopes(db, albumId)).toBe(0);
		const state = (await db.docState.get([albumId, 'album']))!;
		expect(state.covers).toBe(8);
		// Sealed at rest: the name is nowhere in the row.
		expect(Buffer.from(state.state.ciphertext).includes('Trip')).toBe(false);
		await album.close();

		const again = await open();
		expect(again.model!.meta()).toMatchObject({ name: `Trip ${RENAMES}`, description: '' });
	});

	it('compacts after an open that checked few envelopes when they were large', async () => {
		const { db, albumId, owner, seal, open } = await storedAlbum();
		// Two imports of 600 KB each (over 1 MiB in all), under the threshold of 3 envelopes.
		await db.entries.bulkDelete(
			[3, 4, 5, 6, 7, 8].map((seq) => [albumId, seq] as [string, number])
		);
		const doc = new Y.Doc();
		const updates: Uint8Array[] = [];
		doc.on('updateV2', (update: Uint8Array) => updates.push(update));
		for (const key of ['a', 'b']) doc.getMap('notes').set(key, 'x'.repeat(600_000));
		await db.entries.bulkPut(
			await Promise.all(
				updates.map(async (update, i) => ({
					albumId,
					seq: 9 + i,
					docId: 'album',
					item: { type: 'envelope' as const, envelope: await seal(owner, update) }
				}))
			)
		);
		await db.albums.update(albumId, { lastSeq: 10 });
		const clock = new ManualClock();
		const album = await open(clock);
		clock.runAll();
		await album.settled();
		expect(await storedEnvelopes(db, albumId)).toBe(0);
		expect((await db.docState.get([albumId, 'album']))?.covers).toBe(10);
	});

	it('leaves the stored envelopes alone after an open that checked fewer than a compaction covers', async () => {
		const { db, albumId, open } = await storedAlbum();
		// Four of the six rows gone (as if compacted before): two left, under the threshold of 3.
		await db.entries.bulkDelete([3, 4, 5, 6].map((seq) => [albumId, seq] as [string, number]));
		const clock = new ManualClock();
		const album = await open(clock);
		clock.runAll();
		await album.settled();
		expect(await storedEnvelopes(db, albumId)).toBe(2);
	});

	it('still refuses envelopes forged into the database after the fold (I2)', async () => {
		const { db, albumId, viewer, owner, seal, open } = await storedAlbum();
		const clock = new ManualClock();
		const album = await open(clock);
		clock.runAll();
		await album.settled();
		await album.close();

		const forged = await seal(viewer, describing('hacked after the fold'));
		// The owner's envelope passed off as the viewer's: the signature no longer matches.
		const renamed = await seal(owner, describing('claimed by someone else'));
		await db.entries.bulkPut([
			{ albumId, seq: 9, docId: 'album', item: { type: 'envelope', envelope: forged } },
			{
				albumId,
				seq: 10,
				docId: 'album',
				item: { type: 'envelope', envelope: { ...renamed, by: memberKeysOf(viewer).signPk } }
			}
		]);
		await db.albums.update(albumId, { lastSeq: 10 });
		const again = await open();
		expect(again.error).toBeNull();
		expect(again.model!.meta()).toMatchObject({ name: `Trip ${RENAMES}`, description: '' });
	});

	it('shows nothing from a doc state this device did not seal', async () => {
		const { db, albumId, open } = await storedAlbum();
		const clock = new ManualClock();
		const album = await open(clock);
		clock.runAll();
		await album.settled();
		await album.close();
		expect(await db.docState.count()).toBe(1);
		// Another device's database (its own device key), holding a state that says otherwise.
		const other = freshDb();
		const doc = new Y.Doc();
		doc.getMap('meta').set('name', 'Sealed elsewhere');
		await new LocalAlbum(other, albumId).compact('album', Y.encodeStateAsUpdateV2(doc), 8, {
			updates: 0,
			bytes: 0
		});
		await db.docState.put((await other.docState.get([albumId, 'album']))!);

		const error = await caught(() => open());
		expect(error).toMatchObject({ code: 'device-vault-unreadable' });
	});
});

describe('envelopes stored while waiting for their key', () => {
	it('wait again after a reload, survive the fold, and apply once the key arrives', async () => {
		const random = seededRandom(7);
		const owner = await identityFrom(random);
		const collab = await identityFrom(random);
		const viewer = await identityFrom(random);
		const { albumId, genesis, epochKey, chain } = await MembershipChain.createAlbum(owner);
		const addCollab = await chain.addMember(owner, memberKeysOf(collab), 'collaborator', epochKey);
		await chain.append(addCollab);
		const rename = async (
			at: { epoch: number; chainIndex: number },
			key: Uint8Array,
			name: string
		) =>
			sealEnvelope({
				albumId,
				docId: 'album',
				kind: 'update',
				...at,
				update: renameUpdate(name),
				docKey: await deriveDocKey(key, 'album'),
				signer: owner.sign
			});
		const before = await rename({ epoch: 0, chainIndex: 1 }, epochKey, 'Old');
		const removal = await chain.removeMember(owner, memberKeysOf(collab).signPk, new Map());
		await chain.append(removal.entry);
		const after = await rename({ epoch: 1, chainIndex: 2 }, removal.epochKey, 'New');
		const addViewer = await chain.addMember(
			owner,
			memberKeysOf(viewer),
			'viewer',
			removal.epochKey
		);
		await chain.append(addViewer);

		// The viewer's device catches up from seq 0 and is closed before its own add arrives.
		const db = freshDb();
		const items: (MembershipEntry | Envelope)[] = [
			genesis,
			addCollab,
			before,
			removal.entry,
			after
		];
		const first = await AlbumSync.open({ db, albumId, identity: viewer, connection: offline() });
		items.forEach((item, i) => first.onFrame(frame(albumId, i + 1, item)));
		await first.settled();
		await first.close();
		expect(await storedEnvelopes(db, albumId)).toBe(2);

		const clock = new ManualClock();
		const rejected: RejectedItem[] = [];
		const album = await AlbumSync.open(
			{ db, albumId, identity: viewer, connection: offline(), clock, localCompaction: 1 },
			{ rejected: (item) => rejected.push(item) }
		);
		clock.runAll();
		await album.settled();
		expect(await storedEnvelopes(db, albumId)).toBe(2);

		album.onFrame(frame(albumId, 6, addViewer));
		await album.settled();
		expect(album.model!.meta().name).toBe('New');
		album.onFrame({ t: 'caught-up', albumId, seq: 6 });
		await album.settled();
		// Sealed under an epoch this device was never given: reported once the catch-up ends.
		expect(rejected.map(({ seq, code }) => ({ seq, code }))).toEqual([{ seq: 3, code: 'no-key' }]);
		expect(album.error).toBeNull();
	});
});

function frame(albumId: string, seq: number, item: MembershipEntry | Envelope) {
	return {
		t: 'entry' as const,
		albumId,
		seq,
		item:
			'op' in item
				? { type: 'membership' as const, entry: item }
				: { type: 'envelope' as const, envelope: item }
	};
}
