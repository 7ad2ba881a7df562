// The notification centre on a device: relay notifications listed and pushed, their words, and system notifications.

export {
	NotificationCenter,
	type NotificationCenterEvents,
	type NotificationCenterStatus,
	type NotificationPush,
	type NotificationRequest,
	type NotificationSnapshot,
	type NotificationTransport
} from './notification-center';
export { relayNotificationTransport, type NotificationFrameSource } from './relay-transport';
export { describeNotification, formatWhen, type NotificationText } from './notification-text';
export {
	browserNotificationHost,
	SystemNotifications,
	SYSTEM_NOTIFICATION_TITLE,
	type SystemNotificationHost,
	type SystemNotificationState,
	type SystemPermission
} from './system-notifications';
