// Notifications the relay keeps per account (album id, event type, time) and their wire schemas and limits.

import * as v from 'valibot';
import { CounterSchema, TimestampMsSchema } from './fields';
import { AlbumIdSchema } from './ids';

/**
 * What happened, as far as the relay can tell without reading anything encrypted:
 * - `shared`: an `add` entry made this account a member of the album;
 * - `removed`: a `remove` entry took it out;
 * - `photos`: another writer posted updates to the album's `contrib:` or `inbox:` docs (new
 *   photos, or changes to them: the relay cannot tell which), batched while unread;
 * - `invite-accepted`: someone accepted this account's invitation to the album.
 */
export const NOTIFICATION_TYPES = ['shared', 'removed', 'photos', 'invite-accepted'] as const;
export type NotificationType = (typeof NOTIFICATION_TYPES)[number];

/** Notifications kept per account; older ones are dropped. */
export const MAX_NOTIFICATIONS_PER_ACCOUNT = 200;

/** Notifications one `notifications` reply lists at most, and by default. */
export const MAX_NOTIFICATIONS_PER_PAGE = 100;
export const DEFAULT_NOTIFICATIONS_PER_PAGE = 50;

export const NotificationTypeSchema = v.picklist(
	NOTIFICATION_TYPES,
	`must be one of ${NOTIFICATION_TYPES.join(', ')}`
);

/** A notification's id: positive, and a batch that grows gets a new, larger one (newest first). */
export const NotificationIdSchema = v.pipe(CounterSchema, v.minValue(1, 'must be at least 1'));

export const NotificationSchema = v.strictObject({
	id: NotificationIdSchema,
	albumId: AlbumIdSchema,
	type: NotificationTypeSchema,
	/** When the first event of the notification happened. */
	createdAt: TimestampMsSchema,
	/** When the last event joined it (a `photos` batch grows while unread). */
	updatedAt: TimestampMsSchema,
	/** Events in the notification: updates in a `photos` batch, 1 for the others. */
	count: v.pipe(CounterSchema, v.minValue(1, 'must be at least 1')),
	readAt: v.nullable(TimestampMsSchema)
});
export type Notification = v.InferOutput<typeof NotificationSchema>;

/** How many unread notifications an account has (at most MAX_NOTIFICATIONS_PER_ACCOUNT). */
export const UnreadCountSchema = v.pipe(
	CounterSchema,
	v.maxValue(MAX_NOTIFICATIONS_PER_ACCOUNT, `must be at most ${MAX_NOTIFICATIONS_PER_ACCOUNT}`)
);

export const NotificationPageLimitSchema = v.pipe(
	CounterSchema,
	v.minValue(1, 'must be at least 1'),
	v.maxValue(MAX_NOTIFICATIONS_PER_PAGE, `must be at most ${MAX_NOTIFICATIONS_PER_PAGE}`)
);
