// Albums in Chromium against the real relay: create one, fill it from the library through the picker,
// rename it, remove a photo (it stays in the library), add photos from the library's selection, delete it.
import { expect, type Page } from '@playwright/test';
import { insertExif } from '../fixtures/exif-writer';
import { gradientPixel, makeJpeg } from '../fixtures/make-jpeg';
import { createAccountThroughApi, logIn, test } from './helpers';

/** Three photos taken on the 1st, 2nd and 3rd of May 2024, unique to this run (content hashes). */
function photos(tag: string) {
	return [1, 2, 3].map((day) => {
		const width = 300 + day * 10;
		const jpeg = makeJpeg({ width, height: 200, pixel: gradientPixel(width, 200) });
		const withExif = insertExif(jpeg, {
			make: 'Albums spec',
			imageDescription: `albums-${tag}-${day}`,
			dateTimeOriginal: `2024:05:0${day} 12:00:00`,
			offsetTimeOriginal: '+00:00'
		});
		return {
			name: `albums-${tag}-${day}.jpg`,
			mimeType: 'image/jpeg',
			buffer: Buffer.from(withExif)
		};
	});
}

function nav(page: Page) {
	return page.getByRole('navigation', { name: 'Main' });
}

test('create an album, fill it from the library, rename it, remove a photo, delete it', async ({
	page,
	baseURL
}) => {
	test.setTimeout(120_000);
	// An account of its own: the worker's shared one must keep an empty library and no albums for
	// the specs that check the empty places.
	const account = await createAccountThroughApi(baseURL!);
	await logIn(page, account);
	await expect(page.getByText('No photos yet')).toBeVisible({ timeout: 20_000 });

	const tag = Date.now().toString(36);
	await page.locator('input[type="file"]').first().setInputFiles(photos(tag));
	await expect(page.getByTestId('import-report')).toContainText('3 photos added', {
		timeout: 60_000
	});
	const libraryCount = page.getByTestId('library-count');
	await expect(libraryCount).toHaveText('3 photos and videos');

	// A new album from the Albums tab opens at once, empty.
	await nav(page).getByRole('link', { name: 'Albums' }).click();
	await expect(page.getByText('No albums yet')).toBeVisible();
	await page.getByTestId('new-album-button').click();
	const dialog = page.getByRole('dialog', { name: 'New album' });
	await expect(dialog).toBeVisible();
	await expect(page.getByTestId('new-album-name')).toBeFocused();
	await page.getByTestId('new-album-name').fill('Trip');
	await page.keyboard.press('Enter');
	await expect(page).toHaveURL(/\/albums\/[A-Za-z0-9_-]+$/);
	const title = page.getByTestId('album-title');
	const count = page.getByTestId('album-count');
	await expect(title).toHaveText('Trip');
	await expect(count).toHaveText('No photos yet');

	// Two photos from the library, through the picker.
	await page.getByTestId('add-photos-button').click();
	const picker = page.getByTestId('library-picker');
	await expect(picker).toBeVisible();
	const choices = picker.getByTestId('grid-cell');
	await expect(choices).toHaveCount(3);
	await choices.nth(0).click();
	await choices.nth(1).click();
	await expect(page.getByTestId('picker-confirm')).toHaveText('Add 2 photos');
	await page.getByTestId('picker-confirm').click();
	await expect(picker).toHaveCount(0);
	await expect(count).toHaveText('2 photos');
	await expect(page.getByTestId('grid-cell')).toHaveCount(2);

	// The album's card says so too.
	await page.getByRole('link', { name: 'All albums' }).click();
	const card = page.getByTestId('album-card').filter({ hasText: 'Trip' });
	await expect(card).toContainText('2 photos');
	await card.click();
	await expect(title).toHaveText('Trip');

	// Renamed in place; the card follows.
	await page.getByRole('button', { name: 'Rename album' }).click();
	const nameField = page.getByLabel('Album name');
	await expect(nameField).toBeFocused();
	await nameField.fill('Summer trip');
	await page.keyboard.press('Enter');
	await expect(title).toHaveText('Summer trip');

	// Removing a photo takes it out of the album, not out of the library.
	await page
		.getByTestId('grid-cell')
		.first()
		.click({ modifiers: ['Shift'] });
	await page.getByTestId('selection-bar').getByRole('button', { name: 'Remove' }).click();
	await expect(page.getByTestId('album-notice')).toHaveText(/Removed 1 photo from the album\./);
	await expect(count).toHaveText('1 photo');
	await expect(page.getByTestId('grid-cell')).toHaveCount(1);
	await nav(page).getByRole('link', { name: 'Library' }).click();
	await expect(libraryCount).toHaveText('3 photos and videos');

	// From the library's selection: the photo already there is not added twice.
	const cells = page.getByTestId('grid-cell');
	await cells.nth(0).click({ modifiers: ['Shift'] });
	await cells.nth(1).click();
	await cells.nth(2).click();
	await page.getByTestId('selection-bar').getByRole('button', { name: 'Add to album' }).click();
	const addDialog = page.getByTestId('add-to-album-dialog');
	await addDialog.getByRole('button', { name: /Summer trip/ }).click();
	await expect(page.getByTestId('album-notice')).toHaveText(
		/Added 2 photos to “Summer trip” \(1 was already there\)/
	);
	await nav(page).getByRole('link', { name: 'Albums' }).click();
	const renamed = page.getByTestId('album-card').filter({ hasText: 'Summer trip' });
	await expect(renamed).toContainText('3 photos');

	// Deleting asks first, then the album is gone for everyone; the photos stay in the library.
	await renamed.click();
	await page.getByTestId('delete-album-button').click();
	const confirm = page.getByRole('dialog', { name: 'Delete “Summer trip” for everyone?' });
	await expect(confirm).toContainText('The photos stay in each person’s library.');
	await confirm.getByRole('button', { name: 'Delete album' }).click();
	await expect(page).toHaveURL(/\/albums$/);
	await expect(page.getByText('No albums yet')).toBeVisible();
	await expect(page.getByTestId('album-card')).toHaveCount(0);
	await nav(page).getByRole('link', { name: 'Library' }).click();
	await expect(libraryCount).toHaveText('3 photos and videos');
});

test('an unknown album id says so and leads back to the albums', async ({ page, account }) => {
	await logIn(page, account);
	await page.goto('/albums/AAAAAAAAAAAAAAAAAAAAAA');
	await expect(page.getByTestId('album-problem')).toContainText(
		'This album does not exist, or you are not a member of it.',
		{ timeout: 20_000 }
	);
	await page.getByRole('link', { name: 'Back to albums' }).click();
	await expect(page).toHaveURL(/\/albums$/);
});

test('an album kept on this device opens whole offline, photos never viewed included', async ({
	page,
	context,
	baseURL
}) => {
	test.setTimeout(120_000);
	await logIn(page, await createAccountThroughApi(baseURL!));
	await expect(page.getByText('No photos yet')).toBeVisible({ timeout: 20_000 });
	await page
		.locator('input[type="file"]')
		.first()
		.setInputFiles(photos(`keep-${Date.now().toString(36)}`));
	await expect(page.getByTestId('import-report')).toContainText('3 photos added', {
		timeout: 60_000
	});
	await expect(page.locator('[data-testid="grid-cell"][aria-label*="uploading"]')).toHaveCount(0, {
		timeout: 60_000
	});

	// An album made from all three, then kept on this device.
	await page.getByTestId('grid-cell').first().focus();
	await page.keyboard.press('Control+a');
	await page.getByTestId('selection-bar').getByRole('button', { name: 'Add to album' }).click();
	await page.getByRole('button', { name: /New album/ }).click();
	await page.getByTestId('new-album-name').fill('Kept');
	await page.keyboard.press('Enter');
	await nav(page).getByRole('link', { name: 'Albums' }).click();
	await page.getByTestId('album-card').filter({ hasText: 'Kept' }).click();
	await expect(page.getByTestId('album-count')).toHaveText('3 photos');
	const albumUrl = page.url();
	// Forget everything this device cached so far: only keeping may bring the originals back.
	await page.evaluate(
		() =>
			new Promise<void>((resolve, reject) => {
				const open = indexedDB.open('tessera');
				open.onsuccess = () => {
					const tx = open.result.transaction('blobs', 'readwrite');
					tx.objectStore('blobs').clear();
					tx.oncomplete = () => resolve();
					tx.onerror = () => reject(tx.error);
				};
				open.onerror = () => reject(open.error);
			})
	);
	await page.getByTestId('keep-button').click();
	await expect(page.getByTestId('kept-status')).toBeVisible({ timeout: 60_000 });

	await context.setOffline(true);
	await page.goto(albumUrl);
	await expect(page.getByTestId('album-count')).toHaveText('3 photos', { timeout: 30_000 });
	for (let i = 0; i < 3; i++) {
		await page.getByTestId('grid-cell').nth(i).click();
		await expect(page.getByTestId('lightbox-image')).toBeVisible({ timeout: 20_000 });
		await expect(page.getByTestId('lightbox-error')).toHaveCount(0);
		await page.keyboard.press('Escape');
	}
	await context.setOffline(false);
});
