// Spec of the accounts API bodies: what a sign-up, log-in or reply must look like to be accepted.

import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import {
	AccountInfoSchema,
	ApiErrorCode,
	ApiErrorSchema,
	ChangePasswordRequestSchema,
	describeIssues,
	DeviceSchema,
	EmailSchema,
	LoginRequestSchema,
	normalizeEmail,
	SessionGrantSchema,
	SignupRequestSchema,
	SignupVerifyRequestSchema
} from '../../../src/lib/protocol';
import { b64 } from './fixtures';

const kdf = { salt: b64(16, 3), opsLimit: 3, memLimit: 64 * 1024 * 1024 };
const wrappedKeys = {
	masterKeyByPassword: b64(74, 1),
	boxSecretKey: b64(74, 2),
	signSeed: b64(74, 3)
};
const publicKeys = { boxPk: b64(32, 4), signPk: b64(32, 5) };
const signup = {
	email: '  Alice@Example.COM ',
	kdf,
	authKey: b64(32, 6),
	recoveryAuthKey: b64(32, 7),
	wrappedKeys,
	masterKeyByRecovery: b64(74, 8),
	publicKeys
};

function problem(schema: v.GenericSchema, input: unknown): string {
	const result = v.safeParse(schema, input);
	if (result.success) throw new Error('expected the input to be refused');
	return describeIssues(result.issues);
}

describe('emails', () => {
	it('normalises case and surrounding spaces so one address has one spelling', () => {
		expect(normalizeEmail('  Bob@Example.Org\n')).toBe('bob@example.org');
		expect(v.parse(EmailSchema, ' CAROL@host ')).toBe('carol@host');
	});

	it.each([
		['no @', 'alice.example.com'],
		['two @', 'a@b@example.com'],
		['a space inside', 'al ice@example.com'],
		['an empty local part', '@example.com'],
		['an empty domain', 'alice@'],
		['a domain starting with a dot', 'alice@.example.com'],
		['an empty string', '   '],
		['255 characters', `${'a'.repeat(64)}@${'b'.repeat(186)}.com`]
	])('refuses %s', (_what, email) => {
		expect(v.safeParse(EmailSchema, email).success).toBe(false);
	});

	it('accepts 254 characters', () => {
		const email = `${'a'.repeat(64)}@${'b'.repeat(185)}.com`;
		expect(email.length).toBe(254);
		expect(v.parse(EmailSchema, email)).toBe(email);
	});
});

describe('sign-up request', () => {
	it('accepts a well-formed sign-up and normalises the email', () => {
		expect(v.parse(SignupRequestSchema, signup).email).toBe('alice@example.com');
	});

	it.each([
		['an empty authKey', { ...signup, authKey: '' }, 'authKey'],
		['a 16-byte authKey', { ...signup, authKey: b64(16) }, 'authKey'],
		['a missing recoveryAuthKey', { ...signup, recoveryAuthKey: undefined }, 'recoveryAuthKey'],
		['a short salt', { ...signup, kdf: { ...kdf, salt: b64(8) } }, 'kdf.salt'],
		['fractional opsLimit', { ...signup, kdf: { ...kdf, opsLimit: 2.5 } }, 'kdf.opsLimit'],
		['a 31-byte boxPk', { ...signup, publicKeys: { ...publicKeys, boxPk: b64(31) } }, 'boxPk'],
		[
			'a truncated wrapped key',
			{ ...signup, wrappedKeys: { ...wrappedKeys, signSeed: b64(40) } },
			'wrappedKeys.signSeed'
		],
		['padded base64', { ...signup, authKey: `${b64(32)}=` }, 'authKey'],
		['an unknown field', { ...signup, password: 'hunter2' }, 'password']
	])('refuses %s and names the field', (_what, body, field) => {
		expect(problem(SignupRequestSchema, body)).toContain(field);
	});
});

describe('log-in and verify requests', () => {
	const device = { name: 'Chrome on Linux' };

	it('accepts a log-in', () => {
		expect(v.parse(LoginRequestSchema, { email: 'a@b.c', authKey: b64(32), device })).toEqual({
			email: 'a@b.c',
			authKey: b64(32),
			device
		});
	});

	it('trims the code and insists on 6 digits', () => {
		const ok = v.parse(SignupVerifyRequestSchema, { email: 'a@b.c', code: ' 012345 ', device });
		expect(ok.code).toBe('012345');
		for (const code of ['12345', '1234567', '12345a', ''])
			expect(problem(SignupVerifyRequestSchema, { email: 'a@b.c', code, device })).toContain(
				'code'
			);
	});

	it('refuses empty and overlong device names', () => {
		expect(v.safeParse(DeviceSchema, { name: '  ' }).success).toBe(false);
		expect(v.safeParse(DeviceSchema, { name: 'x'.repeat(81) }).success).toBe(false);
		expect(v.parse(DeviceSchema, { name: 'x'.repeat(80) }).name).toHaveLength(80);
	});

	it('password change needs the current authKey', () => {
		const body = { kdf, authKey: b64(32), masterKeyByPassword: b64(74) };
		expect(problem(ChangePasswordRequestSchema, body)).toContain('currentAuthKey');
	});
});

describe('replies', () => {
	const account = {
		id: b64(16, 9),
		email: 'alice@example.com',
		plan: { id: 'self-hosted', name: 'Self-hosted', sharing: true },
		quotaBytes: null,
		usageBytes: 0,
		createdAt: new Date(0).toISOString()
	};

	it('accepts a session grant, with unlimited quota as null', () => {
		const grant = {
			token: b64(32, 1),
			sessionId: b64(16, 2),
			account,
			publicKeys,
			wrappedKeys,
			kdf
		};
		expect(v.parse(SessionGrantSchema, grant)).toEqual(grant);
	});

	it('tolerates fields a newer relay adds', () => {
		expect(v.safeParse(AccountInfoSchema, { ...account, avatar: 'x' }).success).toBe(true);
	});

	it('refuses a negative usage', () => {
		expect(problem(AccountInfoSchema, { ...account, usageBytes: -1 })).toContain('usageBytes');
	});

	it('carries retryAfterS in a 429 error body', () => {
		const body = {
			error: { code: ApiErrorCode.tooManyAttempts, message: 'Wait.', retryAfterS: 60 }
		};
		expect(v.parse(ApiErrorSchema, body)).toEqual(body);
	});
});
