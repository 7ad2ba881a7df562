// The HTTP API's routes, tried in order.

import { accountRoute, changePasswordRoute } from './account';
import { blobRoute } from './blobs';
import { directoryRoute } from './directory';
import { healthRoute } from './health';
import { loginParamsRoute, loginRoute } from './login';
import { recoveryCompleteRoute, recoveryStartRoute } from './recovery';
import type { ApiRoute } from './route';
import { logoutRoute, sessionRoute, sessionsRoute } from './sessions';
import { signupResendRoute, signupRoute, signupVerifyRoute } from './signup';

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
	directoryRoute
];
