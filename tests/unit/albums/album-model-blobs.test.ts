// Spec of the blob ids a local update carries: exactly those of the PhotoRefs it adds, so the relay binds them to the album.

import { beforeAll, describe, expect, it } from 'vitest';
import { AlbumModel, contribDocId } from '../../../src/lib/albums';
import { photoFrom, seededRandom, testAlbum, type TestAlbum } from './helpers';

let album: TestAlbum;
beforeAll(async () => {
	album = await testAlbum(0xb10b);
});

function collaborator() {
	const model = new AlbumModel({
		membership: album.state(),
		me: album.pk(album.people.collab),
		now: () => 1_800_000_000_000
	});
	const sent: { docId: string; blobs: readonly string[] }[] = [];
	model.onLocalUpdate((docId, _update, blobs) => sent.push({ docId, blobs }));
	return { model, sent };
}

describe('blob ids of a local update', () => {
	it('are those of the photos the update adds: original, thumbnail and preview, each once', () => {
		const random = seededRandom(7);
		const { model, sent } = collaborator();
		const plain = photoFrom(random, 1);
		const withPreview = { ...photoFrom(random, 2) };
		withPreview.blobs = { ...withPreview.blobs, preview: photoFrom(random).blobs.original };
		model.addPhotos([plain, withPreview]);
		expect(sent).toEqual([
			{
				docId: contribDocId(album.pk(album.people.collab)),
				blobs: [
					plain.blobs.original,
					plain.blobs.thumb,
					withPreview.blobs.original,
					withPreview.blobs.thumb,
					withPreview.blobs.preview
				]
			}
		]);
	});

	it('leave out photos already in the doc, and are empty for every other change', () => {
		const random = seededRandom(8);
		const { model, sent } = collaborator();
		const first = photoFrom(random, 1);
		const second = photoFrom(random, 2);
		model.addPhotos([first]);
		model.addPhotos([first, second]);
		model.setCaption(first.id, 'a caption');
		model.removeMyPhoto(second.id);
		// Adding only what is there already changes nothing: no update at all.
		model.addPhotos([first]);
		expect(sent.map((update) => update.blobs)).toEqual([
			[first.blobs.original, first.blobs.thumb],
			[second.blobs.original, second.blobs.thumb],
			[],
			[]
		]);
	});
});
