// One album on a device: opens it from the local database, follows its stream, applies verified items, sends local edits.

import * as v from 'valibot';
import {
	AlbumModel,
	AlbumUpdateRejected,
	activityDocId,
	type AlbumUpdateRejectedCode
} from '../../albums';
import type { EntryRecord, TesseraDB } from '../../local/db';
import {
	MAX_POST_BLOBS,
	MembershipEntrySchema,
	MembershipRuleError,
	WsErrorCode,
	canWriteDoc,
	canonicalJson,
	type Envelope,
	type MembershipEntry,
	type MembershipRuleCode,
	type MembershipState,
	type Role
} from '../../protocol';
import {
	docKeyFor,
	EnvelopeRejected,
	type EnvelopeRejectedCode,
	membershipHeadAt,
	openEnvelope,
	openEphemeral,
	sealEnvelope,
	sealEphemeral
} from '../envelope';
import {
	ForkError,
	MembershipChain,
	MembershipChainError,
	memberKeysOf,
	type AlbumIdentity,
	type MembershipChainErrorCode
} from '../membership-chain';
import { hashMembershipEntry } from '../membership-crypto';
import { MAX_SNAPSHOT_STATE_BYTES, SnapshotSets, sealSnapshot } from '../snapshot-parts';
import { systemClock, type Clock, type TimerHandle } from './clock';
import { LocalAlbum } from './local-album';
import { Outbox, type PendingWrite } from './outbox';
import {
	DEFAULT_PRESENCE_TTL_MS,
	PresenceBoard,
	decodePresence,
	encodePresence,
	type PresentMember
} from './presence';
import {
	ConnectionLost,
	RelayRefusal,
	type AlbumFrame,
	type AlbumFollower,
	type RelayConnection
} from './relay-connection';
import { soleTab, type TabCoordinator } from './tabs';

/** When a writer of a doc posts a snapshot of it (DESIGN: a few hundred updates or ~1 MB). */
export interface SnapshotPolicy {
	updates: number;
	bytes: number;
}

export const DEFAULT_SNAPSHOT_POLICY: SnapshotPolicy = { updates: 300, bytes: 1024 * 1024 };

/** Updates of a doc applied locally before its compacted state in the database is rewritten. */
const DEFAULT_LOCAL_COMPACTION = 100;

/** How long after an open its stored envelopes are folded into the sealed doc states. */
const FOLD_DELAY_MS = 1_000;

/**
 * Ciphertext of stored envelopes whose check on open is worth a fold even when they are few (see
 * scheduleFold): the check costs per byte too (the signature hashes it all, then it is decoded and
 * decrypted), 300 ms in Chromium for a library's twelve 250 KB imports.
 */
const FOLD_BYTES = 1024 * 1024;

/** Writes sent at once per album: well under the relay's MAX_PENDING_FRAMES_PER_SOCKET. */
const MAX_IN_FLIGHT = 16;

/** Re-seals of one write in a row before it is given up as refused (a relay that keeps refusing). */
const MAX_RESEALS = 8;

/** How often whenSent() looks at the outbox again when another tab may be the one sending. */
const SENT_RECHECK_MS = 1_000;

export type AlbumSyncErrorCode =
	/** The relay served history that does not verify, or goes back: this album stops syncing. */
	| 'untrusted-history'
	| 'not-a-member'
	| 'album-not-found'
	/** The device database failed while applying an item; reopen the album to go on. */
	| 'storage';

/**
 * What lies under an AlbumSyncError: for `untrusted-history` the chain's code (`bad-signature`,
 * `not-authorized`, `fork`, `rollback`, …), for `not-a-member` and `album-not-found` the relay's.
 */
export type AlbumSyncReason = MembershipChainErrorCode | MembershipRuleCode | WsErrorCode;

export class AlbumSyncError extends Error {
	constructor(
		readonly code: AlbumSyncErrorCode,
		message: string,
		/** The underlying code, when the cause had one (null for a storage error or a removal). */
		readonly reason: AlbumSyncReason | null = null
	) {
		super(message);
		this.name = 'AlbumSyncError';
	}
}

/**
 * A stream item this device read but did not apply: forged, tampered, spliced, under a stale
 * epoch, or refused by the album model (`too-large`, `decode-bomb`, …). Its seq is read anyway.
 * Envelopes waiting for their key while catching up are reported only if still waiting at
 * `caught-up`, as `no-key`.
 */
export interface RejectedItem {
	seq: number;
	docId: string;
	/** The signer the envelope names (not proven: the signature may be what failed). */
	by: string;
	code: EnvelopeRejectedCode | AlbumUpdateRejectedCode;
	message: string;
}

/** A local write the relay refused for good; it stays in this device's doc until reloaded. */
export interface RefusedWrite {
	docId: string;
	code: string;
	message: string;
}

export interface AlbumSyncOptions {
	db: TesseraDB;
	albumId: string;
	identity: AlbumIdentity;
	connection: RelayConnection;
	clock?: Clock;
	random?: () => number;
	tabs?: TabCoordinator;
	snapshotPolicy?: SnapshotPolicy;
	/** Updates per doc before its compacted local state is rewritten (default 100). */
	localCompaction?: number;
	presenceTtlMs?: number;
}

export interface AlbumSyncEvents {
	/** The model changed (remote items applied, membership moved, caught up). */
	change?: () => void;
	refused?: (write: RefusedWrite) => void;
	/** The relay served an envelope this device refused (see RejectedItem). */
	rejected?: (item: RejectedItem) => void;
	/** A queued write was sealed again under a newer head or epoch (after stale-epoch). */
	resealed?: (docId: string) => void;
	error?: (error: AlbumSyncError) => void;
}

interface HeldEnvelope {
	seq: number;
	envelope: Envelope;
	/** The `no-key` refusal, reported if the key never comes. */
	rejection: EnvelopeRejected;
}

interface DocCounter {
	/** Since the doc's last snapshot on the relay. */
	updates: number;
	bytes: number;
	/** Since the doc's compacted state in the local database: envelopes, and their update bytes. */
	sinceCompaction: number;
	bytesSinceCompaction: number;
}

/**
 * Order of work: every stream frame and every local edit runs through one queue, so items are
 * applied in seq order and a local edit is sealed under the head that was current when it was made.
 */
export class AlbumSync implements AlbumFollower {
	readonly albumId: string;
	private chain: MembershipChain | null = null;
	private entrySeqs: number[] = [];
	private epochKeys: Map<number, Uint8Array> = new Map();
	private albumModel: AlbumModel | null = null;
	private lastSeq = 0;
	private seqWaiters: { seq: number; resolve: () => void }[] = [];
	private caughtUp = false;
	private failure: AlbumSyncError | null = null;
	/** Envelopes from before this device's key box, waiting for it during catch-up. */
	private held: HeldEnvelope[] = [];
	private closed = false;
	private queue: Promise<void> = Promise.resolve();
	private readonly counters = new Map<string, DocCounter>();
	private readonly inFlight = new Set<number>();
	private readonly reseals = new Map<number, number>();
	/** Writes refused as stale, waiting to be re-sealed; not sent meanwhile. */
	private readonly resealing = new Set<number>();
	private readonly snapshotting = new Set<string>();
	/** Snapshot sets of several envelopes still waiting for parts, one per doc at most. */
	private readonly snapshotSets = new SnapshotSets();
	private flushing = false;
	private flushAgain = false;
	private readonly me: string;
	private readonly local: LocalAlbum;
	private readonly outbox: Outbox;
	private readonly clock: Clock;
	private readonly random: () => number;
	private readonly tabs: TabCoordinator;
	private readonly policy: SnapshotPolicy;
	private readonly localCompaction: number;
	private readonly presence: PresenceBoard;
	private readonly presenceTtlMs: number;
	private presenceTimer: TimerHandle | null = null;
	private rotationTimer: TimerHandle | null = null;
	/** A new epoch began: docs this device writes get a snapshot under it (see maybeResnapshot). */
	private resnapshotDue = false;
	private resnapshotTimer: TimerHandle | null = null;
	/** The epoch of the last snapshot seen per doc. */
	private readonly snapshotEpochs = new Map<string, number>();
	private uploading = 0;
	/** Created on this device while offline: the genesis the relay has not sequenced yet. */
	private pendingGenesis: MembershipEntry | null = null;
	private readonly unsubscribers: (() => void)[] = [];
	private readonly modelWaiters: ((model: AlbumModel) => void)[] = [];
	private caughtUpWaiters: (() => void)[] = [];
	private sentWaiters: (() => void)[] = [];

	private constructor(
		private readonly options: AlbumSyncOptions,
		private readonly events: AlbumSyncEvents
	) {
		this.albumId = options.albumId;
		this.me = memberKeysOf(options.identity).signPk;
		this.local = new LocalAlbum(options.db, options.albumId);
		this.outbox = new Outbox(options.db, options.albumId);
		this.clock = options.clock ?? systemClock;
		this.random = options.random ?? Math.random;
		this.tabs = options.tabs ?? soleTab();
		// Each device waits a little more or less than the policy, so co-writers of a doc rarely
		// snapshot it at the same moment.
		const spread = 0.8 + 0.4 * this.random();
		const policy = options.snapshotPolicy ?? DEFAULT_SNAPSHOT_POLICY;
		this.policy = {
			updates: Math.max(1, Math.round(policy.updates * spread)),
			bytes: Math.max(1, Math.round(policy.bytes * spread))
		};
		this.localCompaction = options.localCompaction ?? DEFAULT_LOCAL_COMPACTION;
		this.presenceTtlMs = options.presenceTtlMs ?? DEFAULT_PRESENCE_TTL_MS;
		this.presence = new PresenceBoard(this.presenceTtlMs);
	}

	/**
	 * Opens an album from the device database first (verified chain, compacted doc states, later
	 * updates, unsent edits), then follows the relay from the last seq held.
	 */
	static async open(options: AlbumSyncOptions, events: AlbumSyncEvents = {}): Promise<AlbumSync> {
		const sync = new AlbumSync(options, events);
		await sync.loadLocal();
		sync.unsubscribers.push(options.connection.follow(options.albumId, sync));
		sync.unsubscribers.push(
			sync.tabs.onMessage((message) => {
				if (message.albumId !== sync.albumId) return;
				sync.enqueue(async () => {
					sync.albumModel?.applyUpdate(message.docId, message.update);
					sync.emitChange();
				});
				sync.flush();
			}),
			sync.tabs.onOutboxClaimed(() => sync.flush())
		);
		return sync;
	}

	/** The album model, once the chain is known (at once for an album opened before). */
	get model(): AlbumModel | null {
		return this.albumModel;
	}

	whenModel(): Promise<AlbumModel> {
		if (this.albumModel) return Promise.resolve(this.albumModel);
		return new Promise((resolve) => this.modelWaiters.push(resolve));
	}

	get membership(): MembershipState | null {
		return this.chain?.state ?? null;
	}

	/** The verified chain, to build membership entries on its head (SyncEngine.appendMembership). */
	get membershipChain(): MembershipChain | null {
		return this.chain;
	}

	/** The key of the current epoch, when this device holds it (to seal it to a new member). */
	currentEpochKey(): Uint8Array | null {
		const state = this.chain?.state;
		return state ? (this.epochKeys.get(state.epoch) ?? null) : null;
	}

	get seq(): number {
		return this.lastSeq;
	}

	get error(): AlbumSyncError | null {
		return this.failure;
	}

	/** Resolves once the relay said this device holds everything (after the current subscribe). */
	whenCaughtUp(): Promise<void> {
		if (this.caughtUp) return Promise.resolve();
		return new Promise((resolve) => this.caughtUpWaiters.push(resolve));
	}

	/**
	 * Resolves once this device has applied the album up to `seq` (say, a membership entry it just
	 * appended), or when the album closes or fails.
	 */
	whenSeq(seq: number): Promise<void> {
		if (this.lastSeq >= seq || this.closed || this.failure) return Promise.resolve();
		return new Promise((resolve) => this.seqWaiters.push({ seq, resolve }));
	}

	/** Local writes not yet acknowledged by the relay. */
	pendingWrites(): Promise<number> {
		return this.outbox.size();
	}

	/**
	 * Resolves once every local edit made so far has left the outbox (acknowledged by the relay as
	 * durable, or finally refused). Another tab may hold the outbox: then it is looked at again
	 * every second.
	 */
	async whenSent(): Promise<void> {
		await this.settled();
		while (!this.closed && (await this.outbox.size()) > 0) {
			await new Promise<void>((resolve) => {
				const timer = this.clock.setTimeout(resolve, SENT_RECHECK_MS);
				this.sentWaiters.push(() => {
					this.clock.clearTimeout(timer);
					resolve();
				});
			});
		}
	}

	/** Resolves when every queued frame and local edit has been processed. */
	async settled(): Promise<void> {
		let current: Promise<void>;
		do {
			current = this.queue;
			await current;
		} while (current !== this.queue);
	}

	/** Other members here now (their last beacon has not expired), with their upload counts. */
	present(): PresentMember[] {
		return this.presence.list(this.clock.now()).filter((p) => p.member !== this.me);
	}

	/** Announces this device here, uploading `uploading` files; renewed until close(). */
	setPresence(uploading: number): void {
		this.uploading = uploading;
		void this.sendPresence(true);
		this.schedulePresence();
	}

	/** Stops announcing this device here (the page showing the album closed); the album stays open. */
	async leavePresence(): Promise<void> {
		if (this.presenceTimer === null) return;
		this.clock.clearTimeout(this.presenceTimer);
		this.presenceTimer = null;
		this.uploading = 0;
		await this.sendPresence(false);
	}

	/** Stops following the album (says goodbye to presence first when connected). */
	async close(): Promise<void> {
		if (this.closed) return;
		if (this.presenceTimer !== null) {
			this.clock.clearTimeout(this.presenceTimer);
			await this.sendPresence(false);
		}
		this.closed = true;
		this.presenceTimer = null;
		for (const timer of [this.rotationTimer, this.resnapshotTimer]) {
			if (timer !== null) this.clock.clearTimeout(timer);
		}
		this.rotationTimer = this.resnapshotTimer = null;
		this.wakeSentWaiters();
		for (const waiter of this.seqWaiters.splice(0)) waiter.resolve();
		for (const unsubscribe of this.unsubscribers.splice(0)) unsubscribe();
		if (this.options.connection.ready) {
			this.options.connection.send({ t: 'unsubscribe', albumId: this.albumId });
		}
		await this.settled();
	}

	// -------------------------------------------------------------------------------------------
	// AlbumFollower

	onReady(): void {
		this.caughtUp = false;
		if (this.closed || this.failure) return;
		// The queue first: lastSeq must include every frame already received.
		this.enqueue(async () => {
			// An album made offline goes on the relay first; a resend gets its first seq back.
			if (this.pendingGenesis && !(await this.appendPendingGenesis(this.pendingGenesis))) return;
			const since = this.lastSeq;
			this.options.connection
				.request({ t: 'subscribe', albumId: this.albumId, since })
				.catch((error: unknown) => this.onSubscribeFailed(error));
		});
	}

	onFrame(frame: AlbumFrame): void {
		if (this.closed) return;
		this.enqueue(() => this.handle(frame));
	}

	onDisconnect(): void {
		this.caughtUp = false;
		this.inFlight.clear();
	}

	/** False when the connection dropped meanwhile (the next onReady tries again). */
	private async appendPendingGenesis(genesis: MembershipEntry): Promise<boolean> {
		try {
			await this.options.connection.request({ t: 'append-membership', entry: genesis });
			return true;
		} catch (error) {
			if (error instanceof RelayRefusal)
				this.fail('album-not-found', error, error.code as WsErrorCode);
			return false;
		}
	}

	// -------------------------------------------------------------------------------------------
	// Opening from the device database

	private async loadLocal(): Promise<void> {
		const loaded = await this.local.load(this.clock.now());
		this.advanceTo(loaded.record.lastSeq);
		if (loaded.record.pendingGenesis && loaded.record.lastSeq === 0) {
			this.pendingGenesis = loaded.record.pendingGenesis;
		}
		if (loaded.membership.length === 0) return;
		const head = loaded.record.head;
		try {
			this.chain = await MembershipChain.verify(
				loaded.membership.map((m) => m.entry),
				{ expectedAlbumId: this.albumId, ...(head ? { knownHead: head } : {}) }
			);
		} catch (error) {
			this.fail('untrusted-history', error);
			return;
		}
		this.entrySeqs = loaded.membership.map((m) => m.seq);
		this.epochKeys = await this.chain.openEpochKeys(this.options.identity);
		const model = this.makeModel(this.chain.state);
		/** Stored envelopes checked on this open (how many, their ciphertext), and their docs. */
		let verified = 0;
		let verifiedBytes = 0;
		const foldable: string[] = [];
		for (const [docId, doc] of loaded.docs) {
			// The device's own compacted state (sealed by its vault) may be far bigger than one
			// envelope; a state that will not load stops the album rather than show it partly.
			if (doc.state) {
				try {
					model.loadLocalState(docId, doc.state);
				} catch (error) {
					this.fail('storage', error);
					return;
				}
			}
			// Raw entries are the relay's word, stored in the clear: each is checked again.
			let applied = false;
			for (const row of doc.envelopes) {
				if (row.item.type !== 'envelope') continue;
				const envelope = row.item.envelope;
				verifiedBytes += storedUpdateBytes(row);
				const opened = await this.openAt(envelope, row.seq);
				if (opened instanceof Uint8Array) {
					applied = this.applyQuietly(model, docId, opened) || applied;
				} else if (opened.code === 'no-key') {
					// Stored while waiting for its key during a catch-up that did not finish: it
					// waits again, as it would have (retryHeld; reported at caught-up if never opened).
					this.held.push({ seq: row.seq, envelope, rejection: opened });
				}
			}
			verified += doc.envelopes.length;
			// A doc that took nothing (only refused rows) may be no doc of this album at all.
			if (doc.envelopes.length > 0 && (applied || doc.state)) foldable.push(docId);
			const counter = loaded.docCounters.get(docId) ?? { updates: 0, bytes: 0 };
			this.counters.set(docId, {
				...counter,
				sinceCompaction: doc.envelopes.length,
				bytesSinceCompaction: 0
			});
		}
		// Parts of snapshot sets, in seq order: a set complete here (the device stopped between
		// storing its last part and compacting) is applied now and its doc compacted below; one
		// still incomplete waits for the rest on the stream.
		const completed = new Set<string>();
		for (const row of loaded.snapshotParts) {
			if (row.item.type !== 'envelope') continue;
			const envelope = row.item.envelope;
			const opened = await this.openAt(envelope, row.seq);
			if (!(opened instanceof Uint8Array)) {
				if (opened.code === 'no-key') this.held.push({ seq: row.seq, envelope, rejection: opened });
				continue;
			}
			const verdict = this.snapshotSets.add(row.seq, envelope, opened);
			if (verdict.kind === 'complete' && this.applyQuietly(model, envelope.docId, verdict.state)) {
				completed.add(envelope.docId);
				this.snapshotEpochs.set(envelope.docId, envelope.epoch);
				// The doc's snapshot on the relay is this set now, as when one completes on the
				// stream: its counters start again from the updates stored after it.
				const after = (loaded.docs.get(envelope.docId)?.envelopes ?? []).filter(
					(stored) => stored.seq > row.seq
				);
				const counter = this.counter(envelope.docId);
				counter.updates = after.length;
				counter.bytes = after.reduce((sum, stored) => sum + storedUpdateBytes(stored), 0);
			}
		}
		this.held.sort((a, b) => a.seq - b.seq);
		for (const { docId, update } of await this.outbox.updates()) {
			this.applyQuietly(model, docId, update);
		}
		this.publishModel(model);
		if (verified >= this.localCompaction || verifiedBytes >= FOLD_BYTES) {
			this.scheduleFold(foldable);
		}
		if (completed.size > 0) {
			this.enqueue(async () => {
				for (const docId of completed) {
					if (!this.held.some((item) => item.envelope.docId === docId)) await this.compact(docId);
				}
			});
		}
	}

	/**
	 * After an open that checked as many stored envelopes as a compaction would have covered, or
	 * over FOLD_BYTES of them (a catch-up that ended waiting for keys, a closed tab, a few large
	 * imports, a database from before compaction), the docs they went into are compacted, so the
	 * next open does not check them again. Not at once: the album is shown first, and the
	 * compaction (encoding and sealing the whole doc) waits in the album's queue like any other.
	 */
	private scheduleFold(docIds: readonly string[]): void {
		if (docIds.length === 0) return;
		this.clock.setTimeout(() => {
			if (this.closed) return;
			this.enqueue(async () => {
				for (const docId of docIds) {
					if (this.closed) return;
					// Compacted by the stream meanwhile; or some of its rows still wait for their key,
					// and compaction would drop them.
					if ((this.counters.get(docId)?.sinceCompaction ?? 0) === 0) continue;
					if (this.held.some((item) => item.envelope.docId === docId)) continue;
					await this.compact(docId);
				}
			});
		}, FOLD_DELAY_MS);
	}

	/** The decrypted update, or the code it was refused with. */
	private async openAt(envelope: Envelope, seq: number): Promise<Uint8Array | EnvelopeRejected> {
		try {
			const opened = await openEnvelope(envelope, {
				state: this.chain!.state,
				epochKeys: this.epochKeys,
				sequencedAt: membershipHeadAt(this.entrySeqs, seq)
			});
			return opened.update;
		} catch (error) {
			if (error instanceof EnvelopeRejected) return error;
			throw error;
		}
	}

	// -------------------------------------------------------------------------------------------
	// The stream

	private async handle(frame: AlbumFrame): Promise<void> {
		if (this.failure) return;
		switch (frame.t) {
			case 'caught-up':
				if (frame.seq > this.lastSeq) {
					this.advanceTo(frame.seq);
					await this.local.advance(frame.seq, this.clock.now());
				}
				// Whatever still waits was sealed under an epoch this device was never given (it
				// joined later); the writers' re-snapshots under the current epoch carry it.
				for (const item of this.held.splice(0)) {
					this.reject(item.seq, item.envelope, item.rejection);
				}
				this.caughtUp = true;
				for (const resolve of this.caughtUpWaiters.splice(0)) resolve();
				this.emitChange();
				this.flush();
				this.scheduleSnapshots();
				this.maybeRotate();
				this.maybeResnapshot();
				return;
			case 'unsubscribed':
				if (frame.reason === 'removed') {
					this.caughtUp = false;
					this.fail('not-a-member', new Error('The album’s owner or an admin removed you.'));
				}
				return;
			case 'entry':
				if (frame.seq === null) {
					if (frame.item.type === 'envelope') await this.onEphemeral(frame.item.envelope);
					return;
				}
				// A resubscribe can overlap frames already applied; seq order makes them easy to skip.
				if (frame.seq <= this.lastSeq) return;
				if (frame.item.type === 'membership') {
					await this.onMembership(frame.seq, frame.item.entry);
				} else {
					await this.onEnvelope(frame.seq, frame.item.envelope);
				}
		}
	}

	private async onMembership(seq: number, entry: unknown): Promise<void> {
		if (this.pendingGenesis && this.chain && this.isPendingGenesis(entry)) {
			await this.confirmGenesis(seq);
			return;
		}
		const before = this.chain;
		try {
			if (!this.chain) {
				this.chain = await MembershipChain.verify([entry], { expectedAlbumId: this.albumId });
			} else {
				await this.chain.append(entry);
			}
		} catch (error) {
			// The relay checks entries with the same rules; one that fails here was forged or
			// corrupted, and nothing after it can be trusted.
			this.fail('untrusted-history', await this.forkOr(entry, error));
			return;
		}
		const chain = this.chain;
		this.entrySeqs.push(seq);
		const state = chain.state;
		const last = chain.entries[chain.entries.length - 1]!;
		if (last.op !== 'role' && last.op !== 'link-update' && last.op !== 'delete') {
			this.epochKeys = await chain.openEpochKeys(this.options.identity);
		}
		this.advanceTo(seq);
		// The model refuses writes by this state: it moves with the chain, not after the disk write.
		if (before !== null) this.albumModel?.setMembership(state);
		await this.local.commit(
			seq,
			{ type: 'membership', entry: last },
			state,
			this.roleOf(state),
			this.clock.now()
		);
		if (last.op === 'remove' || last.op === 'rotate' || last.op === 'link-remove') {
			this.resnapshotDue = true;
		}
		if (last.op === 'leave') this.presence.forget(last.by);
		if (last.op === 'remove') this.presence.forget(last.member);
		if (before === null) this.publishModel(this.makeModel(state));
		await this.retryHeld();
		this.emitChange();
		// Writes refused as stale may now be re-sealed under this head.
		this.flush();
		this.maybeRotate();
		this.maybeResnapshot();
	}

	/** The relay's copy of the genesis this device made: the same signed entry, byte for byte. */
	private isPendingGenesis(entry: unknown): boolean {
		return (
			this.pendingGenesis !== null && canonicalJson(entry) === canonicalJson(this.pendingGenesis)
		);
	}

	/** The album made offline is on the relay now, at `seq`: store it as any sequenced entry. */
	private async confirmGenesis(seq: number): Promise<void> {
		const chain = this.chain!;
		this.pendingGenesis = null;
		this.entrySeqs = [seq];
		this.advanceTo(seq);
		await this.local.commit(
			seq,
			{ type: 'membership', entry: chain.entries[0]! },
			chain.state,
			this.roleOf(chain.state),
			this.clock.now()
		);
		this.emitChange();
	}

	private async onEnvelope(seq: number, envelope: Envelope): Promise<void> {
		const model = this.albumModel;
		let update: Uint8Array | null = null;
		let held: EnvelopeRejected | null = null;
		let rejection: EnvelopeRejected | AlbumUpdateRejected | null = null;
		if (this.chain && model) {
			const opened = await this.openAt(envelope, seq);
			if (opened instanceof Uint8Array) update = opened;
			// Catching up as a new member, edits made before this device was added come before the
			// entry that seals it their key: keep them until that entry arrives (retryHeld).
			else if (opened.code === 'no-key' && !this.caughtUp) held = opened;
			else rejection = opened;
		} else {
			// The relay serves the genesis first: an envelope before it names a head nobody has.
			rejection = new EnvelopeRejected(
				'unknown-head',
				'This change came before the album’s history; it was not applied.'
			);
		}
		if (update && model && envelope.kind === 'snapshot' && envelope.part) {
			this.advanceTo(seq);
			await this.acceptPart(seq, envelope, update, true);
			return;
		}
		let applied = false;
		if (update && model) {
			const result = this.tryApply(model, envelope.docId, update);
			if (result === true) applied = true;
			else rejection = result;
		}
		this.advanceTo(seq);
		// A refused item is not stored, but its seq is read: nobody will ever send it differently.
		// A held one is stored, so a reopen re-checks it against the whole chain.
		await this.local.commit(
			seq,
			applied || held ? { type: 'envelope', envelope } : null,
			null,
			this.roleOf(this.chain?.state ?? null),
			this.clock.now()
		);
		if (held) {
			this.held.push({ seq, envelope, rejection: held });
			return;
		}
		if (rejection) this.reject(seq, envelope, rejection);
		if (!applied || !update) return;
		await this.afterApplied(envelope, update);
	}

	/** Opens held envelopes that the keys now known can open, in seq order. */
	private async retryHeld(): Promise<void> {
		const model = this.albumModel;
		if (!model || this.held.length === 0) return;
		const waiting = this.held;
		const still: HeldEnvelope[] = [];
		for (let i = 0; i < waiting.length; i++) {
			const item = waiting[i]!;
			// Those not tried yet still count as waiting, so compaction keeps their stored rows.
			this.held = [...still, ...waiting.slice(i + 1)];
			const opened = await this.openAt(item.envelope, item.seq);
			if (opened instanceof Uint8Array && item.envelope.kind === 'snapshot' && item.envelope.part) {
				await this.acceptPart(item.seq, item.envelope, opened, false);
			} else if (opened instanceof Uint8Array) {
				const applied = this.tryApply(model, item.envelope.docId, opened);
				if (applied === true) await this.afterApplied(item.envelope, opened);
				else this.reject(item.seq, item.envelope, applied);
			} else if (opened.code === 'no-key') {
				still.push({ ...item, rejection: opened });
			} else {
				this.reject(item.seq, item.envelope, opened);
			}
		}
		this.held = still;
	}

	/**
	 * One verified part of a snapshot set: kept (in memory and, when it came on the stream, as its
	 * raw row) until the set is complete, then the parts' plaintexts in index order are applied as
	 * the doc's snapshot. A part never reaches the doc on its own; a set left incomplete blocks
	 * nothing (its seqs are read), and a newer set of the doc supersedes it.
	 */
	private async acceptPart(
		seq: number,
		envelope: Envelope,
		plaintext: Uint8Array,
		fromStream: boolean
	): Promise<void> {
		const verdict = this.snapshotSets.add(seq, envelope, plaintext);
		if (fromStream) {
			await this.local.commit(
				seq,
				verdict.kind === 'refused' ? null : { type: 'envelope', envelope },
				null,
				this.roleOf(this.chain?.state ?? null),
				this.clock.now()
			);
		}
		if (verdict.kind === 'refused') {
			this.reject(seq, envelope, verdict.rejection);
			return;
		}
		// A set that starts supersedes the doc's older incomplete one, here as on the relay.
		if (verdict.started) await this.local.dropSnapshotParts(envelope.docId, seq);
		if (verdict.kind !== 'complete') return;
		const result = this.tryApply(this.albumModel!, envelope.docId, verdict.state);
		if (result !== true) {
			this.reject(seq, envelope, result);
			return;
		}
		await this.afterApplied(envelope, verdict.state);
	}

	private async afterApplied(envelope: Envelope, update: Uint8Array): Promise<void> {
		const counter = this.counter(envelope.docId);
		if (envelope.kind === 'snapshot') {
			// Any snapshot supersedes the doc's incomplete set (the relay dropped its parts too).
			if (!envelope.part) this.snapshotSets.drop(envelope.docId);
			this.snapshotEpochs.set(envelope.docId, envelope.epoch);
			counter.updates = 0;
			counter.bytes = 0;
		} else {
			counter.updates += 1;
			counter.bytes += update.byteLength;
		}
		counter.sinceCompaction += 1;
		counter.bytesSinceCompaction += update.byteLength;
		// Compaction drops a doc's stored envelopes; never while some of them still wait for a key.
		// A few large updates (a big import) count as many: each costs its bytes to verify on open.
		const waiting = this.held.some((item) => item.envelope.docId === envelope.docId);
		if (
			!waiting &&
			(counter.sinceCompaction >= this.localCompaction ||
				counter.bytesSinceCompaction >= FOLD_BYTES ||
				envelope.kind === 'snapshot')
		) {
			await this.compact(envelope.docId);
		}
		this.emitChange();
		if (this.caughtUp) this.maybeSnapshot(envelope.docId);
	}

	private async onEphemeral(envelope: Envelope): Promise<void> {
		if (!this.chain) return;
		try {
			const opened = await openEphemeral(envelope, {
				state: this.chain.state,
				epochKeys: this.epochKeys
			});
			if (opened.envelope.docId !== activityDocId(opened.envelope.by)) return;
			const payload = decodePresence(opened.update);
			if (payload) this.presence.record(opened.envelope.by, payload, this.clock.now());
			this.emitChange();
		} catch (error) {
			if (!(error instanceof EnvelopeRejected)) throw error;
		}
	}

	// -------------------------------------------------------------------------------------------
	// Local edits and the outbox

	/** `blobs`: the blob ids the update adds, kept with it in the outbox and sent with each post. */
	private onLocalUpdate(docId: string, update: Uint8Array, blobs: readonly string[]): void {
		this.enqueue(async () => {
			const envelope = await this.seal(docId, update);
			if (!envelope) {
				this.events.refused?.({
					docId,
					code: WsErrorCode.notAuthorized,
					message: 'This device may not change this part of the album.'
				});
				return;
			}
			await this.outbox.add(docId, update, envelope, this.clock.now(), blobs);
			this.tabs.publish({ kind: 'local-update', albumId: this.albumId, docId, update });
			const counter = this.counter(docId);
			counter.updates += 1;
			counter.bytes += update.byteLength;
			this.flush();
		});
	}

	/** Seals an update under the current head and epoch; null when this device may not write it. */
	private async seal(docId: string, update: Uint8Array): Promise<Envelope | null> {
		const state = this.chain?.state;
		if (!state || !canWriteDoc(state, this.me, docId, state.head.index)) return null;
		const epochKey = this.epochKeys.get(state.epoch);
		if (!epochKey) return null;
		return sealEnvelope({
			albumId: this.albumId,
			docId,
			kind: 'update',
			epoch: state.epoch,
			chainIndex: state.head.index,
			update,
			docKey: await docKeyFor(epochKey, docId),
			signer: this.options.identity.sign
		});
	}

	/** Sends what waits in the outbox, in order, with a bounded number in flight. */
	private flush(): void {
		if (this.flushing) {
			this.flushAgain = true;
			return;
		}
		if (!this.canSend()) return;
		this.flushing = true;
		void this.flushOnce()
			.catch(() => {
				// A database error: the rows stay, the next flush retries.
			})
			.finally(() => {
				this.flushing = false;
				if (this.flushAgain) {
					this.flushAgain = false;
					this.flush();
				}
			});
	}

	private canSend(): boolean {
		return (
			!this.closed &&
			!this.failure &&
			this.caughtUp &&
			this.options.connection.ready &&
			this.tabs.holdsOutbox
		);
	}

	private async flushOnce(): Promise<void> {
		for (const write of await this.outbox.pending()) {
			if (!this.canSend()) return;
			if (this.inFlight.has(write.id) || this.resealing.has(write.id)) continue;
			if (this.inFlight.size >= MAX_IN_FLIGHT) {
				this.flushAgain = true;
				return;
			}
			this.send(write);
		}
	}

	private send(write: PendingWrite): void {
		this.inFlight.add(write.id);
		// The same blobs with every send and re-seal: the relay binds them in the commit that
		// stores the envelope, and a resend (deduped) binds nothing twice.
		const post = { t: 'post', envelope: write.envelope, ...blobsField(write.blobs) } as const;
		this.options.connection.request(post).then(
			async () => {
				this.inFlight.delete(write.id);
				this.reseals.delete(write.id);
				await this.outbox.remove(write.id);
				this.wakeSentWaiters();
				this.flush();
			},
			async (error: unknown) => {
				this.inFlight.delete(write.id);
				if (error instanceof ConnectionLost) return; // resent after reconnecting
				if (!(error instanceof RelayRefusal)) throw error;
				await this.onRefused(write, error);
			}
		);
	}

	private async onRefused(write: PendingWrite, refusal: RelayRefusal): Promise<void> {
		const stale =
			refusal.code === WsErrorCode.staleEpoch ||
			refusal.code === WsErrorCode.unknownHead ||
			refusal.code === WsErrorCode.staleHead;
		if (refusal.code === WsErrorCode.tooBusy) {
			this.clock.setTimeout(() => this.flush(), 200 + Math.floor(this.random() * 800));
			return;
		}
		const attempts = (this.reseals.get(write.id) ?? 0) + 1;
		if (stale && attempts <= MAX_RESEALS) {
			this.reseals.set(write.id, attempts);
			this.resealWhenCaughtUp(write, refusal.headIndex);
			return;
		}
		this.reseals.delete(write.id);
		await this.outbox.remove(write.id);
		this.wakeSentWaiters();
		this.events.refused?.({ docId: write.docId, code: refusal.code, message: refusal.message });
	}

	/** Moves the album's seq forward and wakes whoever waits for it (whenSeq). */
	private advanceTo(seq: number): void {
		this.lastSeq = seq;
		if (this.seqWaiters.length === 0) return;
		this.seqWaiters = this.seqWaiters.filter((waiter) => {
			if (waiter.seq > seq) return true;
			waiter.resolve();
			return false;
		});
	}

	private wakeSentWaiters(): void {
		for (const wake of this.sentWaiters.splice(0)) wake();
	}

	/**
	 * The Yjs update is still valid; only its seal is old. It is re-sealed once this device has
	 * reached the head the relay named (that entry is on its way on this very socket, before the
	 * refusal), so the new seal uses the new epoch.
	 */
	private resealWhenCaughtUp(write: PendingWrite, headIndex: number | undefined): void {
		this.resealing.add(write.id);
		this.enqueue(async () => {
			const head = this.chain?.state.head.index ?? -1;
			if (headIndex !== undefined && head < headIndex && !this.closed && !this.failure) {
				this.clock.setTimeout(() => this.resealWhenCaughtUp(write, headIndex), 100);
				return;
			}
			try {
				await this.reseal(write);
			} finally {
				this.resealing.delete(write.id);
				this.flush();
			}
		});
	}

	private async reseal(write: PendingWrite): Promise<void> {
		const update = await this.outbox.update(write.id);
		if (!update) return;
		const envelope = await this.seal(write.docId, update);
		if (!envelope) {
			await this.outbox.remove(write.id);
			this.events.refused?.({
				docId: write.docId,
				code: WsErrorCode.notAuthorized,
				message: 'You may no longer change this part of the album.'
			});
			return;
		}
		await this.outbox.replace(write.id, envelope);
		this.events.resealed?.(write.docId);
	}

	// -------------------------------------------------------------------------------------------
	// Snapshots and compaction

	private scheduleSnapshots(): void {
		for (const docId of this.counters.keys()) this.maybeSnapshot(docId);
	}

	/** A writer of a doc posts its full state once enough updates have piled up on the relay. */
	private maybeSnapshot(docId: string): void {
		const counter = this.counters.get(docId);
		if (!counter) return;
		if (counter.updates < this.policy.updates && counter.bytes < this.policy.bytes) return;
		this.postSnapshot(docId);
	}

	/**
	 * After a rotation, members added later hold only the new epoch's key: what was written before
	 * would be unreadable to them. So every writer re-posts its docs as snapshots under the new
	 * epoch (DESIGN: "writers re-snapshot under the new epoch"), after a random pause, skipping docs
	 * that a co-writer has re-snapshotted meanwhile.
	 */
	private maybeResnapshot(): void {
		if (!this.resnapshotDue || this.resnapshotTimer !== null || !this.canSend()) return;
		this.resnapshotDue = false;
		this.resnapshotTimer = this.clock.setTimeout(
			() => {
				this.resnapshotTimer = null;
				const state = this.chain?.state;
				if (!state || !this.albumModel || this.closed) return;
				if (!this.canSend()) {
					this.resnapshotDue = true; // the next caught-up tries again
					return;
				}
				for (const docId of this.albumModel.docIds()) {
					if (this.snapshotEpochs.get(docId) !== state.epoch) this.postSnapshot(docId);
				}
			},
			Math.floor(this.random() * 2000)
		);
	}

	private postSnapshot(docId: string): void {
		const state = this.chain?.state;
		if (!state || !this.albumModel || this.snapshotting.has(docId)) return;
		if (!canWriteDoc(state, this.me, docId, state.head.index)) return;
		if (!this.canSend()) return;
		this.snapshotting.add(docId);
		// Sealed in the queue, so `covers` = lastSeq matches the state; sent outside it, so the
		// queue does not wait for the relay.
		this.enqueue(async () => {
			const model = this.albumModel!;
			const envelopes = await this.sealSnapshot(docId, model.snapshot(docId));
			if (envelopes === null) {
				this.snapshotting.delete(docId);
				return;
			}
			if (envelopes === 'too-large') {
				// Over MAX_SNAPSHOT_PARTS envelopes (some 200,000 photos in one doc). Its updates stay
				// on the relay uncompacted; counting starts again, so this device does not encode the
				// whole doc again on every connection (docs/album-stream.md, "Snapshots").
				this.snapshotting.delete(docId);
				await this.skipSnapshot(docId);
				return;
			}
			const blobs = splitBlobs(blobsOfDoc(model, docId), envelopes.length);
			void this.postSnapshotParts(envelopes, blobs).finally(() => this.snapshotting.delete(docId));
		});
	}

	/**
	 * Posts a snapshot's envelopes one after the other (the relay takes a set's parts in order
	 * only). The snapshot comes back on the stream, which resets the counters. A refusal
	 * (stale-snapshot, stale-epoch, …) or a lost connection stops the set and leaves the counters:
	 * the next update tries again with a new set, which supersedes this one on the relay.
	 */
	private async postSnapshotParts(
		envelopes: readonly Envelope[],
		blobs: readonly (readonly string[])[]
	): Promise<void> {
		for (const [i, envelope] of envelopes.entries()) {
			if (this.closed) return;
			try {
				await this.options.connection.request({
					t: 'post',
					envelope,
					...blobsField(blobs[i] ?? [])
				});
			} catch {
				return;
			}
		}
	}

	/**
	 * The doc's state sealed as one snapshot envelope, or as a set of parts when it is larger than
	 * one envelope; null when this device may not write the doc, 'too-large' past
	 * MAX_SNAPSHOT_PARTS envelopes.
	 */
	private async sealSnapshot(
		docId: string,
		state: Uint8Array
	): Promise<Envelope[] | 'too-large' | null> {
		const head = this.chain?.state;
		if (!head || !canWriteDoc(head, this.me, docId, head.head.index)) return null;
		const epochKey = this.epochKeys.get(head.epoch);
		if (!epochKey) return null;
		const sealed = await sealSnapshot({
			albumId: this.albumId,
			docId,
			epoch: head.epoch,
			chainIndex: head.head.index,
			covers: this.lastSeq,
			state,
			docKey: await docKeyFor(epochKey, docId),
			signer: this.options.identity.sign
		});
		return sealed ?? 'too-large';
	}

	/** Starts the doc's snapshot counters again without a snapshot, here and in the device database. */
	private async skipSnapshot(docId: string): Promise<void> {
		const counter = this.counter(docId);
		counter.updates = 0;
		counter.bytes = 0;
		await this.local.saveCounters(docId, { updates: 0, bytes: 0 });
	}

	/** Rewrites the doc's compacted state at lastSeq and drops its stored updates up to there. */
	private async compact(docId: string): Promise<void> {
		const counter = this.counter(docId);
		const model = this.albumModel;
		if (!model) return;
		await this.local.compact(
			docId,
			model.snapshot(docId),
			this.lastSeq,
			{ updates: counter.updates, bytes: counter.bytes },
			this.snapshotSets.pendingSeqs(docId)
		);
		counter.sinceCompaction = 0;
		counter.bytesSinceCompaction = 0;
	}

	// -------------------------------------------------------------------------------------------
	// Rotation after a leave

	/**
	 * A member who left still knows the current epoch key, so a manager's device renews it. Every
	 * manager's device may try, after a random pause so they rarely collide; the relay takes the
	 * first and refuses the others as `stale-head`, whose devices then see no rotation due.
	 * Albums with links wait: the links' wrap keys are not on the device yet.
	 */
	private maybeRotate(): void {
		const state = this.chain?.state;
		if (!state?.rotationDue || state.deleted || state.links.size > 0) return;
		const role = state.members.get(this.me)?.role;
		if (role !== 'owner' && role !== 'admin') return;
		if (this.rotationTimer !== null || !this.canSend()) return;
		this.rotationTimer = this.clock.setTimeout(
			() => {
				this.rotationTimer = null;
				this.enqueue(async () => {
					const chain = this.chain;
					if (!chain?.state.rotationDue || !this.canSend()) return;
					const { entry } = await chain.rotate(this.options.identity, new Map());
					this.options.connection.request({ t: 'append-membership', entry }).catch(() => {
						// Another manager rotated first, or the connection dropped: the next
						// membership entry or caught-up decides again.
					});
				});
			},
			Math.floor(this.random() * 2000)
		);
	}

	// -------------------------------------------------------------------------------------------
	// Presence

	private schedulePresence(): void {
		if (this.presenceTimer !== null) this.clock.clearTimeout(this.presenceTimer);
		this.presenceTimer = this.clock.setTimeout(() => {
			this.presenceTimer = null;
			if (this.closed) return;
			void this.sendPresence(true);
			this.schedulePresence();
		}, this.presenceTtlMs / 2);
	}

	private async sendPresence(here: boolean): Promise<void> {
		const state = this.chain?.state;
		if (!state || !this.caughtUp || !this.options.connection.ready) return;
		const docId = activityDocId(this.me);
		const epochKey = this.epochKeys.get(state.epoch);
		if (!epochKey || !canWriteDoc(state, this.me, docId, state.head.index)) return;
		const envelope = await sealEphemeral({
			albumId: this.albumId,
			docId,
			epoch: state.epoch,
			chainIndex: state.head.index,
			payload: encodePresence({ here, uploading: this.uploading }),
			docKey: await docKeyFor(epochKey, docId),
			signer: this.options.identity.sign
		});
		this.options.connection.send({ t: 'ephemeral', envelope });
	}

	// -------------------------------------------------------------------------------------------

	private makeModel(state: MembershipState): AlbumModel {
		const model = new AlbumModel({
			membership: state,
			me: this.me,
			now: () => this.clock.now(),
			// A snapshot set is applied whole; every single envelope stays under one envelope's cap.
			maxUpdateBytes: MAX_SNAPSHOT_STATE_BYTES
		});
		this.unsubscribers.push(
			model.onLocalUpdate((docId, update, blobs) => this.onLocalUpdate(docId, update, blobs))
		);
		return model;
	}

	private publishModel(model: AlbumModel): void {
		this.albumModel = model;
		for (const resolve of this.modelWaiters.splice(0)) resolve(model);
	}

	/** Applies a verified update; a refused one (decode bomb, malformed) leaves the doc as it was. */
	private applyQuietly(model: AlbumModel, docId: string, update: Uint8Array): boolean {
		return this.tryApply(model, docId, update) === true;
	}

	/** Like applyQuietly, with the model's refusal. */
	private tryApply(
		model: AlbumModel,
		docId: string,
		update: Uint8Array
	): true | AlbumUpdateRejected {
		try {
			model.applyUpdate(docId, update);
			return true;
		} catch (error) {
			if (error instanceof AlbumUpdateRejected) return error;
			return new AlbumUpdateRejected('malformed', docId, 'This album change could not be applied.');
		}
	}

	/** Reports a stream envelope that was read and not applied. */
	private reject(
		seq: number,
		envelope: Envelope,
		rejection: EnvelopeRejected | AlbumUpdateRejected
	): void {
		this.events.rejected?.({
			seq,
			docId: envelope.docId,
			by: envelope.by,
			code: rejection.code,
			message: rejection.message
		});
	}

	/**
	 * A validly signed entry at an index this device already verified, different from the one it
	 * holds there, is a second history (the rules only see an out-of-order entry): a fork.
	 */
	private async forkOr(entry: unknown, error: unknown): Promise<unknown> {
		const chain = this.chain;
		if (!chain || !(error instanceof MembershipRuleError) || error.code !== 'wrong-index') {
			return error;
		}
		const parsed = v.safeParse(MembershipEntrySchema, entry);
		if (!parsed.success) return error;
		const known = chain.entries[parsed.output.index];
		if (!known) return error;
		const [theirs, ours] = await Promise.all([
			hashMembershipEntry(parsed.output),
			hashMembershipEntry(known)
		]);
		return equalBytes(theirs, ours) ? error : new ForkError(parsed.output.index);
	}

	private counter(docId: string): DocCounter {
		let counter = this.counters.get(docId);
		if (!counter)
			this.counters.set(
				docId,
				(counter = { updates: 0, bytes: 0, sinceCompaction: 0, bytesSinceCompaction: 0 })
			);
		return counter;
	}

	private roleOf(state: MembershipState | null): Role | null {
		return state?.members.get(this.me)?.role ?? null;
	}

	private onSubscribeFailed(error: unknown): void {
		if (!(error instanceof RelayRefusal)) return; // lost: onReady subscribes again
		if (error.code === WsErrorCode.notAMember) {
			this.fail('not-a-member', error, WsErrorCode.notAMember);
		} else if (error.code === WsErrorCode.albumNotFound) {
			this.fail('album-not-found', error, WsErrorCode.albumNotFound);
		}
	}

	private fail(code: AlbumSyncErrorCode, cause: unknown, relayCode?: WsErrorCode): void {
		const message = cause instanceof Error ? cause.message : 'This album cannot be synced.';
		const reason =
			cause instanceof MembershipChainError || cause instanceof MembershipRuleError
				? cause.code
				: (relayCode ?? null);
		this.failure = new AlbumSyncError(code, message, reason);
		for (const waiter of this.seqWaiters.splice(0)) waiter.resolve();
		this.events.error?.(this.failure);
	}

	private emitChange(): void {
		this.events.change?.();
	}

	/**
	 * Runs `task` after everything queued before it. A task that fails unexpectedly (the device
	 * database refused a write) stops the album: applying later items past a lost one would leave
	 * a gap that lastSeq no longer shows.
	 */
	private enqueue(task: () => Promise<void>): void {
		this.queue = this.queue
			.then(() => (this.failure ? undefined : task()))
			.catch((error: unknown) => this.fail('storage', error));
	}
}

/** About the update bytes a stored envelope carries (its ciphertext is base64url). */
function storedUpdateBytes(row: EntryRecord): number {
	return row.item.type === 'envelope' ? Math.floor((row.item.envelope.ct.length * 3) / 4) : 0;
}

/** The optional `blobs` field of a post: left out when there are none. */
function blobsField(blobs: readonly string[]): { blobs?: string[] } {
	return blobs.length === 0 ? {} : { blobs: [...blobs] };
}

/**
 * Every blob id of the photos in one doc (hidden ones too: a library's trash can be restored).
 * A snapshot carries them so the relay binds again what the updates it replaces bound: photos
 * added before the relay kept bindings get theirs with the doc's next snapshot.
 */
function blobsOfDoc(model: AlbumModel, docId: string): string[] {
	const blobs = new Set<string>();
	for (const { ref, docId: from } of [...model.view(), ...model.hiddenPhotos()]) {
		if (from !== docId) continue;
		for (const blobId of [ref.blobs.original, ref.blobs.thumb, ref.blobs.preview]) {
			if (blobId !== undefined) blobs.add(blobId);
		}
	}
	return [...blobs];
}

/**
 * A snapshot's blob ids spread over its parts, in even slices (each part binds its slice in the
 * commit that stores it). Past MAX_POST_BLOBS per part, none are sent: the parts would not fit
 * in a frame (a doc of very small photos), and binding again is a repair, not a need.
 */
function splitBlobs(blobs: readonly string[], parts: number): string[][] {
	const size = Math.ceil(blobs.length / parts);
	if (size > MAX_POST_BLOBS) return Array.from({ length: parts }, () => []);
	return Array.from({ length: parts }, (_, i) => blobs.slice(i * size, (i + 1) * size));
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
	return a.length === b.length && a.every((byte, i) => byte === b[i]);
}
