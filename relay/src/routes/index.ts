// The HTTP API's routes, tried in order: routes that stream their body first, then the JSON ones.

import { accountRoute, changePasswordRoute } from './account';
import { blobRoute } from './blobs';
import { directoryRoute } from './directory';
import { healthRoute } from './health';
import { INVITE_ROUTES } from './invites';
import { loginParamsRoute, loginRoute } from './login';
import { recoveryCompleteRoute, recoveryStartRoute } from './recovery';
import type { ApiRoute } from './route';
import { logoutRoute, sessionRoute, sessionsRoute } from './sessions';
import { signupResendRoute, signupRoute, signupVerifyRoute } from './signup';
import { uploadRoute, uploadsRoute } from './uploads';

/**
 * Routes that read the request body themselves, as a stream (tus uploads): http.ts matches them
 * before it reads and caps a JSON body, and passes them an empty `body`.
 */
export const STREAMING_API_ROUTES: readonly ApiRoute[] = [uploadsRoute, uploadRoute];

export const API_ROUTES: readonly ApiRoute[] = [
	healthRoute,
	blobRoute,
	signupRoute,
	signupVerifyRoute,
	signupResendRoute,
	loginParamsRoute,
	loginRoute,
	logoutRoute,
	accountRoute,
	changePasswordRoute,
	sessionsRoute,
	sessionRoute,
	recoveryStartRoute,
	recoveryCompleteRoute,
	directoryRoute,
	...INVITE_ROUTES
];
