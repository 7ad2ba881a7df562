// The library against the real relay: import into the private library album, one copy per file, uploads, a second device, trash.

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { getSodium } from '../../../src/lib/crypto';
import { Albums } from '../../../src/lib/library/albums';
import type { PhotoRef } from '../../../src/lib/albums/photo-ref';
import { Library, type MediaReader } from '../../../src/lib/library/library';
import { PhotoReader } from '../../../src/lib/library/photo-reader';
import type { ImportedMedia } from '../../../src/lib/media';
import { BlobCache, BlobDeletions, BlobDownloader, UploadQueue } from '../../../src/lib/transfer';
import { startTestRelay, type TestRelay } from '../helpers/relay';
import { seedAccount, type SeededAccount } from '../helpers/stream';
import { eventually, makeDevice, type Device } from '../sync/helpers';
import { getBlob, usageOf } from '../uploads/helpers';

let relay: TestRelay;
let alice: SeededAccount;
const devices: Device[] = [];
const queues: UploadQueue[] = [];
const stoppers: (() => void)[] = [];
const remembered = new WeakMap<object, string>();

beforeAll(async () => {
	relay = await startTestRelay();
	alice = await seedAccount(relay.dataDir, 'alice');
});

afterEach(async () => {
	for (const stop of stoppers.splice(0)) stop();
	for (const queue of queues.splice(0)) await queue.stop();
	for (const device of devices.splice(0)) await device.engine.stop();
});

afterAll(async () => {
	await relay?.stop();
});

/**
 * What importMedia reports for a file, computed from its bytes the way the worker does where Node
 * can (the BLAKE2b content hash); the renditions are small stand-ins, since Node has no image
 * decoder (the browser pipeline itself runs in the e2e tests).
 */
const readMedia: MediaReader = async (file) => {
	const bytes = new Uint8Array(await file.arrayBuffer());
	const sodium = await getSodium();
	const name = (file as File).name;
	const takenAt = Number(/(\d+)/.exec(name)?.[1] ?? 0) * 86_400_000;
	return {
		kind: 'image',
		mime: 'image/jpeg',
		filename: name,
		size: bytes.length,
		width: 4000,
		height: 3000,
		takenAt,
		takenAtSource: 'exif-offset',
		orientation: 1,
		exif: { camera: 'Tessera Test Camera' },
		thumb: { bytes: bytes.slice(0, 64), mime: 'image/webp', width: 512, height: 384 },
		thumbhash: Uint8Array.of(1, 2, 3),
		contentHash: sodium.crypto_generichash(32, bytes, null),
		decodable: true
	} satisfies ImportedMedia;
};

function photoFile(name: string, fill: number, size = 300_000): File {
	const bytes = new Uint8Array(size).fill(fill);
	bytes.set(new TextEncoder().encode(`LIBRARY-MARKER-${fill}`));
	return new File([bytes], name, { type: 'image/jpeg' });
}

async function openDevice(name: string, account: SeededAccount): Promise<Device> {
	const device = makeDevice({
		name: `${name}-${Math.random()}`,
		identity: account.identity,
		token: account.token,
		url: () => relay.wsUrl,
		random: Math.random
	});
	devices.push(device);
	device.engine.start();
	return device;
}

async function openLibrary(name: string, account: SeededAccount = alice) {
	const device = await openDevice(name, account);
	const endpoint = { baseUrl: relay.url, token: () => account.token };
	const cache = new BlobCache(device.db);
	const uploads = new UploadQueue({
		...endpoint,
		db: device.db,
		cache,
		fileChunkSize: 64 * 1024,
		requestBytes: 256 * 1024,
		retryDelays: [0, 50, 200]
	});
	queues.push(uploads);
	await uploads.start();
	const deletions = new BlobDeletions({ ...endpoint, db: device.db, retryDelays: [20, 50] });
	stoppers.push(() => deletions.stop());
	const library = await Library.open({
		engine: device.engine,
		uploads,
		reader: new PhotoReader(new BlobDownloader({ ...endpoint, db: device.db, cache })),
		cache,
		readMedia,
		place: {
			known: async () => remembered.get(device.db) ?? null,
			remember: async (albumId) => void remembered.set(device.db, albumId),
			accountAlbums: async () =>
				(await device.engine.listAlbums())
					.filter((album) => album.role === 'owner')
					.map((album) => album.albumId)
		},
		deletions
	});
	return { device, uploads, library, deletions };
}

describe('Library', () => {
	it('imports into a private library album, newest first, one copy per file', async () => {
		const { library, uploads } = await openLibrary('one');
		expect(library.model.meta().kind).toBe('library');
		const progress: number[] = [];
		const report = await library.import(
			[photoFile('day-3.jpg', 3), photoFile('day-1.jpg', 1), photoFile('day-2.jpg', 2)],
			(p) => progress.push(p.read)
		);
		expect(report.imported).toHaveLength(3);
		expect(progress.at(-1)).toBe(3);
		expect(library.photos().map((p) => p.ref.filename)).toEqual([
			'day-3.jpg',
			'day-2.jpg',
			'day-1.jpg'
		]);

		// The same bytes under another name are the same photo.
		const again = await library.import([photoFile('copy-of-day-2.jpg', 2)]);
		expect(again.imported).toHaveLength(0);
		expect(again.duplicates).toEqual([
			{ name: 'copy-of-day-2.jpg', photoId: library.photos()[1]!.ref.id }
		]);

		// Thumbnails show before the upload finishes (from the device), and originals arrive.
		const first = library.photos()[0]!.ref;
		expect(await library.thumbnail(first.id)).toEqual(
			(await readMedia(photoFile('day-3.jpg', 3), {})).thumb!.bytes
		);
		await uploads.whenIdle();
		expect(uploads.snapshot().overall.failed).toBe(0);
		const large = await library.large(first.id, {});
		expect(new TextDecoder().decode(large.bytes.slice(0, 16))).toBe('LIBRARY-MARKER-3');
	});

	it('opens the same library on another device of the account, and trash is shared', async () => {
		const bob = await seedAccount(relay.dataDir, 'bob');
		const first = await openLibrary('first', bob);
		await first.library.import([photoFile('day-7.jpg', 7), photoFile('day-8.jpg', 8)]);
		await first.uploads.whenIdle();
		const albumId = first.library.albumId;

		// A fresh device (its own database, nothing cached) finds the library among the account's albums.
		const second = await openLibrary('second', bob);
		expect(second.library.albumId).toBe(albumId);
		await eventually(
			() => second.library.photos().length === 2,
			'the photos reach the second device'
		);
		const photo = second.library.photos()[0]!.ref;
		expect(photo.filename).toBe('day-8.jpg');
		// Its bytes come from the relay, decrypted with the key from the encrypted doc.
		const large = await second.library.large(photo.id, {});
		expect(new TextDecoder().decode(large.bytes.slice(0, 16))).toBe('LIBRARY-MARKER-8');

		second.library.trash([photo.id]);
		expect(second.library.photos()).toHaveLength(1);
		await eventually(
			() => first.library.trashed().some((p) => p.ref.id === photo.id),
			'the trash reaches the first device'
		);
		first.library.restore([photo.id]);
		await eventually(() => second.library.photos().length === 2, 'the restore reaches back');
	});

	it('answers at once after a change, and tells listeners once per burst of changes', async () => {
		const carol = await seedAccount(relay.dataDir, 'carol');
		const { library } = await openLibrary('burst', carol);
		let imported = 0;
		const stopImportListener = library.subscribe(() => imported++);
		await library.import([photoFile('day-4.jpg', 4), photoFile('day-5.jpg', 5)]);
		// An import resolves once listeners have heard of its photos (the grid shows them then).
		expect(imported).toBeGreaterThan(0);
		stopImportListener();
		const [newest, older] = library.photos().map((p) => p.ref.id) as [string, string];
		let told = 0;
		library.subscribe(() => told++);

		library.trash([newest]);
		expect(library.photos().map((p) => p.ref.id)).toEqual([older]);
		library.restore([newest]);
		library.trash([older]);
		expect(library.photos().map((p) => p.ref.id)).toEqual([newest]);
		expect(library.trashed().map((p) => p.ref.id)).toEqual([older]);
		expect(told).toBe(0);
		// One notification for the three changes (the relay's acknowledgements may bring more later).
		await eventually(() => told > 0, 'listeners to hear of the changes');
		expect(told).toBe(1);
	});

	it('a new library is on the relay when it opens, and a half-created album is never taken for it', async () => {
		const carol = await seedAccount(relay.dataDir, 'carol');
		// A tab closed right after an album's first entry: the relay holds an album with no name or kind.
		const interrupted = await openDevice('interrupted', carol);
		const { album: blank } = await interrupted.engine.createAlbum({});
		await interrupted.engine.stop();

		const first = await openLibrary('first', carol);
		expect(first.library.albumId).not.toBe(blank.albumId);
		// Closed at once: the library's kind had already reached the relay.
		await first.device.engine.stop();

		const second = await openLibrary('second', carol);
		expect(second.library.albumId).toBe(first.library.albumId);
		const albums = new Albums({
			engine: second.device.engine,
			db: second.device.db,
			identity: second.device.engine.identity,
			library: second.library
		});
		expect(await albums.list()).toEqual([]);
		const named = await albums.create('Named at once');
		expect((await albums.list()).map((album) => album.albumId)).toEqual([named]);
	});

	it('frees the blobs of a photo deleted for good on the relay, and keeps those a copy in an album still shows', async () => {
		const dan = await seedAccount(relay.dataDir, 'dan');
		const { device, library, uploads, deletions } = await openLibrary('deleting', dan);
		await library.import([photoFile('day-11.jpg', 11), photoFile('day-12.jpg', 12)]);
		await uploads.whenIdle();
		const [kept, freed] = library.photos().map((p) => p.ref) as [PhotoRef, PhotoRef];
		const albums = new Albums({
			engine: device.engine,
			db: device.db,
			identity: device.engine.identity,
			library
		});
		await albums.create('Trip', [kept.id]);
		const before = await usageOf(relay.port, dan.token);

		library.deleteForever([kept.id, freed.id]);
		expect(library.photos()).toEqual([]);
		await eventually(
			async () => deletions.state === 'idle' && (await deletions.pending()) === 0,
			'the deletions to go out'
		);

		// The photo only the library held is gone from the relay, and its bytes from the usage.
		for (const blobId of [freed.blobs.original, freed.blobs.thumb!]) {
			expect((await getBlob(relay.port, dan.token, blobId)).status).toBe(404);
		}
		const after = await usageOf(relay.port, dan.token);
		expect(after).toBeLessThan(before);
		expect(before - after).toBeGreaterThan(freed.size);
		// The copy in Trip still shows: its blobs were kept.
		expect((await getBlob(relay.port, dan.token, kept.blobs.original)).status).toBe(200);
		expect((await getBlob(relay.port, dan.token, kept.blobs.thumb!)).status).toBe(200);
	});
});
