// list-albums: the albums this account is a member of now (a device that just signed in follows them).

import { MAX_LISTED_ALBUMS, type Role } from '../../../src/lib/protocol';
import { echo, writerOf, type MessageHandler } from './handler';

export const handleListAlbums: MessageHandler<'list-albums'> = (message, connection, ctx) => {
	const albums = ctx.albums
		.albumsOf(writerOf(connection).signPk)
		.slice(0, MAX_LISTED_ALBUMS)
		.map(({ albumId, role, lastSeq }) => ({ albumId, role: role as Role, lastSeq }));
	connection.send({ t: 'albums', ...echo(message.id), albums });
};
