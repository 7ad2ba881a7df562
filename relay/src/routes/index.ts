// The HTTP API's routes, tried in order.

import { blobRoute } from './blobs';
import { healthRoute } from './health';
import type { ApiRoute } from './route';

export const API_ROUTES: readonly ApiRoute[] = [healthRoute, blobRoute];
