// Shared set-up of the AlbumSync unit specs: a fresh device database per test, a connection that never connects, album-doc updates.

import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { afterEach } from 'vitest';
import * as Y from 'yjs';
import { openDeviceDatabase, type TesseraDB } from '../../../../src/lib/local/db';
import { RelayConnection } from '../../../../src/lib/sync/engine';

const opened: TesseraDB[] = [];
afterEach(() => {
	for (const db of opened.splice(0)) db.close();
});

/** A new, empty device database (its own IndexedDB), closed after the test. */
export function freshDb(): TesseraDB {
	const db = openDeviceDatabase('tessera-unit', { indexedDB: new IDBFactory(), IDBKeyRange });
	opened.push(db);
	return db;
}

/** A connection that never connects: everything comes from the database or from the test. */
export const offline = (): RelayConnection =>
	new RelayConnection({
		url: 'ws://unused/ws',
		token: () => 'unused',
		createSocket: () => {
			throw new Error('offline');
		}
	});

/** An album-doc update that sets the album's name. */
export function rename(name: string): Uint8Array {
	const doc = new Y.Doc();
	doc.getMap('meta').set('name', name);
	return Y.encodeStateAsUpdateV2(doc);
}
