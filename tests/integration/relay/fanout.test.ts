// The relay's fan-out path under a burst: every follower gets every write once, in seq order, intact; new-photo notifications are batched and go only to those who were members when the photos were posted.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
	Envelope,
	MembershipEntry,
	Notification,
	ServerMessage
} from '../../../src/lib/protocol';
import { MembershipChain } from '../../../src/lib/sync';
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

async function connect(account: SeededAccount): Promise<StreamClient> {
	const client = await StreamClient.connect(relay.url, account);
	clients.push(client);
	return client;
}

/** An album of `owner` with `others` added (collaborators unless named viewers). */
async function album(owner: SeededAccount, others: SeededAccount[], viewers: SeededAccount[] = []) {
	const socket = await connect(owner);
	const created = await MembershipChain.createAlbum(owner.identity);
	const append = async (entry: MembershipEntry) => {
		const reply = await socket.request({ t: 'append-membership', entry });
		if (reply.t !== 'ack') throw new Error(`append failed: ${JSON.stringify(reply)}`);
		if (entry.op !== 'create') await created.chain.append(entry);
	};
	await append(created.genesis);
	const add = async (member: SeededAccount, role: 'collaborator' | 'viewer') =>
		append(await created.chain.addMember(owner.identity, member, role, created.epochKey));
	for (const member of others) await add(member, 'collaborator');
	for (const member of viewers) await add(member, 'viewer');
	return {
		albumId: created.albumId,
		socket,
		add,
		envelope: (author: SeededAccount, text: string) =>
			makeEnvelope({
				author: author.identity,
				albumId: created.albumId,
				docId: `contrib:${author.signPk}`,
				kind: 'update',
				epoch: created.chain.state.epoch,
				chainIndex: created.chain.state.head.index,
				epochKey: created.epochKey,
				plaintext: new TextEncoder().encode(text)
			})
	};
}

type EntryFrame = Extract<ServerMessage, { t: 'entry' }>;

describe('fan-out', () => {
	it('a burst from three writers reaches every follower once, in seq order without gaps, the authors included, each envelope as posted', async () => {
		const [owner, ann, ben, vera] = await seedAccounts(relay.dataDir, ['o', 'ann', 'ben', 'vera']);
		const shared = await album(owner!, [ann!, ben!], [vera!]);
		const writers = [
			{ account: owner!, socket: shared.socket },
			{ account: ann!, socket: await connect(ann!) },
			{ account: ben!, socket: await connect(ben!) }
		];
		const viewer = await connect(vera!);
		const followers = [...writers.map((w) => w.socket), viewer];
		const since = new Map<StreamClient, number>();
		for (const follower of followers) {
			since.set(follower, (await follower.subscribe(shared.albumId, 0)).seq);
		}

		// Each writer sends its posts without waiting for acks, so they land in many turns and batches.
		const posted = new Map<string, Envelope>();
		const acks = await Promise.all(
			writers.map(async ({ account, socket }) => {
				const envelopes = await Promise.all(
					Array.from({ length: 30 }, (_, i) => shared.envelope(account, `${account.email} ${i}`))
				);
				for (const envelope of envelopes) posted.set(envelope.sig, envelope);
				return Promise.all(
					envelopes.map(async (envelope) => {
						const reply = await socket.request({ t: 'post', envelope });
						if (reply.t !== 'ack') throw new Error(`post failed: ${JSON.stringify(reply)}`);
						return [envelope.sig, reply.seq] as const;
					})
				);
			})
		);
		const ackedSeq = new Map(acks.flat());
		const lastSeq = Math.max(...ackedSeq.values());

		for (const follower of followers) {
			await follower.waitFor((f) => f.t === 'entry' && f.seq === lastSeq);
			const live = follower
				.entries(shared.albumId)
				.filter(
					(f): f is EntryFrame & { seq: number } => f.seq !== null && f.seq > since.get(follower)!
				);
			expect(live.map((f) => f.seq)).toEqual(
				Array.from({ length: 90 }, (_, i) => since.get(follower)! + 1 + i)
			);
			for (const frame of live) {
				if (frame.item.type !== 'envelope') throw new Error('expected only envelopes');
				const envelope = frame.item.envelope;
				expect(envelope).toEqual(posted.get(envelope.sig));
				expect(frame.seq).toBe(ackedSeq.get(envelope.sig));
			}
		}
	});
});

describe('new-photo notifications', () => {
	const waitForPhotos = (client: StreamClient, albumId: string, count: number) =>
		client.waitFor(
			(f): f is Extract<ServerMessage, { t: 'notification' }> =>
				f.t === 'notification' &&
				f.notification.type === 'photos' &&
				f.notification.albumId === albumId &&
				f.notification.count === count
		);

	it('a burst of posts becomes one row per member, and someone added right after them is not told of them', async () => {
		const [alice, bob, carol] = await seedAccounts(relay.dataDir, ['alice', 'bob', 'carol']);
		const shared = await album(alice!, [bob!]);
		const bobSocket = await connect(bob!);
		const carolSocket = await connect(carol!);
		await bobSocket.request({ t: 'notifications' });
		await carolSocket.request({ t: 'notifications' });

		const envelopes = await Promise.all(
			Array.from({ length: 12 }, (_, i) => shared.envelope(alice!, `photo ${i}`))
		);
		await Promise.all(envelopes.map((envelope) => shared.socket.request({ t: 'post', envelope })));
		// Carol joins while the photos' notifications may still be gathering.
		await shared.add(carol!, 'collaborator');
		await waitForPhotos(bobSocket, shared.albumId, 12);

		const bobPage = await bobSocket.request({ t: 'notifications' });
		if (bobPage.t !== 'notifications') throw new Error(JSON.stringify(bobPage));
		expect(bobPage.notifications.filter((n: Notification) => n.type === 'photos')).toHaveLength(1);
		await carolSocket.sync();
		const carolPage = await carolSocket.request({ t: 'notifications' });
		if (carolPage.t !== 'notifications') throw new Error(JSON.stringify(carolPage));
		expect(carolPage.notifications.map((n: Notification) => n.type)).toEqual(['shared']);
	});
});
