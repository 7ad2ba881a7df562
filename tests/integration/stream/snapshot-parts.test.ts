// The relay and snapshot sets of several envelopes: parts checked against their set, stored and fanned out as they come, and only a complete set replaces the doc's snapshot and compacts.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deriveDocKey, randomBytes } from '../../../src/lib/crypto';
import {
	MAX_SNAPSHOT_PARTS,
	type Envelope,
	type MembershipEntry,
	type SnapshotPart
} from '../../../src/lib/protocol';
import { MembershipChain, newSnapshotSetId, sealEnvelope } from '../../../src/lib/sync';
import { startTestRelay, type TestRelay } from '../helpers/relay';
import { seedAccount, StreamClient, type SeededAccount } from '../helpers/stream';

let relay: TestRelay;
let owner: SeededAccount;
let collaborator: SeededAccount;
const clients: StreamClient[] = [];

beforeAll(async () => {
	relay = await startTestRelay();
	owner = await seedAccount(relay.dataDir, 'owner');
	collaborator = await seedAccount(relay.dataDir, 'collaborator');
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

const text = (s: string) => new TextEncoder().encode(s);

/** An album of `owner` with a collaborator, and a sealer for the owner's own contrib doc. */
async function album(role: 'collaborator' | 'admin' = 'collaborator') {
	const socket = await connect(owner);
	const created = await MembershipChain.createAlbum(owner.identity);
	const { chain, albumId, epochKey } = created;
	const append = async (entry: MembershipEntry) => {
		const reply = await socket.request({ t: 'append-membership', entry });
		if (reply.t !== 'ack') throw new Error(`append failed: ${JSON.stringify(reply)}`);
		if (entry.op !== 'create') await chain.append(entry);
	};
	await append(created.genesis);
	await append(await chain.addMember(owner.identity, collaborator, role, epochKey));
	const docId = `contrib:${owner.signPk}`;
	const docKey = await deriveDocKey(epochKey, docId);
	const seal = (
		body: string,
		snapshot?: { covers: number; part?: SnapshotPart },
		author: SeededAccount = owner,
		doc = docId
	) =>
		sealEnvelope({
			albumId,
			docId: doc,
			kind: snapshot ? 'snapshot' : 'update',
			epoch: chain.state.epoch,
			chainIndex: chain.state.head.index,
			...(snapshot ?? {}),
			update: text(body),
			docKey: doc === docId ? docKey : randomBytes(32),
			signer: author.identity.sign
		});
	const post = async (envelope: Envelope, client = socket) =>
		client.request({ t: 'post', envelope });
	/** Three updates of the doc: seqs 3, 4, 5. */
	for (const body of ['u1', 'u2', 'u3']) await post(await seal(body));
	return { albumId, docId, socket, seal, post };
}

const partOf = (set: string, index: number, count: number): SnapshotPart => ({
	set,
	index,
	count
});

describe('snapshot sets of several parts on the relay', () => {
	it('stores and fans out each part; only the complete set replaces the snapshot and compacts', async () => {
		const { albumId, seal, post } = await album();
		const follower = await connect(owner);
		await follower.subscribe(albumId, 0);
		const set = newSnapshotSetId();
		const part0 = await post(await seal('first half', { covers: 4, part: partOf(set, 0, 2) }));
		expect(part0).toMatchObject({ t: 'ack', seq: 6 });
		// Fanned out at once, and served by catch-up, while nothing is compacted yet.
		await follower.waitFor((f) => f.t === 'entry' && f.seq === 6);
		const midway = await (await connect(owner)).subscribe(albumId, 0);
		expect(midway.items.map((i) => i.seq)).toEqual([1, 2, 3, 4, 5, 6]);

		const part1 = await post(await seal('second half', { covers: 4, part: partOf(set, 1, 2) }));
		expect(part1).toMatchObject({ t: 'ack', seq: 7 });
		// Complete: the set is the doc's snapshot; the updates it covers (3, 4) are gone.
		const after = await (await connect(owner)).subscribe(albumId, 0);
		expect(after.items.map((i) => i.seq)).toEqual([1, 2, 5, 6, 7]);
		// A resend of a stored part is acked with its first seq (receipts), nothing stored twice.
		const resent = await post(
			(after.items.find((i) => i.seq === 7)!.item as { envelope: Envelope }).envelope
		);
		expect(resent).toMatchObject({ t: 'ack', seq: 7 });
	});

	it('refuses parts that do not fit their set', async () => {
		const { seal, post } = await album();
		const set = newSnapshotSetId();
		expect(await post(await seal('a', { covers: 4, part: partOf(set, 0, 3) }))).toMatchObject({
			t: 'ack'
		});
		// Another copy of part 0 (sealed again: other bytes, so no receipt matches).
		expect(await post(await seal('a2', { covers: 4, part: partOf(set, 0, 3) }))).toMatchObject({
			t: 'error',
			code: 'bad-snapshot-part'
		});
		// Other covers, other count, out of order.
		for (const wrong of [
			{ covers: 3, part: partOf(set, 1, 3) },
			{ covers: 4, part: partOf(set, 1, 4) },
			{ covers: 4, part: partOf(set, 2, 3) }
		]) {
			expect(await post(await seal('b', wrong))).toMatchObject({
				t: 'error',
				code: 'bad-snapshot-part'
			});
		}
		// A later part of a set the relay never saw begin.
		expect(
			await post(await seal('c', { covers: 4, part: partOf(newSnapshotSetId(), 1, 2) }))
		).toMatchObject({ t: 'error', code: 'stale-snapshot' });
		// The usual snapshot checks hold for every part.
		expect(
			await post(await seal('d', { covers: 999, part: partOf(newSnapshotSetId(), 0, 2) }))
		).toMatchObject({ t: 'error', code: 'bad-covers' });
	});

	it('refuses a part signed by another writer than its set’s first part', async () => {
		// The album doc has several writers (owner and admins): one may not finish the other's set.
		const { albumId, seal, post } = await album('admin');
		const adminSocket = await connect(collaborator);
		const set = newSnapshotSetId();
		const first = await seal('owner’s', { covers: 4, part: partOf(set, 0, 2) }, owner, 'album');
		expect(await post(first)).toMatchObject({ t: 'ack', seq: 6 });
		const foreign = await seal(
			'admin’s',
			{ covers: 4, part: partOf(set, 1, 2) },
			collaborator,
			'album'
		);
		expect(await post(foreign, adminSocket)).toMatchObject({
			t: 'error',
			code: 'bad-snapshot-part'
		});
		// Nothing was compacted by the refused part.
		const { items } = await (await connect(owner)).subscribe(albumId, 0);
		expect(items.map((i) => i.seq)).toEqual([1, 2, 3, 4, 5, 6]);
	});

	it('refuses malformed part fields in the frame', async () => {
		const { seal, post } = await album();
		const base = await seal('x', { covers: 4, part: partOf(newSnapshotSetId(), 0, 2) });
		const malformed: Envelope[] = [
			{ ...base, part: partOf(newSnapshotSetId(), 2, 2) } as Envelope,
			{ ...base, part: partOf(newSnapshotSetId(), 0, MAX_SNAPSHOT_PARTS + 1) } as Envelope,
			{ ...base, part: partOf(newSnapshotSetId(), 0, 1) } as Envelope,
			{ ...base, part: partOf('short', 0, 2) } as Envelope
		];
		for (const envelope of malformed) {
			expect(await post(envelope)).toMatchObject({ t: 'error', code: 'invalid-message' });
		}
		// Changing a signed part field breaks the signature.
		const moved = { ...base, part: partOf(newSnapshotSetId(), 0, 2) } as Envelope;
		expect(await post(moved)).toMatchObject({ t: 'error', code: 'bad-signature' });
	});

	it('an incomplete set compacts nothing; a newer set supersedes it; a one-envelope snapshot drops it', async () => {
		const { albumId, seal, post } = await album();
		const stale = newSnapshotSetId();
		await post(await seal('old', { covers: 4, part: partOf(stale, 0, 2) })); // seq 6
		const fresh = newSnapshotSetId();
		await post(await seal('new', { covers: 5, part: partOf(fresh, 0, 3) })); // seq 7
		// The stale set's parts are gone: it can never complete.
		expect(await post(await seal('old 2', { covers: 4, part: partOf(stale, 1, 2) }))).toMatchObject(
			{ t: 'error', code: 'stale-snapshot' }
		);
		let { items } = await (await connect(owner)).subscribe(albumId, 0);
		// Nothing compacted: updates 3, 4, 5 are all there, with the fresh set's part.
		expect(items.map((i) => i.seq)).toEqual([1, 2, 3, 4, 5, 7]);

		// A one-envelope snapshot replaces everything, the incomplete set included.
		expect(await post(await seal('whole', { covers: 4 }))).toMatchObject({ t: 'ack', seq: 8 });
		({ items } = await (await connect(owner)).subscribe(albumId, 0));
		expect(items.map((i) => i.seq)).toEqual([1, 2, 5, 8]);
		expect(await post(await seal('new 2', { covers: 5, part: partOf(fresh, 1, 3) }))).toMatchObject(
			{ t: 'error', code: 'stale-snapshot' }
		);
	});
});
