// The relay's HTTP API: health, the error shape, unknown routes, methods, body caps, bad URLs.

import net from 'node:net';
import * as v from 'valibot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
	ApiErrorSchema,
	HealthResponseSchema,
	MAX_JSON_BODY_BYTES
} from '../../../src/lib/protocol';
import { rawRequest } from '../helpers/http';
import { startTestRelay, type TestRelay } from '../helpers/relay';

let relay: TestRelay;
beforeAll(async () => {
	relay = await startTestRelay();
});
afterAll(async () => {
	await relay?.stop();
});

function apiError(body: unknown) {
	return v.parse(ApiErrorSchema, body).error;
}

describe('GET /api/health', () => {
	it('reports ok, the version and the uptime', async () => {
		const res = await rawRequest(relay.port, '/api/health');
		expect(res.status).toBe(200);
		expect(res.headers['content-type']).toMatch(/^application\/json/);
		const health = v.parse(HealthResponseSchema, res.json());
		expect(health.version).toMatch(/^\d+\.\d+\.\d+/);
		expect(health.uptimeS).toBeGreaterThanOrEqual(0);
	});

	it('answers on the URL startRelay reports', async () => {
		const res = await fetch(`${relay.url}/api/health`);
		expect(res.status).toBe(200);
		expect(relay.url).toBe(`http://127.0.0.1:${relay.port}`);
	});

	it('refuses other methods with 405 and Allow', async () => {
		const res = await rawRequest(relay.port, '/api/health', { method: 'DELETE' });
		expect(res.status).toBe(405);
		expect(res.headers.allow).toBe('GET, HEAD');
		expect(apiError(res.json()).code).toBe('method-not-allowed');
	});
});

describe('the API', () => {
	it('answers unknown API paths with a 404 JSON error', async () => {
		for (const path of ['/api/nope', '/api', '/api/blobs', '/api/health/extra']) {
			const res = await rawRequest(relay.port, path);
			expect(res.status, path).toBe(404);
			expect(apiError(res.json())).toMatchObject({ code: 'not-found' });
		}
	});

	it('refuses a body over the cap with 413, declared up front', async () => {
		const body = Buffer.alloc(MAX_JSON_BODY_BYTES + 1, 0x61);
		const res = await rawRequest(relay.port, '/api/health', { method: 'POST', body });
		expect(res.status).toBe(413);
		expect(apiError(res.json())).toMatchObject({ code: 'payload-too-large' });
	});

	it('refuses a chunked body once it passes the cap', async () => {
		const body = Buffer.alloc(MAX_JSON_BODY_BYTES * 2, 0x61);
		const res = await rawRequest(relay.port, '/api/nope', { method: 'POST', body, chunked: true });
		expect(res.status).toBe(413);
	});

	it('reads a body under the cap and goes on to the route', async () => {
		const res = await rawRequest(relay.port, '/api/health', { method: 'POST', body: '{}' });
		expect(res.status).toBe(405);
	});

	it('answers malformed percent-encoding with 400, API or not', async () => {
		for (const path of ['/api/blobs/%E0%A4%A', '/api/%zz', '/%', '/albums/%C0%AF']) {
			const res = await rawRequest(relay.port, path);
			expect(res.status, path).toBe(400);
		}
		const res = await rawRequest(relay.port, '/api/%zz');
		expect(apiError(res.json()).code).toBe('malformed-url');
	});

	it('survives requests Node cannot parse and keeps serving', async () => {
		const reply = await new Promise<string>((resolve, reject) => {
			const socket = net.connect(relay.port, '127.0.0.1', () => {
				socket.write('GARBAGE \x00\x01 HTTP/9.9\r\n\r\n');
			});
			let data = '';
			socket.on('data', (chunk) => (data += chunk.toString('latin1')));
			socket.on('end', () => resolve(data));
			socket.on('error', reject);
		});
		expect(reply).toMatch(/^HTTP\/1\.1 400/);
		const res = await rawRequest(relay.port, '/api/health');
		expect(res.status).toBe(200);
	});
});

describe('security headers', () => {
	it('are on API responses too, errors included', async () => {
		for (const path of ['/api/health', '/api/nope', '/']) {
			const res = await rawRequest(relay.port, path);
			expect(res.headers['content-security-policy'], path).toContain("default-src 'self'");
			expect(res.headers['x-content-type-options']).toBe('nosniff');
			expect(res.headers['referrer-policy']).toBe('no-referrer');
			expect(res.headers['cross-origin-opener-policy']).toBe('same-origin');
			expect(res.headers['permissions-policy']).toContain('camera=()');
		}
	});
});
