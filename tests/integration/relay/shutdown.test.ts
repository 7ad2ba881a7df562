// Relay.close(): in-flight downloads finish, websockets get 1001, then nothing is accepted.

import { randomBytes } from 'node:crypto';
import http from 'node:http';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FolderBlobStore } from '../../../relay/src/blobs';
import { toBase64Url } from '../../../src/lib/protocol';
import { quickSession } from '../accounts/client';
import { withRelayDatabase } from '../sync/helpers';
import { startTestRelay } from '../helpers/relay';
import { connect } from '../helpers/ws';

describe('Relay.close', () => {
	it('lets an in-flight download finish, closes websockets with 1001, then refuses connections', async () => {
		const relay = await startTestRelay();
		try {
			const store = await FolderBlobStore.open(path.join(relay.dataDir, 'blobs'));
			const blobId = toBase64Url(randomBytes(16));
			// Bigger than the socket buffers, so the response cannot complete until the client reads.
			const content = randomBytes(16 * 1024 * 1024);
			await store.put(blobId, [content]);

			const token = await quickSession(relay.port, relay.dataDir, 'reader@example.com');
			// The blob is this account's own upload: the relay serves blobs to their uploader and to
			// members of albums they are bound to (docs/uploads.md, Blob access).
			withRelayDatabase(relay.dataDir, (db) =>
				db
					.prepare(
						`INSERT INTO blobs (blob_id, owner_account_id, size, created_at)
						SELECT ?, account_id, ?, ? FROM accounts WHERE email = ?`
					)
					.run(blobId, content.length, Date.now(), 'reader@example.com')
			);
			const client = await connect(relay.url);
			const response = await new Promise<http.IncomingMessage>((resolve, reject) => {
				http
					.get(
						{
							host: '127.0.0.1',
							port: relay.port,
							path: `/api/blobs/${blobId}`,
							headers: { Authorization: `Bearer ${token}` },
							agent: false
						},
						resolve
					)
					.on('error', reject);
			});
			response.pause();
			expect(response.statusCode).toBe(200);

			const closing = relay.relay.close();
			expect(await client.closed).toEqual({ code: 1001, reason: 'relay shutting down' });

			const chunks: Buffer[] = [];
			response.on('data', (chunk: Buffer) => chunks.push(chunk));
			response.resume();
			await new Promise((resolve) => response.on('end', resolve));
			expect(Buffer.compare(Buffer.concat(chunks), content)).toBe(0);

			await closing;
			await expect(fetch(`${relay.url}/api/health`)).rejects.toThrow();
		} finally {
			await relay.stop();
		}
	});
});
