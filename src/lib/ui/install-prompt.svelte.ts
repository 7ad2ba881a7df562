// Whether and how Tessera can be installed here: the browser's install prompt, iOS's manual steps, or installed.

/** Chromium's event, not in lib.dom: it lets the page show the install dialog later, once. */
interface BeforeInstallPromptEvent extends Event {
	prompt(): Promise<unknown>;
	readonly userChoice: Promise<{ outcome: 'accepted' | 'dismissed'; platform: string }>;
}

function isBeforeInstallPrompt(event: Event): event is BeforeInstallPromptEvent {
	return 'prompt' in event && typeof event.prompt === 'function' && 'userChoice' in event;
}

/** What Settings can offer: a button, written steps for iOS, or nothing. */
export type InstallOffer = 'installed' | 'prompt' | 'ios-steps' | 'none';

export type InstallOutcome = 'accepted' | 'dismissed' | 'unavailable';

/** Display modes in which Tessera runs as an installed app rather than in a browser tab. */
const INSTALLED_DISPLAY = [
	'(display-mode: standalone)',
	'(display-mode: fullscreen)',
	'(display-mode: minimal-ui)',
	'(display-mode: window-controls-overlay)'
].join(', ');

/**
 * Safari on an iPhone or iPad: it never fires beforeinstallprompt, but Share > Add to Home Screen
 * installs the app. iPadOS reports itself as a Mac, told apart by its touch screen. Other iOS
 * browsers and in-app web views are left out: their menus differ, and some cannot add at all.
 */
export function isIosSafari(userAgent: string, maxTouchPoints: number): boolean {
	const ios =
		/iPad|iPhone|iPod/.test(userAgent) || (/Macintosh/.test(userAgent) && maxTouchPoints > 1);
	const safari =
		/Safari\//.test(userAgent) && !/CriOS|FxiOS|EdgiOS|OPiOS|GSA|DuckDuckGo/.test(userAgent);
	return ios && safari;
}

export class InstallPrompt {
	/** The browser's deferred prompt; usable once, then gone. */
	#deferred = $state.raw<BeforeInstallPromptEvent | null>(null);
	/** The app was installed while this page was open (appinstalled). */
	#installedHere = $state(false);
	/** This page runs in an installed app's window, or in iOS's home-screen app. */
	standalone = $state(false);
	readonly iosSafari: boolean;

	readonly canInstall = $derived(this.#deferred !== null);
	readonly offer: InstallOffer = $derived.by(() => {
		if (this.standalone || this.#installedHere) return 'installed';
		if (this.#deferred) return 'prompt';
		return this.iosSafari ? 'ios-steps' : 'none';
	});

	constructor() {
		this.iosSafari =
			typeof navigator !== 'undefined' &&
			isIosSafari(navigator.userAgent, navigator.maxTouchPoints || 0);
	}

	/** Starts listening; returns the cleanup. */
	watch(): () => void {
		const onPrompt = (event: Event) => {
			if (!isBeforeInstallPrompt(event)) return;
			// Without this the browser shows its own mini-infobar; Settings offers the install instead.
			event.preventDefault();
			this.#deferred = event;
		};
		const onInstalled = () => {
			this.#installedHere = true;
			this.#deferred = null;
		};
		const display = window.matchMedia(INSTALLED_DISPLAY);
		const navigatorStandalone = (navigator as Navigator & { standalone?: boolean }).standalone;
		const onDisplay = () => {
			this.standalone = display.matches || navigatorStandalone === true;
		};
		onDisplay();
		window.addEventListener('beforeinstallprompt', onPrompt);
		window.addEventListener('appinstalled', onInstalled);
		display.addEventListener('change', onDisplay);
		return () => {
			window.removeEventListener('beforeinstallprompt', onPrompt);
			window.removeEventListener('appinstalled', onInstalled);
			display.removeEventListener('change', onDisplay);
		};
	}

	/** Shows the browser's install dialog; the prompt can be used only once either way. */
	async install(): Promise<InstallOutcome> {
		const deferred = this.#deferred;
		if (!deferred) return 'unavailable';
		this.#deferred = null;
		try {
			await deferred.prompt();
			const { outcome } = await deferred.userChoice;
			if (outcome === 'accepted') this.#installedHere = true;
			return outcome;
		} catch {
			return 'unavailable';
		}
	}
}

let shared: InstallPrompt | null = null;

/**
 * The page's one InstallPrompt, listening from its first call. Chromium fires
 * beforeinstallprompt once per page load, often before Settings is opened: call this at start-up
 * (the root layout) so the event is not missed; later calls return the same instance.
 */
export function installPrompt(): InstallPrompt {
	if (!shared) {
		shared = new InstallPrompt();
		shared.watch();
	}
	return shared;
}
