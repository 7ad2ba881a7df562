// notifications-read: marks this account's notifications up to an id read; its other listening sockets are told too.

import { echo, writerOf, type MessageHandler } from './handler';

export const handleNotificationsRead: MessageHandler<'notifications-read'> = (
	message,
	connection,
	ctx
) => {
	const { accountId } = writerOf(connection);
	const unread = ctx.notifications.markRead(accountId, message.upTo, connection);
	connection.send({ t: 'notifications-read', ...echo(message.id), upTo: message.upTo, unread });
};
