// The notification centre as the pages see it: the list, the unread count and system notifications, as runes; shared via context.
import { createContext } from 'svelte';
import { resolve } from '$app/paths';
import {
	describeNotification,
	NotificationCenter,
	relayNotificationTransport,
	SystemNotifications,
	type NotificationCenterStatus,
	type NotificationFrameSource,
	type NotificationText
} from '../notifications';
import type { Notification } from '../protocol';
import type { RelayConnection } from '../sync/engine';

export interface NotificationStateOptions {
	/**
	 * The album's name on this device, or null when it does not know it (yet). Read inside
	 * `$derived`, so a reactive source (the library's album list) redraws names as they come.
	 */
	albumName: (albumId: string) => string | null;
	system?: SystemNotifications;
	/** Each notification as it arrives live (the library relists albums, completes invites). */
	onArrived?: (notification: Notification) => void;
}

type Connection = Pick<RelayConnection, 'ready' | 'onStatus' | 'request'> &
	Partial<NotificationFrameSource>;

export class NotificationState {
	status = $state<NotificationCenterStatus>('loading');
	/** Newest first. */
	items = $state.raw<readonly Notification[]>([]);
	unread = $state(0);
	more = $state(false);
	readonly system: SystemNotifications;
	private center: NotificationCenter | null = null;
	/**
	 * Names seen, so an album this account was removed from is still called by its name. Not
	 * reactive on purpose: describe() fills it while a template renders, where state must not change.
	 */
	// eslint-disable-next-line svelte/prefer-svelte-reactivity
	private readonly names = new Map<string, string>();

	constructor(private readonly options: NotificationStateOptions) {
		this.system = options.system ?? new SystemNotifications();
	}

	/** Follows the account's notifications over the sync engine's connection; returns the detach. */
	attach(connection: Connection): () => void {
		this.detach();
		const center = new NotificationCenter(relayNotificationTransport(connection), {
			change: (snapshot) => {
				this.status = snapshot.status;
				this.items = snapshot.items;
				this.unread = snapshot.unread;
				this.more = snapshot.more;
			},
			arrived: (notification) => {
				this.options.onArrived?.(notification);
				void this.announce(notification);
			}
		});
		this.center = center;
		center.start();
		return () => {
			if (this.center === center) this.detach();
		};
	}

	detach(): void {
		this.center?.stop();
		this.center = null;
	}

	describe(notification: Notification): NotificationText {
		const known = this.options.albumName(notification.albumId);
		if (known) this.names.set(notification.albumId, known);
		return describeNotification(
			notification,
			known ?? this.names.get(notification.albumId) ?? null
		);
	}

	/** Where a notification leads: its album, unless it can no longer be opened. */
	href(text: NotificationText): string | null {
		return text.albumId === null ? null : resolve('/albums/[albumId]', { albumId: text.albumId });
	}

	loadMore(): Promise<void> {
		return this.center?.loadMore() ?? Promise.resolve();
	}

	async markAllRead(): Promise<void> {
		await this.center?.markAllRead();
	}

	/** A system notification for news that arrived while the app is in the background (if on). */
	private async announce(notification: Notification): Promise<void> {
		const text = this.describe(notification);
		const body = text.detail ? `${text.text} (${text.detail})` : text.text;
		// One per album and kind: a growing batch replaces its earlier notification.
		const tag = `tessera:${notification.type}:${notification.albumId}`;
		await this.system.notify(body, tag, this.href(text) ?? resolve('/notifications'));
	}
}

export const [getNotificationState, setNotificationState, hasNotificationState] =
	createContext<NotificationState>();
