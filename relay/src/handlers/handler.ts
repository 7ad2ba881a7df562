// The shape of a websocket message handler: one module per client message kind.

import { WsErrorCode, type ClientMessage, type ClientMessageType } from '../../../src/lib/protocol';
import type { Committed, Writer } from '../album-streams';
import type { ClientConnection } from '../connection';
import type { RelayContext } from '../context';

export type MessageOf<T extends ClientMessageType> = Extract<ClientMessage, { t: T }>;

export type MessageHandler<T extends ClientMessageType> = (
	message: MessageOf<T>,
	connection: ClientConnection,
	ctx: RelayContext
) => void | Promise<void>;

/** Every client message kind must have a handler; the compiler enforces it. */
export type MessageHandlers = { [T in ClientMessageType]: MessageHandler<T> };

/** Message kinds a socket may send before it has authenticated. */
export const UNAUTHENTICATED_MESSAGES: ReadonlySet<ClientMessageType> = new Set(['ping', 'auth']);

/** The writer behind an authenticated socket (ws.ts lets only authenticated sockets get here). */
export function writerOf(connection: ClientConnection): Writer {
	const principal = connection.principal;
	if (!principal) throw new Error('album stream message on an unauthenticated socket');
	return { signPk: principal.signPk, accountId: principal.accountId };
}

/** `{ id }` to echo a request id in a reply, or nothing. */
export function echo(id: string | undefined): { id?: string } {
	return id === undefined ? {} : { id };
}

/**
 * Acks a committed write once it is on disk, without holding up the socket's next frames: the
 * socket's queue moves on as soon as the write is committed, so one client's writes share group
 * commits instead of paying an fsync each. Acks of one socket still go out in commit order (the
 * flushes complete in order); replies are matched by id, not by position.
 */
export function ackWhenDurable(
	connection: ClientConnection,
	committed: Committed,
	id: string | undefined,
	albumId: string
): void {
	committed.durable.then(
		() => {
			// One flush releases the acks of every write it covers: they share one socket write.
			connection.corkForTick();
			connection.send({ t: 'ack', ...echo(id), albumId, seq: committed.seq });
		},
		(error: unknown) => {
			connection.log.error({ err: error }, 'a committed write could not be flushed to disk');
			connection.send({
				t: 'error',
				...echo(id),
				code: WsErrorCode.internal,
				message: 'The relay could not confirm that this write is on disk. Send it again.'
			});
		}
	);
}
