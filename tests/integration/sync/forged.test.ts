// I2, I3 against a compromised relay: rows written straight into its database, past its checks, change nothing on any device.

import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlbumModel, activityDocId, contribDocId } from '../../../src/lib/albums';
import { deriveDocKey, fromBase64Url, randomBytes, toBase64Url } from '../../../src/lib/crypto';
import {
	parseServerMessage,
	type Envelope,
	type MembershipEntry,
	type MembershipState
} from '../../../src/lib/protocol';
import { MembershipChain, signMembershipEntry } from '../../../src/lib/sync';
import { sealEnvelope } from '../../../src/lib/sync/envelope';
import type {
	AlbumSync,
	AlbumSyncError,
	AlbumSyncEvents,
	RefusedWrite,
	RejectedItem
} from '../../../src/lib/sync/engine';
import { loadConfig } from '../../../relay/src/config';
import { startRelay, type Relay } from '../../../relay/src/server';
import { startTestRelay, type TestRelay } from '../helpers/relay';
import { removeTempDir } from '../helpers/temp';
import { seedAccounts, seededRandom, type SeededAccount } from '../helpers/stream';
import {
	albumDigest,
	chainVerdict,
	envelopeVerdict,
	eventually,
	injectRows,
	makeDevice,
	storedMembership,
	withRelayDatabase,
	type Device,
	type InjectedRow
} from './helpers';
import { photo } from './photos';

let testRelay: TestRelay;
let relay: Relay;
let port: number;
let owner: SeededAccount,
	collab: SeededAccount,
	viewer: SeededAccount,
	outsider: SeededAccount,
	removed: SeededAccount;
const random = seededRandom(4242);

/** What each device's albums reported: refused local writes, refused stream items, album errors. */
interface Reports {
	refused: RefusedWrite[];
	rejected: RejectedItem[];
	errors: AlbumSyncError[];
}
const reports = new Map<Device, Reports>();
const devices: Device[] = [];

function device(name: string, account: SeededAccount): Device {
	const d = makeDevice({
		name,
		identity: account.identity,
		token: account.token,
		url: () => relay.url.replace(/^http/, 'ws') + '/ws',
		random,
		presenceTtlMs: 60_000
	});
	reports.set(d, { refused: [], rejected: [], errors: [] });
	devices.push(d);
	d.engine.start();
	return d;
}

/** Events that record what a device's album reports. */
function recorder(d: Device): AlbumSyncEvents {
	const r = reports.get(d)!;
	return {
		refused: (write) => r.refused.push(write),
		rejected: (item) => r.rejected.push(item),
		error: (error) => r.errors.push(error)
	};
}

/** Opens (or returns) the album on a device, recording what it reports. */
async function open(d: Device, albumId: string): Promise<AlbumSync> {
	const album = await d.engine.openAlbum(albumId, recorder(d));
	await album.whenModel();
	return album;
}

/** Cuts every device's socket: they reconnect and re-subscribe, so catch-up serves injected rows. */
async function resubscribeAll(ds: readonly Device[], albumId: string, upTo: number) {
	for (const d of ds) d.socket()?.cut();
	for (const d of ds) {
		const album = await open(d, albumId);
		await eventually(() => album.seq >= upTo || album.error !== null, `${d.name} to read ${upTo}`);
		await album.settled();
	}
}

/** A Yjs update as a member's own device would make it (the bytes do not name their doc). */
function updateFrom(
	state: MembershipState,
	me: string,
	edit: (model: AlbumModel) => void
): Uint8Array {
	const model = new AlbumModel({ membership: state, me });
	const updates: Uint8Array[] = [];
	model.onLocalUpdate((_docId, update) => updates.push(update));
	edit(model);
	expect(updates).toHaveLength(1);
	return updates[0]!;
}

async function seal(
	author: SeededAccount,
	fields: { albumId: string; docId: string; epoch: number; chainIndex: number },
	key: Uint8Array,
	update: Uint8Array
): Promise<Envelope> {
	return sealEnvelope({
		...fields,
		kind: 'update',
		update,
		docKey: await deriveDocKey(key, fields.docId),
		signer: author.identity.sign
	});
}

/** Legitimate envelopes of a doc the relay accepted (updates and its snapshot), newest last. */
function storedEnvelopes(albumId: string, docId: string): Envelope[] {
	return withRelayDatabase(testRelay.dataDir, (db) =>
		(
			db
				.prepare(
					`SELECT seq, envelope FROM envelopes WHERE album_id = @albumId AND doc_id = @docId
					UNION ALL SELECT seq, envelope FROM snapshots WHERE album_id = @albumId AND doc_id = @docId
					ORDER BY seq`
				)
				.all({ albumId, docId }) as { envelope: string }[]
		).map((row) => JSON.parse(row.envelope) as Envelope)
	);
}

function flipByte(base64: string, at: number): string {
	const bytes = fromBase64Url(base64);
	bytes[at] = bytes[at]! ^ 0x01;
	return toBase64Url(bytes);
}

beforeAll(async () => {
	testRelay = await startTestRelay();
	relay = testRelay.relay;
	port = relay.port;
	[owner, collab, viewer, outsider, removed] = (await seedAccounts(testRelay.dataDir, [
		'owner',
		'collab',
		'viewer',
		'outsider',
		'removed'
	])) as [SeededAccount, SeededAccount, SeededAccount, SeededAccount, SeededAccount];
});

afterAll(async () => {
	for (const d of devices) await d.engine.stop();
	await relay.close();
	await removeTempDir(testRelay.root);
});

describe('a compromised relay', () => {
	let ownerDev: Device, collabDev: Device, viewerDev: Device;
	let members: Device[];
	let albumA: string, albumB: string;
	/** Every doc anyone could try to write, so a forged doc that appears is compared too. */
	let docsOfA: string[];

	async function digestsOf(albumId: string, docIds: readonly string[] = []) {
		const out: Record<string, ReturnType<typeof albumDigest>> = {};
		for (const d of members) out[d.name] = albumDigest((await open(d, albumId)).model!, docIds);
		return out;
	}

	async function add(
		album: AlbumSync,
		member: SeededAccount,
		role: 'collaborator' | 'viewer'
	): Promise<void> {
		const entry = await album.membershipChain!.addMember(
			owner.identity,
			{ signPk: member.signPk, boxPk: member.boxPk },
			role,
			album.currentEpochKey()!
		);
		await ownerDev.engine.appendMembership(entry);
		await eventually(() => album.membership!.members.has(member.signPk), 'the add on the stream');
	}

	it('sets up two albums with legitimate edits on every member’s device', async () => {
		ownerDev = device('owner', owner);
		collabDev = device('collab', collab);
		viewerDev = device('viewer', viewer);
		members = [ownerDev, collabDev, viewerDev];

		for (const name of ['A', 'B']) {
			const { album, created } = await ownerDev.engine.createAlbum(recorder(ownerDev));
			await add(album, collab, 'collaborator');
			await add(album, viewer, 'viewer');
			if (name === 'A') {
				albumA = created.albumId;
				await add(album, removed, 'collaborator');
			} else {
				albumB = created.albumId;
			}
			// Renamed once everyone is in: an edit sequenced before a member's add is never shown
			// to that member (see the report), which is not what this file tests.
			album.model!.rename(`Album ${name}`);
		}
		for (const albumId of [albumA, albumB]) {
			const collabAlbum = await open(collabDev, albumId);
			await collabAlbum.whenCaughtUp();
			await collabAlbum.settled();
			collabAlbum.model!.addPhotos([photo(1, 'collab.jpg')]);
			for (const d of members) {
				const album = await open(d, albumId);
				await eventually(
					() => album.model!.view().length === 1 && album.model!.meta().name !== '',
					`${d.name} to see the photo and the name`
				);
			}
		}
		docsOfA = [
			'album',
			...[owner, collab, viewer, outsider, removed].flatMap((a) => [
				contribDocId(a.signPk),
				activityDocId(a.signPk)
			])
		];
	});

	it('ignores forged, spliced, stale and tampered envelopes in the relay’s database (I2, I3)', async () => {
		const ownerA = await open(ownerDev, albumA);
		const collabA = await open(collabDev, albumA);
		const before = ownerA.membershipChain!.state;
		const epoch0Key = ownerA.currentEpochKey()!;
		const headBefore = before.head.index;

		// Legitimately: the removed member is removed, which rotates the album key (I3).
		const { entry } = await ownerA.membershipChain!.removeMember(
			owner.identity,
			removed.signPk,
			new Map()
		);
		await ownerDev.engine.appendMembership(entry);
		for (const d of members) {
			const album = await open(d, albumA);
			await eventually(() => album.membership!.epoch === 1, `${d.name} to rotate`);
		}
		// The rotation makes the writers re-post their docs as snapshots after a random pause; one
		// landing after the forged rows below would compact them away (legitimately) before the new
		// device at the end reads them. So the injection waits for those snapshots.
		for (const docId of ['album', contribDocId(collab.signPk)]) {
			await eventually(
				() =>
					withRelayDatabase(testRelay.dataDir, (db) => {
						const row = db
							.prepare('SELECT epoch FROM snapshots WHERE album_id = ? AND doc_id = ?')
							.get(albumA, docId) as { epoch: number } | undefined;
						return row?.epoch === 1;
					}),
				`the re-snapshot of ${docId} under the new epoch`
			);
		}
		const state = ownerA.membershipChain!.state;
		const epoch1Key = ownerA.currentEpochKey()!;
		expect((await ownerA.membershipChain!.openEpochKeys(removed.identity)).has(state.epoch)).toBe(
			false
		);

		const photoUpdate = updateFrom(state, collab.signPk, (m) => m.addPhotos([photo(99, 'x.jpg')]));
		const renameUpdate = updateFrom(state, owner.signPk, (m) => m.rename('Owned by a forger'));
		const now = { albumId: albumA, epoch: state.epoch, chainIndex: state.head.index };
		const old = { albumId: albumA, epoch: 0, chainIndex: headBefore };
		const legitPhoto = storedEnvelopes(albumA, contribDocId(collab.signPk)).at(-1)!;
		const legitRename = storedEnvelopes(albumA, 'album').at(-1)!;
		const spliced = storedEnvelopes(albumB, contribDocId(collab.signPk)).at(-1)!;
		// The control: a valid write the relay never saw, injected the same way, must be applied.
		const controlPhoto = photo(50, 'control.jpg');
		const control = await seal(
			collab,
			{ ...now, docId: contribDocId(collab.signPk) },
			epoch1Key,
			updateFrom(state, collab.signPk, (m) => m.addPhotos([controlPhoto]))
		);

		const attacks: { what: string; envelope: Envelope; code: string }[] = [
			{
				what: 'a viewer’s signed, encrypted photo in their own contrib doc',
				envelope: await seal(
					viewer,
					{ ...now, docId: contribDocId(viewer.signPk) },
					epoch1Key,
					photoUpdate
				),
				code: 'not-writer'
			},
			{
				what: 'an outsider’s rename under a key they made up',
				envelope: await seal(outsider, { ...now, docId: 'album' }, randomBytes(32), renameUpdate),
				code: 'not-writer'
			},
			{
				what: 'an outsider’s rename under the real (leaked) album key',
				envelope: await seal(outsider, { ...now, docId: 'album' }, epoch1Key, renameUpdate),
				code: 'not-writer'
			},
			{
				what: 'a collaborator’s envelope spliced from another album, valid there',
				envelope: spliced,
				code: 'wrong-album'
			},
			{
				what: 'a collaborator’s envelope moved to another doc after signing',
				envelope: { ...legitPhoto, docId: contribDocId(viewer.signPk) },
				code: 'bad-signature'
			},
			{
				what: 'the removed member’s write under the old epoch, naming the old head',
				envelope: await seal(
					removed,
					{ ...old, docId: contribDocId(removed.signPk) },
					epoch0Key,
					photoUpdate
				),
				code: 'not-writer'
			},
			{
				what: 'a member’s old-epoch write held back past the rotation',
				envelope: await seal(
					collab,
					{ ...old, docId: contribDocId(collab.signPk) },
					epoch0Key,
					photoUpdate
				),
				code: 'stale-epoch'
			},
			{
				what: 'a legitimate rename with one ciphertext byte flipped',
				envelope: { ...legitRename, ct: flipByte(legitRename.ct, 5) },
				code: 'bad-signature'
			}
		];

		// Offline while the database is rewritten: no live frame can overtake the injected rows.
		for (const d of members) {
			await (await open(d, albumA)).settled();
			d.engine.connection.stop();
		}
		const digestsBefore = await digestsOf(albumA, docsOfA);
		const rejectedBefore = new Map(members.map((d) => [d, reports.get(d)!.rejected.length]));
		const seqs = await injectRows(
			testRelay.dataDir,
			albumA,
			[...attacks.map((a) => a.envelope), control].map((envelope): InjectedRow => ({
				kind: 'envelope',
				envelope
			}))
		);
		for (const d of members) d.engine.connection.start();
		await resubscribeAll(members, albumA, seqs.at(-1)!);

		// Only the control changed anything: one photo more in the collaborator's doc.
		const digestsAfter = await digestsOf(albumA, docsOfA);
		const collabDoc = contribDocId(collab.signPk);
		for (const d of members) {
			const before = digestsBefore[d.name]!;
			const after = digestsAfter[d.name]!;
			expect({ ...after.docs, [collabDoc]: null }).toEqual({ ...before.docs, [collabDoc]: null });
			expect(after.meta).toEqual(before.meta);
			expect(after.view.map((p) => p.id).sort()).toEqual(
				[...before.view.map((p) => p.id), controlPhoto.id].sort()
			);
		}
		for (const d of members) {
			const album = await open(d, albumA);
			expect(album.error).toBeNull();
			expect(await envelopeVerdict(d, album.membershipChain!, control, seqs.at(-1)!)).toBe(
				'accepted'
			);
			expect(album.model!.meta().name).toBe('Album A');
			for (const [i, attack] of attacks.entries()) {
				// A well-formed frame: what the device refuses, it refuses on its checks, not on parsing.
				const frame = {
					t: 'entry',
					albumId: albumA,
					seq: seqs[i],
					item: { type: 'envelope', envelope: attack.envelope }
				};
				expect(parseServerMessage(JSON.stringify(frame)).ok).toBe(true);
				// Read (lastSeq moved past it) and not kept.
				expect(await d.db.entries.get([albumA, seqs[i]!])).toBeUndefined();
			}
			// Each forgery reported once, with the code it was refused on; the control not at all.
			expect(
				reports
					.get(d)!
					.rejected.slice(rejectedBefore.get(d))
					.map((r) => ({ seq: r.seq, docId: r.docId, by: r.by, code: r.code }))
			).toEqual(
				attacks.map((attack, i) => ({
					seq: seqs[i],
					docId: attack.envelope.docId,
					by: attack.envelope.by,
					code: attack.code
				}))
			);
		}

		// Not wedged: legitimate edits made afterwards reach everyone.
		ownerA.model!.rename('Album A, later');
		collabA.model!.addPhotos([photo(2, 'later.jpg')]);
		for (const d of members) {
			const album = await open(d, albumA);
			await eventually(
				() => album.model!.meta().name === 'Album A, later' && album.model!.view().length === 3,
				`${d.name} to get the later edits`
			);
		}
		const viewerPhotos = (await open(viewerDev, albumA)).model!.view();
		expect(viewerPhotos.every((p) => p.docId === contribDocId(collab.signPk))).toBe(true);

		// A new device of the collaborator reads everything from seq 0, forgeries included.
		const fresh = device('collab-fresh', collab);
		const freshA = await open(fresh, albumA);
		await freshA.whenCaughtUp();
		await freshA.settled();
		const reference = albumDigest(collabA.model!, docsOfA);
		expect(albumDigest(freshA.model!, docsOfA)).toEqual(reference);
		expect(freshA.error).toBeNull();
		expect(reports.get(fresh)!.rejected.map((r) => ({ seq: r.seq, code: r.code }))).toEqual(
			attacks.map((attack, i) => ({ seq: seqs[i], code: attack.code }))
		);
	});

	it('stops an album on a forged membership entry, and goes on once the relay serves the truth', async () => {
		const ownerB = await open(ownerDev, albumB);
		const chain = ownerB.membershipChain!;
		const head = chain.state.head;
		const outsiderAdd = (await signMembershipEntry(
			{
				op: 'add',
				albumId: albumB,
				index: head.index + 1,
				prev: toBase64Url(head.hash),
				by: outsider.signPk,
				member: { signPk: outsider.signPk, boxPk: outsider.boxPk },
				role: 'admin',
				epoch: chain.state.epoch,
				keyBox: toBase64Url(randomBytes(80))
			},
			outsider.identity.sign.privateKey
		)) as MembershipEntry;
		const validAdd = await chain.addMember(
			owner.identity,
			{ signPk: outsider.signPk, boxPk: outsider.boxPk },
			'viewer',
			ownerB.currentEpochKey()!
		);
		const brokenSig = { ...validAdd, sig: flipByte(validAdd.sig, 3) } as MembershipEntry;

		for (const [forged, code] of [
			[outsiderAdd, 'not-authorized'],
			[brokenSig, 'bad-signature']
		] as const) {
			for (const d of members) await (await open(d, albumB)).settled();
			const digestsBefore = await digestsOf(albumB);
			const heads = await Promise.all(
				members.map(async (d) => (await d.db.albums.get(albumB))!.head)
			);
			const [seq] = await injectRows(testRelay.dataDir, albumB, [
				{ kind: 'membership', entry: forged }
			]);
			await resubscribeAll(members, albumB, seq!);

			for (const [i, d] of members.entries()) {
				const album = await open(d, albumB);
				expect(album.error?.code).toBe('untrusted-history');
				expect(album.error?.reason).toBe(code);
				expect(reports.get(d)!.errors.at(-1)?.code).toBe('untrusted-history');
				expect(reports.get(d)!.errors.at(-1)?.reason).toBe(code);
				expect(album.membership!.head.index).toBe(head.index);
				expect((await d.db.albums.get(albumB))!.head).toEqual(heads[i]);
				expect(album.membership!.members.has(outsider.signPk)).toBe(false);
			}
			expect(await digestsOf(albumB)).toEqual(digestsBefore);

			// The relay's database is repaired; devices reopen the album and sync on.
			withRelayDatabase(testRelay.dataDir, (db) =>
				db.prepare('DELETE FROM membership_entries WHERE album_id = ? AND seq = ?').run(albumB, seq)
			);
			for (const d of members) await d.restart();
			const renamed = `Album B after ${code}`;
			(await open(ownerDev, albumB)).model!.rename(renamed);
			for (const d of members) {
				const album = await open(d, albumB);
				await eventually(() => album.model!.meta().name === renamed, `${d.name} to sync on`);
				expect(album.error).toBeNull();
			}
		}
	});

	it('refuses a forked entry at a known index and a rolled-back head', async () => {
		// A legitimate newest entry: the viewer becomes a collaborator.
		let ownerB = await open(ownerDev, albumB);
		const chain = ownerB.membershipChain!;
		const promote = await chain.changeRole(owner.identity, viewer.signPk, 'collaborator');
		const promoteSeq = await ownerDev.engine.appendMembership(promote);
		for (const d of members) {
			const album = await open(d, albumB);
			await eventually(() => album.membership!.head.index === promote.index, `${d.name} head`);
			await album.settled();
		}
		const head = { ...ownerB.membership!.head };
		const earlier = (await storedMembership(ownerDev.db, albumB)).map((m) => m.entry);
		earlier.pop();

		// The fork: an owner-signed entry at the same index (from another history) replaces it.
		const other = await MembershipChain.verify(earlier, { expectedAlbumId: albumB });
		const fork = await other.removeMember(owner.identity, collab.signPk, new Map());
		const digestsBefore = await digestsOf(albumB);
		withRelayDatabase(testRelay.dataDir, (db) =>
			db
				.prepare('DELETE FROM membership_entries WHERE album_id = ? AND seq = ?')
				.run(albumB, promoteSeq)
		);
		const [forkSeq] = await injectRows(testRelay.dataDir, albumB, [
			{ kind: 'membership', entry: fork.entry }
		]);
		await resubscribeAll(members, albumB, forkSeq!);
		for (const d of members) {
			const album = await open(d, albumB);
			expect(album.error?.code).toBe('untrusted-history');
			expect(album.error?.reason).toBe('fork');
			expect(album.membership!.head.index).toBe(head.index);
			expect(toBase64Url(album.membership!.head.hash)).toBe(toBase64Url(head.hash));
			expect(album.membership!.members.has(collab.signPk)).toBe(true);
		}
		expect(await digestsOf(albumB)).toEqual(digestsBefore);

		// The rollback: the relay restarts on a database whose chain is one entry shorter (as an
		// older copy would be), with nothing after that entry.
		await relay.close();
		withRelayDatabase(testRelay.dataDir, (db) => {
			db.prepare('DELETE FROM membership_entries WHERE album_id = ? AND seq = ?').run(
				albumB,
				forkSeq
			);
			for (const table of ['envelopes', 'snapshots', 'envelope_receipts']) {
				db.prepare(`DELETE FROM ${table} WHERE album_id = ? AND seq > ?`).run(albumB, promoteSeq);
			}
			const previous = db
				.prepare(
					'SELECT chain_index, hash FROM membership_entries WHERE album_id = ? ORDER BY chain_index DESC LIMIT 1'
				)
				.get(albumB) as { chain_index: number; hash: Buffer };
			db.prepare(
				'UPDATE albums SET head_index = ?, head_hash = ?, last_seq = ? WHERE album_id = ?'
			).run(previous.chain_index, previous.hash, promoteSeq - 1, albumB);
		});
		relay = await startRelay(
			loadConfig({
				PORT: String(port),
				HOST: '127.0.0.1',
				LOG_LEVEL: 'silent',
				DATA_DIR: testRelay.dataDir,
				APP_DIR: path.join(testRelay.root, 'no-app')
			})
		);
		for (const d of members) await d.restart();
		for (const d of members) {
			const album = await open(d, albumB);
			await album.whenCaughtUp();
			await album.settled();
			// The device keeps the head it verified: the viewer stays a collaborator on it.
			expect(album.membership!.head.index).toBe(head.index);
			expect(toBase64Url(album.membership!.head.hash)).toBe(toBase64Url(head.hash));
			expect(album.membership!.members.get(viewer.signPk)?.role).toBe('collaborator');
			expect(await chainVerdict(d, albumB, earlier)).toBe('rollback');
		}
		ownerB = await open(ownerDev, albumB);
		const viewerB = await open(viewerDev, albumB);
		const refusedBefore = reports.get(viewerDev)!.refused.length;
		viewerB.model!.addPhotos([photo(3, 'after-rollback.jpg')]);
		await eventually(
			() => reports.get(viewerDev)!.refused.length > refusedBefore,
			'the relay to refuse a write under the head it lost'
		);
		expect(reports.get(viewerDev)!.refused.at(-1)?.code).toBe('unknown-head');
		await ownerB.settled();
		expect(ownerB.model!.view()).toHaveLength(1);

		// Album A, untouched by the rollback, goes on syncing through the restarted relay.
		(await open(ownerDev, albumA)).model!.rename('Album A, after the restart');
		for (const d of members) {
			const album = await open(d, albumA);
			await eventually(
				() => album.model!.meta().name === 'Album A, after the restart',
				`${d.name} to sync album A`
			);
		}
	});
});
