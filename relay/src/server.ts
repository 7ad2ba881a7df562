// Starts the relay (database, blob store, uploads, HTTP, websocket) and stops it gracefully.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { WsCloseCode } from '../../src/lib/protocol';
import { AccountService } from './account-service';
import { AlbumStore } from './album-store';
import { AlbumStreams } from './album-streams';
import { FolderBlobStore } from './blobs';
import type { RelayConfig } from './config';
import type { RelayContext } from './context';
import { openDatabase, type RelayDatabase } from './db';
import { createRequestHandler } from './http';
import { createLogger, type Logger } from './log';
import { NotificationStore } from './notifications';
import { APP_NOT_BUILT_MESSAGE, appNotBuilt, loadStaticApp } from './static';
import { UploadService } from './uploads';
import { RELAY_VERSION } from './version';
import { SHUTDOWN_REASON, attachWebSocketHub } from './ws';

export interface Relay {
	/** Where the relay listens, e.g. http://127.0.0.1:8080. */
	url: string;
	port: number;
	config: RelayConfig;
	/** Stops accepting, closes websockets with 1001, lets in-flight requests finish, closes the DB. */
	close(): Promise<void>;
}

export interface StartRelayOptions {
	logger?: Logger;
}

/** How long in-flight HTTP requests may run on after close() before their sockets are cut. */
const HTTP_DRAIN_MS = 5000;

/**
 * A connection that sends nothing for this long is dropped. It replaces Node's whole-request limit
 * (requestTimeout, 5 min), which would cut a large upload PATCH that is making progress.
 */
const IDLE_SOCKET_MS = 120_000;

export async function startRelay(
	config: RelayConfig,
	options: StartRelayOptions = {}
): Promise<Relay> {
	const logger = options.logger ?? createLogger(config.logLevel);
	let db: RelayDatabase | undefined;
	let uploads: UploadService | undefined;
	try {
		db = openDatabase(config.dataDir, { logger: logger.child({ component: 'db' }) });
		const blobs = await FolderBlobStore.open(path.join(config.dataDir, 'blobs'));
		const accounts = new AccountService(db, config, logger.child({ component: 'accounts' }));
		uploads = await UploadService.open({
			dir: path.join(config.dataDir, 'uploads'),
			db,
			accounts: accounts.store,
			blobs,
			maxUploadBytes: config.maxUploadBytes,
			logger: logger.child({ component: 'uploads' })
		});
		const albums = new AlbumStreams(
			new AlbumStore(db),
			accounts.store,
			logger.child({ component: 'albums' })
		);
		const ctx: RelayContext = {
			config,
			db,
			blobs,
			uploads,
			logger,
			accounts,
			albums,
			notifications: new NotificationStore(db, logger.child({ component: 'notifications' }), {
				membersOf: (albumId) => albums.states.get(albumId)?.members.keys() ?? []
			}),
			version: RELAY_VERSION,
			startedAt: performance.now()
		};
		// The inviter hears that their invite was taken up (their app then completes the share).
		accounts.onInviteAccepted((event) =>
			ctx.notifications.record(event.inviterAccountId, event.albumId, 'invite-accepted')
		);

		const app = loadStaticApp(config.appDir);
		if (!app) logger.warn({ appDir: config.appDir }, APP_NOT_BUILT_MESSAGE);

		const server = http.createServer(
			{ requestTimeout: 0 },
			createRequestHandler(ctx, app ?? appNotBuilt)
		);
		server.timeout = IDLE_SOCKET_MS;
		server.on('clientError', (error, socket) => {
			// Requests Node cannot even parse (bad request line, huge headers): answer and hang up.
			logger.debug({ err: error }, 'unparseable request');
			if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
			else socket.destroy();
		});
		const hub = attachWebSocketHub(server, ctx);
		await listen(server, config.port, config.host);
		const port = (server.address() as AddressInfo).port;

		let closing: Promise<void> | undefined;
		const openDb = db;
		const openUploads = uploads;
		return {
			url: `http://${urlHost(config.host)}:${port}`,
			port,
			config,
			close: () => (closing ??= shutdown(server, hub, openUploads, openDb, albums.store, logger))
		};
	} catch (error) {
		await uploads?.close();
		db?.close();
		throw error;
	}
}

async function shutdown(
	server: http.Server,
	hub: ReturnType<typeof attachWebSocketHub>,
	uploads: UploadService,
	db: RelayDatabase,
	albumStore: AlbumStore,
	logger: Logger
): Promise<void> {
	const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
	server.closeIdleConnections();
	await hub.close(WsCloseCode.goingAway, SHUTDOWN_REASON);
	let timer: NodeJS.Timeout | undefined;
	await Promise.race([
		serverClosed,
		new Promise<void>((resolve) => {
			timer = setTimeout(() => {
				logger.warn('cutting HTTP requests still running at shutdown');
				server.closeAllConnections();
				resolve();
			}, HTTP_DRAIN_MS);
		})
	]);
	clearTimeout(timer);
	await uploads.close();
	db.close();
	await albumStore.close();
}

function listen(server: http.Server, port: number, host: string): Promise<void> {
	return new Promise((resolve, reject) => {
		server.once('error', reject);
		server.listen(port, host, () => {
			server.off('error', reject);
			resolve();
		});
	});
}

/** A host for URLs: the wildcard addresses are reached via loopback, IPv6 goes in brackets. */
function urlHost(host: string): string {
	if (host === '0.0.0.0') return '127.0.0.1';
	if (host === '::') return '[::1]';
	return host.includes(':') ? `[${host}]` : host;
}
