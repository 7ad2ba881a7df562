// Album-stream sync: update latency A -> relay -> B, and fan-out throughput, against plaintext y-websocket (servers in child processes).

import * as Y from 'yjs';
import { deriveDocKey } from '../src/lib/crypto';
import type { Envelope } from '../src/lib/protocol';
import { MembershipChain, openEnvelope, sealEnvelope } from '../src/lib/sync';
import {
	seedAccounts,
	StreamClient,
	type SeededAccount
} from '../tests/integration/helpers/stream';
import {
	startChildRelay,
	startChildServer,
	type ChildRelay,
	type ChildServer
} from './baselines/child';
import { connectYClient, type YClient } from './baselines/y-websocket';
import { defineBenchmark, figure, median, type Figure } from './lib';

const LATENCY_EDITS = 200;
const LATENCY_RUNS = 3;
const FANOUT_ALBUMS = 10;
const FANOUT_CLIENTS_PER_ALBUM = 5;
const FANOUT_EDITS_PER_CLIENT = 40;
const FANOUT_RUNS = 3;

function percentile(samples: readonly number[], p: number): number {
	const sorted = [...samples].sort((a, b) => a - b);
	return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** A device of the benchmark: a socket, its identity, and a Yjs doc per album it follows. */
interface Device {
	account: SeededAccount;
	socket: StreamClient;
	docs: Map<string, Y.Doc>;
}

interface BenchAlbum {
	albumId: string;
	chain: MembershipChain;
	epochKey: Uint8Array;
	docKeys: Map<string, Uint8Array>;
}

/** An album owned by members[0], everyone else added as a collaborator, everyone subscribed. */
async function makeAlbum(members: Device[]): Promise<BenchAlbum> {
	const owner = members[0]!;
	const created = await MembershipChain.createAlbum(owner.account.identity);
	const ack = async (entry: unknown) => {
		const reply = await owner.socket.request({ t: 'append-membership', entry });
		if (reply.t !== 'ack') throw new Error(`append failed: ${JSON.stringify(reply)}`);
	};
	await ack(created.genesis);
	for (const member of members.slice(1)) {
		const entry = await created.chain.addMember(
			owner.account.identity,
			member.account,
			'collaborator',
			created.epochKey
		);
		await ack(entry);
		await created.chain.append(entry);
	}
	const docKeys = new Map<string, Uint8Array>();
	for (const member of members) {
		const docId = `contrib:${member.account.signPk}`;
		docKeys.set(docId, await deriveDocKey(created.epochKey, docId));
		await member.socket.subscribe(created.albumId, 0);
		member.docs.set(created.albumId, new Y.Doc());
	}
	return {
		albumId: created.albumId,
		chain: created.chain,
		epochKey: created.epochKey,
		docKeys
	};
}

/** One edit as a device makes it: a Yjs change, sealed and posted to the author's contrib doc. */
async function postEdit(device: Device, album: BenchAlbum, key: string, value: number) {
	const doc = device.docs.get(album.albumId)!;
	let update: Uint8Array | undefined;
	const take = (u: Uint8Array) => (update = u);
	doc.on('updateV2', take);
	doc.getMap('photos').set(key, value);
	doc.off('updateV2', take);
	const docId = `contrib:${device.account.signPk}`;
	const envelope = await sealEnvelope({
		albumId: album.albumId,
		docId,
		kind: 'update',
		epoch: album.chain.state.epoch,
		chainIndex: album.chain.state.head.index,
		update: update!,
		docKey: album.docKeys.get(docId)!,
		signer: device.account.identity.sign
	});
	device.socket.send({ t: 'post', id: `${key}`, envelope });
}

/** A receiving device: verify, decrypt and apply every envelope entry as it arrives. */
function applyIncoming(device: Device, albums: Map<string, BenchAlbum>, onApplied: () => void) {
	const context = new Map<
		string,
		{ state: BenchAlbum['chain']['state']; keys: Map<number, Uint8Array> }
	>();
	for (const album of albums.values()) {
		context.set(album.albumId, {
			state: album.chain.state,
			keys: new Map([[album.chain.state.epoch, album.epochKey]])
		});
	}
	let queue = Promise.resolve();
	device.socket.socket.on('message', (data: Buffer) => {
		const frame = JSON.parse(data.toString('utf8')) as {
			t: string;
			albumId?: string;
			item?: { type: string; envelope?: Envelope };
		};
		if (frame.t !== 'entry' || frame.item?.type !== 'envelope') return;
		const album = context.get(frame.albumId!);
		if (!album) return;
		if (frame.item.envelope!.by === device.account.signPk) return;
		queue = queue.then(async () => {
			const opened = await openEnvelope(frame.item!.envelope, {
				state: album.state,
				epochKeys: album.keys
			});
			Y.applyUpdateV2(device.docs.get(frame.albumId!)!, opened.update);
			onApplied();
		});
	});
}

/** A receiving device that only counts the envelope entries of others that reach it. */
function countIncoming(device: Device, onDelivered: () => void) {
	device.socket.socket.on('message', (data: Buffer) => {
		const frame = JSON.parse(data.toString('utf8')) as {
			t: string;
			item?: { type: string; envelope?: Envelope };
		};
		if (frame.t !== 'entry' || frame.item?.type !== 'envelope') return;
		if (frame.item.envelope!.by !== device.account.signPk) onDelivered();
	});
}

function startRelay(): Promise<ChildRelay> {
	return startChildRelay('tessera-bench-sync');
}

/** The y-websocket baseline server, in its own process too. */
function startYServer(): Promise<ChildServer> {
	return startChildServer('bench/baselines/y-websocket-server.ts');
}

async function devices(relay: ChildRelay, count: number): Promise<Device[]> {
	const names = Array.from({ length: count }, (_, i) => `bench${i}`);
	const accounts = await seedAccounts(relay.dataDir, names);
	return Promise.all(
		accounts.map(async (account) => ({
			account,
			socket: await StreamClient.connect(relay.url, account),
			docs: new Map<string, Y.Doc>()
		}))
	);
}

async function oursLatency(): Promise<number[]> {
	const relay = await startRelay();
	try {
		const [a, b] = await devices(relay, 2);
		const album = await makeAlbum([a!, b!]);
		let arrived: (() => void) | undefined;
		applyIncoming(b!, new Map([[album.albumId, album]]), () => arrived?.());
		const samples: number[] = [];
		for (let i = 0; i < LATENCY_EDITS; i++) {
			const got = new Promise<void>((resolve) => (arrived = resolve));
			const start = performance.now();
			await postEdit(a!, album, `k${i}`, i);
			await got;
			samples.push(performance.now() - start);
		}
		a!.socket.close();
		b!.socket.close();
		return samples;
	} finally {
		await relay.stop();
	}
}

async function baselineLatency(): Promise<number[]> {
	const server = await startYServer();
	const a = await connectYClient(server.url, 'latency');
	const b = await connectYClient(server.url, 'latency');
	const samples: number[] = [];
	const map = b.doc.getMap('photos');
	for (let i = 0; i < LATENCY_EDITS; i++) {
		const got = new Promise<void>((resolve) => {
			const seen = () => {
				if (map.get(`k${i}`) !== i) return;
				map.unobserve(seen);
				resolve();
			};
			map.observe(seen);
		});
		const start = performance.now();
		a.doc.getMap('photos').set(`k${i}`, i);
		await got;
		samples.push(performance.now() - start);
	}
	a.close();
	b.close();
	await server.stop();
	return samples;
}

/** One fan-out run: deliveries per second, and the CPU the server and this process spent on it. */
interface FanoutRun {
	perSecond: number;
	serverCpuMs: number;
	benchCpuMs: number;
}

const FANOUT_DELIVERIES =
	FANOUT_ALBUMS *
	FANOUT_CLIENTS_PER_ALBUM *
	FANOUT_EDITS_PER_CLIENT *
	(FANOUT_CLIENTS_PER_ALBUM - 1);

/** Counts deliveries of one round at a time. */
class Deliveries {
	private count = 0;
	private target = Number.POSITIVE_INFINITY;
	private done: () => void = () => {};

	/** Resolves once `n` more deliveries have been counted. */
	expect(n: number): Promise<void> {
		this.count = 0;
		this.target = n;
		return new Promise((resolve) => (this.done = resolve));
	}

	add = (): void => {
		if (++this.count === this.target) this.done();
	};
}

/** The first round on a fresh server (JIT, caches and SQLite pages cold) and a second one, warm. */
interface FanoutRounds {
	cold: FanoutRun;
	warm: FanoutRun;
}

/**
 * Runs two rounds of the same edits against one server and measures each. The first is what a
 * freshly started server does (and what this figure measured from the start); the second is the
 * steady state of a server that has been running a while, which is what throughput usually means.
 */
async function timedRounds(
	server: { cpuMs(): number },
	deliveries: Deliveries,
	round: (tag: string) => Promise<unknown>
): Promise<FanoutRounds> {
	const timed = async (tag: string): Promise<FanoutRun> => {
		const finished = deliveries.expect(FANOUT_DELIVERIES);
		const start = performance.now();
		const cpu = { server: server.cpuMs(), bench: process.cpuUsage() };
		await round(tag);
		await finished;
		const ms = performance.now() - start;
		const serverCpuMs = server.cpuMs() - cpu.server;
		const bench = process.cpuUsage(cpu.bench);
		return {
			perSecond: FANOUT_DELIVERIES / (ms / 1000),
			serverCpuMs,
			benchCpuMs: (bench.user + bench.system) / 1000
		};
	};
	const cold = await timed('c');
	const warm = await timed('w');
	return { cold, warm };
}

/**
 * Deliveries per second: every edit reaches the other members of its album. With `open`, every
 * receiver verifies, decrypts and applies each envelope, as a device does; all 50 receivers then
 * share this one process, so the figure is bounded by their Ed25519 verifies rather than by the
 * relay. Without it the receivers count entry frames, which measures the relay's fan-out.
 */
async function oursFanout(open: boolean): Promise<FanoutRounds> {
	const relay = await startRelay();
	try {
		const all = await devices(relay, FANOUT_ALBUMS * FANOUT_CLIENTS_PER_ALBUM);
		const albums: BenchAlbum[] = [];
		const groups: Device[][] = [];
		for (let i = 0; i < FANOUT_ALBUMS; i++) {
			const group = all.slice(i * FANOUT_CLIENTS_PER_ALBUM, (i + 1) * FANOUT_CLIENTS_PER_ALBUM);
			groups.push(group);
			albums.push(await makeAlbum(group));
		}
		const deliveries = new Deliveries();
		groups.forEach((group, i) => {
			for (const device of group) {
				if (open) {
					applyIncoming(device, new Map([[albums[i]!.albumId, albums[i]!]]), deliveries.add);
				} else {
					countIncoming(device, deliveries.add);
				}
			}
		});
		const run = await timedRounds(relay, deliveries, (tag) =>
			Promise.all(
				groups.flatMap((group, i) =>
					group.map(async (device) => {
						for (let e = 0; e < FANOUT_EDITS_PER_CLIENT; e++) {
							await postEdit(device, albums[i]!, `${device.account.signPk}-${tag}${e}`, e);
							// Stay under the relay's cap of frames in flight per socket.
							if (e % 32 === 31) await device.socket.sync();
						}
					})
				)
			)
		);
		for (const device of all) device.socket.close();
		return run;
	} finally {
		await relay.stop();
	}
}

async function baselineFanout(): Promise<FanoutRounds> {
	const server = await startYServer();
	try {
		const rooms: YClient[][] = [];
		for (let r = 0; r < FANOUT_ALBUMS; r++) {
			const room: YClient[] = [];
			for (let c = 0; c < FANOUT_CLIENTS_PER_ALBUM; c++) {
				room.push(await connectYClient(server.url, `room${r}`));
			}
			rooms.push(room);
		}
		const deliveries = new Deliveries();
		for (const room of rooms) {
			for (const client of room) {
				client.doc.on('update', (_update: Uint8Array, origin: unknown) => {
					// Updates applied from the socket carry the provider as origin.
					if (origin === client.provider) deliveries.add();
				});
			}
		}
		const run = await timedRounds(server, deliveries, (tag) =>
			Promise.all(
				rooms.flatMap((room, r) =>
					room.map(async (client, c) => {
						for (let e = 0; e < FANOUT_EDITS_PER_CLIENT; e++) {
							client.doc.getMap('photos').set(`${r}-${c}-${tag}${e}`, e);
							if (e % 32 === 31) await new Promise((resolve) => setImmediate(resolve));
						}
					})
				)
			)
		);
		for (const room of rooms) for (const client of room) client.close();
		return run;
	} finally {
		await server.stop();
	}
}

/** Parts to run: SYNC_BENCH=latency,fanout,opened (default all), so one figure can be profiled alone. */
function parts(): Set<string> {
	const wanted = process.env.SYNC_BENCH?.split(',').filter(Boolean);
	return new Set(wanted && wanted.length > 0 ? wanted : ['latency', 'fanout', 'opened']);
}

/** Every sample of a figure, so the spread on a shared machine shows beside the median. */
function logSamples(name: string, samples: readonly number[], digits = 1): void {
	console.log(`${name}: ${samples.map((s) => s.toFixed(digits)).join(', ')}`);
}

/** Rates, and the CPU each side spent per delivery: server (relay or y-websocket) and this process (clients). */
function logFanout(name: string, runs: readonly FanoutRounds[]): void {
	for (const which of ['cold', 'warm'] as const) {
		const of = runs.map((r) => r[which]);
		const perDelivery = (ms: number) => (ms * 1000) / FANOUT_DELIVERIES;
		logSamples(
			`fanout ${which} ${name} deliveries/s`,
			of.map((r) => r.perSecond)
		);
		logSamples(
			`fanout ${which} ${name} server CPU µs/delivery`,
			of.map((r) => perDelivery(r.serverCpuMs))
		);
		logSamples(
			`fanout ${which} ${name} clients CPU µs/delivery`,
			of.map((r) => perDelivery(r.benchCpuMs))
		);
	}
}

export default defineBenchmark('sync', async (): Promise<Figure[]> => {
	const run = parts();
	const baseline = 'y-websocket plaintext';
	const figures: Figure[] = [];
	if (run.has('latency')) {
		const ours: { p50: number[]; p99: number[] } = { p50: [], p99: [] };
		const base: { p50: number[]; p99: number[] } = { p50: [], p99: [] };
		for (let i = 0; i < LATENCY_RUNS; i++) {
			const b = await baselineLatency();
			base.p50.push(percentile(b, 50));
			base.p99.push(percentile(b, 99));
			const o = await oursLatency();
			ours.p50.push(percentile(o, 50));
			ours.p99.push(percentile(o, 99));
		}
		logSamples('latency p50 ours', ours.p50);
		logSamples('latency p50 y-websocket', base.p50);
		logSamples('latency p99 ours', ours.p99);
		logSamples('latency p99 y-websocket', base.p99);
		figures.push(
			figure({
				name: 'sync.latency.p50',
				unit: 'ms',
				value: median(ours.p50),
				baseline,
				baselineValue: median(base.p50),
				target: { of: 'ratio', op: '<=', bound: 1.5 },
				runs: LATENCY_RUNS
			}),
			figure({
				name: 'sync.latency.p99',
				unit: 'ms',
				value: median(ours.p99),
				baseline,
				baselineValue: median(base.p99),
				target: { of: 'ratio', op: '<=', bound: 3 },
				runs: LATENCY_RUNS
			})
		);
	}
	if (run.has('fanout') || run.has('opened')) {
		const fan = {
			ours: [] as FanoutRounds[],
			opened: [] as FanoutRounds[],
			base: [] as FanoutRounds[]
		};
		for (let i = 0; i < FANOUT_RUNS; i++) {
			fan.base.push(await baselineFanout());
			if (run.has('fanout')) fan.ours.push(await oursFanout(false));
			if (run.has('opened')) fan.opened.push(await oursFanout(true));
		}
		const rate = (runs: FanoutRounds[], which: keyof FanoutRounds) =>
			runs.map((r) => r[which].perSecond);
		logFanout('y-websocket', fan.base);
		const fanoutFigure = (name: string, runs: FanoutRounds[], which: keyof FanoutRounds) =>
			figure({
				name,
				unit: 'deliveries/s',
				value: median(rate(runs, which)),
				baseline,
				baselineValue: median(rate(fan.base, which)),
				target: { of: 'ratio', op: '>=', bound: 0.7 },
				runs: FANOUT_RUNS
			});
		if (run.has('fanout')) {
			logFanout('ours', fan.ours);
			for (const which of ['cold', 'warm'] as const) {
				logSamples(
					`fanout ${which} ours/y-websocket per run`,
					fan.ours.map((r, i) => r[which].perSecond / fan.base[i]![which].perSecond),
					2
				);
			}
			figures.push(
				fanoutFigure('sync.fanout.50clients.10albums', fan.ours, 'cold'),
				fanoutFigure('sync.fanout.50clients.10albums.warm', fan.ours, 'warm')
			);
		}
		if (run.has('opened')) {
			logFanout('opened ours', fan.opened);
			figures.push(fanoutFigure('sync.fanout.50clients.10albums.opened', fan.opened, 'cold'));
		}
	}
	return figures;
});
