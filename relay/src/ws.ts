// The websocket endpoint /ws: framing, validation, heartbeats, error limits, and dispatch.

import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import {
	MAX_INVALID_FRAMES_PER_SOCKET,
	MAX_PENDING_FRAMES_PER_SOCKET,
	PROTOCOL_VERSION,
	WsCloseCode,
	WsErrorCode,
	parseClientMessage,
	type ClientMessage
} from '../../src/lib/protocol';
import { StreamError } from './album-streams';
import { ClientConnection } from './connection';
import type { RelayContext } from './context';
import { MESSAGE_HANDLERS } from './handlers';
import { UNAUTHENTICATED_MESSAGES, type MessageHandler } from './handlers/handler';
import { SESSION_ENDED_MESSAGE, sessionForToken } from './routes/auth';
import { SessionLiveness } from './session-liveness';

export const WS_PATH = '/ws';
export const SHUTDOWN_REASON = 'relay shutting down';

/** How long clients get to answer a close before their sockets are cut. */
const CLOSE_GRACE_MS = 2000;

export interface WebSocketHub {
	readonly connections: ReadonlySet<ClientConnection>;
	/** Refuses new sockets, closes open ones with `code` and waits (briefly) until they are gone. */
	close(code: number, reason: string): Promise<void>;
}

export function attachWebSocketHub(server: Server, ctx: RelayContext): WebSocketHub {
	const log = ctx.logger.child({ component: 'ws' });
	const connections = new Set<ClientConnection>();
	const liveness = new SessionLiveness(ctx.db);
	let closing = false;
	const wss = new WebSocketServer({
		noServer: true,
		maxPayload: ctx.config.wsMaxFrameBytes,
		// Compression would let a small frame inflate past maxPayload's intent and costs CPU.
		perMessageDeflate: false
	});

	server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
		const path = (req.url ?? '').split('?', 1)[0];
		if (path !== WS_PATH || closing) {
			const status = closing ? '503 Service Unavailable' : '404 Not Found';
			socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
			return;
		}
		wss.handleUpgrade(req, socket, head, (ws) => accept(ws, socket));
	});

	function accept(socket: WebSocket, transport: Duplex): void {
		const connection = new ClientConnection(socket, log, transport);
		connections.add(connection);
		socket.on('pong', () => {
			connection.alive = true;
		});
		socket.on('message', (data, isBinary) => onFrame(connection, data, isBinary));
		socket.on('error', (error) => {
			// ws closes the socket itself (1009 for an oversized frame, 1007 for bad UTF-8, ...).
			log.debug({ err: error }, 'websocket error');
		});
		socket.on('close', (code) => {
			connections.delete(connection);
			ctx.albums.disconnect(connection);
			log.debug({ code }, 'websocket closed');
		});
		connection.send({
			t: 'hello',
			protocol: PROTOCOL_VERSION,
			relayVersion: ctx.version,
			maxFrameBytes: ctx.config.wsMaxFrameBytes
		});
	}

	function onFrame(connection: ClientConnection, data: RawData, isBinary: boolean): void {
		if (isBinary) {
			return refuse(connection, WsErrorCode.binaryNotSupported, 'Send JSON text frames only.');
		}
		const parsed = parseClientMessage(rawText(data));
		if (!parsed.ok) return refuse(connection, parsed.code, parsed.message, parsed.id);
		const message = parsed.msg;
		// The queue keeps replies in request order; capping it keeps a flooding client's memory bounded.
		if (connection.pending >= MAX_PENDING_FRAMES_PER_SOCKET) {
			return refuse(
				connection,
				WsErrorCode.tooBusy,
				`Too many messages at once: wait for replies before sending more than ${MAX_PENDING_FRAMES_PER_SOCKET}.`,
				message.id
			);
		}
		connection.pending += 1;
		connection.queue = connection.queue.then(async () => {
			try {
				await dispatch(connection, message);
			} finally {
				connection.pending -= 1;
			}
		});
	}

	/**
	 * False (after closing the socket with 4401) when the socket's session has ended. Before every
	 * frame a primary-key lookup is enough (SessionLiveness); the heartbeat runs the full token
	 * check, which also marks the session seen.
	 */
	function sessionLives(connection: ClientConnection, full: boolean): boolean {
		const principal = connection.principal;
		if (!principal) return true;
		if (full ? sessionForToken(principal.token, ctx) : liveness.stands(principal)) return true;
		log.debug('closing a socket whose session ended');
		connection.principal = null;
		ctx.albums.disconnect(connection);
		connection.socket.close(WsCloseCode.sessionEnded, SESSION_ENDED_MESSAGE);
		return false;
	}

	/** Never rejects: a rejected promise would stop the socket's queue for good. */
	async function dispatch(connection: ClientConnection, message: ClientMessage): Promise<void> {
		try {
			if (!connection.open || !sessionLives(connection, false)) return;
			if (!connection.principal && !UNAUTHENTICATED_MESSAGES.has(message.t)) {
				connection.send({
					t: 'error',
					...(message.id === undefined ? {} : { id: message.id }),
					code: WsErrorCode.unauthenticated,
					message: 'Sign in on this connection first (send auth with your session token).'
				});
				return;
			}
			const handler = MESSAGE_HANDLERS[message.t] as MessageHandler<ClientMessage['t']>;
			await handler(message, connection, ctx);
		} catch (error) {
			if (error instanceof StreamError) {
				connection.send({
					t: 'error',
					...(message.id === undefined ? {} : { id: message.id }),
					code: error.code,
					message: error.message,
					...(error.headIndex === undefined ? {} : { headIndex: error.headIndex })
				});
				return;
			}
			log.error({ err: error, t: message.t }, 'message handler failed');
			connection.send({
				t: 'error',
				...(message.id === undefined ? {} : { id: message.id }),
				code: WsErrorCode.internal,
				message: 'The relay failed to handle this message.'
			});
		}
	}

	/** Answers an invalid frame; a client that keeps sending them is cut off. */
	function refuse(connection: ClientConnection, code: string, message: string, id?: string): void {
		connection.invalidFrames += 1;
		if (connection.invalidFrames > MAX_INVALID_FRAMES_PER_SOCKET) {
			log.warn(
				{ invalidFrames: connection.invalidFrames },
				'closing a socket that sends invalid frames'
			);
			connection.socket.close(WsCloseCode.policyViolation, 'too many invalid messages');
			return;
		}
		connection.send({ t: 'error', ...(id === undefined ? {} : { id }), code, message });
	}

	const heartbeat = setInterval(() => {
		for (const connection of connections) {
			// A revoked session's sockets go even if they only listen. A database hiccup here must
			// not throw out of the timer (that would end the process); the next beat checks again.
			try {
				if (!sessionLives(connection, true)) continue;
			} catch (error) {
				log.error({ err: error }, 'could not check a socket’s session');
			}
			if (!connection.alive) {
				log.debug('terminating a socket that missed its heartbeat');
				connection.socket.terminate();
				continue;
			}
			connection.alive = false;
			connection.socket.ping();
		}
	}, ctx.config.wsHeartbeatMs);
	heartbeat.unref();

	return {
		connections,
		async close(code, reason) {
			closing = true;
			clearInterval(heartbeat);
			const gone = [...connections].map(
				(connection) =>
					new Promise<void>((resolve) => {
						if (connection.socket.readyState === connection.socket.CLOSED) return resolve();
						connection.socket.once('close', () => resolve());
						connection.socket.close(code, reason);
					})
			);
			let timer: NodeJS.Timeout | undefined;
			await Promise.race([
				Promise.all(gone),
				new Promise<void>((resolve) => {
					timer = setTimeout(resolve, CLOSE_GRACE_MS);
				})
			]);
			clearTimeout(timer);
			for (const connection of connections) connection.socket.terminate();
			// No socket is left to write: record the notifications still gathering before the
			// database closes.
			ctx.notifications.flush();
			await new Promise<void>((resolve) => wss.close(() => resolve()));
		}
	};
}

function rawText(data: RawData): string {
	if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
	if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
	return data.toString('utf8');
}
