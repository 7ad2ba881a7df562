// The relay's side of album streams: checks every entry and envelope, orders them by seq, stores, fans out, serves catch-up.

import { getSodium } from '../../src/lib/crypto';
import {
	albumIdPreimage,
	applyMembershipEntry,
	CATCH_UP_HIGH_WATER_BYTES,
	CATCH_UP_PAGE_ITEMS,
	checkAlbumIdBinding,
	envelopeSigningBytes,
	envelopeAuthorityRefusal,
	fromBase64Url,
	HASH_BYTES,
	MAX_SUBSCRIPTIONS_PER_SOCKET,
	membershipHashBytes,
	MembershipRuleError,
	membershipSigningBytes,
	toBase64Url,
	WsErrorCode,
	type Envelope,
	type MembershipEntry,
	type MembershipState,
	type ServerMessage,
	type UnsignedMembershipEntry
} from '../../src/lib/protocol';
import {
	AlbumStore,
	type MemberAlbum,
	type NewEnvelope,
	type SnapshotPartRef,
	type StoredEnvelope,
	type StreamRow
} from './album-store';
import type { AccountStore } from './account-store';
import type { ClientConnection, Subscription } from './connection';
import type { Logger } from './log';
import { MembershipCache } from './membership-cache';
import { planOf } from './plans';
import { verifySignature } from './signature-check';

/** A refusal to send back as an `error` frame. */
export class StreamError extends Error {
	constructor(
		readonly code: string,
		message: string,
		readonly headIndex?: number
	) {
		super(message);
		this.name = 'StreamError';
	}
}

type EntryFrame = Extract<ServerMessage, { t: 'entry' }>;

/** A write the relay committed (and fanned out) at `seq`; acknowledge it once `durable` resolves. */
export interface Committed {
	seq: number;
	durable: Promise<void>;
}

interface QueuedUpdate {
	row: NewEnvelope;
	/** The socket that posted it: it gets its copy after everyone else (see commitQueued). */
	from: ClientConnection | undefined;
	resolve(committed: Committed): void;
	reject(error: unknown): void;
}

/** Who is writing: the signer key the socket authenticated with, and its account. */
export interface Writer {
	signPk: string;
	accountId: string;
}

export class AlbumStreams {
	readonly store: AlbumStore;
	readonly states: MembershipCache;
	/** Sockets following each album (catching up or live). */
	private readonly followers = new Map<string, Set<ClientConnection>>();
	/** Updates checked and waiting for this turn's commit (see post). */
	private queued: QueuedUpdate[] = [];
	/** The same updates by album and signing-bytes hash, so a resend meanwhile joins the first. */
	private readonly queuedByHash = new Map<string, Promise<Committed>>();

	constructor(
		store: AlbumStore,
		private readonly accounts: AccountStore,
		private readonly log: Logger
	) {
		this.store = store;
		this.states = new MembershipCache(store);
		for (const albumId of store.albumsWithoutMembers()) {
			const state = this.states.get(albumId);
			if (state) store.setMembers(albumId, state.members);
		}
	}

	/** The albums this key is a member of now: what a device signing in follows. */
	albumsOf(signPk: string): MemberAlbum[] {
		return this.store.albumsOf(signPk);
	}

	// -------------------------------------------------------------------------------------------
	// Membership entries

	/**
	 * Appends a membership entry on the album's head: its seq once committed, and when it is on disk.
	 * A resend of an entry already in the chain gets its first seq back.
	 */
	async appendMembership(entry: MembershipEntry, writer: Writer): Promise<Committed> {
		if (entry.by !== writer.signPk) throw wrongSigner();
		const { sig, ...unsigned } = entry;
		const signed = await verifySignature(
			fromBase64Url(sig),
			membershipSigningBytes(unsigned as UnsignedMembershipEntry),
			fromBase64Url(entry.by)
		);
		if (!signed) {
			throw new StreamError(
				WsErrorCode.badSignature,
				'This change is not signed by the key it names; it was not accepted.'
			);
		}
		const sodium = await getSodium();
		const hash = sodium.crypto_generichash(HASH_BYTES, membershipHashBytes(entry), null);
		const albumIdDigest =
			entry.op === 'create'
				? sodium.crypto_generichash(HASH_BYTES, albumIdPreimage(entry), null)
				: null;

		// From here on nothing awaits: reading the head, checking and committing happen in one tick,
		// so no other message can append in between. Updates checked against the current head are
		// stored before the head moves.
		this.commitQueued();
		if (entry.op === 'create') {
			const known = this.store.entryAt(entry.albumId, 0);
			if (known) {
				if (sameBytes(known.hash, hash)) return this.acked(known.seq);
				throw new StreamError(WsErrorCode.albumExists, 'An album with this id already exists.');
			}
		}
		const state = entry.op === 'create' ? null : this.requireState(entry.albumId);
		if (state) {
			const head = state.head.index;
			if (entry.index <= head) {
				const known = this.store.entryAt(entry.albumId, entry.index);
				if (known && sameBytes(known.hash, hash)) return this.acked(known.seq);
				throw staleHead(head);
			}
			if (entry.index > head + 1) {
				throw new StreamError(
					WsErrorCode.unknownHead,
					`This change builds on album history the relay does not have (it is at ${head}).`,
					head
				);
			}
			if (entry.prev !== toBase64Url(state.head.hash)) throw staleHead(head);
		}

		let next: MembershipState;
		try {
			if (albumIdDigest && entry.op === 'create') checkAlbumIdBinding(entry, albumIdDigest);
			next = applyMembershipEntry(state, entry, hash);
		} catch (error) {
			if (error instanceof MembershipRuleError) throw new StreamError(error.code, error.message);
			throw error;
		}
		if (state && (entry.op === 'add' || entry.op === 'link-add')) this.checkSharing(state);

		const seq = this.store.appendEntry(
			entry,
			JSON.stringify(entry),
			{ hash, epoch: next.epoch, deleted: next.deleted, members: next.members },
			entry.op === 'create' ? writer.accountId : null
		);
		this.states.set(entry.albumId, next);
		this.fanOut(entry.albumId, entryFrame(entry.albumId, seq, 'membership', JSON.stringify(entry)));
		this.dropFormerMembers(entry.albumId, next);
		return this.acked(seq);
	}

	/** Sharing (adding people or links) needs the album owner's plan to include it. */
	private checkSharing(state: MembershipState): void {
		const ownerAccountId = this.store.album(state.albumId)?.ownerAccountId ?? null;
		const owner = ownerAccountId === null ? undefined : this.accounts.findById(ownerAccountId);
		if (!owner) {
			throw new StreamError(
				WsErrorCode.planNoSharing,
				'This album cannot be shared: its owner no longer has an account here.'
			);
		}
		const plan = planOf(owner.plan);
		if (!plan.sharing) {
			throw new StreamError(
				WsErrorCode.planNoSharing,
				`The album owner's ${plan.name} plan does not include sharing. Upgrade the plan to share albums.`
			);
		}
	}

	/** Sockets of people no longer in the album stop following it at once (I3). */
	private dropFormerMembers(albumId: string, state: MembershipState): void {
		const followers = this.followers.get(albumId);
		if (!followers) return;
		for (const connection of [...followers]) {
			const signPk = connection.principal?.signPk;
			if (signPk !== undefined && state.members.has(signPk)) continue;
			this.unfollow(connection, albumId);
			this.log.debug({ albumId }, 'a former member stops following an album');
			connection.send({ t: 'unsubscribed', albumId, reason: 'removed' });
		}
	}

	// -------------------------------------------------------------------------------------------
	// Envelopes

	/**
	 * Stores an update or snapshot: its seq (the first seq for a resend), and when it is on disk.
	 * Updates checked in one turn of the event loop are committed together at its end (one
	 * transaction, one WAL append); a membership change commits them first, so each is stored at
	 * the head it was checked against. `blobs` (the blob ids the update references) are bound to
	 * the album in the same transaction, those the poster may bind (AlbumStore.bindBlobs); a
	 * resend binds nothing more, its first copy did.
	 */
	async post(
		envelope: Envelope,
		writer: Writer,
		blobs: readonly string[] = [],
		from?: ClientConnection
	): Promise<Committed> {
		const hash = await this.checkSigned(envelope, writer);
		const state = this.requireState(envelope.albumId);
		const key = `${envelope.albumId}/${toBase64Url(hash)}`;
		const queued = this.queuedByHash.get(key);
		if (queued) return queued;
		const receipt = this.store.receipt(envelope.albumId, hash);
		if (receipt !== undefined) return this.acked(receipt);
		this.checkWrite(state, envelope);
		const row: NewEnvelope = {
			albumId: envelope.albumId,
			docId: envelope.docId,
			epoch: envelope.epoch,
			signer: envelope.by,
			hash,
			json: JSON.stringify(envelope),
			covers: null,
			part: null,
			blobs,
			posterAccountId: writer.accountId
		};
		if (envelope.kind !== 'snapshot') return this.enqueue(key, row, from);

		// Snapshots are rare and replace what they cover: checked and stored on their own, after
		// the updates queued before them.
		this.commitQueued();
		const covers = envelope.covers;
		const lastSeq = this.store.album(envelope.albumId)?.lastSeq ?? 0;
		if (covers > lastSeq) {
			throw new StreamError(
				WsErrorCode.badCovers,
				`This snapshot claims to cover seq ${covers}, but the album is at seq ${lastSeq}.`
			);
		}
		const storedCovers = this.store.snapshotCovers(envelope.albumId, envelope.docId);
		if (storedCovers !== undefined && storedCovers > covers) {
			throw new StreamError(
				WsErrorCode.staleSnapshot,
				`A newer snapshot of this doc (covering seq ${storedCovers}) is already stored.`
			);
		}
		const part = envelope.part ?? null;
		if (part) this.checkPart(envelope, part);
		const stored = this.store.insertEnvelope({ ...row, covers, part });
		this.logRefusedBindings(row, stored);
		this.fanOut(
			envelope.albumId,
			entryFrame(envelope.albumId, stored.seq, 'envelope', row.json),
			undefined,
			from
		);
		return this.acked(stored.seq);
	}

	/**
	 * A part of a snapshot set must fit the parts stored before it (the schema already checked
	 * index < count ≤ MAX_SNAPSHOT_PARTS): parts come in index order, one copy each, with the
	 * covers, epoch, signer and count of the set's first part. A set starts at index 0; a later
	 * part of a set the relay does not hold was superseded by a newer set (or never began), and
	 * could never complete.
	 */
	private checkPart(envelope: Envelope & { kind: 'snapshot' }, part: SnapshotPartRef): void {
		const stored = this.store.snapshotParts(envelope.albumId, envelope.docId, part.set);
		if (stored.length === 0) {
			if (part.index === 0) return;
			throw new StreamError(
				WsErrorCode.staleSnapshot,
				`The earlier parts of this snapshot are not stored (a newer snapshot replaced them); part ${part.index} was not accepted.`
			);
		}
		const first = stored[0]!;
		if (
			first.count !== part.count ||
			first.covers !== envelope.covers ||
			first.epoch !== envelope.epoch ||
			first.signer !== envelope.by
		) {
			throw new StreamError(
				WsErrorCode.badSnapshotPart,
				'This snapshot part names other covers, epoch, signer or part count than the first part of its set.'
			);
		}
		if (stored.some((p) => p.index === part.index)) {
			throw new StreamError(
				WsErrorCode.badSnapshotPart,
				`Part ${part.index} of this snapshot is already stored.`
			);
		}
		if (part.index !== stored.length) {
			throw new StreamError(
				WsErrorCode.badSnapshotPart,
				`Snapshot parts are posted in order: part ${stored.length} comes next, not ${part.index}.`
			);
		}
	}

	private enqueue(
		key: string,
		row: NewEnvelope,
		from: ClientConnection | undefined
	): Promise<Committed> {
		const committed = new Promise<Committed>((resolve, reject) => {
			this.queued.push({ row, from, resolve, reject });
		});
		this.queuedByHash.set(key, committed);
		if (this.queued.length === 1) setImmediate(() => this.commitQueued());
		return committed;
	}

	/**
	 * Commits the queued updates in one transaction, then fans each out in seq order. Every socket
	 * the batch reaches is corked while its frames are written, so a follower gets the whole batch
	 * in one write (one syscall) instead of one per update; the posters' own sockets are released
	 * last, since they hold their writes already and their copy is only a seq to them.
	 */
	private commitQueued(): void {
		if (this.queued.length === 0) return;
		const batch = this.queued;
		this.queued = [];
		this.queuedByHash.clear();
		let stored: StoredEnvelope[];
		try {
			stored = this.store.insertEnvelopes(batch.map((item) => item.row));
		} catch (error) {
			for (const item of batch) item.reject(error);
			return;
		}
		const corked = new Set<ClientConnection>();
		const posters = new Set<ClientConnection>();
		try {
			batch.forEach(({ row, from, resolve }, i) => {
				const { seq } = stored[i]!;
				this.logRefusedBindings(row, stored[i]!);
				if (from) posters.add(from);
				this.fanOut(
					row.albumId,
					entryFrame(row.albumId, seq, 'envelope', row.json),
					undefined,
					undefined,
					corked
				);
				resolve(this.acked(seq));
			});
		} finally {
			for (const connection of corked) if (!posters.has(connection)) connection.uncork();
			for (const connection of posters) if (corked.has(connection)) connection.uncork();
		}
	}

	/**
	 * A refused binding leaves the envelope standing: the post is valid, only the claim to another
	 * account's blob is not. The poster's own devices never make one (they bind what they upload,
	 * or what they could already read), so it is worth a line in the log.
	 */
	private logRefusedBindings(row: NewEnvelope, stored: StoredEnvelope): void {
		if (stored.refusedBlobs.length === 0) return;
		this.log.warn(
			{
				albumId: row.albumId,
				seq: stored.seq,
				signer: row.signer,
				refused: stored.refusedBlobs.length,
				firstRefused: stored.refusedBlobs[0]
			},
			'blob bindings refused: the poster may not read these blobs'
		);
	}

	/**
	 * A committed write and when it is on disk. Followers get it as soon as it is committed (it
	 * already survives a crash of the relay); the writer's ack waits for `durable`, the group fsync,
	 * so an acknowledged write also survives a power cut. A resend waits too: its first copy may
	 * still be in flight.
	 */
	private acked(seq: number): Committed {
		return { seq, durable: this.store.durable() };
	}

	/** Checks an ephemeral envelope like a post and forwards it to the album's other live followers. */
	async ephemeral(envelope: Envelope, writer: Writer, from: ClientConnection): Promise<void> {
		await this.checkSigned(envelope, writer);
		this.checkWrite(this.requireState(envelope.albumId), envelope);
		const frame: EntryFrame = {
			t: 'entry',
			albumId: envelope.albumId,
			seq: null,
			item: { type: 'envelope', envelope }
		};
		this.fanOut(envelope.albumId, JSON.stringify(frame), from);
	}

	/** Signature by `by`, `by` = the writer; returns the hash of the signing bytes (dedupe key). */
	private async checkSigned(envelope: Envelope, writer: Writer): Promise<Uint8Array> {
		if (envelope.by !== writer.signPk) throw wrongSigner();
		const bytes = envelopeSigningBytes(envelope, envelope.nonce, envelope.ct);
		const signed = await verifySignature(
			fromBase64Url(envelope.sig),
			bytes,
			fromBase64Url(envelope.by)
		);
		if (!signed) {
			throw new StreamError(
				WsErrorCode.badSignature,
				'This update is not signed by the key it names; it was not accepted.'
			);
		}
		const sodium = await getSodium();
		return sodium.crypto_generichash(HASH_BYTES, bytes, null);
	}

	/**
	 * DESIGN's envelope checks, judged at the head the relay sequences the envelope at: the same
	 * function every client runs (envelopeAuthorityRefusal), so relay and clients cannot disagree.
	 */
	private checkWrite(state: MembershipState, envelope: Envelope): void {
		const head = state.head.index;
		if (state.deleted) {
			throw new StreamError(WsErrorCode.albumDeleted, 'This album was deleted.');
		}
		const refusal = envelopeAuthorityRefusal(state, envelope, head);
		if (!refusal) return;
		switch (refusal.code) {
			case 'unknown-head':
			case 'ahead-of-log':
				throw new StreamError(
					WsErrorCode.unknownHead,
					`This update names album history the relay does not have (it is at ${head}).`,
					head
				);
			case 'stale-epoch':
				throw new StreamError(
					WsErrorCode.staleEpoch,
					`This update is encrypted under key epoch ${envelope.epoch}, but the album is at epoch ${state.epoch}. Catch up and encrypt it again.`,
					head
				);
			case 'wrong-epoch':
				throw new StreamError(WsErrorCode.wrongEpoch, refusal.message, head);
			case 'not-writer':
				throw new StreamError(
					WsErrorCode.notAuthorized,
					'You may not change this part of the album.'
				);
		}
	}

	// -------------------------------------------------------------------------------------------
	// Subscriptions

	/**
	 * Sends what the album holds after `since` in seq order, then `caught-up`, then live entries.
	 * Catch-up reads the database a page at a time and waits for the socket to drain when it falls
	 * behind; live entries committed meanwhile are not sent to it directly but read from the
	 * database, and the switch to live happens in the same tick as the read that finds nothing
	 * newer, so nothing is missed or sent twice.
	 */
	async subscribe(
		connection: ClientConnection,
		albumId: string,
		since: number,
		id: string | undefined
	): Promise<void> {
		const signPk = connection.principal?.signPk;
		const state = this.requireState(albumId);
		if (signPk === undefined || !state.members.has(signPk)) {
			throw new StreamError(WsErrorCode.notAMember, 'You are not a member of this album.');
		}
		if (
			!connection.subscriptions.has(albumId) &&
			connection.subscriptions.size >= MAX_SUBSCRIPTIONS_PER_SOCKET
		) {
			throw new StreamError(
				WsErrorCode.tooManySubscriptions,
				`One connection can follow at most ${MAX_SUBSCRIPTIONS_PER_SOCKET} albums.`
			);
		}
		this.unfollow(connection, albumId);
		const subscription: Subscription = { live: false, cancelled: false };
		connection.subscriptions.set(albumId, subscription);
		let followers = this.followers.get(albumId);
		if (!followers) this.followers.set(albumId, (followers = new Set()));
		followers.add(connection);

		let cursor = since;
		for (;;) {
			if (subscription.cancelled || !connection.open) return;
			const rows = this.store.page(albumId, cursor, CATCH_UP_PAGE_ITEMS);
			if (rows.length === 0) {
				const lastSeq = this.store.album(albumId)?.lastSeq ?? cursor;
				subscription.live = true;
				connection.send({
					t: 'caught-up',
					...(id === undefined ? {} : { id }),
					albumId,
					seq: lastSeq
				});
				return;
			}
			for (const row of rows) {
				const frame = rowFrame(albumId, row);
				if (connection.socket.bufferedAmount > CATCH_UP_HIGH_WATER_BYTES) {
					// Wait until the socket has taken this frame, so a slow reader holds at most the
					// high-water mark plus one frame in the relay's memory.
					await connection.sendAndFlush(frame);
					if (subscription.cancelled || !connection.open) return;
				} else {
					connection.sendText(frame);
				}
			}
			cursor = rows[rows.length - 1]!.seq;
		}
	}

	/** Stops following; true when the socket was following the album. */
	unfollow(connection: ClientConnection, albumId: string): boolean {
		const subscription = connection.subscriptions.get(albumId);
		if (!subscription) return false;
		subscription.cancelled = true;
		connection.subscriptions.delete(albumId);
		const followers = this.followers.get(albumId);
		followers?.delete(connection);
		if (followers?.size === 0) this.followers.delete(albumId);
		return true;
	}

	/** A closed socket follows nothing. */
	disconnect(connection: ClientConnection): void {
		for (const albumId of [...connection.subscriptions.keys()]) this.unfollow(connection, albumId);
	}

	/**
	 * Sends a frame to every live follower (but `except`, and `last` after all others); followers
	 * still catching up read it from the database. The frame is encoded to UTF-8 once and the same
	 * bytes go to every socket, so a follower costs a websocket header, not a copy of the frame.
	 * With `corked`, each socket reached is corked once (and added to the set); the caller uncorks.
	 */
	private fanOut(
		albumId: string,
		frame: string,
		except?: ClientConnection,
		last?: ClientConnection,
		corked?: Set<ClientConnection>
	): void {
		const followers = this.followers.get(albumId);
		if (!followers) return;
		let bytes: Buffer | undefined;
		let deferred = false;
		for (const connection of followers) {
			if (connection === except) continue;
			if (connection === last) {
				deferred = true;
				continue;
			}
			if (!connection.subscriptions.get(albumId)?.live) continue;
			if (corked && !corked.has(connection)) {
				corked.add(connection);
				connection.cork();
			}
			bytes ??= Buffer.from(frame, 'utf8');
			connection.sendText(bytes);
		}
		if (deferred && last!.subscriptions.get(albumId)?.live) {
			last!.sendText(bytes ?? Buffer.from(frame, 'utf8'));
		}
	}

	private requireState(albumId: string): MembershipState {
		const state = this.states.get(albumId);
		if (!state) throw new StreamError(WsErrorCode.albumNotFound, 'This album does not exist.');
		return state;
	}
}

function wrongSigner(): StreamError {
	return new StreamError(
		WsErrorCode.wrongSigner,
		'This is signed with a key that is not your account’s; it was not accepted.'
	);
}

function staleHead(headIndex: number): StreamError {
	return new StreamError(
		WsErrorCode.staleHead,
		`Someone changed the album first (it is now at ${headIndex}). Catch up and try again.`,
		headIndex
	);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
	return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/** An `entry` frame around stored JSON, without parsing it again. */
function entryFrame(
	albumId: string,
	seq: number,
	type: 'membership' | 'envelope',
	json: string
): string {
	const field = type === 'membership' ? 'entry' : 'envelope';
	return `{"t":"entry","albumId":${JSON.stringify(albumId)},"seq":${seq},"item":{"type":"${type}","${field}":${json}}}`;
}

function rowFrame(albumId: string, row: StreamRow): string {
	return entryFrame(albumId, row.seq, row.kind, row.json);
}
