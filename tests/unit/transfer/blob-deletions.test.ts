// BlobDeletions: what it sends for each relay answer, and what it waits for first.

import { afterEach, describe, expect, it } from 'vitest';
import type { DeviceSealed } from '../../../src/lib/local/db';
import type { Envelope } from '../../../src/lib/protocol';
import { BlobDeletions } from '../../../src/lib/transfer';
import { eventually } from '../../integration/sync/helpers';
import { closeDatabases, freshDatabase } from './helpers';

afterEach(() => closeDatabases());

/** A relay that answers each DELETE with the next status of `replies` ('offline': no answer). */
function scriptedRelay(replies: (number | 'offline')[]) {
	const calls: string[] = [];
	const fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
		calls.push(
			`${init?.method} ${String(input)} ${new Headers(init?.headers).get('authorization')}`
		);
		const next = replies.shift() ?? 204;
		if (next === 'offline') throw new TypeError('Failed to fetch');
		return new Response(null, { status: next });
	}) as typeof globalThis.fetch;
	return { calls, fetch };
}

function deletionsOn(db = freshDatabase(), replies: (number | 'offline')[] = []) {
	const relay = scriptedRelay(replies);
	const deletions = new BlobDeletions({
		db,
		baseUrl: 'https://relay.test',
		token: () => 'token',
		fetch: relay.fetch,
		retryDelays: [10, 20]
	});
	return { db, deletions, calls: relay.calls };
}

const settled = (deletions: BlobDeletions) =>
	eventually(
		async () => deletions.state === 'idle' && (await deletions.pending()) === 0,
		'the queue to empty'
	);

describe('BlobDeletions', () => {
	it('sends each blob once, naming the album it left, and forgets it when freed, kept or gone', async () => {
		const { deletions, calls } = deletionsOn(undefined, [204, 409, 404]);
		await deletions.enqueue(['blob-a', 'blob-b', 'blob-c'], 'library-1');
		await settled(deletions);
		expect(calls.sort()).toEqual([
			'DELETE https://relay.test/api/blobs/blob-a?album=library-1 Bearer token',
			'DELETE https://relay.test/api/blobs/blob-b?album=library-1 Bearer token',
			'DELETE https://relay.test/api/blobs/blob-c?album=library-1 Bearer token'
		]);
	});

	it('tries again later when the relay cannot be reached or is busy', async () => {
		const { deletions, calls } = deletionsOn(undefined, ['offline', 503, 204]);
		await deletions.enqueue(['blob-a'], 'library-1');
		await settled(deletions);
		expect(calls).toHaveLength(3);
	});

	it('keeps the queue in the device database for the next start, and stops when the session ended', async () => {
		const first = deletionsOn(undefined, [401]);
		await first.deletions.enqueue(['blob-a'], 'library-1');
		await eventually(() => first.deletions.state === 'session-ended', 'the 401');
		expect(await first.deletions.pending()).toBe(1);
		first.deletions.stop();

		const next = deletionsOn(first.db, [204]);
		await next.deletions.flush();
		await settled(next.deletions);
		expect(next.calls).toHaveLength(1);
	});

	it('waits while this device has album edits to send: a copy they make must reach the relay first', async () => {
		const { db, deletions, calls } = deletionsOn();
		const edit = await db.outbox.add({
			albumId: 'trip',
			docId: 'contrib:me',
			update: {} as DeviceSealed,
			envelope: {} as Envelope,
			blobs: ['blob-a'],
			createdAt: 0
		});
		await deletions.enqueue(['blob-a'], 'library-1');
		await eventually(() => deletions.state === 'waiting', 'the pass to wait');
		await new Promise((resolve) => setTimeout(resolve, 50));
		expect(calls).toEqual([]);

		await db.outbox.delete(edit);
		await settled(deletions);
		expect(calls).toHaveLength(1);
	});
});
