// Albums created with no connection: usable at once, kept across a restart, and on the relay (with their edits) once online.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRelay, type TestRelay } from '../helpers/relay';
import { SyncEngine } from '../../../src/lib/sync/engine';
import { seedAccount, seededRandom, type SeededAccount } from '../helpers/stream';
import { eventually, makeDevice, type Device } from './helpers';
import { photo } from './photos';

let relay: TestRelay;
let owner: SeededAccount;
const devices: Device[] = [];
const random = seededRandom(11);

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
	owner = await seedAccount(relay.dataDir, 'offline-owner');
});

afterAll(async () => {
	for (const d of devices) await d.engine.stop();
	await relay.stop();
});

describe('creating an album offline', () => {
	it('opens and takes edits at once, survives a restart, and syncs everything once online', async () => {
		const phone = device('phone');
		// Never started: no socket at all, as in airplane mode.
		const { album, created } = await phone.engine.createAlbum({}, { waitForRelay: false });
		const model = await album.whenModel();
		model.rename('Made on a plane');
		model.addPhotos([photo(1000), photo(2000)]);
		expect(model.view()).toHaveLength(2);
		await album.settled();

		// The app is closed and opened again, still offline: the album and its edits are there.
		await phone.engine.stop();
		const offlineAgain = new SyncEngine({
			db: phone.db,
			identity: owner.identity,
			url: 'ws://127.0.0.1:9/ws',
			token: () => owner.token,
			createSocket: () => {
				throw new Error('offline');
			}
		});
		const again = await offlineAgain.openAlbum(created.albumId);
		const reopened = await again.whenModel();
		expect(reopened.meta().name).toBe('Made on a plane');
		expect(reopened.view()).toHaveLength(2);
		await offlineAgain.stop();

		// Online: the genesis goes first, then the edits; another device of the account sees it all.
		await phone.restart();
		const opened = await phone.engine.openAlbum(created.albumId);
		await opened.whenCaughtUp();
		await eventually(async () => (await opened.pendingWrites()) === 0, 'the edits are sent');
		expect(opened.seq).toBeGreaterThan(0);

		const laptop = device('laptop');
		laptop.engine.start();
		const listed = await laptop.engine.listAlbums();
		expect(listed.map((a) => a.albumId)).toContain(created.albumId);
		const onLaptop = await laptop.engine.openAlbum(created.albumId);
		const laptopModel = await onLaptop.whenModel();
		await eventually(
			() => laptopModel.meta().name === 'Made on a plane' && laptopModel.view().length === 2,
			'the album and its photos reach the laptop'
		);
		expect(onLaptop.error).toBeNull();
		expect(opened.error).toBeNull();
	});
});
