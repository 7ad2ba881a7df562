// This device's storage for Settings: space used, whether the browser keeps it, and asking it to.

/** What a request for persistent storage came to. */
export type PersistOutcome = 'granted' | 'already' | 'denied' | 'unsupported' | 'failed';

export interface DeviceStorageReading {
	/** Bytes this origin uses (IndexedDB, caches, service worker), as the browser estimates. */
	usage: number;
	/** Bytes this origin may use, as the browser estimates; often far below the disk's free space. */
	quota: number;
	/** True when the browser promised not to evict the data under storage pressure. */
	persisted: boolean;
}

/** The subset of StorageManager used here, so tests and old browsers can stand in. */
export type StorageLike = Pick<StorageManager, 'estimate' | 'persist' | 'persisted'>;

function browserStorage(): StorageLike | undefined {
	return typeof navigator === 'undefined' ? undefined : navigator.storage;
}

/** Reads usage, quota and persistence; null when the browser reports no storage at all. */
export async function readDeviceStorage(
	storage: StorageLike | undefined = browserStorage()
): Promise<DeviceStorageReading | null> {
	if (!storage?.estimate) return null;
	const [{ usage = 0, quota = 0 }, persisted] = await Promise.all([
		storage.estimate(),
		storage.persisted ? storage.persisted() : Promise.resolve(false)
	]);
	return { usage, quota, persisted };
}

/**
 * Asks the browser to keep Tessera's data. Chromium decides silently from how much the site is
 * used (installed apps get a yes); Firefox asks the person; Safari grants installed apps.
 */
export async function requestPersistentStorage(
	storage: StorageLike | undefined = browserStorage()
): Promise<PersistOutcome> {
	if (!storage?.persist) return 'unsupported';
	try {
		if (await storage.persisted?.()) return 'already';
		return (await storage.persist()) ? 'granted' : 'denied';
	} catch {
		return 'failed';
	}
}

/** The outcome of asking, in words for Settings. */
export function describePersistOutcome(outcome: PersistOutcome): string {
	switch (outcome) {
		case 'granted':
			return 'Done: this browser will keep your photos on this device until you remove them.';
		case 'already':
			return 'This browser already keeps your photos on this device.';
		case 'denied':
			return 'The browser said no for now. Browsers decide from how often you use a site; installing Tessera usually earns a yes. Your photos stay safe on the relay either way.';
		case 'unsupported':
			return 'This browser cannot promise to keep data. Your photos stay safe on the relay.';
		case 'failed':
			return 'The browser could not answer. Try again later.';
	}
}

/** Remembers, per device, that the automatic request was made, so it is made only once. */
const ASKED_KEY = 'tessera/storage/persist-asked';

/**
 * Asks for persistent storage once per device, after the first successful import: by then the
 * device holds photos worth keeping, and Firefox's prompt makes sense to the person. Returns null
 * when it was asked before. Never throws: this is a courtesy, not part of the import.
 */
export async function askPersistentStorage(
	storage: StorageLike | undefined = browserStorage(),
	memory: Pick<Storage, 'getItem' | 'setItem'> | undefined = globalThis.localStorage
): Promise<PersistOutcome | null> {
	try {
		if (memory?.getItem(ASKED_KEY)) return null;
		memory?.setItem(ASKED_KEY, new Date().toISOString());
	} catch {
		// localStorage can be unavailable (private modes); asking more than once is harmless there.
	}
	return requestPersistentStorage(storage);
}
