// RelayConnection: authenticates on open, matches replies, validates frames, reconnects with jittered backoff, resubscribes.

import { describe, expect, it } from 'vitest';
import {
	ConnectionLost,
	RelayConnection,
	RelayRefusal,
	backoffDelay,
	type AlbumFrame,
	type AlbumFollower,
	type Clock,
	type SocketLike
} from '../../../../src/lib/sync/engine';

const ALBUM = 'AAAAAAAAAAAAAAAAAAAAAA';

class FakeSocket implements SocketLike {
	readyState = 0;
	sent: Record<string, unknown>[] = [];
	closedWith: number | null = null;
	onopen: ((event: unknown) => void) | null = null;
	onmessage: ((event: { data: unknown }) => void) | null = null;
	onclose: ((event: { code: number; reason: string }) => void) | null = null;
	onerror: ((event: unknown) => void) | null = null;

	send(data: string): void {
		this.sent.push(JSON.parse(data) as Record<string, unknown>);
	}
	close(code = 1000): void {
		this.closedWith = code;
		this.drop(code);
	}
	open(): void {
		this.readyState = 1;
		this.onopen?.({});
	}
	receive(frame: unknown): void {
		this.onmessage?.({ data: typeof frame === 'string' ? frame : JSON.stringify(frame) });
	}
	drop(code = 1006): void {
		this.readyState = 3;
		this.onclose?.({ code, reason: '' });
	}
	last(): Record<string, unknown> {
		return this.sent[this.sent.length - 1]!;
	}
}

/** A clock whose timers run only when the test says so. */
class ManualClock implements Clock {
	time = 0;
	timers: { at: number; fn: () => void; id: number }[] = [];
	private ids = 0;
	now = () => this.time;
	setTimeout = (fn: () => void, ms: number) => {
		const id = ++this.ids;
		this.timers.push({ at: this.time + ms, fn, id });
		return id;
	};
	clearTimeout = (handle: unknown) => {
		this.timers = this.timers.filter((t) => t.id !== handle);
	};
	advance(ms: number): void {
		this.time += ms;
		for (;;) {
			const due = this.timers.filter((t) => t.at <= this.time).sort((a, b) => a.at - b.at)[0];
			if (!due) return;
			this.timers = this.timers.filter((t) => t !== due);
			due.fn();
		}
	}
}

function setup(random = () => 0.5) {
	const sockets: FakeSocket[] = [];
	const clock = new ManualClock();
	const connection = new RelayConnection({
		url: 'ws://relay.test/ws',
		token: () => 'token-1',
		createSocket: () => {
			const socket = new FakeSocket();
			sockets.push(socket);
			return socket;
		},
		clock,
		random,
		backoff: { baseMs: 100, capMs: 1000 },
		pingIntervalMs: 5000,
		pongTimeoutMs: 1000
	});
	const flush = () => new Promise((resolve) => setTimeout(resolve, 0));
	const ready = async (socket: FakeSocket) => {
		socket.open();
		await flush();
		expect(socket.last()).toEqual({ t: 'auth', id: 'auth', token: 'token-1' });
		socket.receive({ t: 'authed', id: 'auth', accountId: 'acc' });
	};
	return { sockets, clock, connection, flush, ready };
}

function recorder(): AlbumFollower & {
	frames: AlbumFrame[];
	readies: number;
	disconnects: number;
} {
	return {
		frames: [],
		readies: 0,
		disconnects: 0,
		onReady() {
			this.readies++;
		},
		onFrame(frame) {
			this.frames.push(frame);
		},
		onDisconnect() {
			this.disconnects++;
		}
	};
}

describe('RelayConnection', () => {
	it('authenticates with the session token as soon as the socket opens', async () => {
		const { sockets, connection, ready } = setup();
		connection.start();
		await ready(sockets[0]!);
		expect(connection.status).toBe('ready');
	});

	it('matches acks and refusals to their requests by id', async () => {
		const { sockets, connection, ready } = setup();
		connection.start();
		const socket = sockets[0]!;
		await ready(socket);
		const first = connection.request({ t: 'subscribe', albumId: ALBUM, since: 0 });
		const second = connection.request({ t: 'unsubscribe', albumId: ALBUM });
		const [a, b] = socket.sent.slice(-2) as { id: string }[];
		expect(a!.id).not.toBe(b!.id);
		socket.receive({ t: 'error', id: b!.id, code: 'not-a-member', message: 'no' });
		socket.receive({ t: 'caught-up', id: a!.id, albumId: ALBUM, seq: 4 });
		expect(await first).toMatchObject({ t: 'caught-up', seq: 4 });
		const refusal = await second.catch((error: unknown) => error);
		expect(refusal).toBeInstanceOf(RelayRefusal);
		expect((refusal as RelayRefusal).code).toBe('not-a-member');
	});

	it('ignores frames that fail the protocol schema, and routes album frames in order', async () => {
		const { sockets, connection, ready } = setup();
		const follower = recorder();
		connection.follow(ALBUM, follower);
		connection.start();
		const socket = sockets[0]!;
		await ready(socket);
		socket.receive('not json');
		socket.receive({ t: 'entry', albumId: ALBUM, seq: 1, item: { type: 'membership', entry: {} } });
		socket.receive({ t: 'caught-up', albumId: ALBUM, seq: 0 });
		expect(follower.frames).toEqual([{ t: 'caught-up', albumId: ALBUM, seq: 0 }]);
	});

	it('fails requests in flight when the socket drops, reconnects after a jittered delay, and tells followers to resubscribe', async () => {
		const { sockets, clock, connection, ready } = setup(() => 0.5);
		const follower = recorder();
		connection.follow(ALBUM, follower);
		connection.start();
		await ready(sockets[0]!);
		expect(follower.readies).toBe(1);
		const pending = connection.request({ t: 'ping' });
		sockets[0]!.drop();
		expect(await pending.catch((error: unknown) => error)).toBeInstanceOf(ConnectionLost);
		expect(follower.disconnects).toBe(1);
		expect(connection.status).toBe('waiting');

		// attempt 0: random 0.5 of min(1000, 100) = 50 ms.
		clock.advance(49);
		expect(sockets).toHaveLength(1);
		clock.advance(1);
		expect(sockets).toHaveLength(2);
		await ready(sockets[1]!);
		expect(follower.readies).toBe(2);
	});

	it('backs off exponentially up to the cap, with full jitter', () => {
		const options = { baseMs: 100, capMs: 1000 };
		expect(backoffDelay(0, () => 0.999, options)).toBe(99);
		expect(backoffDelay(3, () => 0.999, options)).toBe(799);
		expect(backoffDelay(10, () => 0.999, options)).toBe(999);
		expect(backoffDelay(10, () => 0, options)).toBe(0);
	});

	it('stops retrying when the session has ended', async () => {
		const { sockets, clock, connection, flush } = setup();
		connection.start();
		sockets[0]!.open();
		await flush();
		sockets[0]!.receive({ t: 'error', id: 'auth', code: 'unauthenticated', message: 'ended' });
		expect(connection.status).toBe('signed-out');
		clock.advance(60_000);
		expect(sockets).toHaveLength(1);
	});

	it('replaces a socket whose relay stops answering pings', async () => {
		const { sockets, clock, connection, ready } = setup();
		connection.start();
		await ready(sockets[0]!);
		clock.advance(5000);
		expect(sockets[0]!.last()).toMatchObject({ t: 'ping' });
		clock.advance(1000);
		expect(sockets[0]!.closedWith).toBe(4000);
		clock.advance(1000);
		expect(sockets.length).toBe(2);
	});
});
