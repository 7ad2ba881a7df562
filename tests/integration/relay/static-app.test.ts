// Serving the built app: enforced CSP with the inline script's hash, caching, SPA fallback, traversal.

import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest } from '../helpers/http';
import { startTestRelay, type TestRelay } from '../helpers/relay';
import { makeTempDir, removeTempDir } from '../helpers/temp';

const SENTINEL = `outside-app-${randomBytes(8).toString('hex')}`;
const INLINE_SCRIPT = `
	{
		__sveltekit_test = { base: "" };
		const element = document.currentScript.parentElement;
		Promise.all([import("/_app/immutable/entry/start.abc123.js")]).then(([kit]) => kit.start(element));
	}
`;
const INDEX_HTML = `<!doctype html>
<html lang="en">
	<head>
		<meta charset="utf-8" />
		<title>Tessera</title>
		<script type="module" src="/_app/immutable/entry/start.abc123.js"></script>
	</head>
	<body>
		<div style="display: contents"><script>${INLINE_SCRIPT}</script></div>
	</body>
</html>
`;
const ASSET = 'export const start = () => {};\n';

let root: string;
let appDir: string;
let relay: TestRelay;

beforeAll(async () => {
	root = await makeTempDir('tessera-app');
	appDir = path.join(root, 'build');
	await fs.mkdir(path.join(appDir, '_app', 'immutable', 'entry'), { recursive: true });
	await fs.writeFile(path.join(appDir, 'index.html'), INDEX_HTML);
	await fs.writeFile(path.join(appDir, '_app', 'immutable', 'entry', 'start.abc123.js'), ASSET);
	await fs.writeFile(path.join(appDir, '_app', 'version.json'), '{"version":"1"}');
	await fs.writeFile(path.join(appDir, 'sw.js'), 'self.addEventListener("fetch", () => {});');
	await fs.writeFile(path.join(appDir, 'manifest.webmanifest'), '{"name":"Tessera"}');
	await fs.writeFile(path.join(appDir, '.env'), SENTINEL);
	// Secrets beside the app folder, and one whose name starts like it.
	await fs.writeFile(path.join(root, 'secret.txt'), SENTINEL);
	await fs.mkdir(path.join(root, 'build-private'));
	await fs.writeFile(path.join(root, 'build-private', 'secret.txt'), SENTINEL);
	relay = await startTestRelay({ APP_DIR: appDir });
});

afterAll(async () => {
	await relay?.stop();
	await removeTempDir(root);
});

const expectedHash = `'sha256-${createHash('sha256').update(INLINE_SCRIPT).digest('base64')}'`;

describe('Content-Security-Policy', () => {
	it('is enforced (not report-only) on the app shell', async () => {
		const res = await rawRequest(relay.port, '/');
		expect(res.status).toBe(200);
		expect(res.headers['content-security-policy']).toBeDefined();
		expect(res.headers['content-security-policy-report-only']).toBeUndefined();
	});

	it('allows exactly the inline bootstrap script by its sha256, and wasm but never eval', async () => {
		const csp = String((await rawRequest(relay.port, '/')).headers['content-security-policy']);
		const directives = new Map(
			csp.split(';').map((d) => {
				const [name = '', ...values] = d.trim().split(/\s+/);
				return [name, values] as const;
			})
		);
		expect(directives.get('script-src')).toEqual(["'self'", "'wasm-unsafe-eval'", expectedHash]);
		expect(csp).not.toMatch(/'unsafe-eval'/);
		expect(directives.get('script-src')).not.toContain("'unsafe-inline'");
		expect(directives.get('object-src')).toEqual(["'none'"]);
		expect(directives.get('base-uri')).toEqual(["'none'"]);
		expect(directives.get('frame-ancestors')).toEqual(["'none'"]);
		expect(directives.get('connect-src')).toEqual(["'self'"]);
		expect(directives.get('default-src')).toEqual(["'self'"]);
	});

	it('is the same on assets, fallbacks and errors', async () => {
		const shell = (await rawRequest(relay.port, '/')).headers['content-security-policy'];
		for (const p of ['/sw.js', '/albums/abc', '/missing.js', '/api/health', '/../x']) {
			expect((await rawRequest(relay.port, p)).headers['content-security-policy'], p).toBe(shell);
		}
	});
});

describe('caching', () => {
	it('marks hashed build assets immutable', async () => {
		const res = await rawRequest(relay.port, '/_app/immutable/entry/start.abc123.js');
		expect(res.status).toBe(200);
		expect(res.text).toBe(ASSET);
		expect(res.headers['content-type']).toMatch(/javascript/);
		expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
	});

	it('makes the shell, the service worker, the manifest and version.json revalidate', async () => {
		for (const p of ['/', '/index.html', '/sw.js', '/manifest.webmanifest', '/_app/version.json']) {
			const res = await rawRequest(relay.port, p);
			expect(res.status, p).toBe(200);
			expect(res.headers['cache-control'], p).toBe('no-cache');
		}
	});
});

describe('routing', () => {
	it('falls back to index.html for app routes', async () => {
		for (const p of ['/albums/abc', '/l/AAAAAAAAAAAAAAAAAAAAAA', '/settings?tab=1']) {
			const res = await rawRequest(relay.port, p);
			expect(res.status, p).toBe(200);
			expect(res.text).toBe(INDEX_HTML);
			expect(res.headers['cache-control']).toBe('no-cache');
		}
	});

	it('answers missing assets with 404, never with the shell', async () => {
		for (const p of ['/missing.js', '/_app/immutable/entry/gone.js', '/_app/immutable/nothing']) {
			const res = await rawRequest(relay.port, p);
			expect(res.status, p).toBe(404);
			expect(res.text).not.toContain('<!doctype html>');
		}
	});

	it('refuses other methods', async () => {
		const res = await rawRequest(relay.port, '/', { method: 'POST', body: 'x' });
		expect(res.status).toBe(405);
	});
});

describe('traversal', () => {
	const attempts = [
		'/../secret.txt',
		'/../../secret.txt',
		'/%2e%2e/secret.txt',
		'/%2E%2E%2Fsecret.txt',
		'/..%2fsecret.txt',
		'/_app/../../secret.txt',
		'/..\\secret.txt',
		'/%5c..%5csecret.txt',
		'/../build-private/secret.txt',
		'/.env',
		'/%2eenv',
		'/secret.txt%00.js',
		'/<ROOT>/secret.txt',
		'/%2F<ROOT>%2Fsecret.txt'
	];

	it.each(attempts)('%s never reaches a file outside APP_DIR', async (attempt) => {
		// <ROOT> stands for the absolute temp folder, known only once the test runs.
		const p = attempt.replace(
			'<ROOT>',
			attempt.includes('%2F') ? encodeURIComponent(root.slice(1)) : root.slice(1)
		);
		const res = await rawRequest(relay.port, p);
		expect(res.text).not.toContain(SENTINEL);
		expect([400, 404, 200]).toContain(res.status);
		// A 200 can only be the app shell (an app route), never a file.
		if (res.status === 200) expect(res.text).toBe(INDEX_HTML);
	});

	it('answers dot segments with 400', async () => {
		for (const p of ['/../secret.txt', '/%2e%2e/secret.txt', '/..%2fsecret.txt', '/a/./b']) {
			expect((await rawRequest(relay.port, p)).status, p).toBe(400);
		}
	});
});

describe('without a built app', () => {
	it('starts anyway, serves the API and answers the app with 503 and what to do', async () => {
		const apiOnly = await startTestRelay({ APP_DIR: path.join(root, 'does-not-exist') });
		try {
			const res = await rawRequest(apiOnly.port, '/');
			expect(res.status).toBe(503);
			expect(res.text).toMatch(/the app is not built: run npm run build/i);
			expect(res.headers['content-security-policy']).toContain(
				"script-src 'self' 'wasm-unsafe-eval'"
			);
			expect((await rawRequest(apiOnly.port, '/albums/x')).status).toBe(503);
			expect((await rawRequest(apiOnly.port, '/api/health')).status).toBe(200);
		} finally {
			await apiOnly.stop();
		}
	});
});
