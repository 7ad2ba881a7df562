// A small in-process tus 1.0.0 + blob server with fault injection, standing in for the relay in unit tests.

import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeUpload {
	id: string;
	blobId: string;
	length: number;
	bytes: Buffer[];
	offset: number;
	metadata: Record<string, string>;
}

export interface LoggedRequest {
	method: string;
	path: string;
	authorization: string | undefined;
	uploadOffset: string | undefined;
	range: string | undefined;
	status: number;
}

export interface Faults {
	/** Next PATCH bodies: keep this many bytes, then cut the connection (one entry per PATCH). */
	cutPatchAfter: number[];
	/** Complete the next final PATCH, then cut the connection instead of answering. */
	loseFinalAnswer: boolean;
	/** Next GETs of a blob: send this many body bytes, then cut the connection. */
	cutDownloadAfter: number[];
	/** Answer every upload request with 401. */
	unauthorized: boolean;
	/** Refuse creations once stored + reserved + new > quota. */
	quotaBytes: number | null;
}

export interface FakeRelay {
	url: string;
	token: string;
	uploads: Map<string, FakeUpload>;
	blobs: Map<string, Buffer>;
	log: LoggedRequest[];
	faults: Faults;
	/** Called on every PATCH chunk the server keeps (after it is counted). */
	onBytes: ((upload: FakeUpload) => void) | null;
	close(): Promise<void>;
}

function json(res: http.ServerResponse, status: number, code: string, message: string): void {
	res.statusCode = status;
	res.setHeader('Content-Type', 'application/json');
	res.end(JSON.stringify({ error: { code, message } }));
}

function decodeMetadata(header: string | undefined): Record<string, string> {
	const out: Record<string, string> = {};
	for (const pair of (header ?? '').split(',').filter(Boolean)) {
		const [key, value = ''] = pair.trim().split(' ');
		out[key!] = Buffer.from(value, 'base64').toString('utf8');
	}
	return out;
}

export async function startFakeRelay(token = 'test-token-abcdefghijklmnop'): Promise<FakeRelay> {
	const uploads = new Map<string, FakeUpload>();
	const blobs = new Map<string, Buffer>();
	const log: LoggedRequest[] = [];
	const faults: Faults = {
		cutPatchAfter: [],
		loseFinalAnswer: false,
		cutDownloadAfter: [],
		unauthorized: false,
		quotaBytes: null
	};
	let nextId = 1;
	const relay: FakeRelay = {
		url: '',
		token,
		uploads,
		blobs,
		log,
		faults,
		onBytes: null,
		close: async () => {}
	};

	const server = http.createServer((req, res) => {
		const path = (req.url ?? '').split('?')[0]!;
		const entry: LoggedRequest = {
			method: req.method ?? '',
			path,
			authorization: req.headers.authorization,
			uploadOffset: req.headers['upload-offset'] as string | undefined,
			range: req.headers.range,
			status: 0
		};
		log.push(entry);
		res.on('finish', () => (entry.status = res.statusCode));
		res.setHeader('Tus-Resumable', '1.0.0');
		const authed = req.headers.authorization === `Bearer ${token}`;

		if (path.startsWith('/api/blobs/')) {
			if (!authed) return json(res, 401, 'unauthenticated', 'Your session has ended.');
			const blob = blobs.get(path.slice('/api/blobs/'.length));
			if (!blob) return json(res, 404, 'blob-not-found', 'There is no such blob.');
			let start = 0;
			const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
			if (range) {
				start = Number(range[1]);
				res.statusCode = 206;
				res.setHeader('Content-Range', `bytes ${start}-${blob.length - 1}/${blob.length}`);
			}
			res.setHeader('Content-Length', blob.length - start);
			if (req.method === 'HEAD') return void res.end();
			const cut = faults.cutDownloadAfter.shift();
			if (cut !== undefined) {
				res.flushHeaders();
				res.write(blob.subarray(start, start + cut), () => res.destroy());
				return;
			}
			return void res.end(blob.subarray(start));
		}

		if (!path.startsWith('/api/uploads')) return json(res, 404, 'not-found', 'No such path.');
		if (!authed || faults.unauthorized) {
			req.resume();
			return json(res, 401, 'unauthenticated', 'Your session has ended. Log in again.');
		}

		if (req.method === 'POST' && path === '/api/uploads') {
			const length = Number(req.headers['upload-length']);
			const metadata = decodeMetadata(req.headers['upload-metadata'] as string | undefined);
			const blobId = metadata.blobId ?? '';
			if (Object.keys(metadata).some((k) => k !== 'blobId')) {
				return json(res, 400, 'invalid-upload-metadata', 'Unknown metadata.');
			}
			if (blobs.has(blobId)) return json(res, 409, 'blob-exists', 'Already stored.');
			const inFlight = [...uploads.values()].find((u) => u.blobId === blobId);
			if (inFlight) {
				res.setHeader('Location', `/api/uploads/${inFlight.id}`);
				return json(res, 409, 'upload-in-progress', 'Already being uploaded.');
			}
			if (faults.quotaBytes !== null) {
				let used = length;
				for (const b of blobs.values()) used += b.length;
				for (const u of uploads.values()) used += u.length;
				if (used > faults.quotaBytes) {
					return json(res, 413, 'quota-exceeded', 'Your storage is full');
				}
			}
			const id = `u${nextId++}`;
			uploads.set(id, { id, blobId, length, bytes: [], offset: 0, metadata });
			res.statusCode = 201;
			res.setHeader('Location', `/api/uploads/${id}`);
			return void res.end();
		}

		const upload = uploads.get(path.slice('/api/uploads/'.length));
		if (!upload) {
			req.resume();
			return json(res, 404, 'upload-not-found', 'There is no such upload.');
		}
		if (req.method === 'HEAD') {
			res.setHeader('Upload-Offset', upload.offset);
			res.setHeader('Upload-Length', upload.length);
			res.setHeader('Cache-Control', 'no-store');
			return void res.end();
		}
		if (req.method === 'DELETE') {
			uploads.delete(upload.id);
			res.statusCode = 204;
			return void res.end();
		}
		if (req.method === 'PATCH') {
			if (Number(req.headers['upload-offset']) !== upload.offset) {
				req.resume();
				return json(res, 409, 'offset-mismatch', 'Upload-Offset does not match.');
			}
			let keep = faults.cutPatchAfter.shift() ?? Number.POSITIVE_INFINITY;
			req.on('data', (chunk: Buffer) => {
				if (keep <= 0) return;
				const part = chunk.subarray(0, Math.min(chunk.length, keep));
				keep -= part.length;
				upload.bytes.push(Buffer.from(part));
				upload.offset += part.length;
				relay.onBytes?.(upload);
				if (keep <= 0) req.socket.destroy();
			});
			req.on('end', () => {
				if (res.destroyed || req.socket.destroyed) return;
				if (upload.offset === upload.length) {
					blobs.set(upload.blobId, Buffer.concat(upload.bytes));
					uploads.delete(upload.id);
					if (faults.loseFinalAnswer) {
						faults.loseFinalAnswer = false;
						req.socket.destroy();
						return;
					}
				}
				res.statusCode = 204;
				res.setHeader('Upload-Offset', upload.offset);
				res.end();
			});
			return;
		}
		json(res, 405, 'method-not-allowed', 'No.');
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	relay.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
	relay.close = () =>
		new Promise<void>((resolve) => {
			server.closeAllConnections();
			server.close(() => resolve());
		});
	return relay;
}
