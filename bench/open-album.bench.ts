// Opening a large album from the device database through the sync engine, as the engine stores it after a snapshot and 1,000 updates.

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
import type { Envelope, MembershipEntry, MembershipState } from '../src/lib/protocol';
import { MembershipChain, memberKeysOf, sealEnvelope, type AlbumIdentity } from '../src/lib/sync';
import { AlbumSync, LocalAlbum, RelayConnection, SyncEngine } from '../src/lib/sync/engine';
import { defineBenchmark, figure, median, seededBytes, type Figure } from './lib';

/** Updates after the snapshot (the set-up): half add a photo, half caption one. */
const LATER_UPDATES = 1000;
/** Photos per import transaction while building the snapshot, as a large import would batch them. */
const IMPORT_BATCH = 1000;
/**
 * The engine rewrites a doc's sealed state every this many applied updates (album-sync.ts,
 * DEFAULT_LOCAL_COMPACTION), so after receiving updates a device holds at most one fewer of them
 * as raw envelopes per doc.
 */
const LOCAL_COMPACTION = 100;
/** Raw envelopes of the worst state a clean receive leaves: the last compaction 99 updates ago. */
const WORST_TAIL = LOCAL_COMPACTION - 1;

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

/** One album of `photos` photos: its chain, the snapshot state, and the 1,000 envelopes after it. */
interface Album {
	albumId: string;
	owner: AlbumIdentity;
	photos: number;
	membership: MembershipEntry[];
	state: MembershipState;
	docId: string;
	albumState: Uint8Array;
	/** The contrib doc as of the snapshot (seq SNAPSHOT_SEQ), and after the first updates. */
	snapshotState: Uint8Array;
	worstState: Uint8Array;
	/** The later updates, sealed and signed, at seqs SNAPSHOT_SEQ + 1, + 2, … */
	envelopes: Envelope[];
	/** Bytes of the contrib doc's full state after every update (what a snapshot of it would be). */
	fullBytes: number;
	/** Average PhotoRef as JSON, for comparison. */
	jsonBytesPerPhoto: number;
}

/** Membership entries at seqs 1–3, the contrib doc's snapshot at 4, the updates from 5. */
const SNAPSHOT_SEQ = 4;

async function buildAlbum(photos: number): Promise<Album> {
	const random = seededBytes(photos);
	const owner = await identityFrom(random);
	const created = await MembershipChain.createAlbum(owner);
	const { albumId, chain, epochKey } = created;
	const membership: MembershipEntry[] = [created.genesis];
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
	const snapshotState = model.snapshot(docId);

	const updates: Uint8Array[] = [];
	let worstState: Uint8Array | null = null;
	model.onLocalUpdate((_docId, update) => updates.push(update));
	const maybeWorst = () => {
		if (updates.length === LATER_UPDATES - WORST_TAIL) worstState = model.snapshot(docId);
	};
	for (let i = 0; i < LATER_UPDATES / 2; i++) {
		model.addPhotos([all[inSnapshot + i]!]);
		maybeWorst();
		model.setCaption(all[i * 7]!.id, `Caption ${i}: the one where the dog jumps into the lake`);
		maybeWorst();
	}
	const fullBytes = model.snapshot(docId).byteLength;
	model.destroy();

	const docKey = await deriveDocKey(epochKey, docId);
	const envelopes: Envelope[] = [];
	for (const update of updates) {
		envelopes.push(
			await sealEnvelope({
				albumId,
				docId,
				kind: 'update',
				epoch: chain.state.epoch,
				chainIndex: chain.state.head.index,
				update,
				docKey,
				signer: owner.sign
			})
		);
	}
	const json = all.reduce(
		(sum, p) => sum + JSON.stringify({ ...p, addedAt: 0, addedBy: me }).length,
		0
	);
	return {
		albumId,
		owner,
		photos,
		membership,
		state: chain.state,
		docId,
		albumState,
		snapshotState,
		worstState: worstState!,
		envelopes,
		fullBytes,
		jsonBytesPerPhoto: json / photos
	};
}

let databases = 0;
function freshDatabase(): TesseraDB {
	return openDeviceDatabase(`bench-open-${++databases}`, {
		indexedDB: new IDBFactory(),
		IDBKeyRange
	});
}

/**
 * A device database holding the verified chain, the album doc and the contrib doc compacted and
 * sealed by the device key as of `from` updates after the snapshot, and the envelopes from there
 * to `to` as raw entries (what LocalAlbum.commit and LocalAlbum.compact write).
 */
async function storeDevice(
	album: Album,
	compacted: Uint8Array,
	from: number,
	to = album.envelopes.length
): Promise<TesseraDB> {
	const db = freshDatabase();
	const local = new LocalAlbum(db, album.albumId);
	let seq = 0;
	for (const entry of album.membership) {
		await local.commit(++seq, { type: 'membership', entry }, album.state, 'owner', 0);
	}
	const counters = { updates: 0, bytes: 0 };
	await local.compact(ALBUM_DOC_ID, album.albumState, seq, counters);
	// The snapshot envelope at SNAPSHOT_SEQ, and the updates up to `from`, are in this state.
	await local.compact(album.docId, compacted, SNAPSHOT_SEQ + from, counters);
	for (let i = from; i < to; i++) {
		const envelope = album.envelopes[i]!;
		await local.commit(SNAPSHOT_SEQ + 1 + i, { type: 'envelope', envelope }, null, 'owner', 0);
	}
	await local.advance(SNAPSHOT_SEQ + to, 0);
	return db;
}

/** A connection that is never started: the updates are handed to the album as stream frames. */
function offlineConnection(): RelayConnection {
	return new RelayConnection({
		url: 'ws://127.0.0.1:9/ws',
		token: () => 'unused',
		createSocket: () => {
			throw new Error('the benchmark plays the relay itself');
		}
	});
}

/**
 * What the engine itself stores: a device holding the snapshot receives the 1,000 updates as
 * stream frames (AlbumSync verifies, decrypts, applies and stores each, and compacts as it goes),
 * then `caught-up`.
 */
async function receiveThroughEngine(album: Album): Promise<TesseraDB> {
	const db = await storeDevice(album, album.snapshotState, 0, 0);
	const sync = await AlbumSync.open({
		db,
		albumId: album.albumId,
		identity: album.owner,
		connection: offlineConnection()
	});
	let seq = SNAPSHOT_SEQ;
	for (const envelope of album.envelopes) {
		sync.onFrame({
			t: 'entry',
			albumId: album.albumId,
			seq: ++seq,
			item: { type: 'envelope', envelope }
		});
	}
	sync.onFrame({ t: 'caught-up', albumId: album.albumId, seq });
	await sync.settled();
	if (sync.error) throw sync.error;
	await sync.close();
	return db;
}

/** Raw envelopes an open will verify: the entries that are not membership entries. */
function storedEnvelopes(db: TesseraDB): Promise<number> {
	return db.entries.filter((row) => row.docId !== '').count();
}

/** A copy of a device database, so every timed open starts from the very same state. */
async function copyOf(template: TesseraDB): Promise<TesseraDB> {
	const db = freshDatabase();
	for (const table of ['deviceKey', 'albums', 'entries', 'docState', 'outbox'] as const) {
		await db.table(table).bulkPut(await template.table(table).toArray());
	}
	return db;
}

/**
 * The engine's open path, timed: SyncEngine.openAlbum -> AlbumSync.open (the entries and sealed
 * doc states from Dexie, the device seal opened, the chain verified, the epoch keys opened, every
 * stored envelope verified and decrypted, all applied to the Yjs docs), then the album view.
 */
async function timedOpen(template: TesseraDB, album: Album): Promise<number> {
	const db = await copyOf(template);
	const engine = new SyncEngine({
		db,
		identity: album.owner,
		url: 'ws://127.0.0.1:9/ws',
		token: () => 'unused',
		createSocket: () => {
			throw new Error('the benchmark opens from the database only');
		}
	});
	try {
		const start = performance.now();
		const opened = await engine.openAlbum(album.albumId);
		if (opened.error) throw opened.error;
		const shown = (await opened.whenModel()).view().length;
		const ms = performance.now() - start;
		if (shown !== album.photos) throw new Error(`opened ${shown} photos of ${album.photos}`);
		return ms;
	} finally {
		await engine.stop();
		db.close();
	}
}

/** Medians of opening `ours` and `baseline`, alternately (baseline first), after a warm-up of each. */
async function compare(album: Album, ours: TesseraDB, baseline: TesseraDB, runs: number) {
	await timedOpen(baseline, album);
	await timedOpen(ours, album);
	const samples = { ours: [] as number[], baseline: [] as number[] };
	for (let i = 0; i < runs; i++) {
		samples.baseline.push(await timedOpen(baseline, album));
		samples.ours.push(await timedOpen(ours, album));
	}
	return samples;
}

const spread = (samples: number[]) =>
	`${Math.round(Math.min(...samples))}–${Math.round(Math.max(...samples))} ms`;

async function openFigure(photos: number, runs: number, bound: number, received: boolean) {
	const album = await buildAlbum(photos);
	const worst = await storeDevice(album, album.worstState, LATER_UPDATES - WORST_TAIL);
	const uncompacted = await storeDevice(album, album.snapshotState, 0);
	const samples = await compare(album, worst, uncompacted, runs);
	console.log(
		`  ${photos} photos, SyncEngine.openAlbum + view, ${runs} runs each:` +
			` ${await storedEnvelopes(worst)} stored updates to verify ${spread(samples.ours)};` +
			` ${await storedEnvelopes(uncompacted)} (nothing compacted) ${spread(samples.baseline)}`
	);
	if (received) {
		const engine = await receiveThroughEngine(album);
		const times = [];
		for (let i = 0; i < runs; i++) times.push(await timedOpen(engine, album));
		console.log(
			`  ${photos} photos received through AlbumSync: it left ${await storedEnvelopes(engine)}` +
				` of the ${LATER_UPDATES} updates uncompacted; open ${spread(times)}`
		);
		engine.close();
	}
	worst.close();
	uncompacted.close();
	return {
		album,
		figures: [
			// The set-up as written: the latest snapshot and 1,000 updates, all verified,
			// decrypted and applied on open.
			figure({
				name: `sync.open.${photos / 1000}k`,
				unit: 'ms',
				value: median(samples.baseline),
				target: { of: 'value', op: '<=', bound },
				runs
			}),
			// What a device that received those updates through the engine can hold at worst.
			figure({
				name: `sync.open.${photos / 1000}k.asStored`,
				unit: 'ms',
				value: median(samples.ours),
				baseline: `the snapshot + ${LATER_UPDATES} stored updates (sync.open.${photos / 1000}k)`,
				baselineValue: median(samples.baseline),
				target: { of: 'value', op: '<=', bound },
				runs
			})
		]
	};
}

export default defineBenchmark('open-album', async (): Promise<Figure[]> => {
	console.log(
		`  Set-up: a snapshot, then ${LATER_UPDATES} updates, all verified on open (sync.open.*k, the` +
			` issue's set-up). The engine compacts a doc every ${LOCAL_COMPACTION} applied updates, so` +
			` what it stores after receiving them is at worst the last compaction ${WORST_TAIL} updates` +
			` ago, those ${WORST_TAIL} verified on open (sync.open.*k.asStored).`
	);
	const small = await openFigure(10_000, 5, 300, true);
	const large = await openFigure(100_000, 3, 3000, false);
	const bytesPerPhoto = small.album.fullBytes / small.album.photos;
	console.log(
		`  10k: contrib state ${small.album.fullBytes} B (${Math.round(bytesPerPhoto)} B/photo,` +
			` PhotoRef JSON ${Math.round(small.album.jsonBytesPerPhoto)} B/photo);` +
			` 100k: ${large.album.fullBytes} B; one envelope holds at most ${MAX_REMOTE_UPDATE_BYTES} B` +
			` = ${Math.floor(MAX_REMOTE_UPDATE_BYTES / bytesPerPhoto)} photos per contrib-doc snapshot`
	);
	return [
		...small.figures,
		...large.figures,
		figure({
			name: 'sync.snapshot.bytesPerPhoto',
			unit: 'bytes',
			value: bytesPerPhoto,
			target: { of: 'value', op: '<=', bound: 600 },
			runs: 1
		})
	];
});
