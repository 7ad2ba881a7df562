// The shape of a websocket message handler: one module per client message kind.

import type { ClientMessage, ClientMessageType } from '../../../src/lib/protocol';
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
