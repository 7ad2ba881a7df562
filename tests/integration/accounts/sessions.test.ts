// Sessions on several devices: listed, revocable, logged out; a password change ends the others.

import * as v from 'valibot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unwrapKey, wrapKey } from '../../../src/lib/crypto';
import {
	fromBase64Url,
	SessionGrantSchema,
	SessionsResponseSchema,
	toBase64Url
} from '../../../src/lib/protocol';
import { startTestRelay, type TestRelay } from '../helpers/relay';
import {
	call,
	floorKdf,
	makeAccount,
	passwordKeys,
	signUpVerified,
	type AccountSecrets
} from './client';

let relay: TestRelay;
let alice: AccountSecrets;
let laptop: string;

beforeAll(async () => {
	relay = await startTestRelay();
	alice = await makeAccount('alice@example.org', 'first password');
	laptop = (await signUpVerified(relay.port, relay.dataDir, alice.signup, 'Laptop')).token;
});
afterAll(async () => {
	await relay?.stop();
});

async function login(authKey: Uint8Array, name: string) {
	const res = await call(relay.port, 'POST', '/api/login', {
		body: { email: alice.email, authKey: toBase64Url(authKey), device: { name } }
	});
	return res.status === 200 ? v.parse(SessionGrantSchema, res.json()) : res;
}

async function grantOf(authKey: Uint8Array, name: string) {
	const result = await login(authKey, name);
	if (!('token' in result)) throw new Error(`log-in failed: ${result.status}`);
	return result;
}

const account = (token: string) => call(relay.port, 'GET', '/api/account', { token });

describe('sessions', () => {
	it('lists every device, marks the current one, and revokes another', async () => {
		const phone = await grantOf(alice.authKey, 'Phone');
		const res = await call(relay.port, 'GET', '/api/sessions', { token: laptop });
		const { sessions } = v.parse(SessionsResponseSchema, res.json());
		expect(sessions.map((s) => [s.deviceName, s.current])).toEqual([
			['Laptop', true],
			['Phone', false]
		]);
		expect(Date.parse(sessions[1]!.lastSeenAt)).toBeGreaterThanOrEqual(
			Date.parse(sessions[1]!.createdAt)
		);

		const revoke = await call(relay.port, 'DELETE', `/api/sessions/${phone.sessionId}`, {
			token: laptop
		});
		expect(revoke.status).toBe(204);
		const after = await account(phone.token);
		expect(after.status).toBe(401);
		expect(after.errorCode).toBe('unauthenticated');
		expect(after.errorMessage).toBe('Your session has ended. Log in again.');

		const again = await call(relay.port, 'DELETE', `/api/sessions/${phone.sessionId}`, {
			token: laptop
		});
		expect(again.status).toBe(404);
		expect((await account(laptop)).status).toBe(200);
	});

	it('cannot touch another account’s sessions', async () => {
		const other = await makeAccount('bob@example.org', 'bob password');
		const bob = await signUpVerified(relay.port, relay.dataDir, other.signup);
		const res = await call(relay.port, 'DELETE', `/api/sessions/${bob.sessionId}`, {
			token: laptop
		});
		expect(res.status).toBe(404);
		expect((await account(bob.token)).status).toBe(200);
	});

	it('needs a session for every account route', async () => {
		for (const [method, apiPath] of [
			['GET', '/api/account'],
			['DELETE', '/api/account'],
			['GET', '/api/sessions'],
			['DELETE', '/api/sessions/abc'],
			['POST', '/api/logout'],
			['POST', '/api/account/password'],
			['GET', '/api/directory?email=alice@example.org']
		] as const) {
			const res = await call(relay.port, method, apiPath, {
				token: toBase64Url(new Uint8Array(32))
			});
			expect(res.status, `${method} ${apiPath}`).toBe(401);
			expect(res.headers['www-authenticate']).toBe('Bearer');
		}
	});

	it('logs out: the token stops working', async () => {
		const tablet = await grantOf(alice.authKey, 'Tablet');
		const out = await call(relay.port, 'POST', '/api/logout', { token: tablet.token });
		expect(out.status).toBe(204);
		expect((await account(tablet.token)).status).toBe(401);
	});
});

describe('changing the password', () => {
	it('refuses a wrong current password', async () => {
		const kdf = floorKdf();
		const res = await call(relay.port, 'POST', '/api/account/password', {
			token: laptop,
			body: {
				currentAuthKey: toBase64Url(new Uint8Array(32).fill(3)),
				kdf,
				authKey: toBase64Url(new Uint8Array(32).fill(4)),
				masterKeyByPassword: toBase64Url(new Uint8Array(74))
			}
		});
		expect(res.status).toBe(401);
		expect(res.errorCode).toBe('wrong-credentials');
	});

	it('re-wraps the master key, ends the other sessions, and retires the old password', async () => {
		const phone = await grantOf(alice.authKey, 'Phone');
		const kdf = floorKdf();
		const next = await passwordKeys('second password', kdf);
		const res = await call(relay.port, 'POST', '/api/account/password', {
			token: laptop,
			body: {
				currentAuthKey: toBase64Url(alice.authKey),
				kdf,
				authKey: toBase64Url(next.authKey),
				masterKeyByPassword: toBase64Url(await wrapKey(alice.masterKey, next.wrapKey))
			}
		});
		expect(res.status).toBe(204);
		expect((await account(laptop)).status).toBe(200);
		expect((await account(phone.token)).status).toBe(401);

		const old = await login(alice.authKey, 'Old');
		expect('status' in old && old.status).toBe(401);
		const fresh = await grantOf(next.authKey, 'New');
		expect(fresh.kdf).toEqual(kdf);
		const masterKey = await unwrapKey(
			fromBase64Url(fresh.wrappedKeys.masterKeyByPassword),
			next.wrapKey
		);
		expect(Buffer.compare(masterKey, alice.masterKey)).toBe(0);
	});

	it('refuses weak params for the new password', async () => {
		const res = await call(relay.port, 'POST', '/api/account/password', {
			token: laptop,
			body: {
				currentAuthKey: toBase64Url(alice.authKey),
				kdf: { ...floorKdf(), memLimit: 16 * 1024 * 1024 },
				authKey: toBase64Url(new Uint8Array(32).fill(4)),
				masterKeyByPassword: toBase64Url(new Uint8Array(74))
			}
		});
		expect(res.status).toBe(400);
		expect(res.errorCode).toBe('weak-kdf-params');
	});
});
