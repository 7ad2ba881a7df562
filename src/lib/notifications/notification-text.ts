// What a notification says, in words, with the album's name resolved on the device (the relay only knows its id).

import type { Notification } from '../protocol';

export interface NotificationText {
	/** One sentence: "An album was shared with you: “Trip”". */
	text: string;
	/** A second line when there is one ("12 updates"). */
	detail: string | null;
	/** The album to open, or null when it can no longer be opened (the account was removed). */
	albumId: string | null;
}

/**
 * The relay does not know who did what, nor whether an update added or changed photos, so the
 * words say only what is known. `albumName` is null when this device does not know the album yet
 * (it was just shared) or any more.
 */
export function describeNotification(
	notification: Notification,
	albumName: string | null
): NotificationText {
	const name = albumName?.trim() ? `“${albumName.trim()}”` : null;
	const open = notification.albumId;
	switch (notification.type) {
		case 'shared':
			return {
				text: name ? `An album was shared with you: ${name}` : 'An album was shared with you',
				detail: null,
				albumId: open
			};
		case 'removed':
			return {
				text: name ? `You were removed from ${name}` : 'You were removed from an album',
				detail: null,
				albumId: null
			};
		case 'photos':
			return {
				text: name ? `New photos or changes in ${name}` : 'New photos or changes in a shared album',
				detail: notification.count > 1 ? `${notification.count} updates` : null,
				albumId: open
			};
		case 'invite-accepted':
			return {
				text: name
					? `Your invitation to ${name} was accepted`
					: 'Someone accepted your invitation to an album',
				detail: null,
				albumId: open
			};
	}
}

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
	['year', 365 * 24 * 3600_000],
	['month', 30 * 24 * 3600_000],
	['week', 7 * 24 * 3600_000],
	['day', 24 * 3600_000],
	['hour', 3600_000],
	['minute', 60_000]
];

/** "just now", "5 minutes ago", "yesterday": when the notification last changed. */
export function formatWhen(at: number, now: number, locale?: string): string {
	const elapsed = Math.max(0, now - at);
	const format = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
	for (const [unit, ms] of UNITS) {
		if (elapsed >= ms) return format.format(-Math.floor(elapsed / ms), unit);
	}
	return 'just now';
}
