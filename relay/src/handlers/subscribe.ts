// subscribe: catch-up after `since` in seq order, then `caught-up`, then live entries.

import type { MessageHandler } from './handler';

export const handleSubscribe: MessageHandler<'subscribe'> = async (message, connection, ctx) => {
	await ctx.albums.subscribe(connection, message.albumId, message.since, message.id);
};
