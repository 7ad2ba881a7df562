// What this browser gives Tessera: offline support, storage and working encryption, for Settings.

/** A fact that takes a moment to learn, or cannot be learnt here. */
export type Probe<T> =
	{ state: 'checking' } | { state: 'known'; value: T } | { state: 'unavailable'; reason: string };

export interface StorageUse {
	usage: number;
	quota: number;
}

function reasonOf(cause: unknown): string {
	return cause instanceof Error ? cause.message : String(cause);
}

export class DeviceStatus {
	/** Whether a service worker controls this page, so it loads without a network. */
	offlineReady = $state<Probe<boolean>>({ state: 'checking' });
	/** Whether the browser promised not to evict Tessera's data under storage pressure. */
	persistent = $state<Probe<boolean>>({ state: 'checking' });
	storage = $state<Probe<StorageUse>>({ state: 'checking' });
	/** libsodium's version once its WebAssembly is compiled and initialised. */
	encryption = $state<Probe<string>>({ state: 'checking' });

	/** Starts every probe; returns the cleanup for `$effect`. */
	watch(): () => void {
		const stopWatchingWorker = this.#watchServiceWorker();
		void this.#readStorage();
		void this.#loadEncryption();
		return stopWatchingWorker;
	}

	/** Asks the browser to keep Tessera's data; it may say no (it decides from engagement). */
	async askForPersistence(): Promise<void> {
		try {
			const granted = await navigator.storage.persist();
			this.persistent = { state: 'known', value: granted };
		} catch (cause) {
			this.persistent = { state: 'unavailable', reason: reasonOf(cause) };
		}
	}

	#watchServiceWorker(): () => void {
		const container = navigator.serviceWorker;
		if (!container) {
			this.offlineReady = { state: 'unavailable', reason: 'This browser has no service workers' };
			return () => {};
		}
		const update = () => {
			this.offlineReady = { state: 'known', value: container.controller !== null };
		};
		update();
		container.addEventListener('controllerchange', update);
		return () => container.removeEventListener('controllerchange', update);
	}

	async #readStorage(): Promise<void> {
		if (!navigator.storage) {
			const reason = 'This browser does not report storage';
			this.persistent = { state: 'unavailable', reason };
			this.storage = { state: 'unavailable', reason };
			return;
		}
		try {
			this.persistent = { state: 'known', value: await navigator.storage.persisted() };
		} catch (cause) {
			this.persistent = { state: 'unavailable', reason: reasonOf(cause) };
		}
		try {
			const { usage = 0, quota = 0 } = await navigator.storage.estimate();
			this.storage = { state: 'known', value: { usage, quota } };
		} catch (cause) {
			this.storage = { state: 'unavailable', reason: reasonOf(cause) };
		}
	}

	async #loadEncryption(): Promise<void> {
		try {
			// Imported here, not at the top, so libsodium (~700 KB of wasm) stays out of the first load.
			const { getSodium } = await import('../crypto');
			const sodium = await getSodium();
			this.encryption = { state: 'known', value: sodium.sodium_version_string() };
		} catch (cause) {
			this.encryption = { state: 'unavailable', reason: reasonOf(cause) };
		}
	}
}
