// The shape of a websocket message handler: one module per client message kind.

import type { ClientMessage, ClientMessageType } from '../../../src/lib/protocol';
import type { Writer } from '../album-streams';
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
