// One websocket to the relay: authenticates, reconnects with backoff, matches replies to requests, routes album frames.

import {
	WsCloseCode,
	WsErrorCode,
	parseServerMessage,
	type ClientMessage,
	type ServerMessage
} from '../../protocol';
import { DEFAULT_BACKOFF, backoffDelay, type BackoffOptions } from './backoff';
import { systemClock, type Clock, type TimerHandle } from './clock';

/** The part of the WebSocket API the engine uses: the browser's and `ws`'s both fit. */
export interface SocketLike {
	readonly readyState: number;
	send(data: string): void;
	close(code?: number, reason?: string): void;
	onopen: ((event: unknown) => void) | null;
	onmessage: ((event: { data: unknown }) => void) | null;
	onclose: ((event: { code: number; reason: string }) => void) | null;
	onerror: ((event: unknown) => void) | null;
}

export type SocketFactory = (url: string) => SocketLike;

const OPEN = 1;

export type ConnectionStatus =
	| 'connecting'
	| 'ready'
	/** Waiting out a backoff delay before the next attempt. */
	| 'waiting'
	/** The session ended (log-out, revoked, password changed): nothing retries until a new start. */
	| 'signed-out'
	| 'stopped';

/** Frames about one album, delivered in the order the relay sent them. */
export type AlbumFrame = Extract<ServerMessage, { t: 'entry' | 'caught-up' | 'unsubscribed' }>;

/** Replies to requests (matched by id). */
export type Reply = Extract<
	ServerMessage,
	{
		t:
			| 'ack'
			| 'caught-up'
			| 'pong'
			| 'unsubscribed'
			| 'albums'
			| 'notifications'
			| 'notifications-read';
	}
>;

/** Frames the relay pushes about the account's notifications (docs/notifications.md). */
export type NotificationFrame = Extract<
	ServerMessage,
	{ t: 'notification' | 'notifications-read' }
>;

/** Requests are client frames without an id; the connection adds one. */
export type Request =
	Exclude<ClientMessage, { t: 'auth' }> extends infer M
		? M extends { id?: string }
			? Omit<M, 'id'>
			: never
		: never;

/** An album sync following the connection. */
export interface AlbumFollower {
	/** The socket is (again) authenticated: subscribe from the last seq held, then resend. */
	onReady(): void;
	onFrame(frame: AlbumFrame): void;
	/** The socket closed: in-flight requests failed with ConnectionLost. */
	onDisconnect(): void;
}

/** A request whose socket closed before the reply came; it may or may not have been applied. */
export class ConnectionLost extends Error {
	readonly code = 'connection-lost';
	constructor() {
		super('The connection to the relay was lost; this will be retried.');
		this.name = 'ConnectionLost';
	}
}

/** The relay refused a request with an `error` frame. */
export class RelayRefusal extends Error {
	constructor(
		readonly code: string,
		message: string,
		readonly headIndex?: number
	) {
		super(message);
		this.name = 'RelayRefusal';
	}
}

export interface RelayConnectionOptions {
	/** The relay's websocket URL (ws(s)://host/ws). */
	url: string;
	/** The session token to authenticate with; asked for on every connect. */
	token: () => string | Promise<string>;
	createSocket: SocketFactory;
	clock?: Clock;
	random?: () => number;
	backoff?: BackoffOptions;
	/** How often an idle ready socket pings the relay, and how long a pong may take. */
	pingIntervalMs?: number;
	pongTimeoutMs?: number;
}

/** Invalid relay frames tolerated on one socket before it is dropped and a new one opened. */
const MAX_INVALID_FRAMES = 20;

export class RelayConnection {
	private socket: SocketLike | null = null;
	private currentStatus: ConnectionStatus = 'stopped';
	private attempt = 0;
	private nextId = 0;
	private invalidFrames = 0;
	private retryTimer: TimerHandle | null = null;
	private pingTimer: TimerHandle | null = null;
	private pongTimer: TimerHandle | null = null;
	private readonly pending = new Map<
		string,
		{ resolve: (reply: Reply) => void; reject: (error: Error) => void }
	>();
	private readonly followers = new Map<string, Set<AlbumFollower>>();
	private readonly statusListeners = new Set<(status: ConnectionStatus) => void>();
	private readonly notificationListeners = new Set<(frame: NotificationFrame) => void>();
	private readonly clock: Clock;
	private readonly random: () => number;

	constructor(private readonly options: RelayConnectionOptions) {
		this.clock = options.clock ?? systemClock;
		this.random = options.random ?? Math.random;
	}

	get status(): ConnectionStatus {
		return this.currentStatus;
	}

	get ready(): boolean {
		return this.currentStatus === 'ready';
	}

	/** Connects, and keeps reconnecting until stop() or the session ends. */
	start(): void {
		if (this.currentStatus !== 'stopped' && this.currentStatus !== 'signed-out') return;
		this.attempt = 0;
		this.connect();
	}

	stop(): void {
		this.setStatus('stopped');
		this.clearTimers();
		const socket = this.socket;
		this.socket = null;
		if (socket) {
			this.detach(socket);
			socket.close(1000, 'client stopped');
		}
		this.failPending();
		for (const follower of this.allFollowers()) follower.onDisconnect();
	}

	/** Resolves once the socket is authenticated; rejects with ConnectionLost if stopped or signed out. */
	whenReady(): Promise<void> {
		if (this.ready) return Promise.resolve();
		return new Promise((resolve, reject) => {
			const off = this.onStatus((status) => {
				if (status === 'ready') {
					off();
					resolve();
				} else if (status === 'stopped' || status === 'signed-out') {
					off();
					reject(new ConnectionLost());
				}
			});
		});
	}

	/** Pushed notification frames (a new one, or read marks made on another device). */
	onNotification(listener: (frame: NotificationFrame) => void): () => void {
		this.notificationListeners.add(listener);
		return () => this.notificationListeners.delete(listener);
	}

	onStatus(listener: (status: ConnectionStatus) => void): () => void {
		this.statusListeners.add(listener);
		return () => {
			this.statusListeners.delete(listener);
		};
	}

	/** Routes an album's frames to `follower`; it is told onReady now if the socket is ready. */
	follow(albumId: string, follower: AlbumFollower): () => void {
		let set = this.followers.get(albumId);
		if (!set) this.followers.set(albumId, (set = new Set()));
		set.add(follower);
		if (this.ready) follower.onReady();
		return () => {
			set.delete(follower);
			if (set.size === 0) this.followers.delete(albumId);
		};
	}

	/**
	 * Sends a request and resolves with its reply; rejects with RelayRefusal (an `error` frame) or
	 * ConnectionLost (not ready, or the socket closed first: the caller decides whether to resend).
	 */
	request(frame: Request): Promise<Reply> {
		const socket = this.socket;
		if (!socket || !this.ready) return Promise.reject(new ConnectionLost());
		const id = `r${++this.nextId}`;
		return new Promise<Reply>((resolve, reject) => {
			this.pending.set(id, { resolve, reject });
			socket.send(JSON.stringify({ ...frame, id }));
		});
	}

	/** Sends without waiting for a reply (presence); false when not connected. */
	send(frame: Request): boolean {
		if (!this.socket || !this.ready) return false;
		this.socket.send(JSON.stringify(frame));
		return true;
	}

	// -------------------------------------------------------------------------------------------

	private connect(): void {
		this.setStatus('connecting');
		this.invalidFrames = 0;
		let socket: SocketLike;
		try {
			socket = this.options.createSocket(this.options.url);
		} catch {
			this.scheduleReconnect();
			return;
		}
		this.socket = socket;
		socket.onopen = () => {
			void this.authenticate(socket);
		};
		socket.onmessage = (event) => {
			if (this.socket === socket) this.onText(socket, event.data);
		};
		socket.onclose = (event) => {
			if (this.socket === socket) this.onClosed(event.code);
		};
		socket.onerror = () => {
			// A close event follows; that is where reconnecting happens.
		};
	}

	private async authenticate(socket: SocketLike): Promise<void> {
		let token: string;
		try {
			token = await this.options.token();
		} catch {
			this.endSession(socket);
			return;
		}
		if (this.socket !== socket || socket.readyState !== OPEN) return;
		socket.send(JSON.stringify({ t: 'auth', id: 'auth', token }));
	}

	private onText(socket: SocketLike, data: unknown): void {
		if (typeof data !== 'string') return this.invalid(socket);
		const parsed = parseServerMessage(data);
		if (!parsed.ok) return this.invalid(socket);
		const msg = parsed.msg;
		switch (msg.t) {
			case 'hello':
				return;
			case 'authed':
				this.attempt = 0;
				this.setStatus('ready');
				this.schedulePing();
				for (const follower of this.allFollowers()) follower.onReady();
				return;
			case 'entry':
				this.toFollowers(msg.albumId, msg);
				return;
			case 'caught-up':
			case 'unsubscribed':
				// Followers see these in stream order; the request (if any) resolves too.
				this.toFollowers(msg.albumId, msg);
				this.settle(msg.id, msg);
				return;
			case 'ack':
			case 'pong':
			case 'albums':
			case 'notifications':
				this.settle(msg.id, msg);
				return;
			case 'notification':
				for (const listener of this.notificationListeners) listener(msg);
				return;
			case 'notifications-read':
				// The reply to this socket's own request, or a push from the account's other devices.
				if (msg.id !== undefined) this.settle(msg.id, msg);
				else for (const listener of this.notificationListeners) listener(msg);
				return;
			case 'error':
				if (msg.id === 'auth') {
					this.endSession(socket);
					return;
				}
				if (msg.id !== undefined) {
					const waiter = this.pending.get(msg.id);
					this.pending.delete(msg.id);
					waiter?.reject(new RelayRefusal(msg.code, msg.message, msg.headIndex));
				}
				if (msg.code === WsErrorCode.unauthenticated) this.endSession(socket);
				return;
		}
	}

	private settle(id: string | undefined, reply: Reply): void {
		if (id === undefined) return;
		const waiter = this.pending.get(id);
		this.pending.delete(id);
		waiter?.resolve(reply);
	}

	private toFollowers(albumId: string, frame: AlbumFrame): void {
		for (const follower of this.followers.get(albumId) ?? []) follower.onFrame(frame);
	}

	/** A relay that sends garbage is not trusted with this socket; a fresh one may fare better. */
	private invalid(socket: SocketLike): void {
		if (++this.invalidFrames > MAX_INVALID_FRAMES) socket.close(4000, 'invalid frames');
	}

	private onClosed(code: number): void {
		const socket = this.socket;
		this.socket = null;
		if (socket) this.detach(socket);
		this.clearTimers();
		this.failPending();
		for (const follower of this.allFollowers()) follower.onDisconnect();
		if (this.currentStatus === 'stopped' || this.currentStatus === 'signed-out') return;
		if (code === WsCloseCode.sessionEnded) {
			this.setStatus('signed-out');
			return;
		}
		this.scheduleReconnect();
	}

	private endSession(socket: SocketLike): void {
		this.setStatus('signed-out');
		socket.close(1000, 'signed out');
	}

	private scheduleReconnect(): void {
		this.setStatus('waiting');
		const delay = backoffDelay(
			this.attempt++,
			this.random,
			this.options.backoff ?? DEFAULT_BACKOFF
		);
		this.retryTimer = this.clock.setTimeout(() => {
			this.retryTimer = null;
			if (this.currentStatus === 'waiting') this.connect();
		}, delay);
	}

	/** Keep-alive: a relay that stops answering (a half-open TCP link) is noticed and replaced. */
	private schedulePing(): void {
		const interval = this.options.pingIntervalMs ?? 25_000;
		const timeout = this.options.pongTimeoutMs ?? 10_000;
		this.pingTimer = this.clock.setTimeout(() => {
			this.pingTimer = null;
			const socket = this.socket;
			if (!socket || !this.ready) return;
			this.pongTimer = this.clock.setTimeout(() => socket.close(4000, 'no pong'), timeout);
			this.request({ t: 'ping' }).then(
				() => {
					if (this.pongTimer !== null) this.clock.clearTimeout(this.pongTimer);
					this.pongTimer = null;
					if (this.socket === socket) this.schedulePing();
				},
				() => {
					// The socket closed; onClosed restarts everything.
				}
			);
		}, interval);
	}

	private clearTimers(): void {
		for (const timer of [this.retryTimer, this.pingTimer, this.pongTimer]) {
			if (timer !== null) this.clock.clearTimeout(timer);
		}
		this.retryTimer = this.pingTimer = this.pongTimer = null;
	}

	private failPending(): void {
		const waiters = [...this.pending.values()];
		this.pending.clear();
		for (const waiter of waiters) waiter.reject(new ConnectionLost());
	}

	private detach(socket: SocketLike): void {
		socket.onopen = socket.onmessage = socket.onerror = null;
		socket.onclose = null;
	}

	private allFollowers(): AlbumFollower[] {
		return [...this.followers.values()].flatMap((set) => [...set]);
	}

	private setStatus(status: ConnectionStatus): void {
		if (this.currentStatus === status) return;
		this.currentStatus = status;
		for (const listener of this.statusListeners) listener(status);
	}
}
