// append-membership: a signed membership entry on the album's head; acked with its seq once durable.

import { ackWhenDurable, writerOf, type MessageHandler } from './handler';

export const handleAppendMembership: MessageHandler<'append-membership'> = async (
	message,
	connection,
	ctx
) => {
	const committed = await ctx.albums.appendMembership(message.entry, writerOf(connection));
	ackWhenDurable(connection, committed, message.id, message.entry.albumId);
	// `shared` / `removed` for the member concerned, queued for the end of the turn.
	ctx.notifications.membershipAppended(message.entry, committed.seq);
};
