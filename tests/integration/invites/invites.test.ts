// Invites of people without an account, against the real relay: the mail and its link, who may invite, signatures, acceptance at sign-up, completion, cancel, expiry, bad input.

import fs from 'node:fs/promises';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes, signSeedOf, toBase64Url } from '../../../src/lib/crypto';
import {
	INVITE_TTL_MS,
	MAX_PENDING_INVITES_PER_ALBUM,
	type InviteRole,
	type MembershipEntry,
	type PublicKeys
} from '../../../src/lib/protocol';
import { InviteApi, readInviteLink, signInvite } from '../../../src/lib/sharing/invites';
import { MembershipChain } from '../../../src/lib/sync';
import { AccountStore } from '../../../relay/src/account-store';
import { DATABASE_FILE } from '../../../relay/src/db';
import { INVITE_LIMITS } from '../../../relay/src/invites';
import { call, quickSignup, signUpVerified, takeCode } from '../accounts/client';
import { rawRequest } from '../helpers/http';
import { startTestRelay, type TestRelay } from '../helpers/relay';
import { seedAccount, StreamClient, type SeededAccount } from '../helpers/stream';

const ORIGIN = 'https://photos.example.org';

let relay: TestRelay;
let owner: SeededAccount;
let admin: SeededAccount;
let viewer: SeededAccount;
let outsider: SeededAccount;
let ownerEmail: string;
const sockets: StreamClient[] = [];

interface TestAlbum {
	albumId: string;
	/** Appends an `add` of these keys, signed by the owner, and waits for the relay's ack. */
	add(keys: PublicKeys, role: InviteRole): Promise<void>;
}

async function createAlbum(by: SeededAccount): Promise<TestAlbum> {
	const socket = await StreamClient.connect(relay.url, by);
	sockets.push(socket);
	const { albumId, genesis, chain, epochKey } = await MembershipChain.createAlbum(by.identity);
	const append = async (entry: MembershipEntry) => {
		const reply = await socket.request({ t: 'append-membership', entry });
		if (reply.t !== 'ack') throw new Error(`append failed: ${JSON.stringify(reply)}`);
		if (entry.op !== 'create') await chain.append(entry);
	};
	await append(genesis);
	return {
		albumId,
		add: async (keys, role) => append(await chain.addMember(by.identity, keys, role, epochKey))
	};
}

let album: TestAlbum;

beforeAll(async () => {
	relay = await startTestRelay({ PUBLIC_ORIGIN: ORIGIN });
	owner = await seedAccount(relay.dataDir, 'owner');
	admin = await seedAccount(relay.dataDir, 'admin');
	viewer = await seedAccount(relay.dataDir, 'viewer');
	outsider = await seedAccount(relay.dataDir, 'outsider');
	const info = await call(relay.port, 'GET', '/api/account', { token: owner.token });
	ownerEmail = (info.json() as { email: string }).email;
	album = await createAlbum(owner);
	await album.add(admin, 'admin');
	await album.add(viewer, 'viewer');
});
afterAll(async () => {
	for (const socket of sockets) socket.close();
	await relay?.stop();
});

const seedOf = (account: SeededAccount) => signSeedOf(account.identity.sign.privateKey);

function apiFor(account: SeededAccount): InviteApi {
	return new InviteApi({ token: account.token, signSeed: seedOf(account), baseUrl: relay.url });
}

/** A create body signed by `signer` (by default the sender), for requests the client would not make. */
async function signedBody(
	signer: SeededAccount,
	fields: { albumId: string; email: string; role: InviteRole; signedAt?: number }
) {
	const statement = { ...fields, signedAt: fields.signedAt ?? Date.now() };
	return { ...statement, sig: await signInvite(statement, seedOf(signer)) };
}

const post = (token: string, body: unknown) =>
	call(relay.port, 'POST', '/api/invites', { token, body });

/** Outbox mails to `email` (not removed). */
async function mailsTo(email: string): Promise<{ file: string; text: string }[]> {
	const folder = path.join(relay.dataDir, 'outbox');
	const mails: { file: string; text: string }[] = [];
	for (const name of await fs.readdir(folder).catch(() => [])) {
		if (!name.endsWith('.eml')) continue;
		const file = path.join(folder, name);
		const text = await fs.readFile(file, 'utf8');
		if (new RegExp(`^To: ${email}$`, 'm').test(text)) mails.push({ file, text });
	}
	return mails;
}

/** Reads and removes the one invite mail to `email`, its body decoded from quoted-printable. */
async function takeInviteMail(email: string): Promise<{ subject: string; body: string }> {
	const mails = (await mailsTo(email)).filter((m) => /^Subject: You're invited/m.test(m.text));
	if (mails.length !== 1) throw new Error(`expected one invite to ${email}, got ${mails.length}`);
	const { file, text } = mails[0]!;
	await fs.rm(file);
	const split = text.search(/\r?\n\r?\n/);
	const head = text.slice(0, split);
	const raw = text.slice(split).replace(/^\r?\n\r?\n/, '');
	const quoted = /^Content-Transfer-Encoding: quoted-printable$/im.test(head);
	const body = quoted
		? Buffer.from(
				raw
					.replace(/=\r?\n/g, '')
					.replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))),
				'latin1'
			).toString('utf8')
		: raw;
	return { subject: /^Subject: (.*)$/m.exec(head)?.[1] ?? '', body };
}

/** Runs `change` on the relay's database through a connection of its own (WAL). */
function withDatabase<T>(change: (db: Database.Database) => T): T {
	const db = new Database(path.join(relay.dataDir, DATABASE_FILE));
	try {
		return change(db);
	} finally {
		db.close();
	}
}

/** Signs up `email` through the API with its code from the outbox: a verified account. */
async function signUp(email: string) {
	const signup = quickSignup(email);
	await signUpVerified(relay.port, relay.dataDir, signup.body);
	return signup.body.publicKeys;
}

describe('creating an invite', () => {
	it('mails the invitee a sign-up link naming who invited, and lists it as pending', async () => {
		const created = await apiFor(owner).create({
			albumId: album.albumId,
			email: ' New.Person@Example.org ',
			role: 'collaborator'
		});
		const expiresIn = Date.parse(created.expiresAt) - Date.now();
		expect(expiresIn).toBeGreaterThan(INVITE_TTL_MS - 60_000);
		expect(expiresIn).toBeLessThanOrEqual(INVITE_TTL_MS);

		const mail = await takeInviteMail('new.person@example.org');
		expect(mail.subject).toBe("You're invited to a shared album on Tessera");
		expect(mail.body).toContain(`${ownerEmail} invited you to a shared album`);
		const link = `${ORIGIN}/?invite=${created.inviteId}&email=new.person%40example.org`;
		expect(mail.body).toContain(link);
		expect(readInviteLink(link)).toEqual({
			inviteId: created.inviteId,
			email: 'new.person@example.org'
		});
		// The relay knows the album only by id, and has no reason to mail even that.
		expect(mail.body).not.toContain(album.albumId);

		const listed = await apiFor(owner).list(album.albumId);
		expect(listed).toContainEqual({
			inviteId: created.inviteId,
			email: 'new.person@example.org',
			role: 'collaborator',
			state: 'pending',
			invitedBy: owner.signPk,
			createdAt: expect.any(String),
			expiresAt: created.expiresAt
		});
	});

	it('lets an admin invite; a viewer, an outsider, or anyone on an unknown album gets 403', async () => {
		await apiFor(admin).create({
			albumId: album.albumId,
			email: 'by-admin@example.org',
			role: 'viewer'
		});
		await takeInviteMail('by-admin@example.org');

		for (const who of [viewer, outsider]) {
			await expect(
				apiFor(who).create({ albumId: album.albumId, email: 'nope@example.org', role: 'viewer' })
			).rejects.toMatchObject({ code: 'not-authorized', status: 403 });
		}
		const stranger = toBase64Url(randomBytes(16));
		await expect(
			apiFor(owner).create({ albumId: stranger, email: 'nope@example.org', role: 'viewer' })
		).rejects.toMatchObject({ code: 'not-authorized', status: 403 });
		expect(await mailsTo('nope@example.org')).toEqual([]);
		// Only managers see an album's invites.
		await expect(apiFor(viewer).list(album.albumId)).rejects.toMatchObject({ status: 403 });
	});

	it('refuses a signature by another key, over another role, or made too long ago', async () => {
		const fields = { albumId: album.albumId, email: 'forged@example.org', role: 'admin' as const };
		const byOutsider = await post(owner.token, await signedBody(outsider, fields));
		expect(byOutsider.status).toBe(400);
		expect(byOutsider.errorCode).toBe('bad-signature');

		// A viewer's invite re-labelled as admin: the signature no longer covers it.
		const signedForViewer = await signedBody(owner, { ...fields, role: 'viewer' });
		const relabelled = await post(owner.token, { ...signedForViewer, role: 'admin' });
		expect(relabelled.errorCode).toBe('bad-signature');

		const old = await post(
			owner.token,
			await signedBody(owner, { ...fields, signedAt: Date.now() - 11 * 60_000 })
		);
		expect(old.status).toBe(400);
		expect(old.errorCode).toBe('stale-signature');
		expect(await mailsTo('forged@example.org')).toEqual([]);
	});

	it('answers already-user for an email with a verified account; a half-done sign-up still gets invited', async () => {
		await signUp('existing@example.org');
		await expect(
			apiFor(owner).create({
				albumId: album.albumId,
				email: 'Existing@example.org',
				role: 'viewer'
			})
		).rejects.toMatchObject({ code: 'already-user', status: 409 });

		const halfway = await call(relay.port, 'POST', '/api/signup', {
			body: quickSignup('halfway@example.org').body
		});
		expect(halfway.status).toBe(202);
		await apiFor(owner).create({
			albumId: album.albumId,
			email: 'halfway@example.org',
			role: 'viewer'
		});
		await takeInviteMail('halfway@example.org');
	});

	it('keeps one open invite per person and album, and at most 50 pending per album', async () => {
		const second = await createAlbum(owner);
		const invite = { albumId: second.albumId, email: 'twice@example.org', role: 'viewer' as const };
		await apiFor(owner).create(invite);
		await expect(apiFor(owner).create(invite)).rejects.toMatchObject({
			code: 'already-invited',
			status: 409
		});
		await takeInviteMail('twice@example.org');

		withDatabase((db) => {
			const insert = db.prepare(
				`INSERT INTO invites (invite_id, album_id, email, role, inviter_sign_pk, inviter_account_id,
					signature, signed_at, created_at, expires_at) VALUES (?, ?, ?, 'viewer', ?, ?, ?, ?, ?, ?)`
			);
			const now = Date.now();
			for (let i = 1; i < MAX_PENDING_INVITES_PER_ALBUM; i++) {
				insert.run(
					toBase64Url(randomBytes(16)),
					second.albumId,
					`filler${i}@example.org`,
					owner.signPk,
					owner.accountId,
					Buffer.alloc(64),
					now,
					now,
					now + INVITE_TTL_MS
				);
			}
		});
		await expect(
			apiFor(owner).create({ ...invite, email: 'one-too-many@example.org' })
		).rejects.toMatchObject({ code: 'too-many-invites', status: 409 });
	});

	it('refuses to invite to an album whose owner’s plan has no sharing', async () => {
		const free = await seedAccount(relay.dataDir, 'free', { plan: 'free' });
		const freeAlbum = await createAlbum(free);
		await expect(
			apiFor(free).create({
				albumId: freeAlbum.albumId,
				email: 'free-guest@example.org',
				role: 'viewer'
			})
		).rejects.toMatchObject({ code: 'plan-no-sharing', status: 403 });
	});

	it('limits invite requests per session, refused ones included', async () => {
		const token = withDatabase(
			(db) => new AccountStore(db).createSession(owner.accountId, 'second device', Date.now()).token
		);
		const body = await signedBody(outsider, {
			albumId: album.albumId,
			email: 'flood@example.org',
			role: 'viewer'
		});
		for (let i = 0; i < INVITE_LIMITS.invitesPerSession.limit; i++) {
			expect((await post(token, body)).errorCode, `request ${i + 1}`).toBe('bad-signature');
		}
		const limited = await post(token, body);
		expect(limited.status).toBe(429);
		expect(limited.errorCode).toBe('rate-limited');
		expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
		// The owner's other session is unaffected.
		expect((await post(owner.token, body)).errorCode).toBe('bad-signature');
	});
});

describe('accepting at sign-up and completing', () => {
	it('lists the invite to managers with the new keys once the invitee verifies; complete waits for the add', async () => {
		const { inviteId } = await apiFor(owner).create({
			albumId: album.albumId,
			email: 'dana@example.org',
			role: 'viewer'
		});
		await takeInviteMail('dana@example.org');
		await expect(apiFor(owner).complete(inviteId)).rejects.toMatchObject({
			code: 'invite-not-accepted',
			status: 409
		});

		// Signed up but not verified: nothing is accepted yet.
		const dana = quickSignup('dana@example.org');
		expect((await call(relay.port, 'POST', '/api/signup', { body: dana.body })).status).toBe(202);
		expect((await apiFor(owner).accepted()).map((i) => i.inviteId)).not.toContain(inviteId);
		const code = await takeCode(relay.dataDir, 'dana@example.org');
		const verify = await call(relay.port, 'POST', '/api/signup/verify', {
			body: { email: 'dana@example.org', code, device: { name: 'Phone' } }
		});
		expect(verify.status).toBe(200);

		const expected = {
			inviteId,
			albumId: album.albumId,
			email: 'dana@example.org',
			role: 'viewer',
			publicKeys: dana.body.publicKeys,
			inviterSignPk: owner.signPk
		};
		expect(await apiFor(owner).accepted()).toContainEqual(expect.objectContaining(expected));
		// Any manager's device may complete it; a viewer's or an outsider's is never asked.
		expect(await apiFor(admin).accepted()).toContainEqual(expect.objectContaining(expected));
		expect(await apiFor(viewer).accepted()).toEqual([]);
		expect(await apiFor(outsider).accepted()).toEqual([]);
		const listed = await apiFor(owner).list(album.albumId);
		expect(listed.find((i) => i.inviteId === inviteId)?.state).toBe('accepted');

		await expect(apiFor(owner).complete(inviteId)).rejects.toMatchObject({
			code: 'invitee-not-member',
			status: 409
		});
		await album.add(dana.body.publicKeys, 'viewer');
		await apiFor(owner).complete(inviteId);
		await apiFor(owner).complete(inviteId);
		expect((await apiFor(owner).accepted()).map((i) => i.inviteId)).not.toContain(inviteId);
		expect((await apiFor(owner).list(album.albumId)).map((i) => i.inviteId)).not.toContain(
			inviteId
		);
	});

	it('drops an accepted invite whose role was changed in the relay’s database', async () => {
		const { inviteId } = await apiFor(owner).create({
			albumId: album.albumId,
			email: 'erin@example.org',
			role: 'viewer'
		});
		await takeInviteMail('erin@example.org');
		await signUp('erin@example.org');
		withDatabase((db) =>
			db.prepare(`UPDATE invites SET role = 'admin' WHERE invite_id = ?`).run(inviteId)
		);
		const raw = await call(relay.port, 'GET', '/api/invites/accepted', { token: owner.token });
		expect(JSON.stringify(raw.json())).toContain(inviteId);
		expect((await apiFor(owner).accepted()).map((i) => i.inviteId)).not.toContain(inviteId);
	});
});

describe('cancelling and expiry', () => {
	it('the inviter or a manager cancels, others get 404; a cancelled invite is not accepted', async () => {
		const { inviteId } = await apiFor(owner).create({
			albumId: album.albumId,
			email: 'frank@example.org',
			role: 'collaborator'
		});
		await takeInviteMail('frank@example.org');
		for (const who of [outsider, viewer]) {
			await expect(apiFor(who).cancel(inviteId)).rejects.toMatchObject({
				code: 'invite-not-found',
				status: 404
			});
		}
		await apiFor(admin).cancel(inviteId);
		await expect(apiFor(owner).cancel(inviteId)).rejects.toMatchObject({ status: 404 });
		expect((await apiFor(owner).list(album.albumId)).map((i) => i.inviteId)).not.toContain(
			inviteId
		);
		await signUp('frank@example.org');
		expect((await apiFor(owner).accepted()).map((i) => i.email)).not.toContain('frank@example.org');
	});

	it('an expired invite is not listed nor accepted at sign-up; the email can be invited again', async () => {
		const expire = (inviteId: string) =>
			withDatabase((db) =>
				db
					.prepare('UPDATE invites SET expires_at = ? WHERE invite_id = ?')
					.run(Date.now() - 1, inviteId)
			);
		const gina = await apiFor(owner).create({
			albumId: album.albumId,
			email: 'gina@example.org',
			role: 'viewer'
		});
		await takeInviteMail('gina@example.org');
		expire(gina.inviteId);
		expect((await apiFor(owner).list(album.albumId)).map((i) => i.inviteId)).not.toContain(
			gina.inviteId
		);
		await signUp('gina@example.org');
		expect((await apiFor(owner).accepted()).map((i) => i.email)).not.toContain('gina@example.org');

		const hank = { albumId: album.albumId, email: 'hank@example.org', role: 'viewer' as const };
		const first = await apiFor(owner).create(hank);
		expire(first.inviteId);
		const again = await apiFor(owner).create(hank);
		expect(again.inviteId).not.toBe(first.inviteId);
		expect((await mailsTo('hank@example.org')).length).toBe(2);
	});
});

describe('bad input', () => {
	it('answers 400 naming the field, 401 without a session, 405 for other methods', async () => {
		const good = await signedBody(owner, {
			albumId: album.albumId,
			email: 'input@example.org',
			role: 'viewer'
		});
		const notJson = await rawRequest(relay.port, '/api/invites', {
			method: 'POST',
			headers: { Authorization: `Bearer ${owner.token}`, 'Content-Type': 'application/json' },
			body: '{"albumId":'
		});
		expect(notJson.status).toBe(400);
		expect(notJson.text).toContain('invalid-json');

		const cases: [unknown, RegExp][] = [
			[{ ...good, sig: undefined }, /^sig: is missing/],
			[{ ...good, sig: 'AAAA' }, /^sig: must be base64url/],
			[{ ...good, role: 'owner' }, /^role: must be viewer, collaborator or admin/],
			[{ ...good, email: 'not-an-email' }, /^email: is not an email address/],
			[{ ...good, albumId: 'x' }, /^albumId: must be base64url/],
			[{ ...good, signedAt: -5 }, /^signedAt: must not be negative/],
			[{ ...good, albumName: 'Holidays' }, /^albumName: is not an allowed field/]
		];
		for (const [body, message] of cases) {
			const res = await post(owner.token, JSON.parse(JSON.stringify(body)));
			expect(res.status, JSON.stringify(body)).toBe(400);
			expect(res.errorCode).toBe('invalid-request');
			expect(res.errorMessage).toMatch(message);
		}

		const badList = await call(relay.port, 'GET', '/api/invites?albumId=..', {
			token: owner.token
		});
		expect(badList.status).toBe(400);
		expect(badList.errorMessage).toMatch(/^albumId:/);
		const noAlbum = await call(relay.port, 'GET', '/api/invites', { token: owner.token });
		expect(noAlbum.errorMessage).toMatch(/^albumId: is missing/);
		const badId = await call(relay.port, 'DELETE', '/api/invites/not*an*id', {
			token: owner.token
		});
		expect(badId.status).toBe(400);
		expect(badId.errorMessage).toMatch(/^inviteId:/);
		const unknown = toBase64Url(randomBytes(16));
		const notFound = await call(relay.port, 'POST', `/api/invites/${unknown}/complete`, {
			token: owner.token
		});
		expect(notFound.status).toBe(404);
		expect(notFound.errorCode).toBe('invite-not-found');

		expect((await post('', good)).status).toBe(401);
		const anonymous = await call(relay.port, 'GET', '/api/invites/accepted');
		expect(anonymous.status).toBe(401);
		const put = await call(relay.port, 'PUT', '/api/invites', { token: owner.token });
		expect(put.status).toBe(405);
		expect(await mailsTo('input@example.org')).toEqual([]);
	});
});
