// Spec of snapshot sets on a device: splitting a doc state into sealed parts at the envelope cap, and putting verified parts back together only when the set is complete.

import { describe, expect, it } from 'vitest';
import {
	deriveDocKey,
	fromBase64Url,
	generateSignKeyPair,
	randomBytes,
	type SignKeyPair
} from '../../../src/lib/crypto';
import {
	MAX_ENVELOPE_CIPHERTEXT_BYTES,
	MAX_SNAPSHOT_PARTS,
	type Envelope
} from '../../../src/lib/protocol';
import {
	SNAPSHOT_PART_BYTES,
	SnapshotSets,
	newSnapshotSetId,
	sealSnapshot,
	splitSnapshot
} from '../../../src/lib/sync/snapshot-parts';

const albumId = 'AAAAAAAAAAAAAAAAAAAAAA';
const docId = 'album';

async function seal(state: Uint8Array, signer: SignKeyPair, partBytes?: number, covers = 7) {
	return sealSnapshot({
		albumId,
		docId,
		epoch: 0,
		chainIndex: 0,
		covers,
		state,
		docKey: await deriveDocKey(new Uint8Array(32).fill(1), docId),
		signer,
		...(partBytes === undefined ? {} : { partBytes })
	});
}

/** Each part's plaintext as the device gets it after openEnvelope (here: the split itself). */
function plaintexts(state: Uint8Array, count: number): Uint8Array[] {
	return splitSnapshot(state, Math.ceil(state.byteLength / count))!;
}

describe('splitting a doc state', () => {
	it('keeps a state that fits in one envelope whole', () => {
		const state = randomBytes(SNAPSHOT_PART_BYTES);
		expect(splitSnapshot(state)).toHaveLength(1);
	});

	it('cuts a larger state into parts that join back byte for byte', () => {
		const state = randomBytes(2 * SNAPSHOT_PART_BYTES + 5);
		const pieces = splitSnapshot(state)!;
		expect(pieces.map((p) => p.byteLength)).toEqual([SNAPSHOT_PART_BYTES, SNAPSHOT_PART_BYTES, 5]);
		expect(Buffer.compare(Buffer.concat(pieces), Buffer.from(state))).toBe(0);
	});

	it('gives up past MAX_SNAPSHOT_PARTS envelopes', () => {
		expect(splitSnapshot(new Uint8Array(MAX_SNAPSHOT_PARTS * 10), 10)).toHaveLength(
			MAX_SNAPSHOT_PARTS
		);
		expect(splitSnapshot(new Uint8Array(MAX_SNAPSHOT_PARTS * 10 + 1), 10)).toBeNull();
	});

	it('seals a part of the largest size exactly at the ciphertext cap', async () => {
		const signer = await generateSignKeyPair();
		const sealed = (await seal(randomBytes(SNAPSHOT_PART_BYTES + 1), signer))!;
		expect(sealed).toHaveLength(2);
		expect(fromBase64Url(sealed[0]!.ct).byteLength).toBe(MAX_ENVELOPE_CIPHERTEXT_BYTES);
	});

	it('seals a small state as one snapshot without part fields, a larger one as a set', async () => {
		const signer = await generateSignKeyPair();
		const [single] = (await seal(randomBytes(50), signer))!;
		expect(single).toMatchObject({ kind: 'snapshot', covers: 7 });
		expect(single).not.toHaveProperty('part');
		const set = (await seal(randomBytes(50), signer, 20))!;
		expect(set.map((e) => (e.kind === 'snapshot' ? e.part : null))).toEqual([
			{ set: expect.any(String), index: 0, count: 3 },
			{ set: expect.any(String), index: 1, count: 3 },
			{ set: expect.any(String), index: 2, count: 3 }
		]);
		const ids = new Set(set.map((e) => (e.kind === 'snapshot' ? e.part?.set : null)));
		expect(ids.size).toBe(1);
		expect(set.every((e) => e.kind === 'snapshot' && e.covers === 7)).toBe(true);
	});
});

describe('putting a set together', () => {
	it('applies nothing until every part is here, then the parts in index order', async () => {
		const signer = await generateSignKeyPair();
		const state = randomBytes(90);
		const set = (await seal(state, signer, 30))!;
		const pieces = plaintexts(state, 3);
		const sets = new SnapshotSets();
		// Out of order: a device may hold parts from before a restart and get the rest live.
		expect(sets.add(12, set[2]!, pieces[2]!)).toEqual({ kind: 'stored', started: true });
		expect(sets.add(10, set[0]!, pieces[0]!)).toEqual({ kind: 'stored', started: false });
		expect(sets.pendingSeqs(docId).sort()).toEqual([10, 12]);
		const done = sets.add(11, set[1]!, pieces[1]!);
		expect(done.kind).toBe('complete');
		if (done.kind !== 'complete') return;
		expect(Buffer.compare(Buffer.from(done.state), Buffer.from(state))).toBe(0);
		expect(sets.has(docId)).toBe(false);
	});

	it('refuses a second copy of a part and a part that does not match its set', async () => {
		const signer = await generateSignKeyPair();
		const state = randomBytes(60);
		const set = (await seal(state, signer, 30))!;
		const pieces = plaintexts(state, 2);
		const sets = new SnapshotSets();
		sets.add(5, set[0]!, pieces[0]!);
		const again = sets.add(6, set[0]!, pieces[0]!);
		expect(again).toMatchObject({ kind: 'refused', rejection: { code: 'bad-snapshot-part' } });
		const other = { ...set[1]!, covers: 8 } as Envelope;
		expect(sets.add(7, other, pieces[1]!)).toMatchObject({
			kind: 'refused',
			rejection: { code: 'bad-snapshot-part' }
		});
		const otherSigner = { ...set[1]!, by: 'B'.repeat(43) } as Envelope;
		expect(sets.add(7, otherSigner, pieces[1]!)).toMatchObject({ kind: 'refused' });
		// The set itself still completes with its real part.
		expect(sets.add(8, set[1]!, pieces[1]!).kind).toBe('complete');
	});

	it('lets a newer set supersede an incomplete one, and forgets it on drop', async () => {
		const signer = await generateSignKeyPair();
		const state = randomBytes(60);
		const older = (await seal(state, signer, 30))!;
		const newer = (await seal(state, signer, 30))!;
		const pieces = plaintexts(state, 2);
		const sets = new SnapshotSets();
		sets.add(1, older[0]!, pieces[0]!);
		expect(sets.add(2, newer[0]!, pieces[0]!)).toEqual({ kind: 'stored', started: true });
		// The older set's last part no longer completes anything: it starts over, alone.
		expect(sets.add(3, older[1]!, pieces[1]!)).toEqual({ kind: 'stored', started: true });
		expect(sets.drop(docId)).toBe(true);
		expect(sets.has(docId)).toBe(false);
	});

	it('makes fresh set ids', () => {
		expect(newSnapshotSetId()).not.toBe(newSnapshotSetId());
		expect(fromBase64Url(newSnapshotSetId())).toHaveLength(16);
	});
});
