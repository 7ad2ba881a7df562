// Spec of the album model: writers' rules, the album view, convergence in any delivery order, and hostile updates.

import { beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
	AlbumError,
	AlbumModel,
	AlbumUpdateRejected,
	Root,
	contribDocId,
	type AlbumModelOptions,
	type AlbumUpdateRejectedCode
} from '../../../src/lib/albums';
import type { AlbumIdentity } from '../../../src/lib/sync';
import { caught } from '../sync/helpers';
import { photoFrom, seededRandom, testAlbum, type TestAlbum } from './helpers';

let album: TestAlbum;
beforeAll(async () => {
	album = await testAlbum();
});

interface Device {
	model: AlbumModel;
	/** Local updates this device produced, in order. */
	sent: { docId: string; update: Uint8Array }[];
}

function device(who: AlbumIdentity, options: Partial<AlbumModelOptions> = {}): Device {
	const model = new AlbumModel({
		membership: album.state(),
		me: album.pk(who),
		now: () => 1_800_000_000_000,
		...options
	});
	const sent: Device['sent'] = [];
	model.onLocalUpdate((docId, update) => sent.push({ docId, update }));
	return { model, sent };
}

/** Delivers everything `from` sent so far to `to` (in order). */
function sync(from: Device, to: Device): void {
	for (const { docId, update } of from.sent) to.model.applyUpdate(docId, update);
}

async function expectAlbumError(run: () => unknown, code: string): Promise<void> {
	const error = await caught(run);
	expect(error).toBeInstanceOf(AlbumError);
	expect((error as AlbumError).code).toBe(code);
}

function expectUpdateRejected(run: () => unknown, code: AlbumUpdateRejectedCode): void {
	let error: unknown;
	try {
		run();
	} catch (thrown) {
		error = thrown;
	}
	expect(error).toBeInstanceOf(AlbumUpdateRejected);
	expect((error as AlbumUpdateRejected).code).toBe(code);
}

const ids = (model: AlbumModel) => model.view().map((photo) => photo.ref.id);

/** Every doc's encoded state, for byte-for-byte comparison. */
function states(model: AlbumModel): Map<string, Buffer> {
	return new Map(model.docIds().map((docId) => [docId, Buffer.from(model.snapshot(docId))]));
}

describe('writers', () => {
	it('lets a collaborator add, caption and remove their own photos, one update per operation', () => {
		const random = seededRandom(1);
		const collab = device(album.people.collab);
		const photos = [photoFrom(random, 3000), photoFrom(random, 1000), photoFrom(random, 2000)];
		expect(collab.model.addPhotos(photos)).toEqual(photos.map((p) => p.id));
		expect(collab.sent).toHaveLength(1);
		expect(collab.sent[0]!.docId).toBe(contribDocId(album.pk(album.people.collab)));
		expect(collab.model.view().map((p) => p.ref.takenAt)).toEqual([1000, 2000, 3000]);
		const [first] = collab.model.view();
		expect(first!.ref.addedBy).toBe(album.pk(album.people.collab));
		expect(first!.ref.addedAt).toBe(1_800_000_000_000);

		// Adding the same photos again (a retried import) adds nothing.
		expect(collab.model.addPhotos(photos)).toEqual([]);
		collab.model.setCaption(photos[1]!.id, 'At the beach');
		expect(collab.model.view()[0]!.ref.caption).toBe('At the beach');
		collab.model.setCaption(photos[1]!.id, null);
		expect(collab.model.view()[0]!.ref.caption).toBeUndefined();
		collab.model.removeMyPhoto(photos[0]!.id);
		expect(ids(collab.model)).toEqual([photos[1]!.id, photos[2]!.id]);
		// add, caption, caption removed, remove: the retried import sent nothing.
		expect(collab.sent).toHaveLength(4);
	});

	it('refuses, before writing anything, what the role does not allow', async () => {
		const random = seededRandom(2);
		const viewer = device(album.people.viewer);
		await expectAlbumError(() => viewer.model.addPhotos([photoFrom(random)]), 'not-allowed');
		await expectAlbumError(() => viewer.model.rename('Mine now'), 'not-allowed');
		await expectAlbumError(() => viewer.model.hidePhoto(photoFrom(random).id), 'not-allowed');
		expect(viewer.sent).toHaveLength(0);
		expect(viewer.model.view()).toEqual([]);
		// A viewer may still comment and react: their activity doc is theirs in any role.
		viewer.model.addComment(null, 'Lovely');
		expect(viewer.sent).toHaveLength(1);

		const collab = device(album.people.collab);
		await expectAlbumError(() => collab.model.rename('Mine now'), 'not-allowed');
		await expectAlbumError(() => collab.model.hidePhoto(photoFrom(random).id), 'not-allowed');
		await expectAlbumError(() => collab.model.removeMyPhoto(photoFrom(random).id), 'unknown-photo');
		await expectAlbumError(
			() => collab.model.addPhotos([photoFrom(random), { ...photoFrom(random), fileKey: 'short' }]),
			'invalid-photo'
		);
		expect(collab.sent).toHaveLength(0);
		expect(collab.model.view()).toEqual([]);
	});

	it('lets the owner and admins rename, describe, set the cover and hide anyone’s photo', () => {
		const random = seededRandom(3);
		const owner = device(album.people.owner);
		const admin = device(album.people.admin);
		const collab = device(album.people.collab);
		const [a, b] = [photoFrom(random, 1), photoFrom(random, 2)];
		collab.model.addPhotos([a, b]);
		owner.model.rename('Summer');
		admin.model.setDescription('Two weeks by the sea');
		admin.model.setCover(b.id);
		admin.model.setSort('newest-first');
		for (const to of [owner, admin, collab]) {
			for (const from of [owner, admin, collab]) if (from !== to) sync(from, to);
		}
		for (const { model } of [owner, admin, collab]) {
			expect(model.meta()).toEqual({
				kind: 'album',
				name: 'Summer',
				description: 'Two weeks by the sea',
				coverPhotoId: b.id,
				sort: 'newest-first'
			});
			expect(ids(model)).toEqual([b.id, a.id]);
		}
	});
});

describe('hidden photos', () => {
	it('disappear from everyone’s view and come back when unhidden', () => {
		const random = seededRandom(4);
		const owner = device(album.people.owner);
		const collab = device(album.people.collab);
		const viewer = device(album.people.viewer);
		const [a, b] = [photoFrom(random, 1), photoFrom(random, 2)];
		collab.model.addPhotos([a, b]);
		sync(collab, owner);
		owner.model.hidePhoto(a.id);
		for (const to of [collab, viewer]) {
			sync(owner, to);
			if (to !== collab) sync(collab, to);
		}
		for (const { model } of [owner, collab, viewer]) expect(ids(model)).toEqual([b.id]);
		// The photo is still in the collaborator's own doc: hiding is the album's choice.
		expect(
			collab.model.snapshot(contribDocId(album.pk(album.people.collab))).length
		).toBeGreaterThan(0);

		owner.sent.length = 0;
		owner.model.unhidePhoto(a.id);
		sync(owner, viewer);
		expect(ids(viewer.model)).toEqual([a.id, b.id]);
	});
});

describe('what a malicious writer puts in their own doc', () => {
	it('is ignored unless it is a valid PhotoRef under its own id, added by the doc’s writer', () => {
		const random = seededRandom(5);
		const collabPk = album.pk(album.people.collab);
		const otherPk = album.pk(album.people.collab2);
		// The collaborator writes their doc with raw Yjs, bypassing the model's checks.
		const raw = new Y.Doc();
		const good = { ...photoFrom(random, 10), addedAt: 1, addedBy: collabPk };
		const photos = raw.getMap<unknown>(Root.photos);
		photos.set(good.id, good);
		const underOtherKey = { ...photoFrom(random, 11), addedAt: 1, addedBy: collabPk };
		photos.set(photoFrom(random).id, underOtherKey);
		const impostor = { ...photoFrom(random, 12), addedAt: 1, addedBy: otherPk };
		photos.set(impostor.id, impostor);
		const noKey = { ...photoFrom(random, 13), addedAt: 1, addedBy: collabPk, fileKey: undefined };
		photos.set(noKey.id, noKey);
		const extra = { ...photoFrom(random, 14), addedAt: 1, addedBy: collabPk, script: '<x>' };
		photos.set(extra.id, extra);
		const huge = {
			...photoFrom(random, 15),
			addedAt: 1,
			addedBy: collabPk,
			caption: 'x'.repeat(5000)
		};
		photos.set(huge.id, huge);
		photos.set(photoFrom(random).id, 'not a photo');
		photos.set(photoFrom(random).id, null);
		// List items under the same root name, from another of the writer's docs: not map entries.
		const asList = new Y.Doc();
		asList.getArray<unknown>(Root.photos).push([good, good]);

		const owner = device(album.people.owner);
		owner.model.applyUpdate(contribDocId(collabPk), Y.encodeStateAsUpdateV2(raw));
		owner.model.applyUpdate(contribDocId(collabPk), Y.encodeStateAsUpdateV2(asList));
		expect(ids(owner.model)).toEqual([good.id]);

		// Nor can an admin's stray value in `hidden` hide anything: only `true` hides.
		const rawAlbum = new Y.Doc();
		rawAlbum.getMap<unknown>(Root.hidden).set(good.id, 'yes');
		rawAlbum.getMap<unknown>(Root.meta).set('name', 42);
		owner.model.applyUpdate('album', Y.encodeStateAsUpdateV2(rawAlbum));
		expect(ids(owner.model)).toEqual([good.id]);
		expect(owner.model.meta().name).toBe('');
	});
});

/** 30 bytes that announce `count` GC structs (Yjs V2 run-length encoding repeats them). */
function gcBomb(count: number): Uint8Array {
	const varuint = (n: number): number[] => {
		const out: number[] = [];
		while (n >= 0x80) {
			out.push((n % 128) | 0x80);
			n = Math.floor(n / 128);
		}
		out.push(n);
		return out;
	};
	const column = (bytes: number[]) => [...varuint(bytes.length), ...bytes];
	return new Uint8Array([
		0,
		...column([]),
		...column([5]),
		...column([]),
		...column([]),
		...column([0]),
		...column([0]),
		...column([]),
		...column([]),
		...column([0x41, ...varuint(count)]),
		1,
		...varuint(count),
		0,
		0
	]);
}

describe('hostile updates', () => {
	it('refuses a decode bomb, an oversized update and garbage, leaving the doc as it was', () => {
		const random = seededRandom(6);
		const collab = device(album.people.collab);
		collab.model.addPhotos([photoFrom(random, 1)]);
		const owner = device(album.people.owner, { maxUpdateBytes: 64 * 1024 });
		sync(collab, owner);
		const docId = contribDocId(album.pk(album.people.collab));
		const before = states(owner.model);
		const viewBefore = owner.model.view();

		// The same shape with three structs is a valid update: the bound is what refuses the bomb.
		const small = new Y.Doc();
		Y.applyUpdateV2(small, gcBomb(3));
		expect(Y.decodeStateVector(Y.encodeStateVector(small)).get(5)).toBe(3);
		expectUpdateRejected(() => owner.model.applyUpdate(docId, gcBomb(2 ** 30)), 'decode-bomb');

		expectUpdateRejected(
			() => owner.model.applyUpdate(docId, new Uint8Array(64 * 1024 + 1)),
			'too-large'
		);
		const garbage = seededRandom(7)(200);
		expectUpdateRejected(() => owner.model.applyUpdate(docId, garbage), 'malformed');
		const real = collab.sent[0]!.update;
		expectUpdateRejected(
			() => owner.model.applyUpdate(docId, real.slice(0, real.length - 3)),
			'malformed'
		);
		expectUpdateRejected(() => owner.model.applyUpdate('photos', real), 'unknown-doc');

		expect(states(owner.model)).toEqual(before);
		expect(owner.model.view()).toEqual(viewBefore);
	});
});

describe('convergence', () => {
	it('converges to the same view and the same encoded state whatever the delivery order', () => {
		const SEED = Number(process.env.ALBUM_SEED ?? 424242);
		const random = seededRandom(SEED);
		const pick = <T>(items: readonly T[]): T => items[random(1)[0]! % items.length]!;
		const owner = device(album.people.owner);
		const ownerPhone = device(album.people.owner);
		const collab = device(album.people.collab);
		const collab2 = device(album.people.collab2);
		const devices = [owner, ownerPhone, collab, collab2];
		const inboxes = new Map<Device, { docId: string; update: Uint8Array }[]>(
			devices.map((d) => [d, []])
		);
		const delivered = new Map<Device, number>(devices.map((d) => [d, 0]));
		const mine = new Map<Device, string[]>(devices.map((d) => [d, []]));
		const queue = () => {
			for (const from of devices) {
				const start = delivered.get(from)!;
				for (const item of from.sent.slice(start)) {
					for (const to of devices) if (to !== from) inboxes.get(to)!.push(item);
				}
				delivered.set(from, from.sent.length);
			}
		};
		const deliverSome = (to: Device) => {
			const inbox = inboxes.get(to)!;
			const count = random(1)[0]! % (inbox.length + 1);
			for (let i = 0; i < count; i++) {
				const index = random(2)[0]! % inbox.length;
				const [item] = inbox.splice(index, 1);
				to.model.applyUpdate(item!.docId, item!.update);
				if (random(1)[0]! % 5 === 0) to.model.applyUpdate(item!.docId, item!.update); // duplicate
			}
		};

		for (let step = 0; step < 150; step++) {
			const d = pick(devices);
			const own = mine.get(d)!;
			const seen = d.model.view().map((p) => p.ref.id);
			const action = random(1)[0]! % 10;
			try {
				if (action < 4) {
					const photos = Array.from({ length: 1 + (random(1)[0]! % 3) }, () => photoFrom(random));
					own.push(...d.model.addPhotos(photos));
				} else if (action === 4 && own.length > 0) {
					const id = pick(own);
					d.model.removeMyPhoto(id);
					own.splice(own.indexOf(id), 1);
				} else if (action === 5 && own.length > 0) {
					d.model.setCaption(pick(own), `caption ${step}`);
				} else if (action === 6 && seen.length > 0) {
					d.model.hidePhoto(pick(seen));
				} else if (action === 7 && seen.length > 0) {
					d.model.unhidePhoto(pick(seen));
				} else if (action === 8) {
					d.model.rename(`Album ${step}`);
				} else {
					queue();
					deliverSome(pick(devices));
				}
			} catch (error) {
				// Collaborators may not hide or rename; a photo removed on another device is gone.
				expect(error).toBeInstanceOf(AlbumError);
				expect(['not-allowed', 'unknown-photo']).toContain((error as AlbumError).code);
			}
		}
		// Let every message arrive, in random order.
		queue();
		for (const d of devices) {
			const inbox = inboxes.get(d)!;
			while (inbox.length > 0) deliverSome(d);
		}

		const reference = owner.model.view();
		expect(reference.length).toBeGreaterThan(10);
		const referenceStates = states(owner.model);
		for (const d of devices.slice(1)) {
			expect(d.model.view()).toEqual(reference);
			expect(d.model.meta()).toEqual(owner.model.meta());
			expect(states(d.model)).toEqual(referenceStates);
		}
		// The two owner devices wrote the same contrib doc; both devices' photos are in it.
		expect(new Set(reference.map((p) => p.docId)).size).toBeLessThanOrEqual(3);
	});
});

describe('snapshots and large albums', () => {
	it('a snapshot plus later updates gives a fresh device the live state', () => {
		const random = seededRandom(8);
		const collab = device(album.people.collab);
		const owner = device(album.people.owner);
		collab.model.addPhotos([photoFrom(random), photoFrom(random)]);
		owner.model.rename('Trip');
		const docId = contribDocId(album.pk(album.people.collab));
		const snapshotContrib = collab.model.snapshot(docId);
		const snapshotAlbum = owner.model.snapshot('album');
		const mark = collab.sent.length;
		const later = photoFrom(random);
		collab.model.addPhotos([later]);
		collab.model.setCaption(later.id, 'after the snapshot');
		owner.model.hidePhoto(later.id);
		owner.model.unhidePhoto(later.id);

		const fresh = device(album.people.viewer);
		fresh.model.applyUpdate(docId, snapshotContrib);
		fresh.model.applyUpdate('album', snapshotAlbum);
		for (const { docId: d, update } of collab.sent.slice(mark)) fresh.model.applyUpdate(d, update);
		for (const { docId: d, update } of owner.sent.slice(1)) fresh.model.applyUpdate(d, update);
		sync(owner, collab);

		expect(fresh.model.view()).toEqual(collab.model.view());
		expect(fresh.model.view()).toHaveLength(3);
		expect(fresh.model.snapshot(docId)).toEqual(collab.model.snapshot(docId));
		expect(fresh.model.meta().name).toBe('Trip');
	});

	it('builds a 10,000-photo contrib doc in one transaction and sorts its view', () => {
		const random = seededRandom(9);
		const collab = device(album.people.collab, { maxUpdateBytes: 64 * 1024 * 1024 });
		const photos = Array.from({ length: 10_000 }, () => photoFrom(random));
		expect(collab.model.addPhotos(photos)).toHaveLength(10_000);
		expect(collab.sent).toHaveLength(1);
		const view = collab.model.view();
		expect(view).toHaveLength(10_000);
		for (let i = 1; i < view.length; i++) {
			const [a, b] = [view[i - 1]!.ref, view[i]!.ref];
			expect(a.takenAt < b.takenAt || (a.takenAt === b.takenAt && a.id < b.id)).toBe(true);
		}
		// The whole doc as one legitimate update passes the decode-bomb bound.
		const docId = contribDocId(album.pk(album.people.collab));
		const state = collab.model.snapshot(docId);
		const other = device(album.people.owner);
		// Too big for one envelope, but a device loads it from its own database.
		expectUpdateRejected(() => other.model.applyUpdate(docId, state), 'too-large');
		other.model.loadLocalState(docId, state);
		expect(other.model.view()).toEqual(view);
	});
});

describe('local edits after remote ones', () => {
	it('still sends a device its own edits after it applied, or refused, updates from others', () => {
		const random = seededRandom(41);
		const collab = device(album.people.collab);
		const other = device(album.people.collab);
		other.model.addPhotos([photoFrom(random, 1000)]);
		sync(other, collab);
		expectUpdateRejected(
			() =>
				collab.model.applyUpdate(
					contribDocId(album.pk(album.people.collab)),
					Uint8Array.of(1, 2, 3)
				),
			'malformed'
		);
		expect(collab.sent).toHaveLength(0);
		collab.model.addPhotos([photoFrom(random, 2000)]);
		expect(collab.sent).toHaveLength(1);
		sync(collab, other);
		expect(ids(other.model)).toEqual(ids(collab.model));
		expect(ids(other.model)).toHaveLength(2);
	});
});

describe('the Library timeline and partner albums', () => {
	it('keeps the shared albums shown in the timeline in the album doc, synced to every device', () => {
		const phone = device(album.people.owner);
		const laptop = device(album.people.owner);
		const shown = 'AAAAAAAAAAAAAAAAAAAAAA';
		phone.model.setInTimeline(shown, true);
		sync(phone, laptop);
		expect([...laptop.model.timeline()]).toEqual([shown]);
		laptop.model.setInTimeline(shown, false);
		sync(laptop, phone);
		expect(phone.model.timeline().size).toBe(0);
	});

	it('refuses a bad album id, ignores stray values, and lets no one but managers write it', async () => {
		const owner = device(album.people.owner);
		await expectAlbumError(() => owner.model.setInTimeline('not an id', true), 'invalid-value');
		const stray = new Y.Doc();
		stray.getMap(Root.timeline).set('BBBBBBBBBBBBBBBBBBBBBB', 'yes');
		stray.getMap(Root.timeline).set('../../etc', true);
		owner.model.applyUpdate('album', Y.encodeStateAsUpdateV2(stray));
		expect(owner.model.timeline().size).toBe(0);
		await expectAlbumError(
			() => device(album.people.viewer).model.setInTimeline('AAAAAAAAAAAAAAAAAAAAAA', true),
			'not-allowed'
		);
	});

	it('marks a partner album, which other devices read as such', () => {
		const owner = device(album.people.owner);
		const other = device(album.people.collab);
		owner.model.markAsPartner();
		sync(owner, other);
		expect(other.model.meta().kind).toBe('partner');
	});
});
