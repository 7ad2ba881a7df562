// Sharing with people against the real relay: the directory, pins (I6), roles, removal with a new epoch (I3), leaving.

import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AccountApi } from '../../../src/lib/account/api';
import { AccountError } from '../../../src/lib/account/errors';
import { generateBoxKeyPair, generateSignKeyPair, toBase64Url } from '../../../src/lib/crypto';
import { verificationId } from '../../../src/lib/crypto/verification';
import { signSeedOf } from '../../../src/lib/crypto';
import { completeInvites } from '../../../src/lib/sharing/complete-invites';
import { InviteApi } from '../../../src/lib/sharing/invites';
import { Members, MembershipProblem } from '../../../src/lib/sharing/members';
import { KeyChangedError, People, type Directory } from '../../../src/lib/sharing/people';
import type { AlbumSync } from '../../../src/lib/sync/engine';
import { call, quickSignup, takeCode } from '../accounts/client';
import { startTestRelay, type TestRelay } from '../helpers/relay';
import { seedAccount, type SeededAccount } from '../helpers/stream';
import { eventually, makeDevice, withRelayDatabase, type Device } from '../sync/helpers';
import { photo } from '../sync/photos';

let relay: TestRelay;
const devices: Device[] = [];

beforeAll(async () => {
	relay = await startTestRelay();
});

afterEach(async () => {
	for (const device of devices.splice(0)) await device.engine.stop();
});

afterAll(async () => {
	await relay?.stop();
});

/** Accounts seeded straight into the relay's database, one per name, in order. */
async function seedPeople<const N extends readonly string[]>(
	names: N
): Promise<{ [K in keyof N]: SeededAccount }> {
	const seeded: SeededAccount[] = [];
	for (const name of names) seeded.push(await seedAccount(relay.dataDir, name));
	return seeded as { [K in keyof N]: SeededAccount };
}

function directoryOf(account: SeededAccount): Directory {
	const api = new AccountApi({ baseUrl: relay.url });
	return {
		lookUp: (email) => api.lookUp(account.token, email),
		lookUpMember: (signPk) => api.lookUpMember(account.token, signPk)
	};
}

async function deviceOf(account: SeededAccount): Promise<Device> {
	const device = makeDevice({
		name: `${account.email}-${Math.random()}`,
		identity: account.identity,
		token: account.token,
		url: () => relay.wsUrl,
		random: Math.random
	});
	devices.push(device);
	device.engine.start();
	return device;
}

function membersOf(device: Device, account: SeededAccount, album: AlbumSync): Members {
	return new Members({ engine: device.engine, me: account.signPk }, album);
}

describe('sharing an album with people', () => {
	it('shares by email at a role, pins the key, names members, and removes with a new epoch', async () => {
		const [alice, bob, carol] = await seedPeople(['alice', 'bob', 'carol']);
		const aliceDevice = await deviceOf(alice);
		const { album } = await aliceDevice.engine.createAlbum({});
		const model = await album.whenModel();
		model.rename('Trip');
		model.addPhotos([photo(1_000, 'before.jpg')]);
		const people = new People(aliceDevice.db, directoryOf(alice));

		// The share sheet: the directory's keys, their Verification ID, first use.
		const recipient = await people.recipient(bob.email.toUpperCase());
		expect(recipient.email).toBe(bob.email);
		expect(recipient.trust).toBe('first-use');
		expect(recipient.verificationId).toBe(
			await verificationId(bob.identity.sign.publicKey, bob.identity.box.publicKey)
		);
		await people.confirm(recipient);
		await membersOf(aliceDevice, alice, album).add(recipient.keys, 'collaborator');
		expect(album.membership!.members.get(bob.signPk)?.role).toBe('collaborator');
		expect((await people.recipient(bob.email)).trust).toBe('pinned');
		expect(await people.nameOf(bob.signPk)).toBe(bob.email);

		// Bob's device finds the album, reads it, and adds to it.
		const bobDevice = await deviceOf(bob);
		expect((await bobDevice.engine.listAlbums()).map((a) => a.albumId)).toContain(album.albumId);
		const bobAlbum = await bobDevice.engine.openAlbum(album.albumId);
		const bobModel = await bobAlbum.whenModel();
		await bobAlbum.whenCaughtUp();
		expect(bobModel.meta().name).toBe('Trip');
		bobModel.addPhotos([photo(2_000, 'from-bob.jpg')]);
		await eventually(() => model.view().length === 2, 'bob’s photo reaches alice');
		// A fellow member's email comes from the directory; a stranger is told nothing.
		expect(await new People(bobDevice.db, directoryOf(bob)).nameOf(alice.signPk)).toBe(alice.email);
		const stranger = new AccountApi({ baseUrl: relay.url });
		await expect(stranger.lookUpMember(carol.token, alice.signPk)).rejects.toMatchObject({
			status: 404
		});

		// Bob becomes a viewer: his device no longer may add photos.
		await membersOf(aliceDevice, alice, album).changeRole(bob.signPk, 'viewer');
		await eventually(
			// The model's state, not only the chain's: it is what refuses writes.
			() => bobModel.membership.members.get(bob.signPk)?.role === 'viewer',
			'the new role reaches bob'
		);
		expect(() => bobModel.addPhotos([photo(3_000, 'as-viewer.jpg')])).toThrow();

		// Removal: a new epoch key for those who stay; none of it is sealed to bob (I3).
		const epochBefore = album.membership!.epoch;
		await membersOf(aliceDevice, alice, album).remove(bob.signPk);
		expect(album.membership!.epoch).toBe(epochBefore + 1);
		expect(album.membership!.members.has(bob.signPk)).toBe(false);
		const bobKeys = await album.membershipChain!.openEpochKeys(bob.identity);
		expect(Math.max(...bobKeys.keys())).toBe(epochBefore);
		model.addPhotos([photo(4_000, 'after-removal.jpg')]);
		await eventually(
			() => bobAlbum.error !== null || !bobAlbum.membership?.members.has(bob.signPk),
			'bob’s device learns he was removed'
		);
		expect(bobModel.view().some((p) => p.ref.filename === 'after-removal.jpg')).toBe(false);
	});

	it('stops sharing with someone whose key changed until their new Verification ID is accepted', async () => {
		const [alice, dave] = await seedPeople(['alice2', 'dave']);
		const aliceDevice = await deviceOf(alice);
		const people = new People(aliceDevice.db, directoryOf(alice));
		await people.confirm(await people.recipient(dave.email));

		// The directory now serves other keys for dave (a compromised or lying server).
		const sign = await generateSignKeyPair();
		const box = await generateBoxKeyPair();
		withRelayDatabase(relay.dataDir, (db) =>
			db
				.prepare('UPDATE accounts SET sign_pk = ?, box_pk = ? WHERE email = ?')
				.run(Buffer.from(sign.publicKey), Buffer.from(box.publicKey), dave.email)
		);
		const changed = await people.recipient(dave.email);
		expect(changed.trust).toBe('changed');
		expect(changed.keys.signPk).toBe(toBase64Url(sign.publicKey));
		expect(changed.pinnedVerificationId).toBe(
			await verificationId(dave.identity.sign.publicKey, dave.identity.box.publicKey)
		);
		await expect(people.confirm(changed)).rejects.toBeInstanceOf(KeyChangedError);

		// After comparing the new ID out of band, the user accepts it: sharing goes on.
		await people.accept(changed);
		const accepted = await people.recipient(dave.email);
		expect(accepted).toMatchObject({ trust: 'pinned', verified: true });
		await expect(people.confirm(accepted)).resolves.toBeUndefined();
	});

	it('refuses what a role may not do, in words, and lets members leave', async () => {
		const [alice, erin] = await seedPeople(['alice3', 'erin']);
		const aliceDevice = await deviceOf(alice);
		const { album } = await aliceDevice.engine.createAlbum({});
		(await album.whenModel()).rename('Party');
		const owner = membersOf(aliceDevice, alice, album);
		await owner.add({ signPk: erin.signPk, boxPk: erin.boxPk }, 'viewer');
		await expect(owner.add({ signPk: erin.signPk, boxPk: erin.boxPk }, 'admin')).rejects.toThrow(
			/already in the album/
		);
		await expect(owner.remove(alice.signPk)).rejects.toThrow(/owner cannot be removed/);
		await expect(owner.leave()).rejects.toBeInstanceOf(MembershipProblem);

		const erinDevice = await deviceOf(erin);
		const erinAlbum = await erinDevice.engine.openAlbum(album.albumId);
		await erinAlbum.whenModel();
		await erinAlbum.whenCaughtUp();
		const asViewer = membersOf(erinDevice, erin, erinAlbum);
		await expect(
			asViewer.add({ signPk: alice.signPk, boxPk: alice.boxPk }, 'viewer')
		).rejects.toThrow(/Only the album’s owner or an admin/);
		await asViewer.leave();
		await eventually(
			() => !album.membership?.members.has(erin.signPk),
			'alice’s device sees erin leave'
		);
		expect((await erinDevice.engine.listAlbums()).map((a) => a.albumId)).not.toContain(
			album.albumId
		);
	});

	it('looks members up only for people who share an album, and checks the key given', async () => {
		const [frank] = await seedPeople(['frank']);
		const api = new AccountApi({ baseUrl: relay.url });
		const bad = await api.lookUpMember(frank.token, 'not-a-key').catch((error) => error);
		expect(bad).toBeInstanceOf(AccountError);
		expect(bad.status).toBe(400);
		await expect(api.lookUpMember(frank.token, frank.signPk)).rejects.toMatchObject({
			status: 404
		});
	});

	it('adds someone invited by email once they sign up, when the owner’s device next runs', async () => {
		const [alice] = await seedPeople(['alice4']);
		const aliceDevice = await deviceOf(alice);
		const { album } = await aliceDevice.engine.createAlbum({});
		(await album.whenModel()).rename('Reunion');
		const invites = new InviteApi({
			token: alice.token,
			signSeed: signSeedOf(alice.identity.sign.privateKey),
			baseUrl: relay.url
		});
		const email = `gina-${Date.now()}@example.org`;
		await invites.create({ albumId: album.albumId, email, role: 'collaborator' });
		const people = new People(aliceDevice.db, directoryOf(alice));
		const run = () =>
			completeInvites({ engine: aliceDevice.engine, me: alice.signPk, people, invites });
		// Nobody signed up yet: nothing to do.
		expect(await run()).toEqual([]);

		// The invitation mail, with its sign-up link, is in the relay's outbox; it is read and put away.
		const outbox = path.join(relay.dataDir, 'outbox');
		const mails = (await fs.readdir(outbox)).filter((name) => name.endsWith('.eml'));
		let invitation: string | undefined;
		for (const name of mails) {
			const text = await fs.readFile(path.join(outbox, name), 'utf8');
			if (!new RegExp(`^To: ${email}$`, 'm').test(text)) continue;
			invitation = text;
			await fs.rm(path.join(outbox, name));
		}
		expect(invitation).toMatch(/invite=/);

		const gina = quickSignup(email);
		expect((await call(relay.port, 'POST', '/api/signup', { body: gina.body })).status).toBe(202);
		const code = await takeCode(relay.dataDir, email);
		const verified = await call(relay.port, 'POST', '/api/signup/verify', {
			body: { email, code, device: { name: 'Phone' } }
		});
		expect(verified.status).toBe(200);

		const outcomes = await run();
		expect(outcomes).toEqual([
			expect.objectContaining({ albumId: album.albumId, email, result: 'added' })
		]);
		expect(album.membership!.members.get(gina.body.publicKeys.signPk)?.role).toBe('collaborator');
		// Pinned like any share, and done: the next run finds nothing.
		expect((await people.recipient(email)).trust).toBe('pinned');
		expect(await run()).toEqual([]);
	});
});
