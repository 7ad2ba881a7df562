// Relay settings from the environment: documented defaults, every variable honoured, clear errors.

import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES, ConfigError, loadConfig } from '../../../relay/src/config';
import { MAX_WS_FRAME_BYTES } from '../../../src/lib/protocol';

describe('loadConfig', () => {
	it('uses the documented defaults', () => {
		expect(loadConfig({}, '/srv/tessera')).toEqual({
			port: 8080,
			host: '127.0.0.1',
			dataDir: '/srv/tessera/data',
			appDir: '/srv/tessera/build',
			publicOrigin: 'http://localhost:8080',
			logLevel: 'info',
			wsMaxFrameBytes: MAX_WS_FRAME_BYTES,
			wsHeartbeatMs: 30_000,
			defaultPlan: 'self-hosted',
			smtpUrl: null,
			mailFrom: 'Tessera <no-reply@localhost>',
			trustProxy: false,
			maxUploadBytes: 20 * 1024 ** 3
		});
	});

	it('documents every variable it reads, with the default it uses', () => {
		expect(CONFIG_VARIABLES.map((v) => v.name)).toEqual([
			'PORT',
			'HOST',
			'DATA_DIR',
			'APP_DIR',
			'PUBLIC_ORIGIN',
			'LOG_LEVEL',
			'WS_MAX_FRAME_BYTES',
			'WS_HEARTBEAT_MS',
			'DEFAULT_PLAN',
			'SMTP_URL',
			'MAIL_FROM',
			'TRUST_PROXY',
			'MAX_UPLOAD_BYTES'
		]);
		for (const variable of CONFIG_VARIABLES)
			expect(variable.description.length).toBeGreaterThan(10);
		expect(CONFIG_VARIABLES.find((v) => v.name === 'WS_MAX_FRAME_BYTES')?.default).toBe(
			String(MAX_WS_FRAME_BYTES)
		);
	});

	it('honours every variable', () => {
		const config = loadConfig(
			{
				PORT: '9000',
				HOST: '0.0.0.0',
				DATA_DIR: '/var/lib/tessera',
				APP_DIR: 'dist',
				PUBLIC_ORIGIN: 'https://photos.example.org/',
				LOG_LEVEL: 'warn',
				WS_MAX_FRAME_BYTES: '65536',
				WS_HEARTBEAT_MS: '1000',
				DEFAULT_PLAN: 'free',
				SMTP_URL: 'smtps://user:pass@smtp.example.org:465',
				MAIL_FROM: 'Photos <photos@example.org>',
				TRUST_PROXY: 'true',
				MAX_UPLOAD_BYTES: '1048576'
			},
			'/srv'
		);
		expect(config).toEqual({
			port: 9000,
			host: '0.0.0.0',
			dataDir: '/var/lib/tessera',
			appDir: path.resolve('/srv', 'dist'),
			publicOrigin: 'https://photos.example.org',
			logLevel: 'warn',
			wsMaxFrameBytes: 65536,
			wsHeartbeatMs: 1000,
			defaultPlan: 'free',
			smtpUrl: 'smtps://user:pass@smtp.example.org:465',
			mailFrom: 'Photos <photos@example.org>',
			trustProxy: true,
			maxUploadBytes: 1048576
		});
	});

	it('derives the public origin from the port', () => {
		expect(loadConfig({ PORT: '3000' }).publicOrigin).toBe('http://localhost:3000');
	});

	it.each([
		['PORT', 'abc', /PORT must be a whole number from 0 to 65535 \(got "abc"\)/],
		['PORT', '70000', /PORT must be/],
		['PORT', '-1', /PORT must be/],
		['PORT', '80.5', /PORT must be/],
		['PORT', '8080x', /PORT must be/],
		['WS_MAX_FRAME_BYTES', '10', /WS_MAX_FRAME_BYTES must be/],
		['WS_HEARTBEAT_MS', 'often', /WS_HEARTBEAT_MS must be/],
		['LOG_LEVEL', 'loud', /LOG_LEVEL must be one of/],
		['DEFAULT_PLAN', 'gold', /DEFAULT_PLAN must be one of free, paid, self-hosted/],
		['SMTP_URL', 'http://mail.example.org', /SMTP_URL must be an smtp/],
		['TRUST_PROXY', 'maybe', /TRUST_PROXY must be true or false/],
		['MAX_UPLOAD_BYTES', '0', /MAX_UPLOAD_BYTES must be/],
		['PUBLIC_ORIGIN', 'photos.example.org', /PUBLIC_ORIGIN must be a URL/],
		['PUBLIC_ORIGIN', 'https://example.org/app', /without a path/],
		['PUBLIC_ORIGIN', 'ftp://example.org', /http\(s\) origin/]
	])('refuses %s=%s with a message naming it', (name, value, message) => {
		expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
		expect(() => loadConfig({ [name]: value })).toThrow(message);
	});
});
