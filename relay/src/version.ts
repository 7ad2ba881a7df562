// The relay's version, taken from package.json once at startup.

import { readFileSync } from 'node:fs';

function readVersion(): string {
	try {
		const pkg: unknown = JSON.parse(
			readFileSync(new URL('../../package.json', import.meta.url), 'utf8')
		);
		const version = (pkg as { version?: unknown }).version;
		return typeof version === 'string' ? version : '0.0.0';
	} catch {
		return '0.0.0';
	}
}

export const RELAY_VERSION = readVersion();
