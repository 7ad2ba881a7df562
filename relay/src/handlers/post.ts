// post: a signed, encrypted update or snapshot; acked with its seq once durable (a resend gets its first seq).

import { echo, writerOf, type MessageHandler } from './handler';

export const handlePost: MessageHandler<'post'> = async (message, connection, ctx) => {
	const seq = await ctx.albums.post(message.envelope, writerOf(connection));
	connection.send({ t: 'ack', ...echo(message.id), albumId: message.envelope.albumId, seq });
};
