// /api/uploads (tus 1.0.0): upload and download, sessions, ownership, metadata, duplicates, size and quota limits, usage.

import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DetailedError } from 'tus-js-client';
import { seedAccount, type SeededAccount } from '../helpers/stream';
import { startTestRelay, type TestRelay } from '../helpers/relay';
import {
	createUpload,
	errorOf,
	getBlob,
	KiB,
	metadataHeader,
	MiB,
	newBlobId,
	patchUpload,
	setQuota,
	tusRequest,
	tusUpload,
	usageOf
} from './helpers';

const MAX_UPLOAD_BYTES = 8 * MiB;

let relay: TestRelay;
let alice: SeededAccount;
let bob: SeededAccount;

beforeAll(async () => {
	relay = await startTestRelay({ MAX_UPLOAD_BYTES: String(MAX_UPLOAD_BYTES) });
	alice = await seedAccount(relay.dataDir, 'alice');
	bob = await seedAccount(relay.dataDir, 'bob');
});

afterAll(async () => {
	await relay?.stop();
});

/** A fresh account with a quota, for tests that fill it. */
async function accountWithQuota(name: string, quotaBytes: number): Promise<SeededAccount> {
	const account = await seedAccount(relay.dataDir, name);
	setQuota(relay.dataDir, account.accountId, quotaBytes);
	return account;
}

function uploadFiles(): Promise<string[]> {
	return fs.readdir(path.join(relay.dataDir, 'uploads'));
}

describe('uploading a blob with tus-js-client', () => {
	it('stores the bytes under the blob id, served back byte for byte, Range included', async () => {
		const data = randomBytes(3 * MiB + 123);
		const blobId = newBlobId();
		const before = await usageOf(relay.port, alice.token);
		const outcome = await tusUpload(data, {
			token: alice.token,
			endpoint: `${relay.url}/api/uploads`,
			metadata: { blobId },
			chunkSize: 512 * KiB
		});
		if (!outcome.ok) throw outcome.error;

		const blob = await getBlob(relay.port, alice.token, blobId);
		expect(blob.status).toBe(200);
		expect(Buffer.compare(blob.body, data)).toBe(0);
		const range = await tusRequest(relay.port, 'GET', `/api/blobs/${blobId}`, {
			token: alice.token,
			headers: { Range: 'bytes=1000-1999' }
		});
		expect(range.status).toBe(206);
		expect(Buffer.compare(range.body, data.subarray(1000, 2000))).toBe(0);

		// The account's usage grew by exactly the blob's size; nothing is left in the upload folder.
		expect(await usageOf(relay.port, alice.token)).toBe(before + data.length);
		expect(await uploadFiles()).not.toContain(path.basename(outcome.url));
	});

	it('surfaces a full storage as 413 quota-exceeded with its message', async () => {
		const carol = await accountWithQuota('carol', 1 * MiB);
		const outcome = await tusUpload(randomBytes(2 * MiB), {
			token: carol.token,
			endpoint: `${relay.url}/api/uploads`,
			metadata: { blobId: newBlobId() }
		});
		expect(outcome.ok).toBe(false);
		const response = (!outcome.ok && (outcome.error as DetailedError).originalResponse) || null;
		expect(response?.getStatus()).toBe(413);
		expect(JSON.parse(response?.getBody() ?? '{}')).toEqual({
			error: { code: 'quota-exceeded', message: 'Your storage is full' }
		});
	});

	it('stops with 413 quota-exceeded when the quota is lowered in the middle of an upload', async () => {
		const dave = await accountWithQuota('dave', 10 * MiB);
		const blobId = newBlobId();
		let lowered = false;
		const outcome = await tusUpload(randomBytes(4 * MiB), {
			token: dave.token,
			endpoint: `${relay.url}/api/uploads`,
			metadata: { blobId },
			chunkSize: 512 * KiB,
			onChunkComplete: (_chunk, accepted) => {
				if (accepted >= 1 * MiB && !lowered) {
					lowered = true;
					setQuota(relay.dataDir, dave.accountId, 2 * MiB);
				}
			}
		});
		expect(lowered).toBe(true);
		expect(outcome.ok).toBe(false);
		const response = (!outcome.ok && (outcome.error as DetailedError).originalResponse) || null;
		expect(response?.getStatus()).toBe(413);
		expect(JSON.parse(response?.getBody() ?? '{}')).toEqual({
			error: { code: 'quota-exceeded', message: 'Your storage is full' }
		});
		// Nothing was stored; once the quota is raised again the same upload goes on where it stopped.
		expect((await getBlob(relay.port, dave.token, blobId)).status).toBe(404);
		setQuota(relay.dataDir, dave.accountId, 10 * MiB);
		const location = new URL(outcome.url ?? '').pathname;
		const head = await tusRequest(relay.port, 'HEAD', location, { token: dave.token });
		expect(head.status).toBe(200);
		expect(Number(head.headers['upload-offset'])).toBeGreaterThanOrEqual(1 * MiB);
	});
});

describe('the tus protocol on /api/uploads', () => {
	it('creates an upload with a relative Location, a 24 h Upload-Expires and the relay headers', async () => {
		const res = await createUpload(relay.port, alice.token, newBlobId(), 1000);
		expect(res.status).toBe(201);
		expect(res.headers.location).toMatch(/^\/api\/uploads\/[0-9a-f]{32}$/);
		expect(res.headers['tus-resumable']).toBe('1.0.0');
		const expires = Date.parse(String(res.headers['upload-expires']));
		expect(Math.abs(expires - (Date.now() + 24 * 3600_000))).toBeLessThan(60_000);
		// The relay's security headers, and no CORS grant: only the app's own origin can read this.
		expect(res.headers['content-security-policy']).toContain("default-src 'self'");
		expect(res.headers['x-content-type-options']).toBe('nosniff');
		expect(res.headers['access-control-allow-origin']).toBeUndefined();

		const head = await tusRequest(relay.port, 'HEAD', res.headers.location!, {
			token: alice.token
		});
		expect(head.status).toBe(200);
		expect(head.headers['upload-offset']).toBe('0');
		expect(head.headers['upload-length']).toBe('1000');
		expect(head.headers['cache-control']).toBe('no-store');
	});

	it('announces the contract in OPTIONS: tus 1.0.0, its extensions and the size limit', async () => {
		const res = await tusRequest(relay.port, 'OPTIONS', '/api/uploads', { token: alice.token });
		expect(res.status).toBe(204);
		expect(res.headers['tus-version']).toBe('1.0.0');
		expect(res.headers['tus-extension']).toBe('creation,termination,expiration');
		expect(res.headers['tus-max-size']).toBe(String(MAX_UPLOAD_BYTES));
		expect(res.headers['access-control-allow-origin']).toBeUndefined();
	});

	it('resumes from the offset it reports, refuses a wrong offset, and finishes with 204', async () => {
		const data = randomBytes(300 * KiB);
		const blobId = newBlobId();
		const created = await createUpload(relay.port, alice.token, blobId, data.length);
		const location = created.headers.location!;
		const first = await patchUpload(
			relay.port,
			alice.token,
			location,
			0,
			data.subarray(0, 100_000)
		);
		expect(first.status).toBe(204);
		expect(first.headers['upload-offset']).toBe('100000');

		const wrong = await patchUpload(relay.port, alice.token, location, 0, data.subarray(0, 10));
		expect(wrong.status).toBe(409);
		const head = await tusRequest(relay.port, 'HEAD', location, { token: alice.token });
		expect(head.headers['upload-offset']).toBe('100000');

		const rest = await patchUpload(
			relay.port,
			alice.token,
			location,
			100_000,
			data.subarray(100_000)
		);
		expect(rest.status).toBe(204);
		expect(rest.headers['upload-offset']).toBe(String(data.length));
		const blob = await getBlob(relay.port, alice.token, blobId);
		expect(Buffer.compare(blob.body, data)).toBe(0);
		// A finished upload is gone as an upload: its blob is what remains.
		const after = await tusRequest(relay.port, 'HEAD', location, { token: alice.token });
		expect(after.status).toBe(404);
	});

	it('refuses bytes beyond Upload-Length', async () => {
		const created = await createUpload(relay.port, alice.token, newBlobId(), 100);
		const res = await patchUpload(
			relay.port,
			alice.token,
			created.headers.location!,
			0,
			randomBytes(101)
		);
		expect(res.status).toBe(413);
	});

	it('terminates an upload with DELETE, freeing its blob id', async () => {
		const blobId = newBlobId();
		const created = await createUpload(relay.port, alice.token, blobId, 5000);
		const location = created.headers.location!;
		await patchUpload(relay.port, alice.token, location, 0, randomBytes(2000));
		const res = await tusRequest(relay.port, 'DELETE', location, { token: alice.token });
		expect(res.status).toBe(204);
		expect((await tusRequest(relay.port, 'HEAD', location, { token: alice.token })).status).toBe(
			404
		);
		expect(await uploadFiles()).not.toContain(path.basename(location));
		expect((await createUpload(relay.port, alice.token, blobId, 5000)).status).toBe(201);
	});

	it('answers other methods with 405 and the JSON error shape', async () => {
		const created = await createUpload(relay.port, alice.token, newBlobId(), 10);
		const res = await tusRequest(relay.port, 'GET', created.headers.location!, {
			token: alice.token
		});
		expect(res.status).toBe(405);
		expect(res.headers.allow).toBe('HEAD, PATCH, DELETE');
		expect(errorOf(res).code).toBe('method-not-allowed');
	});
});

describe('who may upload', () => {
	it('refuses every request without a live session with 401', async () => {
		const created = await createUpload(relay.port, alice.token, newBlobId(), 10);
		const location = created.headers.location!;
		const attempts = [
			tusRequest(relay.port, 'POST', '/api/uploads', {
				headers: { 'Upload-Length': 10, 'Upload-Metadata': metadataHeader({ blobId: newBlobId() }) }
			}),
			tusRequest(relay.port, 'HEAD', location),
			tusRequest(relay.port, 'PATCH', location, {
				headers: { 'Upload-Offset': 0, 'Content-Type': 'application/offset+octet-stream' },
				body: randomBytes(10)
			}),
			tusRequest(relay.port, 'DELETE', location, { token: toBase64UrlToken() }),
			tusRequest(relay.port, 'OPTIONS', '/api/uploads')
		];
		for (const res of await Promise.all(attempts)) {
			expect(res.status).toBe(401);
			expect(res.headers['www-authenticate']).toBe('Bearer');
			if (res.text) expect(errorOf(res).code).toBe('unauthenticated');
		}
		const head = await tusRequest(relay.port, 'HEAD', location, { token: alice.token });
		expect(head.headers['upload-offset']).toBe('0');
	});

	it("answers 404 to another account's HEAD, PATCH and DELETE, and leaves the upload alone", async () => {
		const created = await createUpload(relay.port, alice.token, newBlobId(), 10);
		const location = created.headers.location!;
		for (const res of [
			await tusRequest(relay.port, 'HEAD', location, { token: bob.token }),
			await patchUpload(relay.port, bob.token, location, 0, randomBytes(10)),
			await tusRequest(relay.port, 'DELETE', location, { token: bob.token })
		]) {
			expect(res.status).toBe(404);
			if (res.text) expect(errorOf(res).code).toBe('upload-not-found');
		}
		const head = await tusRequest(relay.port, 'HEAD', location, { token: alice.token });
		expect(head.status).toBe(200);
		expect(head.headers['upload-offset']).toBe('0');
	});

	it('answers 404 for an upload id that does not exist or is not an upload id', async () => {
		for (const id of ['0123456789abcdef0123456789abcdef', 'nope', 'a/b']) {
			const res = await tusRequest(relay.port, 'DELETE', `/api/uploads/${id}`, {
				token: alice.token
			});
			expect(res.status).toBe(404);
			expect(errorOf(res).code).toBe('upload-not-found');
		}
		const traversal = await tusRequest(relay.port, 'DELETE', '/api/uploads/..%2f..%2fetc', {
			token: alice.token
		});
		expect(traversal.status).toBe(400);
	});
});

describe('what an upload may declare', () => {
	it('refuses missing or bad blobId metadata, and any other key, with 400', async () => {
		const cases: (string | undefined)[] = [
			undefined,
			'',
			metadataHeader({ blobId: 'short' }),
			metadataHeader({ blobId: `${newBlobId()}=` }),
			`blobId ${newBlobId()}`,
			'blobId',
			metadataHeader({ blobId: newBlobId(), filename: 'IMG_0001.jpg' }),
			metadataHeader({ filetype: 'image/jpeg' }),
			`${metadataHeader({ blobId: newBlobId() })},${metadataHeader({ blobId: newBlobId() })}`
		];
		const filesBefore = await uploadFiles();
		for (const metadata of cases) {
			const res = await tusRequest(relay.port, 'POST', '/api/uploads', {
				token: alice.token,
				headers: {
					'Upload-Length': 10,
					...(metadata === undefined ? {} : { 'Upload-Metadata': metadata })
				}
			});
			expect(res.status, String(metadata)).toBe(400);
			expect(errorOf(res).code).toBe('invalid-upload-metadata');
		}
		const named = await tusRequest(relay.port, 'POST', '/api/uploads', {
			token: alice.token,
			headers: {
				'Upload-Length': 10,
				'Upload-Metadata': metadataHeader({ blobId: newBlobId(), filename: 'x' })
			}
		});
		expect(errorOf(named).message).toMatch(/may only carry blobId; "filename" is not accepted/);
		expect(await uploadFiles()).toEqual(filesBefore);
	});

	it('requires Upload-Length: no deferred length, no zero, no garbage', async () => {
		const metadata = metadataHeader({ blobId: newBlobId() });
		const attempts: Record<string, string | number>[] = [
			{ 'Upload-Metadata': metadata },
			{ 'Upload-Metadata': metadata, 'Upload-Defer-Length': 1 },
			{ 'Upload-Metadata': metadata, 'Upload-Length': '0' },
			{ 'Upload-Metadata': metadata, 'Upload-Length': '-5' },
			{ 'Upload-Metadata': metadata, 'Upload-Length': '1e6' }
		];
		for (const headers of attempts) {
			const res = await tusRequest(relay.port, 'POST', '/api/uploads', {
				token: alice.token,
				headers
			});
			expect(res.status).toBe(400);
			expect(errorOf(res).code).toBe('invalid-upload-length');
		}
	});

	it('refuses an Upload-Length over MAX_UPLOAD_BYTES with 413 upload-too-large', async () => {
		const res = await createUpload(relay.port, alice.token, newBlobId(), MAX_UPLOAD_BYTES + 1);
		expect(res.status).toBe(413);
		expect(errorOf(res)).toEqual({
			code: 'upload-too-large',
			message: 'This file is too large: this relay takes files of up to 8 MiB.'
		});
		expect(
			(await createUpload(relay.port, alice.token, newBlobId(), MAX_UPLOAD_BYTES)).status
		).toBe(201);
	});

	it('answers 409 for a blob id that is stored or being uploaded', async () => {
		const blobId = newBlobId();
		const created = await createUpload(relay.port, alice.token, blobId, 10);
		const again = await createUpload(relay.port, alice.token, blobId, 10);
		expect(again.status).toBe(409);
		expect(errorOf(again).code).toBe('upload-in-progress');
		// The earlier upload's URL, for a client that lost it.
		expect(again.headers.location).toBe(created.headers.location);
		const byBob = await createUpload(relay.port, bob.token, blobId, 10);
		expect(byBob.status).toBe(409);
		expect(errorOf(byBob).code).toBe('blob-id-taken');
		expect(byBob.headers.location).toBeUndefined();

		await patchUpload(relay.port, alice.token, created.headers.location!, 0, randomBytes(10));
		const stored = await createUpload(relay.port, alice.token, blobId, 10);
		expect(stored.status).toBe(409);
		expect(errorOf(stored).code).toBe('blob-exists');
		expect(errorOf(await createUpload(relay.port, bob.token, blobId, 10)).code).toBe(
			'blob-id-taken'
		);
	});
});

describe('quota', () => {
	it('counts stored blobs and uploads in flight when an upload is created', async () => {
		const erin = await accountWithQuota('erin', 100 * KiB);
		const first = await createUpload(relay.port, erin.token, newBlobId(), 40 * KiB);
		expect(first.status).toBe(201);
		await patchUpload(relay.port, erin.token, first.headers.location!, 0, randomBytes(40 * KiB));
		expect(await usageOf(relay.port, erin.token)).toBe(40 * KiB);

		// 40 KiB stored + 50 KiB reserved: 10 KiB left.
		const second = await createUpload(relay.port, erin.token, newBlobId(), 50 * KiB);
		expect(second.status).toBe(201);
		const over = await createUpload(relay.port, erin.token, newBlobId(), 10 * KiB + 1);
		expect(over.status).toBe(413);
		expect(errorOf(over)).toEqual({ code: 'quota-exceeded', message: 'Your storage is full' });
		expect((await createUpload(relay.port, erin.token, newBlobId(), 10 * KiB)).status).toBe(201);

		// Cancelling an upload gives its reservation back.
		await tusRequest(relay.port, 'DELETE', second.headers.location!, { token: erin.token });
		expect((await createUpload(relay.port, erin.token, newBlobId(), 50 * KiB)).status).toBe(201);
	});

	it('refuses the next PATCH with 413 once the quota is lowered, and takes it again when raised', async () => {
		const frank = await accountWithQuota('frank', 1 * MiB);
		const data = randomBytes(200 * KiB);
		const created = await createUpload(relay.port, frank.token, newBlobId(), data.length);
		const location = created.headers.location!;
		expect(
			(await patchUpload(relay.port, frank.token, location, 0, data.subarray(0, 1000))).status
		).toBe(204);
		setQuota(relay.dataDir, frank.accountId, 100 * KiB);
		const refused = await patchUpload(relay.port, frank.token, location, 1000, data.subarray(1000));
		expect(refused.status).toBe(413);
		expect(errorOf(refused)).toEqual({ code: 'quota-exceeded', message: 'Your storage is full' });
		const head = await tusRequest(relay.port, 'HEAD', location, { token: frank.token });
		expect(head.headers['upload-offset']).toBe('1000');

		setQuota(relay.dataDir, frank.accountId, 1 * MiB);
		const done = await patchUpload(relay.port, frank.token, location, 1000, data.subarray(1000));
		expect(done.status).toBe(204);
		expect(await usageOf(relay.port, frank.token)).toBe(data.length);
	});
});

function toBase64UrlToken(): string {
	return randomBytes(32).toString('base64url');
}
