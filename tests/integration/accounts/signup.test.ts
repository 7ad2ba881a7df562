// Sign-up: the code is mailed to the outbox, verifying it opens a session; bad input is refused by field.

import fs from 'node:fs/promises';
import path from 'node:path';
import * as v from 'valibot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import {
	AccountInfoSchema,
	SessionGrantSchema,
	SignupPendingResponseSchema,
	toBase64Url
} from '../../../src/lib/protocol';
import { startTestRelay, type TestRelay } from '../helpers/relay';
import { call, makeAccount, quickSignup, takeCode } from './client';

let relay: TestRelay;
const device = { name: 'Chrome on Linux' };

beforeAll(async () => {
	relay = await startTestRelay();
});
afterAll(async () => {
	await relay?.stop();
});

const post = (apiPath: string, body: unknown) => call(relay.port, 'POST', apiPath, { body });

describe('sign-up with an email code', () => {
	it('mails a code to the outbox; the code opens a working session', async () => {
		const account = await makeAccount('Alice@Example.org', 'correct horse battery staple');
		const signup = await post('/api/signup', account.signup);
		expect(signup.status).toBe(202);
		const pending = v.parse(SignupPendingResponseSchema, signup.json());
		expect(Date.parse(pending.codeExpiresAt)).toBeGreaterThan(Date.now() + 14 * 60_000);

		const files = await fs.readdir(path.join(relay.dataDir, 'outbox'));
		expect(files.filter((f) => f.endsWith('.eml'))).toHaveLength(1);
		const mail = await fs.readFile(path.join(relay.dataDir, 'outbox', files[0]!), 'utf8');
		expect(mail).toMatch(/^From: Tessera <no-reply@localhost>$/m);
		expect(mail).toMatch(/expires in 15 minutes/);
		const code = await takeCode(relay.dataDir, 'alice@example.org');

		// Not verified yet: the password is right but the account cannot log in.
		const early = await post('/api/login', {
			email: 'alice@example.org',
			authKey: account.signup.authKey,
			device
		});
		expect(early.status).toBe(403);
		expect(early.errorCode).toBe('email-not-verified');

		const verify = await post('/api/signup/verify', {
			email: ' ALICE@example.org',
			code,
			device
		});
		expect(verify.status).toBe(200);
		const grant = v.parse(SessionGrantSchema, verify.json());
		expect(grant.account.email).toBe('alice@example.org');
		expect(grant.account.plan).toEqual({ id: 'self-hosted', name: 'Self-hosted', sharing: true });
		expect(grant.account.quotaBytes).toBeNull();
		expect(grant.wrappedKeys).toEqual(account.signup.wrappedKeys);
		expect(grant.publicKeys).toEqual(account.signup.publicKeys);
		expect(grant.kdf).toEqual(account.signup.kdf);

		const me = await call(relay.port, 'GET', '/api/account', { token: grant.token });
		expect(me.status).toBe(200);
		expect(v.parse(AccountInfoSchema, me.json())).toEqual(grant.account);

		// The code is spent.
		const again = await post('/api/signup/verify', { email: 'alice@example.org', code, device });
		expect(again.status).toBe(410);

		// A verified email cannot be signed up again.
		const taken = await post('/api/signup', quickSignup('alice@example.org').body);
		expect(taken.status).toBe(409);
		expect(taken.errorCode).toBe('email-taken');
	});

	it('refuses wrong codes, and burns the code after five', async () => {
		const { body } = quickSignup('bob@example.org');
		expect((await post('/api/signup', body)).status).toBe(202);
		const code = await takeCode(relay.dataDir, 'bob@example.org');
		const wrong = code === '000000' ? '000001' : '000000';
		for (let i = 1; i <= 4; i++) {
			const res = await post('/api/signup/verify', { email: body.email, code: wrong, device });
			expect(res.status, `attempt ${i}`).toBe(400);
			expect(res.errorCode).toBe('wrong-code');
		}
		const fifth = await post('/api/signup/verify', { email: body.email, code: wrong, device });
		expect(fifth.status).toBe(410);
		expect(fifth.errorCode).toBe('code-expired');
		expect(fifth.errorMessage).toMatch(/new code/);
		// Even the right code is refused now...
		const right = await post('/api/signup/verify', { email: body.email, code, device });
		expect(right.status).toBe(410);

		// ...until a new one is sent.
		const resend = await post('/api/signup/resend', { email: body.email });
		expect(resend.status).toBe(202);
		const fresh = await takeCode(relay.dataDir, 'bob@example.org');
		const ok = await post('/api/signup/verify', { email: body.email, code: fresh, device });
		expect(ok.status).toBe(200);
	});

	it('refuses an expired code', async () => {
		const { body } = quickSignup('carol@example.org');
		await post('/api/signup', body);
		const code = await takeCode(relay.dataDir, 'carol@example.org');
		// Age the code in the database, as 15 minutes passing would.
		const db = new Database(path.join(relay.dataDir, 'tessera.sqlite'));
		db.prepare('UPDATE email_codes SET expires_at = ?').run(Date.now() - 1);
		db.close();
		const res = await post('/api/signup/verify', { email: body.email, code, device });
		expect(res.status).toBe(410);
		expect(res.errorCode).toBe('code-expired');
	});

	it('replaces a pending sign-up for the same email', async () => {
		const first = quickSignup('dave@example.org');
		await post('/api/signup', first.body);
		const oldCode = await takeCode(relay.dataDir, 'dave@example.org');
		const second = quickSignup('dave@example.org');
		expect((await post('/api/signup', second.body)).status).toBe(202);
		const newCode = await takeCode(relay.dataDir, 'dave@example.org');
		if (oldCode !== newCode) {
			const stale = await post('/api/signup/verify', {
				email: 'dave@example.org',
				code: oldCode,
				device
			});
			expect(stale.status).toBe(400);
		}
		const ok = await post('/api/signup/verify', {
			email: 'dave@example.org',
			code: newCode,
			device
		});
		const grant = v.parse(SessionGrantSchema, ok.json());
		expect(grant.publicKeys).toEqual(second.body.publicKeys);
	});

	it('answers a resend for an unknown email like any other, and mails nothing', async () => {
		const res = await post('/api/signup/resend', { email: 'nobody@example.org' });
		expect(res.status).toBe(202);
		v.parse(SignupPendingResponseSchema, res.json());
		const files = await fs.readdir(path.join(relay.dataDir, 'outbox'));
		expect(files.filter((f) => f.endsWith('.eml'))).toEqual([]);
	});
});

describe('sign-up input', () => {
	const MiB = 1024 * 1024;

	it.each([
		['memory under 64 MiB', { opsLimit: 3, memLimit: 32 * MiB }],
		['fewer than 3 passes', { opsLimit: 2, memLimit: 64 * MiB }],
		['1 pass and 8 MiB', { opsLimit: 1, memLimit: 8 * MiB }]
	])('refuses weak KDF params: %s', async (_what, params) => {
		const { body } = quickSignup('weak@example.org');
		const res = await post('/api/signup', { ...body, kdf: { ...body.kdf, ...params } });
		expect(res.status).toBe(400);
		expect(res.errorCode).toBe('weak-kdf-params');
		expect(res.errorMessage).toMatch(/^kdf: .*too weak/);
	});

	it('refuses KDF params over the ceiling', async () => {
		const { body } = quickSignup('costly@example.org');
		const res = await post('/api/signup', {
			...body,
			kdf: { ...body.kdf, memLimit: 4096 * MiB }
		});
		expect(res.status).toBe(400);
		expect(res.errorCode).toBe('bad-kdf-params');
	});

	it.each([
		['an empty authKey', { authKey: '' }, 'authKey'],
		['a 31-byte authKey', { authKey: toBase64Url(new Uint8Array(31)) }, 'authKey'],
		['a missing authKey', { authKey: undefined }, 'authKey'],
		['an empty recoveryAuthKey', { recoveryAuthKey: '' }, 'recoveryAuthKey'],
		['a bad email', { email: 'not an email' }, 'email'],
		['a short boxPk', { publicKeys: { boxPk: 'AAAA', signPk: 'AAAA' } }, 'publicKeys.boxPk'],
		['a password field', { password: 'hunter2' }, 'password']
	])('refuses %s with 400 naming the field', async (_what, change, field) => {
		const { body } = quickSignup('fields@example.org');
		const res = await post('/api/signup', { ...body, ...change });
		expect(res.status).toBe(400);
		expect(res.errorCode).toBe('invalid-request');
		expect(res.errorMessage?.startsWith(`${field}:`)).toBe(true);
	});

	it('refuses a body that is not JSON', async () => {
		const res = await call(relay.port, 'POST', '/api/signup', { headers: {}, body: undefined });
		expect(res.status).toBe(400);
		expect(res.errorCode).toBe('invalid-json');
	});

	it('mailed nothing for refused sign-ups', async () => {
		const files = await fs.readdir(path.join(relay.dataDir, 'outbox'));
		expect(files.filter((f) => f.endsWith('.eml'))).toEqual([]);
	});
});
