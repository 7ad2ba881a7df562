// NotificationCenter: lists on every connection, applies pushes (new, grown batches, read marks), marks read, survives refusals.

import { describe, expect, it } from 'vitest';
import {
	NotificationCenter,
	type NotificationPush,
	type NotificationRequest,
	type NotificationTransport
} from '../../../src/lib/notifications';
import type { Notification, ServerMessage } from '../../../src/lib/protocol';
import { ConnectionLost, RelayRefusal } from '../../../src/lib/sync/engine';

const ALBUM = 'B'.repeat(22);

function note(id: number, extra: Partial<Notification> = {}): Notification {
	return {
		id,
		albumId: ALBUM,
		type: 'shared',
		createdAt: 1000 + id,
		updatedAt: 1000 + id,
		count: 1,
		readAt: null,
		...extra
	};
}

/** A relay stand-in: answers requests with `answer`, and lets the test push frames and reconnect. */
class FakeTransport implements NotificationTransport {
	ready = false;
	readonly requests: NotificationRequest[] = [];
	private readyListeners = new Set<() => void>();
	private pushListeners = new Set<(frame: NotificationPush) => void>();

	constructor(public answer: (frame: NotificationRequest) => Promise<ServerMessage>) {}

	onReady(listener: () => void) {
		this.readyListeners.add(listener);
		return () => this.readyListeners.delete(listener);
	}
	onPush(listener: (frame: NotificationPush) => void) {
		this.pushListeners.add(listener);
		return () => this.pushListeners.delete(listener);
	}
	request(frame: NotificationRequest) {
		this.requests.push(frame);
		return this.answer(frame);
	}
	connect() {
		this.ready = true;
		for (const listener of this.readyListeners) listener();
	}
	push(frame: NotificationPush) {
		for (const listener of this.pushListeners) listener(frame);
	}
}

const page = (notifications: Notification[], unread: number, more = false): ServerMessage => ({
	t: 'notifications',
	notifications,
	unread,
	more
});

/** Resolves once the centre has handled everything already started. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('NotificationCenter', () => {
	it('lists on every (re)connection, since each new socket must ask to get pushes', async () => {
		let listed = [note(2), note(1)];
		const transport = new FakeTransport(async () => page(listed, 2));
		const center = new NotificationCenter(transport);
		center.start();
		expect(center.snapshot().status).toBe('loading');
		transport.connect();
		await settle();
		expect(center.snapshot()).toMatchObject({ status: 'ready', unread: 2 });
		expect(center.snapshot().items.map((n) => n.id)).toEqual([2, 1]);

		listed = [note(3), note(2), note(1)];
		transport.connect();
		await settle();
		expect(center.snapshot().items.map((n) => n.id)).toEqual([3, 2, 1]);
		expect(transport.requests.filter((r) => r.t === 'notifications')).toHaveLength(2);
	});

	it('a pushed batch that grew replaces its old id and moves to the top; `arrived` is told', async () => {
		const transport = new FakeTransport(async () =>
			page([note(5), note(4, { type: 'photos', count: 2 })], 2)
		);
		const arrived: Notification[] = [];
		const center = new NotificationCenter(transport, { arrived: (n) => arrived.push(n) });
		center.start();
		transport.connect();
		await settle();

		const grown = note(6, { type: 'photos', count: 3 });
		transport.push({ t: 'notification', notification: grown, replaces: 4, unread: 2 });
		expect(center.snapshot().items.map((n) => [n.id, n.count])).toEqual([
			[6, 3],
			[5, 1]
		]);
		expect(arrived).toEqual([grown]);
	});

	it('marking all read shows at once, and takes the relay’s count; a read mark from another device applies too', async () => {
		const transport = new FakeTransport(async (frame) =>
			frame.t === 'notifications-read'
				? { t: 'notifications-read', upTo: frame.upTo, unread: 0 }
				: page([note(8), note(7)], 2)
		);
		const center = new NotificationCenter(transport);
		center.start();
		transport.connect();
		await settle();

		const marking = center.markAllRead();
		expect(center.snapshot().unread).toBe(0);
		expect(await marking).toBeUndefined();
		expect(transport.requests.at(-1)).toEqual({ t: 'notifications-read', upTo: 8 });
		expect(center.snapshot().items.every((n) => n.readAt !== null)).toBe(true);

		transport.push({ t: 'notification', notification: note(9), unread: 1 });
		transport.push({ t: 'notifications-read', upTo: 9, unread: 0 });
		expect(center.snapshot()).toMatchObject({ unread: 0 });
		expect(center.snapshot().items[0]).toMatchObject({ id: 9, readAt: expect.any(Number) });
	});

	it('loads older pages below the ones it has', async () => {
		const transport = new FakeTransport(async (frame) =>
			frame.t === 'notifications' && frame.before === 3
				? page([note(2), note(1)], 0, false)
				: page([note(4), note(3)], 0, true)
		);
		const center = new NotificationCenter(transport);
		center.start();
		transport.connect();
		await settle();
		await center.loadMore();
		expect(center.snapshot().items.map((n) => n.id)).toEqual([4, 3, 2, 1]);
		expect(center.snapshot().more).toBe(false);
	});

	it('an older relay that refuses the request leaves it unavailable; a lost connection only waits', async () => {
		const refusing = new FakeTransport(async () => {
			throw new RelayRefusal('invalid-message', 't: must be one of ping, auth');
		});
		const old = new NotificationCenter(refusing);
		old.start();
		refusing.connect();
		await settle();
		expect(old.snapshot().status).toBe('unavailable');

		const dropping = new FakeTransport(async () => {
			throw new ConnectionLost();
		});
		const offline = new NotificationCenter(dropping);
		offline.start();
		dropping.connect();
		await settle();
		expect(offline.snapshot().status).toBe('loading');
		expect(await offline.markRead(3)).toBe(false);
	});

	it('stops listening when stopped', async () => {
		const transport = new FakeTransport(async () => page([], 0));
		const center = new NotificationCenter(transport);
		center.start();
		center.stop();
		transport.connect();
		transport.push({ t: 'notification', notification: note(1), unread: 1 });
		await settle();
		expect(center.snapshot()).toMatchObject({ status: 'loading', items: [], unread: 0 });
		expect(transport.requests).toEqual([]);
	});
});
