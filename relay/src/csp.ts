// The Content-Security-Policy and other security headers every response carries (DESIGN I9).

import { createHash } from 'node:crypto';

/**
 * `'sha256-…'` sources for every inline <script> in an HTML page. A browser hashes the script's
 * text exactly as the HTML parser sees it, and the parser first turns CRLF and CR into LF.
 */
export function inlineScriptHashes(html: string): string[] {
	const hashes: string[] = [];
	for (const match of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script\s*>/gi)) {
		const [, attributes = '', body = ''] = match;
		if (/\bsrc\s*=/i.test(attributes)) continue;
		const text = body.replace(/\r\n?/g, '\n');
		hashes.push(`'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`);
	}
	return [...new Set(hashes)];
}

/**
 * Enforced policy: scripts only from this origin or the hashed inline bootstrap; WebAssembly (for
 * libsodium) but never eval; no plugins, no framing, no <base> tricks.
 */
export function contentSecurityPolicy(scriptHashes: readonly string[]): string {
	return [
		"default-src 'self'",
		["script-src 'self' 'wasm-unsafe-eval'", ...scriptHashes].join(' '),
		"style-src 'self' 'unsafe-inline'",
		"img-src 'self' blob: data:",
		"media-src 'self' blob:",
		"connect-src 'self'",
		"worker-src 'self' blob:",
		"manifest-src 'self'",
		"object-src 'none'",
		"base-uri 'none'",
		"frame-ancestors 'none'",
		"form-action 'self'"
	].join('; ');
}

export function securityHeaders(csp: string): Record<string, string> {
	return {
		'Content-Security-Policy': csp,
		'X-Content-Type-Options': 'nosniff',
		'Referrer-Policy': 'no-referrer',
		'Cross-Origin-Opener-Policy': 'same-origin',
		'Cross-Origin-Resource-Policy': 'same-origin',
		'Permissions-Policy':
			'camera=(), microphone=(), geolocation=(), payment=(), usb=(), browsing-topics=()'
	};
}
