// The enforced Content Security Policy, and libsodium's WebAssembly working under it.
import { expect, type Page } from '@playwright/test';
import { loadUnderServiceWorker, logIn, places, test } from './helpers';

function directives(policy: string): Map<string, string[]> {
	const map = new Map<string, string[]>();
	for (const part of policy.split(';')) {
		const [name, ...values] = part.trim().split(/\s+/);
		if (name) map.set(name.toLowerCase(), values);
	}
	return map;
}

/** Collects CSP violations as the page reports them, from its first script on. */
async function watchViolations(page: Page): Promise<string[]> {
	const messages: string[] = [];
	page.on('console', (message) => {
		if (/Content Security Policy/i.test(message.text())) messages.push(message.text());
	});
	await page.addInitScript(() => {
		document.addEventListener('securitypolicyviolation', (event) => {
			console.error(
				`Content Security Policy violation: ${event.violatedDirective} blocked ${event.blockedURI}`
			);
		});
	});
	return messages;
}

test('the relay enforces a CSP without unsafe-eval, and the page cannot eval', async ({ page }) => {
	const response = await page.goto('/');
	const headers = response!.headers();
	expect(headers['content-security-policy-report-only']).toBeUndefined();
	const policy = directives(headers['content-security-policy'] ?? '');
	const scriptSrc = policy.get('script-src') ?? policy.get('default-src') ?? [];
	expect(scriptSrc).toContain("'wasm-unsafe-eval'");
	expect(scriptSrc).not.toContain("'unsafe-eval'");
	expect(scriptSrc).not.toContain("'unsafe-inline'");
	expect(policy.get('object-src')).toEqual(["'none'"]);

	await expect(page.getByRole('link', { name: 'Sign up' })).toBeVisible();
	// Playwright's own evaluate is exempt from the CSP while it runs, so the attempts run in a later
	// task, as page code would.
	const attempts = await page.evaluate(
		() =>
			new Promise((resolve) => {
				const attempt = (run: () => unknown) => {
					try {
						run();
						return 'ran';
					} catch (error) {
						return error instanceof Error ? error.name : 'threw';
					}
				};
				setTimeout(() =>
					resolve({
						eval: attempt(() => (0, eval)('1')),
						newFunction: attempt(() => new Function('return 1')())
					})
				);
			})
	);
	expect(attempts).toEqual({ eval: 'EvalError', newFunction: 'EvalError' });
});

test('a tour of the whole app raises no CSP violation', async ({ page, account }) => {
	const violations = await watchViolations(page);
	// Logging in runs Argon2id (libsodium's wasm) in a worker, under the same policy.
	await logIn(page, account);
	await loadUnderServiceWorker(page);
	for (const place of [...places.slice(1), places[0]]) {
		await page
			.getByRole('navigation', { name: 'Main' })
			.getByRole('link', { name: place.name })
			.click();
		await expect(page.getByRole('heading', { level: 1 })).toHaveText(place.name);
		if (place.path === '/settings') {
			await expect(page.getByText(/libsodium \d+\.\d+\.\d+ ready/)).toBeVisible();
		}
	}
	for (const place of places) {
		await page.goto(place.path);
		await expect(page.getByText(place.empty)).toBeVisible();
	}
	expect(violations).toEqual([]);
});

test('Settings shows libsodium ready: its WebAssembly runs under the CSP', async ({
	page,
	account
}) => {
	await logIn(page, account);
	await page.goto('/settings');
	await expect(page.getByText(/libsodium \d+\.\d+\.\d+ ready/)).toBeVisible();
	await expect(page.getByText('Encryption is not available')).toHaveCount(0);
	await expect(page.getByText(/^Tessera \d+\.\d+\.\d+/)).toBeVisible();
});

test('libsodium is never in the first bundle: one lazy chunk, fetched once the library opens', async ({
	browser,
	account
}) => {
	// No service worker here: its precache would fetch every chunk and hide what the page needs.
	const context = await browser.newContext({ serviceWorkers: 'block' });
	const page = await context.newPage();
	await logIn(page, account);
	const scripts: Promise<string>[] = [];
	page.on('response', (response) => {
		if (response.request().resourceType() === 'script') scripts.push(response.text());
	});
	// libsodium's own chunk: its init and its inlined WebAssembly ("\0asm" in base64). Our
	// wrappers name its functions too, so a function name alone would not tell them apart.
	const isLibsodium = (source: string) =>
		source.includes('_sodium_init') && source.includes('AGFzbQ');
	const libsodiumChunks = async () => (await Promise.all(scripts)).filter(isLibsodium).length;

	// The document's own bundle (what index.html preloads before any code runs) carries no libsodium.
	await page.goto('/');
	const html = await (await page.request.get('/')).text();
	const preloads = [...html.matchAll(/<link[^>]*>/g)]
		.map(([tag]) => tag)
		.filter((tag) => tag.includes('modulepreload'))
		.map((tag) => /href="([^"]+)"/.exec(tag)![1]!);
	expect(preloads.length).toBeGreaterThan(0);
	for (const href of preloads) {
		expect(isLibsodium(await (await page.request.get(href)).text()), href).toBe(false);
	}
	// Opening the library (keys, the album stream) loads it on demand, as one chunk, once.
	await expect(page.getByText('No photos yet')).toBeVisible();
	await expect.poll(libsodiumChunks).toBe(1);
	await page.getByRole('link', { name: 'Settings' }).click();
	await expect(page.getByText(/libsodium \d+\.\d+\.\d+ ready/)).toBeVisible();
	expect(await libsodiumChunks()).toBe(1);
	await context.close();
});
