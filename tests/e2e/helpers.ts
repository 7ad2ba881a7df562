// Shared steps for the e2e specs: accounts and email codes, the app's places, the service worker.
import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { test as base, expect, type Page } from '@playwright/test';
import { AccountApi, createAccountKeys, type AccountKeys } from '../../src/lib/account';
import { KDF_FLOOR } from '../../src/lib/crypto';

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

/** The relay's data folder in e2e runs (playwright.config.ts); its outbox holds the mail it "sends". */
export const E2E_DATA_DIR = 'tests/.tmp/e2e-data';

export interface TestAccount {
	email: string;
	password: string;
	recoveryWords: readonly string[];
	/** The account's keys and a session of the set-up device, for specs that speak the protocol. */
	keys?: AccountKeys;
	token?: string;
}

/** An address no other test uses, so each test's mail and rate limits are its own. */
export function uniqueEmail(tag: string): string {
	return `${tag}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}@example.com`;
}

/** The newest email code sent to `email`, waiting for it to arrive in the relay's outbox. */
export async function waitForEmailCode(email: string, dataDir = E2E_DATA_DIR): Promise<string> {
	const folder = path.join(dataDir, 'outbox');
	let code: string | undefined;
	await expect
		.poll(
			async () => {
				const names = (await readdir(folder).catch(() => [] as string[]))
					.filter((name) => name.endsWith('.eml'))
					.sort()
					.reverse();
				for (const name of names) {
					const mail = await readFile(path.join(folder, name), 'utf8');
					const to = /^To: (.+)$/im.exec(mail)?.[1] ?? '';
					if (!to.toLowerCase().includes(email.toLowerCase())) continue;
					code = /Your Tessera code: (\d{6})/.exec(mail)?.[1];
					if (code) return code;
				}
				return undefined;
			},
			{ message: `an email code for ${email} in ${folder}`, timeout: 10_000 }
		)
		.toMatch(/^\d{6}$/);
	return code!;
}

/**
 * A verified account made straight through the API, in Node, with the floor's Argon2id params:
 * for specs that need a logged-in app but do not test sign-up itself (accounts.spec.ts does).
 */
export async function createAccountThroughApi(
	baseURL: string,
	email = uniqueEmail('e2e'),
	dataDir = E2E_DATA_DIR
): Promise<TestAccount> {
	const password = 'violet anchor mosaic 71';
	const api = new AccountApi({ baseUrl: baseURL });
	const created = await createAccountKeys(password, { params: KDF_FLOOR });
	await api.signUp({ email, ...created.signup });
	const code = await waitForEmailCode(email, dataDir);
	const grant = await api.verifySignUp({ email, code, device: { name: 'e2e set-up' } });
	return {
		email,
		password,
		recoveryWords: created.recoveryWords,
		keys: created.keys,
		token: grant.token
	};
}

/** Logs in through the app's own form and waits for the shell. */
export async function logIn(page: Page, account: TestAccount): Promise<void> {
	await page.goto('/login');
	await page.getByLabel('Email').fill(account.email);
	await page.getByLabel('Password', { exact: true }).fill(account.password);
	await page.getByRole('button', { name: 'Log in' }).click();
	await expect(page.getByRole('navigation', { name: 'Main' })).toBeVisible();
}

/** Specs that need a logged-in app: one account per worker, logged in per test through the UI. */
export const test = base.extend<object, { account: TestAccount }>({
	account: [
		// Playwright reads a fixture's dependencies from its first parameter's destructuring.
		// eslint-disable-next-line no-empty-pattern
		async ({}, use, workerInfo) => {
			const baseURL = workerInfo.project.use.baseURL;
			if (!baseURL) throw new Error('playwright.config.ts sets no baseURL');
			await use(await createAccountThroughApi(baseURL));
		},
		{ scope: 'worker' }
	]
});
