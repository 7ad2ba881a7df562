// ping -> pong: lets a client check the relay answers, beyond the transport-level heartbeat.

import type { MessageHandler } from './handler';

export const handlePing: MessageHandler<'ping'> = (message, connection) => {
	connection.send({ t: 'pong', ...(message.id === undefined ? {} : { id: message.id }) });
};
