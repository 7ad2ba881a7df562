// Logging out leaves nothing of the account on the device: keys, the upload queue's plaintext, album data.

import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccountApi, AccountSession, createAccountKeys } from '../../../src/lib/account';
import { runPasswordKdf } from '../../../src/lib/account/kdf';
import { KDF_FLOOR } from '../../../src/lib/crypto';
import { openDeviceDatabase } from '../../../src/lib/local/db';
import { startTestRelay, type TestRelay } from '../helpers/relay';
import { takeCode } from './client';

let relay: TestRelay;
const email = 'leaving@example.org';
const password = 'harbour violet seventeen lanterns';

beforeAll(async () => {
	relay = await startTestRelay();
	const api = new AccountApi({ baseUrl: relay.url });
	const created = await createAccountKeys(password, { params: KDF_FLOOR });
	await api.signUp({ email, ...created.signup });
	await api.verifySignUp({
		email,
		code: await takeCode(relay.dataDir, email),
		device: { name: 'set-up' }
	});
});

afterAll(async () => {
	await relay?.stop();
});

describe('log out', () => {
	it('wipes the keys, files waiting to upload and every album row from the device', async () => {
		const db = openDeviceDatabase('tessera-log-out', { indexedDB: new IDBFactory(), IDBKeyRange });
		const session = new AccountSession({
			db,
			api: new AccountApi({ baseUrl: relay.url }),
			kdf: runPasswordKdf,
			deviceName: 'test device'
		});
		await session.logIn(email, password);
		// What a signed-in device accumulates (shapes as the app writes them).
		await db.uploads.put({
			id: 'u1',
			blobId: 'AAAAAAAAAAAAAAAAAAAAAA',
			state: 'queued',
			file: new Blob(['PLAINTEXT-PHOTO']),
			createdAt: 1
		} as never);
		await db.blobs.put({
			blobId: 'BBBBBBBBBBBBBBBBBBBBBB',
			kind: 'thumb',
			bytes: new Blob(['x']),
			size: 1,
			lastUsedAt: 1
		});
		await db.albums.put({
			albumId: 'album-1',
			lastSeq: 1,
			head: null,
			role: 'owner',
			epoch: 0,
			updatedAt: 1
		});
		await db.blobDeletions.put({
			blobId: 'CCCCCCCCCCCCCCCCCCCCCC',
			albumId: 'album-1',
			queuedAt: 1
		});
		expect(await db.session.count()).toBe(1);

		await session.logOut();
		// Every table of the device database, those added later included.
		for (const table of db.tables) {
			expect(await table.count(), table.name).toBe(0);
		}
		expect(session.current).toBeNull();
		db.close();
	});
});
