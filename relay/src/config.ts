// The relay's settings, read from environment variables with documented defaults and validated.

import path from 'node:path';
import { MAX_WS_FRAME_BYTES } from '../../src/lib/protocol';
import { isPlanId, PLAN_IDS, type PlanId } from './plans';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface RelayConfig {
	/** TCP port; 0 picks a free one. */
	port: number;
	host: string;
	/** Absolute path of the folder holding tessera.sqlite, blobs/ and uploads/. */
	dataDir: string;
	/** Absolute path of the built app (SvelteKit's build/). */
	appDir: string;
	/** The origin users reach the relay at, e.g. https://photos.example.org (no trailing slash). */
	publicOrigin: string;
	logLevel: LogLevel;
	wsMaxFrameBytes: number;
	wsHeartbeatMs: number;
	/** The plan every new account gets. */
	defaultPlan: PlanId;
	/** smtp:// or smtps:// URL of the mail server; null writes mail to DATA_DIR/outbox/ instead. */
	smtpUrl: string | null;
	/** From header of the relay's mail. */
	mailFrom: string;
	/** Take the client address from X-Forwarded-For (only behind a reverse proxy that sets it). */
	trustProxy: boolean;
	/** Largest blob one resumable upload may declare (Upload-Length), in bytes. */
	maxUploadBytes: number;
}

/** 20 GiB: a long 4K video, encrypted. */
export const DEFAULT_MAX_UPLOAD_BYTES = 20 * 1024 ** 3;

export interface ConfigVariable {
	name: string;
	default: string;
	description: string;
}

/** Every variable the relay reads, for the README and for `--help`-style output. */
export const CONFIG_VARIABLES: readonly ConfigVariable[] = [
	{ name: 'PORT', default: '8080', description: 'TCP port to listen on (0 picks a free port).' },
	{
		name: 'HOST',
		default: '127.0.0.1',
		description: 'Address to listen on; 0.0.0.0 or :: to accept connections from other machines.'
	},
	{
		name: 'DATA_DIR',
		default: './data',
		description:
			'Folder for the SQLite database (tessera.sqlite), the encrypted blobs (blobs/) and unfinished uploads (uploads/).'
	},
	{
		name: 'APP_DIR',
		default: './build',
		description:
			'Folder of the built app (npm run build). Without it the relay serves the API only.'
	},
	{
		name: 'PUBLIC_ORIGIN',
		default: 'http://localhost:PORT',
		description:
			'Origin users reach the relay at, used in share links (e.g. https://photos.example.org).'
	},
	{
		name: 'LOG_LEVEL',
		default: 'info',
		description: `One of ${LOG_LEVELS.join(', ')}. Logs are JSON lines on stdout.`
	},
	{
		name: 'WS_MAX_FRAME_BYTES',
		default: String(MAX_WS_FRAME_BYTES),
		description: 'Largest websocket frame accepted; a bigger one closes that socket with 1009.'
	},
	{
		name: 'WS_HEARTBEAT_MS',
		default: '30000',
		description: 'Interval of websocket pings; a socket that misses one pong is dropped.'
	},
	{
		name: 'DEFAULT_PLAN',
		default: 'self-hosted',
		description: `Plan of new accounts: ${PLAN_IDS.join(', ')}. self-hosted allows sharing and unlimited storage; free has no sharing and 10 GiB; paid has sharing and 1 TiB.`
	},
	{
		name: 'SMTP_URL',
		default: '(none)',
		description:
			'Mail server for email codes, e.g. smtps://user:pass@smtp.example.org:465. Without it each message is written to DATA_DIR/outbox/ as an .eml file and logged.'
	},
	{
		name: 'MAIL_FROM',
		default: 'Tessera <no-reply@localhost>',
		description: 'From address of the mail the relay sends.'
	},
	{
		name: 'TRUST_PROXY',
		default: 'false',
		description:
			'true when the relay runs behind a reverse proxy: the client address used for rate limits is then the last X-Forwarded-For entry (the one the proxy added). Never enable it without a proxy: clients could pick their own address.'
	},
	{
		name: 'MAX_UPLOAD_BYTES',
		default: String(DEFAULT_MAX_UPLOAD_BYTES),
		description:
			'Largest file (as encrypted bytes) one upload may be; a bigger Upload-Length is refused with 413. Account quotas apply on top of it.'
	}
];

/** A setting that cannot be used; the message says which variable and why. */
export class ConfigError extends Error {
	readonly code = 'invalid-config';
	constructor(message: string) {
		super(message);
		this.name = 'ConfigError';
	}
}

type Env = Readonly<Record<string, string | undefined>>;

/** Reads the relay's settings from `env`; relative paths are resolved against `cwd`. */
export function loadConfig(env: Env, cwd: string = process.cwd()): RelayConfig {
	const port = integer(env, 'PORT', 8080, 0, 65535);
	const host = text(env, 'HOST', '127.0.0.1');
	const publicOrigin = origin(env, 'PUBLIC_ORIGIN', `http://localhost:${port}`);
	const logLevel = text(env, 'LOG_LEVEL', 'info');
	if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
		throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')} (got "${logLevel}")`);
	}
	return {
		port,
		host,
		dataDir: path.resolve(cwd, text(env, 'DATA_DIR', './data')),
		appDir: path.resolve(cwd, text(env, 'APP_DIR', './build')),
		publicOrigin,
		logLevel: logLevel as LogLevel,
		wsMaxFrameBytes: integer(env, 'WS_MAX_FRAME_BYTES', MAX_WS_FRAME_BYTES, 1024, 64 * 1024 * 1024),
		wsHeartbeatMs: integer(env, 'WS_HEARTBEAT_MS', 30_000, 10, 24 * 60 * 60 * 1000),
		defaultPlan: plan(env, 'DEFAULT_PLAN', 'self-hosted'),
		smtpUrl: smtpUrl(env, 'SMTP_URL'),
		mailFrom: text(env, 'MAIL_FROM', 'Tessera <no-reply@localhost>'),
		trustProxy: boolean(env, 'TRUST_PROXY', false),
		maxUploadBytes: integer(
			env,
			'MAX_UPLOAD_BYTES',
			DEFAULT_MAX_UPLOAD_BYTES,
			1,
			Number.MAX_SAFE_INTEGER
		)
	};
}

function plan(env: Env, name: string, fallback: PlanId): PlanId {
	const value = text(env, name, fallback);
	if (!isPlanId(value)) {
		throw new ConfigError(`${name} must be one of ${PLAN_IDS.join(', ')} (got "${value}")`);
	}
	return value;
}

function smtpUrl(env: Env, name: string): string | null {
	const raw = env[name]?.trim();
	if (!raw) return null;
	let url: URL | null = null;
	try {
		url = new URL(raw);
	} catch {
		// reported below without echoing the value, which may hold a password
	}
	if (!url || (url.protocol !== 'smtp:' && url.protocol !== 'smtps:')) {
		throw new ConfigError(`${name} must be an smtp:// or smtps:// URL`);
	}
	return raw;
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
	const raw = env[name]?.trim().toLowerCase();
	if (!raw) return fallback;
	if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
	if (['0', 'false', 'no', 'off'].includes(raw)) return false;
	throw new ConfigError(`${name} must be true or false (got "${raw}")`);
}

function text(env: Env, name: string, fallback: string): string {
	const value = env[name]?.trim();
	return value ? value : fallback;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
	const raw = env[name]?.trim();
	if (!raw) return fallback;
	const value = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
	if (!Number.isSafeInteger(value) || value < min || value > max) {
		throw new ConfigError(`${name} must be a whole number from ${min} to ${max} (got "${raw}")`);
	}
	return value;
}

function origin(env: Env, name: string, fallback: string): string {
	const raw = text(env, name, fallback);
	let url: URL;
	try {
		url = new URL(raw);
	} catch {
		throw new ConfigError(
			`${name} must be a URL such as https://photos.example.org (got "${raw}")`
		);
	}
	if (
		(url.protocol !== 'http:' && url.protocol !== 'https:') ||
		url.origin !== raw.replace(/\/$/, '')
	) {
		throw new ConfigError(
			`${name} must be an http(s) origin without a path, such as https://photos.example.org (got "${raw}")`
		);
	}
	return url.origin;
}
