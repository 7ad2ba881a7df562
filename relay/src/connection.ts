// One websocket client: who it is, sending typed frames, its pending frames and its subscriptions.

import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { MAX_SOCKET_BUFFERED_BYTES, WsCloseCode, type ServerMessage } from '../../src/lib/protocol';
import type { Logger } from './log';

/**
 * Who a socket speaks for. Accounts authenticate with a session token; link guests (a later
 * issue) will answer a challenge signed by the link key and become `{ kind: 'link', ... }` with
 * the link's key as their signing key, so handlers only ever look at `signPk`.
 */
export interface AccountPrincipal {
	kind: 'account';
	accountId: string;
	sessionId: string;
	/** Kept to re-check the session: a revoked session's socket is closed (4401). */
	token: string;
	/** The account's Ed25519 key: what `by` must be in everything this socket writes. */
	signPk: string;
}

export type Principal = AccountPrincipal;

/** A followed album: catching up (live frames are skipped; catch-up reads them) or live. */
export interface Subscription {
	live: boolean;
	/** Set when the subscription ends, so a running catch-up stops. */
	cancelled: boolean;
}

export class ClientConnection {
	/** Cleared before each heartbeat ping, set again by the pong; still false next time = dead. */
	alive = true;
	invalidFrames = 0;
	principal: Principal | null = null;
	/** Albums this client follows, by album id. */
	readonly subscriptions = new Map<string, Subscription>();
	/** Frames are handled one after another so replies keep the order of requests. */
	queue: Promise<void> = Promise.resolve();
	/** Frames queued or being handled; capped (MAX_PENDING_FRAMES_PER_SOCKET). */
	pending = 0;

	/**
	 * `transport` is the TCP socket under the websocket (what the upgrade handed over), corked
	 * while a batch of frames is written to it so they leave in one write.
	 */
	constructor(
		readonly socket: WebSocket,
		readonly log: Logger,
		private readonly transport?: Duplex
	) {}

	/** Holds frames sent from now on until uncork(): a burst then leaves in one write. */
	cork(): void {
		this.transport?.cork();
	}

	uncork(): void {
		this.transport?.uncork();
	}

	private corkedForTick = false;

	/**
	 * Corks until the current turn's callbacks and promise reactions have all run (a tick after
	 * them), so replies made together (the acks one WAL flush releases) leave in one write.
	 */
	corkForTick(): void {
		if (this.corkedForTick || !this.transport) return;
		this.corkedForTick = true;
		this.transport.cork();
		process.nextTick(() => {
			this.corkedForTick = false;
			this.transport!.uncork();
		});
	}

	get open(): boolean {
		return this.socket.readyState === this.socket.OPEN;
	}

	send(message: ServerMessage): void {
		this.sendText(JSON.stringify(message));
	}

	/**
	 * Sends a frame already serialised: text, or its UTF-8 bytes (fan-out encodes a frame once and
	 * hands the same buffer to every follower; it goes out as a text frame all the same). A reader
	 * so slow that its unsent bytes pass the cap is closed rather than buffered without bound.
	 */
	sendText(text: string | Buffer): void {
		if (!this.open) return;
		if (this.socket.bufferedAmount > MAX_SOCKET_BUFFERED_BYTES) {
			this.log.warn('closing a socket that reads too slowly');
			this.socket.close(WsCloseCode.tryAgainLater, 'reading too slowly');
			return;
		}
		this.socket.send(text, { binary: false });
	}

	/** Sends and resolves once the frame has been handed to the OS (the socket drained up to it). */
	sendAndFlush(text: string): Promise<void> {
		return new Promise((resolve) => {
			if (!this.open) return resolve();
			this.socket.send(text, () => resolve());
		});
	}
}
