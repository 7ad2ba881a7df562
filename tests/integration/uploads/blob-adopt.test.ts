// FolderBlobStore.adopt and the upload sweep: a finished upload file becomes a blob, by rename or across file systems.

import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccountStore } from '../../../relay/src/account-store';
import { FolderBlobStore } from '../../../relay/src/blobs';
import { openDatabase, type RelayDatabase } from '../../../relay/src/db';
import { createLogger } from '../../../relay/src/log';
import { UPLOAD_EXPIRY_MS, UploadService } from '../../../relay/src/uploads';
import { seedAccount } from '../helpers/stream';
import { makeTempDir, removeTempDir } from '../helpers/temp';
import { newBlobId } from './helpers';

let root: string;
let store: FolderBlobStore;

beforeAll(async () => {
	root = await makeTempDir('tessera-adopt');
	store = await FolderBlobStore.open(path.join(root, 'blobs'));
});
afterAll(async () => {
	await removeTempDir(root);
});

async function readAll(id: string): Promise<Buffer> {
	const blob = await store.get(id);
	if (!blob) throw new Error('no blob');
	const chunks: Buffer[] = [];
	for await (const chunk of blob.stream) chunks.push(chunk as Buffer);
	return Buffer.concat(chunks);
}

/** A folder on another file system than `root`, when the machine has one (tmpfs /dev/shm). */
async function otherFileSystem(): Promise<string | null> {
	try {
		const [here, there] = await Promise.all([fs.stat(root), fs.stat('/dev/shm')]);
		if (here.dev === there.dev) return null;
		return await fs.mkdtemp('/dev/shm/tessera-adopt-');
	} catch {
		return null;
	}
}

describe('FolderBlobStore.adopt', () => {
	it('moves a file on the same file system into place by rename', async () => {
		const data = randomBytes(100_000);
		const file = path.join(root, 'upload-a');
		await fs.writeFile(file, data);
		const { ino } = await fs.stat(file);
		const id = newBlobId();
		expect(await store.adopt(id, file)).toEqual({ size: data.length });
		await expect(fs.stat(file)).rejects.toThrow(/ENOENT/);
		expect(Buffer.compare(await readAll(id), data)).toBe(0);
		// Same inode: the bytes were not copied.
		expect((await fs.stat(store.pathOf(id))).ino).toBe(ino);
	});

	it('copies a file from another file system through put, then removes it', async (context) => {
		const elsewhere = await otherFileSystem();
		if (!elsewhere) return context.skip();
		try {
			const data = randomBytes(300_000);
			const file = path.join(elsewhere, 'upload-b');
			await fs.writeFile(file, data);
			const id = newBlobId();
			expect(await store.adopt(id, file)).toEqual({ size: data.length });
			await expect(fs.stat(file)).rejects.toThrow(/ENOENT/);
			expect(Buffer.compare(await readAll(id), data)).toBe(0);
		} finally {
			await fs.rm(elsewhere, { recursive: true, force: true });
		}
	});

	it('refuses an id that is not a strict blob id and leaves the file', async () => {
		const file = path.join(root, 'upload-c');
		await fs.writeFile(file, 'x');
		await expect(store.adopt('../escape', file)).rejects.toThrow(/blob id is not valid/);
		expect(await fs.readFile(file, 'utf8')).toBe('x');
	});
});

/** The relay's upload service on `dataDir`'s database, beside the shared blob store. */
async function openUploads(
	dataDir: string,
	now?: () => number
): Promise<{ db: RelayDatabase; uploads: UploadService }> {
	const db = openDatabase(dataDir);
	const uploads = await UploadService.open({
		dir: path.join(dataDir, 'uploads'),
		db,
		accounts: new AccountStore(db),
		blobs: store,
		maxUploadBytes: 1000,
		logger: createLogger('silent'),
		...(now ? { now } : {})
	});
	return { db, uploads };
}

describe('the periodic sweep', () => {
	it('drops uploads whose 24 hours are up, and only those', async () => {
		const dataDir = path.join(root, 'data');
		const account = await seedAccount(dataDir, 'sweeper');
		let now = Date.now();
		const { db, uploads } = await openUploads(dataDir, () => now);
		try {
			const old = uploads.reserve(account.accountId, newBlobId(), 10);
			now += UPLOAD_EXPIRY_MS / 2;
			const young = uploads.reserve(account.accountId, newBlobId(), 10);
			if (!old.ok || !young.ok) throw new Error('reservations refused');
			for (const upload of [old.upload, young.upload]) {
				await fs.writeFile(path.join(dataDir, 'uploads', upload.id), 'partial');
			}
			expect(await uploads.sweep()).toBe(0);

			now += UPLOAD_EXPIRY_MS / 2;
			expect(await uploads.sweep()).toBe(1);
			expect(uploads.records.find(old.upload.id)).toBeUndefined();
			expect(uploads.records.find(young.upload.id)).toBeDefined();
			expect(await fs.readdir(path.join(dataDir, 'uploads'))).toEqual([young.upload.id]);
		} finally {
			await uploads.close();
			db.close();
		}
	});
});

describe('upload records', () => {
	it('make a burst of reservations durable with a few shared WAL flushes, leaving other writes at synchronous = FULL', async () => {
		const dataDir = path.join(root, 'burst');
		const account = await seedAccount(dataDir, 'burst');
		const { db, uploads } = await openUploads(dataDir);
		try {
			const reservations = Array.from({ length: 20 }, () =>
				uploads.reserve(account.accountId, newBlobId(), 10)
			);
			expect(reservations.every((reservation) => reservation.ok)).toBe(true);
			expect(db.pragma('synchronous', { simple: true })).toBe(2);
			expect(uploads.records.walFlushes).toBe(0);
			await Promise.all(reservations.map(() => uploads.records.durable()));
			expect(uploads.records.walFlushes).toBe(1);
			await uploads.records.durable();
			expect(uploads.records.walFlushes).toBe(1);
		} finally {
			await uploads.close();
			db.close();
		}
	});
});
