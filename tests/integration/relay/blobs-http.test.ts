// GET|HEAD /api/blobs/:id: signed-in only; Range, headers, and refusal of every id that is not a strict blobId.

import fs from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import * as v from 'valibot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FolderBlobStore } from '../../../relay/src/blobs';
import { ApiErrorSchema, toBase64Url } from '../../../src/lib/protocol';
import { quickSession } from '../accounts/client';
import { withRelayDatabase } from '../sync/helpers';
import { rawRequest, type RawRequestOptions } from '../helpers/http';
import { startTestRelay, type TestRelay } from '../helpers/relay';
import { listTree } from '../helpers/temp';

const SENTINEL = `sentinel-${randomBytes(8).toString('hex')}`;

let relay: TestRelay;
let blobId: string;
let content: Buffer;
let outsideBefore: string[];
let token: string;

/** A request with a valid session: blobs are only served to signed-in devices. */
function authed(rawPath: string, options: RawRequestOptions = {}) {
	return rawRequest(relay.port, rawPath, {
		...options,
		headers: { Authorization: `Bearer ${token}`, ...options.headers }
	});
}

beforeAll(async () => {
	relay = await startTestRelay();
	// A secret beside DATA_DIR that no request may ever reach.
	await fs.writeFile(path.join(relay.root, 'secret.txt'), SENTINEL);
	await fs.writeFile(path.join(relay.dataDir, 'secret.txt'), SENTINEL);
	outsideBefore = (await listTree(relay.root)).filter((p) => !p.startsWith('data'));

	const store = await FolderBlobStore.open(path.join(relay.dataDir, 'blobs'));
	blobId = toBase64Url(randomBytes(16));
	content = randomBytes(1000);
	await store.put(blobId, [content.subarray(0, 300), content.subarray(300)]);
	token = await quickSession(relay.port, relay.dataDir, 'blob-reader@example.com');
	// The blob is this account's own upload: the relay serves blobs to their uploader and to
	// members of albums they are bound to (docs/uploads.md, Blob access).
	withRelayDatabase(relay.dataDir, (db) =>
		db
			.prepare(
				`INSERT INTO blobs (blob_id, owner_account_id, size, created_at)
				SELECT ?, account_id, ?, ? FROM accounts WHERE email = ?`
			)
			.run(blobId, content.length, Date.now(), 'blob-reader@example.com')
	);
});

afterAll(async () => {
	await relay?.stop();
});

describe('serving a blob', () => {
	it('refuses requests without a valid session with 401', async () => {
		for (const headers of [
			{} as Record<string, string>,
			{ Authorization: 'Bearer' },
			{ Authorization: `Bearer ${toBase64Url(randomBytes(32))}` },
			{ Authorization: `Basic ${token}` }
		]) {
			const res = await rawRequest(relay.port, `/api/blobs/${blobId}`, { headers });
			expect(res.status).toBe(401);
			expect(v.parse(ApiErrorSchema, res.json()).error.code).toBe('unauthenticated');
			expect(res.body.includes(content)).toBe(false);
		}
	});

	it('sends the whole blob as opaque octets that the browser must not sniff or cache', async () => {
		const res = await authed(`/api/blobs/${blobId}`);
		expect(res.status).toBe(200);
		expect(Buffer.compare(res.body, content)).toBe(0);
		expect(res.headers['content-type']).toBe('application/octet-stream');
		expect(res.headers['x-content-type-options']).toBe('nosniff');
		expect(res.headers['cache-control']).toBe('private, no-store');
		expect(res.headers['accept-ranges']).toBe('bytes');
		expect(res.headers['content-length']).toBe('1000');
	});

	it('sends a byte range with 206 and Content-Range', async () => {
		const res = await authed(`/api/blobs/${blobId}`, {
			headers: { Range: 'bytes=100-199' }
		});
		expect(res.status).toBe(206);
		expect(res.headers['content-range']).toBe('bytes 100-199/1000');
		expect(res.headers['content-length']).toBe('100');
		expect(Buffer.compare(res.body, content.subarray(100, 200))).toBe(0);
	});

	it('sends open-ended and suffix ranges', async () => {
		const tail = await authed(`/api/blobs/${blobId}`, {
			headers: { Range: 'bytes=990-' }
		});
		expect(tail.status).toBe(206);
		expect(Buffer.compare(tail.body, content.subarray(990))).toBe(0);

		const suffix = await authed(`/api/blobs/${blobId}`, {
			headers: { Range: 'bytes=-5' }
		});
		expect(suffix.headers['content-range']).toBe('bytes 995-999/1000');
		expect(Buffer.compare(suffix.body, content.subarray(995))).toBe(0);

		const clamped = await authed(`/api/blobs/${blobId}`, {
			headers: { Range: 'bytes=998-5000' }
		});
		expect(clamped.headers['content-range']).toBe('bytes 998-999/1000');
	});

	it('answers a range past the end with 416 and the size', async () => {
		const res = await authed(`/api/blobs/${blobId}`, {
			headers: { Range: 'bytes=1000-' }
		});
		expect(res.status).toBe(416);
		expect(res.headers['content-range']).toBe('bytes */1000');
		expect(v.parse(ApiErrorSchema, res.json()).error.code).toBe('range-not-satisfiable');
	});

	it('ignores a Range it does not serve and sends the whole blob', async () => {
		for (const range of ['bytes=0-1,5-6', 'items=0-1', 'bytes=9-3']) {
			const res = await authed(`/api/blobs/${blobId}`, {
				headers: { Range: range }
			});
			expect(res.status, range).toBe(200);
			expect(res.body.length).toBe(1000);
		}
	});

	it('answers HEAD with the headers and no body', async () => {
		const res = await authed(`/api/blobs/${blobId}`, { method: 'HEAD' });
		expect(res.status).toBe(200);
		expect(res.headers['content-length']).toBe('1000');
		expect(res.headers['content-type']).toBe('application/octet-stream');
		expect(res.body.length).toBe(0);

		const ranged = await authed(`/api/blobs/${blobId}`, {
			method: 'HEAD',
			headers: { Range: 'bytes=0-9' }
		});
		expect(ranged.status).toBe(206);
		expect(ranged.headers['content-length']).toBe('10');
	});

	it('answers a well-formed id without a blob with 404', async () => {
		const res = await authed(`/api/blobs/${toBase64Url(randomBytes(16))}`);
		expect(res.status).toBe(404);
		expect(v.parse(ApiErrorSchema, res.json()).error.code).toBe('blob-not-found');
	});
});

describe('hostile blob ids', () => {
	const hostile = [
		'../x',
		'../secret.txt',
		'../../secret.txt',
		'..%2f..%2fetc%2fpasswd',
		'..%2Fsecret.txt',
		'%2e%2e%2f',
		'%2e%2e%2fsecret.txt',
		'%252e%252e%252fsecret.txt',
		'%00',
		`${'A'.repeat(22)}%00`,
		'/etc/passwd',
		'%2Fetc%2Fpasswd',
		'%2F' + encodeURIComponent(path.join(process.cwd(), 'package.json')),
		'..\\..\\secret.txt',
		'A'.repeat(44),
		'A'.repeat(10_000),
		`${'A'.repeat(20)}.txt`,
		`${'A'.repeat(22)}.`,
		'secret.txt',
		'.',
		'..',
		`${toBase64Url(randomBytes(16))}/../../secret.txt`,
		`${toBase64Url(randomBytes(16))}=`
	];

	it.each(hostile)('%s -> 400 with a JSON error', async (id) => {
		const res = await authed(`/api/blobs/${id}`);
		expect(res.status).toBe(400);
		const error = v.parse(ApiErrorSchema, res.json()).error;
		expect(['invalid-blob-id', 'malformed-url']).toContain(error.code);
		expect(error.message.length).toBeGreaterThan(10);
		expect(res.text).not.toContain(SENTINEL);
	});

	it('never serves the sentinel and never writes outside DATA_DIR', async () => {
		for (const id of hostile) {
			for (const method of ['GET', 'HEAD']) {
				const res = await authed(`/api/blobs/${id}`, { method });
				expect(res.text).not.toContain(SENTINEL);
			}
		}
		const outsideAfter = (await listTree(relay.root)).filter((p) => !p.startsWith('data'));
		expect(outsideAfter).toEqual(outsideBefore);
	});
});
