// I8 with the relay as a child process: kill -9 during a stream of writes; every acknowledged write is there after restart.

import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MembershipChain } from '../../../src/lib/sync';
import { makeTempDir, removeTempDir } from '../helpers/temp';
import {
	makeEnvelope,
	seedAccount,
	seededRandom,
	StreamClient,
	type SeededAccount
} from '../helpers/stream';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
/** Reproduce a run with CRASH_SEED=<n>. */
const SEED = Number(process.env.CRASH_SEED ?? 20261129);

let root: string;
beforeAll(async () => {
	root = await makeTempDir('tessera-crash');
});
afterAll(async () => {
	await removeTempDir(root);
});

interface RelayProcess {
	child: ChildProcess;
	url: Promise<string>;
	exited: Promise<NodeJS.Signals | null>;
}

function spawnRelay(dataDir: string): RelayProcess {
	const child = spawn(process.execPath, ['--import', 'tsx', 'relay/src/main.ts'], {
		cwd: repoRoot,
		env: {
			PATH: process.env.PATH ?? '',
			HOME: process.env.HOME ?? root,
			PORT: '0',
			HOST: '127.0.0.1',
			DATA_DIR: dataDir,
			APP_DIR: path.join(root, 'no-app'),
			LOG_LEVEL: 'info'
		},
		stdio: ['ignore', 'pipe', 'pipe']
	});
	let out = '';
	let err = '';
	child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
	const exited = new Promise<NodeJS.Signals | null>((resolve) =>
		child.on('exit', (_code, signal) => resolve(signal))
	);
	const url = new Promise<string>((resolve, reject) => {
		child.stdout?.on('data', (chunk: Buffer) => {
			out += chunk.toString('utf8');
			const match = /Tessera relay listening on (http:\/\/[\d.]+:\d+)/.exec(out);
			if (match?.[1]) resolve(match[1]);
		});
		void exited.then(() => reject(new Error(`relay exited before listening: ${err}`)));
	});
	return { child, url, exited };
}

describe('a relay killed with SIGKILL mid-stream', () => {
	it('keeps every acknowledged write, and clients write on after the restart', async () => {
		const random = seededRandom(SEED);
		const dataDir = path.join(root, 'data');
		const owner = await seedAccount(dataDir, 'owner');
		const collaborator = await seedAccount(dataDir, 'collaborator');
		const writers = [owner, collaborator];

		let relay = spawnRelay(dataDir);
		try {
			const url = await relay.url;
			const album = await MembershipChain.createAlbum(owner.identity);
			const ownerSocket = await StreamClient.connect(url, owner);
			expect(
				await ownerSocket.request({ t: 'append-membership', entry: album.genesis })
			).toMatchObject({ t: 'ack' });
			const add = await album.chain.addMember(
				owner.identity,
				collaborator,
				'collaborator',
				album.epochKey
			);
			expect(await ownerSocket.request({ t: 'append-membership', entry: add })).toMatchObject({
				t: 'ack'
			});
			await album.chain.append(add);
			const write = (author: SeededAccount, n: number) =>
				makeEnvelope({
					author: author.identity,
					albumId: album.albumId,
					docId: `contrib:${author.signPk}`,
					kind: 'update',
					epoch: 0,
					chainIndex: 1,
					epochKey: album.epochKey,
					plaintext: new TextEncoder().encode(`write ${n} by ${author.signPk}`)
				});

			// Two clients stream writes, a few in flight each; the relay dies after a seeded number
			// of acks, while more writes are on the wire.
			const acked = new Map<string, number>();
			const killAfter = 20 + Math.floor(random() * 40);
			const sockets = [ownerSocket, await StreamClient.connect(url, collaborator)];
			let killed = false;
			const stream = async (index: number) => {
				const socket = sockets[index]!;
				for (let n = 0; !killed; n++) {
					const batch = await Promise.all(
						Array.from({ length: 1 + Math.floor(random() * 4) }, (_, k) =>
							write(writers[index]!, n * 10 + k)
						)
					);
					const replies = await Promise.all(
						batch.map((envelope) =>
							socket.request({ t: 'post', envelope }).then(
								(reply) => ({ envelope, reply }),
								() => null
							)
						)
					);
					for (const result of replies) {
						if (result?.reply.t !== 'ack') continue;
						acked.set(result.envelope.sig, result.reply.seq);
						if (!killed && acked.size >= killAfter) {
							killed = true;
							relay.child.kill('SIGKILL');
						}
					}
				}
			};
			await Promise.all([stream(0), stream(1)]);
			expect(await relay.exited).toBe('SIGKILL');
			expect(acked.size).toBeGreaterThanOrEqual(killAfter);

			relay = spawnRelay(dataDir);
			const again = await relay.url;
			const reader = await StreamClient.connect(again, owner);
			const { items, seq } = await reader.subscribe(album.albumId, 0);
			const stored = new Map<string, number>();
			for (const item of items) {
				if (item.item.type === 'envelope' && item.seq !== null) {
					stored.set(item.item.envelope.sig, item.seq);
				}
			}
			for (const [sig, ackSeq] of acked) expect(stored.get(sig)).toBe(ackSeq);
			// Seqs are gap-free in the catch-up: nothing half-written survived either.
			expect(items.map((i) => i.seq)).toEqual(items.map((_, i) => i + 1));

			const writer = await StreamClient.connect(again, collaborator);
			const after = await writer.request({ t: 'post', envelope: await write(collaborator, 9999) });
			expect(after).toMatchObject({ t: 'ack', seq: seq + 1 });
			reader.close();
			writer.close();
		} finally {
			relay.child.kill('SIGKILL');
			await relay.exited;
		}
	});
});
