// Shared steps for the e2e specs: the app's places and getting a page under its service worker.
import { expect, type Page } from '@playwright/test';

export const places = [
	{ path: '/', name: 'Library', empty: 'No photos yet' },
	{ path: '/albums', name: 'Albums', empty: 'No albums yet' },
	{ path: '/sharing', name: 'Sharing', empty: 'Nothing shared yet' },
	{ path: '/settings', name: 'Settings', empty: 'About this device' }
] as const;

/** Loads the app, waits for its service worker to activate, and reloads under its control. */
export async function loadUnderServiceWorker(page: Page, path = '/'): Promise<void> {
	await page.goto(path);
	await page.evaluate(async () => {
		await navigator.serviceWorker.ready;
	});
	await page.reload();
	await expect
		.poll(() => page.evaluate(() => navigator.serviceWorker.controller !== null))
		.toBe(true);
}

/** Every URL held in the origin's Cache Storage, across all caches. */
export function cachedUrls(page: Page): Promise<string[]> {
	return page.evaluate(async () => {
		const urls: string[] = [];
		for (const name of await caches.keys()) {
			const cache = await caches.open(name);
			for (const request of await cache.keys()) urls.push(request.url);
		}
		return urls;
	});
}
