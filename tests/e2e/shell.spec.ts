// The app shell: the four places, reachable from a bottom tab bar on phones and a side rail on desktops.
import { expect, type Page } from '@playwright/test';
import { logIn, places, test } from './helpers';

async function tourThePlaces(page: Page): Promise<void> {
	const nav = page.getByRole('navigation', { name: 'Main' });
	await expect(nav.getByRole('link')).toHaveText(places.map((p) => p.name));

	for (const place of [...places.slice(1), places[0]]) {
		await nav.getByRole('link', { name: place.name }).click();
		await expect(page).toHaveURL(place.path);
		await expect(page.getByRole('heading', { level: 1 })).toHaveText(place.name);
		await expect(page.getByText(place.empty)).toBeVisible();
		await expect(nav.getByRole('link', { name: place.name })).toHaveAttribute(
			'aria-current',
			'page'
		);
		await expect(nav.locator('[aria-current="page"]')).toHaveCount(1);
	}
}

test('on a phone the places sit in a tab bar along the bottom', async ({ page, account }) => {
	await page.setViewportSize({ width: 390, height: 844 });
	await logIn(page, account);
	await page.goto('/');
	await expect(page.getByText('No photos yet')).toBeVisible();

	const bar = await page.getByRole('navigation', { name: 'Main' }).boundingBox();
	expect(bar).not.toBeNull();
	expect(bar!.y + bar!.height).toBeCloseTo(844, 0);
	expect(bar!.width).toBeCloseTo(390, 0);
	expect(bar!.height).toBeLessThan(120);

	await tourThePlaces(page);
});

test('on a desktop the places sit in a rail down the left', async ({ page, account }) => {
	await page.setViewportSize({ width: 1280, height: 800 });
	await logIn(page, account);
	await page.goto('/');
	await expect(page.getByText('No photos yet')).toBeVisible();

	const rail = await page.getByRole('navigation', { name: 'Main' }).boundingBox();
	expect(rail).not.toBeNull();
	expect(rail!.x).toBe(0);
	expect(rail!.height).toBeCloseTo(800, 0);
	expect(rail!.width).toBeLessThan(320);

	await tourThePlaces(page);
});

test('a deep link opens its place directly', async ({ page, account }) => {
	await logIn(page, account);
	await page.goto('/sharing');
	await expect(page.getByRole('heading', { level: 1 })).toHaveText('Sharing');
	await expect(page.getByText('Nothing shared yet')).toBeVisible();
	await expect(page).toHaveTitle('Sharing · Tessera');
});

test('the header says so when the browser goes offline', async ({ page, context, account }) => {
	await logIn(page, account);
	await page.goto('/');
	await expect(page.getByText('No photos yet')).toBeVisible();
	await expect(page.getByRole('status').getByText('Offline')).toHaveCount(0);

	await context.setOffline(true);
	await expect(page.getByRole('status').getByText('Offline')).toBeVisible();

	await context.setOffline(false);
	await expect(page.getByRole('status').getByText('Offline')).toHaveCount(0);
});
