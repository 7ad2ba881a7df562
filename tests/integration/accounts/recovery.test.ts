// Recovery with the 24 words' key: a new password, every old session ends, the old password stops working.

import * as v from 'valibot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deriveSubkey, unwrapKey, wrapKey } from '../../../src/lib/crypto';
import { recoveryKeyToWords, wordsToRecoveryKey } from '../../../src/lib/crypto/recovery';
import {
	fromBase64Url,
	RecoveryStartResponseSchema,
	SessionGrantSchema,
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
const device = { name: 'New phone' };

beforeAll(async () => {
	relay = await startTestRelay();
	alice = await makeAccount('alice@example.org', 'forgotten password');
	laptop = (await signUpVerified(relay.port, relay.dataDir, alice.signup)).token;
});
afterAll(async () => {
	await relay?.stop();
});

const post = (apiPath: string, body: unknown) => call(relay.port, 'POST', apiPath, { body });

describe('recovery', () => {
	it('refuses recovery words that do not match', async () => {
		const res = await post('/api/recovery/start', {
			email: alice.email,
			recoveryAuthKey: toBase64Url(new Uint8Array(32).fill(9))
		});
		expect(res.status).toBe(401);
		expect(res.errorCode).toBe('wrong-recovery-key');
		expect(res.errorMessage).toBe('Those recovery words do not match this account.');
		const unknown = await post('/api/recovery/start', {
			email: 'nobody@example.org',
			recoveryAuthKey: toBase64Url(new Uint8Array(32).fill(9))
		});
		expect(unknown.status).toBe(401);
		expect(unknown.errorMessage).toBe(res.errorMessage);
	});

	it('sets a new password from the words; the old one and every old session stop working', async () => {
		// What the user types back: the words, turned into the recovery key on the device.
		const recoveryKey = wordsToRecoveryKey(recoveryKeyToWords(alice.recoveryKey).join(' '));
		const recoveryAuthKey = toBase64Url(await deriveSubkey(recoveryKey, 'recovery/auth'));
		const start = await post('/api/recovery/start', { email: alice.email, recoveryAuthKey });
		expect(start.status).toBe(200);
		const found = v.parse(RecoveryStartResponseSchema, start.json());
		const masterKey = await unwrapKey(
			fromBase64Url(found.masterKeyByRecovery),
			await deriveSubkey(recoveryKey, 'recovery/wrap')
		);
		expect(Buffer.compare(masterKey, alice.masterKey)).toBe(0);

		const kdf = floorKdf();
		const next = await passwordKeys('brand new password', kdf);
		const complete = await post('/api/recovery/complete', {
			email: alice.email,
			recoveryAuthKey,
			kdf,
			authKey: toBase64Url(next.authKey),
			masterKeyByPassword: toBase64Url(await wrapKey(masterKey, next.wrapKey)),
			device
		});
		expect(complete.status).toBe(200);
		const grant = v.parse(SessionGrantSchema, complete.json());
		expect((await call(relay.port, 'GET', '/api/account', { token: grant.token })).status).toBe(
			200
		);
		expect((await call(relay.port, 'GET', '/api/account', { token: laptop })).status).toBe(401);

		const old = await post('/api/login', {
			email: alice.email,
			authKey: toBase64Url(alice.authKey),
			device
		});
		expect(old.status).toBe(401);
		const fresh = await post('/api/login', {
			email: alice.email,
			authKey: toBase64Url(next.authKey),
			device
		});
		expect(fresh.status).toBe(200);
	});

	it('refuses weak params for the new password', async () => {
		const res = await post('/api/recovery/complete', {
			email: alice.email,
			recoveryAuthKey: toBase64Url(alice.recoveryAuthKey),
			kdf: { ...floorKdf(), opsLimit: 1 },
			authKey: toBase64Url(new Uint8Array(32).fill(1)),
			masterKeyByPassword: toBase64Url(new Uint8Array(74)),
			device
		});
		expect(res.status).toBe(400);
		expect(res.errorCode).toBe('weak-kdf-params');
	});

	it('is rate-limited like log-in', async () => {
		const body = { email: alice.email, recoveryAuthKey: toBase64Url(new Uint8Array(32).fill(8)) };
		// One wrong attempt was made above; four more reach the limit of five.
		for (let i = 0; i < 4; i++) expect((await post('/api/recovery/start', body)).status).toBe(401);
		const limited = await post('/api/recovery/start', {
			...body,
			recoveryAuthKey: toBase64Url(alice.recoveryAuthKey)
		});
		expect(limited.status).toBe(429);
		expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
	});
});
