// Files shared into Tessera from other apps: taken from the service worker's inbox and imported.
//
// static/share-target-sw.js answers the manifest's share_target (POST /share-target): it stores the
// shared files in this small IndexedDB database, apart from the device database (Dexie), because a
// classic service-worker script cannot share Dexie's schema, then sends the app to /?shared=1.

import type { ImportReport } from '../library/library';

export const SHARE_INBOX_DB = 'tessera-share-inbox';
export const SHARE_INBOX_STORE = 'files';
const SHARE_INBOX_VERSION = 1;

/** The query parameter the service worker adds: '1', 'failed' (not stored) or 'refused'. */
export const SHARED_PARAM = 'shared';

/** One shared file as the service worker stores it. */
export interface SharedFileRecord {
	id: string;
	name: string;
	type: string;
	lastModified: number;
	blob: Blob;
	receivedAt: number;
}

function isSharedFileRecord(value: unknown): value is SharedFileRecord {
	if (typeof value !== 'object' || value === null) return false;
	const record = value as Record<string, unknown>;
	return (
		typeof record.id === 'string' &&
		typeof record.name === 'string' &&
		typeof record.type === 'string' &&
		typeof record.lastModified === 'number' &&
		typeof record.receivedAt === 'number' &&
		record.blob instanceof Blob
	);
}

function openInbox(factory: IDBFactory): Promise<IDBDatabase> {
	return new Promise((resolve, reject) => {
		const request = factory.open(SHARE_INBOX_DB, SHARE_INBOX_VERSION);
		// The app may open the inbox before anything was ever shared: create what the worker would.
		request.onupgradeneeded = () => {
			const db = request.result;
			if (!db.objectStoreNames.contains(SHARE_INBOX_STORE)) {
				db.createObjectStore(SHARE_INBOX_STORE, { keyPath: 'id' });
			}
		};
		request.onsuccess = () => resolve(request.result);
		request.onerror = () => reject(request.error);
	});
}

/**
 * Every file waiting in the inbox, in the order it was shared, removed from the inbox in the same
 * transaction: two tabs opening at once cannot both import a share.
 */
export async function takeSharedFiles(factory: IDBFactory = indexedDB): Promise<File[]> {
	const db = await openInbox(factory);
	try {
		const records = await new Promise<unknown[]>((resolve, reject) => {
			const tx = db.transaction(SHARE_INBOX_STORE, 'readwrite');
			const store = tx.objectStore(SHARE_INBOX_STORE);
			let taken: unknown[] = [];
			const all = store.getAll();
			all.onsuccess = () => {
				taken = all.result;
				if (taken.length > 0) store.clear();
			};
			tx.oncomplete = () => resolve(taken);
			tx.onerror = () => reject(tx.error);
			tx.onabort = () => reject(tx.error ?? new Error('The share inbox could not be read'));
		});
		// Keys sort in share order already; anything malformed (not written by our worker) is dropped.
		return records.filter(isSharedFileRecord).map(
			(record) =>
				new File([record.blob], record.name, {
					type: record.type || record.blob.type,
					lastModified: record.lastModified
				})
		);
	} finally {
		db.close();
	}
}

/** What the Library needs to receive shared files. */
export interface ShareReceiver {
	import(files: readonly File[]): Promise<void>;
	lastImport: ImportReport | null;
}

export interface ReceiveOptions {
	/** The page's URL (default: the current location). */
	url?: URL;
	/** Drops ?shared from the address without navigating (the page passes SvelteKit's replaceState). */
	dropQuery?: () => void;
	inbox?: IDBFactory;
}

const problems: Record<string, string> = {
	failed:
		'Tessera could not keep the files shared with it (this device may be out of space). Share them again, or import them here.',
	refused:
		'Files sent to Tessera by another website were not imported. Share photos from your device’s share sheet instead.'
};

/**
 * Imports whatever waits in the share inbox into the library, and drops `?shared=…` from the URL
 * so a reload does not look like a new share. Returns how many files were handed to the import.
 */
export async function receiveSharedFiles(
	library: ShareReceiver,
	options: ReceiveOptions = {}
): Promise<number> {
	const outcome = new URL(options.url ?? location.href).searchParams.get(SHARED_PARAM);
	let files: File[] = [];
	try {
		files = await takeSharedFiles(options.inbox);
	} catch (error) {
		console.error('The share inbox could not be read', error);
		if (outcome === null) return 0;
		library.lastImport = failure(problems.failed!);
	}
	if (outcome !== null) {
		options.dropQuery?.();
		const problem = problems[outcome];
		if (problem && files.length === 0) library.lastImport = failure(problem);
	}
	if (files.length > 0) await library.import(files);
	return files.length;
}

function failure(message: string): ImportReport {
	return { imported: [], duplicates: [], failed: [{ name: 'Shared files', message }] };
}
