// Captures the manifest's screenshots (static/screenshots/) from a running relay with Debian's Chromium.
//
// It builds nothing: start a relay on the built app first, with its mail going to DATA_DIR/outbox
// (no SMTP_URL), then run
//   node --import tsx scripts/capture-screenshots.ts http://127.0.0.1:4399 /tmp/shots-data
// It signs up an account through the API (as tests/e2e/helpers.ts does), imports a set of
// generated photos through the app, and photographs the Library at a phone's and a desktop's size.

import { mkdir, readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser, type BrowserContextOptions, type Page } from '@playwright/test';
import { AccountApi, createAccountKeys } from '../src/lib/account';
import { KDF_FLOOR } from '../src/lib/crypto';
import { insertExif } from '../tests/fixtures/exif-writer';
import { makeJpeg, type Rgb } from '../tests/fixtures/make-jpeg';

const OUT_DIR = path.resolve(import.meta.dirname, '../static/screenshots');
/** Install dialogs download these; the manifest's budget for each. */
const MAX_BYTES = 300 * 1024;
const PASSWORD = 'violet anchor mosaic 71';
const CHROMIUM_ARGS = [
	'--headless',
	'--no-sandbox',
	'--disable-gpu',
	'--disable-background-networking',
	'--disable-component-update',
	'--disable-sync',
	'--no-first-run'
];

interface Shot {
	file: string;
	context: BrowserContextOptions;
}

/** A phone (360x640 CSS px at 3x: 1080x1920) and a desktop (1920x1080), both in the app's dark look. */
const SHOTS: Shot[] = [
	{
		file: 'library-narrow.png',
		context: {
			viewport: { width: 360, height: 640 },
			deviceScaleFactor: 3,
			isMobile: true,
			hasTouch: true,
			colorScheme: 'dark'
		}
	},
	{
		file: 'library-wide.png',
		context: { viewport: { width: 1920, height: 1080 }, deviceScaleFactor: 1, colorScheme: 'dark' }
	}
];

function fail(message: string): never {
	process.stderr.write(`capture-screenshots: ${message}\n`);
	process.exit(1);
}

/** The six-digit code the relay wrote to DATA_DIR/outbox for `email`, waiting for it to arrive. */
async function emailCode(dataDir: string, email: string): Promise<string> {
	const folder = path.join(dataDir, 'outbox');
	for (let attempt = 0; attempt < 100; attempt++) {
		const names = (await readdir(folder).catch(() => [] as string[]))
			.filter((name) => name.endsWith('.eml'))
			.sort()
			.reverse();
		for (const name of names) {
			const mail = await readFile(path.join(folder, name), 'utf8');
			if (!mail.toLowerCase().includes(email.toLowerCase())) continue;
			const code = /Your Tessera code: (\d{6})/.exec(mail)?.[1];
			if (code) return code;
		}
		await new Promise((resolve) => setTimeout(resolve, 100));
	}
	return fail(`no email code for ${email} in ${folder}: is the relay running without SMTP_URL?`);
}

async function signUp(baseUrl: string, dataDir: string): Promise<string> {
	const email = `ada-${Date.now().toString(36)}@example.com`;
	const api = new AccountApi({ baseUrl });
	// The floor's Argon2id params keep sign-up and log-in quick; the screenshots do not show them.
	const created = await createAccountKeys(PASSWORD, { params: KDF_FLOOR });
	await api.signUp({ email, ...created.signup });
	await api.verifySignUp({
		email,
		code: await emailCode(dataDir, email),
		device: { name: 'Screenshots' }
	});
	return email;
}

/** Smooth landscapes (sky, sun, hills, water) in a few palettes, so the grid looks like photos. */
const PALETTES: { sky: [Rgb, Rgb]; land: Rgb; sun: Rgb }[] = [
	{
		sky: [
			[255, 170, 110],
			[120, 60, 140]
		],
		land: [40, 30, 60],
		sun: [255, 230, 170]
	},
	{
		sky: [
			[120, 190, 240],
			[230, 245, 255]
		],
		land: [60, 120, 70],
		sun: [255, 250, 220]
	},
	{
		sky: [
			[20, 30, 70],
			[90, 80, 150]
		],
		land: [15, 20, 35],
		sun: [240, 240, 255]
	},
	{
		sky: [
			[250, 210, 150],
			[240, 140, 90]
		],
		land: [170, 110, 60],
		sun: [255, 245, 200]
	},
	{
		sky: [
			[170, 220, 230],
			[80, 150, 190]
		],
		land: [30, 90, 120],
		sun: [255, 255, 240]
	},
	{
		sky: [
			[200, 200, 215],
			[150, 160, 185]
		],
		land: [70, 80, 90],
		sun: [245, 245, 250]
	}
];

function mix(a: Rgb, b: Rgb, t: number): Rgb {
	return [0, 1, 2].map((i) => Math.round(a[i]! + (b[i]! - a[i]!) * t)) as unknown as Rgb;
}

function landscape(index: number, width: number, height: number): (x: number, y: number) => Rgb {
	const palette = PALETTES[index % PALETTES.length]!;
	const phase = index * 1.7;
	const sunX = width * (0.2 + ((index * 0.37) % 0.6));
	const sunY = height * (0.25 + ((index * 0.13) % 0.2));
	const sunR = height * 0.08;
	return (x, y) => {
		const ridge =
			height * (0.62 + 0.08 * Math.sin(x / (width / 5) + phase) + 0.03 * Math.sin(x / 23));
		if (y > ridge) {
			const depth = (y - ridge) / (height - ridge + 1);
			return mix(palette.land, [0, 0, 0], depth * 0.6);
		}
		if (Math.hypot(x - sunX, y - sunY) < sunR) return palette.sun;
		return mix(palette.sky[0], palette.sky[1], y / height);
	};
}

/** Days of a trip and how many photos each has: enough per day to fill a desktop row. */
const TRIP_DAYS = [7, 6, 8, 6];

/** The trip's photos, with EXIF dates so the grid groups them by day. */
function photos(): { name: string; mimeType: string; buffer: Buffer }[] {
	const files = [];
	let index = 0;
	for (const [day, count] of TRIP_DAYS.entries()) {
		for (let shot = 0; shot < count; shot++, index++) {
			const [width, height] = index % 5 === 3 ? [480, 640] : [640, 480];
			// Palettes step by a prime so neighbouring cells and days never repeat the same scene.
			const scene = landscape(index * 5 + day, width, height);
			const jpeg = makeJpeg({ width, height, pixel: scene, quality: 85 });
			const withExif = insertExif(jpeg, {
				make: 'Tessera',
				model: 'Screenshot camera',
				dateTimeOriginal: `2024:06:${12 + day} ${String(8 + shot).padStart(2, '0')}:30:00`,
				offsetTimeOriginal: '+00:00'
			});
			files.push({
				name: `trip-${String(index + 1).padStart(2, '0')}.jpg`,
				mimeType: 'image/jpeg',
				buffer: Buffer.from(withExif)
			});
		}
	}
	return files;
}

async function logIn(page: Page, email: string): Promise<void> {
	await page.goto('/login');
	await page.getByLabel('Email').fill(email);
	await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
	await page.getByRole('button', { name: 'Log in' }).click();
	await page.getByRole('navigation', { name: 'Main' }).waitFor();
}

/** Imports the photos through the app and waits until every one is uploaded to the relay. */
async function importPhotos(browser: Browser, baseURL: string, email: string): Promise<number> {
	const context = await browser.newContext({ baseURL, serviceWorkers: 'block' });
	const page = await context.newPage();
	await logIn(page, email);
	await page.getByText('No photos yet').waitFor({ timeout: 30_000 });
	const files = photos();
	await page.locator('input[type="file"]').first().setInputFiles(files);
	await page
		.getByTestId('library-count')
		.getByText(`${files.length} photos and videos`)
		.waitFor({ timeout: 120_000 });
	await page
		.locator('[data-testid="grid-cell"][aria-label*="uploading"]')
		.first()
		.waitFor({ state: 'detached', timeout: 120_000 });
	await context.close();
	return files.length;
}

async function capture(browser: Browser, baseURL: string, email: string, shot: Shot) {
	// A fresh device: no import report or transfer panel, and no service worker toasts.
	const context = await browser.newContext({ ...shot.context, baseURL, serviceWorkers: 'block' });
	const page = await context.newPage();
	await logIn(page, email);
	await page.getByTestId('library-count').waitFor({ timeout: 60_000 });
	// Every thumbnail in view decrypted and drawn, so no placeholder is photographed.
	await page.waitForFunction(
		() => {
			const images = Array.from(
				document.querySelectorAll<HTMLImageElement>('[data-testid="thumb-img"]')
			);
			const inView = images.filter((image) => image.getBoundingClientRect().top < innerHeight);
			return inView.length > 0 && inView.every((image) => image.complete && image.naturalWidth > 0);
		},
		undefined,
		{ timeout: 60_000 }
	);
	await page.evaluate(() => document.fonts.ready);
	// The log-in click leaves the pointer over the grid; a hovered cell would show its checkbox.
	if (!shot.context.hasTouch) await page.mouse.move(0, 0);
	const file = path.join(OUT_DIR, shot.file);
	await page.screenshot({ path: file, type: 'png', animations: 'disabled', caret: 'hide' });
	await context.close();
	const { size } = await stat(file);
	if (size > MAX_BYTES) {
		fail(`${shot.file} is ${Math.round(size / 1024)} KB, over the ${MAX_BYTES / 1024} KB budget`);
	}
	process.stdout.write(`${shot.file}: ${Math.round(size / 1024)} KB\n`);
}

async function main(): Promise<void> {
	const [baseURL = process.env.RELAY_URL, dataDir = process.env.RELAY_DATA_DIR] =
		process.argv.slice(2);
	if (!baseURL || !dataDir) {
		fail('usage: node --import tsx scripts/capture-screenshots.ts <relay-url> <relay-data-dir>');
	}
	const health = await fetch(new URL('/api/health', baseURL)).catch(() => null);
	if (!health?.ok) fail(`no relay answers at ${baseURL}`);

	await mkdir(OUT_DIR, { recursive: true });
	const email = await signUp(baseURL, dataDir);
	const browser = await chromium.launch({
		executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
		args: CHROMIUM_ARGS
	});
	try {
		const count = await importPhotos(browser, baseURL, email);
		process.stdout.write(`imported ${count} photos for ${email}\n`);
		for (const shot of SHOTS) await capture(browser, baseURL, email, shot);
	} finally {
		await browser.close();
	}
}

await main();
