// The relay's album stream with simulated clients: auth, appends, posts, catch-up, fan-out, refusals, restart.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toBase64Url } from '../../../src/lib/crypto';
import {
	MAX_ENVELOPE_CIPHERTEXT_BYTES,
	MAX_PENDING_FRAMES_PER_SOCKET,
	type Envelope,
	type MembershipEntry
} from '../../../src/lib/protocol';
import { MembershipChain, signMembershipEntry } from '../../../src/lib/sync';
import { startRelay } from '../../../relay/src/server';
import { AccountStore } from '../../../relay/src/account-store';
import { openDatabase } from '../../../relay/src/db';
import { startTestRelay, type TestRelay } from '../helpers/relay';
import { makeEnvelope, seedAccount, StreamClient, type SeededAccount } from '../helpers/stream';

let relay: TestRelay;
let owner: SeededAccount;
let collaborator: SeededAccount;
let viewer: SeededAccount;
let outsider: SeededAccount;
let freeOwner: SeededAccount;
const clients: StreamClient[] = [];

beforeAll(async () => {
	relay = await startTestRelay();
	owner = await seedAccount(relay.dataDir, 'owner');
	collaborator = await seedAccount(relay.dataDir, 'collaborator');
	viewer = await seedAccount(relay.dataDir, 'viewer');
	outsider = await seedAccount(relay.dataDir, 'outsider');
	freeOwner = await seedAccount(relay.dataDir, 'free', { plan: 'free' });
});
afterAll(async () => {
	for (const client of clients) client.close();
	await relay?.stop();
});

async function connect(account?: SeededAccount, url = relay.url): Promise<StreamClient> {
	const client = await StreamClient.connect(url, account);
	clients.push(client);
	return client;
}

const text = (s: string) => new TextEncoder().encode(s);

/** An album of `owner` with collaborator and viewer added, the owner's socket following it. */
async function albumWithMembers() {
	const ownerSocket = await connect(owner);
	const album = await MembershipChain.createAlbum(owner.identity);
	const { chain } = album;
	const append = async (entry: MembershipEntry) => {
		const reply = await ownerSocket.request({ t: 'append-membership', entry });
		if (reply.t !== 'ack') throw new Error(`append failed: ${JSON.stringify(reply)}`);
		// createAlbum's chain already holds the genesis.
		if (entry.op !== 'create') await chain.append(entry);
		return reply.seq;
	};
	await append(album.genesis);
	await ownerSocket.subscribe(album.albumId, 0);
	await append(await chain.addMember(owner.identity, collaborator, 'collaborator', album.epochKey));
	await append(await chain.addMember(owner.identity, viewer, 'viewer', album.epochKey));
	const envelope = (
		author: SeededAccount,
		docId: string,
		body: string,
		extra: Partial<{
			kind: 'update' | 'snapshot' | 'ephemeral';
			covers: number;
			epoch: number;
			epochKey: Uint8Array;
		}> = {}
	) =>
		makeEnvelope({
			author: author.identity,
			albumId: album.albumId,
			docId,
			kind: extra.kind ?? 'update',
			epoch: extra.epoch ?? chain.state.epoch,
			chainIndex: chain.state.head.index,
			epochKey: extra.epochKey ?? album.epochKey,
			plaintext: text(body),
			...(extra.covers === undefined ? {} : { covers: extra.covers })
		});
	return { albumId: album.albumId, chain, epochKey: album.epochKey, ownerSocket, append, envelope };
}

async function post(client: StreamClient, envelope: Envelope) {
	return client.request({ t: 'post', envelope });
}

const contrib = (account: SeededAccount) => `contrib:${account.signPk}`;
const envelopesOf = <T extends { item: { type: string } }>(items: T[]) =>
	items.filter((i) => i.item.type === 'envelope');

describe('authentication', () => {
	it('an unauthenticated socket may only ping and auth; a bad token is refused', async () => {
		const client = await connect();
		const album = await MembershipChain.createAlbum(outsider.identity);
		expect(await client.request({ t: 'append-membership', entry: album.genesis })).toMatchObject({
			t: 'error',
			code: 'unauthenticated'
		});
		expect(await client.request({ t: 'ping' })).toMatchObject({ t: 'pong' });
		const wrong = toBase64Url(new Uint8Array(32).fill(7));
		expect(await client.request({ t: 'auth', token: wrong })).toMatchObject({
			t: 'error',
			code: 'unauthenticated'
		});
		expect(await client.request({ t: 'auth', token: outsider.token })).toEqual({
			t: 'authed',
			id: expect.any(String),
			accountId: outsider.accountId
		});
	});

	it('a socket whose session was revoked is closed with 4401 when it next acts', async () => {
		const temp = await seedAccount(relay.dataDir, 'revoked');
		const client = await connect(temp);
		const db = openDatabase(relay.dataDir);
		try {
			new AccountStore(db).deleteOtherSessions(temp.accountId, null);
		} finally {
			db.close();
		}
		client.send({ t: 'ping' });
		expect((await client.closed).code).toBe(4401);
	});
	it('a listening socket whose session was revoked is closed at the next heartbeat', async () => {
		const fast = await startTestRelay({ WS_HEARTBEAT_MS: '20' });
		try {
			const listener = await seedAccount(fast.dataDir, 'listener');
			const client = await StreamClient.connect(fast.url, listener);
			const db = openDatabase(fast.dataDir);
			try {
				new AccountStore(db).deleteOtherSessions(listener.accountId, null);
			} finally {
				db.close();
			}
			expect(await client.closed).toEqual({ code: 4401, reason: expect.stringMatching(/session/) });
		} finally {
			await fast.stop();
		}
	});
});

describe('membership entries', () => {
	it('are acked with album seqs and fanned out; subscribing from 0 or later gives exactly what is missing, then live', async () => {
		const { albumId, chain, ownerSocket, append, epochKey } = await albumWithMembers();
		// The owner's socket followed since seq 1 and got the two adds live.
		expect(ownerSocket.entries(albumId).map((e) => e.seq)).toEqual([1, 2, 3]);

		const fromZero = await (await connect(collaborator)).subscribe(albumId, 0);
		expect(fromZero.items.map((i) => [i.seq, i.item.type])).toEqual([
			[1, 'membership'],
			[2, 'membership'],
			[3, 'membership']
		]);
		expect(fromZero.seq).toBe(3);

		const viewerSocket = await connect(viewer);
		const fromTwo = await viewerSocket.subscribe(albumId, 2);
		expect(fromTwo.items.map((i) => i.seq)).toEqual([3]);
		expect(fromTwo.seq).toBe(3);

		// Live: a new entry reaches the follower once, after caught-up.
		const newcomer = await seedAccount(relay.dataDir, 'newcomer');
		const seq = await append(await chain.addMember(owner.identity, newcomer, 'admin', epochKey));
		expect(seq).toBe(4);
		const live = await viewerSocket.waitFor((f) => f.t === 'entry' && f.seq === 4);
		expect(live).toMatchObject({ item: { type: 'membership', entry: { op: 'add' } } });
		await viewerSocket.sync();
		expect(viewerSocket.entries(albumId).map((e) => e.seq)).toEqual([3, 4]);
	});

	it('a resent entry gets its first seq; an entry on an old head gets stale-head with the head', async () => {
		const { albumId, chain, ownerSocket, epochKey } = await albumWithMembers();
		const first = chain.entries[1]!;
		expect(await ownerSocket.request({ t: 'append-membership', entry: first })).toMatchObject({
			t: 'ack',
			albumId,
			seq: 2
		});
		// An admin-to-be built on the head before the owner's next change lands.
		const late = await seedAccount(relay.dataDir, 'late');
		const racing = await chain.addMember(owner.identity, late, 'viewer', epochKey);
		const winner = await chain.changeRole(owner.identity, viewer.signPk, 'collaborator');
		expect(await ownerSocket.request({ t: 'append-membership', entry: winner })).toMatchObject({
			t: 'ack'
		});
		expect(await ownerSocket.request({ t: 'append-membership', entry: racing })).toMatchObject({
			t: 'error',
			code: 'stale-head',
			headIndex: 3
		});
	});

	it("an outsider's entry, an entry signed for another key and a forged signature are refused", async () => {
		const { albumId, chain } = await albumWithMembers();
		const outsiderSocket = await connect(outsider);
		const unsigned = {
			albumId,
			index: chain.state.head.index + 1,
			prev: toBase64Url(chain.state.head.hash),
			op: 'role' as const,
			member: viewer.signPk,
			role: 'admin' as const,
			by: outsider.signPk
		};
		const byOutsider = await signMembershipEntry(unsigned, outsider.identity.sign.privateKey);
		expect(
			await outsiderSocket.request({ t: 'append-membership', entry: byOutsider })
		).toMatchObject({ t: 'error', code: 'not-authorized' });

		// Claiming the owner's key from the outsider's socket.
		const asOwner = await signMembershipEntry(
			{ ...unsigned, by: owner.signPk },
			owner.identity.sign.privateKey
		);
		expect(await outsiderSocket.request({ t: 'append-membership', entry: asOwner })).toMatchObject({
			t: 'error',
			code: 'wrong-signer'
		});

		// The owner's socket with a signature made by someone else.
		const forged = { ...asOwner, sig: byOutsider.sig };
		const ownerSocket = await connect(owner);
		expect(await ownerSocket.request({ t: 'append-membership', entry: forged })).toMatchObject({
			t: 'error',
			code: 'bad-signature'
		});
		expect(await outsiderSocket.request({ t: 'subscribe', albumId, since: 0 })).toMatchObject({
			t: 'error',
			code: 'not-a-member'
		});
	});

	it('a genesis for an existing album id is refused; sharing needs the owner’s plan', async () => {
		const { chain, ownerSocket } = await albumWithMembers();
		const other = await MembershipChain.createAlbum(owner.identity);
		const clash = { ...other.genesis, albumId: chain.albumId };
		const signedClash = await signMembershipEntry(
			(({ sig: _sig, ...rest }) => rest)(clash),
			owner.identity.sign.privateKey
		);
		expect(await ownerSocket.request({ t: 'append-membership', entry: signedClash })).toMatchObject(
			{ t: 'error', code: 'album-exists' }
		);

		const freeSocket = await connect(freeOwner);
		const free = await MembershipChain.createAlbum(freeOwner.identity);
		expect(await freeSocket.request({ t: 'append-membership', entry: free.genesis })).toMatchObject(
			{ t: 'ack', seq: 1 }
		);
		const add = await free.chain.addMember(freeOwner.identity, viewer, 'viewer', free.epochKey);
		const refused = await freeSocket.request({ t: 'append-membership', entry: add });
		expect(refused).toMatchObject({ t: 'error', code: 'plan-no-sharing' });
		expect(refused.t === 'error' && refused.message).toMatch(/Free plan does not include sharing/);
	});
});

describe('envelopes', () => {
	it("a viewer's correctly signed and encrypted write to its own contrib doc is refused and not stored", async () => {
		const { albumId, envelope } = await albumWithMembers();
		const viewerSocket = await connect(viewer);
		const write = await envelope(viewer, contrib(viewer), 'a photo');
		expect(await post(viewerSocket, write)).toMatchObject({ t: 'error', code: 'not-authorized' });
		// Its own activity doc is open to every role.
		expect(
			await post(viewerSocket, await envelope(viewer, `activity:${viewer.signPk}`, 'hi'))
		).toMatchObject({ t: 'ack', seq: 4 });
		const { items } = await (await connect(owner)).subscribe(albumId, 0);
		expect(envelopesOf(items).map((i) => i.item)).toEqual([
			{
				type: 'envelope',
				envelope: expect.objectContaining({ docId: `activity:${viewer.signPk}` })
			}
		]);
	});

	it("a collaborator writing someone else's contrib doc, or the album doc, is refused", async () => {
		const { envelope } = await albumWithMembers();
		const socket = await connect(collaborator);
		expect(await post(socket, await envelope(collaborator, contrib(owner), 'x'))).toMatchObject({
			t: 'error',
			code: 'not-authorized'
		});
		expect(await post(socket, await envelope(collaborator, 'album', 'x'))).toMatchObject({
			t: 'error',
			code: 'not-authorized'
		});
		expect(
			await post(socket, await envelope(collaborator, contrib(collaborator), 'x'))
		).toMatchObject({ t: 'ack' });
	});

	it('a tampered ciphertext (signature no longer matches) and a post signed for another key are refused', async () => {
		const { envelope } = await albumWithMembers();
		const socket = await connect(collaborator);
		const good = await envelope(collaborator, contrib(collaborator), 'original');
		const ct = Buffer.from(good.ct, 'base64url');
		ct[ct.length - 1]! ^= 1;
		expect(await post(socket, { ...good, ct: toBase64Url(ct) })).toMatchObject({
			t: 'error',
			code: 'bad-signature'
		});
		const ownerSocket = await connect(owner);
		expect(await post(ownerSocket, good)).toMatchObject({ t: 'error', code: 'wrong-signer' });
	});

	it('a resent post is acked with its first seq and stored once', async () => {
		const { albumId, envelope } = await albumWithMembers();
		const socket = await connect(collaborator);
		const write = await envelope(collaborator, contrib(collaborator), 'once');
		const first = await post(socket, write);
		const again = await post(socket, write);
		expect(first).toMatchObject({ t: 'ack', seq: 4 });
		expect(again).toMatchObject({ t: 'ack', seq: 4 });
		const { items, seq } = await (await connect(owner)).subscribe(albumId, 0);
		expect(envelopesOf(items)).toHaveLength(1);
		expect(seq).toBe(4);
	});

	it('after remove + rotate, an old-epoch write is refused; the new epoch is accepted', async () => {
		const { chain, append, envelope } = await albumWithMembers();
		const socket = await connect(collaborator);
		const oldEpoch = await envelope(collaborator, contrib(collaborator), 'before');
		const { entry, epochKey } = await chain.removeMember(owner.identity, viewer.signPk, new Map());
		await append(entry);
		expect(chain.state.epoch).toBe(1);
		const stale = await post(socket, oldEpoch);
		expect(stale).toMatchObject({ t: 'error', code: 'stale-epoch' });
		const fresh = await envelope(collaborator, contrib(collaborator), 'after', { epochKey });
		expect(await post(socket, fresh)).toMatchObject({ t: 'ack' });
	});

	it('snapshots replace the doc’s snapshot and drop covered updates; catch-up gives snapshot + newer updates', async () => {
		const { albumId, envelope } = await albumWithMembers();
		const socket = await connect(collaborator);
		const doc = contrib(collaborator);
		const seqs: number[] = [];
		for (const body of ['u1', 'u2', 'u3']) {
			const ack = await post(socket, await envelope(collaborator, doc, body));
			if (ack.t === 'ack') seqs.push(ack.seq);
		}
		expect(seqs).toEqual([4, 5, 6]);
		// An update of another doc stays whatever the snapshot covers.
		const other = await post(
			socket,
			await envelope(collaborator, `activity:${collaborator.signPk}`, 'c')
		);
		expect(other).toMatchObject({ seq: 7 });
		const beyond = await envelope(collaborator, doc, 'snap', { kind: 'snapshot', covers: 99 });
		expect(await post(socket, beyond)).toMatchObject({ t: 'error', code: 'bad-covers' });
		const snapshot = await envelope(collaborator, doc, 'snap', { kind: 'snapshot', covers: 5 });
		expect(await post(socket, snapshot)).toMatchObject({ t: 'ack', seq: 8 });
		const newer = await post(socket, await envelope(collaborator, doc, 'u4'));
		expect(newer).toMatchObject({ seq: 9 });
		// A snapshot covering less than the stored one would lose what the stored one holds.
		const older = await envelope(collaborator, doc, 'old snap', { kind: 'snapshot', covers: 4 });
		expect(await post(socket, older)).toMatchObject({ t: 'error', code: 'stale-snapshot' });

		const reader = await connect(owner);
		const { items, seq } = await reader.subscribe(albumId, 0);
		expect(envelopesOf(items).map((i) => i.seq)).toEqual([6, 7, 8, 9]);
		expect(items.find((i) => i.seq === 8)).toMatchObject({
			item: { envelope: { kind: 'snapshot' } }
		});
		expect(seq).toBe(9);
		// From a seq after the snapshot only the newer update comes.
		const later = await (await connect(owner)).subscribe(albumId, 8);
		expect(later.items.map((i) => i.seq)).toEqual([9]);
	});

	it('ephemeral envelopes reach the other followers and are never stored', async () => {
		const { albumId, envelope, ownerSocket } = await albumWithMembers();
		const sender = await connect(collaborator);
		await sender.subscribe(albumId, 0);
		const presence = await envelope(collaborator, `activity:${collaborator.signPk}`, 'here', {
			kind: 'ephemeral'
		});
		sender.send({ t: 'ephemeral', envelope: presence });
		const got = await ownerSocket.waitFor(
			(f) => f.t === 'entry' && f.seq === null && f.albumId === albumId
		);
		expect(got).toMatchObject({ item: { envelope: { sig: presence.sig } } });
		await sender.sync();
		expect(sender.entries(albumId).filter((e) => e.seq === null)).toEqual([]);
		const { items } = await (await connect(owner)).subscribe(albumId, 0);
		expect(envelopesOf(items)).toEqual([]);
	});

	it('an oversized envelope is refused with a clear error and the socket keeps working', async () => {
		const { envelope } = await albumWithMembers();
		const socket = await connect(collaborator);
		const big = await envelope(
			collaborator,
			contrib(collaborator),
			'x'.repeat(MAX_ENVELOPE_CIPHERTEXT_BYTES)
		);
		const refused = await post(socket, big);
		expect(refused).toMatchObject({ t: 'error', code: 'too-large' });
		expect(refused.t === 'error' && refused.message).toMatch(/^envelope\.ct: is too long/);
		expect(
			await post(socket, await envelope(collaborator, contrib(collaborator), 'ok'))
		).toMatchObject({ t: 'ack', seq: 4 });
	});
});

describe('leaving the album', () => {
	it("a removed member's socket stops receiving at once and cannot subscribe again", async () => {
		const { albumId, chain, append, envelope } = await albumWithMembers();
		const viewerSocket = await connect(viewer);
		await viewerSocket.subscribe(albumId, 0);
		const { entry, epochKey } = await chain.removeMember(owner.identity, viewer.signPk, new Map());
		await append(entry);
		expect(await viewerSocket.waitFor((f) => f.t === 'unsubscribed')).toEqual({
			t: 'unsubscribed',
			albumId,
			reason: 'removed'
		});
		const writer = await connect(collaborator);
		expect(
			await post(
				writer,
				await envelope(collaborator, contrib(collaborator), 'secret', { epochKey })
			)
		).toMatchObject({ t: 'ack', seq: 5 });
		await viewerSocket.sync();
		expect(viewerSocket.entries(albumId).map((e) => e.seq)).toEqual([1, 2, 3, 4]);
		expect(await viewerSocket.request({ t: 'subscribe', albumId, since: 4 })).toMatchObject({
			t: 'error',
			code: 'not-a-member'
		});
	});

	it("a leaver's socket is unsubscribed too", async () => {
		const { albumId, chain } = await albumWithMembers();
		const viewerSocket = await connect(viewer);
		await viewerSocket.subscribe(albumId, 0);
		const leave = await chain.leave(viewer.identity);
		expect(await viewerSocket.request({ t: 'append-membership', entry: leave })).toMatchObject({
			t: 'ack',
			seq: 4
		});
		await viewerSocket.waitFor((f) => f.t === 'unsubscribed');
		expect(await viewerSocket.request({ t: 'subscribe', albumId, since: 0 })).toMatchObject({
			code: 'not-a-member'
		});
	});
});

describe('catch-up under load', () => {
	it('waits for a slow reader instead of buffering, refuses frames past the per-socket cap, and misses nothing', async () => {
		const { albumId, envelope } = await albumWithMembers();
		const writer = await connect(collaborator);
		// ~22 MB of catch-up: more than the kernel's socket buffers, so a reader that stops reading
		// holds the catch-up (and with it every later frame of that socket) at the high-water mark.
		const big = 'x'.repeat(MAX_ENVELOPE_CIPHERTEXT_BYTES - 64);
		for (let i = 0; i < 16; i++) {
			expect(
				await post(writer, await envelope(collaborator, contrib(collaborator), big + i))
			).toMatchObject({ t: 'ack' });
		}
		const reader = await connect(owner);
		reader.socket.pause();
		reader.send({ t: 'subscribe', id: 'sub', albumId, since: 0 });
		for (let i = 0; i < MAX_PENDING_FRAMES_PER_SOCKET + 5; i++)
			reader.send({ t: 'ping', id: `p${i}` });
		// Meanwhile live writes land; the reader must get each exactly once.
		for (let i = 0; i < 3; i++) {
			await post(writer, await envelope(collaborator, contrib(collaborator), `live ${i}`));
		}
		reader.socket.resume();
		const caughtUp = await reader.reply('sub');
		expect(caughtUp).toMatchObject({ t: 'caught-up', seq: 22 });
		const busy = await reader.waitFor(
			(f) => f.t === 'error' && f.id === `p${MAX_PENDING_FRAMES_PER_SOCKET + 4}`
		);
		expect(busy).toMatchObject({ code: 'too-busy' });
		await reader.sync();
		expect(reader.entries(albumId).map((e) => e.seq)).toEqual(
			Array.from({ length: 22 }, (_, i) => i + 1)
		);
	});
});

describe('durability', () => {
	it('acknowledged entries and envelopes survive a relay restart on the same DATA_DIR', async () => {
		const own = await startTestRelay();
		try {
			const alice = await seedAccount(own.dataDir, 'alice');
			const socket = await StreamClient.connect(own.url, alice);
			const album = await MembershipChain.createAlbum(alice.identity);
			expect(await socket.request({ t: 'append-membership', entry: album.genesis })).toMatchObject({
				seq: 1
			});
			const write = await makeEnvelope({
				author: alice.identity,
				albumId: album.albumId,
				docId: 'album',
				kind: 'update',
				epoch: 0,
				chainIndex: 0,
				epochKey: album.epochKey,
				plaintext: text('name')
			});
			expect(await socket.request({ t: 'post', envelope: write })).toMatchObject({ seq: 2 });
			socket.close();
			await own.relay.close();

			const again = await startRelay(own.relay.config);
			try {
				const reader = await StreamClient.connect(again.url, alice);
				const { items, seq } = await reader.subscribe(album.albumId, 0);
				expect(items.map((i) => i.item)).toEqual([
					{ type: 'membership', entry: album.genesis },
					{ type: 'envelope', envelope: write }
				]);
				expect(seq).toBe(2);
				reader.close();
			} finally {
				await again.close();
			}
		} finally {
			await own.stop();
		}
	});
});

describe('list-albums', () => {
	const listed = async (account: SeededAccount) => {
		const reply = await (await connect(account)).request({ t: 'list-albums' });
		if (reply.t !== 'albums') throw new Error(`unexpected reply ${JSON.stringify(reply)}`);
		return reply.albums;
	};

	it('lists the albums an account is in now, with its role, and nobody else’s', async () => {
		const { albumId, chain, append } = await albumWithMembers();
		expect(await listed(owner)).toContainEqual(expect.objectContaining({ albumId, role: 'owner' }));
		expect(await listed(viewer)).toContainEqual(
			expect.objectContaining({ albumId, role: 'viewer' })
		);
		expect((await listed(outsider)).map((a) => a.albumId)).not.toContain(albumId);

		// Removed: gone from their list at once; a deleted album from everyone's.
		const removal = await chain.removeMember(owner.identity, viewer.signPk, new Map());
		await append(removal.entry);
		expect((await listed(viewer)).map((a) => a.albumId)).not.toContain(albumId);
		expect(await listed(collaborator)).toContainEqual(
			expect.objectContaining({ albumId, role: 'collaborator' })
		);
		await append(await chain.deleteAlbum(owner.identity));
		expect((await listed(owner)).map((a) => a.albumId)).not.toContain(albumId);
		expect((await listed(collaborator)).map((a) => a.albumId)).not.toContain(albumId);
	});

	it('needs an authenticated socket', async () => {
		const client = await connect();
		expect(await client.request({ t: 'list-albums' })).toMatchObject({
			t: 'error',
			code: 'unauthenticated'
		});
	});
});
