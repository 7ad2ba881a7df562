// I8 for uploads: kill -9 of the relay in the middle of a PATCH; acknowledged bytes survive and tus-js-client resumes to a byte-identical blob.

import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedAccount } from '../helpers/stream';
import { makeTempDir, removeTempDir } from '../helpers/temp';
import {
	createUpload,
	getBlob,
	MiB,
	newBlobId,
	patchUpload,
	spawnRelay,
	tusRequest,
	tusUpload,
	usageOf,
	type RelayProcess
} from './helpers';

let root: string;
const children: RelayProcess[] = [];

beforeAll(async () => {
	root = await makeTempDir('tessera-upload-crash');
});
afterAll(async () => {
	for (const relay of children) if (relay.child.exitCode === null) relay.child.kill('SIGKILL');
	await removeTempDir(root);
});

function start(dataDir: string): RelayProcess {
	const relay = spawnRelay(root, dataDir);
	children.push(relay);
	return relay;
}

/** Starts a PATCH of `body` but sends only its first `sent` bytes; the request stays open. */
function startPartialPatch(
	port: number,
	token: string,
	location: string,
	offset: number,
	body: Buffer,
	sent: number
): http.ClientRequest {
	const req = http.request({
		host: '127.0.0.1',
		port,
		path: location,
		method: 'PATCH',
		agent: false,
		headers: {
			'Tus-Resumable': '1.0.0',
			Authorization: `Bearer ${token}`,
			'Upload-Offset': offset,
			'Content-Type': 'application/offset+octet-stream',
			'Content-Length': body.length
		}
	});
	req.on('error', () => {
		// the relay dies under this request: that is the point
	});
	req.write(body.subarray(0, sent));
	return req;
}

async function sizeOf(file: string): Promise<number> {
	try {
		return (await fs.stat(file)).size;
	} catch {
		return 0;
	}
}

describe('a relay killed with SIGKILL in the middle of an upload', () => {
	it('keeps every acknowledged byte, and the upload resumes to a byte-identical blob', async () => {
		const dataDir = path.join(root, 'data');
		const account = await seedAccount(dataDir, 'uploader');
		const data = randomBytes(10 * MiB);
		const blobId = newBlobId();

		let relay = start(dataDir);
		const port = Number(new URL(await relay.url).port);
		const created = await createUpload(port, account.token, blobId, data.length);
		expect(created.status).toBe(201);
		const location = created.headers.location!;
		const acked = await patchUpload(port, account.token, location, 0, data.subarray(0, 2 * MiB));
		expect(acked.status).toBe(204);

		// The next PATCH is on the wire: part of it has reached the relay's disk when it dies (6 MiB
		// sent is more than the relay gathers before a write).
		const file = path.join(dataDir, 'uploads', path.basename(location));
		const inFlight = startPartialPatch(
			port,
			account.token,
			location,
			2 * MiB,
			data.subarray(2 * MiB),
			6 * MiB
		);
		while ((await sizeOf(file)) <= 2 * MiB) await new Promise((r) => setTimeout(r, 5));
		relay.child.kill('SIGKILL');
		expect(await relay.exited).toBe('SIGKILL');
		inFlight.destroy();

		relay = start(dataDir);
		const url = await relay.url;
		const newPort = Number(new URL(url).port);
		const head = await tusRequest(newPort, 'HEAD', location, { token: account.token });
		expect(head.status).toBe(200);
		const offset = Number(head.headers['upload-offset']);
		expect(offset).toBeGreaterThan(2 * MiB);
		expect(offset).toBeLessThanOrEqual(8 * MiB);

		// tus-js-client asks the relay where to go on and sends only the rest.
		let firstAccepted: number | undefined;
		const resumed = await tusUpload(data, {
			token: account.token,
			uploadUrl: `${url}${location}`,
			chunkSize: 1 * MiB,
			onChunkComplete: (chunk, accepted) => (firstAccepted ??= accepted - chunk)
		});
		expect(resumed).toMatchObject({ ok: true });
		expect(firstAccepted).toBe(offset);

		const blob = await getBlob(newPort, account.token, blobId);
		expect(blob.status).toBe(200);
		expect(Buffer.compare(blob.body, data)).toBe(0);
		expect(await usageOf(newPort, account.token)).toBe(data.length);
		expect(await fs.readdir(path.join(dataDir, 'uploads'))).toEqual([]);
		relay.child.kill('SIGKILL');
		await relay.exited;
	});
});
