// ephemeral: a signed, encrypted presence message forwarded to the album's other followers, never stored.

import { writerOf, type MessageHandler } from './handler';

export const handleEphemeral: MessageHandler<'ephemeral'> = async (message, connection, ctx) => {
	// No reply on success: presence is best-effort and has no seq to acknowledge.
	await ctx.albums.ephemeral(message.envelope, writerOf(connection), connection);
};
