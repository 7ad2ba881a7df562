// Spec of doc envelopes: sealed and signed by the author, opened only when the verified chain allows that write.

import { beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { deriveDocKey, fromBase64Url } from '../../../src/lib/crypto';
import {
	envelopeSigningBytes,
	toBase64Url,
	type Envelope,
	type MembershipEntry
} from '../../../src/lib/protocol';
import {
	EnvelopeRejected,
	MembershipChain,
	memberKeysOf,
	membershipHeadAt,
	openEnvelope,
	openEphemeral,
	sealEnvelope,
	sealEphemeral,
	type AlbumIdentity,
	type EnvelopeRejectedCode,
	type EpochKeys
} from '../../../src/lib/sync';
import { signDetached } from '../../../src/lib/crypto';
import { caught, identityFrom, seededRandom } from './helpers';

const random = seededRandom(0xe1e0);
let owner: AlbumIdentity;
let admin: AlbumIdentity;
let collab: AlbumIdentity;
let mallory: AlbumIdentity;
let viewer: AlbumIdentity;
let outsider: AlbumIdentity;

beforeAll(async () => {
	owner = await identityFrom(random);
	admin = await identityFrom(random);
	collab = await identityFrom(random);
	mallory = await identityFrom(random);
	viewer = await identityFrom(random);
	outsider = await identityFrom(random);
});

const pk = (who: AlbumIdentity): string => toBase64Url(who.sign.publicKey);
const wire = (value: unknown): unknown => JSON.parse(JSON.stringify(value));
const utf8 = new TextEncoder();

/** A real Yjs update: one key set in a fresh doc. */
function yUpdate(key: string, value: string): Uint8Array {
	const doc = new Y.Doc();
	doc.getMap('m').set(key, value);
	return Y.encodeStateAsUpdateV2(doc);
}

/** An album with admin, collab, mallory (collaborator) and viewer; the keys of each epoch. */
async function album() {
	const created = await MembershipChain.createAlbum(owner);
	const { chain } = created;
	const keys: Uint8Array[] = [created.epochKey];
	const log: MembershipEntry[] = [created.genesis];
	const accept = async (entry: MembershipEntry, epochKey?: Uint8Array) => {
		await chain.append(wire(entry));
		log.push(entry);
		if (epochKey) keys.push(epochKey);
	};
	const k = () => keys[keys.length - 1]!;
	await accept(await chain.addMember(owner, memberKeysOf(admin), 'admin', k())); // 1
	await accept(await chain.addMember(owner, memberKeysOf(collab), 'collaborator', k())); // 2
	await accept(await chain.addMember(owner, memberKeysOf(mallory), 'collaborator', k())); // 3
	await accept(await chain.addMember(owner, memberKeysOf(viewer), 'viewer', k())); // 4
	const removeMallory = async () => {
		const { entry, epochKey } = await chain.removeMember(owner, pk(mallory), new Map());
		await accept(entry, epochKey);
	};
	const epochKeys = (): EpochKeys => new Map(keys.map((key, epoch) => [epoch, key]));
	return { chain, keys, log, accept, removeMallory, epochKeys };
}

async function seal(
	author: AlbumIdentity,
	albumId: string,
	docId: string,
	epochKey: Uint8Array,
	epoch: number,
	chainIndex: number,
	update = yUpdate('k', docId)
): Promise<Envelope> {
	return sealEnvelope({
		albumId,
		docId,
		kind: 'update',
		epoch,
		chainIndex,
		update,
		docKey: await deriveDocKey(epochKey, docId),
		signer: author.sign
	});
}

async function expectRejected(run: () => unknown, code: EnvelopeRejectedCode): Promise<void> {
	const error = await caught(run);
	expect(error).toBeInstanceOf(EnvelopeRejected);
	expect((error as EnvelopeRejected).code).toBe(code);
	expect((error as EnvelopeRejected).message.length).toBeGreaterThan(10);
}

/** Re-signs a changed envelope with the author's key, as a misbehaving author could. */
async function resigned(envelope: Envelope, author: AlbumIdentity, change: Partial<Envelope>) {
	const changed = { ...envelope, ...change } as Envelope;
	const sig = await signDetached(
		envelopeSigningBytes(changed, changed.nonce, changed.ct),
		author.sign.privateKey
	);
	return { ...changed, sig: toBase64Url(sig) };
}

describe('sealing and opening', () => {
	it('round-trips an update and a snapshot through the wire, and hides the content', async () => {
		const { chain, epochKeys, keys } = await album();
		const marker = 'MARKER-caption-in-the-clear';
		const update = yUpdate('caption', marker);
		const envelope = await seal(
			collab,
			chain.albumId,
			`contrib:${pk(collab)}`,
			keys[0]!,
			0,
			4,
			update
		);
		expect(envelope.by).toBe(pk(collab));
		expect(Buffer.from(fromBase64Url(envelope.ct)).includes(Buffer.from(marker))).toBe(false);
		const opened = await openEnvelope(wire(envelope), {
			state: chain.state,
			epochKeys: epochKeys()
		});
		expect(Buffer.compare(opened.update, update)).toBe(0);
		const doc = new Y.Doc();
		Y.applyUpdateV2(doc, opened.update);
		expect(doc.getMap('m').get('caption')).toBe(marker);

		const snapshot = await sealEnvelope({
			albumId: chain.albumId,
			docId: 'album',
			kind: 'snapshot',
			covers: 41,
			epoch: 0,
			chainIndex: 4,
			update,
			docKey: await deriveDocKey(keys[0]!, 'album'),
			signer: admin.sign
		});
		expect(snapshot).toMatchObject({ kind: 'snapshot', covers: 41 });
		const openedSnapshot = await openEnvelope(wire(snapshot), {
			state: chain.state,
			epochKeys: epochKeys()
		});
		expect(Buffer.compare(openedSnapshot.update, update)).toBe(0);
		// The covered seq is signed and authenticated: changing it breaks the envelope.
		await expectRejected(
			() =>
				openEnvelope(wire({ ...snapshot, covers: 40 }), {
					state: chain.state,
					epochKeys: epochKeys()
				}),
			'bad-signature'
		);
	});

	it('seals presence as ephemeral envelopes, judged at the current head', async () => {
		const { chain, epochKeys, keys, removeMallory } = await album();
		const docId = `activity:${pk(viewer)}`;
		const payload = utf8.encode('{"here":true}');
		const presence = (epoch: number, chainIndex: number, key: Uint8Array, who = viewer) =>
			deriveDocKey(key, `activity:${pk(who)}`).then((docKey) =>
				sealEphemeral({
					albumId: chain.albumId,
					docId: `activity:${pk(who)}`,
					epoch,
					chainIndex,
					payload,
					docKey,
					signer: who.sign
				})
			);
		const live = await presence(0, 4, keys[0]!);
		expect(live.kind).toBe('ephemeral');
		expect(live.docId).toBe(docId);
		const context = () => ({ state: chain.state, epochKeys: epochKeys() });
		const opened = await openEphemeral(wire(live), context());
		expect(Buffer.compare(opened.update, payload)).toBe(0);
		await expectRejected(() => openEnvelope(wire(live), context()), 'wrong-kind');
		const update = await seal(collab, chain.albumId, `contrib:${pk(collab)}`, keys[0]!, 0, 4);
		await expectRejected(() => openEphemeral(wire(update), context()), 'wrong-kind');

		await removeMallory();
		// After the rotation, presence under the old key is dropped; under the new one it passes.
		await expectRejected(() => openEphemeral(wire(live), context()), 'stale-epoch');
		await expectRejected(
			() => presence(0, 4, keys[0]!, mallory).then((e) => openEphemeral(wire(e), context())),
			'not-writer'
		);
		const fresh = await presence(1, 5, keys[1]!);
		expect((await openEphemeral(wire(fresh), context())).update).toEqual(payload);
	});
});

describe('what a device refuses', () => {
	it('refuses malformed envelopes and envelopes of another album', async () => {
		const { chain, epochKeys, keys } = await album();
		const context = () => ({ state: chain.state, epochKeys: epochKeys() });
		const good = await seal(collab, chain.albumId, `contrib:${pk(collab)}`, keys[0]!, 0, 4);
		const { sig: _sig, ...unsigned } = good;
		await expectRejected(() => openEnvelope(wire(unsigned), context()), 'malformed');
		await expectRejected(() => openEnvelope('not an envelope', context()), 'malformed');
		await expectRejected(
			() => openEnvelope(wire({ ...good, docId: 'contrib:../../x' }), context()),
			'malformed'
		);

		// A real, valid envelope of the owner's other album, spliced into this one.
		const other = await MembershipChain.createAlbum(owner);
		const spliced = await seal(owner, other.albumId, 'album', other.epochKey, 0, 0);
		await expectRejected(() => openEnvelope(wire(spliced), context()), 'wrong-album');
	});

	it('refuses anything changed after signing, and a relabelled doc even when re-signed', async () => {
		const { chain, epochKeys, keys } = await album();
		const context = () => ({ state: chain.state, epochKeys: epochKeys() });
		const good = await seal(collab, chain.albumId, `contrib:${pk(collab)}`, keys[0]!, 0, 4);
		const ct = fromBase64Url(good.ct);
		ct[ct.length - 1]! ^= 1;
		const tampered = { ...good, ct: toBase64Url(ct) };
		await expectRejected(() => openEnvelope(wire(tampered), context()), 'bad-signature');
		await expectRejected(
			() => openEnvelope(wire({ ...good, docId: `activity:${pk(collab)}` }), context()),
			'bad-signature'
		);
		await expectRejected(
			() => openEnvelope(wire({ ...good, by: pk(admin) }), context()),
			'bad-signature'
		);
		await expectRejected(
			() => openEnvelope(wire({ ...good, chainIndex: 3 }), context()),
			'bad-signature'
		);

		// The author re-signs: the signature holds, but the AEAD (key and AD) does not.
		const authorTampered = await resigned(good, collab, { ct: toBase64Url(ct) });
		await expectRejected(() => openEnvelope(wire(authorTampered), context()), 'undecryptable');
		const relabelled = await resigned(good, collab, { docId: `activity:${pk(collab)}` });
		await expectRejected(() => openEnvelope(wire(relabelled), context()), 'undecryptable');
	});

	it('refuses writes by anyone the docs table does not allow', async () => {
		const { chain, epochKeys, keys } = await album();
		const context = () => ({ state: chain.state, epochKeys: epochKeys() });
		const cases: [AlbumIdentity, string][] = [
			[viewer, `contrib:${pk(viewer)}`],
			[collab, 'album'],
			[collab, `contrib:${pk(admin)}`],
			[collab, `activity:${pk(viewer)}`],
			[outsider, `activity:${pk(outsider)}`]
		];
		for (const [author, docId] of cases) {
			const envelope = await seal(author, chain.albumId, docId, keys[0]!, 0, 4);
			await expectRejected(() => openEnvelope(wire(envelope), context()), 'not-writer');
		}
		for (const [author, docId] of [
			[viewer, `activity:${pk(viewer)}`],
			[admin, 'album'],
			[owner, `contrib:${pk(owner)}`]
		] as const) {
			const envelope = await seal(author, chain.albumId, docId, keys[0]!, 0, 4);
			await expect(openEnvelope(wire(envelope), context())).resolves.toBeDefined();
		}
	});

	it('refuses an unknown head, a head the log had not reached, and a wrong epoch', async () => {
		const { chain, epochKeys, keys, removeMallory } = await album();
		const docId = `contrib:${pk(collab)}`;
		const context = (sequencedAt?: number) => ({
			state: chain.state,
			epochKeys: epochKeys(),
			sequencedAt
		});
		const ahead = await seal(collab, chain.albumId, docId, keys[0]!, 0, 5);
		await expectRejected(() => openEnvelope(wire(ahead), context()), 'unknown-head');
		const atFour = await seal(collab, chain.albumId, docId, keys[0]!, 0, 4);
		await expectRejected(() => openEnvelope(wire(atFour), context(3)), 'ahead-of-log');

		await removeMallory(); // index 5, epoch 1
		// Epoch 1's key under a head that was still in epoch 0.
		const early = await seal(collab, chain.albumId, docId, keys[1]!, 1, 4);
		await expectRejected(() => openEnvelope(wire(early), context()), 'wrong-epoch');
	});

	it('refuses old-epoch writes sequenced after a rotation, and backdated writes of the removed', async () => {
		const { chain, epochKeys, keys, removeMallory } = await album();
		const context = (sequencedAt?: number) => ({
			state: chain.state,
			epochKeys: epochKeys(),
			sequencedAt
		});
		const offline = await seal(collab, chain.albumId, `contrib:${pk(collab)}`, keys[0]!, 0, 4);
		await removeMallory(); // index 5, epoch 1
		// Sequenced before the rotation it counts; after it, the old key no longer writes.
		await expect(openEnvelope(wire(offline), context(4))).resolves.toBeDefined();
		await expectRejected(() => openEnvelope(wire(offline), context(5)), 'stale-epoch');
		// Mallory still knows epoch 0's key and names a head from before her removal.
		const backdated = await seal(mallory, chain.albumId, `contrib:${pk(mallory)}`, keys[0]!, 0, 4);
		await expectRejected(() => openEnvelope(wire(backdated), context(5)), 'not-writer');
		// And she cannot read what is written in the new epoch (I3).
		const after = await seal(collab, chain.albumId, `contrib:${pk(collab)}`, keys[1]!, 1, 5);
		const malloryKeys = await chain.openEpochKeys(mallory);
		expect([...malloryKeys.keys()]).toEqual([0]);
		await expectRejected(
			() => openEnvelope(wire(after), { state: chain.state, epochKeys: malloryKeys }),
			'no-key'
		);
	});
});

describe('the acceptance rule is the same on every device', () => {
	it('gives a live device and a late device with shuffled arrivals the same verdicts and docs', async () => {
		const { chain, keys, log, accept, removeMallory } = await album();
		const albumId = chain.albumId;
		// The album log as the relay sequenced it: entries 0..4 at seqs 1..5, then this.
		type Item = { seq: number } & (
			| { entry: MembershipEntry }
			| { envelope: Envelope; name: string; expected: EnvelopeRejectedCode | 'ok' }
		);
		const items: Item[] = log.map((entry, i) => ({ seq: i + 1, entry }));
		let seq = items.length;
		const push = (envelope: Envelope, name: string, expected: EnvelopeRejectedCode | 'ok') =>
			items.push({ seq: ++seq, envelope, name, expected });
		const contrib = (who: AlbumIdentity) => `contrib:${pk(who)}`;
		const write = (who: AlbumIdentity, docId: string, epoch: number, at: number, value: string) =>
			seal(who, albumId, docId, keys[epoch]!, epoch, at, yUpdate(value, value));

		push(await write(collab, contrib(collab), 0, 4, 'e1'), 'collab before the rotation', 'ok');
		push(await write(mallory, contrib(mallory), 0, 4, 'e2'), 'mallory while a member', 'ok');
		await removeMallory(); // index 5, epoch 1
		items.push({ seq: ++seq, entry: log[5]! });
		push(await write(collab, contrib(collab), 0, 4, 'e3'), 'collab, old epoch', 'stale-epoch');
		push(await write(mallory, contrib(mallory), 0, 4, 'e4'), 'mallory backdated', 'not-writer');
		push(await write(collab, contrib(collab), 1, 5, 'e5'), 'collab, new epoch', 'ok');
		push(await write(viewer, contrib(viewer), 1, 5, 'e6'), 'a viewer', 'not-writer');
		await accept(await chain.leave(viewer)); // index 6: no rotation
		items.push({ seq: ++seq, entry: log[6]! });
		push(await write(collab, contrib(collab), 1, 6, 'e7'), 'collab while rotation due', 'ok');
		push(await write(viewer, `activity:${pk(viewer)}`, 1, 5, 'e8'), 'the leaver', 'not-writer');
		push(await write(admin, 'album', 1, 5, 'e9'), 'admin under the older head', 'ok');

		const allKeys: EpochKeys = new Map(keys.map((key, epoch) => [epoch, key]));
		type Verdict = EnvelopeRejectedCode | 'ok';
		const judge = async (
			run: () => Promise<{ update: Uint8Array }>,
			docs: Map<string, Y.Doc>,
			docId: string
		): Promise<Verdict> => {
			try {
				const { update } = await run();
				const doc = docs.get(docId) ?? new Y.Doc();
				docs.set(docId, doc);
				Y.applyUpdateV2(doc, update);
				return 'ok';
			} catch (error) {
				if (error instanceof EnvelopeRejected) return error.code;
				throw error;
			}
		};

		// Device A is online: it gets the log in seq order and judges at its head as it goes.
		const liveDocs = new Map<string, Y.Doc>();
		const live = new Map<string, Verdict>();
		const entriesSoFar: MembershipEntry[] = [];
		let liveChain: MembershipChain | null = null;
		for (const item of items) {
			if ('entry' in item) {
				entriesSoFar.push(item.entry);
				liveChain = await MembershipChain.verify(wire(entriesSoFar) as unknown[], {
					expectedAlbumId: albumId
				});
				continue;
			}
			const state = liveChain!.state;
			live.set(
				item.name,
				await judge(
					() => openEnvelope(wire(item.envelope), { state, epochKeys: allKeys }),
					liveDocs,
					item.envelope.docId
				)
			);
		}

		// Device B comes later: full chain first, envelopes in a seeded shuffled order.
		const late = await MembershipChain.verify(wire(log) as unknown[], { expectedAlbumId: albumId });
		const entrySeqs = items.filter((item) => 'entry' in item).map((item) => item.seq);
		const envelopes = items.filter((item) => 'envelope' in item);
		const shuffle = seededRandom(77);
		for (let i = envelopes.length - 1; i > 0; i--) {
			const j = shuffle(1)[0]! % (i + 1);
			[envelopes[i], envelopes[j]] = [envelopes[j]!, envelopes[i]!];
		}
		const lateDocs = new Map<string, Y.Doc>();
		const lateVerdicts = new Map<string, Verdict>();
		const naive = new Map<string, Verdict>();
		for (const item of envelopes) {
			if (!('envelope' in item)) continue;
			const sequencedAt = membershipHeadAt(entrySeqs, item.seq);
			const context = { state: late.state, epochKeys: allKeys, sequencedAt };
			lateVerdicts.set(
				item.name,
				await judge(() => openEnvelope(wire(item.envelope), context), lateDocs, item.envelope.docId)
			);
			naive.set(
				item.name,
				await judge(
					() => openEnvelope(wire(item.envelope), { state: late.state, epochKeys: allKeys }),
					new Map(),
					item.envelope.docId
				)
			);
		}

		const expected = new Map(
			items.flatMap((item) => ('envelope' in item ? [[item.name, item.expected] as const] : []))
		);
		expect(Object.fromEntries(live)).toEqual(Object.fromEntries(expected));
		expect(Object.fromEntries(lateVerdicts)).toEqual(Object.fromEntries(expected));
		// Judging at the late device's own head would drop writes the live device kept.
		expect(naive.get('collab before the rotation')).toBe('stale-epoch');

		expect([...lateDocs.keys()].sort()).toEqual([...liveDocs.keys()].sort());
		for (const [docId, doc] of liveDocs) {
			expect(lateDocs.get(docId)!.getMap('m').toJSON()).toEqual(doc.getMap('m').toJSON());
		}
		expect(lateDocs.get(contrib(collab))!.getMap('m').toJSON()).toEqual({
			e1: 'e1',
			e5: 'e5',
			e7: 'e7'
		});
	});

	it('finds the membership head at a seq', () => {
		expect(membershipHeadAt([1, 2, 5, 9], 3)).toBe(1);
		expect(membershipHeadAt([1, 2, 5, 9], 6)).toBe(2);
		expect(membershipHeadAt([1, 2, 5, 9], 100)).toBe(3);
		expect(() => membershipHeadAt([1, 2], 1)).toThrow(RangeError);
	});
});
