// The installable, offline app: service worker control, working offline, and what it caches.
import { expect } from '@playwright/test';
import { cachedUrls, loadUnderServiceWorker, logIn, test } from './helpers';

test('after a load and a reload the service worker controls the page', async ({
	page,
	account
}) => {
	await logIn(page, account);
	await loadUnderServiceWorker(page);

	await page.getByRole('link', { name: 'Settings' }).click();
	await expect(page.getByText('Yes: the service worker controls this page')).toBeVisible();
});

test('the manifest makes the app installable with its icons', async ({ page, request }) => {
	await page.goto('/');
	const href = await page.locator('link[rel="manifest"]').getAttribute('href');
	expect(href).toBe('/manifest.webmanifest');

	const manifest: unknown = await (await request.get(href!)).json();
	expect(manifest).toMatchObject({
		id: '/',
		name: 'Tessera',
		start_url: '/',
		scope: '/',
		display: 'standalone'
	});
	const icons = (manifest as { icons: { src: string; sizes: string; purpose: string }[] }).icons;
	expect(icons).toEqual(
		expect.arrayContaining([
			expect.objectContaining({ sizes: '192x192', purpose: 'any' }),
			expect.objectContaining({ sizes: '512x512', purpose: 'any' }),
			expect.objectContaining({ sizes: '512x512', purpose: 'maskable' })
		])
	);
	for (const icon of icons) {
		const response = await request.get(icon.src);
		expect(response.status(), icon.src).toBe(200);
	}
});

test('with the network off, a reload still shows the app and its places work', async ({
	page,
	context,
	account
}) => {
	const online = await page.goto('/');
	const policy = online!.headers()['content-security-policy'];
	expect(policy).toBeTruthy();
	await logIn(page, account);
	await loadUnderServiceWorker(page);
	// The library is set up on this device (once, online) before the network goes.
	await expect(page.getByText('No photos yet')).toBeVisible({ timeout: 20_000 });

	await context.setOffline(true);
	// The service worker's own fetches must be cut too, or "offline" would prove nothing.
	const [worker] = context.serviceWorkers();
	expect(worker).toBeDefined();
	const workerFetch = await worker!.evaluate(() =>
		fetch('/api/health', { cache: 'no-store' }).then(
			() => 'reached the network',
			() => 'network unreachable'
		)
	);
	expect(workerFetch).toBe('network unreachable');
	const pageFetch = await page.evaluate(() =>
		fetch('/api/health', { cache: 'no-store' }).then(
			() => 'reached the network',
			() => 'network unreachable'
		)
	);
	expect(pageFetch).toBe('network unreachable');

	const reload = await page.reload();
	expect(reload?.fromServiceWorker()).toBe(true);
	// The cached page keeps the relay's CSP: offline is not a way around it.
	expect(reload!.headers()['content-security-policy']).toBe(policy);
	// The session comes back from this device's vault, with no network.
	await expect(page.getByText('No photos yet')).toBeVisible();
	await expect(page.getByRole('status').getByText('Offline')).toBeVisible();

	await page.getByRole('link', { name: 'Albums' }).click();
	await expect(page.getByRole('heading', { level: 1 })).toHaveText('Albums');
	await expect(page.getByText('No albums yet')).toBeVisible();

	// A full navigation offline lands on the cached app, and libsodium's chunk comes from the cache.
	const settings = await page.goto('/settings');
	expect(settings?.fromServiceWorker()).toBe(true);
	await expect(page.getByText(/libsodium \d+\.\d+\.\d+ ready/)).toBeVisible();
});

test('the service worker never caches the API or the socket', async ({ page, account }) => {
	await logIn(page, account);
	await loadUnderServiceWorker(page);
	for (const name of ['Albums', 'Sharing', 'Settings', 'Library']) {
		await page.getByRole('link', { name }).click();
		await expect(page.getByRole('heading', { level: 1 })).toHaveText(name);
	}
	const health = await page.evaluate(async () => (await fetch('/api/health')).status);
	expect(health).toBe(200);

	// Navigating to an API path reaches the relay, not the cached app shell.
	const apiNavigation = await page.goto('/api/health');
	expect(apiNavigation?.fromServiceWorker()).toBe(false);
	expect(apiNavigation?.headers()['content-type']).toContain('application/json');

	await page.goto('/');
	const urls = await cachedUrls(page);
	// The precache is really there (so the check below is not vacuous)...
	expect(urls.some((url) => new URL(url).pathname === '/index.html')).toBe(true);
	expect(urls.some((url) => new URL(url).pathname.startsWith('/_app/immutable/'))).toBe(true);
	// ...and holds nothing from the API or the socket.
	const forbidden = urls.filter((url) => /^\/(api\/|ws)/.test(new URL(url).pathname));
	expect(forbidden).toEqual([]);
});
