// GET /api/health: liveness and version, for load balancers and the app's connection check.

import { performance } from 'node:perf_hooks';
import type { HealthResponse } from '../../../src/lib/protocol';
import { sendJson } from '../responses';
import type { ApiRoute } from './route';

export const healthRoute: ApiRoute = {
	methods: ['GET', 'HEAD'],
	match: (rawPath) => (rawPath === '/api/health' ? {} : null),
	handle({ res, ctx }) {
		const body: HealthResponse = {
			ok: true,
			version: ctx.version,
			uptimeS: Math.floor((performance.now() - ctx.startedAt) / 1000)
		};
		sendJson(res, 200, body);
	}
};
