// Sharing with people in Chromium, three browser contexts (owner, collaborator, viewer) against the real relay:
// share by email with a role, a collaborator's upload appearing live with presence, a viewer's forced write refused,
// removal (I3), and a changed key blocking sharing (I6).
import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import Database from 'better-sqlite3';
import { expect, type Browser, type Page } from '@playwright/test';
import { AlbumModel, contribDocId, type NewPhoto } from '../../src/lib/albums';
import { deriveDocKey, signKeyPairFromSeed, toBase64Url } from '../../src/lib/crypto';
import { MembershipChain } from '../../src/lib/sync';
import { openEnvelope, sealEnvelope } from '../../src/lib/sync/envelope';
import type { Envelope } from '../../src/lib/protocol';
import { insertExif } from '../fixtures/exif-writer';
import { gradientPixel, makeJpeg } from '../fixtures/make-jpeg';
import { StreamClient } from '../integration/helpers/stream';
import {
	E2E_DATA_DIR,
	createAccountThroughApi,
	logIn,
	test,
	uniqueEmail,
	waitForEmailCode,
	type TestAccount
} from './helpers';

/** A photo unique to this run; `padding` bytes after the image make its upload take a while. */
function photo(name: string, day: number, padding = 0) {
	const width = 320 + day;
	const jpeg = insertExif(makeJpeg({ width, height: 240, pixel: gradientPixel(width, 240) }), {
		make: 'Sharing spec',
		dateTimeOriginal: `2024:06:${String(day).padStart(2, '0')} 12:00:00`,
		offsetTimeOriginal: '+00:00'
	});
	return {
		name,
		mimeType: 'image/jpeg',
		buffer: Buffer.concat([Buffer.from(jpeg), randomBytes(padding)])
	};
}

async function signedIn(browser: Browser, account: TestAccount): Promise<Page> {
	const context = await browser.newContext();
	const page = await context.newPage();
	await logIn(page, account);
	await expect(page.getByText('No photos yet')).toBeVisible({ timeout: 20_000 });
	return page;
}

async function newAlbum(page: Page, name: string): Promise<string> {
	await page
		.getByRole('navigation', { name: 'Main' })
		.getByRole('link', { name: 'Albums' })
		.click();
	await page.getByTestId('new-album-button').click();
	await page.getByTestId('new-album-name').fill(name);
	await page.keyboard.press('Enter');
	await expect(page.getByTestId('album-title')).toHaveText(name);
	return /\/albums\/([A-Za-z0-9_-]+)$/.exec(page.url())![1]!;
}

async function openPeople(page: Page) {
	const panel = page.getByTestId('members-panel');
	if ((await panel.getAttribute('open')) === null) await panel.locator('summary').click();
	return panel;
}

async function share(page: Page, email: string, role: 'viewer' | 'collaborator' | 'admin') {
	await (await openPeople(page)).getByTestId('share-button').click();
	const dialog = page.getByTestId('share-dialog');
	await dialog.getByTestId('share-email').fill(email);
	await dialog.getByTestId('share-look-up').click();
	await expect(dialog.getByTestId('share-trust')).toContainText('First time you share with them');
	await dialog.getByTestId(`share-role-${role}`).check();
	await dialog.getByTestId('share-confirm').click();
	await expect(page.getByTestId('album-notice')).toContainText(`Shared with ${email}`);
}

async function openSharedAlbum(page: Page, name: string) {
	await page
		.getByRole('navigation', { name: 'Main' })
		.getByRole('link', { name: 'Albums' })
		.click();
	await page.getByRole('link', { name: new RegExp(name) }).click();
	await expect(page.getByTestId('album-title')).toHaveText(name);
}

function relayDatabase() {
	return new Database(path.join(E2E_DATA_DIR, 'tessera.sqlite'));
}

/** The album's membership chain as the relay stores it, verified as every client verifies it. */
function storedChain(albumId: string): Promise<MembershipChain> {
	const db = relayDatabase();
	try {
		const entries = (
			db
				.prepare('SELECT entry FROM membership_entries WHERE album_id = ? ORDER BY chain_index')
				.all(albumId) as { entry: string }[]
		).map((row) => JSON.parse(row.entry) as unknown);
		return MembershipChain.verify(entries, { expectedAlbumId: albumId });
	} finally {
		db.close();
	}
}

async function identityOf(account: TestAccount) {
	const keys = account.keys!;
	return {
		sign: await signKeyPairFromSeed(keys.signSeed),
		box: { publicKey: keys.boxPublicKey, privateKey: keys.boxSecretKey }
	};
}

test('an owner shares with a collaborator and a viewer; live uploads, presence, a refused forced write, removal', async ({
	browser,
	baseURL
}) => {
	test.setTimeout(240_000);
	const [owner, collaborator, viewer] = [
		await createAccountThroughApi(baseURL!, uniqueEmail('owner')),
		await createAccountThroughApi(baseURL!, uniqueEmail('collaborator')),
		await createAccountThroughApi(baseURL!, uniqueEmail('viewer'))
	];
	const ownerPage = await signedIn(browser, owner);
	const albumId = await newAlbum(ownerPage, 'Shared trip');
	await ownerPage.getByTestId('album-upload-input').setInputFiles([photo('owner-1.jpg', 1)]);
	await expect(ownerPage.getByTestId('album-count')).toHaveText('1 photo', { timeout: 30_000 });

	await share(ownerPage, collaborator.email, 'collaborator');
	await share(ownerPage, viewer.email, 'viewer');
	const panel = await openPeople(ownerPage);
	await expect(panel.getByTestId('member')).toHaveCount(3);
	await expect(panel.getByTestId('member').filter({ hasText: collaborator.email })).toContainText(
		'Collaborator'
	);

	// The collaborator is told, in the notification centre, then finds the album under Albums.
	const collaboratorPage = await signedIn(browser, collaborator);
	await expect(collaboratorPage.getByTestId('notification-badge')).toBeVisible({
		timeout: 20_000
	});
	await collaboratorPage.getByTestId('notification-bell').click();
	await expect(
		collaboratorPage.locator('[data-testid="notification"][data-type="shared"]')
	).toContainText('An album was shared with you: “Shared trip”', { timeout: 20_000 });
	await collaboratorPage.keyboard.press('Escape');
	await openSharedAlbum(collaboratorPage, 'Shared trip');
	await expect(collaboratorPage.getByText('Shared · Collaborator')).toBeVisible();
	await expect(collaboratorPage.getByTestId('album-count')).toHaveText('1 photo');

	// Their upload, slowed down so it takes a while: the owner's open album shows the photo and who
	// is uploading, without a reload.
	const cdp = await collaboratorPage.context().newCDPSession(collaboratorPage);
	await cdp.send('Network.enable');
	await cdp.send('Network.emulateNetworkConditions', {
		offline: false,
		latency: 0,
		downloadThroughput: -1,
		uploadThroughput: 256 * 1024
	});
	await collaboratorPage
		.getByTestId('album-upload-input')
		.setInputFiles([photo('collaborator-2.jpg', 2, 3 * 1024 * 1024)]);
	await expect(ownerPage.getByTestId('album-count')).toHaveText('2 photos', { timeout: 30_000 });
	const presence = ownerPage.getByRole('list', { name: 'Here now' });
	await expect(presence).toContainText('uploading 1 file', { timeout: 30_000 });
	await expect(presence).toContainText(`${collaborator.email} is here`);
	await cdp.send('Network.emulateNetworkConditions', {
		offline: false,
		latency: 0,
		downloadThroughput: -1,
		uploadThroughput: -1
	});
	await expect(presence).not.toContainText('uploading', { timeout: 60_000 });
	// The owner hears of new photos in the album (one notification per album, however many).
	await expect(ownerPage.getByTestId('notification-badge')).toBeVisible({ timeout: 20_000 });
	await expect(ownerPage.getByTestId('grid-cell')).toHaveCount(2);
	await expect(ownerPage.getByTestId('thumb-img')).toHaveCount(2, {
		timeout: 60_000
	});
	await expect(ownerPage.getByTestId('thumb-error')).toHaveCount(0);

	// The viewer sees the photos and nothing to add them with.
	const viewerPage = await signedIn(browser, viewer);
	await openSharedAlbum(viewerPage, 'Shared trip');
	await expect(viewerPage.getByText('Shared · Viewer')).toBeVisible();
	await expect(viewerPage.getByTestId('album-count')).toHaveText('2 photos');
	await expect(viewerPage.getByTestId('add-photos-button')).toHaveCount(0);
	await expect(viewerPage.getByTestId('upload-to-album-button')).toHaveCount(0);
	await (await openPeople(viewerPage)).waitFor();
	await expect(viewerPage.getByTestId('share-button')).toHaveCount(0);

	// A write forced through the protocol with the viewer's own keys and session: correctly
	// encrypted under the album's key and signed, and still refused; nobody ever sees it.
	const viewerIdentity = await identityOf(viewer);
	const viewerPk = toBase64Url(viewerIdentity.sign.publicKey);
	const chain = await storedChain(albumId);
	const state = chain.state;
	const epochKey = (await chain.openEpochKeys(viewerIdentity)).get(state.epoch)!;
	expect(epochKey).toBeDefined();
	// A Yjs update names no doc: made as the owner's device would make one, sealed as the viewer's.
	const ownerPk = toBase64Url((await identityOf(owner)).sign.publicKey);
	const forgedModel = new AlbumModel({ membership: state, me: ownerPk });
	const updates: Uint8Array[] = [];
	forgedModel.onLocalUpdate((_docId, update) => updates.push(update));
	const forgedPhoto: NewPhoto = {
		id: toBase64Url(randomBytes(16)),
		fileKey: toBase64Url(randomBytes(32)),
		blobs: { original: toBase64Url(randomBytes(16)) },
		mime: 'image/jpeg',
		size: 1,
		width: 1,
		height: 1,
		takenAt: Date.UTC(2024, 5, 9),
		filename: 'forced-by-viewer.jpg'
	};
	forgedModel.addPhotos([forgedPhoto]);
	const docId = contribDocId(viewerPk);
	const forged = await sealEnvelope({
		albumId,
		docId,
		kind: 'update',
		epoch: state.epoch,
		chainIndex: state.head.index,
		update: updates[0]!,
		docKey: await deriveDocKey(epochKey, docId),
		signer: viewerIdentity.sign
	});
	const client = await StreamClient.connect(baseURL!, { token: viewer.token! } as never);
	try {
		const reply = await client.request({ t: 'post', envelope: forged });
		expect(reply).toMatchObject({ t: 'error', code: 'not-authorized' });
	} finally {
		client.close();
	}
	await ownerPage.reload();
	await expect(ownerPage.getByTestId('album-count')).toHaveText('2 photos', { timeout: 30_000 });
	const stored = relayDatabase();
	try {
		const byViewer = stored
			.prepare('SELECT COUNT(*) AS n FROM envelopes WHERE album_id = ? AND signer = ?')
			.get(albumId, viewerPk) as { n: number };
		expect(byViewer.n).toBe(0);
	} finally {
		stored.close();
	}

	// The owner removes the collaborator: their open album says so.
	const people = await openPeople(ownerPage);
	await people
		.getByTestId('member')
		.filter({ hasText: collaborator.email })
		.getByTestId('member-remove')
		.click();
	await ownerPage.getByTestId('confirm-remove-member').click();
	await expect(ownerPage.getByTestId('album-notice')).toContainText('was removed');
	await expect(collaboratorPage.getByTestId('album-problem')).toContainText(
		'You are no longer a member of this album',
		{ timeout: 30_000 }
	);

	// A photo added afterwards (an update, or the snapshot the owner's device writes under the new
	// epoch): the keys the collaborator held open nothing of it (I3).
	await ownerPage.getByTestId('album-upload-input').setInputFiles([photo('after-removal.jpg', 3)]);
	await expect(ownerPage.getByTestId('album-count')).toHaveText('3 photos', { timeout: 30_000 });
	await expect
		.poll(async () => (await storedChain(albumId)).state.epoch, { timeout: 10_000 })
		.toBe(state.epoch + 1);
	const after = await storedChain(albumId);
	const held = await after.openEpochKeys(await identityOf(collaborator));
	expect(held.has(after.state.epoch)).toBe(false);
	// The photo reaches the relay after it shows on the owner's device: wait for it there.
	const newestUnderNewEpoch = (): Envelope | undefined => {
		const db = relayDatabase();
		try {
			const row = db
				.prepare(
					`SELECT seq, envelope FROM envelopes WHERE album_id = @albumId AND doc_id = @docId AND epoch = @epoch
					UNION ALL SELECT seq, envelope FROM snapshots WHERE album_id = @albumId AND doc_id = @docId AND epoch = @epoch
					ORDER BY seq DESC LIMIT 1`
				)
				.get({ albumId, docId: contribDocId(ownerPk), epoch: after.state.epoch }) as
				{ envelope: string } | undefined;
			return row && (JSON.parse(row.envelope) as Envelope);
		} finally {
			db.close();
		}
	};
	await expect.poll(() => newestUnderNewEpoch() !== undefined, { timeout: 30_000 }).toBe(true);
	const newest = newestUnderNewEpoch()!;
	// Opened with everything the collaborator held, as their device would: no key for this epoch.
	await expect(openEnvelope(newest, { state: after.state, epochKeys: held })).rejects.toThrow();
	// Each old key tried as if it were the new one: the ciphertext does not open.
	for (const [epoch, key] of held) {
		await expect(
			openEnvelope(newest, {
				state: after.state,
				epochKeys: new Map([[after.state.epoch, key]])
			})
		).rejects.toThrow();
		expect(epoch).toBeLessThan(after.state.epoch);
	}
});

test('a changed key for someone already shared with stops sharing until the new ID is accepted', async ({
	browser,
	baseURL
}) => {
	test.setTimeout(120_000);
	const owner = await createAccountThroughApi(baseURL!, uniqueEmail('pinner'));
	const friend = await createAccountThroughApi(baseURL!, uniqueEmail('friend'));
	const page = await signedIn(browser, owner);
	await newAlbum(page, 'First album');
	await share(page, friend.email, 'viewer');

	// The directory now serves other keys for the friend: a server that lies, or a reset account.
	const db = relayDatabase();
	try {
		db.prepare('UPDATE accounts SET sign_pk = ?, box_pk = ? WHERE email = ?').run(
			randomBytes(32),
			randomBytes(32),
			friend.email
		);
	} finally {
		db.close();
	}

	await newAlbum(page, 'Second album');
	await (await openPeople(page)).getByTestId('share-button').click();
	const dialog = page.getByTestId('share-dialog');
	await dialog.getByTestId('share-email').fill(friend.email);
	await dialog.getByTestId('share-look-up').click();
	await expect(dialog.getByTestId('key-changed')).toContainText(`${friend.email}’s keys changed`);
	await expect(dialog.getByTestId('share-confirm')).toHaveCount(0);
	await expect(dialog.getByTestId('trust-new-keys')).toBeDisabled();
	await dialog.getByTestId('compared-new-id').check();
	await dialog.getByTestId('trust-new-keys').click();
	await expect(dialog.getByTestId('share-trust')).toContainText('same keys');
	await expect(dialog.getByTestId('share-confirm')).toBeEnabled();
});

/** The sign-up link (path and query) of the invitation mailed to `email`, from the relay's outbox. */
async function invitationLink(email: string): Promise<string> {
	const folder = path.join(E2E_DATA_DIR, 'outbox');
	let link: string | undefined;
	await expect
		.poll(
			async () => {
				for (const name of (await readdir(folder)).filter((n) => n.endsWith('.eml'))) {
					// Undo quoted-printable soft breaks and escapes: the link may be wrapped.
					const mail = (await readFile(path.join(folder, name), 'utf8'))
						.replace(/=\r?\n/g, '')
						.replace(/=3D/gi, '=');
					if (!new RegExp(`^To: ${email}$`, 'im').test(mail)) continue;
					const url = /https?:\/\/\S+?(\/\?invite=[A-Za-z0-9_-]+&email=[^\s"<>]+)/.exec(mail);
					if (url) link = url[1]!.replace(/&amp;/g, '&');
				}
				return link;
			},
			{ message: `an invitation to ${email}`, timeout: 10_000 }
		)
		.toBeTruthy();
	return link!;
}

test('an invite to an email with no account: sign up through the mailed link; the album appears once the owner is online', async ({
	browser,
	baseURL
}) => {
	test.setTimeout(180_000);
	const owner = await createAccountThroughApi(baseURL!, uniqueEmail('inviter'));
	const ownerPage = await signedIn(browser, owner);
	await newAlbum(ownerPage, 'Invited album');
	const email = uniqueEmail('invitee');
	await (await openPeople(ownerPage)).getByTestId('share-button').click();
	const dialog = ownerPage.getByTestId('share-dialog');
	await dialog.getByTestId('share-email').fill(email);
	await dialog.getByTestId('share-look-up').click();
	await expect(dialog.getByTestId('share-invite')).toContainText('Nobody with this email');
	await dialog.getByTestId('share-role-collaborator').check();
	await dialog.getByTestId('share-send-invite').click();
	await expect(ownerPage.getByTestId('album-notice')).toContainText(`Invitation sent to ${email}`);
	// The owner's app goes offline (closed) before the invitee signs up.
	await ownerPage.context().close();

	const page = await (await browser.newContext()).newPage();
	await page.goto(await invitationLink(email));
	await expect(page.getByText('You were invited to a shared album')).toBeVisible();
	await page.getByRole('link', { name: 'Sign up' }).click();
	await expect(page.getByLabel('Email')).toHaveValue(email);
	await page.getByLabel('Password', { exact: true }).fill('violet anchor mosaic 71');
	await page.getByRole('button', { name: 'Create account' }).click();
	const list = page.getByRole('list', { name: 'Recovery words' });
	await expect(list).toBeVisible({ timeout: 30_000 });
	const words = (await list.locator('li .w').allTextContents()).map((w) => w.trim());
	await page.getByRole('button', { name: 'I have saved them' }).click();
	const asked = page.getByRole('textbox', { name: /^Word \d+$/ });
	await expect(asked).toHaveCount(3);
	for (let i = 0; i < 3; i++) {
		const label = await asked.nth(i).evaluate((input) => input.closest('label')!.textContent!);
		await asked.nth(i).fill(words[Number(/Word (\d+)/.exec(label)![1]) - 1]!);
	}
	await page.getByRole('button', { name: 'Continue' }).click();
	await page.getByLabel('Code').fill(await waitForEmailCode(email));
	await page.getByRole('button', { name: 'Confirm' }).click();
	await expect(page.getByRole('navigation', { name: 'Main' })).toBeVisible();
	await page
		.getByRole('navigation', { name: 'Main' })
		.getByRole('link', { name: 'Albums' })
		.click();
	await expect(page.getByText('No albums yet')).toBeVisible({ timeout: 20_000 });

	// The owner's app comes back online: it adds the invitee, whose open Albums page shows the album.
	await signedIn(browser, owner);
	await expect(page.getByRole('link', { name: /Invited album/ })).toBeVisible({ timeout: 30_000 });
	await page.getByRole('link', { name: /Invited album/ }).click();
	await expect(page.getByText('Shared · Collaborator')).toBeVisible();
	await expect(page.getByTestId('upload-to-album-button')).toBeVisible();
});

test('partner sharing: a photo the sharer imports reaches the partner with no manual step, and their Library when they choose', async ({
	browser,
	baseURL
}) => {
	test.setTimeout(180_000);
	const sharer = await createAccountThroughApi(baseURL!, uniqueEmail('sharer'));
	const partner = await createAccountThroughApi(baseURL!, uniqueEmail('partner'));
	const sharerPage = await signedIn(browser, sharer);
	const partnerPage = await signedIn(browser, partner);

	// The sharer chooses a partner: the same look-up, Verification ID and pinning as any share.
	await sharerPage
		.getByRole('navigation', { name: 'Main' })
		.getByRole('link', { name: 'Sharing' })
		.click();
	await sharerPage.getByTestId('partner-choose').click();
	const dialog = sharerPage.getByTestId('share-dialog');
	await dialog.getByTestId('share-email').fill(partner.email);
	await dialog.getByTestId('share-look-up').click();
	await expect(dialog.getByTestId('share-trust')).toContainText('First time you share with them');
	await dialog.getByTestId('share-confirm').click();
	await expect(sharerPage.getByTestId('partner-status')).toContainText(partner.email);

	// The partner finds the album their partner fills, and keeps it open.
	await partnerPage
		.getByRole('navigation', { name: 'Main' })
		.getByRole('link', { name: 'Sharing' })
		.click();
	await partnerPage.getByTestId('from-partner').click({ timeout: 30_000 });
	await expect(partnerPage.getByTestId('album-count')).toHaveText('No photos yet');

	// The sharer imports a photo into their own Library, nothing else.
	await sharerPage
		.getByRole('navigation', { name: 'Main' })
		.getByRole('link', { name: 'Library' })
		.click();
	await sharerPage.getByTestId('import-input').setInputFiles([photo('for-partner.jpg', 4)]);
	await expect(partnerPage.getByTestId('album-count')).toHaveText('1 photo', { timeout: 30_000 });

	// Shown in the partner's own Library timeline once they ask for it.
	await partnerPage.getByTestId('show-in-library').check();
	await partnerPage
		.getByRole('navigation', { name: 'Main' })
		.getByRole('link', { name: 'Library' })
		.click();
	await expect(partnerPage.getByTestId('grid-cell')).toHaveCount(1, { timeout: 30_000 });
	await expect(partnerPage.getByTestId('thumb-img')).toHaveCount(1, { timeout: 30_000 });

	// A chosen album goes to the partner too, with the keys already verified for partner sharing.
	await newAlbum(sharerPage, 'Chosen for partner');
	await sharerPage
		.getByRole('navigation', { name: 'Main' })
		.getByRole('link', { name: 'Sharing' })
		.click();
	await sharerPage
		.getByTestId('partner-album-select')
		.selectOption({ label: 'Chosen for partner' });
	await sharerPage.getByTestId('partner-album-share').click();
	await expect(sharerPage.getByTestId('partner-card')).toContainText(
		'“Chosen for partner” is shared with your partner too.'
	);
	await partnerPage
		.getByRole('navigation', { name: 'Main' })
		.getByRole('link', { name: 'Albums' })
		.click();
	await expect(partnerPage.getByRole('link', { name: /Chosen for partner/ })).toBeVisible({
		timeout: 30_000
	});
	await partnerPage
		.getByRole('navigation', { name: 'Main' })
		.getByRole('link', { name: 'Library' })
		.click();

	// Stopping removes the partner: the album's key changes and their app says so.
	await sharerPage
		.getByRole('navigation', { name: 'Main' })
		.getByRole('link', { name: 'Sharing' })
		.click();
	await sharerPage.getByTestId('partner-stop').click();
	await sharerPage.getByTestId('partner-stop-confirm').click();
	await expect(sharerPage.getByTestId('partner-choose')).toBeVisible({ timeout: 20_000 });
	await expect(partnerPage.getByTestId('grid-cell')).toHaveCount(0, { timeout: 30_000 });
});
