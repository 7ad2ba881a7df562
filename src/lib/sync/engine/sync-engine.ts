// A device's sync engine: one relay connection shared by the albums it follows, and the album lifecycle.

import type { TesseraDB } from '../../local/db';
import type { MembershipEntry, Role } from '../../protocol';
import { MembershipChain, type AlbumIdentity, type NewAlbum } from '../membership-chain';
import type { BackoffOptions } from './backoff';
import { AlbumSync, type AlbumSyncEvents, type SnapshotPolicy } from './album-sync';
import { systemClock, type Clock } from './clock';
import { LocalAlbum } from './local-album';
import { ConnectionLost, RelayConnection, type SocketFactory } from './relay-connection';
import { soleTab, type TabCoordinator } from './tabs';

export interface SyncEngineOptions {
	db: TesseraDB;
	identity: AlbumIdentity;
	/** The relay's websocket URL (ws(s)://host/ws). */
	url: string;
	token: () => string | Promise<string>;
	createSocket: SocketFactory;
	clock?: Clock;
	random?: () => number;
	backoff?: BackoffOptions;
	tabs?: TabCoordinator;
	snapshotPolicy?: SnapshotPolicy;
	localCompaction?: number;
	presenceTtlMs?: number;
	pingIntervalMs?: number;
}

export class SyncEngine {
	readonly connection: RelayConnection;
	private readonly albums = new Map<string, Promise<AlbumSync>>();
	private readonly tabs: TabCoordinator;

	constructor(private readonly options: SyncEngineOptions) {
		this.tabs = options.tabs ?? soleTab();
		this.connection = new RelayConnection({
			url: options.url,
			token: options.token,
			createSocket: options.createSocket,
			clock: options.clock ?? systemClock,
			random: options.random ?? Math.random,
			...(options.backoff ? { backoff: options.backoff } : {}),
			...(options.pingIntervalMs ? { pingIntervalMs: options.pingIntervalMs } : {})
		});
	}

	/** The device's account keys (what it signs and opens key boxes with). */
	get identity(): AlbumIdentity {
		return this.options.identity;
	}

	start(): void {
		this.connection.start();
	}

	/** Opens (once) and follows an album: from the device database first, then the relay. */
	openAlbum(albumId: string, events: AlbumSyncEvents = {}): Promise<AlbumSync> {
		let album = this.albums.get(albumId);
		if (!album) {
			const { options } = this;
			album = AlbumSync.open(
				{
					db: options.db,
					albumId,
					identity: options.identity,
					connection: this.connection,
					...(options.clock ? { clock: options.clock } : {}),
					...(options.random ? { random: options.random } : {}),
					tabs: this.tabs,
					...(options.snapshotPolicy ? { snapshotPolicy: options.snapshotPolicy } : {}),
					...(options.localCompaction ? { localCompaction: options.localCompaction } : {}),
					...(options.presenceTtlMs ? { presenceTtlMs: options.presenceTtlMs } : {})
				},
				events
			);
			this.albums.set(albumId, album);
		}
		return album;
	}

	/**
	 * Creates an album: on this device at once (it opens and takes edits offline), and on the relay
	 * as soon as the connection allows (its genesis is appended before anything else of it is
	 * sent). By default resolves once the relay has it; with `waitForRelay: false` at once.
	 */
	async createAlbum(
		events: AlbumSyncEvents = {},
		{ waitForRelay = true }: { waitForRelay?: boolean } = {}
	): Promise<{ album: AlbumSync; created: NewAlbum }> {
		const created = await MembershipChain.createAlbum(this.options.identity);
		await new LocalAlbum(this.options.db, created.albumId).createPending(
			created.genesis,
			created.chain.state,
			(this.options.clock ?? systemClock).now()
		);
		const album = await this.openAlbum(created.albumId, events);
		await album.whenModel();
		if (waitForRelay) await album.whenCaughtUp();
		return { album, created };
	}

	/**
	 * Sends a membership entry (built with the album's MembershipChain) and resolves with its seq
	 * once the relay has committed it; it then reaches every follower on the stream. Refused with
	 * RelayRefusal (`stale-head`: someone changed the album first; rebuild on the new head).
	 */
	async appendMembership(entry: MembershipEntry): Promise<number> {
		for (;;) {
			await this.connection.whenReady();
			try {
				const reply = await this.connection.request({ t: 'append-membership', entry });
				if (reply.t !== 'ack') throw new Error(`unexpected reply ${reply.t} to append-membership`);
				return reply.seq;
			} catch (error) {
				// The same signed entry again is safe: the relay answers a resend with its first seq.
				if (!(error instanceof ConnectionLost)) throw error;
			}
		}
	}

	/**
	 * The albums the account is a member of now, from the relay (waits for the connection): what a
	 * device that just signed in should follow, its library among them.
	 */
	async listAlbums(): Promise<{ albumId: string; role: Role; lastSeq: number }[]> {
		for (;;) {
			await this.connection.whenReady();
			try {
				const reply = await this.connection.request({ t: 'list-albums' });
				if (reply.t !== 'albums') throw new Error(`unexpected reply ${reply.t} to list-albums`);
				return reply.albums;
			} catch (error) {
				if (!(error instanceof ConnectionLost)) throw error;
			}
		}
	}

	/** Closes every album and the connection. */
	async stop(): Promise<void> {
		const albums = await Promise.all(this.albums.values());
		this.albums.clear();
		for (const album of albums) await album.close();
		this.connection.stop();
		this.tabs.close();
	}
}
