// Blob access on the real relay: posts bind blobs to their album; downloads go to the uploader and the album's members only (I3); the uploader deletes a blob no other album binds.

import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import * as v from 'valibot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
	ApiErrorSchema,
	MAX_POST_BLOBS,
	type Envelope,
	type MembershipEntry
} from '../../../src/lib/protocol';
import { MembershipChain } from '../../../src/lib/sync';
import { openDatabase } from '../../../relay/src/db';
import { MIGRATIONS } from '../../../relay/src/migrations';
import { rawRequest, type RawResponse } from '../helpers/http';
import { startTestRelay, type TestRelay } from '../helpers/relay';
import { makeEnvelope, seedAccount, StreamClient, type SeededAccount } from '../helpers/stream';
import { withRelayDatabase } from '../sync/helpers';
import {
	createUpload,
	getBlob,
	newBlobId,
	patchUpload,
	tusRequest,
	usageOf
} from '../uploads/helpers';

let relay: TestRelay;
let alice: SeededAccount;
let bob: SeededAccount;
let carol: SeededAccount;
let dan: SeededAccount;
const sockets = new Map<string, StreamClient>();

beforeAll(async () => {
	relay = await startTestRelay();
	alice = await seedAccount(relay.dataDir, 'alice');
	bob = await seedAccount(relay.dataDir, 'bob');
	carol = await seedAccount(relay.dataDir, 'carol');
	dan = await seedAccount(relay.dataDir, 'dan');
});

afterAll(async () => {
	for (const socket of sockets.values()) socket.close();
	await relay?.stop();
});

/** One authenticated socket per account. */
async function socketOf(account: SeededAccount): Promise<StreamClient> {
	let socket = sockets.get(account.accountId);
	if (!socket) {
		socket = await StreamClient.connect(relay.url, account);
		sockets.set(account.accountId, socket);
	}
	return socket;
}

/** Uploads `bytes` as blob `blobId` of `account` with tus (create, then one PATCH). */
async function upload(account: SeededAccount, blobId: string, bytes: Buffer): Promise<void> {
	const created = await createUpload(relay.port, account.token, blobId, bytes.length);
	expect(created.status).toBe(201);
	const patched = await patchUpload(
		relay.port,
		account.token,
		String(created.headers.location),
		0,
		bytes
	);
	expect(patched.status).toBe(204);
}

/** An uploaded blob of `account`: its id and bytes. */
async function uploaded(account: SeededAccount): Promise<{ id: string; bytes: Buffer }> {
	const blob = { id: newBlobId(), bytes: randomBytes(2048) };
	await upload(account, blob.id, blob.bytes);
	return blob;
}

interface TestAlbum {
	albumId: string;
	chain: MembershipChain;
	epochKey: Uint8Array;
	/** Appends an entry signed by the owner; resolves once acked. */
	append(entry: MembershipEntry): Promise<void>;
	/** The owner removes `member`: a new epoch, which later posts are sealed under. */
	remove(member: SeededAccount): Promise<void>;
	/** A post of an update to `author`'s contrib doc, binding `blobs`: the relay's reply. */
	post(author: SeededAccount, blobs?: unknown, body?: string): ReturnType<StreamClient['request']>;
	envelope(author: SeededAccount, body?: string): Promise<Envelope>;
}

/** An album of `owner` with `members` (collaborators), created over the owner's socket. */
async function albumOf(owner: SeededAccount, members: SeededAccount[] = []): Promise<TestAlbum> {
	const socket = await socketOf(owner);
	const created = await MembershipChain.createAlbum(owner.identity);
	const { chain } = created;
	let epochKey = created.epochKey;
	const append = async (entry: MembershipEntry) => {
		const reply = await socket.request({ t: 'append-membership', entry });
		if (reply.t !== 'ack') throw new Error(`append failed: ${JSON.stringify(reply)}`);
		if (entry.op !== 'create') await chain.append(entry);
	};
	await append(created.genesis);
	for (const member of members) {
		await append(await chain.addMember(owner.identity, member, 'collaborator', epochKey));
	}
	const envelope = (author: SeededAccount, body = randomBytes(8).toString('hex')) =>
		makeEnvelope({
			author: author.identity,
			albumId: created.albumId,
			docId: `contrib:${author.signPk}`,
			kind: 'update',
			epoch: chain.state.epoch,
			chainIndex: chain.state.head.index,
			epochKey,
			plaintext: new TextEncoder().encode(body)
		});
	const album: TestAlbum = {
		albumId: created.albumId,
		chain,
		get epochKey() {
			return epochKey;
		},
		append,
		envelope,
		async remove(member) {
			const removal = await chain.removeMember(owner.identity, member.signPk, new Map());
			await append(removal.entry);
			epochKey = removal.epochKey;
		},
		async post(author, blobs, body) {
			const frame = { t: 'post', envelope: await envelope(author, body) };
			return (await socketOf(author)).request(blobs === undefined ? frame : { ...frame, blobs });
		}
	};
	return album;
}

async function expectAcked(reply: Awaited<ReturnType<TestAlbum['post']>>): Promise<number> {
	if (reply.t !== 'ack') throw new Error(`expected an ack, got ${JSON.stringify(reply)}`);
	return reply.seq;
}

function boundIn(albumId: string): string[] {
	return withRelayDatabase(relay.dataDir, (db) =>
		(
			db
				.prepare('SELECT blob_id FROM album_blobs WHERE album_id = ? ORDER BY blob_id')
				.all(albumId) as { blob_id: string }[]
		).map((row) => row.blob_id)
	);
}

function errorOf(res: RawResponse) {
	return v.parse(ApiErrorSchema, res.json()).error;
}

/** A download the relay refused exactly as it refuses an id that does not exist. */
async function expectNotServed(res: RawResponse, account: SeededAccount): Promise<void> {
	expect(res.status).toBe(404);
	const unknown = await getBlob(relay.port, account.token, newBlobId());
	expect(errorOf(res)).toEqual(errorOf(unknown));
}

describe('downloading a blob bound to an album', () => {
	it('serves a member the blob (whole, HEAD, Range); an outsider holding the id gets the 404 of an unknown id', async () => {
		const album = await albumOf(alice, [bob]);
		// Bound before its upload finishes (the app adds PhotoRefs at once), and after.
		const early = { id: newBlobId(), bytes: randomBytes(4096) };
		await expectAcked(await album.post(alice, [early.id]));
		await upload(alice, early.id, early.bytes);
		const late = await uploaded(alice);
		await expectAcked(await album.post(alice, [late.id]));
		expect(boundIn(album.albumId)).toEqual([early.id, late.id].sort());

		for (const blob of [early, late]) {
			const res = await getBlob(relay.port, bob.token, blob.id);
			expect(res.status).toBe(200);
			expect(Buffer.compare(res.body, blob.bytes)).toBe(0);
		}
		const head = await tusRequest(relay.port, 'HEAD', `/api/blobs/${early.id}`, {
			token: bob.token
		});
		expect(head.status).toBe(200);
		expect(head.headers['content-length']).toBe('4096');
		const range = await tusRequest(relay.port, 'GET', `/api/blobs/${early.id}`, {
			token: bob.token,
			headers: { Range: 'bytes=100-199' }
		});
		expect(range.status).toBe(206);
		expect(Buffer.compare(range.body, early.bytes.subarray(100, 200))).toBe(0);

		// Carol is signed in and knows the id, but is in no album that holds it.
		await expectNotServed(await getBlob(relay.port, carol.token, early.id), carol);
		const carolHead = await tusRequest(relay.port, 'HEAD', `/api/blobs/${early.id}`, {
			token: carol.token
		});
		expect(carolHead.status).toBe(404);
		const carolRange = await tusRequest(relay.port, 'GET', `/api/blobs/${early.id}`, {
			token: carol.token,
			headers: { Range: 'bytes=0-9' }
		});
		expect(carolRange.status).toBe(404);
		expect(carolRange.body.includes(early.bytes.subarray(0, 10))).toBe(false);
	});

	it('binds the blobs of a collaborator’s post, so the owner reads what the collaborator uploads', async () => {
		const album = await albumOf(alice, [bob]);
		const blob = await uploaded(bob);
		await expectAcked(await album.post(bob, [blob.id]));
		const res = await getBlob(relay.port, alice.token, blob.id);
		expect(res.status).toBe(200);
		expect(Buffer.compare(res.body, blob.bytes)).toBe(0);
	});

	it('stops serving a removed member the blobs bound only to that album; their own and those of albums they stay in still load', async () => {
		const album = await albumOf(alice, [bob]);
		const other = await albumOf(alice, [bob]);
		const onlyHere = await uploaded(alice);
		const alsoElsewhere = await uploaded(alice);
		const bobs = await uploaded(bob);
		await expectAcked(await album.post(alice, [onlyHere.id, alsoElsewhere.id]));
		await expectAcked(await album.post(bob, [bobs.id]));
		await expectAcked(await other.post(alice, [alsoElsewhere.id]));
		expect((await getBlob(relay.port, bob.token, onlyHere.id)).status).toBe(200);

		await album.remove(bob);

		await expectNotServed(await getBlob(relay.port, bob.token, onlyHere.id), bob);
		expect((await getBlob(relay.port, bob.token, alsoElsewhere.id)).status).toBe(200);
		const own = await getBlob(relay.port, bob.token, bobs.id);
		expect(own.status).toBe(200);
		expect(Buffer.compare(own.body, bobs.bytes)).toBe(0);
		// Those who stay read everything, the removed member's uploads included.
		expect((await getBlob(relay.port, alice.token, bobs.id)).status).toBe(200);
	});

	it('stops serving the blobs of a deleted album to its members', async () => {
		const album = await albumOf(alice, [bob]);
		const blob = await uploaded(alice);
		await expectAcked(await album.post(alice, [blob.id]));
		expect((await getBlob(relay.port, bob.token, blob.id)).status).toBe(200);
		await album.append(await album.chain.deleteAlbum(alice.identity));
		await expectNotServed(await getBlob(relay.port, bob.token, blob.id), bob);
		expect((await getBlob(relay.port, alice.token, blob.id)).status).toBe(200);
	});
});

describe('binding blobs with a post', () => {
	it('binds a shared photo that a member copies into another album, for that album’s members', async () => {
		const shared = await albumOf(alice, [bob]);
		const photo = await uploaded(alice);
		await expectAcked(await shared.post(alice, [photo.id]));

		// Bob copies it into his own album with Dan, who is not in the shared album.
		const bobsAlbum = await albumOf(bob, [dan]);
		await expectAcked(await bobsAlbum.post(bob, [photo.id]));
		expect(boundIn(bobsAlbum.albumId)).toEqual([photo.id]);
		const res = await getBlob(relay.port, dan.token, photo.id);
		expect(res.status).toBe(200);
		expect(Buffer.compare(res.body, photo.bytes)).toBe(0);
	});

	it('ignores a binding of someone else’s blob that the poster cannot read; the post itself stands', async () => {
		const photo = await uploaded(alice);
		const shared = await albumOf(alice, [bob]);
		await expectAcked(await shared.post(alice, [photo.id]));

		// Carol is in no album holding it: her album gets no binding, her download stays refused.
		const carols = await albumOf(carol, [dan]);
		const seq = await expectAcked(await carols.post(carol, [photo.id], 'stolen id'));
		expect(boundIn(carols.albumId)).toEqual([]);
		await expectNotServed(await getBlob(relay.port, carol.token, photo.id), carol);
		await expectNotServed(await getBlob(relay.port, dan.token, photo.id), dan);
		const { items } = await (await socketOf(dan)).subscribe(carols.albumId, 0);
		expect(items.map((item) => item.seq)).toContain(seq);

		// Bob could copy it while a member; once removed, he cannot bind it anywhere new.
		await shared.remove(bob);
		const bobsAlbum = await albumOf(bob, [dan]);
		await expectAcked(await bobsAlbum.post(bob, [photo.id]));
		expect(boundIn(bobsAlbum.albumId)).toEqual([]);
		await expectNotServed(await getBlob(relay.port, dan.token, photo.id), dan);
	});

	it('binds each blob once: a resent post is acked with its first seq and adds no row', async () => {
		const album = await albumOf(alice, [bob]);
		const blobs = [newBlobId(), newBlobId(), newBlobId()];
		const envelope = await album.envelope(alice);
		const socket = await socketOf(alice);
		const first = await socket.request({ t: 'post', envelope, blobs });
		const again = await socket.request({ t: 'post', envelope, blobs });
		expect(first).toMatchObject({ t: 'ack' });
		expect(again).toMatchObject({ t: 'ack', seq: (first as { seq: number }).seq });
		// Another update naming the same blobs (a caption edit, a second device) binds nothing new.
		await expectAcked(await album.post(alice, [blobs[1]!, newBlobId()]));
		const rows = withRelayDatabase(relay.dataDir, (db) =>
			db
				.prepare(
					'SELECT blob_id, COUNT(*) AS n FROM album_blobs WHERE album_id = ? GROUP BY blob_id'
				)
				.all(album.albumId)
		) as { blob_id: string; n: number }[];
		expect(rows).toHaveLength(4);
		expect(rows.every((row) => row.n === 1)).toBe(true);
	});

	it('binds the blobs of posts committed together in one turn, each with its envelope', async () => {
		const album = await albumOf(alice, [bob]);
		const socket = await socketOf(alice);
		const posts = await Promise.all(
			Array.from({ length: 6 }, async () => ({
				envelope: await album.envelope(alice),
				blobs: [newBlobId(), newBlobId()]
			}))
		);
		// Sent back to back, so the relay stores them in group commits of several envelopes.
		const replies = await Promise.all(posts.map((post) => socket.request({ t: 'post', ...post })));
		expect(replies.every((reply) => reply.t === 'ack')).toBe(true);
		expect(boundIn(album.albumId)).toEqual(posts.flatMap((post) => post.blobs).sort());
	});

	it('refuses a malformed blobs list with a message naming the field, and stores nothing', async () => {
		const album = await albumOf(alice, [bob]);
		const socket = await socketOf(alice);
		const lastSeq = () =>
			withRelayDatabase(
				relay.dataDir,
				(db) =>
					db.prepare('SELECT last_seq FROM albums WHERE album_id = ?').get(album.albumId) as {
						last_seq: number;
					}
			).last_seq;
		const before = lastSeq();
		const id = newBlobId();
		const cases: { blobs: unknown; code: string; message: RegExp }[] = [
			{ blobs: id, code: 'invalid-message', message: /^blobs: must be a list of blob ids/ },
			{
				blobs: [id, 'not a blob id'],
				code: 'invalid-message',
				message: /^blobs\.1: must be base64url/
			},
			{ blobs: [id, 7], code: 'invalid-message', message: /^blobs\.1: / },
			{
				blobs: [id, id],
				code: 'invalid-message',
				message: /^blobs: must not name a blob id twice/
			},
			{
				blobs: Array.from({ length: MAX_POST_BLOBS + 1 }, () => newBlobId()),
				code: 'too-large',
				message: new RegExp(`^blobs: lists at most ${MAX_POST_BLOBS} blob ids`)
			}
		];
		for (const { blobs, code, message } of cases) {
			const reply = await socket.request({
				t: 'post',
				envelope: await album.envelope(alice),
				blobs
			});
			expect(reply).toMatchObject({ t: 'error', code });
			expect((reply as { message: string }).message).toMatch(message);
		}
		expect(lastSeq()).toBe(before);
		expect(boundIn(album.albumId)).toEqual([]);
		// The socket stays open, and a list at the cap is taken.
		const full = Array.from({ length: MAX_POST_BLOBS }, () => newBlobId());
		await expectAcked(
			await socket.request({ t: 'post', envelope: await album.envelope(alice), blobs: full })
		);
		expect(boundIn(album.albumId)).toHaveLength(MAX_POST_BLOBS);
	});
});

describe('migration 8', () => {
	it('keeps the bindings of an older database and takes bindings of blobs not uploaded yet', () => {
		const dir = path.join(relay.root, 'migration-8');
		const older = openDatabase(dir, { migrations: MIGRATIONS.slice(0, 7) });
		older
			.prepare(
				`INSERT INTO albums (album_id, head_index, head_hash, epoch, created_at)
				VALUES ('album-1', 0, x'00', 0, 1)`
			)
			.run();
		older.prepare(`INSERT INTO blobs (blob_id, size, created_at) VALUES ('blob-1', 5, 1)`).run();
		older.prepare(`INSERT INTO album_blobs VALUES ('album-1', 'blob-1', 2)`).run();
		expect(() =>
			older.prepare(`INSERT INTO album_blobs VALUES ('album-1', 'not-uploaded', 3)`).run()
		).toThrow(/FOREIGN KEY/);
		older.close();

		const db = openDatabase(dir);
		try {
			db.prepare(`INSERT INTO album_blobs VALUES ('album-1', 'not-uploaded', 3)`).run();
			expect(db.prepare('SELECT * FROM album_blobs ORDER BY bound_at').all()).toEqual([
				{ album_id: 'album-1', blob_id: 'blob-1', bound_at: 2 },
				{ album_id: 'album-1', blob_id: 'not-uploaded', bound_at: 3 }
			]);
			// Still owned by its album: gone with it.
			db.prepare(`DELETE FROM albums WHERE album_id = 'album-1'`).run();
			expect(db.prepare('SELECT COUNT(*) AS n FROM album_blobs').get()).toEqual({ n: 0 });
		} finally {
			db.close();
		}
	});
});

/** DELETE /api/blobs/:id, naming the album the photo left when `album` is given. */
function deleteBlob(account: SeededAccount, blobId: string, album?: string): Promise<RawResponse> {
	const query = album === undefined ? '' : `?album=${album}`;
	return rawRequest(relay.port, `/api/blobs/${blobId}${query}`, {
		method: 'DELETE',
		headers: { Authorization: `Bearer ${account.token}` }
	});
}

function blobRowCount(): number {
	return withRelayDatabase(relay.dataDir, (db) => {
		const row = db.prepare('SELECT COUNT(*) AS n FROM blobs').get() as { n: number };
		return row.n;
	});
}

describe('deleting a blob', () => {
	it('frees an unbound blob of its uploader: gone for good, its bytes off the usage, its file off the disk', async () => {
		const account = await seedAccount(relay.dataDir, `deleter-${Math.random()}`);
		const blob = await uploaded(account);
		expect(await usageOf(relay.port, account.token)).toBe(blob.bytes.length);
		const rows = blobRowCount();

		const res = await deleteBlob(account, blob.id);
		expect(res.status).toBe(204);
		expect(await usageOf(relay.port, account.token)).toBe(0);
		expect(blobRowCount()).toBe(rows - 1);
		expect((await getBlob(relay.port, account.token, blob.id)).status).toBe(404);
		const hex = Buffer.from(blob.id, 'base64url').toString('hex');
		await expect(
			fs.access(path.join(relay.dataDir, 'blobs', hex.slice(0, 2), hex))
		).rejects.toThrow();
		// A second delete finds nothing, as for any unknown id.
		expect((await deleteBlob(account, blob.id)).status).toBe(404);
	});

	it("answers another account's delete as for an unknown blob, and keeps the blob", async () => {
		const blob = await uploaded(alice);
		const res = await deleteBlob(bob, blob.id);
		await expectNotServed(res, bob);
		const served = await getBlob(relay.port, alice.token, blob.id);
		expect(served.status).toBe(200);
		expect(served.body.equals(blob.bytes)).toBe(true);
	});

	it('keeps a blob another album binds (a copy of the photo may be there), and frees it when only the named album does', async () => {
		const library = await albumOf(alice);
		const trip = await albumOf(alice);
		const copied = await uploaded(alice);
		const single = await uploaded(alice);
		await expectAcked(await library.post(alice, [copied.id, single.id]));
		await expectAcked(await trip.post(alice, [copied.id]));

		const kept = await deleteBlob(alice, copied.id, library.albumId);
		expect(kept.status).toBe(409);
		expect(errorOf(kept).code).toBe('blob-in-use');
		expect((await getBlob(relay.port, alice.token, copied.id)).status).toBe(200);
		expect(boundIn(trip.albumId)).toContain(copied.id);
		// Unnamed, every binding counts as elsewhere.
		expect((await deleteBlob(alice, single.id)).status).toBe(409);

		expect((await deleteBlob(alice, single.id, library.albumId)).status).toBe(204);
		expect(boundIn(library.albumId)).not.toContain(single.id);
		expect((await getBlob(relay.port, alice.token, single.id)).status).toBe(404);
	});

	it('refuses a malformed blob id or album id with 400, and a request without a session with 401', async () => {
		const blob = await uploaded(alice);
		const badId = await deleteBlob(alice, 'not*an*id');
		expect(badId.status).toBe(400);
		expect(errorOf(badId).code).toBe('invalid-blob-id');
		const badAlbum = await deleteBlob(alice, blob.id, 'x');
		expect(badAlbum.status).toBe(400);
		expect(errorOf(badAlbum).message).toMatch(/album/);
		const anonymous = await rawRequest(relay.port, `/api/blobs/${blob.id}`, { method: 'DELETE' });
		expect(anonymous.status).toBe(401);
		expect((await getBlob(relay.port, alice.token, blob.id)).status).toBe(200);
	});
});
