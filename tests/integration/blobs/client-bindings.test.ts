// The app's side of blob bindings on the real relay: photos added on a device bind their blobs (library and shared albums, offline and re-sealed); members read them, others do not.

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { PhotoRef } from '../../../src/lib/albums';
import { getSodium } from '../../../src/lib/crypto';
import { Albums } from '../../../src/lib/library/albums';
import { Library, type MediaReader } from '../../../src/lib/library/library';
import { PhotoReader } from '../../../src/lib/library/photo-reader';
import type { ImportedMedia } from '../../../src/lib/media';
import { Members } from '../../../src/lib/sharing/members';
import type { AlbumSync } from '../../../src/lib/sync/engine';
import { BlobCache, BlobDownloader, TransferError, UploadQueue } from '../../../src/lib/transfer';
import { startTestRelay, type TestRelay } from '../helpers/relay';
import { seedAccount, type SeededAccount } from '../helpers/stream';
import { eventually, makeDevice, withRelayDatabase, type Device } from '../sync/helpers';
import { photo } from '../sync/photos';

let relay: TestRelay;
let alice: SeededAccount;
let bob: SeededAccount;
let carol: SeededAccount;
const devices: Device[] = [];
const queues: UploadQueue[] = [];

beforeAll(async () => {
	relay = await startTestRelay();
	alice = await seedAccount(relay.dataDir, 'alice');
	bob = await seedAccount(relay.dataDir, 'bob');
	carol = await seedAccount(relay.dataDir, 'carol');
});

afterEach(async () => {
	for (const queue of queues.splice(0)) await queue.stop();
	for (const device of devices.splice(0)) await device.engine.stop();
});

afterAll(async () => {
	await relay?.stop();
});

function deviceOf(account: SeededAccount, name: string): Device {
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

function boundIn(albumId: string): string[] {
	return withRelayDatabase(relay.dataDir, (db) =>
		(
			db.prepare('SELECT blob_id FROM album_blobs WHERE album_id = ?').all(albumId) as {
				blob_id: string;
			}[]
		).map((row) => row.blob_id)
	);
}

const blobIdsOf = (ref: Pick<PhotoRef, 'blobs'>) =>
	[ref.blobs.original, ref.blobs.thumb, ref.blobs.preview].filter(
		(id): id is string => id !== undefined
	);

/** A stand-in for the media worker (Node decodes no images): renditions cut from the bytes. */
const readMedia: MediaReader = async (file) => {
	const bytes = new Uint8Array(await file.arrayBuffer());
	const sodium = await getSodium();
	return {
		kind: 'image',
		mime: 'image/jpeg',
		filename: (file as File).name,
		size: bytes.length,
		width: 4000,
		height: 3000,
		takenAt: 86_400_000,
		takenAtSource: 'exif-offset',
		orientation: 1,
		thumb: { bytes: bytes.slice(0, 64), mime: 'image/webp', width: 512, height: 384 },
		preview: { bytes: bytes.slice(0, 4096), mime: 'image/jpeg', width: 2048, height: 1536 },
		contentHash: sodium.crypto_generichash(32, bytes, null),
		decodable: true
	} satisfies ImportedMedia;
};

function photoFile(name: string, fill: number): File {
	const bytes = new Uint8Array(200_000).fill(fill);
	bytes.set(new TextEncoder().encode(`BOUND-MARKER-${fill}`));
	return new File([bytes], name, { type: 'image/jpeg' });
}

/** A reader for `account` that keeps nothing on the device: every read asks the relay. */
function readerOf(account: SeededAccount): PhotoReader {
	return new PhotoReader(
		new BlobDownloader({ baseUrl: relay.url, token: () => account.token, retryDelays: [] })
	);
}

async function refusal(read: Promise<unknown>): Promise<string> {
	const error = await read.then(
		() => null,
		(e: unknown) => e
	);
	return error instanceof TransferError ? error.code : `no refusal (${String(error)})`;
}

describe('photos added on a device', () => {
	it('bind their blobs with the post; added offline they wait in the outbox with them, and keep them when re-sealed under a new epoch', async () => {
		const phone = deviceOf(alice, 'phone');
		const { album } = await phone.engine.createAlbum();
		const model = await album.whenModel();
		const online = photo(1_000, 'online.jpg');
		model.addPhotos([online]);
		await album.whenSent();
		expect(boundIn(album.albumId).sort()).toEqual(blobIdsOf(online).sort());

		// Offline: the write waits in the outbox with the blob ids it adds (and only those).
		phone.engine.connection.stop();
		const offline = photo(2_000, 'offline.jpg');
		model.addPhotos([online, offline]);
		model.rename('No photos in this change');
		await album.settled();
		const rows = await phone.db.outbox.where('albumId').equals(album.albumId).sortBy('id');
		expect(rows.map((row) => row.blobs)).toEqual([blobIdsOf(offline), undefined]);

		// Another device of Alice's renews the album key meanwhile: the phone's queued write is
		// refused as stale, sealed again, and sent with the same blobs.
		const laptop = deviceOf(alice, 'laptop');
		const onLaptop = await laptop.engine.openAlbum(album.albumId);
		await onLaptop.whenCaughtUp();
		const { entry } = await onLaptop.membershipChain!.rotate(alice.identity, new Map());
		await laptop.engine.appendMembership(entry);

		const resealed: string[] = [];
		await phone.restart();
		const reopened = await phone.engine.openAlbum(album.albumId, {
			resealed: (docId) => resealed.push(docId)
		});
		await eventually(async () => (await reopened.pendingWrites()) === 0, 'the outbox drains');
		expect(resealed).toContain(`contrib:${alice.signPk}`);
		expect(boundIn(album.albumId).sort()).toEqual(
			[...blobIdsOf(online), ...blobIdsOf(offline)].sort()
		);
	});

	it('a snapshot of a photos doc binds every photo in it again', async () => {
		const device = makeDevice({
			name: `snapshots-${Math.random()}`,
			identity: alice.identity,
			token: alice.token,
			url: () => relay.wsUrl,
			random: Math.random,
			snapshotPolicy: { updates: 3, bytes: 1 << 30 }
		});
		devices.push(device);
		device.engine.start();
		const { album } = await device.engine.createAlbum();
		const model = await album.whenModel();
		const photos = [photo(1), photo(2), photo(3), photo(4)];
		model.addPhotos(photos.slice(0, 1));
		await album.whenSent();
		// As if the first photo had been added before the relay kept bindings.
		withRelayDatabase(relay.dataDir, (db) =>
			db.prepare('DELETE FROM album_blobs WHERE album_id = ?').run(album.albumId)
		);
		for (const added of photos.slice(1)) model.addPhotos([added]);
		await eventually(
			() => boundIn(album.albumId).length === photos.flatMap(blobIdsOf).length,
			'the snapshot binds the first photo again'
		);
		expect(boundIn(album.albumId).sort()).toEqual(photos.flatMap(blobIdsOf).sort());
	});
});

describe('the library and a shared album made from it', () => {
	async function openLibrary(device: Device, account: SeededAccount) {
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
		let place: string | null = null;
		const library = await Library.open({
			engine: device.engine,
			uploads,
			reader: new PhotoReader(new BlobDownloader({ ...endpoint, db: device.db, cache })),
			cache,
			readMedia,
			place: {
				known: async () => place,
				remember: async (albumId) => void (place = albumId),
				accountAlbums: async () => []
			}
		});
		return { library, uploads };
	}

	it('binds imports to the library and copies to the album; members read them, outsiders and removed members get blob-not-found', async () => {
		const aliceDevice = deviceOf(alice, 'alice');
		const { library, uploads } = await openLibrary(aliceDevice, alice);
		const report = await library.import([photoFile('a.jpg', 1)]);
		const ref = library.photo(report.imported[0]!)!;
		expect(blobIdsOf(ref)).toHaveLength(3);
		await uploads.whenIdle();
		expect(boundIn(library.albumId).sort()).toEqual(blobIdsOf(ref).sort());

		// An album from the library, shared with Bob: the copy binds the same blobs there.
		const albums = new Albums({
			engine: aliceDevice.engine,
			db: aliceDevice.db,
			identity: alice.identity,
			library
		});
		const albumId = await albums.create('Shared', [ref.id]);
		const album: AlbumSync = await albums.open(albumId);
		await album.whenSent();
		expect(boundIn(albumId).sort()).toEqual(blobIdsOf(ref).sort());
		await new Members({ engine: aliceDevice.engine, me: alice.signPk }, album).add(
			{ signPk: bob.signPk, boxPk: bob.boxPk },
			'viewer'
		);

		// Bob's lightbox: the thumbnail and the large picture of the shared photo.
		const bobDevice = deviceOf(bob, 'bob');
		const bobAlbum = await bobDevice.engine.openAlbum(albumId);
		const bobModel = await bobAlbum.whenModel();
		await eventually(() => bobModel.view().length === 1, 'the photo reaches bob');
		const shared = bobModel.view()[0]!.ref;
		const large = await readerOf(bob).large(shared);
		expect(new TextDecoder().decode(large.bytes.slice(0, 14))).toBe('BOUND-MARKER-1');
		expect(await readerOf(bob).thumbnail(shared)).not.toBeNull();

		// Carol has the PhotoRef (ids and key) but no album holding it.
		expect(await refusal(readerOf(carol).large(shared))).toBe('blob-not-found');

		// Removed, Bob reads it no more; Alice, who uploaded it, still does.
		await new Members({ engine: aliceDevice.engine, me: alice.signPk }, album).remove(bob.signPk);
		expect(await refusal(readerOf(bob).large(shared))).toBe('blob-not-found');
		const own = await readerOf(alice).large(ref);
		expect(new TextDecoder().decode(own.bytes.slice(0, 14))).toBe('BOUND-MARKER-1');
	});
});
