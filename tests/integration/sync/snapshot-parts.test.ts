// A device and snapshot sets of several envelopes: parts are kept, never applied alone, never block later edits, and the set applies once complete, also across an app restart.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlbumModel, contribDocId } from '../../../src/lib/albums';
import { deriveDocKey, toBase64Url } from '../../../src/lib/crypto';
import type { Envelope } from '../../../src/lib/protocol';
import { sealSnapshot } from '../../../src/lib/sync';
import { startTestRelay, type TestRelay } from '../helpers/relay';
import { seedAccounts, seededRandom, StreamClient, type SeededAccount } from '../helpers/stream';
import { docDigest, eventually, makeDevice, type Device } from './helpers';
import { photo } from './photos';

let relay: TestRelay;
let owner: SeededAccount;
const devices: Device[] = [];
const sockets: StreamClient[] = [];
const random = seededRandom(5);

function device(name: string): Device {
	const d = makeDevice({
		name,
		identity: owner.identity,
		token: owner.token,
		url: () => relay.wsUrl,
		random
	});
	devices.push(d);
	return d;
}

beforeAll(async () => {
	relay = await startTestRelay();
	[owner] = (await seedAccounts(relay.dataDir, ['owner'])) as [SeededAccount];
});

afterAll(async () => {
	for (const d of devices) await d.engine.stop();
	for (const s of sockets) s.close();
	await relay.stop();
});

describe('a snapshot set on a device', () => {
	it('is applied only once complete, across a restart, and partial sets block nothing', async () => {
		const phone = device('phone');
		phone.engine.start();
		const { album, created } = await phone.engine.createAlbum();
		const { albumId } = created;
		const model = album.model!;
		const mine = contribDocId(toBase64Url(owner.identity.sign.publicKey));
		model.addPhotos([photo(1), photo(2), photo(3)]);
		await album.whenSent();
		await album.settled();

		// Another device of the owner's (here: a bare model and socket) snapshots the doc with one
		// photo more, in three parts.
		const elsewhere = new AlbumModel({ membership: album.membership!, me: owner.signPk });
		elsewhere.applyUpdate(mine, model.snapshot(mine));
		const [fromSet] = elsewhere.addPhotos([photo(4, 'only-in-the-set.jpg')]);
		const state = elsewhere.snapshot(mine);
		const parts = (await sealSnapshot({
			albumId,
			docId: mine,
			epoch: album.membership!.epoch,
			chainIndex: album.membership!.head.index,
			covers: album.seq,
			state,
			partBytes: Math.ceil(state.byteLength / 3),
			docKey: await deriveDocKey(album.currentEpochKey()!, mine),
			signer: owner.identity.sign
		}))!;
		expect(parts).toHaveLength(3);
		const socket = await StreamClient.connect(relay.url, owner);
		sockets.push(socket);
		const post = (envelope: Envelope) => socket.request({ t: 'post', envelope });
		const shows = (m: AlbumModel, id: string | undefined) => m.view().some((p) => p.ref.id === id);

		expect(await post(parts[0]!)).toMatchObject({ t: 'ack' });
		const second = await post(parts[1]!);
		expect(second).toMatchObject({ t: 'ack' });
		await album.whenSeq(second.t === 'ack' ? second.seq : Infinity);
		await album.settled();
		// Two of three parts: nothing of the set shows, and later edits go on.
		expect(shows(model, fromSet)).toBe(false);
		const [later] = model.addPhotos([photo(5, 'after-the-parts.jpg')]);
		await album.whenSent();
		expect(shows(model, later)).toBe(true);
		const storedParts = () =>
			phone.db.entries
				.where('[albumId+seq]')
				.between([albumId, 0], [albumId, Infinity])
				.filter(
					(row) =>
						row.item.type === 'envelope' &&
						row.item.envelope.kind === 'snapshot' &&
						row.item.envelope.part !== undefined
				)
				.count();
		expect(await storedParts()).toBe(2);

		// The app restarts: the stored parts wait again, still not applied.
		await phone.restart();
		const reopened = await phone.engine.openAlbum(albumId);
		const reopenedModel = await reopened.whenModel();
		await reopened.whenCaughtUp();
		expect(shows(reopenedModel, fromSet)).toBe(false);
		expect(shows(reopenedModel, later)).toBe(true);

		// The last part arrives: the set applies whole, from the parts stored before the restart.
		const last = await post(parts[2]!);
		expect(last).toMatchObject({ t: 'ack' });
		await eventually(() => shows(reopenedModel, fromSet), 'the complete set on the phone');
		await reopened.settled();
		expect(reopened.error).toBeNull();
		expect(shows(reopenedModel, later)).toBe(true);
		// Applied and compacted into the doc's sealed state: the raw parts are gone.
		expect(await storedParts()).toBe(0);

		// A new device reads the set from the relay's stored parts and agrees with the phone.
		const laptop = device('laptop');
		laptop.engine.start();
		const other = await laptop.engine.openAlbum(albumId);
		const otherModel = await other.whenModel();
		await other.whenCaughtUp();
		await other.settled();
		expect(shows(otherModel, fromSet)).toBe(true);
		expect(docDigest(otherModel, mine)).toBe(docDigest(reopenedModel, mine));
	}, 60_000);
});
