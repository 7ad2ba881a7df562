// The HTTP front door: security headers, URL checks, the API routes, then the static app.

import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { ApiErrorCode, MAX_JSON_BODY_BYTES } from '../../src/lib/protocol';
import type { RelayContext } from './context';
import { contentSecurityPolicy, securityHeaders } from './csp';
import { PayloadTooLargeError, hasBody, readBody, sendApiError, sendText } from './responses';
import { API_ROUTES, STREAMING_API_ROUTES } from './routes';
import type { ApiRoute } from './routes/route';
import type { StaticApp } from './static';

const MAX_LOGGED_PATH = 200;

export function createRequestHandler(ctx: RelayContext, app: StaticApp): RequestListener {
	const headers = Object.entries(securityHeaders(contentSecurityPolicy(app.scriptHashes)));
	const log = ctx.logger.child({ component: 'http' });

	return (req, res) => {
		const started = performance.now();
		for (const [name, value] of headers) res.setHeader(name, value);
		const rawPath = (req.url ?? '').split('?', 1)[0] ?? '';
		res.on('close', () => {
			// Method, path, status and time only: bodies and query strings never reach the logs.
			log.info(
				{
					method: req.method,
					path: rawPath.slice(0, MAX_LOGGED_PATH),
					status: res.statusCode,
					ms: Math.round(performance.now() - started),
					...(res.writableFinished ? {} : { aborted: true })
				},
				'request'
			);
		});
		handle(req, res, rawPath, ctx, app).catch((error: unknown) => {
			if (res.headersSent) {
				// The client went away mid-stream, or a stream failed: nothing more can be said.
				if (!isClientGone(error)) log.error({ err: error, path: rawPath }, 'response failed');
				res.destroy();
				return;
			}
			log.error({ err: error, path: rawPath }, 'request failed');
			sendApiError(res, 500, ApiErrorCode.internal, 'The relay failed to answer this request.');
		});
	};
}

async function handle(
	req: IncomingMessage,
	res: ServerResponse,
	rawPath: string,
	ctx: RelayContext,
	app: StaticApp
): Promise<void> {
	const isApi = rawPath === '/api' || rawPath.startsWith('/api/');
	const problem = pathProblem(rawPath);
	if (problem) {
		closeAfterResponse(req, res);
		if (isApi) return sendApiError(res, 400, ApiErrorCode.malformedUrl, problem);
		return sendText(res, 400, `Bad request: ${problem}`);
	}
	if (isApi) return handleApi(req, res, rawPath, ctx);

	const method = req.method ?? '';
	if (method !== 'GET' && method !== 'HEAD') {
		closeAfterResponse(req, res);
		res.setHeader('Allow', 'GET, HEAD');
		return sendText(res, 405, 'Method not allowed');
	}
	app.serve(req, res);
}

async function handleApi(
	req: IncomingMessage,
	res: ServerResponse,
	rawPath: string,
	ctx: RelayContext
): Promise<void> {
	const streaming = matchRoute(STREAMING_API_ROUTES, rawPath);
	if (streaming) {
		const { route, params } = streaming;
		// A refused upload body is not read: hang up after the answer rather than drain it.
		if (!route.methods.includes(req.method ?? '')) closeAfterResponse(req, res);
		if (refuseMethod(req, res, route)) return;
		return route.handle({ req, res, rawPath, params, body: Buffer.alloc(0), ctx });
	}

	const { route, params } = matchRoute(API_ROUTES, rawPath) ?? {};

	let body: Buffer;
	try {
		body = hasBody(req) ? await readBody(req, MAX_JSON_BODY_BYTES) : Buffer.alloc(0);
	} catch (error) {
		if (!(error instanceof PayloadTooLargeError)) throw error;
		closeAfterResponse(req, res);
		return sendApiError(res, 413, ApiErrorCode.payloadTooLarge, error.message);
	}

	if (!route || !params) {
		return sendApiError(
			res,
			404,
			ApiErrorCode.notFound,
			`There is no API at ${rawPath.slice(0, 100)}.`
		);
	}
	if (refuseMethod(req, res, route)) return;
	await route.handle({ req, res, rawPath, params, body, ctx });
}

function matchRoute(
	routes: readonly ApiRoute[],
	rawPath: string
): { route: ApiRoute; params: Record<string, string> } | null {
	for (const route of routes) {
		const params = route.match(rawPath);
		if (params) return { route, params };
	}
	return null;
}

/** True after answering 405 because the route does not take the request's method. */
function refuseMethod(req: IncomingMessage, res: ServerResponse, route: ApiRoute): boolean {
	if (route.methods.includes(req.method ?? '')) return false;
	res.setHeader('Allow', route.methods.join(', '));
	sendApiError(
		res,
		405,
		ApiErrorCode.methodNotAllowed,
		`${req.method} is not allowed here; use ${route.methods.join(' or ')}.`
	);
	return true;
}

/**
 * Why a request path cannot be served, or null. Browsers never send dot segments or NULs, so a
 * path with them is an attack or a broken client; refusing it up front keeps every later step
 * (route matching, sirv, the blob store) away from traversal tricks, encoded or not.
 */
export function pathProblem(rawPath: string): string | null {
	if (!rawPath.startsWith('/')) return 'the request target must be a path';
	let decoded: string;
	try {
		decoded = decodeURIComponent(rawPath);
	} catch {
		return 'the path is not valid percent-encoding';
	}
	if (decoded.includes('\0')) return 'the path contains a NUL byte';
	if (decoded.includes('\\')) return 'the path contains a backslash';
	if (decoded.split('/').some((segment) => segment === '..' || segment === '.')) {
		return 'the path contains a dot segment';
	}
	return null;
}

/** For requests answered before their body was read: drop the connection rather than drain it. */
function closeAfterResponse(req: IncomingMessage, res: ServerResponse): void {
	if (!hasBody(req) || req.complete) return;
	res.setHeader('Connection', 'close');
	req.resume();
}

function isClientGone(error: unknown): boolean {
	const code = (error as NodeJS.ErrnoException | undefined)?.code;
	return code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ECONNRESET' || code === 'EPIPE';
}
