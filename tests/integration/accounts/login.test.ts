// Log-in on another device: params that do not reveal accounts, authKey proof, failed-log-in limits.

import * as v from 'valibot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unwrapKey } from '../../../src/lib/crypto';
import {
	fromBase64Url,
	LoginParamsResponseSchema,
	SessionGrantSchema,
	toBase64Url
} from '../../../src/lib/protocol';
import { startTestRelay, type TestRelay } from '../helpers/relay';
import {
	call,
	makeAccount,
	passwordKeys,
	quickSignup,
	signUpVerified,
	type AccountSecrets
} from './client';

let relay: TestRelay;
let alice: AccountSecrets;
const device = { name: 'Firefox on macOS' };

beforeAll(async () => {
	// Behind a (pretend) proxy, so tests can speak from several client addresses.
	relay = await startTestRelay({ TRUST_PROXY: 'true' });
	alice = await makeAccount('alice@example.org', 'correct horse battery staple');
	await signUpVerified(relay.port, relay.dataDir, alice.signup);
});
afterAll(async () => {
	await relay?.stop();
});

const post = (apiPath: string, body: unknown, address = '203.0.113.1') =>
	call(relay.port, 'POST', apiPath, {
		body,
		headers: { 'X-Forwarded-For': `10.9.9.9, ${address}` }
	});

async function loginParams(email: string) {
	const res = await post('/api/login/params', { email });
	expect(res.status).toBe(200);
	return v.parse(LoginParamsResponseSchema, res.json()).kdf;
}

describe('log-in params', () => {
	it('gives an account its own salt and params', async () => {
		expect(await loginParams('Alice@Example.org')).toEqual(alice.signup.kdf);
	});

	it('answers an unknown email with the same shape, the same answer every time', async () => {
		const first = await loginParams('mallory@example.org');
		expect(await loginParams('mallory@example.org')).toEqual(first);
		expect(Object.keys(first).sort()).toEqual(Object.keys(alice.signup.kdf).sort());
		expect(fromBase64Url(first.salt)).toHaveLength(16);
		expect(first.opsLimit).toBeGreaterThanOrEqual(3);
		expect(first.memLimit).toBeGreaterThanOrEqual(64 * 1024 * 1024);
		expect((await loginParams('trent@example.org')).salt).not.toBe(first.salt);
	});
});

describe('log-in', () => {
	it('opens a session on a second device that unwraps the same keys', async () => {
		const kdf = await loginParams('alice@example.org');
		const { authKey, wrapKey } = await passwordKeys('correct horse battery staple', kdf);
		const res = await post('/api/login', {
			email: 'alice@example.org',
			authKey: toBase64Url(authKey),
			device
		});
		expect(res.status).toBe(200);
		const grant = v.parse(SessionGrantSchema, res.json());
		const masterKey = await unwrapKey(
			fromBase64Url(grant.wrappedKeys.masterKeyByPassword),
			wrapKey
		);
		expect(Buffer.compare(masterKey, alice.masterKey)).toBe(0);
		const signSeed = await unwrapKey(fromBase64Url(grant.wrappedKeys.signSeed), masterKey);
		expect(Buffer.compare(signSeed, alice.signSeed)).toBe(0);
		const me = await call(relay.port, 'GET', '/api/account', { token: grant.token });
		expect(me.status).toBe(200);
	});

	it('refuses a wrong authKey with 401 and the same message as an unknown email', async () => {
		const wrong = await post(
			'/api/login',
			{
				email: 'alice@example.org',
				authKey: toBase64Url(new Uint8Array(32).fill(7)),
				device
			},
			'198.51.100.7'
		);
		expect(wrong.status).toBe(401);
		expect(wrong.errorCode).toBe('wrong-credentials');
		expect(wrong.errorMessage).toBe('Wrong email or password.');
		const unknown = await post(
			'/api/login',
			{
				email: 'nobody@example.org',
				authKey: toBase64Url(new Uint8Array(32).fill(7)),
				device
			},
			'198.51.100.7'
		);
		expect(unknown.status).toBe(401);
		expect(unknown.errorMessage).toBe(wrong.errorMessage);
	});

	it('refuses an empty or wrong-length authKey with 400 naming it', async () => {
		for (const authKey of ['', toBase64Url(new Uint8Array(16))]) {
			const res = await post('/api/login', { email: 'alice@example.org', authKey, device });
			expect(res.status).toBe(400);
			expect(res.errorMessage).toMatch(/^authKey:/);
		}
	});
});

describe('failed log-in limits', () => {
	it('answers the 6th rapid failure for one account with 429, even with the right password', async () => {
		const { body, authKey } = quickSignup('bob@example.org');
		await signUpVerified(relay.port, relay.dataDir, body);
		const wrongKey = toBase64Url(new Uint8Array(32).fill(1));
		for (let i = 1; i <= 5; i++) {
			// From different addresses: the per-account limit holds whatever the address.
			const res = await post(
				'/api/login',
				{ email: body.email, authKey: wrongKey, device },
				`192.0.2.${i}`
			);
			expect(res.status, `attempt ${i}`).toBe(401);
		}
		const sixth = await post(
			'/api/login',
			{ email: body.email, authKey: wrongKey, device },
			'192.0.2.6'
		);
		expect(sixth.status).toBe(429);
		expect(sixth.errorCode).toBe('too-many-attempts');
		const retryAfter = Number(sixth.headers['retry-after']);
		expect(retryAfter).toBeGreaterThan(0);
		expect(retryAfter).toBeLessThanOrEqual(15 * 60);
		expect((sixth.json() as { error: { retryAfterS: number } }).error.retryAfterS).toBe(retryAfter);

		const right = await post('/api/login', { email: body.email, authKey, device }, '192.0.2.7');
		expect(right.status).toBe(429);

		// Other accounts are unaffected.
		const other = await post(
			'/api/login',
			{
				email: 'alice@example.org',
				authKey: toBase64Url(alice.authKey),
				device
			},
			'192.0.2.8'
		);
		expect(other.status).toBe(200);
	});

	it('limits one address to 20 failures, whatever the accounts; other addresses go on', async () => {
		const address = '203.0.113.99';
		const wrongKey = toBase64Url(new Uint8Array(32).fill(2));
		for (let i = 0; i < 20; i++) {
			// Four failures per email stays under the per-account limit.
			const email = `guess${Math.floor(i / 4)}@example.org`;
			const res = await post('/api/login', { email, authKey: wrongKey, device }, address);
			expect(res.status, `attempt ${i + 1}`).toBe(401);
		}
		const good = { email: 'alice@example.org', authKey: toBase64Url(alice.authKey), device };
		const limited = await post('/api/login', good, address);
		expect(limited.status).toBe(429);
		expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
		expect((await post('/api/login', good, '203.0.113.100')).status).toBe(200);
	});
});
