// The library in Chromium against the real relay: import photos and a video, the grid in date order,
// the lightbox and its EXIF panel, offline after a reload, nothing readable on the relay (I1), and
// a blob altered on the relay's disk shown as an error (I5).
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect, type Page } from '@playwright/test';
import { insertExif } from '../fixtures/exif-writer';
import { gradientPixel, makeJpeg } from '../fixtures/make-jpeg';
import { createAccountThroughApi, E2E_DATA_DIR, logIn, test } from './helpers';

const MARKER = 'TESSERA-MARKER';
const PHOTOS = 20;

interface FixtureFile {
	name: string;
	mimeType: string;
	buffer: Buffer;
}

/** Photo i was taken on day i of March 2024 (so photo 20 is the newest); they are imported shuffled. */
function photoFixtures(tag: string): FixtureFile[] {
	const files: FixtureFile[] = [];
	for (let i = 1; i <= PHOTOS; i++) {
		const jpeg = makeJpeg({
			width: 320 + i * 8,
			height: 240,
			pixel: gradientPixel(320 + i * 8, 240)
		});
		const withExif = insertExif(jpeg, {
			make: `${MARKER}-MAKE`,
			model: `Model ${i}`,
			imageDescription: `${MARKER}-DESCRIPTION-${tag}`,
			dateTimeOriginal: `2024:03:${String(i).padStart(2, '0')} 10:00:00`,
			offsetTimeOriginal: '+00:00',
			fNumber: 1.8,
			exposureTime: 1 / 120,
			iso: 100,
			focalLength: 26,
			lensModel: `${MARKER}-LENS`,
			gps: { lat: 48.8584, lon: 2.2945 }
		});
		files.push({
			name: `${MARKER}-${tag}-photo-${String(i).padStart(2, '0')}.jpg`,
			mimeType: 'image/jpeg',
			buffer: Buffer.from(withExif)
		});
	}
	// Odd days first, then even ones: file order must not decide the grid's order.
	return [...files.filter((_, i) => i % 2 === 0), ...files.filter((_, i) => i % 2 === 1)];
}

/** A one-second WebM recorded in the page from a canvas (Chromium encodes VP8/VP9 headless). */
async function recordVideo(page: Page): Promise<Buffer> {
	const base64 = await page.evaluate(async () => {
		const canvas = document.createElement('canvas');
		canvas.width = 160;
		canvas.height = 120;
		const context = canvas.getContext('2d')!;
		const stream = canvas.captureStream(15);
		const recorder = new MediaRecorder(stream, { mimeType: 'video/webm' });
		const chunks: Blob[] = [];
		recorder.ondataavailable = (event) => chunks.push(event.data);
		const stopped = new Promise((resolve) => (recorder.onstop = resolve));
		recorder.start();
		const started = performance.now();
		await new Promise<void>((resolve) => {
			const draw = () => {
				const t = performance.now() - started;
				context.fillStyle = `hsl(${(t / 4) % 360} 70% 50%)`;
				context.fillRect(0, 0, 160, 120);
				if (t < 1000) requestAnimationFrame(draw);
				else resolve();
			};
			draw();
		});
		recorder.stop();
		await stopped;
		const bytes = new Uint8Array(await new Blob(chunks).arrayBuffer());
		let binary = '';
		for (const byte of bytes) binary += String.fromCharCode(byte);
		return btoa(binary);
	});
	return Buffer.from(base64, 'base64');
}

async function filesUnder(folder: string): Promise<string[]> {
	const out: string[] = [];
	for (const entry of await readdir(folder, { withFileTypes: true, recursive: true })) {
		if (entry.isFile()) out.push(path.join(entry.parentPath, entry.name));
	}
	return out;
}

async function importFiles(page: Page, files: FixtureFile[]): Promise<void> {
	await page.locator('input[type="file"]').first().setInputFiles(files);
}

/** Waits until no grid cell shows upload progress any more. */
async function uploadsFinished(page: Page): Promise<void> {
	await expect(page.locator('[data-testid="grid-cell"][aria-label*="uploading"]')).toHaveCount(0, {
		timeout: 60_000
	});
}

test('import photos and a video, browse them by date, read EXIF, and keep them offline', async ({
	page,
	context,
	baseURL
}) => {
	test.setTimeout(180_000);
	// Accounts of their own: the worker's shared account must keep an empty library for other specs.
	await logIn(page, await createAccountThroughApi(baseURL!));
	await expect(page.getByText('No photos yet')).toBeVisible({ timeout: 20_000 });

	const tag = Date.now().toString(36);
	const video = await recordVideo(page);
	const files = [
		...photoFixtures(tag),
		{ name: `${MARKER}-${tag}-clip.webm`, mimeType: 'video/webm', buffer: video }
	];
	await importFiles(page, files);
	await expect(page.getByTestId('import-report')).toContainText('21 photos added', {
		timeout: 90_000
	});
	const cells = page.getByTestId('grid-cell');
	const count = page.getByTestId('library-count');
	await expect(count).toHaveText('21 photos and videos');

	// Importing the same files again stores nothing twice.
	await importFiles(page, files.slice(0, 2));
	await expect(page.getByTestId('import-report')).toContainText('2 were already in your library');
	await expect(count).toHaveText('21 photos and videos');
	await uploadsFinished(page);

	// Newest first: the video (recorded today), then photo 20, 19, ...
	await expect(page.getByTestId('thumb-img').first()).toBeVisible();
	await cells.nth(1).click();
	const lightbox = page.getByRole('dialog');
	await expect(lightbox).toBeVisible();
	await expect(lightbox.locator('img').first()).toBeVisible({ timeout: 30_000 });
	await page.keyboard.press('i');
	const info = page.getByTestId('info-panel');
	await expect(info).toContainText(`${MARKER}-${tag}-photo-20.jpg`);
	await expect(info).toContainText(`${MARKER}-MAKE`);
	await expect(info).toContainText('ISO 100');
	await page.keyboard.press('ArrowRight');
	await expect(info).toContainText(`${MARKER}-${tag}-photo-19.jpg`);
	await page.keyboard.press('Escape');
	await expect(lightbox).toHaveCount(0);

	// The relay's database and blob folder hold none of the marker strings (I1).
	const needle = Buffer.from(MARKER);
	for (const file of await filesUnder(E2E_DATA_DIR)) {
		if (file.includes(`${path.sep}outbox${path.sep}`)) continue;
		const bytes = await readFile(file);
		expect(bytes.includes(needle), `${file} holds a marker string`).toBe(false);
	}

	// Offline after a reload: the grid, its thumbnails and the photo already viewed still show.
	await context.setOffline(true);
	await page.reload();
	await expect(count).toHaveText('21 photos and videos', { timeout: 30_000 });
	await expect(page.getByTestId('thumb-img').first()).toBeVisible();
	await expect(page.getByTestId('thumb-error')).toHaveCount(0);
	await cells.nth(1).click();
	await expect(page.getByRole('dialog').locator('img').first()).toBeVisible({ timeout: 20_000 });
	await expect(page.getByTestId('lightbox-error')).toHaveCount(0);
	await context.setOffline(false);
});

test('a blob altered on the relay’s disk shows an error, never a broken picture (I5)', async ({
	page,
	baseURL
}) => {
	test.setTimeout(120_000);
	await logIn(page, await createAccountThroughApi(baseURL!));
	const blobsDir = path.join(E2E_DATA_DIR, 'blobs');
	const before = new Set(await filesUnder(blobsDir).catch(() => [] as string[]));
	const tag = `tamper-${Date.now().toString(36)}`;
	await importFiles(page, photoFixtures(tag).slice(0, 1));
	await expect(page.getByTestId('import-report')).toContainText('1 photo added', {
		timeout: 60_000
	});
	await uploadsFinished(page);

	// Flip one byte in the middle of every blob this import stored.
	const added = (await filesUnder(blobsDir)).filter((file) => !before.has(file));
	expect(added.length).toBeGreaterThanOrEqual(2);
	for (const file of added) {
		const bytes = await readFile(file);
		const at = Math.floor((await stat(file)).size / 2);
		bytes[at] = bytes[at]! ^ 0xff;
		await writeFile(file, bytes);
	}
	// Forget what this device cached, so it fetches the blobs again.
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
	await page.reload();
	const cell = page.getByTestId('grid-cell').filter({ has: page.getByTestId('thumb-error') });
	await expect(cell.first()).toBeVisible({ timeout: 30_000 });
	await cell.first().click();
	await expect(page.getByTestId('lightbox-error')).toBeVisible({ timeout: 30_000 });
	await expect(page.getByRole('dialog').locator('img[src^="blob:"]')).toHaveCount(0);
});

test('download a selection as a ZIP, trash photos with undo, restore them, and free the storage of one deleted for good', async ({
	page,
	baseURL
}) => {
	test.setTimeout(120_000);
	// The browser's save-file picker would wait for a person: fall back to a plain download.
	await page.addInitScript(() => {
		delete (window as { showSaveFilePicker?: unknown }).showSaveFilePicker;
	});
	await logIn(page, await createAccountThroughApi(baseURL!));
	const tag = `zip-${Date.now().toString(36)}`;
	const files = photoFixtures(tag).slice(0, 3);
	await importFiles(page, files);
	const count = page.getByTestId('library-count');
	await expect(count).toHaveText('3 photos and videos', { timeout: 60_000 });
	await uploadsFinished(page);

	// Select all (Ctrl+A in the grid) and download: one zip holding each original, byte for byte.
	await page.getByTestId('grid-cell').first().focus();
	await page.keyboard.press('Control+a');
	await expect(page.getByTestId('selection-bar')).toContainText('3');
	const downloading = page.waitForEvent('download');
	await page.getByTestId('selection-bar').getByRole('button', { name: 'Download' }).click();
	const zip = await readFile((await (await downloading).path())!);
	for (const file of files) {
		expect(zip.includes(Buffer.from(file.name)), `${file.name} in the zip`).toBe(true);
		// Stored, not deflated: each original's bytes appear whole.
		expect(zip.includes(file.buffer), `${file.name}'s bytes in the zip`).toBe(true);
	}

	// Trash one, undo; trash it again and restore it from the trash page.
	await page.keyboard.press('Escape');
	await trashFirst(page);
	await page.getByTestId('trash-notice').getByRole('button', { name: 'Undo' }).click();
	await expect(count).toHaveText('3 photos and videos');
	await trashFirst(page);
	await page.getByTestId('trash-link').click();
	await expect(page.getByTestId('trash-count')).toHaveText('1 in the trash');
	await page.getByTestId('restore-button').click();
	await expect(page.getByText('The trash is empty')).toBeVisible();
	await page.goBack();
	await expect(count).toHaveText('3 photos and videos');

	// Deleting one for good frees its storage on the relay: Settings reads less used.
	let before = 0;
	await expect(async () => expect((before = await storageUsed(page))).toBeGreaterThan(0)).toPass({
		timeout: 15_000
	});
	await page
		.getByRole('navigation', { name: 'Main' })
		.getByRole('link', { name: 'Library' })
		.click();
	await expect(count).toHaveText('3 photos and videos');
	await trashFirst(page);
	await page.getByTestId('trash-link').click();
	await page.getByRole('button', { name: 'Empty the trash' }).click();
	await page.getByRole('alertdialog').getByRole('button', { name: 'Delete for good' }).click();
	await expect(page.getByText('The trash is empty')).toBeVisible();
	await expect(async () => expect(await storageUsed(page)).toBeLessThan(before)).toPass({
		timeout: 30_000
	});
});

/** Selects the library's first photo and moves it to the trash: 2 of the 3 photos stay. */
async function trashFirst(page: Page): Promise<void> {
	await page.getByTestId('grid-cell').first().focus();
	await page.keyboard.press('Space');
	await page.getByTestId('selection-bar').getByRole('button', { name: 'Delete' }).click();
	await expect(page.getByTestId('library-count')).toHaveText('2 photos and videos');
}

/** The account's storage used, in bytes as Settings shows it (read again from the relay). */
async function storageUsed(page: Page): Promise<number> {
	const nav = page.getByRole('navigation', { name: 'Main' });
	await nav.getByRole('link', { name: 'Library' }).click();
	await nav.getByRole('link', { name: 'Settings' }).click();
	const meter = page.getByTestId('device-storage').getByTestId('storage-meter');
	const text = (await meter.locator('.text').textContent()) ?? '';
	const match = /([\d.]+)\s*(bytes|B|KB|MB|GB)/.exec(text);
	if (!match) throw new Error(`no size in "${text}"`);
	const unit = { bytes: 1, B: 1, KB: 1e3, MB: 1e6, GB: 1e9 }[match[2]!]!;
	return Number(match[1]) * unit;
}
