// Upload test helpers: tus requests by hand, tus-js-client in Node, the relay as a child process, quota changes behind its back.

import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as v from 'valibot';
import { Upload, type DetailedError, type UploadOptions } from 'tus-js-client';
import { AccountStore } from '../../../relay/src/account-store';
import { openDatabase } from '../../../relay/src/db';
import { ApiErrorSchema, toBase64Url } from '../../../src/lib/protocol';
import { rawRequest, type RawResponse } from '../helpers/http';

export const KiB = 1024;
export const MiB = 1024 * KiB;

export function newBlobId(): string {
	return toBase64Url(randomBytes(16));
}

/** Upload-Metadata as tus clients write it: `key base64(value)` pairs. */
export function metadataHeader(pairs: Record<string, string>): string {
	return Object.entries(pairs)
		.map(([key, value]) => `${key} ${Buffer.from(value, 'utf8').toString('base64')}`)
		.join(',');
}

export function errorOf(res: RawResponse): { code: string; message: string } {
	return v.parse(ApiErrorSchema, res.json()).error;
}

/** A tus request with the session token and Tus-Resumable set. */
export function tusRequest(
	port: number,
	method: string,
	rawPath: string,
	options: { token?: string; headers?: Record<string, string | number>; body?: Buffer } = {}
): Promise<RawResponse> {
	return rawRequest(port, rawPath, {
		method,
		headers: {
			'Tus-Resumable': '1.0.0',
			...(options.token ? { Authorization: `Bearer ${options.token}` } : {}),
			...options.headers
		},
		...(options.body ? { body: options.body } : {})
	});
}

/** POST /api/uploads for `length` bytes of blob `blobId`. */
export function createUpload(
	port: number,
	token: string,
	blobId: string,
	length: number
): Promise<RawResponse> {
	return tusRequest(port, 'POST', '/api/uploads', {
		token,
		headers: { 'Upload-Length': length, 'Upload-Metadata': metadataHeader({ blobId }) }
	});
}

/** PATCH `bytes` at `offset`. */
export function patchUpload(
	port: number,
	token: string,
	location: string,
	offset: number,
	bytes: Buffer
): Promise<RawResponse> {
	return tusRequest(port, 'PATCH', location, {
		token,
		headers: { 'Upload-Offset': offset, 'Content-Type': 'application/offset+octet-stream' },
		body: bytes
	});
}

export function getBlob(port: number, token: string, blobId: string): Promise<RawResponse> {
	return rawRequest(port, `/api/blobs/${blobId}`, {
		headers: { Authorization: `Bearer ${token}` }
	});
}

export async function usageOf(port: number, token: string): Promise<number> {
	const res = await rawRequest(port, '/api/account', {
		headers: { Authorization: `Bearer ${token}` }
	});
	if (res.status !== 200) throw new Error(`GET /api/account: ${res.status} ${res.text}`);
	return (res.json() as { usageBytes: number }).usageBytes;
}

/** Changes an account's quota with a connection of its own, as `npm run admin set-quota` does. */
export function setQuota(dataDir: string, accountId: string, quotaBytes: number | null): void {
	const db = openDatabase(dataDir);
	try {
		new AccountStore(db).setQuota(accountId, quotaBytes);
	} finally {
		db.close();
	}
}

export type TusOutcome =
	{ ok: true; url: string } | { ok: false; url: string | null; error: Error | DetailedError };

/** Runs a tus-js-client upload of `data` to its end, successful or not (no retries). */
export function tusUpload(
	data: Buffer,
	options: UploadOptions & { token: string }
): Promise<TusOutcome> {
	const { token, ...rest } = options;
	return new Promise((resolve) => {
		const upload: Upload = new Upload(data, {
			retryDelays: null,
			...rest,
			headers: { Authorization: `Bearer ${token}`, ...rest.headers },
			onSuccess: () => resolve({ ok: true, url: upload.url ?? '' }),
			onError: (error) => resolve({ ok: false, url: upload.url, error })
		});
		upload.start();
	});
}

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

export interface RelayProcess {
	child: ChildProcess;
	url: Promise<string>;
	exited: Promise<NodeJS.Signals | null>;
}

/** `node relay/src/main.ts` on DATA_DIR `dataDir`, as production runs it. */
export function spawnRelay(root: string, dataDir: string): RelayProcess {
	const child = spawn(process.execPath, ['--import', 'tsx', 'relay/src/main.ts'], {
		cwd: repoRoot,
		env: {
			PATH: process.env.PATH ?? '',
			HOME: process.env.HOME ?? root,
			PORT: '0',
			HOST: '127.0.0.1',
			DATA_DIR: dataDir,
			APP_DIR: path.join(root, 'no-app'),
			LOG_LEVEL: 'info'
		},
		stdio: ['ignore', 'pipe', 'pipe']
	});
	let out = '';
	let err = '';
	child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
	const exited = new Promise<NodeJS.Signals | null>((resolve) =>
		child.on('exit', (_code, signal) => resolve(signal))
	);
	const url = new Promise<string>((resolve, reject) => {
		child.stdout?.on('data', (chunk: Buffer) => {
			out += chunk.toString('utf8');
			const match = /Tessera relay listening on (http:\/\/[\d.]+:\d+)/.exec(out);
			if (match?.[1]) resolve(match[1]);
		});
		void exited.then(() => reject(new Error(`relay exited before listening: ${err}`)));
	});
	return { child, url, exited };
}
