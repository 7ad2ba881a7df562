// unsubscribe: stop following an album; answered by `unsubscribed` (also when it was not followed).

import { echo, type MessageHandler } from './handler';

export const handleUnsubscribe: MessageHandler<'unsubscribe'> = (message, connection, ctx) => {
	ctx.albums.unfollow(connection, message.albumId);
	connection.send({
		t: 'unsubscribed',
		...echo(message.id),
		albumId: message.albumId,
		reason: 'requested'
	});
};
