// One websocket client: sending typed frames, counting its invalid frames, its subscriptions.

import type { WebSocket } from 'ws';
import type { ServerMessage } from '../../src/lib/protocol';
import type { Logger } from './log';

export class ClientConnection {
	/** Cleared before each heartbeat ping, set again by the pong; still false next time = dead. */
	alive = true;
	invalidFrames = 0;
	/** Album ids this client follows (filled by the sync work). */
	readonly subscriptions = new Set<string>();
	/** Frames are handled one after another so replies keep the order of requests. */
	queue: Promise<void> = Promise.resolve();

	constructor(
		readonly socket: WebSocket,
		readonly log: Logger
	) {}

	send(message: ServerMessage): void {
		if (this.socket.readyState !== this.socket.OPEN) return;
		this.socket.send(JSON.stringify(message));
	}
}
