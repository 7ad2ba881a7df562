// Accounts in Chromium against the real relay: sign-up with the emailed code, reload, log-in on a
// second device, wrong passwords, rate limits and recovery with the 24 words.
import { expect, type Page } from '@playwright/test';
import { AccountApi } from '../../src/lib/account';
import { randomKey, toBase64Url } from '../../src/lib/crypto';
import { createAccountThroughApi, logIn, test, uniqueEmail, waitForEmailCode } from './helpers';

const password = 'quiet harbour lantern 9';

async function verificationIdIn(page: Page): Promise<string> {
	await page
		.getByRole('navigation', { name: 'Main' })
		.getByRole('link', { name: 'Settings' })
		.click();
	const id = page.locator('[data-verification-id]');
	await expect(id).toBeVisible();
	const text = await id.getAttribute('data-verification-id');
	expect(text).toMatch(/^\d{5}( \d{5}){11}$/);
	return text!;
}

async function tryLogIn(page: Page, email: string, attempt: string): Promise<void> {
	await page.goto('/login');
	await page.getByLabel('Email').fill(email);
	await page.getByLabel('Password', { exact: true }).fill(attempt);
	await page.getByRole('button', { name: 'Log in' }).click();
}

test('without a session the app welcomes and offers sign-up and log-in', async ({ page }) => {
	await page.goto('/albums');
	await expect(page.getByRole('heading', { name: 'Your photos, for your eyes' })).toBeVisible();
	await expect(page.getByRole('navigation', { name: 'Main' })).toHaveCount(0);
	await page.getByRole('link', { name: 'Log in' }).click();
	await expect(page).toHaveURL('/login');
	await page.goBack();
	await page.getByRole('link', { name: 'Sign up' }).click();
	await expect(page.getByRole('heading', { name: 'Create your account' })).toBeVisible();
});

test('sign up, confirm the words and the emailed code, reload, log in elsewhere: one identity', async ({
	page,
	browser
}) => {
	test.setTimeout(60_000);
	const email = uniqueEmail('signup');
	await page.goto('/signup');
	await page.getByLabel('Email').fill(email);

	// A weak password is refused with zxcvbn's reason.
	await page.getByLabel('Password', { exact: true }).fill('password1');
	await expect(page.getByText(/Very weak|Weak/).first()).toBeVisible();
	await page.getByRole('button', { name: 'Create account' }).click();
	await expect(page.getByRole('alert')).toContainText(/password/i);

	await page.getByLabel('Password', { exact: true }).fill(password);
	await expect(page.getByText(/^Strong|^Very strong/)).toBeVisible();
	await page.getByRole('button', { name: 'Create account' }).click();

	// The recovery words, shown once, then three of them typed back.
	const list = page.getByRole('list', { name: 'Recovery words' });
	await expect(list).toBeVisible({ timeout: 20_000 });
	const words = (await list.locator('li .w').allTextContents()).map((w) => w.trim());
	expect(words).toHaveLength(24);
	await page.getByRole('button', { name: 'I have saved them' }).click();
	const asked = page.getByRole('textbox', { name: /^Word \d+$/ });
	await expect(asked).toHaveCount(3);
	// One wrong word first: the check must really compare.
	for (let i = 0; i < 3; i++) {
		const label = await asked.nth(i).evaluate((input) => input.closest('label')!.textContent!);
		const position = Number(/Word (\d+)/.exec(label)![1]);
		await asked.nth(i).fill(i === 0 ? 'wrongword' : words[position - 1]!);
	}
	await page.getByRole('button', { name: 'Continue' }).click();
	await expect(page.getByRole('alert')).toContainText('does not match');
	{
		const label = await asked.nth(0).evaluate((input) => input.closest('label')!.textContent!);
		await asked.nth(0).fill(words[Number(/Word (\d+)/.exec(label)![1]) - 1]!);
	}
	await page.getByRole('button', { name: 'Continue' }).click();

	// The code from the relay's outbox.
	await expect(page.getByRole('heading', { name: 'Check your email' })).toBeVisible();
	const code = await waitForEmailCode(email);
	await page.getByLabel('Code').fill(code);
	await page.getByRole('button', { name: 'Confirm' }).click();
	await expect(page.getByRole('navigation', { name: 'Main' })).toBeVisible();
	await expect(page.getByText('No photos yet')).toBeVisible();

	const argon2id = await page.evaluate(() =>
		performance.getEntriesByName('tessera:argon2id').map((entry) => ({
			ms: Math.round(entry.duration),
			detail: (entry as PerformanceMeasure).detail as { opsLimit: number; memLimit: number }
		}))
	);
	expect(argon2id.length).toBeGreaterThan(0);
	for (const { ms, detail } of argon2id) {
		console.log(
			`Argon2id in Chromium (wasm, in a worker): ${ms} ms at ops ${detail.opsLimit}, ${detail.memLimit / 1024 / 1024} MiB`
		);
	}

	// A reload stays logged in: the session is reopened from this device's vault.
	await page.reload();
	await expect(page.getByRole('navigation', { name: 'Main' })).toBeVisible();
	const firstId = await verificationIdIn(page);
	await expect(page.getByText(email)).toBeVisible();
	await expect(page.getByText('This device', { exact: true })).toBeVisible();

	// Log out: the welcome screen, and a reload does not bring the session back.
	await page.getByRole('button', { name: 'Log out' }).click();
	await expect(page.getByRole('heading', { name: 'Your photos, for your eyes' })).toBeVisible();
	await page.reload();
	await expect(page.getByRole('heading', { name: 'Your photos, for your eyes' })).toBeVisible();
	const stored = await page.evaluate(
		() =>
			new Promise<number>((resolve, reject) => {
				const open = indexedDB.open('tessera');
				open.onerror = () => reject(open.error);
				open.onsuccess = () => {
					const tx = open.result.transaction(['session', 'deviceKey'], 'readonly');
					const a = tx.objectStore('session').count();
					const b = tx.objectStore('deviceKey').count();
					tx.oncomplete = () => resolve(a.result + b.result);
				};
			})
	);
	expect(stored).toBe(0);

	// A second device (browser context) logs in and sees the same Verification ID.
	const other = await browser.newContext();
	const second = await other.newPage();
	await logIn(second, { email, password, recoveryWords: words });
	expect(await verificationIdIn(second)).toBe(firstId);
	await other.close();
});

test('a wrong password says so clearly, and repeated failures are rate-limited', async ({
	page,
	baseURL
}) => {
	const account = await createAccountThroughApi(baseURL!, uniqueEmail('wrong'));
	await tryLogIn(page, account.email, 'not the password at all 1');
	await expect(page.getByRole('alert')).toHaveText('Wrong email or password.');

	// Four more failures straight at the API (a wrong authKey needs no Argon2id), to reach the limit.
	const api = new AccountApi({ baseUrl: baseURL! });
	for (let attempt = 2; attempt <= 5; attempt++) {
		await expect(
			api.logIn({
				email: account.email,
				authKey: toBase64Url(randomKey()),
				device: { name: 'guesser' }
			})
		).rejects.toMatchObject({ code: 'wrong-credentials' });
	}
	// The 6th attempt is refused even with the right password.
	await tryLogIn(page, account.email, account.password);
	await expect(page.getByRole('alert')).toHaveText(
		/^Too many attempts\. Try again in \d+ minutes?\.$/
	);
});

test('the recovery words set a new password; the old one stops working', async ({
	page,
	baseURL
}) => {
	const account = await createAccountThroughApi(baseURL!, uniqueEmail('recover'));
	await page.goto('/recover');
	await expect(page.getByText('Recovering logs out every other device')).toBeVisible();
	await page.getByLabel('Email').fill(account.email);
	await page.getByLabel('Recovery words').fill(account.recoveryWords.join(' '));
	await page.getByLabel('New password').fill(password);
	await page.getByRole('button', { name: 'Set new password' }).click();
	await expect(page.getByRole('navigation', { name: 'Main' })).toBeVisible({ timeout: 20_000 });

	await page
		.getByRole('navigation', { name: 'Main' })
		.getByRole('link', { name: 'Settings' })
		.click();
	await page.getByRole('button', { name: 'Log out' }).click();
	await expect(page.getByRole('heading', { name: 'Your photos, for your eyes' })).toBeVisible();

	await tryLogIn(page, account.email, account.password);
	await expect(page.getByRole('alert')).toHaveText('Wrong email or password.');

	await logIn(page, { ...account, password });
});

test('while offline, log-in says the relay cannot be reached', async ({ page, context }) => {
	await page.goto('/login');
	await expect(page.getByLabel('Email')).toBeVisible();
	await context.setOffline(true);
	await page.getByLabel('Email').fill(uniqueEmail('offline'));
	await page.getByLabel('Password', { exact: true }).fill(password);
	await page.getByRole('button', { name: 'Log in' }).click();
	await expect(page.getByRole('alert')).toHaveText("Can't reach Tessera — check your connection.");
	await context.setOffline(false);
});
