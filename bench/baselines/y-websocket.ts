// The plaintext baseline for sync benchmarks: y-websocket clients on @y/websocket-server, in-process.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setupWSConnection } from '@y/websocket-server/utils';
import { WebSocket, WebSocketServer } from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';

export interface YServer {
	url: string;
	close(): Promise<void>;
}

/** A y-websocket server on a loopback port, as its README runs it. */
export async function startYServer(): Promise<YServer> {
	const server = http.createServer((_req, res) => {
		res.writeHead(404).end();
	});
	const wss = new WebSocketServer({ server });
	wss.on('connection', (conn, req) => setupWSConnection(conn, req));
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as AddressInfo;
	return {
		url: `ws://127.0.0.1:${port}`,
		async close() {
			for (const client of wss.clients) client.terminate();
			await new Promise<void>((resolve) => wss.close(() => resolve()));
			await new Promise<void>((resolve) => server.close(() => resolve()));
		}
	};
}

export interface YClient {
	doc: Y.Doc;
	provider: WebsocketProvider;
	close(): void;
}

/** A y-websocket client in Node, synced with the server before it is returned. */
export async function connectYClient(url: string, room: string): Promise<YClient> {
	const doc = new Y.Doc();
	const provider = new WebsocketProvider(url, room, doc, {
		WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
		disableBc: true
	});
	await new Promise<void>((resolve) => {
		if (provider.synced) return resolve();
		provider.once('sync', (synced: boolean) => {
			if (synced) resolve();
		});
	});
	return {
		doc,
		provider,
		close() {
			provider.destroy();
			doc.destroy();
		}
	};
}
