// Set-up of the grid benchmark in Node: the relay serving a copy of the built app, an account signed up through the API, and its 10,000-photo library built and posted as the app would.

import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { AccountApi, createAccountKeys } from '../../src/lib/account';
import { AlbumModel, contribDocId, type NewPhoto } from '../../src/lib/albums';
import {
	deriveDocKey,
	fileSubkeys,
	KDF_FLOOR,
	signKeyPairFromSeed,
	toBase64Url
} from '../../src/lib/crypto';
import { openDeviceDatabase } from '../../src/lib/local/db';
import { MembershipChain, memberKeysOf, sealEnvelope } from '../../src/lib/sync';
import { UploadQueue } from '../../src/lib/transfer';
import { StreamClient, type SeededAccount } from '../../tests/integration/helpers/stream';
import { startChildRelay } from '../baselines/child';
import type { Thumbnail } from './thumbnails';

export interface GridRelay {
	url: string;
	dataDir: string;
	stop(): Promise<void>;
}

/**
 * The relay in its own process (node relay/src/main.ts) on a free port, with a fresh DATA_DIR and
 * APP_DIR pointing at a copy of `appDir`: the copy keeps the app fixed if build/ is rebuilt meanwhile.
 */
export function startGridRelay(appDir: string): Promise<GridRelay> {
	return startChildRelay('tessera-bench-grid', { appDir });
}

export interface BenchAccount extends SeededAccount {
	email: string;
	password: string;
}

const PASSWORD = 'violet anchor mosaic 71';
const CODE_TIMEOUT_MS = 10_000;

/**
 * A verified account made through the API with the floor's Argon2id params (as the e2e helper
 * createAccountThroughApi does, reading the code from the relay's outbox), keeping what the app
 * would hold after logging in: the session token and the identity keys.
 */
export async function signUpThroughApi(relay: GridRelay): Promise<BenchAccount> {
	const email = `bench-grid-${Date.now().toString(36)}@example.com`;
	const api = new AccountApi({ baseUrl: relay.url });
	const created = await createAccountKeys(PASSWORD, { params: KDF_FLOOR });
	await api.signUp({ email, ...created.signup });
	const code = await emailCode(path.join(relay.dataDir, 'outbox'), email);
	const grant = await api.verifySignUp({ email, code, device: { name: 'bench set-up' } });
	const { keys } = created;
	const identity = {
		sign: await signKeyPairFromSeed(keys.signSeed),
		box: { publicKey: keys.boxPublicKey, privateKey: keys.boxSecretKey }
	};
	return {
		email,
		password: PASSWORD,
		accountId: grant.account.id,
		token: grant.token,
		identity,
		signPk: toBase64Url(keys.signPublicKey),
		boxPk: toBase64Url(keys.boxPublicKey)
	};
}

async function emailCode(outbox: string, email: string): Promise<string> {
	const deadline = Date.now() + CODE_TIMEOUT_MS;
	while (Date.now() < deadline) {
		const names = (await readdir(outbox).catch(() => [] as string[])).filter((n) =>
			n.endsWith('.eml')
		);
		for (const name of names) {
			const mail = await readFile(path.join(outbox, name), 'utf8');
			if (!mail.toLowerCase().includes(email.toLowerCase())) continue;
			const code = /Your Tessera code: (\d{6})/.exec(mail)?.[1];
			if (code) return code;
		}
		await new Promise((resolve) => setTimeout(resolve, 100));
	}
	throw new Error(`no email code for ${email} in ${outbox} within ${CODE_TIMEOUT_MS} ms`);
}

/** A thumbnail on the relay: its file key and blob id, shared by many PhotoRefs. */
export interface StoredThumbnail {
	thumbnail: Thumbnail;
	fileKey: Uint8Array;
	blobId: string;
}

/**
 * Encrypts and uploads each thumbnail with the app's UploadQueue (tus, in Node, over a fake
 * IndexedDB) under fileSubkeys(fileKey).thumbnail, as an import does.
 */
export async function uploadThumbnails(
	relay: GridRelay,
	account: BenchAccount,
	thumbnails: readonly Thumbnail[],
	random: (length: number) => Uint8Array
): Promise<StoredThumbnail[]> {
	const db = openDeviceDatabase('bench-grid-uploads', { indexedDB: new IDBFactory(), IDBKeyRange });
	const queue = new UploadQueue({
		db,
		baseUrl: relay.url,
		token: () => account.token,
		cache: null
	});
	try {
		await queue.start();
		const stored: StoredThumbnail[] = [];
		const entries = [];
		for (const thumbnail of thumbnails) {
			const fileKey = random(32);
			const entry = await queue.add({
				file: new Blob([thumbnail.jpeg]),
				streamKey: (await fileSubkeys(fileKey)).thumbnail,
				purpose: 'thumb',
				blobId: toBase64Url(random(16)),
				group: 'bench-grid'
			});
			entries.push(entry);
			stored.push({ thumbnail, fileKey, blobId: entry.blobId });
		}
		await Promise.all(entries.map((entry) => queue.whenDone(entry.id)));
		return stored;
	} finally {
		await queue.stop();
		db.close();
	}
}

export interface PostedLibrary {
	albumId: string;
	photos: number;
	envelopes: number;
	/** Bytes of update plaintext posted. */
	updateBytes: number;
}

/**
 * The account's library as the app makes it: MembershipChain.createAlbum for the account's
 * identity, the genesis appended, an AlbumModel marked as the library and renamed (album doc),
 * then addPhotos in batches (contrib doc); each local update sealed with sealEnvelope under its
 * doc key and posted, in order, each acked once durable.
 */
export async function postLibrary(
	relay: GridRelay,
	account: BenchAccount,
	photos: readonly NewPhoto[],
	batch: number
): Promise<PostedLibrary> {
	const socket = await StreamClient.connect(relay.url, account);
	try {
		const created = await MembershipChain.createAlbum(account.identity);
		const { albumId, chain, epochKey } = created;
		const appended = await socket.request({ t: 'append-membership', entry: created.genesis });
		if (appended.t !== 'ack') throw new Error(`genesis refused: ${JSON.stringify(appended)}`);

		const me = memberKeysOf(account.identity).signPk;
		const model = new AlbumModel({ membership: chain.state, me });
		const updates: { docId: string; update: Uint8Array }[] = [];
		model.onLocalUpdate((docId, update) => updates.push({ docId, update }));
		model.markAsLibrary();
		model.rename('Library');
		for (let i = 0; i < photos.length; i += batch) model.addPhotos(photos.slice(i, i + batch));
		model.destroy();

		const docKeys = new Map<string, Uint8Array>();
		let updateBytes = 0;
		for (const { docId, update } of updates) {
			let docKey = docKeys.get(docId);
			if (!docKey) docKeys.set(docId, (docKey = await deriveDocKey(epochKey, docId)));
			const envelope = await sealEnvelope({
				albumId,
				docId,
				kind: 'update',
				epoch: chain.state.epoch,
				chainIndex: chain.state.head.index,
				update,
				docKey,
				signer: account.identity.sign
			});
			const reply = await socket.request({ t: 'post', envelope });
			if (reply.t !== 'ack') throw new Error(`post refused: ${JSON.stringify(reply)}`);
			updateBytes += update.byteLength;
		}
		if (!updates.some((u) => u.docId === contribDocId(me))) throw new Error('no photos posted');
		return { albumId, photos: photos.length, envelopes: updates.length, updateBytes };
	} finally {
		socket.close();
	}
}
