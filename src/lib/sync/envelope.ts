// Doc envelopes on a device: seal a Yjs update for the album stream, and open one only if the verified chain allows it.

import * as v from 'valibot';
import {
	DecryptError,
	FormatError,
	decryptEnvelope,
	deriveDocKey,
	encryptEnvelope,
	fromBase64Url,
	isValidSignature,
	signDetached,
	toBase64Url,
	type SignKeyPair
} from '../crypto';
import {
	EnvelopeSchema,
	describeIssues,
	envelopeAuthorityRefusal,
	envelopeHeaderBytes,
	envelopeSigningBytes,
	type Envelope,
	type EnvelopeAuthorityCode,
	type EnvelopeHeader,
	type SnapshotPart
} from '../protocol';
import type { MembershipState } from '../protocol/membership-rules';

export type EnvelopeRejectedCode =
	| 'malformed'
	| 'wrong-kind'
	| 'wrong-album'
	| 'bad-signature'
	| EnvelopeAuthorityCode
	| 'no-key'
	| 'undecryptable'
	/** A part that does not fit its snapshot set (see snapshot-parts.ts); never applied. */
	| 'bad-snapshot-part';

/**
 * An envelope this device will not apply. `unknown-head` alone is temporary (verify the newer
 * chain, then try again); every other code is final and the same on every device.
 */
export class EnvelopeRejected extends Error {
	constructor(
		readonly code: EnvelopeRejectedCode,
		message: string
	) {
		super(message);
		this.name = 'EnvelopeRejected';
	}
}

/** Epoch keys this device holds for an album, by epoch (openEpochKeys / openLinkEpochKeys). */
export type EpochKeys = ReadonlyMap<number, Uint8Array>;

export interface SealEnvelopeInput {
	albumId: string;
	docId: string;
	kind: 'update' | 'snapshot';
	epoch: number;
	/** The membership head the author writes under (their verified chain's head index). */
	chainIndex: number;
	/** For a snapshot: the album seq whose updates it includes. */
	covers?: number;
	/** For one part of a snapshot that spans several envelopes (sealSnapshotParts). */
	part?: SnapshotPart;
	/** A Yjs update (V2) or, for a snapshot, Y.encodeStateAsUpdateV2 of the live doc (or a part of it). */
	update: Uint8Array;
	/** deriveDocKey(K_epoch, docId). */
	docKey: Uint8Array;
	/** The author: a member's identity, or a link's key pair for its inbox doc. */
	signer: SignKeyPair;
}

export interface SealEphemeralInput {
	albumId: string;
	docId: string;
	epoch: number;
	chainIndex: number;
	payload: Uint8Array;
	docKey: Uint8Array;
	signer: SignKeyPair;
}

export interface OpenEnvelopeContext {
	/** The device's verified membership state (MembershipChain.state). */
	state: MembershipState;
	epochKeys: EpochKeys;
	/**
	 * The chain index that was the membership head when the relay sequenced this envelope:
	 * membershipHeadAt(entrySeqs, seq). Defaults to the state's head, which is right only when the
	 * device applies the album log in seq order and its chain holds nothing newer than the envelope.
	 */
	sequencedAt?: number;
}

export interface OpenedEnvelope {
	envelope: Envelope;
	/** The decrypted Yjs update (or snapshot state, or presence payload). */
	update: Uint8Array;
}

/** Encrypts `update` with the header as AD, then signs header, nonce and ciphertext. */
export function sealEnvelope(input: SealEnvelopeInput): Promise<Envelope> {
	const base = headerBase(input);
	let header: EnvelopeHeader;
	if (input.kind === 'snapshot') {
		if (input.covers === undefined) throw new TypeError('sealEnvelope: a snapshot needs `covers`');
		header =
			input.part === undefined
				? { ...base, kind: 'snapshot', covers: input.covers }
				: { ...base, kind: 'snapshot', covers: input.covers, part: { ...input.part } };
	} else {
		if (input.covers !== undefined || input.part !== undefined)
			throw new TypeError('sealEnvelope: only snapshots have `covers` and `part`');
		header = { ...base, kind: 'update' };
	}
	return seal(header, input.update, input.docKey, input.signer);
}

/** Presence and other live-only payloads: sealed like updates, never stored by the relay. */
export function sealEphemeral(input: SealEphemeralInput): Promise<Envelope> {
	return seal(
		{ ...headerBase(input), kind: 'ephemeral' },
		input.payload,
		input.docKey,
		input.signer
	);
}

/**
 * Checks an update or snapshot envelope from the wire against the verified chain and decrypts it.
 * Throws EnvelopeRejected; nothing from a rejected envelope may reach a doc.
 */
export async function openEnvelope(
	wire: unknown,
	context: OpenEnvelopeContext
): Promise<OpenedEnvelope> {
	const envelope = parse(wire);
	if (envelope.kind === 'ephemeral') {
		throw new EnvelopeRejected('wrong-kind', 'A live-only message arrived as an album update.');
	}
	return open(envelope, context, context.sequencedAt ?? context.state.head.index);
}

/**
 * Checks and decrypts an ephemeral envelope (presence). Ephemerals have no seq, so they are judged
 * at this device's head: live messages from an author who is no longer a writer, or under a key
 * that was replaced, are dropped.
 */
export async function openEphemeral(
	wire: unknown,
	context: Omit<OpenEnvelopeContext, 'sequencedAt'>
): Promise<OpenedEnvelope> {
	const envelope = parse(wire);
	if (envelope.kind !== 'ephemeral') {
		throw new EnvelopeRejected('wrong-kind', 'An album update arrived as a live-only message.');
	}
	return open(envelope, context, context.state.head.index);
}

/**
 * The chain index that was the membership head when the relay gave an item album seq `seq`:
 * the last entry whose seq is below it. `entrySeqs[i]` is the seq of chain entry i (increasing).
 */
export function membershipHeadAt(entrySeqs: readonly number[], seq: number): number {
	let low = 0;
	let high = entrySeqs.length - 1;
	let found = -1;
	while (low <= high) {
		const mid = (low + high) >> 1;
		if (entrySeqs[mid]! < seq) {
			found = mid;
			low = mid + 1;
		} else {
			high = mid - 1;
		}
	}
	if (found < 0)
		throw new RangeError('membershipHeadAt: nothing can be sequenced before the genesis');
	return found;
}

function headerBase(input: {
	albumId: string;
	docId: string;
	epoch: number;
	chainIndex: number;
	signer: SignKeyPair;
}) {
	return {
		albumId: input.albumId,
		docId: input.docId,
		epoch: input.epoch,
		chainIndex: input.chainIndex,
		by: toBase64Url(input.signer.publicKey)
	};
}

async function seal(
	header: EnvelopeHeader,
	plaintext: Uint8Array,
	docKey: Uint8Array,
	signer: SignKeyPair
): Promise<Envelope> {
	const { nonce, ciphertext } = await encryptEnvelope(
		docKey,
		envelopeHeaderBytes(header),
		plaintext
	);
	const sig = await signDetached(
		envelopeSigningBytes(header, nonce, ciphertext),
		signer.privateKey
	);
	const envelope = {
		...header,
		nonce: toBase64Url(nonce),
		ct: toBase64Url(ciphertext),
		sig: toBase64Url(sig)
	};
	// What we send must pass the checks every receiver runs (sizes, ids), or it is our bug.
	const checked = v.safeParse(EnvelopeSchema, envelope);
	if (!checked.success) {
		throw new RangeError(`sealEnvelope: ${describeIssues(checked.issues)}`);
	}
	return checked.output;
}

function parse(wire: unknown): Envelope {
	const result = v.safeParse(EnvelopeSchema, wire);
	if (!result.success) {
		throw new EnvelopeRejected(
			'malformed',
			`This album update is malformed: ${describeIssues(result.issues)}`
		);
	}
	return result.output;
}

/**
 * Doc keys derived so far, per epoch key (the same bytes object for as long as a device holds that
 * epoch's keys): opening 1,000 envelopes of one doc derived the same key 1,000 times, ~18 ms.
 */
const docKeys = new WeakMap<Uint8Array, Map<string, Uint8Array>>();

/** deriveDocKey(epochKey, docId), derived once per epoch key and doc. */
export async function docKeyFor(epochKey: Uint8Array, docId: string): Promise<Uint8Array> {
	let keys = docKeys.get(epochKey);
	if (!keys) docKeys.set(epochKey, (keys = new Map()));
	let key = keys.get(docId);
	if (!key) {
		key = await deriveDocKey(epochKey, docId);
		keys.set(docId, key);
	}
	return key;
}

async function open(
	envelope: Envelope,
	{ state, epochKeys }: Omit<OpenEnvelopeContext, 'sequencedAt'>,
	sequencedAt: number
): Promise<OpenedEnvelope> {
	if (envelope.albumId !== state.albumId) {
		throw new EnvelopeRejected('wrong-album', 'This update belongs to another album.');
	}
	// Signature first: a forged envelope is reported as forged, whatever else is wrong with it.
	const nonce = fromBase64Url(envelope.nonce);
	const ct = fromBase64Url(envelope.ct);
	const signed = envelopeSigningBytes(envelope, envelope.nonce, envelope.ct);
	if (!(await isValidSignature(fromBase64Url(envelope.sig), signed, fromBase64Url(envelope.by)))) {
		throw new EnvelopeRejected(
			'bad-signature',
			'This update is not signed by the person it names; it was changed or forged.'
		);
	}
	const refusal = envelopeAuthorityRefusal(state, envelope, sequencedAt);
	if (refusal) throw new EnvelopeRejected(refusal.code, refusal.message);

	const epochKey = epochKeys.get(envelope.epoch);
	if (!epochKey) {
		throw new EnvelopeRejected(
			'no-key',
			'This device has no key for the part of the album this update belongs to.'
		);
	}
	const docKey = await docKeyFor(epochKey, envelope.docId);
	try {
		const update = await decryptEnvelope(docKey, envelopeHeaderBytes(envelope), nonce, ct);
		return { envelope, update };
	} catch (error) {
		if (error instanceof DecryptError || error instanceof FormatError) {
			throw new EnvelopeRejected(
				'undecryptable',
				'This update could not be decrypted: it was changed, or sealed with another key.'
			);
		}
		throw error;
	}
}
