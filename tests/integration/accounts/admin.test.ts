// The admin CLI on a live relay's data folder: list users, change plan and quota, seen by the API.

import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import * as v from 'valibot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatSize, parseSize, runAdminCommand, UsageError } from '../../../relay/src/admin';
import { openDatabase } from '../../../relay/src/db';
import { AccountInfoSchema } from '../../../src/lib/protocol';
import { startTestRelay, type TestRelay } from '../helpers/relay';
import { call, quickSignup, signUpVerified } from './client';

const run = promisify(execFile);
const ADMIN = path.resolve('relay/src/admin.ts');

let relay: TestRelay;
let token: string;

beforeAll(async () => {
	relay = await startTestRelay({ DEFAULT_PLAN: 'free' });
	token = (await signUpVerified(relay.port, relay.dataDir, quickSignup('alice@example.org').body))
		.token;
	await call(relay.port, 'POST', '/api/signup', { body: quickSignup('pending@example.org').body });
});
afterAll(async () => {
	await relay?.stop();
});

async function admin(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
	try {
		const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', ADMIN, ...args], {
			env: { ...process.env, DATA_DIR: relay.dataDir }
		});
		return { code: 0, stdout, stderr };
	} catch (error) {
		const failed = error as { code: number; stdout: string; stderr: string };
		return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
	}
}

async function accountInfo() {
	const res = await call(relay.port, 'GET', '/api/account', { token });
	return v.parse(AccountInfoSchema, res.json());
}

describe('admin CLI', () => {
	it('lists users with plan, quota, usage, creation date and verification; exits 2 on mistakes', async () => {
		// Spawning costs seconds (tsx), so two commands run side by side.
		const [users, unknownPlan] = await Promise.all([
			admin('users'),
			admin('set-plan', 'alice@example.org', 'gold')
		]);
		expect(users.code).toBe(0);
		const lines = users.stdout.trim().split('\n');
		expect(lines[0]).toMatch(/^email\s+plan\s+quota\s+usage\s+created\s+verified$/);
		const today = new Date().toISOString().slice(0, 10);
		expect(lines).toContainEqual(
			expect.stringMatching(
				new RegExp(`^alice@example\\.org\\s+free\\s+10 GiB\\s+0 B\\s+${today}\\s+yes$`)
			)
		);
		expect(lines).toContainEqual(expect.stringMatching(/^pending@example\.org\s+free .*\sno$/));
		expect(unknownPlan.code).toBe(2);
		expect(unknownPlan.stderr).toMatch(/Unknown plan "gold". Plans: free, paid, self-hosted/);
		expect((await accountInfo()).plan).toEqual({ id: 'free', name: 'Free', sharing: false });
	});

	it('moves an account to another plan, with that plan’s quota', async () => {
		const { code, stdout } = await admin('set-plan', 'Alice@Example.org', 'paid');
		expect(code).toBe(0);
		expect(stdout).toBe('alice@example.org: plan paid, quota 1 TiB\n');
		const info = await accountInfo();
		expect(info.plan).toEqual({ id: 'paid', name: 'Paid', sharing: true });
		expect(info.quotaBytes).toBe(1024 ** 4);
	});
});

describe('admin commands (in process, on the live database)', () => {
	function command(...args: string[]): string {
		const db = openDatabase(relay.dataDir);
		try {
			return runAdminCommand(db, args);
		} finally {
			db.close();
		}
	}

	it('sets a quota in bytes, with units, or unlimited', async () => {
		expect(command('set-quota', 'alice@example.org', '1.5TB')).toBe(
			'alice@example.org: quota 1.5 TiB\n'
		);
		expect((await accountInfo()).quotaBytes).toBe(1.5 * 1024 ** 4);
		expect(command('set-quota', 'alice@example.org', 'unlimited')).toBe(
			'alice@example.org: quota unlimited\n'
		);
		expect((await accountInfo()).quotaBytes).toBeNull();
	});

	it.each([
		[['set-quota', 'nobody@example.org', '10GB'], /No account has the email/],
		[['set-quota', 'alice@example.org', 'lots'], /not a size/],
		[['set-plan', 'alice@example.org'], /Usage: npm run admin -- set-plan <email> <plan>/],
		[['launch'], /Unknown command "launch"/]
	])('explains %j', (args, message) => {
		expect(() => command(...args)).toThrow(UsageError);
		expect(() => command(...args)).toThrow(message);
	});

	it('prints help', () => {
		expect(command('help')).toMatch(/set-quota <email> <size>/);
	});
});

describe('sizes', () => {
	it.each([
		['1000', 1000],
		['500MB', 500 * 1024 ** 2],
		['10GB', 10 * 1024 ** 3],
		['10 GiB', 10 * 1024 ** 3],
		['1.5TB', 1.5 * 1024 ** 4],
		['unlimited', null]
	])('%s', (text, bytes) => {
		expect(parseSize(text)).toBe(bytes);
		expect(parseSize(formatSize(bytes))).toBe(bytes);
	});
});
