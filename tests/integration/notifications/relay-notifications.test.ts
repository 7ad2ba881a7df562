// The relay's notification centre: what membership changes and photo posts record, live pushes, batching, read marks, isolation, bad input.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
	MAX_NOTIFICATIONS_PER_PAGE,
	type MembershipEntry,
	type Notification,
	type ServerMessage
} from '../../../src/lib/protocol';
import { MembershipChain } from '../../../src/lib/sync';
import { openDatabase } from '../../../relay/src/db';
import { createLogger } from '../../../relay/src/log';
import { NotificationStore } from '../../../relay/src/notifications';
import { startTestRelay, type TestRelay } from '../helpers/relay';
import { makeEnvelope, seedAccounts, StreamClient, type SeededAccount } from '../helpers/stream';

let relay: TestRelay;
const clients: StreamClient[] = [];

beforeAll(async () => {
	relay = await startTestRelay();
});
afterAll(async () => {
	for (const client of clients) client.close();
	await relay?.stop();
});

async function connect(account?: SeededAccount): Promise<StreamClient> {
	const client = await StreamClient.connect(relay.url, account);
	clients.push(client);
	return client;
}

type Pushed = Extract<ServerMessage, { t: 'notification' }>;
type Page = Extract<ServerMessage, { t: 'notifications' }>;

/** Lists the socket's notifications (which also makes it a listener for pushes). */
async function list(client: StreamClient, extra: object = {}): Promise<Page> {
	const reply = await client.request({ t: 'notifications', ...extra });
	if (reply.t !== 'notifications') throw new Error(`list failed: ${JSON.stringify(reply)}`);
	return reply;
}

const pushes = (client: StreamClient) =>
	client.frames.filter((f): f is Pushed => f.t === 'notification');

const waitForPush = (client: StreamClient, match: (n: Notification) => boolean) =>
	client.waitFor((f): f is Pushed => f.t === 'notification' && match(f.notification));

/** Fresh accounts for one test, so notifications of other tests never mix in. */
async function people<const N extends readonly string[]>(
	...names: N
): Promise<{ [K in keyof N]: SeededAccount }> {
	return (await seedAccounts(relay.dataDir, names)) as { [K in keyof N]: SeededAccount };
}

/** An album of `owner` on the relay, with helpers to change its members and post to it. */
async function album(owner: SeededAccount) {
	const socket = await connect(owner);
	const created = await MembershipChain.createAlbum(owner.identity);
	const { chain } = created;
	let epochKey = created.epochKey;
	const append = async (entry: MembershipEntry) => {
		const reply = await socket.request({ t: 'append-membership', entry });
		if (reply.t !== 'ack') throw new Error(`append failed: ${JSON.stringify(reply)}`);
		if (entry.op !== 'create') await chain.append(entry);
		return reply.seq;
	};
	await append(created.genesis);
	return {
		albumId: created.albumId,
		socket,
		add: async (member: SeededAccount) =>
			append(await chain.addMember(owner.identity, member, 'collaborator', epochKey)),
		remove: async (member: SeededAccount) => {
			const removal = await chain.removeMember(owner.identity, member.signPk, new Map());
			epochKey = removal.epochKey;
			return append(removal.entry);
		},
		lastEntry: () => chain.entries.at(-1)!,
		envelope: (
			author: SeededAccount,
			docId = `contrib:${author.signPk}`,
			kind: 'update' | 'snapshot' = 'update'
		) =>
			makeEnvelope({
				author: author.identity,
				albumId: created.albumId,
				docId,
				kind,
				epoch: chain.state.epoch,
				chainIndex: chain.state.head.index,
				epochKey,
				plaintext: new TextEncoder().encode(`photo ${Math.random()}`),
				...(kind === 'snapshot' ? { covers: 0 } : {})
			})
	};
}

async function post(client: StreamClient, envelope: object): Promise<number> {
	const reply = await client.request({ t: 'post', envelope });
	if (reply.t !== 'ack') throw new Error(`post failed: ${JSON.stringify(reply)}`);
	return reply.seq;
}

describe('membership changes', () => {
	it('adding bob pushes him one `shared` notification at once and lists it; a resent add records nothing more', async () => {
		const [alice, bob] = await people('alice', 'bob');
		const bobSocket = await connect(bob);
		expect(await list(bobSocket)).toMatchObject({ notifications: [], unread: 0, more: false });

		const shared = await album(alice);
		const seq = await shared.add(bob);
		const pushed = await waitForPush(bobSocket, (n) => n.type === 'shared');
		expect(pushed).toMatchObject({
			notification: { albumId: shared.albumId, type: 'shared', count: 1, readAt: null },
			unread: 1
		});

		// The same signed entry again is acked with its first seq and is not news.
		const resent = await shared.socket.request({
			t: 'append-membership',
			entry: shared.lastEntry()
		});
		expect(resent).toMatchObject({ t: 'ack', seq });
		await shared.socket.sync();
		await bobSocket.sync();

		const page = await list(bobSocket);
		expect(page.unread).toBe(1);
		expect(page.notifications).toEqual([pushed.notification]);
		expect(pushes(bobSocket)).toHaveLength(1);
		// The one who shared is not notified of their own action.
		expect((await list(await connect(alice))).notifications).toEqual([]);
	});

	it('removing bob gives him `removed`, newest first above `shared`', async () => {
		const [alice, bob] = await people('alice', 'bob');
		const bobSocket = await connect(bob);
		await list(bobSocket);
		const shared = await album(alice);
		await shared.add(bob);
		await shared.remove(bob);
		await waitForPush(bobSocket, (n) => n.type === 'removed');
		const page = await list(bobSocket);
		expect(page.notifications.map((n) => [n.type, n.albumId])).toEqual([
			['removed', shared.albumId],
			['shared', shared.albumId]
		]);
		expect(page.unread).toBe(2);
	});
});

describe('new photos', () => {
	it("twenty posts by alice become ONE unread `photos` row for bob with their count; alice's own posts never notify her", async () => {
		const [alice, bob] = await people('alice', 'bob');
		const shared = await album(alice);
		await shared.add(bob);
		const bobSocket = await connect(bob);
		await list(bobSocket);

		const envelopes = await Promise.all(Array.from({ length: 20 }, () => shared.envelope(alice)));
		await Promise.all(envelopes.map((envelope) => post(shared.socket, envelope)));
		await waitForPush(bobSocket, (n) => n.type === 'photos' && n.count === 20);

		const page = await list(bobSocket);
		const photos = page.notifications.filter((n) => n.type === 'photos');
		expect(photos).toHaveLength(1);
		expect(photos[0]).toMatchObject({ albumId: shared.albumId, count: 20, readAt: null });
		// shared + one photos batch
		expect(page.unread).toBe(2);

		// A resent envelope (acked with its first seq) counts once only.
		await post(shared.socket, envelopes[0]!);
		await shared.socket.sync();
		expect((await list(bobSocket)).notifications.find((n) => n.type === 'photos')?.count).toBe(20);

		// A growing batch moves to the top under a new id and says which id it replaces.
		await post(shared.socket, await shared.envelope(alice));
		const grown = await bobSocket.waitFor(
			(f): f is Pushed => f.t === 'notification' && f.notification.count === 21
		);
		expect(grown.replaces).toBe(photos[0]!.id);
		expect(grown.notification.id).toBeGreaterThan(photos[0]!.id);
		expect(grown.notification.createdAt).toBe(photos[0]!.createdAt);

		expect((await list(await connect(alice))).notifications).toEqual([]);
	});

	it("bob's posts notify alice, not bob; snapshots and comment docs notify no one", async () => {
		const [alice, bob] = await people('alice', 'bob');
		const shared = await album(alice);
		await shared.add(bob);
		const aliceSocket = await connect(alice);
		const bobSocket = await connect(bob);
		await list(aliceSocket);
		await list(bobSocket);

		await post(bobSocket, await shared.envelope(bob, `activity:${bob.signPk}`));
		await post(bobSocket, await shared.envelope(bob, `contrib:${bob.signPk}`, 'snapshot'));
		await post(bobSocket, await shared.envelope(bob));
		await waitForPush(aliceSocket, (n) => n.type === 'photos');

		const alicePage = await list(aliceSocket);
		expect(alicePage.notifications.map((n) => [n.type, n.count])).toEqual([['photos', 1]]);
		await bobSocket.sync();
		expect(pushes(bobSocket)).toEqual([]);
		expect((await list(bobSocket)).notifications.map((n) => n.type)).toEqual(['shared']);
	});

	it('a library (one member) notifies no one', async () => {
		const [solo] = await people('solo');
		const library = await album(solo);
		const socket = await connect(solo);
		await list(socket);
		await post(library.socket, await library.envelope(solo));
		await socket.sync();
		expect(pushes(socket)).toEqual([]);
		expect((await list(socket)).notifications).toEqual([]);
	});
});

describe('reading', () => {
	it('marking read clears the unread count on every socket of the account; news after that is a new row', async () => {
		const [alice, bob] = await people('alice', 'bob');
		const shared = await album(alice);
		const phone = await connect(bob);
		const laptop = await connect(bob);
		await list(phone);
		await list(laptop);
		await shared.add(bob);
		await post(shared.socket, await shared.envelope(alice));
		await waitForPush(laptop, (n) => n.type === 'photos');
		const before = await list(phone);
		expect(before.unread).toBe(2);

		const newest = before.notifications[0]!.id;
		const reply = await phone.request({ t: 'notifications-read', upTo: newest });
		expect(reply).toMatchObject({ t: 'notifications-read', upTo: newest, unread: 0 });
		const told = await laptop.waitFor((f) => f.t === 'notifications-read');
		expect(told).toEqual({ t: 'notifications-read', upTo: newest, unread: 0 });
		const after = await list(laptop);
		expect(after.unread).toBe(0);
		expect(after.notifications.every((n) => n.readAt !== null)).toBe(true);

		// A read batch is not reopened: the next photos make a new unread row.
		await post(shared.socket, await shared.envelope(alice));
		const fresh = await waitForPush(phone, (n) => n.type === 'photos' && n.id > newest);
		expect(fresh).toMatchObject({ notification: { count: 1, readAt: null }, unread: 1 });
		expect(fresh.replaces).toBeUndefined();
	});

	it('pages newest first with `before` and `limit`', async () => {
		const [alice, bob] = await people('alice', 'bob');
		const socket = await connect(bob);
		for (let i = 0; i < 3; i++) await (await album(alice)).add(bob);
		await socket.sync();
		const first = await list(socket, { limit: 2 });
		expect(first.notifications).toHaveLength(2);
		expect(first.more).toBe(true);
		const rest = await list(socket, { limit: 2, before: first.notifications[1]!.id });
		expect(rest.notifications).toHaveLength(1);
		expect(rest.more).toBe(false);
		const ids = [...first.notifications, ...rest.notifications].map((n) => n.id);
		expect(ids).toEqual([...ids].sort((a, b) => b - a));
	});
});

describe('isolation and bad input', () => {
	it("a session of another account never sees bob's notifications, and cannot mark them read", async () => {
		const [alice, bob, carol] = await people('alice', 'bob', 'carol');
		const carolSocket = await connect(carol);
		await list(carolSocket);
		const bobSocket = await connect(bob);
		await list(bobSocket);
		const shared = await album(alice);
		await shared.add(bob);
		await post(shared.socket, await shared.envelope(alice));
		const pushed = await waitForPush(bobSocket, (n) => n.type === 'photos');

		const marked = await carolSocket.request({
			t: 'notifications-read',
			upTo: pushed.notification.id
		});
		expect(marked).toMatchObject({ t: 'notifications-read', unread: 0 });
		await carolSocket.sync();
		expect(pushes(carolSocket)).toEqual([]);
		expect((await list(carolSocket)).notifications).toEqual([]);
		expect((await list(bobSocket)).unread).toBe(2);
	});

	it('malformed requests get an error naming the field; the socket keeps working', async () => {
		const [dave] = await people('dave');
		const socket = await connect(dave);
		const cases: [object, string, RegExp][] = [
			[{ t: 'notifications', limit: 0 }, 'invalid-message', /^limit: must be at least 1/],
			[
				{ t: 'notifications', limit: MAX_NOTIFICATIONS_PER_PAGE + 1 },
				'invalid-message',
				/^limit: must be at most 100/
			],
			[{ t: 'notifications', before: 1.5 }, 'invalid-message', /^before: must be a whole number/],
			[
				{ t: 'notifications', everything: true },
				'invalid-message',
				/^everything: is not an allowed/
			],
			[{ t: 'notifications-read' }, 'invalid-message', /^upTo: is missing/],
			[{ t: 'notifications-read', upTo: -1 }, 'invalid-message', /^upTo: must not be negative/],
			[{ t: 'notifications-read', upTo: 'all' }, 'invalid-message', /^upTo: /]
		];
		for (const [frame, code, message] of cases) {
			const reply = await socket.request(frame);
			expect(reply, JSON.stringify(frame)).toMatchObject({ t: 'error', code });
			expect(reply.t === 'error' && reply.message).toMatch(message);
		}
		expect(await list(socket)).toMatchObject({ notifications: [], unread: 0 });

		const anonymous = await connect();
		expect(await anonymous.request({ t: 'notifications' })).toMatchObject({
			t: 'error',
			code: 'unauthenticated'
		});
	});
});

describe('NotificationStore', () => {
	it('keeps only the newest notifications of an account; record() never throws', async () => {
		const [erin] = await people('erin');
		const db = openDatabase(relay.dataDir);
		try {
			const store = new NotificationStore(db, createLogger('silent'), {
				membersOf: () => [],
				maxPerAccount: 5
			});
			const albumId = 'A'.repeat(22);
			for (let i = 0; i < 8; i++) store.record(erin.accountId, albumId, 'invite-accepted');
			const page = store.list(erin.accountId, { limit: 100 });
			expect(page.notifications).toHaveLength(5);
			expect(page.unread).toBe(5);
			// An account that does not exist, an album id no device would accept: logged, not thrown,
			// and nothing stored that would spoil the pages devices check.
			expect(() => store.record('no-such-account', albumId, 'shared')).not.toThrow();
			expect(() => store.record(erin.accountId, 'not an album id', 'shared')).not.toThrow();
			expect(store.list(erin.accountId, { limit: 100 }).notifications).toHaveLength(5);
		} finally {
			db.close();
		}
	});
});
