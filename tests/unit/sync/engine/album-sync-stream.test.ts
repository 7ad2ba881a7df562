// AlbumSync on the stream: every envelope it refuses is reported with its seq and code, and a refused membership entry keeps its cause.

import { describe, expect, it } from 'vitest';
import { deriveDocKey, fromBase64Url, toBase64Url } from '../../../../src/lib/crypto';
import type { Envelope, MembershipEntry } from '../../../../src/lib/protocol';
import {
	MembershipChain,
	memberKeysOf,
	signMembershipEntry,
	type AlbumIdentity
} from '../../../../src/lib/sync';
import { sealEnvelope } from '../../../../src/lib/sync/envelope';
import { AlbumSync, type AlbumSyncError, type RejectedItem } from '../../../../src/lib/sync/engine';
import { identityFrom, seededRandom } from '../helpers';
import { freshDb, offline, rename } from './helpers';

function flipByte(base64: string, at: number): string {
	const bytes = fromBase64Url(base64);
	bytes[at] = bytes[at]! ^ 0x01;
	return toBase64Url(bytes);
}

async function sealRename(
	by: AlbumIdentity,
	at: { albumId: string; epoch: number; chainIndex: number },
	key: Uint8Array,
	name: string
): Promise<Envelope> {
	return sealEnvelope({
		...at,
		docId: 'album',
		kind: 'update',
		update: rename(name),
		docKey: await deriveDocKey(key, 'album'),
		signer: by.sign
	});
}

/** A device with an empty database following `albumId`, recording what its album reports. */
async function device(albumId: string, identity: AlbumIdentity) {
	const db = freshDb();
	const rejected: RejectedItem[] = [];
	const errors: AlbumSyncError[] = [];
	const album = await AlbumSync.open(
		{ db, albumId, identity, connection: offline() },
		{ rejected: (item) => rejected.push(item), error: (error) => errors.push(error) }
	);
	let seq = 0;
	const serve = async (...items: (MembershipEntry | Envelope)[]) => {
		for (const item of items) {
			album.onFrame({
				t: 'entry',
				albumId,
				seq: ++seq,
				item:
					'sig' in item && 'op' in item
						? { type: 'membership', entry: item }
						: {
								type: 'envelope',
								envelope: item as Envelope
							}
			});
		}
		await album.settled();
	};
	const caughtUp = async () => {
		album.onFrame({ t: 'caught-up', albumId, seq });
		await album.settled();
	};
	return { album, rejected, errors, serve, caughtUp };
}

async function album() {
	const random = seededRandom(7);
	const owner = await identityFrom(random);
	const collab = await identityFrom(random);
	const viewer = await identityFrom(random);
	const created = await MembershipChain.createAlbum(owner);
	return { owner, collab, viewer, ...created };
}

describe('AlbumSync reports what the relay served and it refused', () => {
	it('reports each refused envelope with its seq, doc, signer and code, and applies the rest', async () => {
		const { owner, viewer, albumId, genesis, epochKey, chain } = await album();
		const add = await chain.addMember(owner, memberKeysOf(viewer), 'viewer', epochKey);
		await chain.append(add);
		const at = { albumId, epoch: 0, chainIndex: 1 };
		const trip = await sealRename(owner, at, epochKey, 'Trip');
		const byViewer = await sealRename(viewer, at, epochKey, 'hacked');
		const tampered = { ...trip, ct: flipByte(trip.ct, 3) };

		const d = await device(albumId, owner);
		await d.serve(genesis, add, trip, byViewer, tampered);
		await d.caughtUp();

		expect(d.album.model!.meta().name).toBe('Trip');
		expect(d.album.seq).toBe(5);
		expect(d.album.error).toBeNull();
		expect(d.rejected.map(({ seq, docId, by, code }) => ({ seq, docId, by, code }))).toEqual([
			{ seq: 4, docId: 'album', by: memberKeysOf(viewer).signPk, code: 'not-writer' },
			{ seq: 5, docId: 'album', by: memberKeysOf(owner).signPk, code: 'bad-signature' }
		]);
		expect(d.rejected.every((r) => r.message.length > 0)).toBe(true);
	});

	it('holds envelopes waiting for their key while catching up, and reports only those never opened', async () => {
		const { owner, collab, viewer, albumId, genesis, epochKey, chain } = await album();
		const addCollab = await chain.addMember(owner, memberKeysOf(collab), 'collaborator', epochKey);
		await chain.append(addCollab);
		const before = await sealRename(owner, { albumId, epoch: 0, chainIndex: 1 }, epochKey, 'Old');
		const removal = await chain.removeMember(owner, memberKeysOf(collab).signPk, new Map());
		await chain.append(removal.entry);
		// Sequenced before the viewer's add, under the key that add seals to them.
		const after = await sealRename(
			owner,
			{ albumId, epoch: 1, chainIndex: 2 },
			removal.epochKey,
			'New'
		);
		const addViewer = await chain.addMember(
			owner,
			memberKeysOf(viewer),
			'viewer',
			removal.epochKey
		);
		await chain.append(addViewer);

		const d = await device(albumId, viewer);
		await d.serve(genesis, addCollab, before, removal.entry, after, addViewer);
		// Both waited; the add opened the newer one, and nothing is reported before caught-up.
		expect(d.album.model!.meta().name).toBe('New');
		expect(d.rejected).toEqual([]);

		await d.caughtUp();
		expect(d.rejected.map(({ seq, code }) => ({ seq, code }))).toEqual([
			{ seq: 3, code: 'no-key' }
		]);
		expect(d.album.error).toBeNull();
	});

	it('keeps the cause of a refused membership entry: bad signature, outsider, fork', async () => {
		const { owner, viewer, albumId, genesis, epochKey, chain } = await album();
		const add = await chain.addMember(owner, memberKeysOf(viewer), 'viewer', epochKey);
		// The viewer, not a member yet, signs their own add.
		const { sig: _ownerSig, ...unsigned } = add;
		const outsiderAdd = (await signMembershipEntry(
			{ ...unsigned, by: memberKeysOf(viewer).signPk },
			viewer.sign.privateKey
		)) as MembershipEntry;
		await chain.append(add);
		const role = await chain.changeRole(owner, memberKeysOf(viewer).signPk, 'collaborator');
		const other = await MembershipChain.verify([genesis, add], { expectedAlbumId: albumId });
		const promote = await other.changeRole(owner, memberKeysOf(viewer).signPk, 'admin');

		const cases: [string, (MembershipEntry | Envelope)[], string][] = [
			['bad-signature', [genesis, { ...add, sig: flipByte(add.sig, 3) }], 'bad-signature'],
			['outsider', [genesis, outsiderAdd], 'not-authorized'],
			// Two entries at index 2, both signed by the owner: a second history.
			['fork', [genesis, add, role, promote], 'fork']
		];
		for (const [what, items, reason] of cases) {
			const d = await device(albumId, owner);
			await d.serve(...items);
			expect({ what, code: d.album.error?.code, reason: d.album.error?.reason }).toEqual({
				what,
				code: 'untrusted-history',
				reason
			});
			expect(d.errors.map((e) => e.reason)).toEqual([reason]);
		}
	});
});
