// The key directory (signed-in look-ups, rate-limited) and deleting an account.

import * as v from 'valibot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import path from 'node:path';
import { DirectoryResponseSchema, toBase64Url } from '../../../src/lib/protocol';
import { startTestRelay, type TestRelay } from '../helpers/relay';
import { call, quickSignup, signUpVerified } from './client';

let relay: TestRelay;
let viewer: string;
let carol: ReturnType<typeof quickSignup>;

beforeAll(async () => {
	relay = await startTestRelay();
	viewer = (await signUpVerified(relay.port, relay.dataDir, quickSignup('viewer@example.org').body))
		.token;
	carol = quickSignup('carol@example.org');
	await signUpVerified(relay.port, relay.dataDir, carol.body);
});
afterAll(async () => {
	await relay?.stop();
});

const lookUp = (email: string, token = viewer) =>
	call(relay.port, 'GET', `/api/directory?email=${encodeURIComponent(email)}`, { token });

describe('key directory', () => {
	it('returns a verified user’s public keys to a signed-in user', async () => {
		const res = await lookUp('Carol@Example.org');
		expect(res.status).toBe(200);
		expect(v.parse(DirectoryResponseSchema, res.json())).toEqual({
			email: 'carol@example.org',
			publicKeys: carol.body.publicKeys
		});
	});

	it('needs a session', async () => {
		const res = await call(relay.port, 'GET', '/api/directory?email=carol@example.org');
		expect(res.status).toBe(401);
	});

	it('answers 404 for unknown and unverified emails, 400 for a bad one', async () => {
		expect((await lookUp('nobody@example.org')).errorCode).toBe('no-such-user');
		await call(relay.port, 'POST', '/api/signup', {
			body: quickSignup('pending@example.org').body
		});
		const pending = await lookUp('pending@example.org');
		expect(pending.status).toBe(404);
		const bad = await call(relay.port, 'GET', '/api/directory', { token: viewer });
		expect(bad.status).toBe(400);
		expect(bad.errorMessage).toMatch(/^email:/);
	});

	it('limits look-ups per session to 60 a minute', async () => {
		const token = (
			await signUpVerified(relay.port, relay.dataDir, quickSignup('walker@example.org').body)
		).token;
		for (let i = 0; i < 60; i++) {
			const res = await lookUp(`user${i}@example.org`, token);
			expect(res.status, `look-up ${i + 1}`).toBe(404);
		}
		const limited = await lookUp('carol@example.org', token);
		expect(limited.status).toBe(429);
		expect(limited.errorCode).toBe('rate-limited');
		expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
		// Another session is unaffected.
		expect((await lookUp('carol@example.org')).status).toBe(200);
	});
});

describe('deleting an account', () => {
	it('needs the password, then removes the account, its sessions and codes', async () => {
		const dave = quickSignup('dave@example.org');
		const grant = await signUpVerified(relay.port, relay.dataDir, dave.body);
		const wrong = await call(relay.port, 'DELETE', '/api/account', {
			token: grant.token,
			body: { authKey: toBase64Url(new Uint8Array(32).fill(5)) }
		});
		expect(wrong.status).toBe(401);
		expect(wrong.errorCode).toBe('wrong-credentials');

		const res = await call(relay.port, 'DELETE', '/api/account', {
			token: grant.token,
			body: { authKey: dave.authKey }
		});
		expect(res.status).toBe(204);
		expect((await call(relay.port, 'GET', '/api/account', { token: grant.token })).status).toBe(
			401
		);
		const login = await call(relay.port, 'POST', '/api/login', {
			body: { email: 'dave@example.org', authKey: dave.authKey, device: { name: 'x' } }
		});
		expect(login.status).toBe(401);
		expect((await lookUp('dave@example.org')).status).toBe(404);

		const db = new Database(path.join(relay.dataDir, 'tessera.sqlite'), { readonly: true });
		try {
			const count = (sql: string) => (db.prepare(sql).get(grant.account.id) as { n: number }).n;
			expect(count('SELECT COUNT(*) AS n FROM accounts WHERE account_id = ?')).toBe(0);
			expect(count('SELECT COUNT(*) AS n FROM sessions WHERE account_id = ?')).toBe(0);
			expect(count('SELECT COUNT(*) AS n FROM email_codes WHERE account_id = ?')).toBe(0);
		} finally {
			db.close();
		}
		// The email is free again.
		const again = await call(relay.port, 'POST', '/api/signup', {
			body: quickSignup('dave@example.org').body
		});
		expect(again.status).toBe(202);
	});
});
