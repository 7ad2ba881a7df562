// Upload lifetimes across relay restarts: expired uploads and stray files are dropped; a finish cut short by a crash is completed.

import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FolderBlobStore } from '../../../relay/src/blobs';
import { loadConfig } from '../../../relay/src/config';
import { openDatabase } from '../../../relay/src/db';
import { startRelay, type Relay } from '../../../relay/src/server';
import { seedAccount, type SeededAccount } from '../helpers/stream';
import { makeTempDir, removeTempDir } from '../helpers/temp';
import {
	createUpload,
	errorOf,
	getBlob,
	KiB,
	newBlobId,
	patchUpload,
	setQuota,
	tusRequest,
	usageOf
} from './helpers';

const DAY_MS = 24 * 60 * 60 * 1000;

let root: string;
let dataDir: string;
let relay: Relay | undefined;
let account: SeededAccount;

async function restart(): Promise<Relay> {
	await relay?.close();
	relay = await startRelay(
		loadConfig({
			PORT: '0',
			HOST: '127.0.0.1',
			LOG_LEVEL: 'silent',
			DATA_DIR: dataDir,
			APP_DIR: path.join(root, 'no-app')
		})
	);
	return relay;
}

/** Runs SQL on the stopped relay's database, as time passing or a crash would leave it. */
async function whileStopped(change: (db: ReturnType<typeof openDatabase>) => void): Promise<void> {
	await relay?.close();
	relay = undefined;
	const db = openDatabase(dataDir);
	try {
		change(db);
	} finally {
		db.close();
	}
}

function uploadsDir(): string {
	return path.join(dataDir, 'uploads');
}

beforeAll(async () => {
	root = await makeTempDir('tessera-upload-expiry');
	dataDir = path.join(root, 'data');
	account = await seedAccount(dataDir, 'uploader');
});

afterAll(async () => {
	await relay?.close();
	await removeTempDir(root);
});

describe('expired uploads', () => {
	it('are dropped with their bytes and their quota reservation when the relay starts', async () => {
		setQuota(dataDir, account.accountId, 100 * KiB);
		let { port } = await restart();
		const blobId = newBlobId();
		const created = await createUpload(port, account.token, blobId, 80 * KiB);
		const location = created.headers.location!;
		await patchUpload(port, account.token, location, 0, randomBytes(10 * KiB));
		// The reservation holds: a second upload of that size does not fit beside it.
		expect((await createUpload(port, account.token, newBlobId(), 80 * KiB)).status).toBe(413);

		// A day and an hour later, plus a stray file nothing refers to.
		const stray = path.join(uploadsDir(), randomBytes(16).toString('hex'));
		await whileStopped((db) => {
			db.prepare('UPDATE uploads SET created_at = created_at - ?, expires_at = expires_at - ?').run(
				DAY_MS + 3600_000,
				DAY_MS + 3600_000
			);
		});
		await fs.writeFile(stray, randomBytes(100));

		({ port } = await restart());
		expect(await fs.readdir(uploadsDir())).toEqual([]);
		const head = await tusRequest(port, 'HEAD', location, { token: account.token });
		expect(head.status).toBe(404);
		expect((await createUpload(port, account.token, blobId, 80 * KiB)).status).toBe(201);
		expect(await usageOf(port, account.token)).toBe(0);
		setQuota(dataDir, account.accountId, null);
	});

	it('are refused with 410 once their time is up, even before the sweep', async () => {
		let { port } = await restart();
		const created = await createUpload(port, account.token, newBlobId(), 1000);
		const location = created.headers.location!;
		await whileStopped((db) => {
			db.prepare('UPDATE uploads SET created_at = created_at - ?').run(DAY_MS + 1000);
		});
		({ port } = await restart());
		// The sweep at start went by expires_at (not yet due); tus goes by creation time + 24 h.
		const res = await patchUpload(port, account.token, location, 0, randomBytes(1000));
		expect(res.status).toBe(410);
	});
});

describe('a crash while an upload finishes', () => {
	it('is completed at start when the bytes reached the blob store', async () => {
		let { port } = await restart();
		const data = randomBytes(50 * KiB);
		const blobId = newBlobId();
		const before = await usageOf(port, account.token);
		const created = await createUpload(port, account.token, blobId, data.length);
		const location = created.headers.location!;
		await patchUpload(port, account.token, location, 0, data.subarray(0, 20 * KiB));

		// As if the final PATCH had moved the file into the blob store and the relay died before
		// recording it.
		await whileStopped(() => {});
		const blobs = await FolderBlobStore.open(path.join(dataDir, 'blobs'));
		await blobs.put(blobId, [data]);
		await fs.rm(path.join(uploadsDir(), path.basename(location)));

		({ port } = await restart());
		const blob = await getBlob(port, account.token, blobId);
		expect(Buffer.compare(blob.body, data)).toBe(0);
		expect(await usageOf(port, account.token)).toBe(before + data.length);
		const again = await createUpload(port, account.token, blobId, data.length);
		expect(errorOf(again).code).toBe('blob-exists');
	});

	it('is finished at start when all the bytes were written but not yet moved', async () => {
		let { port } = await restart();
		const data = randomBytes(30 * KiB);
		const blobId = newBlobId();
		const before = await usageOf(port, account.token);
		const created = await createUpload(port, account.token, blobId, data.length);
		const location = created.headers.location!;
		await patchUpload(port, account.token, location, 0, data.subarray(0, 10 * KiB));
		await whileStopped(() => {});
		await fs.appendFile(path.join(uploadsDir(), path.basename(location)), data.subarray(10 * KiB));

		({ port } = await restart());
		const blob = await getBlob(port, account.token, blobId);
		expect(Buffer.compare(blob.body, data)).toBe(0);
		expect(await usageOf(port, account.token)).toBe(before + data.length);
		expect(await fs.readdir(uploadsDir())).not.toContain(path.basename(location));
	});

	it('forgets the upload when its bytes were lost, so the client can start again', async () => {
		let { port } = await restart();
		const blobId = newBlobId();
		const created = await createUpload(port, account.token, blobId, 1000);
		await whileStopped(() => {});
		await fs.rm(path.join(uploadsDir(), path.basename(created.headers.location!)));

		({ port } = await restart());
		expect((await createUpload(port, account.token, blobId, 1000)).status).toBe(201);
	});
});
