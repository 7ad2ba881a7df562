// What this browser gives Tessera: offline support and working encryption, for Settings (storage: device-storage.ts).

/** A fact that takes a moment to learn, or cannot be learnt here. */
export type Probe<T> =
	{ state: 'checking' } | { state: 'known'; value: T } | { state: 'unavailable'; reason: string };

function reasonOf(cause: unknown): string {
	return cause instanceof Error ? cause.message : String(cause);
}

export class DeviceStatus {
	/** Whether a service worker controls this page, so it loads without a network. */
	offlineReady = $state<Probe<boolean>>({ state: 'checking' });
	/** libsodium's version once its WebAssembly is compiled and initialised. */
	encryption = $state<Probe<string>>({ state: 'checking' });

	/** Starts every probe; returns the cleanup for `$effect`. */
	watch(): () => void {
		const stopWatchingWorker = this.#watchServiceWorker();
		void this.#loadEncryption();
		return stopWatchingWorker;
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
