// Spec of how the album model stores PhotoRefs: one binary value per photo, older object values still read and edited, hostile values ignored.

import { beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { AlbumError, AlbumModel, Root, contribDocId, type PhotoRef } from '../../../src/lib/albums';
import { encodePhotoRef } from '../../../src/lib/albums/photo-ref-codec';
import type { AlbumIdentity } from '../../../src/lib/sync';
import { photoFrom, seededRandom, testAlbum, type TestAlbum } from './helpers';

const NOW = 1_800_000_000_000;

let album: TestAlbum;
beforeAll(async () => {
	album = await testAlbum(0x5f0);
});

interface Device {
	model: AlbumModel;
	sent: { docId: string; update: Uint8Array }[];
}

function device(who: AlbumIdentity): Device {
	const model = new AlbumModel({ membership: album.state(), me: album.pk(who), now: () => NOW });
	const sent: Device['sent'] = [];
	model.onLocalUpdate((docId, update) => sent.push({ docId, update }));
	return { model, sent };
}

function sync(from: Device, to: Device): void {
	for (const { docId, update } of from.sent) to.model.applyUpdate(docId, update);
	from.sent.length = 0;
}

/** The photos map of `docId` as a plain Yjs peer sees it after `base` and `from`'s updates. */
function rawPhotos(from: Device, docId: string, base?: Y.Doc): Y.Map<unknown> {
	const doc = new Y.Doc();
	if (base) Y.applyUpdateV2(doc, Y.encodeStateAsUpdateV2(base));
	for (const sent of from.sent) if (sent.docId === docId) Y.applyUpdateV2(doc, sent.update);
	return doc.getMap<unknown>(Root.photos);
}

const refsOf = (model: AlbumModel) => model.view().map((photo) => photo.ref);

describe('photos in a contrib doc', () => {
	it('are stored as one binary value each, which every other device reads back whole', () => {
		const random = seededRandom(1);
		const collab = device(album.people.collab);
		const owner = device(album.people.owner);
		const collabPk = album.pk(album.people.collab);
		const [a, b] = [photoFrom(random, 1), photoFrom(random, 2)];
		b.exif = { camera: 'Pixel 8', gps: { lat: 48.85, lon: 2.35 } };
		b.caption = 'Été 🌅';
		collab.model.addPhotos([a, b]);

		const stored = rawPhotos(collab, contribDocId(collabPk));
		expect(stored.get(a.id)).toBeInstanceOf(Uint8Array);
		expect(stored.get(b.id)).toBeInstanceOf(Uint8Array);

		sync(collab, owner);
		const expected = [a, b].map((photo) => ({ ...photo, addedAt: NOW, addedBy: collabPk }));
		expect(refsOf(owner.model)).toEqual(expected);
		expect(refsOf(collab.model)).toEqual(expected);
	});

	it('written as objects by earlier versions still show, and take captions and removal', () => {
		const random = seededRandom(2);
		const collabPk = album.pk(album.people.collab);
		const docId = contribDocId(collabPk);
		// What an earlier version of the app wrote: the PhotoRef as a plain object.
		const earlier = new Y.Doc();
		const [old1, old2] = [photoFrom(random, 10), photoFrom(random, 11)];
		for (const photo of [old1, old2]) {
			earlier.getMap<unknown>(Root.photos).set(photo.id, {
				...photo,
				addedAt: 1,
				addedBy: collabPk
			});
		}
		const collab = device(album.people.collab);
		const owner = device(album.people.owner);
		for (const { model } of [collab, owner]) {
			model.applyUpdate(docId, Y.encodeStateAsUpdateV2(earlier));
		}
		const fresh = photoFrom(random, 12);
		collab.model.addPhotos([fresh]);
		collab.model.setCaption(old1.id, 'Grandma’s garden');
		collab.model.removeMyPhoto(old2.id);

		// The captioned photo moved to the binary form with all its other fields.
		const stored = rawPhotos(collab, docId, earlier);
		expect(stored.get(old1.id)).toBeInstanceOf(Uint8Array);
		expect(stored.has(old2.id)).toBe(false);
		sync(collab, owner);
		const shown: PhotoRef[] = [
			{ ...old1, addedAt: 1, addedBy: collabPk, caption: 'Grandma’s garden' },
			{ ...fresh, addedAt: NOW, addedBy: collabPk }
		];
		expect(refsOf(owner.model)).toEqual(shown);
		expect(refsOf(collab.model)).toEqual(shown);

		collab.model.setCaption(old1.id, null);
		sync(collab, owner);
		expect(refsOf(owner.model)[0]).toEqual({ ...old1, addedAt: 1, addedBy: collabPk });
	});

	it('are decoded once: reading the album again hands back the same PhotoRefs', () => {
		const random = seededRandom(3);
		const collab = device(album.people.collab);
		collab.model.addPhotos([photoFrom(random, 1), photoFrom(random, 2)]);
		const [first, second] = refsOf(collab.model);
		collab.model.setCaption(second!.id, 'new');
		const again = refsOf(collab.model);
		expect(again[0]).toBe(first);
		expect(again[1]).not.toBe(second);
		expect(again[1]!.caption).toBe('new');
	});

	it('are read afresh when a photo is removed and added again under the same id', () => {
		const random = seededRandom(5);
		const collab = device(album.people.collab);
		const owner = device(album.people.owner);
		const photo = photoFrom(random, 1);
		collab.model.addPhotos([photo, photoFrom(random, 2)]);
		sync(collab, owner);
		expect(refsOf(owner.model)[0]!.filename).toBe(photo.filename);
		collab.model.removeMyPhoto(photo.id);
		sync(collab, owner);
		expect(refsOf(owner.model).map((ref) => ref.id)).not.toContain(photo.id);
		collab.model.addPhotos([{ ...photo, filename: 'IMG_again.jpg' }]);
		sync(collab, owner);
		expect(refsOf(owner.model)[0]).toEqual({
			...photo,
			filename: 'IMG_again.jpg',
			addedAt: NOW,
			addedBy: album.pk(album.people.collab)
		});
	});
});

describe('binary values a malicious writer puts in their own doc', () => {
	it('are ignored unless they decode to a valid PhotoRef under its own id, added by the writer', () => {
		const random = seededRandom(4);
		const collabPk = album.pk(album.people.collab);
		const otherPk = album.pk(album.people.collab2);
		const ref = (takenAt: number, addedBy = collabPk): PhotoRef => ({
			...photoFrom(random, takenAt),
			addedAt: 1,
			addedBy
		});
		const good = ref(10);
		const raw = new Y.Doc();
		const photos = raw.getMap<unknown>(Root.photos);
		photos.set(good.id, encodePhotoRef(good));
		photos.set(photoFrom(random).id, encodePhotoRef(ref(11)));
		const impostor = ref(12, otherPk);
		photos.set(impostor.id, encodePhotoRef(impostor));
		const long = ref(13);
		photos.set(long.id, encodePhotoRef({ ...long, caption: 'x'.repeat(5000) }));
		const cut = ref(14);
		photos.set(cut.id, encodePhotoRef(cut).subarray(0, 40).slice());
		photos.set(photoFrom(random).id, new Uint8Array(0));
		photos.set(photoFrom(random).id, Uint8Array.of(1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff));

		const owner = device(album.people.owner);
		owner.model.applyUpdate(contribDocId(collabPk), Y.encodeStateAsUpdateV2(raw));
		expect(refsOf(owner.model)).toEqual([good]);

		// Nor can the writer's own device edit them as photos.
		const collab = device(album.people.collab);
		collab.model.applyUpdate(contribDocId(collabPk), Y.encodeStateAsUpdateV2(raw));
		for (const id of [impostor.id, long.id, cut.id]) {
			let error: unknown;
			try {
				collab.model.setCaption(id, 'hi');
			} catch (thrown) {
				error = thrown;
			}
			expect(error).toBeInstanceOf(AlbumError);
			expect((error as AlbumError).code).toBe('unknown-photo');
		}
	});
});
