// auth: binds the socket to the account of a session token (docs/api.md); answered by `authed`.

import { WsErrorCode } from '../../../src/lib/protocol';
import { SESSION_ENDED_MESSAGE, sessionForToken } from '../routes/auth';
import { echo, type MessageHandler } from './handler';

export const handleAuth: MessageHandler<'auth'> = (message, connection, ctx) => {
	if (connection.principal) {
		// One socket, one account: switching would leave its subscriptions checked for another person.
		connection.send({
			t: 'error',
			...echo(message.id),
			code: WsErrorCode.alreadyAuthenticated,
			message: 'This connection is already signed in; open a new one for another account.'
		});
		return;
	}
	const found = sessionForToken(message.token, ctx);
	if (!found) {
		connection.send({
			t: 'error',
			...echo(message.id),
			code: WsErrorCode.unauthenticated,
			message: SESSION_ENDED_MESSAGE
		});
		return;
	}
	connection.principal = {
		kind: 'account',
		accountId: found.account.id,
		sessionId: found.session.id,
		token: message.token,
		signPk: found.account.publicKeys.signPk
	};
	connection.send({ t: 'authed', ...echo(message.id), accountId: found.account.id });
};
