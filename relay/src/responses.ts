// Small helpers for HTTP responses and request bodies shared by the routes.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiErrorCode, clip, type ApiError } from '../../src/lib/protocol';

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
	const text = JSON.stringify(body);
	res.statusCode = status;
	res.setHeader('Content-Type', 'application/json; charset=utf-8');
	res.setHeader('Content-Length', Buffer.byteLength(text));
	res.setHeader('Cache-Control', 'no-store');
	res.end(text);
}

export function sendApiError(
	res: ServerResponse,
	status: number,
	code: ApiErrorCode,
	message: string
): void {
	const body: ApiError = { error: { code, message: clip(message) } };
	sendJson(res, status, body);
}

/** 429 with Retry-After and `error.retryAfterS`, so a client can say how long to wait. */
export function sendTooManyRequests(
	res: ServerResponse,
	code: ApiErrorCode,
	message: string,
	retryAfterS: number
): void {
	res.setHeader('Retry-After', String(retryAfterS));
	const body: ApiError = { error: { code, message: clip(message), retryAfterS } };
	sendJson(res, 429, body);
}

/** 204 No Content. */
export function sendNoContent(res: ServerResponse): void {
	res.statusCode = 204;
	res.setHeader('Cache-Control', 'no-store');
	res.end();
}

export function sendText(res: ServerResponse, status: number, text: string): void {
	res.statusCode = status;
	res.setHeader('Content-Type', 'text/plain; charset=utf-8');
	res.setHeader('Content-Length', Buffer.byteLength(text));
	res.setHeader('Cache-Control', 'no-store');
	res.end(text);
}

/** A request body over the route's cap. */
export class PayloadTooLargeError extends Error {
	readonly code = ApiErrorCode.payloadTooLarge;
	constructor(readonly maxBytes: number) {
		super(`The request body is larger than ${maxBytes} bytes.`);
		this.name = 'PayloadTooLargeError';
	}
}

/**
 * Reads the whole body, refusing it as soon as it passes `maxBytes` (from Content-Length up front,
 * or while a chunked body streams in), so a client cannot make the relay buffer more than that.
 */
export async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
	const declared = Number(req.headers['content-length'] ?? 0);
	if (declared > maxBytes) throw new PayloadTooLargeError(maxBytes);
	const chunks: Buffer[] = [];
	let size = 0;
	for await (const chunk of req) {
		const buffer = chunk as Buffer;
		size += buffer.length;
		if (size > maxBytes) throw new PayloadTooLargeError(maxBytes);
		chunks.push(buffer);
	}
	return Buffer.concat(chunks, size);
}

export function hasBody(req: IncomingMessage): boolean {
	return (
		req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0
	);
}
