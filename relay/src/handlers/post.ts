// post: a signed, encrypted update or snapshot with the blob ids it binds; acked with its seq once durable (a resend gets its first seq).

import { ackWhenDurable, writerOf, type MessageHandler } from './handler';

export const handlePost: MessageHandler<'post'> = async (message, connection, ctx) => {
	const committed = await ctx.albums.post(
		message.envelope,
		writerOf(connection),
		message.blobs ?? [],
		connection
	);
	ackWhenDurable(connection, committed, message.id, message.envelope.albumId);
	// Batched (within PHOTOS_BATCH_MS) and recorded later; never throws into the write.
	ctx.notifications.envelopeStored(message.envelope, committed.seq);
};
