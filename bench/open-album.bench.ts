// Opening a large album from the device database (compacted state + 1,000 later updates) through the sync engine.

import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import {
	ALBUM_DOC_ID,
	AlbumModel,
	contribDocId,
	MAX_REMOTE_UPDATE_BYTES,
	type NewPhoto
} from '../src/lib/albums';
import {
	boxKeyPairFromSeed,
	deriveDocKey,
	signKeyPairFromSeed,
	toBase64Url
} from '../src/lib/crypto';
import { openDeviceDatabase, type TesseraDB } from '../src/lib/local/db';
import {
	MembershipChain,
	membershipHeadAt,
	memberKeysOf,
	openEnvelope,
	sealEnvelope,
	type AlbumIdentity
} from '../src/lib/sync';
import { LocalAlbum, Outbox, SyncEngine } from '../src/lib/sync/engine';
import { defineBenchmark, figure, measure, median, seededBytes, type Figure } from './lib';

/** Updates stored after the compacted state: half add a photo, half caption an existing one. */
const LATER_UPDATES = 1000;
/** Photos per import transaction while building the snapshot, as a large import would batch them. */
const IMPORT_BATCH = 1000;

async function identityFrom(random: (length: number) => Uint8Array): Promise<AlbumIdentity> {
	return {
		sign: await signKeyPairFromSeed(random(32)),
		box: await boxKeyPairFromSeed(random(32))
	};
}

const CAMERAS = [
	{ camera: 'Apple iPhone 14 Pro', lens: 'iPhone 14 Pro back triple camera 6.86mm f/1.78' },
	{ camera: 'Google Pixel 8', lens: 'Pixel 8 back camera 6.9mm f/1.68' },
	{ camera: 'FUJIFILM X-T4', lens: 'XF23mmF2 R WR' }
];

/** A PhotoRef as an import makes it: real-sized keys and ids, EXIF summary on most, few captions. */
function photoFrom(random: (length: number) => Uint8Array, index: number): NewPhoto {
	const id = () => toBase64Url(random(16));
	const n = random(8);
	const portrait = n[0]! % 4 === 0;
	const video = n[1]! % 20 === 0;
	const photo: NewPhoto = {
		id: id(),
		fileKey: toBase64Url(random(32)),
		blobs: { original: id(), thumb: id(), preview: id() },
		mime: video ? 'video/mp4' : n[1]! % 3 === 0 ? 'image/heic' : 'image/jpeg',
		size: 1_500_000 + ((n[2]! << 12) | (n[3]! << 4)),
		width: portrait ? 3024 : 4032,
		height: portrait ? 4032 : 3024,
		// About a photo every 15 minutes over the years, so dates are distinct and increasing.
		takenAt: 1_600_000_000_000 + index * 900_000 + n[4]! * 1000,
		thumbhash: toBase64Url(random(24)),
		filename: `${video ? 'VID' : 'IMG'}_${String(index % 10000).padStart(4, '0')}.${video ? 'MP4' : 'HEIC'}`
	};
	if (n[5]! % 10 < 8) {
		const { camera, lens } = CAMERAS[n[5]! % CAMERAS.length]!;
		photo.exif = {
			camera,
			lens,
			focalLengthMm: 6.86,
			aperture: 1.78,
			exposureSeconds: 1 / (60 + n[6]!),
			iso: 50 + n[7]!,
			...(n[6]! % 2 === 0 ? { gps: { lat: 48.85 + n[2]! / 1000, lon: 2.35 + n[3]! / 1000 } } : {})
		};
	}
	if (n[7]! % 10 === 0) photo.caption = 'Sunset over the harbour, everyone finally together';
	return photo;
}

interface StoredAlbum {
	db: TesseraDB;
	albumId: string;
	owner: AlbumIdentity;
	photos: number;
	/** Bytes of the contrib doc's compacted state as stored (before the device seal). */
	stateBytes: number;
	/** Bytes of the contrib doc's full state after opening (what a snapshot of it would be). */
	snapshotBytes: number;
	/** Average PhotoRef as JSON, for comparison. */
	jsonBytesPerPhoto: number;
}

/**
 * The device database as the engine leaves it: a verified chain (genesis + two collaborators),
 * the album doc and the owner's contrib doc compacted and sealed by the device key (LocalAlbum),
 * then 1,000 later update envelopes (sealEnvelope) stored as entries with lastSeq moved.
 */
async function storeAlbum(photos: number): Promise<StoredAlbum> {
	const random = seededBytes(photos);
	const owner = await identityFrom(random);
	const created = await MembershipChain.createAlbum(owner);
	const { albumId, chain, epochKey } = created;
	const membership: unknown[] = [created.genesis];
	for (let i = 0; i < 2; i++) {
		const entry = await chain.addMember(
			owner,
			memberKeysOf(await identityFrom(random)),
			'collaborator',
			epochKey
		);
		await chain.append(entry);
		membership.push(entry);
	}

	const me = memberKeysOf(owner).signPk;
	const docId = contribDocId(me);
	const model = new AlbumModel({ membership: chain.state, me, now: () => 1_700_000_000_000 });
	model.rename('Ten years of us');
	const all = Array.from({ length: photos }, (_, i) => photoFrom(random, i));
	const inSnapshot = photos - LATER_UPDATES / 2;
	for (let i = 0; i < inSnapshot; i += IMPORT_BATCH) {
		model.addPhotos(all.slice(i, Math.min(i + IMPORT_BATCH, inSnapshot)));
	}
	const albumState = model.snapshot(ALBUM_DOC_ID);
	const contribState = model.snapshot(docId);

	const updates: Uint8Array[] = [];
	model.onLocalUpdate((_docId, update) => updates.push(update));
	for (let i = 0; i < LATER_UPDATES / 2; i++) {
		model.addPhotos([all[inSnapshot + i]!]);
		model.setCaption(all[i * 7]!.id, `Caption ${i}: the one where the dog jumps into the lake`);
	}
	const snapshotBytes = model.snapshot(docId).byteLength;
	model.destroy();

	const db = openDeviceDatabase(`bench-open-${photos}`, {
		indexedDB: new IDBFactory(),
		IDBKeyRange
	});
	const local = new LocalAlbum(db, albumId);
	let seq = 0;
	for (const entry of membership) {
		await local.commit(++seq, { type: 'membership', entry } as never, chain.state, 'owner', 0);
	}
	const counters = { updates: 0, bytes: 0 };
	await local.compact(ALBUM_DOC_ID, albumState, seq, counters);
	// The snapshot envelope the contrib doc came from had this seq; compaction dropped it.
	await local.compact(docId, contribState, ++seq, counters);
	const docKey = await deriveDocKey(epochKey, docId);
	for (const update of updates) {
		const envelope = await sealEnvelope({
			albumId,
			docId,
			kind: 'update',
			epoch: chain.state.epoch,
			chainIndex: chain.state.head.index,
			update,
			docKey,
			signer: owner.sign
		});
		await local.commit(++seq, { type: 'envelope', envelope }, null, 'owner', 0);
	}
	const json = all.reduce(
		(sum, p) => sum + JSON.stringify({ ...p, addedAt: 0, addedBy: me }).length,
		0
	);
	return {
		db,
		albumId,
		owner,
		photos,
		stateBytes: contribState.byteLength,
		snapshotBytes,
		jsonBytesPerPhoto: json / photos
	};
}

/** A sync engine that is never started: opening from the database needs no socket. */
function offlineEngine(stored: StoredAlbum): SyncEngine {
	return new SyncEngine({
		db: stored.db,
		identity: stored.owner,
		url: 'ws://127.0.0.1:9/ws',
		token: () => 'unused',
		createSocket: () => {
			throw new Error('the benchmark opens from the database only');
		}
	});
}

/**
 * The engine's open path: SyncEngine.openAlbum -> AlbumSync.open (load the entries and sealed doc
 * states from Dexie, open the device seal, verify the chain, open the epoch keys, verify and
 * decrypt every stored envelope, apply to the Yjs docs), then the album view. Returns the number
 * of photos shown.
 */
async function openWithEngine(stored: StoredAlbum): Promise<number> {
	const engine = offlineEngine(stored);
	try {
		const album = await engine.openAlbum(stored.albumId);
		if (album.error) throw album.error;
		const model = await album.whenModel();
		return model.view().length;
	} finally {
		await engine.stop();
	}
}

/**
 * The same steps as AlbumSync's loadLocal, from the same functions (LocalAlbum.load, chain verify
 * against the stored head, openEpochKeys, openEnvelope per stored update, the outbox), except
 * that a doc's compacted state goes through AlbumModel.loadLocalState (the 256 MiB local cap)
 * instead of applyUpdate (the 1 MiB cap of one envelope). Used while the engine refuses the state
 * of a large doc, so the time of the work itself is still known.
 */
async function openWithParts(stored: StoredAlbum): Promise<number> {
	const { db, albumId, owner } = stored;
	const loaded = await new LocalAlbum(db, albumId).load(Date.now());
	const head = loaded.record.head!;
	const chain = await MembershipChain.verify(
		loaded.membership.map((m) => m.entry),
		{ expectedAlbumId: albumId, knownHead: head }
	);
	const entrySeqs = loaded.membership.map((m) => m.seq);
	const epochKeys = await chain.openEpochKeys(owner);
	const me = memberKeysOf(owner).signPk;
	const model = new AlbumModel({ membership: chain.state, me });
	for (const [docId, doc] of loaded.docs) {
		if (doc.state) model.loadLocalState(docId, doc.state);
		for (const row of doc.envelopes) {
			if (row.item.type !== 'envelope') continue;
			const opened = await openEnvelope(row.item.envelope, {
				state: chain.state,
				epochKeys,
				sequencedAt: membershipHeadAt(entrySeqs, row.seq)
			});
			model.applyUpdate(docId, opened.update);
		}
	}
	for (const { docId, update } of await new Outbox(db, albumId).updates()) {
		model.applyUpdate(docId, update);
	}
	const shown = model.view().length;
	model.destroy();
	return shown;
}

interface OpenResult {
	ms: number;
	stored: StoredAlbum;
	/** Photos the engine's own open path showed (it should be all of them). */
	engineShown: number;
	path: 'engine' | 'parts';
}

async function openTimes(photos: number, runs: number): Promise<OpenResult> {
	const stored = await storeAlbum(photos);
	try {
		const engineShown = await openWithEngine(stored);
		const path = engineShown === photos ? 'engine' : 'parts';
		const open = async () => {
			const shown = await (path === 'engine' ? openWithEngine(stored) : openWithParts(stored));
			if (shown !== photos) throw new Error(`opened ${shown} photos of ${photos}`);
		};
		return { ms: median(await measure(open, runs)), stored, engineShown, path };
	} finally {
		stored.db.close();
	}
}

function describe(result: OpenResult): string {
	const { stored } = result;
	const how =
		result.path === 'engine'
			? 'timed SyncEngine.openAlbum'
			: `SyncEngine.openAlbum showed ${result.engineShown} of ${stored.photos} photos ` +
				`(compacted state ${stored.stateBytes} B > the 1 MiB update cap); timed the same steps ` +
				'with AlbumModel.loadLocalState';
	return `  ${stored.photos} photos: ${how}`;
}

export default defineBenchmark('open-album', async (): Promise<Figure[]> => {
	const small = await openTimes(10_000, 5);
	const large = await openTimes(100_000, 3);
	const bytesPerPhoto = small.stored.snapshotBytes / small.stored.photos;
	console.log(describe(small));
	console.log(describe(large));
	console.log(
		`  10k: contrib state ${small.stored.snapshotBytes} B (${Math.round(bytesPerPhoto)} B/photo,` +
			` PhotoRef JSON ${Math.round(small.stored.jsonBytesPerPhoto)} B/photo);` +
			` 100k: ${large.stored.snapshotBytes} B; one envelope holds at most ${MAX_REMOTE_UPDATE_BYTES} B` +
			` = ${Math.floor(MAX_REMOTE_UPDATE_BYTES / bytesPerPhoto)} photos per contrib-doc snapshot`
	);
	return [
		figure({
			name: 'sync.open.10k',
			unit: 'ms',
			value: small.ms,
			target: { of: 'value', op: '<=', bound: 300 },
			runs: 5
		}),
		figure({
			name: 'sync.open.100k',
			unit: 'ms',
			value: large.ms,
			target: { of: 'value', op: '<=', bound: 3000 },
			runs: 3
		}),
		figure({
			name: 'sync.snapshot.bytesPerPhoto',
			unit: 'bytes',
			value: bytesPerPhoto,
			target: { of: 'value', op: '<=', bound: 600 },
			runs: 1
		})
	];
});
