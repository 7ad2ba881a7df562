// The websocket message handlers, one per client message kind.

import { handleAppendMembership } from './append-membership';
import { handleAuth } from './auth';
import { handleEphemeral } from './ephemeral';
import { handleListAlbums } from './list-albums';
import { handleNotifications } from './notifications';
import { handleNotificationsRead } from './notifications-read';
import type { MessageHandlers } from './handler';
import { handlePing } from './ping';
import { handlePost } from './post';
import { handleSubscribe } from './subscribe';
import { handleUnsubscribe } from './unsubscribe';

export const MESSAGE_HANDLERS: MessageHandlers = {
	ping: handlePing,
	auth: handleAuth,
	subscribe: handleSubscribe,
	unsubscribe: handleUnsubscribe,
	'append-membership': handleAppendMembership,
	post: handlePost,
	ephemeral: handleEphemeral,
	'list-albums': handleListAlbums,
	notifications: handleNotifications,
	'notifications-read': handleNotificationsRead
};
