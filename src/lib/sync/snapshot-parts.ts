// Snapshots that span several envelopes: splitting a doc state into sealed parts, and putting verified parts back together.

import { toBase64Url } from '../crypto';
import {
	MAX_ENVELOPE_CIPHERTEXT_BYTES,
	MAX_SNAPSHOT_PARTS,
	SNAPSHOT_SET_ID_BYTES,
	type Envelope
} from '../protocol';
import { EnvelopeRejected, sealEnvelope, type SealEnvelopeInput } from './envelope';

/**
 * What an envelope's ciphertext adds to its plaintext: the 2-byte version/algorithm prefix
 * (crypto/format.ts) and XChaCha20-Poly1305's 16-byte tag.
 */
export const ENVELOPE_CIPHERTEXT_OVERHEAD = 2 + 16;

/** Most plaintext one envelope carries: its ciphertext is then exactly at the cap. */
export const SNAPSHOT_PART_BYTES = MAX_ENVELOPE_CIPHERTEXT_BYTES - ENVELOPE_CIPHERTEXT_OVERHEAD;

/**
 * Largest doc state a snapshot set carries, so the largest remote update the album model takes:
 * a single envelope cannot carry more than SNAPSHOT_PART_BYTES anyway, so only assembled sets
 * reach past it (and go through the model's decode-bomb check like any update).
 */
export const MAX_SNAPSHOT_STATE_BYTES = MAX_SNAPSHOT_PARTS * SNAPSHOT_PART_BYTES;

/**
 * The doc state cut into pieces of at most `partBytes` (views, no copy). One piece when it fits
 * in one envelope; null when it needs more than MAX_SNAPSHOT_PARTS.
 */
export function splitSnapshot(
	state: Uint8Array,
	partBytes: number = SNAPSHOT_PART_BYTES
): Uint8Array[] | null {
	if (!Number.isSafeInteger(partBytes) || partBytes < 1 || partBytes > SNAPSHOT_PART_BYTES) {
		throw new RangeError('splitSnapshot: partBytes must fit in one envelope');
	}
	const count = Math.max(1, Math.ceil(state.byteLength / partBytes));
	if (count > MAX_SNAPSHOT_PARTS) return null;
	return Array.from({ length: count }, (_, i) =>
		state.subarray(i * partBytes, Math.min(state.byteLength, (i + 1) * partBytes))
	);
}

/** A fresh random snapshot set id (crypto.getRandomValues: libsodium's is slow in wasm). */
export function newSnapshotSetId(): string {
	return toBase64Url(crypto.getRandomValues(new Uint8Array(SNAPSHOT_SET_ID_BYTES)));
}

export type SealSnapshotInput = Omit<SealEnvelopeInput, 'kind' | 'part' | 'update' | 'covers'> & {
	covers: number;
	/** Y.encodeStateAsUpdateV2 of the live doc. */
	state: Uint8Array;
	/** For tests: plaintext per part, at most SNAPSHOT_PART_BYTES. */
	partBytes?: number;
};

/**
 * Seals a doc state as one snapshot envelope when it fits, else as a set of parts in index
 * order, all with the same covers, epoch, head and signer and a fresh set id. Null when the state
 * needs more than MAX_SNAPSHOT_PARTS envelopes.
 */
export async function sealSnapshot(input: SealSnapshotInput): Promise<Envelope[] | null> {
	const { state, partBytes, ...rest } = input;
	const pieces = splitSnapshot(state, partBytes);
	if (!pieces) return null;
	if (pieces.length === 1)
		return [await sealEnvelope({ ...rest, kind: 'snapshot', update: state })];
	const set = newSnapshotSetId();
	const sealed: Envelope[] = [];
	for (const [index, update] of pieces.entries()) {
		sealed.push(
			await sealEnvelope({
				...rest,
				kind: 'snapshot',
				part: { set, index, count: pieces.length },
				update
			})
		);
	}
	return sealed;
}

/** What adding one verified part did. */
export type SnapshotPartVerdict =
	/** Kept, waiting for the rest of its set; `started` when it began a new set for its doc. */
	| { kind: 'stored'; started: boolean }
	/** The last part: the whole state, in index order, and the seqs of every part. */
	| { kind: 'complete'; started: boolean; state: Uint8Array; seqs: number[] }
	| { kind: 'refused'; rejection: EnvelopeRejected };

interface PendingSet {
	set: string;
	count: number;
	covers: number;
	epoch: number;
	by: string;
	parts: (Uint8Array | undefined)[];
	seqs: number[];
	received: number;
}

/**
 * The incomplete snapshot sets of one album, at most one per doc, as the relay keeps them: a part
 * of another set starts a new one and drops the old (the relay superseded it), a one-envelope
 * snapshot drops it too (`drop`). Parts come in already verified and decrypted, each on its own
 * (openEnvelope); a set is handed back only once every part is here, so a partial set is never
 * applied. The relay refuses the same misfits (bad-snapshot-part): a client checks again.
 */
export class SnapshotSets {
	private readonly sets = new Map<string, PendingSet>();

	add(seq: number, envelope: Envelope, plaintext: Uint8Array): SnapshotPartVerdict {
		if (envelope.kind !== 'snapshot' || envelope.part === undefined) {
			throw new TypeError('SnapshotSets.add takes a part of a snapshot set');
		}
		const { part, docId } = envelope;
		let pending = this.sets.get(docId);
		let started = false;
		if (pending?.set === part.set) {
			if (
				pending.count !== part.count ||
				pending.covers !== envelope.covers ||
				pending.epoch !== envelope.epoch ||
				pending.by !== envelope.by
			) {
				return refused('This snapshot part does not match the other parts of its set.');
			}
			if (pending.parts[part.index] !== undefined) {
				return refused('This snapshot part arrived twice.');
			}
		} else {
			started = true;
			pending = {
				set: part.set,
				count: part.count,
				covers: envelope.covers,
				epoch: envelope.epoch,
				by: envelope.by,
				parts: new Array<Uint8Array | undefined>(part.count),
				seqs: [],
				received: 0
			};
			this.sets.set(docId, pending);
		}
		pending.parts[part.index] = plaintext;
		pending.seqs.push(seq);
		pending.received += 1;
		if (pending.received < pending.count) return { kind: 'stored', started };
		this.sets.delete(docId);
		return { kind: 'complete', started, state: concat(pending.parts), seqs: pending.seqs };
	}

	/** Forgets the doc's incomplete set (a one-envelope snapshot superseded it). */
	drop(docId: string): boolean {
		return this.sets.delete(docId);
	}

	/** Whether the doc has a set waiting for parts. */
	has(docId: string): boolean {
		return this.sets.has(docId);
	}

	/** The seqs of the parts the doc's incomplete set holds (their stored rows must stay). */
	pendingSeqs(docId: string): number[] {
		return [...(this.sets.get(docId)?.seqs ?? [])];
	}
}

function refused(message: string): SnapshotPartVerdict {
	return { kind: 'refused', rejection: new EnvelopeRejected('bad-snapshot-part', message) };
}

function concat(parts: readonly (Uint8Array | undefined)[]): Uint8Array {
	let length = 0;
	for (const part of parts) length += part!.byteLength;
	const whole = new Uint8Array(length);
	let offset = 0;
	for (const part of parts) {
		whole.set(part!, offset);
		offset += part!.byteLength;
	}
	return whole;
}
