// The account's notifications on this device: listed from the relay on every connection, kept current by its pushes, marked read.

import {
	WsErrorCode,
	type ClientMessage,
	type Notification,
	type ServerMessage
} from '../protocol';
import { RelayRefusal } from '../sync/engine';

/** Requests the centre sends (the connection adds the id). */
export type NotificationRequest =
	| Omit<Extract<ClientMessage, { t: 'notifications' }>, 'id'>
	| Omit<Extract<ClientMessage, { t: 'notifications-read' }>, 'id'>;

/** Frames the relay pushes without being asked: a new (or grown) notification, read marks from another socket. */
export type NotificationPush = Extract<ServerMessage, { t: 'notification' | 'notifications-read' }>;

/**
 * What the centre needs from the relay connection. `request` rejects when the socket closes
 * before the reply (the next `onReady` lists again) or when the relay refuses (an `error` frame).
 */
export interface NotificationTransport {
	readonly ready: boolean;
	/** Called every time the socket is (again) authenticated. */
	onReady(listener: () => void): () => void;
	request(frame: NotificationRequest): Promise<ServerMessage>;
	onPush(listener: (frame: NotificationPush) => void): () => void;
}

export type NotificationCenterStatus =
	/** Not listed yet on this connection (or offline). */
	| 'loading'
	| 'ready'
	/** The relay does not offer notifications (an older relay refused the request). */
	| 'unavailable';

export interface NotificationSnapshot {
	status: NotificationCenterStatus;
	/** Newest first (ids only grow: a batch that grows moves up under a new id). */
	items: readonly Notification[];
	unread: number;
	/** Older notifications remain on the relay (loadMore). */
	more: boolean;
}

export interface NotificationCenterEvents {
	/** Anything in the snapshot changed. */
	change?: (snapshot: NotificationSnapshot) => void;
	/** A notification arrived live (new, or a batch that grew): the moment for a system notification. */
	arrived?: (notification: Notification) => void;
}

/** Notifications one page asks for. */
const PAGE = 50;

export class NotificationCenter {
	private status: NotificationCenterStatus = 'loading';
	private items: Notification[] = [];
	private unread = 0;
	private more = false;
	private readonly cleanups: (() => void)[] = [];
	/** Bumped on every (re)listing, so a late reply of an older one is ignored. */
	private generation = 0;

	constructor(
		private readonly transport: NotificationTransport,
		private readonly events: NotificationCenterEvents = {}
	) {}

	/** Lists now if connected and again on every reconnect (each new socket must ask to get pushes). */
	start(): void {
		this.cleanups.push(
			this.transport.onPush((frame) => this.onPush(frame)),
			this.transport.onReady(() => void this.refresh())
		);
		if (this.transport.ready) void this.refresh();
	}

	stop(): void {
		for (const cleanup of this.cleanups.splice(0)) cleanup();
		this.generation++;
	}

	snapshot(): NotificationSnapshot {
		return { status: this.status, items: this.items, unread: this.unread, more: this.more };
	}

	/** The newest page again (after a reconnect: what arrived meanwhile, and pushes from now on). */
	async refresh(): Promise<void> {
		const generation = ++this.generation;
		const page = await this.page({ t: 'notifications', limit: PAGE });
		if (!page || generation !== this.generation) return;
		this.items = [...page.notifications];
		this.unread = page.unread;
		this.more = page.more;
		this.status = 'ready';
		this.changed();
	}

	/** The next older page, appended. */
	async loadMore(): Promise<void> {
		const oldest = this.items.at(-1);
		if (!oldest || !this.more) return;
		const generation = this.generation;
		const page = await this.page({ t: 'notifications', before: oldest.id, limit: PAGE });
		if (!page || generation !== this.generation) return;
		const known = new Set(this.items.map((n) => n.id));
		this.items = [...this.items, ...page.notifications.filter((n) => !known.has(n.id))];
		this.unread = page.unread;
		this.more = page.more;
		this.changed();
	}

	/** Marks everything listed read (on every device of the account). */
	async markAllRead(): Promise<void> {
		const newest = this.items[0];
		if (!newest || this.unread === 0) return;
		await this.markRead(newest.id);
	}

	/**
	 * Marks notifications up to `upTo` read: shown as read at once, and corrected by the relay's
	 * answer. False when the relay did not take it (offline): the next listing shows the truth.
	 */
	async markRead(upTo: number): Promise<boolean> {
		this.applyRead(upTo, Date.now(), null);
		try {
			const reply = await this.transport.request({ t: 'notifications-read', upTo });
			if (reply.t !== 'notifications-read') return false;
			this.applyRead(reply.upTo, Date.now(), reply.unread);
			return true;
		} catch {
			return false;
		}
	}

	private async page(
		frame: NotificationRequest
	): Promise<Extract<ServerMessage, { t: 'notifications' }> | null> {
		try {
			const reply = await this.transport.request(frame);
			if (reply.t === 'notifications') return reply;
			throw new Error(`unexpected reply ${reply.t} to notifications`);
		} catch (error) {
			// A refusal with a code means this relay does not know the request; a lost connection
			// lists again on the next onReady.
			if (
				error instanceof RelayRefusal &&
				(error.code === WsErrorCode.invalidMessage || error.code === WsErrorCode.notImplemented)
			) {
				this.status = 'unavailable';
				this.changed();
			}
			return null;
		}
	}

	private onPush(frame: NotificationPush): void {
		if (frame.t === 'notifications-read') {
			this.applyRead(frame.upTo, Date.now(), frame.unread);
			return;
		}
		const { notification, replaces } = frame;
		const rest = this.items.filter((n) => n.id !== notification.id && n.id !== replaces);
		const at = rest.findIndex((n) => n.id < notification.id);
		this.items =
			at < 0 ? [...rest, notification] : [...rest.slice(0, at), notification, ...rest.slice(at)];
		this.unread = frame.unread;
		this.changed();
		this.events.arrived?.(notification);
	}

	/** `unread` is the relay's count; without it, the read marks of the listed ones are subtracted. */
	private applyRead(upTo: number, at: number, unread: number | null): void {
		let marked = 0;
		this.items = this.items.map((n) => {
			if (n.id > upTo || n.readAt !== null) return n;
			marked++;
			return { ...n, readAt: at };
		});
		this.unread = unread ?? Math.max(0, this.unread - marked);
		this.changed();
	}

	private changed(): void {
		this.events.change?.(this.snapshot());
	}
}
