// Relay memory per idle connection: 1,000 authenticated sockets following an album each, against a bare `ws` server (young generation pinned on both).

import path from 'node:path';
import WebSocket from 'ws';
import { MembershipChain } from '../src/lib/sync';
import {
	seedAccounts,
	StreamClient,
	type SeededAccount
} from '../tests/integration/helpers/stream';
import { makeTempDir, removeTempDir } from '../tests/integration/helpers/temp';
import { startChildServer, type ChildServer } from './baselines/child';
import { defineBenchmark, figure, median, type Figure } from './lib';

const CONNECTIONS = 1000;
const RUNS = 3;
/** Sockets opened at once while connecting (the rest wait), so the relay is not flooded. */
const CONNECT_BATCH = 50;
const READINGS = 5;
const SETTLE_MS = 1000;

/**
 * Both servers run with V8's young generation pinned at 1 MB. Otherwise V8 grows it to tens of MB
 * once under the burst of 1,000 connections, a fixed cost of any process that has seen load, which
 * divided by 1,000 reads as tens of KiB "per socket" and swamps what a socket really holds.
 */
const NODE_ARGS = ['--max-semi-space-size=1'];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** RSS in KiB once the child is quiet: a full GC, then the median of a few readings. */
async function settledRss(server: ChildServer): Promise<number> {
	await sleep(SETTLE_MS);
	await server.collectGarbage();
	const readings: number[] = [];
	for (let i = 0; i < READINGS; i++) {
		readings.push(server.rssKiB());
		await sleep(200);
	}
	return median(readings);
}

async function inBatches<T, R>(items: readonly T[], fn: (item: T) => Promise<R>): Promise<R[]> {
	const out: R[] = [];
	for (let i = 0; i < items.length; i += CONNECT_BATCH) {
		out.push(...(await Promise.all(items.slice(i, i + CONNECT_BATCH).map(fn))));
	}
	return out;
}

interface Setup {
	root: string;
	dataDir: string;
	accounts: SeededAccount[];
	albums: string[];
}

/** 1,000 accounts with a session each, and an album of their own created through the relay. */
async function setUp(): Promise<Setup> {
	const root = await makeTempDir('tessera-bench-memory');
	const dataDir = path.join(root, 'data');
	const names = Array.from({ length: CONNECTIONS }, (_, i) => `idle${i}`);
	const accounts = await seedAccounts(dataDir, names);
	const relay = await startRelay(root, dataDir);
	try {
		const albums = await inBatches(accounts, async (account) => {
			const client = await StreamClient.connect(relay.url, account);
			const created = await MembershipChain.createAlbum(account.identity);
			const reply = await client.request({ t: 'append-membership', entry: created.genesis });
			client.close();
			if (reply.t !== 'ack') throw new Error(`album not created: ${JSON.stringify(reply)}`);
			return created.albumId;
		});
		return { root, dataDir, accounts, albums };
	} finally {
		await relay.stop();
	}
}

function startRelay(root: string, dataDir: string): Promise<ChildServer> {
	return startChildServer(
		'relay/src/main.ts',
		{
			PORT: '0',
			HOST: '127.0.0.1',
			// info: the "listening" line carries the URL; nothing per socket is logged at this level.
			LOG_LEVEL: 'info',
			DATA_DIR: dataDir,
			APP_DIR: path.join(root, 'no-app')
		},
		NODE_ARGS
	);
}

/** KiB per connection the relay adds with every socket authenticated and following its album. */
async function oursPerConnection(setup: Setup): Promise<number> {
	const relay = await startRelay(setup.root, setup.dataDir);
	let clients: StreamClient[] = [];
	try {
		const before = await settledRss(relay);
		clients = await inBatches(
			setup.accounts.map((account, i) => ({ account, albumId: setup.albums[i]! })),
			async ({ account, albumId }) => {
				const client = await StreamClient.connect(relay.url, account);
				await client.subscribe(albumId, 0);
				return client;
			}
		);
		const after = await settledRss(relay);
		return (after - before) / CONNECTIONS;
	} finally {
		await closeAll(clients.map((c) => c.socket));
		await relay.stop();
	}
}

/** The same number of sockets to a `ws` server that only says hello. */
async function baselinePerConnection(): Promise<number> {
	const server = await startChildServer('bench/baselines/bare-ws-server.ts', {}, NODE_ARGS);
	let sockets: WebSocket[] = [];
	try {
		const before = await settledRss(server);
		sockets = await inBatches(
			Array.from({ length: CONNECTIONS }, (_, i) => i),
			() =>
				new Promise<WebSocket>((resolve, reject) => {
					const socket = new WebSocket(server.url.replace(/^http/, 'ws') + '/ws');
					socket.once('message', () => resolve(socket));
					socket.once('error', reject);
				})
		);
		const after = await settledRss(server);
		return (after - before) / CONNECTIONS;
	} finally {
		await closeAll(sockets);
		await server.stop();
	}
}

async function closeAll(sockets: readonly WebSocket[]): Promise<void> {
	await Promise.all(
		sockets.map(
			(socket) =>
				new Promise<void>((resolve) => {
					if (socket.readyState === WebSocket.CLOSED) return resolve();
					socket.once('close', () => resolve());
					socket.close();
				})
		)
	);
}

export default defineBenchmark('memory', async (): Promise<Figure[]> => {
	const setup = await setUp();
	const samples = { ours: [] as number[], base: [] as number[] };
	try {
		for (let run = 0; run < RUNS; run++) {
			samples.base.push(await baselinePerConnection());
			samples.ours.push(await oursPerConnection(setup));
		}
	} finally {
		await removeTempDir(setup.root);
	}
	return [
		figure({
			name: 'relay.memory.perIdleConnection',
			unit: 'KiB',
			value: median(samples.ours),
			baseline: 'bare ws server',
			baselineValue: median(samples.base),
			target: { of: 'ratio', op: '<=', bound: 3 },
			runs: RUNS
		})
	];
});
