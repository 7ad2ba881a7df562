// Simulated devices for sync tests: a SyncEngine per device on its own fake IndexedDB, over a socket that can be made to misbehave.

import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import WebSocket from 'ws';
import * as Y from 'yjs';
import type { AlbumModel } from '../../../src/lib/albums';
import { openDeviceDatabase, type TesseraDB } from '../../../src/lib/local/db';
import type { AlbumIdentity } from '../../../src/lib/sync';
import { SyncEngine, type SocketLike } from '../../../src/lib/sync/engine';
import { getSodium } from '../../../src/lib/crypto';
import {
	MembershipRuleError,
	envelopeSigningBytes,
	type Envelope,
	type MembershipEntry
} from '../../../src/lib/protocol';
import { MembershipChain, MembershipChainError, hashMembershipEntry } from '../../../src/lib/sync';
import { EnvelopeRejected, membershipHeadAt, openEnvelope } from '../../../src/lib/sync/envelope';
import { openDatabase, type RelayDatabase } from '../../../relay/src/db';

/** What the faulty transport does to this device's frames; changed by the test as it runs. */
export interface Faults {
	enabled: boolean;
	/** Per frame sent: cut the connection instead (the frame is lost). */
	drop: number;
	/** Per post: send it twice (the relay must dedupe). */
	duplicate: number;
	/** Per post: hold it back a little, so later frames overtake it. */
	delay: number;
	maxDelayMs: number;
}

export const noFaults = (): Faults => ({
	enabled: false,
	drop: 0,
	duplicate: 0,
	delay: 0,
	maxDelayMs: 0
});

/**
 * A client socket between the engine and the relay that drops the connection, duplicates and
 * reorders outgoing posts. Only posts are duplicated or reordered: they are independent of each
 * other, while a socket reordering its own auth and subscribe is no transport that exists.
 */
export class FaultySocket implements SocketLike {
	onopen: ((event: unknown) => void) | null = null;
	onmessage: ((event: { data: unknown }) => void) | null = null;
	onclose: ((event: { code: number; reason: string }) => void) | null = null;
	onerror: ((event: unknown) => void) | null = null;
	private readonly inner: WebSocket;

	constructor(
		url: string,
		private readonly faults: Faults,
		private readonly random: () => number
	) {
		this.inner = new WebSocket(url);
		this.inner.onopen = (event) => this.onopen?.(event);
		this.inner.onmessage = (event) => this.onmessage?.({ data: event.data });
		this.inner.onclose = (event) => this.onclose?.({ code: event.code, reason: event.reason });
		this.inner.onerror = (event) => this.onerror?.(event);
	}

	get readyState(): number {
		return this.inner.readyState;
	}

	send(data: string): void {
		const f = this.faults;
		if (!f.enabled) return this.inner.send(data);
		if (this.random() < f.drop) {
			this.cut();
			return;
		}
		const isPost = data.startsWith('{"t":"post"');
		if (isPost && this.random() < f.delay) {
			setTimeout(() => this.sendIfOpen(data), Math.floor(this.random() * f.maxDelayMs));
			return;
		}
		this.inner.send(data);
		if (isPost && this.random() < f.duplicate) {
			setTimeout(() => this.sendIfOpen(data), Math.floor(this.random() * f.maxDelayMs));
		}
	}

	close(code?: number, reason?: string): void {
		this.inner.close(code, reason);
	}

	/** An abrupt loss of the connection (no close handshake), as when a network goes away. */
	cut(): void {
		this.inner.terminate();
	}

	private sendIfOpen(data: string): void {
		if (this.inner.readyState === WebSocket.OPEN) this.inner.send(data);
	}
}

export interface Device {
	name: string;
	identity: AlbumIdentity;
	db: TesseraDB;
	engine: SyncEngine;
	faults: Faults;
	/** The device's current socket (to cut it on purpose). */
	socket(): FaultySocket | null;
	/** A new engine on the same database, as after the app is closed and opened again. */
	restart(): Promise<void>;
}

export interface DeviceOptions {
	name: string;
	identity: AlbumIdentity;
	token: string;
	url: () => string;
	random: () => number;
	snapshotPolicy?: { updates: number; bytes: number };
	localCompaction?: number;
	presenceTtlMs?: number;
}

/** A device with its own IndexedDB (a separate database name too, as in another browser). */
export function makeDevice(options: DeviceOptions): Device {
	const factory = new IDBFactory();
	const db = openDeviceDatabase(`tessera-${options.name}`, { indexedDB: factory, IDBKeyRange });
	const faults = noFaults();
	let current: FaultySocket | null = null;
	const build = () =>
		new SyncEngine({
			db,
			identity: options.identity,
			url: options.url(),
			token: () => options.token,
			createSocket: (url) => (current = new FaultySocket(url, faults, options.random)),
			random: options.random,
			backoff: { baseMs: 10, capMs: 300 },
			...(options.snapshotPolicy ? { snapshotPolicy: options.snapshotPolicy } : {}),
			...(options.localCompaction ? { localCompaction: options.localCompaction } : {}),
			...(options.presenceTtlMs ? { presenceTtlMs: options.presenceTtlMs } : {})
		});
	const device: Device = {
		name: options.name,
		identity: options.identity,
		db,
		engine: build(),
		faults,
		socket: () => current,
		async restart() {
			await device.engine.stop();
			device.engine = build();
			device.engine.start();
		}
	};
	return device;
}

/** Waits until `check` holds, polling; fails with `what` after `ms` (a hang, not a timing assertion). */
export async function eventually(
	check: () => boolean | Promise<boolean>,
	what: string,
	ms = 15_000
) {
	const start = Date.now();
	while (!(await check())) {
		if (Date.now() - start > ms) throw new Error(`gave up waiting: ${what}`);
		await new Promise((resolve) => setTimeout(resolve, 10));
	}
}

/** A doc's content and state vector, to compare devices (Yjs may split items differently). */
export function docDigest(model: AlbumModel, docId: string): string {
	const doc = new Y.Doc();
	Y.applyUpdateV2(doc, model.snapshot(docId));
	const roots: Record<string, unknown> = {};
	for (const name of [...doc.share.keys()].sort()) roots[name] = doc.getMap(name).toJSON();
	const vector = Buffer.from(Y.encodeStateVector(doc)).toString('base64');
	doc.destroy();
	return JSON.stringify({ roots, vector });
}

// ---------------------------------------------------------------------------------------------
// A compromised relay: rows written straight into its database, past every check it runs.

/** A row to write into the relay's database as if the relay had accepted it. */
export type InjectedRow =
	| { kind: 'envelope'; envelope: Envelope }
	| { kind: 'membership'; entry: MembershipEntry; chainIndex?: number };

/**
 * Writes rows into the relay's SQLite file through a second connection (WAL lets the relay run
 * meanwhile), each at the album's next seq and stored exactly as AlbumStore stores what it accepts
 * (envelope + receipt, or membership entry). Live followers are not told: the rows reach devices
 * through catch-up. Returns the seqs given.
 */
export async function injectRows(
	dataDir: string,
	albumId: string,
	rows: readonly InjectedRow[]
): Promise<number[]> {
	const sodium = await getSodium();
	const prepared = await Promise.all(
		rows.map(async (row) =>
			row.kind === 'envelope'
				? {
						row,
						hash: Buffer.from(
							sodium.crypto_generichash(
								32,
								envelopeSigningBytes(row.envelope, row.envelope.nonce, row.envelope.ct),
								null
							)
						)
					}
				: { row, hash: Buffer.from(await hashMembershipEntry(row.entry)) }
		)
	);
	const db = openDatabase(dataDir);
	try {
		const nextSeq = db.prepare(
			'UPDATE albums SET last_seq = last_seq + 1 WHERE album_id = ? RETURNING last_seq'
		);
		const receipt = db.prepare(
			'INSERT INTO envelope_receipts (album_id, hash, seq) VALUES (?, ?, ?)'
		);
		const envelope = db.prepare(
			`INSERT INTO envelopes (album_id, seq, doc_id, epoch, signer, hash, envelope, received_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`
		);
		const entry = db.prepare(
			`INSERT INTO membership_entries (album_id, chain_index, seq, hash, signer, op, entry, received_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`
		);
		return db
			.transaction(() =>
				prepared.map(({ row, hash }) => {
					const { last_seq: seq } = nextSeq.get(albumId) as { last_seq: number };
					const now = Date.now();
					if (row.kind === 'envelope') {
						const e = row.envelope;
						receipt.run(albumId, hash, seq);
						envelope.run(albumId, seq, e.docId, e.epoch, e.by, hash, JSON.stringify(e), now);
					} else {
						const m = row.entry;
						const index = row.chainIndex ?? m.index;
						entry.run(albumId, index, seq, hash, m.by, m.op, JSON.stringify(m), now);
					}
					return seq;
				})
			)
			.immediate();
	} finally {
		db.close();
	}
}

/** Runs `work` on the relay's database through a second connection (to delete or restore rows). */
export function withRelayDatabase<T>(dataDir: string, work: (db: RelayDatabase) => T): T {
	const db = openDatabase(dataDir);
	try {
		return db.transaction(() => work(db)).immediate();
	} finally {
		db.close();
	}
}

/** Every doc's digest (see docDigest) and the album view, to compare a device before and after. */
export function albumDigest(model: AlbumModel, docIds: readonly string[] = []) {
	const ids = [...new Set([...model.docIds(), ...docIds])].sort();
	return {
		docs: Object.fromEntries(ids.map((id) => [id, docDigest(model, id)])),
		view: model.view().map((p) => ({ docId: p.docId, id: p.ref.id })),
		meta: model.meta()
	};
}

/** The membership entries this device stored, in chain order, with the seq of each. */
export async function storedMembership(
	db: TesseraDB,
	albumId: string
): Promise<{ seq: number; entry: MembershipEntry }[]> {
	const rows = await db.entries
		.where('[albumId+seq]')
		.between([albumId, 0], [albumId, Infinity])
		.toArray();
	return rows.flatMap((row) =>
		row.item.type === 'membership' ? [{ seq: row.seq, entry: row.item.entry }] : []
	);
}

/**
 * What this device's checks say about an envelope sequenced at `seq`: the EnvelopeRejected code,
 * or 'accepted'. The engine drops refused stream items without an event, so tests ask the same
 * function it calls (openEnvelope) with the device's own verified chain, keys and stored seqs.
 */
export async function envelopeVerdict(
	device: Device,
	chain: MembershipChain,
	envelope: Envelope,
	seq: number
): Promise<string> {
	const stored = await storedMembership(device.db, chain.state.albumId);
	try {
		await openEnvelope(envelope, {
			state: chain.state,
			epochKeys: await chain.openEpochKeys(device.identity),
			sequencedAt: membershipHeadAt(
				stored.map((m) => m.seq),
				seq
			)
		});
		return 'accepted';
	} catch (error) {
		if (error instanceof EnvelopeRejected) return error.code;
		throw error;
	}
}

/**
 * What verifying the chain the relay now serves says, against the head this device verified: the
 * MembershipChainError or MembershipRuleError code, or 'accepted'.
 */
export async function chainVerdict(
	device: Device,
	albumId: string,
	served: readonly unknown[]
): Promise<string> {
	const record = await device.db.albums.get(albumId);
	try {
		await MembershipChain.verify(served, {
			expectedAlbumId: albumId,
			...(record?.head ? { knownHead: record.head } : {})
		});
		return 'accepted';
	} catch (error) {
		if (error instanceof MembershipChainError || error instanceof MembershipRuleError) {
			return error.code;
		}
		throw error;
	}
}
