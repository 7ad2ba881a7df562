// Serves the built app from APP_DIR (sirv) with the right caching, and finds its inline scripts.

import fs from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import sirv from 'sirv';
import { inlineScriptHashes } from './csp';
import { sendText } from './responses';

export interface StaticApp {
	/** CSP sources for the inline scripts of index.html. */
	scriptHashes: string[];
	serve(req: IncomingMessage, res: ServerResponse): void;
}

export const APP_NOT_BUILT_MESSAGE =
	'The app is not built: run npm run build, then restart the relay.';

/** Hashed by the build, so a given URL never changes content. */
const IMMUTABLE_PREFIX = '/_app/immutable/';

export function cacheControlFor(pathname: string): string {
	// Everything else (index.html, sw.js, the manifest, icons) must be revalidated, or a browser
	// could keep an old app shell that points at assets which no longer exist.
	return pathname.startsWith(IMMUTABLE_PREFIX) ? 'public, max-age=31536000, immutable' : 'no-cache';
}

/**
 * Loads the app in APP_DIR, or returns null when it has no index.html (not built). sirv lists the
 * folder once here and serves only files from that list, so no request path can reach a file
 * outside APP_DIR; restart the relay after a new build.
 */
export function loadStaticApp(appDir: string): StaticApp | null {
	const indexFile = path.join(appDir, 'index.html');
	let indexHtml: string;
	try {
		indexHtml = fs.readFileSync(indexFile, 'utf8');
	} catch {
		return null;
	}
	const files = sirv(appDir, {
		dev: false,
		etag: true,
		dotfiles: false,
		// App routes (no file extension) fall back to index.html; missing assets stay 404, and
		// anything under /_app/ is never answered with HTML.
		single: true,
		ignores: ['^/_app/'],
		setHeaders: (res, pathname) => res.setHeader('Cache-Control', cacheControlFor(pathname)),
		onNoMatch: (_req, res) => sendText(res, 404, 'Not found')
	});
	return {
		scriptHashes: inlineScriptHashes(indexHtml),
		serve(req, res) {
			// sirv's own Range handling is loose; app assets are small and need none.
			delete req.headers.range;
			files(req, res);
		}
	};
}

/** Stands in for the app when APP_DIR has no build: the API keeps working. */
export const appNotBuilt: StaticApp = {
	scriptHashes: [],
	serve: (_req, res) => sendText(res, 503, APP_NOT_BUILT_MESSAGE)
};
