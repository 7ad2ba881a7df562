// System notifications (the Notification API) for news that arrives while Tessera is in the background, when this device allows them.

/** The browser's permission, or `unsupported` where there is no Notification API (older iOS, web views). */
export type SystemPermission = NotificationPermission | 'unsupported';

/** What showing a notification needs from the platform; the browser's is below, tests pass their own. */
export interface SystemNotificationHost {
	permission(): SystemPermission;
	requestPermission(): Promise<SystemPermission>;
	/** True while no window of the app is visible (another tab, minimised, phone locked). */
	hidden(): boolean;
	/** This device's choice in Settings (the permission alone is the browser's, for every page of the origin). */
	enabled(): boolean;
	setEnabled(on: boolean): void;
	show(title: string, options: { body: string; tag: string; url: string | null }): Promise<void>;
}

export const SYSTEM_NOTIFICATION_TITLE = 'Tessera';

/** Whether system notifications are on for this device, and what turning them on would take. */
export type SystemNotificationState =
	| 'unsupported'
	/** The browser blocks them for this site: only its settings can change that. */
	| 'blocked'
	| 'off'
	| 'on';

export class SystemNotifications {
	constructor(private readonly host: SystemNotificationHost = browserNotificationHost()) {}

	state(): SystemNotificationState {
		const permission = this.host.permission();
		if (permission === 'unsupported') return 'unsupported';
		if (permission === 'denied') return 'blocked';
		return permission === 'granted' && this.host.enabled() ? 'on' : 'off';
	}

	/** Asks the browser (once it has been asked, it answers at once) and turns them on if allowed. */
	async turnOn(): Promise<SystemNotificationState> {
		let permission = this.host.permission();
		if (permission === 'default') permission = await this.host.requestPermission();
		if (permission === 'granted') this.host.setEnabled(true);
		return this.state();
	}

	turnOff(): void {
		this.host.setEnabled(false);
	}

	/**
	 * Shows one system notification when they are on and the app is not being looked at (in front,
	 * the bell's badge says it already). `tag` replaces an earlier one for the same album and kind,
	 * so a growing batch of photos stays one notification. Never throws.
	 */
	async notify(body: string, tag: string, url: string | null): Promise<boolean> {
		if (this.state() !== 'on' || !this.host.hidden()) return false;
		try {
			await this.host.show(SYSTEM_NOTIFICATION_TITLE, { body, tag, url });
			return true;
		} catch {
			return false;
		}
	}
}

/** Where this device keeps its choice. */
const ENABLED_KEY = 'tessera/notifications/system';

export function browserNotificationHost(): SystemNotificationHost {
	const supported = () => typeof Notification !== 'undefined';
	return {
		permission: () => (supported() ? Notification.permission : 'unsupported'),
		requestPermission: async () => (supported() ? Notification.requestPermission() : 'unsupported'),
		hidden: () => typeof document !== 'undefined' && document.visibilityState === 'hidden',
		enabled: () => {
			try {
				return localStorage.getItem(ENABLED_KEY) === 'on';
			} catch {
				return false;
			}
		},
		setEnabled: (on) => {
			try {
				if (on) localStorage.setItem(ENABLED_KEY, 'on');
				else localStorage.removeItem(ENABLED_KEY);
			} catch {
				// Storage refused (private mode): the choice lasts until the page closes.
			}
		},
		show: async (title, { body, tag, url }) => {
			const icon = '/icons/icon-192.png';
			try {
				// Desktop browsers: a page may show one itself, and handle the click here.
				const shown = new Notification(title, { body, tag, icon });
				shown.onclick = () => {
					window.focus();
					if (url) location.assign(url);
					shown.close();
				};
			} catch {
				// Android allows them only through the service worker, which handles the click
				// (static/notifications-sw.js opens `data.url`).
				// `ready` never settles on a page no service worker controls: ask only when one does.
				const registration = navigator.serviceWorker?.controller
					? await navigator.serviceWorker.ready
					: undefined;
				if (!registration) throw new Error('System notifications need the service worker here.');
				await registration.showNotification(title, { body, tag, icon, data: { url } });
			}
		}
	};
}
