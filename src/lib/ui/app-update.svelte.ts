// Registers Tessera's service worker and notices when a newer version of the app has taken over.
/// <reference types="vite-plugin-pwa/vanillajs" />
import { registerSW } from 'virtual:pwa-register';

export class AppUpdate {
	/** A new service worker is in control; this page still runs the old code until it reloads. */
	ready = $state(false);
	/** Why registration failed, if it did (private windows and some browsers refuse workers). */
	error = $state<string | null>(null);

	register(): void {
		registerSW({
			immediate: true,
			// The worker skips waiting and claims clients, so an update is live at once; reloading
			// the page is what moves it onto the new code, and that is the user's call.
			onNeedReload: () => {
				this.ready = true;
			},
			onRegisterError: (cause: unknown) => {
				this.error = cause instanceof Error ? cause.message : String(cause);
			}
		});
	}

	reload(): void {
		window.location.reload();
	}

	dismiss(): void {
		this.ready = false;
	}
}
