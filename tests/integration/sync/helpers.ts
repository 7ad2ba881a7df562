// Simulated devices for sync tests: a SyncEngine per device on its own fake IndexedDB, over a socket that can be made to misbehave.

import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import WebSocket from 'ws';
import * as Y from 'yjs';
import type { AlbumModel } from '../../../src/lib/albums';
import { openDeviceDatabase, type TesseraDB } from '../../../src/lib/local/db';
import type { AlbumIdentity } from '../../../src/lib/sync';
import { SyncEngine, type SocketLike } from '../../../src/lib/sync/engine';

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
