// A 30 MB upload survives the relay being killed (SIGKILL) halfway: after a restart it resumes from
// where it stopped, and the original downloaded back is byte for byte the file imported.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { expect, test } from '@playwright/test';
import { insertExif } from '../fixtures/exif-writer';
import { gradientPixel, makeJpeg } from '../fixtures/make-jpeg';
import { createAccountThroughApi } from './helpers';

const PORT = Number(process.env.E2E_RESUME_PORT ?? 4318);
const ORIGIN = `http://127.0.0.1:${PORT}`;
const DATA_DIR = 'tests/.tmp/e2e-resume-data';

/** The relay as `npm start` runs it (the app built by the e2e web server), in a process we can kill. */
async function startRelay(): Promise<ChildProcess> {
	const child = spawn(process.execPath, ['--import', 'tsx', 'relay/src/main.ts'], {
		env: { ...process.env, PORT: String(PORT), HOST: '127.0.0.1', DATA_DIR, APP_DIR: 'build' },
		stdio: 'ignore'
	});
	await expect
		.poll(async () => (await fetch(`${ORIGIN}/api/health`).catch(() => null))?.status ?? 0, {
			timeout: 30_000
		})
		.toBe(200);
	return child;
}

function kill(child: ChildProcess): Promise<void> {
	return new Promise((resolve) => {
		if (child.exitCode !== null || child.signalCode !== null) return resolve();
		child.once('exit', () => resolve());
		child.kill('SIGKILL');
	});
}

/** A real JPEG (with EXIF) followed by ~30 MB of incompressible bytes, which decoders ignore. */
function bigPhoto(): Buffer {
	const jpeg = insertExif(makeJpeg({ width: 640, height: 480, pixel: gradientPixel(640, 480) }), {
		make: 'Resume Test',
		dateTimeOriginal: '2024:05:01 12:00:00'
	});
	return Buffer.concat([Buffer.from(jpeg), randomBytes(30 * 1024 * 1024)]);
}

let relay: ChildProcess | undefined;

test.beforeAll(async () => {
	await rm(DATA_DIR, { recursive: true, force: true });
	relay = await startRelay();
});

test.afterAll(async () => {
	if (relay) await kill(relay);
});

test('a 30 MB upload resumes after the relay is killed and restarted, byte for byte', async ({
	page
}) => {
	test.setTimeout(180_000);
	const account = await createAccountThroughApi(ORIGIN, undefined, DATA_DIR);
	await page.goto(`${ORIGIN}/login`);
	await page.getByLabel('Email').fill(account.email);
	await page.getByLabel('Password', { exact: true }).fill(account.password);
	await page.getByRole('button', { name: 'Log in' }).click();
	await expect(page.getByText('No photos yet')).toBeVisible({ timeout: 30_000 });

	// Every chunk the app sends: where in the file it starts.
	const patches: { offset: number; afterRestart: boolean }[] = [];
	let restarted = false;
	// What the relay acknowledged so far (the Upload-Offset of each 204 to a PATCH).
	let acknowledged = 0;
	page.on('response', (response) => {
		if (response.request().method() !== 'PATCH' || response.status() !== 204) return;
		acknowledged = Math.max(acknowledged, Number(response.headers()['upload-offset'] ?? 0));
	});
	page.on('request', (request) => {
		if (request.method() !== 'PATCH' || !request.url().includes('/api/uploads/')) return;
		patches.push({ offset: Number(request.headers()['upload-offset']), afterRestart: restarted });
	});

	// 4 MB/s up, so the kill lands mid-upload (loopback would finish 30 MB in a blink).
	const cdp = await page.context().newCDPSession(page);
	await cdp.send('Network.enable');
	await cdp.send('Network.emulateNetworkConditions', {
		offline: false,
		latency: 0,
		downloadThroughput: -1,
		uploadThroughput: 4 * 1024 * 1024
	});

	const original = bigPhoto();
	await page
		.locator('input[type="file"]')
		.first()
		.setInputFiles([{ name: 'big-photo.jpg', mimeType: 'image/jpeg', buffer: original }]);
	const cell = page.getByTestId('grid-cell').first();
	await expect(cell).toBeVisible({ timeout: 60_000 });

	// Once the relay has acknowledged the first 8 MiB of the original, and while the next chunk is on
	// its way, the relay dies without a chance to clean up.
	await expect
		.poll(() => acknowledged, { timeout: 60_000, intervals: [50] })
		.toBeGreaterThanOrEqual(8 * 1024 * 1024);
	const before = acknowledged;
	expect(before).toBeLessThan(original.length);
	await kill(relay!);
	restarted = true;
	relay = await startRelay();

	await cdp.send('Network.emulateNetworkConditions', {
		offline: false,
		latency: 0,
		downloadThroughput: -1,
		uploadThroughput: -1
	});
	// The queue retries with backoff and finishes; the cell stops showing progress.
	await expect(cell).not.toHaveAttribute('aria-label', /uploading/, { timeout: 90_000 });

	// It went on from where the relay had got to: nothing it acknowledged was sent again.
	const resumed = patches.filter((p) => p.afterRestart);
	expect(resumed.length).toBeGreaterThan(0);
	expect(Math.min(...resumed.map((p) => p.offset))).toBeGreaterThanOrEqual(before);

	// Downloaded back from the relay (not from this device's queue), decrypted: the same bytes.
	await cell.click();
	const downloading = page.waitForEvent('download');
	await page.getByTestId('lightbox-download').click();
	const download = await downloading;
	const saved = await readFile((await download.path())!);
	expect(saved.length).toBe(original.length);
	expect(Buffer.compare(saved, original)).toBe(0);
});
