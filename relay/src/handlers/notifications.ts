// notifications: a page of this account's notifications, newest first; the socket then gets new ones pushed.

import { DEFAULT_NOTIFICATIONS_PER_PAGE } from '../../../src/lib/protocol';
import { echo, writerOf, type MessageHandler } from './handler';

export const handleNotifications: MessageHandler<'notifications'> = (message, connection, ctx) => {
	const { accountId } = writerOf(connection);
	// Listening first: both happen in this tick, so nothing recorded in between is missed.
	ctx.notifications.listen(connection);
	const page = ctx.notifications.list(accountId, {
		...(message.before === undefined ? {} : { before: message.before }),
		limit: message.limit ?? DEFAULT_NOTIFICATIONS_PER_PAGE
	});
	connection.send({ t: 'notifications', ...echo(message.id), ...page });
};
