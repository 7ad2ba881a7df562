// append-membership: a signed membership entry on the album's head; acked with its seq once durable.

import { echo, writerOf, type MessageHandler } from './handler';

export const handleAppendMembership: MessageHandler<'append-membership'> = async (
	message,
	connection,
	ctx
) => {
	const seq = await ctx.albums.appendMembership(message.entry, writerOf(connection));
	connection.send({ t: 'ack', ...echo(message.id), albumId: message.entry.albumId, seq });
};
