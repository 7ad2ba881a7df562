// Simulated album-stream clients: accounts seeded into DATA_DIR, a socket that collects frames, signed encrypted envelopes.

import WebSocket from 'ws';
import {
	deriveDocKey,
	encryptEnvelope,
	generateBoxKeyPair,
	generateSignKeyPair,
	randomBytes,
	signDetached,
	toBase64Url
} from '../../../src/lib/crypto';
import {
	envelopeHeaderBytes,
	envelopeSigningBytes,
	parseServerMessage,
	type Envelope,
	type EnvelopeHeader,
	type ServerMessage
} from '../../../src/lib/protocol';
import type { AlbumIdentity } from '../../../src/lib/sync';
import { AccountStore } from '../../../relay/src/account-store';
import { openDatabase } from '../../../relay/src/db';

export interface SeededAccount {
	accountId: string;
	email: string;
	token: string;
	identity: AlbumIdentity;
	signPk: string;
	boxPk: string;
}

const fakeBytes = (n: number) => toBase64Url(randomBytes(n));

/**
 * Verified accounts with a session each, written straight into the relay's database (its own
 * connection; WAL lets the relay run meanwhile). Much faster than signing up through the API with
 * Argon2id, and the identity keys are real, so everything they sign verifies.
 */
export async function seedAccounts(
	dataDir: string,
	names: readonly string[],
	options: { plan?: string } = {}
): Promise<SeededAccount[]> {
	const db = openDatabase(dataDir);
	try {
		const store = new AccountStore(db);
		const out: SeededAccount[] = [];
		for (const name of names) {
			const sign = await generateSignKeyPair();
			const box = await generateBoxKeyPair();
			const signPk = toBase64Url(sign.publicKey);
			const boxPk = toBase64Url(box.publicKey);
			const now = Date.now();
			const account = store.createPending(
				{
					email: `${name}-${fakeBytes(6)}@example.test`.toLowerCase(),
					kdf: { salt: fakeBytes(16), opsLimit: 3, memLimit: 64 * 1024 * 1024 },
					authHash: 'not-a-real-hash',
					recoveryAuthHash: 'not-a-real-hash',
					masterKeyByRecovery: fakeBytes(72),
					wrappedKeys: {
						masterKeyByPassword: fakeBytes(74),
						boxSecretKey: fakeBytes(74),
						signSeed: fakeBytes(74)
					},
					publicKeys: { signPk, boxPk },
					plan: options.plan ?? 'self-hosted',
					quotaBytes: null
				},
				'000000',
				now + 60_000,
				now
			);
			if (!account) throw new Error(`could not seed account ${name}`);
			store.markVerified(account.id, now);
			const session = store.createSession(account.id, 'test device', now);
			out.push({
				accountId: account.id,
				email: account.email,
				token: session.token,
				identity: { sign, box },
				signPk,
				boxPk
			});
		}
		return out;
	} finally {
		db.close();
	}
}

/** One seeded account (see seedAccounts). */
export async function seedAccount(
	dataDir: string,
	name: string,
	options: { plan?: string } = {}
): Promise<SeededAccount> {
	const [account] = await seedAccounts(dataDir, [name], options);
	if (!account) throw new Error('no account seeded');
	return account;
}

type EntryFrame = Extract<ServerMessage, { t: 'entry' }>;
type Reply = Exclude<ServerMessage, EntryFrame | { t: 'hello' }>;

/**
 * A websocket client that keeps every frame the relay sends (checked with the protocol's parser)
 * and matches replies to requests by id.
 */
export class StreamClient {
	readonly frames: ServerMessage[] = [];
	readonly closed: Promise<{ code: number; reason: string }>;
	private waiters: { check: () => boolean }[] = [];
	private ids = 0;
	private problem: Error | null = null;

	private constructor(readonly socket: WebSocket) {
		socket.on('message', (data: Buffer) => {
			const parsed = parseServerMessage(data.toString('utf8'));
			if (!parsed.ok) this.problem = new Error(`invalid frame from the relay: ${parsed.message}`);
			else this.frames.push(parsed.msg);
			this.wake();
		});
		this.closed = new Promise((resolve) => {
			socket.on('close', (code, reason) => {
				resolve({ code, reason: reason.toString('utf8') });
				this.problem ??= new Error(`socket closed (${code})`);
				this.wake();
			});
		});
		socket.on('error', () => {
			// Surfaced through `closed`.
		});
	}

	static async connect(url: string, account?: SeededAccount): Promise<StreamClient> {
		const socket = new WebSocket(url.replace(/^http/, 'ws') + '/ws');
		// Listen before the socket opens: hello can arrive in the same read as the upgrade.
		const client = new StreamClient(socket);
		await new Promise<void>((resolve, reject) => {
			socket.once('open', () => resolve());
			socket.once('error', reject);
		});
		await client.waitFor((f) => f.t === 'hello');
		if (account) {
			const reply = await client.request({ t: 'auth', token: account.token });
			if (reply.t !== 'authed') throw new Error(`auth failed: ${JSON.stringify(reply)}`);
		}
		return client;
	}

	send(frame: object): void {
		this.socket.send(JSON.stringify(frame));
	}

	/** Sends a frame with a fresh id and resolves with the reply carrying that id. */
	async request(frame: object): Promise<Reply> {
		const id = `r${++this.ids}`;
		this.send({ ...frame, id });
		return this.reply(id);
	}

	/** The reply (ack, error, caught-up, ...) with this id. */
	reply(id: string): Promise<Reply> {
		return this.waitFor(
			(f): f is Reply => f.t !== 'entry' && f.t !== 'hello' && 'id' in f && f.id === id
		) as Promise<Reply>;
	}

	/** The first frame (received so far or later) that matches. */
	waitFor<F extends ServerMessage>(match: (frame: ServerMessage) => frame is F): Promise<F>;
	waitFor(match: (frame: ServerMessage) => boolean): Promise<ServerMessage>;
	waitFor(match: (frame: ServerMessage) => boolean): Promise<ServerMessage> {
		return new Promise((resolve, reject) => {
			const check = () => {
				const found = this.frames.find(match);
				if (found) {
					resolve(found);
					return true;
				}
				if (this.problem) {
					reject(this.problem);
					return true;
				}
				return false;
			};
			if (!check()) this.waiters.push({ check });
		});
	}

	/** Round-trips a ping: every frame the relay sent before answering it has arrived. */
	async sync(): Promise<void> {
		const reply = await this.request({ t: 'ping' });
		if (reply.t !== 'pong') throw new Error(`expected pong, got ${reply.t}`);
	}

	/** Entry frames of one album, in arrival order. */
	entries(albumId: string): EntryFrame[] {
		return this.frames.filter((f): f is EntryFrame => f.t === 'entry' && f.albumId === albumId);
	}

	/** Subscribes and resolves with the catch-up (entry frames) and the caught-up seq. */
	async subscribe(albumId: string, since: number): Promise<{ items: EntryFrame[]; seq: number }> {
		const before = this.frames.length;
		const reply = await this.request({ t: 'subscribe', albumId, since });
		if (reply.t !== 'caught-up') throw new Error(`subscribe failed: ${JSON.stringify(reply)}`);
		const upTo = this.frames.indexOf(reply);
		const items = this.frames
			.slice(before, upTo)
			.filter((f): f is EntryFrame => f.t === 'entry' && f.albumId === albumId);
		return { items, seq: reply.seq };
	}

	close(): void {
		this.socket.close();
	}

	private wake(): void {
		this.waiters = this.waiters.filter((w) => !w.check());
	}
}

export interface EnvelopeInput {
	author: AlbumIdentity;
	albumId: string;
	docId: string;
	kind: 'update' | 'snapshot' | 'ephemeral';
	epoch: number;
	chainIndex: number;
	epochKey: Uint8Array;
	plaintext: Uint8Array;
	/** For snapshots: the album seq covered. */
	covers?: number;
}

/** An envelope as a writer makes it: AEAD under the doc key with the header as AD, signed. */
export async function makeEnvelope(input: EnvelopeInput): Promise<Envelope> {
	const base = {
		albumId: input.albumId,
		docId: input.docId,
		epoch: input.epoch,
		chainIndex: input.chainIndex,
		by: toBase64Url(input.author.sign.publicKey)
	};
	const header: EnvelopeHeader =
		input.kind === 'snapshot'
			? { ...base, kind: 'snapshot', covers: input.covers ?? 0 }
			: { ...base, kind: input.kind };
	const docKey = await deriveDocKey(input.epochKey, input.docId);
	const sealed = await encryptEnvelope(docKey, envelopeHeaderBytes(header), input.plaintext);
	const sig = await signDetached(
		envelopeSigningBytes(header, sealed.nonce, sealed.ciphertext),
		input.author.sign.privateKey
	);
	return {
		...header,
		nonce: toBase64Url(sealed.nonce),
		ct: toBase64Url(sealed.ciphertext),
		sig: toBase64Url(sig)
	};
}

/** Seeded PRNG (mulberry32) for reproducible runs. */
export function seededRandom(seed: number): () => number {
	let a = seed >>> 0;
	return () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}
