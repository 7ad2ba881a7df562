// A device's NotificationCenter against the real relay: live news, read marks, and a reconnect that lists again and keeps pushes coming.

import { afterAll, beforeAll, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
	NotificationCenter,
	type NotificationPush,
	type NotificationSnapshot,
	type NotificationTransport
} from '../../../src/lib/notifications';
import {
	parseServerMessage,
	type Notification,
	type ServerMessage
} from '../../../src/lib/protocol';
import { MembershipChain } from '../../../src/lib/sync';
import { ConnectionLost, RelayRefusal } from '../../../src/lib/sync/engine';
import { startTestRelay, type TestRelay } from '../helpers/relay';
import { makeEnvelope, seedAccounts, StreamClient, type SeededAccount } from '../helpers/stream';

let relay: TestRelay;
const cleanups: (() => void)[] = [];

beforeAll(async () => {
	relay = await startTestRelay();
});
afterAll(async () => {
	for (const cleanup of cleanups) cleanup();
	await relay?.stop();
});

/**
 * The routing RelayConnection needs (see docs/notifications.md): replies by id, `notification`
 * and id-less `notifications-read` frames to push listeners, `onReady` after every `authed`.
 */
class SocketTransport implements NotificationTransport {
	ready = false;
	private socket: WebSocket | null = null;
	private ids = 0;
	private readonly pending = new Map<string, (reply: ServerMessage | Error) => void>();
	private readonly readyListeners = new Set<() => void>();
	private readonly pushListeners = new Set<(frame: NotificationPush) => void>();

	constructor(private readonly account: SeededAccount) {}

	connect(): void {
		const socket = new WebSocket(relay.wsUrl);
		this.socket = socket;
		socket.on('open', () =>
			socket.send(JSON.stringify({ t: 'auth', id: 'auth', token: this.account.token }))
		);
		socket.on('message', (data: Buffer) => {
			const parsed = parseServerMessage(data.toString('utf8'));
			if (!parsed.ok) throw new Error(parsed.message);
			const msg = parsed.msg;
			if (msg.t === 'authed') {
				this.ready = true;
				for (const listener of this.readyListeners) listener();
			} else if (
				msg.t === 'notification' ||
				(msg.t === 'notifications-read' && msg.id === undefined)
			) {
				for (const listener of this.pushListeners) listener(msg);
			} else if ('id' in msg && msg.id !== undefined) {
				const settle = this.pending.get(msg.id);
				this.pending.delete(msg.id);
				settle?.(msg.t === 'error' ? new RelayRefusal(msg.code, msg.message) : msg);
			}
		});
		socket.on('close', () => {
			this.ready = false;
			for (const settle of this.pending.values()) settle(new ConnectionLost());
			this.pending.clear();
		});
	}

	/** Drops the socket, as a network change would. */
	drop(): Promise<void> {
		const socket = this.socket;
		return new Promise((resolve) => {
			socket?.once('close', () => resolve());
			socket?.terminate();
		});
	}

	onReady(listener: () => void) {
		this.readyListeners.add(listener);
		return () => this.readyListeners.delete(listener);
	}

	onPush(listener: (frame: NotificationPush) => void) {
		this.pushListeners.add(listener);
		return () => this.pushListeners.delete(listener);
	}

	request(frame: object): Promise<ServerMessage> {
		const id = `n${++this.ids}`;
		return new Promise((resolve, reject) => {
			this.pending.set(id, (reply) => (reply instanceof Error ? reject(reply) : resolve(reply)));
			this.socket?.send(JSON.stringify({ ...frame, id }));
		});
	}
}

/** A device of `account` with its centre, and a way to wait until its snapshot matches. */
function device(account: SeededAccount) {
	const transport = new SocketTransport(account);
	const waiters: { check: (s: NotificationSnapshot) => boolean; resolve: () => void }[] = [];
	const arrived: Notification[] = [];
	let last: NotificationSnapshot | null = null;
	const center = new NotificationCenter(transport, {
		change: (snapshot) => {
			last = snapshot;
			for (const waiter of [...waiters]) {
				if (!waiter.check(snapshot)) continue;
				waiters.splice(waiters.indexOf(waiter), 1);
				waiter.resolve();
			}
		},
		arrived: (n) => arrived.push(n)
	});
	center.start();
	transport.connect();
	cleanups.push(() => {
		center.stop();
		void transport.drop();
	});
	const until = (check: (s: NotificationSnapshot) => boolean) =>
		new Promise<void>((resolve) => {
			if (last && check(last)) resolve();
			else waiters.push({ check, resolve });
		});
	return { center, transport, arrived, until };
}

it('shows an album shared with bob and alice’s photos live, marks them read, and keeps news coming after a reconnect', async () => {
	const [alice, bob] = (await seedAccounts(relay.dataDir, ['alice', 'bob'])) as [
		SeededAccount,
		SeededAccount
	];
	const phone = device(bob);
	await phone.until((s) => s.status === 'ready');

	const owner = await StreamClient.connect(relay.url, alice);
	cleanups.push(() => owner.close());
	const { albumId, genesis, chain, epochKey } = await MembershipChain.createAlbum(alice.identity);
	await owner.request({ t: 'append-membership', entry: genesis });
	const add = await chain.addMember(alice.identity, bob, 'viewer', epochKey);
	await owner.request({ t: 'append-membership', entry: add });
	await chain.append(add);
	const postPhoto = async () =>
		owner.request({
			t: 'post',
			envelope: await makeEnvelope({
				author: alice.identity,
				albumId,
				docId: `contrib:${alice.signPk}`,
				kind: 'update',
				epoch: chain.state.epoch,
				chainIndex: chain.state.head.index,
				epochKey,
				plaintext: new TextEncoder().encode('a photo')
			})
		});
	await postPhoto();
	await postPhoto();

	await phone.until((s) => s.items.some((n) => n.type === 'photos' && n.count === 2));
	expect(phone.center.snapshot().items.map((n) => [n.type, n.albumId])).toEqual([
		['photos', albumId],
		['shared', albumId]
	]);
	expect(phone.center.snapshot().unread).toBe(2);
	expect(phone.arrived[0]?.type).toBe('shared');
	expect(phone.arrived.at(-1)).toMatchObject({ type: 'photos', count: 2 });

	// Read on the phone: a second device of bob's sees the badge clear.
	const laptop = device(bob);
	await laptop.until((s) => s.status === 'ready' && s.unread === 2);
	await phone.center.markAllRead();
	await laptop.until((s) => s.unread === 0);
	expect(laptop.center.snapshot().items.every((n) => n.readAt !== null)).toBe(true);

	// The phone's socket drops; while it is away alice posts; on reconnect it lists what came and
	// gets pushes on its new socket.
	await phone.transport.drop();
	await postPhoto();
	phone.transport.connect();
	await phone.until((s) => s.unread === 1 && s.items[0]?.count === 1);
	await postPhoto();
	await phone.until((s) => s.items[0]?.count === 2 && s.unread === 1);
	expect(phone.center.snapshot().items.filter((n) => n.type === 'photos')).toHaveLength(2);
});
