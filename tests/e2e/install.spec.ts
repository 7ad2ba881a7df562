// Installing Tessera and sharing into it: the manifest's screenshots and share target, and a photo
// shared from another app (a multipart POST to /share-target) landing in the library.
import { expect, test, type Page } from '@playwright/test';
import { makeJpeg } from '../fixtures/make-jpeg';
import { createAccountThroughApi, loadUnderServiceWorker, logIn, uniqueEmail } from './helpers';

interface ManifestScreenshot {
	src: string;
	sizes: string;
	type: string;
	form_factor?: string;
	label?: string;
}

/** Width and height from a PNG's IHDR chunk (bytes 16-23, big-endian). */
function pngSize(bytes: Buffer): string {
	expect(bytes.subarray(1, 4).toString('latin1')).toBe('PNG');
	return `${bytes.readUInt32BE(16)}x${bytes.readUInt32BE(20)}`;
}

test('the manifest offers a share target for photos and videos, and real screenshots', async ({
	request
}) => {
	const response = await request.get('/manifest.webmanifest');
	expect(response.status()).toBe(200);
	const manifest = (await response.json()) as {
		share_target?: unknown;
		screenshots?: ManifestScreenshot[];
	};

	expect(manifest.share_target).toEqual({
		action: '/share-target',
		method: 'POST',
		enctype: 'multipart/form-data',
		params: { files: [{ name: 'media', accept: ['image/*', 'video/*'] }] }
	});

	const screenshots = manifest.screenshots ?? [];
	expect(screenshots.map((shot) => shot.form_factor).sort()).toEqual(['narrow', 'wide']);
	for (const shot of screenshots) {
		expect(shot.label, shot.src).toBeTruthy();
		const image = await request.get(shot.src);
		expect(image.status(), shot.src).toBe(200);
		expect(image.headers()['content-type']).toContain(shot.type);
		const bytes = await image.body();
		// Install dialogs download these: they must be what the manifest says, and small.
		expect(pngSize(bytes), shot.src).toBe(shot.sizes);
		expect(bytes.length, shot.src).toBeLessThanOrEqual(300 * 1024);
	}
	const [narrow] = screenshots.filter((shot) => shot.form_factor === 'narrow');
	const [wide] = screenshots.filter((shot) => shot.form_factor === 'wide');
	const [narrowWidth, narrowHeight] = narrow!.sizes.split('x').map(Number);
	const [wideWidth, wideHeight] = wide!.sizes.split('x').map(Number);
	expect(narrowHeight!).toBeGreaterThan(narrowWidth!);
	expect(wideWidth!).toBeGreaterThan(wideHeight!);
});

/** Submits a multipart form to /share-target from the page, as the system share sheet would. */
async function shareFromAnotherApp(
	page: Page,
	file: { name: string; mimeType: string; buffer: Buffer }
): Promise<void> {
	await page.evaluate(() => {
		const form = document.createElement('form');
		form.method = 'POST';
		form.action = '/share-target';
		form.enctype = 'multipart/form-data';
		form.id = 'share-sheet';
		const input = document.createElement('input');
		input.type = 'file';
		input.name = 'media';
		form.append(input);
		document.body.append(form);
	});
	await page.locator('#share-sheet input[type="file"]').setInputFiles(file);
	await page.evaluate(() => (document.getElementById('share-sheet') as HTMLFormElement).submit());
}

test('a photo shared into Tessera is kept by the service worker and lands in the library', async ({
	page,
	baseURL
}) => {
	test.setTimeout(60_000);
	// An account of its own: the worker's shared account already holds other specs' photos.
	const account = await createAccountThroughApi(baseURL!, uniqueEmail('share'));
	await logIn(page, account);
	await loadUnderServiceWorker(page);
	await expect(page.getByText('No photos yet')).toBeVisible({ timeout: 20_000 });

	const landed = page.waitForRequest(
		(request) => request.isNavigationRequest() && new URL(request.url()).search === '?shared=1'
	);
	await shareFromAnotherApp(page, {
		name: 'shared-from-gallery.jpg',
		mimeType: 'image/jpeg',
		buffer: Buffer.from(makeJpeg({ width: 320, height: 240 }))
	});

	// The service worker answered the POST itself with a 303 (the relay would refuse it: 405).
	const redirect = await landed;
	const post = redirect.redirectedFrom();
	expect(post?.method()).toBe('POST');
	expect(new URL(post!.url()).pathname).toBe('/share-target');
	const postResponse = await post!.response();
	expect(postResponse?.status()).toBe(303);
	expect(postResponse?.fromServiceWorker()).toBe(true);

	// The library imports what was shared, and drops ?shared=1 so a reload does not share again.
	await expect(page.getByTestId('library-count')).toHaveText('1 photo', { timeout: 30_000 });
	await expect(page).toHaveURL((url) => url.pathname === '/' && !url.searchParams.has('shared'));
	// The edit is stored once the relay has it and this device kept its copy (the outbox empties
	// and the library's contrib doc holds an entry); an edit is written after it is sealed, so a
	// reload in the first instants could still lose it.
	await expect
		.poll(
			() =>
				page.evaluate(
					() =>
						new Promise<boolean>((resolve, reject) => {
							const open = indexedDB.open('tessera');
							open.onerror = () => reject(open.error);
							open.onsuccess = () => {
								const tx = open.result.transaction(['outbox', 'entries'], 'readonly');
								const outbox = tx.objectStore('outbox').count();
								const entries = tx.objectStore('entries').getAll();
								tx.oncomplete = () =>
									resolve(
										outbox.result === 0 &&
											(entries.result as { docId: string }[]).some((row) =>
												row.docId.startsWith('contrib:')
											)
									);
							};
						})
				),
			{ timeout: 20_000 }
		)
		.toBe(true);
	await page.reload();
	await expect(page.getByTestId('library-count')).toHaveText('1 photo', { timeout: 20_000 });
});
