// The device vault: secrets sealed by a non-extractable key that never leaves IndexedDB in the clear.

import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { afterEach, describe, expect, it } from 'vitest';
import { openDeviceDatabase, type TesseraDB } from '../../../src/lib/local/db';
import {
	deviceKey,
	DeviceVaultError,
	forgetDeviceKey,
	openOnDevice,
	sealForDevice
} from '../../../src/lib/local/vault';

const opened: TesseraDB[] = [];

/** A fresh, isolated IndexedDB per test, as a new browser profile would have. */
function freshDatabase(factory = new IDBFactory()): TesseraDB {
	const db = openDeviceDatabase('tessera-test', { indexedDB: factory, IDBKeyRange });
	opened.push(db);
	return db;
}

afterEach(() => {
	for (const db of opened.splice(0)) db.close();
});

const secret = () => crypto.getRandomValues(new Uint8Array(32));

function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
	return Buffer.from(haystack).includes(Buffer.from(needle));
}

describe('device vault', () => {
	it('opens what it sealed, also after the database is reopened', async () => {
		const factory = new IDBFactory();
		const db = freshDatabase(factory);
		const bytes = secret();
		const sealed = await sealForDevice(db, bytes, 'session/masterKey');
		expect(Buffer.compare(await openOnDevice(db, sealed, 'session/masterKey'), bytes)).toBe(0);

		db.close();
		const again = freshDatabase(factory);
		expect(Buffer.compare(await openOnDevice(again, sealed, 'session/masterKey'), bytes)).toBe(0);
	});

	it('stores the sealed bytes only: the raw secret appears nowhere in the record', async () => {
		const db = freshDatabase();
		const bytes = secret();
		const sealed = await sealForDevice(db, bytes, 'session/token');
		await db.session.put({
			id: 'current',
			sessionId: 'x'.repeat(22),
			account: {
				id: 'a'.repeat(22),
				email: 'ada@example.com',
				plan: { id: 'free', name: 'Free', sharing: false },
				quotaBytes: null,
				usageBytes: 0,
				createdAt: new Date().toISOString()
			},
			publicKeys: { boxPk: 'b', signPk: 's' },
			kdf: { salt: 's', opsLimit: 3, memLimit: 64 << 20 },
			sealed: { token: sealed, masterKey: sealed, boxSecretKey: sealed, signSeed: sealed },
			savedAt: new Date().toISOString()
		});
		const stored = await db.session.get('current');
		const storedBytes = [stored!.sealed.token.iv, stored!.sealed.token.ciphertext];
		expect(storedBytes.some((part) => contains(part, bytes))).toBe(false);
		expect(contains(Buffer.from(JSON.stringify(stored)), Buffer.from(bytes))).toBe(false);
	});

	it('keeps a device key that script cannot export', async () => {
		const db = freshDatabase();
		await sealForDevice(db, secret(), 'x');
		const stored = await db.deviceKey.get('device');
		expect(stored!.key.extractable).toBe(false);
		await expect(crypto.subtle.exportKey('raw', stored!.key)).rejects.toThrow();
		expect(await deviceKey(db)).toBeDefined();
	});

	it('refuses a sealed value opened for another purpose or altered', async () => {
		const db = freshDatabase();
		const sealed = await sealForDevice(db, secret(), 'session/token');
		await expect(openOnDevice(db, sealed, 'session/masterKey')).rejects.toBeInstanceOf(
			DeviceVaultError
		);
		const tampered = { iv: sealed.iv, ciphertext: sealed.ciphertext.slice() };
		tampered.ciphertext[0]! ^= 1;
		await expect(openOnDevice(db, tampered, 'session/token')).rejects.toBeInstanceOf(
			DeviceVaultError
		);
	});

	it('cannot open anything once the device key is forgotten (log-out)', async () => {
		const db = freshDatabase();
		const sealed = await sealForDevice(db, secret(), 'session/token');
		await forgetDeviceKey(db);
		await expect(openOnDevice(db, sealed, 'session/token')).rejects.toBeInstanceOf(
			DeviceVaultError
		);
		// A new key is made for the next session, and it cannot open the old seal either.
		await sealForDevice(db, secret(), 'session/token');
		await expect(openOnDevice(db, sealed, 'session/token')).rejects.toBeInstanceOf(
			DeviceVaultError
		);
	});

	it('gives one device key to callers racing on first use', async () => {
		const db = freshDatabase();
		await Promise.all([deviceKey(db), deviceKey(db), sealForDevice(db, secret(), 'x')]);
		expect(await db.deviceKey.count()).toBe(1);
		const sealed = await sealForDevice(db, secret(), 'x');
		await expect(openOnDevice(db, sealed, 'x')).resolves.toBeInstanceOf(Uint8Array);
	});
});
