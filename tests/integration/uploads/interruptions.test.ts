// Uploads cut short while the relay runs: a client that drops mid-PATCH keeps what arrived; bytes never left half-finished.

import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedAccount, type SeededAccount } from '../helpers/stream';
import { startTestRelay, type TestRelay } from '../helpers/relay';
import { createUpload, getBlob, MiB, newBlobId, patchUpload, tusRequest, usageOf } from './helpers';

let relay: TestRelay;
let account: SeededAccount;

beforeAll(async () => {
	relay = await startTestRelay();
	account = await seedAccount(relay.dataDir, 'uploader');
});
afterAll(async () => {
	await relay?.stop();
});

function fileOf(location: string): string {
	return path.join(relay.dataDir, 'uploads', path.basename(location));
}

async function sizeOf(file: string): Promise<number> {
	return (await fs.stat(file)).size;
}

describe('a client that goes away in the middle of a PATCH', () => {
	it('keeps the bytes that arrived, and the upload resumes from them', async () => {
		const data = randomBytes(8 * MiB);
		const blobId = newBlobId();
		const created = await createUpload(relay.port, account.token, blobId, data.length);
		const location = created.headers.location!;

		const req = http.request({
			host: '127.0.0.1',
			port: relay.port,
			path: location,
			method: 'PATCH',
			agent: false,
			headers: {
				'Tus-Resumable': '1.0.0',
				Authorization: `Bearer ${account.token}`,
				'Upload-Offset': 0,
				'Content-Type': 'application/offset+octet-stream',
				'Content-Length': data.length
			}
		});
		req.on('error', () => {
			// destroyed on purpose below
		});
		req.write(data.subarray(0, 6 * MiB));
		while ((await sizeOf(fileOf(location))) === 0) await new Promise((r) => setTimeout(r, 5));
		req.destroy();

		// Once the relay has noticed, HEAD tells where to go on: past everything written so far. A
		// 409 means the offset moved between the HEAD and the PATCH (the relay was still finishing the
		// cut request): ask again, as every tus client does.
		let rest: Awaited<ReturnType<typeof patchUpload>> | undefined;
		for (let attempt = 0; attempt < 5; attempt++) {
			let offset: number;
			for (;;) {
				const head = await tusRequest(relay.port, 'HEAD', location, { token: account.token });
				offset = Number(head.headers['upload-offset']);
				if (head.status === 200 && offset === (await sizeOf(fileOf(location)))) break;
			}
			expect(offset).toBeGreaterThan(0);
			expect(offset).toBeLessThanOrEqual(6 * MiB);
			rest = await patchUpload(relay.port, account.token, location, offset, data.subarray(offset));
			if (rest.status !== 409) break;
		}
		expect(rest?.status).toBe(204);
		const blob = await getBlob(relay.port, account.token, blobId);
		expect(Buffer.compare(blob.body, data)).toBe(0);
	});
});

describe('an upload whose bytes all arrived but which did not become a blob', () => {
	it('is finished when its client asks for the offset, so "complete" always means stored', async () => {
		const data = randomBytes(100_000);
		const blobId = newBlobId();
		const before = await usageOf(relay.port, account.token);
		const created = await createUpload(relay.port, account.token, blobId, data.length);
		const location = created.headers.location!;
		await patchUpload(relay.port, account.token, location, 0, data.subarray(0, 60_000));
		// As if the last PATCH had written and fsynced its bytes and then failed to finish.
		await fs.appendFile(fileOf(location), data.subarray(60_000));
		expect((await getBlob(relay.port, account.token, blobId)).status).toBe(404);

		const head = await tusRequest(relay.port, 'HEAD', location, { token: account.token });
		expect(head.status).toBe(200);
		expect(head.headers['upload-offset']).toBe(String(data.length));
		expect(head.headers['upload-length']).toBe(String(data.length));
		const blob = await getBlob(relay.port, account.token, blobId);
		expect(Buffer.compare(blob.body, data)).toBe(0);
		expect(await usageOf(relay.port, account.token)).toBe(before + data.length);
		await expect(fs.stat(fileOf(location))).rejects.toThrow(/ENOENT/);
	});
});
