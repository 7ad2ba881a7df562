// Answer for album stream messages until the sync work implements them.

import { WsErrorCode, type ClientMessageType } from '../../../src/lib/protocol';
import type { MessageHandler } from './handler';

export function notImplemented<T extends ClientMessageType>(kind: T): MessageHandler<T> {
	return (message, connection) => {
		connection.send({
			t: 'error',
			...(message.id === undefined ? {} : { id: message.id }),
			code: WsErrorCode.notImplemented,
			message: `${kind} is not implemented by this relay yet.`
		});
	};
}
