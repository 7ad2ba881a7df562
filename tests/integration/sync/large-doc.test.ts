// A doc whose state outgrows one envelope (thousands of photos): it keeps syncing, uncompacted on the relay, and is not encoded again on every connection.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contribDocId } from '../../../src/lib/albums';
import { toBase64Url } from '../../../src/lib/crypto';
import { MAX_ENVELOPE_CIPHERTEXT_BYTES } from '../../../src/lib/protocol';
import { startTestRelay, type TestRelay } from '../helpers/relay';
import { seedAccounts, seededRandom, type SeededAccount } from '../helpers/stream';
import { eventually, makeDevice, type Device } from './helpers';
import { photo } from './photos';

let relay: TestRelay;
let owner: SeededAccount;
const devices: Device[] = [];
const random = seededRandom(11);

/** Photos per update, as an import batches them; each update stays well inside one envelope. */
const BATCH = 500;

function device(name: string): Device {
	const d = makeDevice({
		name,
		identity: owner.identity,
		token: owner.token,
		url: () => relay.url.replace(/^http/, 'ws') + '/ws',
		random,
		// A snapshot is due after every 4 updates: the large doc asks for one again and again.
		snapshotPolicy: { updates: 4, bytes: 1 << 30 }
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
	await relay.stop();
});

describe('a doc larger than one envelope', () => {
	it('keeps syncing without a snapshot, on this device and another', async () => {
		const phone = device('phone');
		phone.engine.start();
		const { album, created } = await phone.engine.createAlbum();
		const model = album.model!;
		const mine = contribDocId(toBase64Url(owner.identity.sign.publicKey));

		let takenAt = 1;
		while (model.snapshot(mine).byteLength <= MAX_ENVELOPE_CIPHERTEXT_BYTES) {
			model.addPhotos(Array.from({ length: BATCH }, () => photo(takenAt++)));
			await album.whenSent();
		}
		const [last] = model.addPhotos([photo(takenAt++, 'after-the-big-import.jpg')]);
		await album.whenSent();
		await album.settled();
		expect(album.error).toBeNull();
		expect(await album.pendingWrites()).toBe(0);

		const laptop = device('laptop');
		laptop.engine.start();
		const other = await laptop.engine.openAlbum(created.albumId);
		const otherModel = await other.whenModel();
		await other.whenCaughtUp();
		await eventually(
			() => otherModel.view().some((p) => p.ref.id === last),
			'the photo added after the large import on the other device'
		);
		expect(otherModel.view()).toHaveLength(model.view().length);

		// Back on the first device after a restart: it opens, still syncs both ways.
		await phone.restart();
		const reopened = await phone.engine.openAlbum(created.albumId);
		const reopenedModel = await reopened.whenModel();
		await reopened.whenCaughtUp();
		const [fromLaptop] = otherModel.addPhotos([photo(takenAt++, 'from-the-laptop.jpg')]);
		await eventually(
			() => reopenedModel.view().some((p) => p.ref.id === fromLaptop),
			'the laptop’s photo on the restarted phone'
		);
		await reopened.settled();
		expect(reopened.error).toBeNull();
		expect(other.error).toBeNull();
	}, 120_000);
});
