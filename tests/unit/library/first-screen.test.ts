// The Library's saved first screen: sealed under the device key, read back whole, and never trusted when it cannot be opened.

import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { afterEach, describe, expect, it } from 'vitest';
import type { PhotoRef } from '../../../src/lib/albums';
import { randomBytes, toBase64Url } from '../../../src/lib/crypto';
import {
	FIRST_SCREEN_PHOTOS,
	readFirstScreen,
	saveFirstScreen
} from '../../../src/lib/library/first-screen';
import { openDeviceDatabase, type TesseraDB } from '../../../src/lib/local/db';
import { forgetDeviceKey } from '../../../src/lib/local/vault';
import { photo } from '../../integration/sync/photos';

const opened: TesseraDB[] = [];

function freshDatabase(): TesseraDB {
	const db = openDeviceDatabase('tessera-test', { indexedDB: new IDBFactory(), IDBKeyRange });
	opened.push(db);
	return db;
}

afterEach(() => {
	for (const db of opened.splice(0)) db.close();
});

const MARKER = 'first-screen-marker-Ω';

/** A PhotoRef as the library stores it: the sync tests' photo, added by someone at its time. */
function ref(takenAt: number): PhotoRef {
	return {
		...photo(takenAt, `${MARKER}-${takenAt}.jpg`),
		addedBy: toBase64Url(randomBytes(32)),
		addedAt: takenAt
	};
}

describe('the first screen', () => {
	it('reads back what was saved: the newest photos and the whole count', async () => {
		const db = freshDatabase();
		const photos = Array.from({ length: FIRST_SCREEN_PHOTOS + 50 }, (_, i) => ref(10_000 - i));
		await saveFirstScreen(db, 'library:a', photos, 10_000);
		const screen = await readFirstScreen(db, 'library:a');
		expect(screen?.total).toBe(10_000);
		expect(screen?.refs).toEqual(photos.slice(0, FIRST_SCREEN_PHOTOS));
		expect(await readFirstScreen(db, 'library:b')).toBeNull();
	});

	it('is sealed: no file name in the stored row', async () => {
		const db = freshDatabase();
		await saveFirstScreen(db, 'library:a', [ref(1)], 1);
		const row = await db.views.get('library:a');
		const stored = new TextDecoder('latin1').decode(row!.sealed.ciphertext);
		expect(stored).not.toContain('first-screen-marker');
		expect(JSON.stringify(row)).not.toContain('first-screen-marker');
	});

	it('is not shown when it cannot be opened: another device key, or altered bytes', async () => {
		const db = freshDatabase();
		await saveFirstScreen(db, 'library:a', [ref(1)], 1);
		const row = (await db.views.get('library:a'))!;
		row.sealed.ciphertext[0]! ^= 1;
		await db.views.put(row);
		expect(await readFirstScreen(db, 'library:a')).toBeNull();

		await saveFirstScreen(db, 'library:a', [ref(1)], 1);
		await forgetDeviceKey(db);
		expect(await readFirstScreen(db, 'library:a')).toBeNull();
	});

	it('cannot be moved to another key (the key is bound to the sealing)', async () => {
		const db = freshDatabase();
		await saveFirstScreen(db, 'library:a', [ref(1)], 1);
		const row = (await db.views.get('library:a'))!;
		await db.views.put({ ...row, key: 'library:b' });
		expect(await readFirstScreen(db, 'library:b')).toBeNull();
	});
});
