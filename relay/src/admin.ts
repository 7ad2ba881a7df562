// Admin command line: `npm run admin -- users | set-plan <email> <plan> | set-quota <email> <size>`.

import { pathToFileURL } from 'node:url';
import { normalizeEmail } from '../../src/lib/protocol';
import { AccountStore, type Account } from './account-store';
import { ConfigError, loadConfig } from './config';
import { DATABASE_FILE, openDatabase, type RelayDatabase } from './db';
import { isPlanId, PLAN_IDS, PLANS, planOf } from './plans';

/** A mistake on the command line: printed as is, exit code 2 (1 for other failures). */
export class UsageError extends Error {
	readonly code = 'usage';
}

const HELP = `Tessera relay administration. Works on DATA_DIR's database, relay running or not.

Usage: npm run admin -- <command>

  users                           list accounts: email, plan, quota, usage, created, verified
  set-plan <email> <plan>         move an account to a plan (${PLAN_IDS.join(', ')});
                                  its quota becomes the plan's
  set-quota <email> <size>        set an account's storage quota: bytes, or 500MB, 10GB, 1.5TB
                                  (units are binary: 1 GB = 1024^3 bytes), or unlimited
  help                            this text

Environment: DATA_DIR (default ./data).
`;

const UNITS: Record<string, number> = {
	'': 1,
	b: 1,
	kb: 1024,
	kib: 1024,
	mb: 1024 ** 2,
	mib: 1024 ** 2,
	gb: 1024 ** 3,
	gib: 1024 ** 3,
	tb: 1024 ** 4,
	tib: 1024 ** 4
};

/** "10GB" -> 10737418240; "unlimited" -> null. */
export function parseSize(text: string): number | null {
	const trimmed = text.trim().toLowerCase();
	if (trimmed === 'unlimited') return null;
	const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/.exec(trimmed);
	const unit = match ? UNITS[match[2] ?? ''] : undefined;
	if (!match || unit === undefined) {
		throw new UsageError(
			`"${text}" is not a size: use bytes (1000000), a size such as 500MB, 10GB or 1.5TB, or unlimited.`
		);
	}
	const bytes = Math.round(Number(match[1]) * unit);
	if (!Number.isSafeInteger(bytes)) throw new UsageError(`"${text}" is too large.`);
	return bytes;
}

/** 10737418240 -> "10 GiB"; null -> "unlimited". */
export function formatSize(bytes: number | null): string {
	if (bytes === null) return 'unlimited';
	const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
	let value = bytes;
	let i = 0;
	while (value >= 1024 && i < units.length - 1) {
		value /= 1024;
		i++;
	}
	const rounded = Number.isInteger(value) ? String(value) : value.toFixed(2).replace(/\.?0+$/, '');
	return `${rounded} ${units[i]}`;
}

/** Runs one command and returns what to print; throws UsageError for mistakes. */
export function runAdminCommand(db: RelayDatabase, args: readonly string[]): string {
	const store = new AccountStore(db);
	const [command, ...rest] = args;
	switch (command) {
		case 'users':
			expectArgs(rest, 0, 'users');
			return usersTable(store.listAccounts());
		case 'set-plan': {
			const [email, planId] = expectTwo(rest, 'set-plan <email> <plan>');
			if (!isPlanId(planId)) {
				throw new UsageError(`Unknown plan "${planId}". Plans: ${PLAN_IDS.join(', ')}.`);
			}
			const account = findAccount(store, email);
			const plan = PLANS[planId];
			store.setPlan(account.id, plan.id, plan.quotaBytes);
			return `${account.email}: plan ${plan.id}, quota ${formatSize(plan.quotaBytes)}\n`;
		}
		case 'set-quota': {
			const [email, size] = expectTwo(rest, 'set-quota <email> <size>');
			const quota = parseSize(size);
			const account = findAccount(store, email);
			store.setQuota(account.id, quota);
			return `${account.email}: quota ${formatSize(quota)}\n`;
		}
		case undefined:
		case 'help':
		case '--help':
		case '-h':
			return HELP;
		default:
			throw new UsageError(`Unknown command "${command}".\n\n${HELP}`);
	}
}

function expectArgs(args: readonly string[], count: number, usage: string): string[] {
	if (args.length !== count) throw new UsageError(`Usage: npm run admin -- ${usage}`);
	return [...args];
}

function expectTwo(args: readonly string[], usage: string): [string, string] {
	const [first, second] = expectArgs(args, 2, usage);
	return [first ?? '', second ?? ''];
}

function findAccount(store: AccountStore, email: string | undefined): Account {
	const account = store.findByEmail(normalizeEmail(email ?? ''));
	if (!account) throw new UsageError(`No account has the email "${email}".`);
	return account;
}

function usersTable(accounts: readonly Account[]): string {
	if (accounts.length === 0) return 'No accounts yet.\n';
	const rows = [
		['email', 'plan', 'quota', 'usage', 'created', 'verified'],
		...accounts.map((a) => [
			a.email,
			planOf(a.plan).id,
			formatSize(a.quotaBytes),
			formatSize(a.usageBytes),
			new Date(a.createdAt).toISOString().slice(0, 10),
			a.verifiedAt === null ? 'no' : 'yes'
		])
	];
	const widths = rows[0]!.map((_, col) => Math.max(...rows.map((row) => row[col]!.length)));
	return (
		rows
			.map((row) =>
				row
					.map((cell, col) => cell.padEnd(widths[col]!))
					.join('  ')
					.trimEnd()
			)
			.join('\n') + '\n'
	);
}

function main(): void {
	let db: RelayDatabase | undefined;
	try {
		const config = loadConfig(process.env);
		const args = process.argv.slice(2);
		if (args.length === 0 || ['help', '--help', '-h'].includes(args[0]!)) {
			process.stdout.write(HELP);
			return;
		}
		db = openDatabase(config.dataDir);
		process.stdout.write(runAdminCommand(db, args));
	} catch (error) {
		const usage = error instanceof UsageError || error instanceof ConfigError;
		const message = error instanceof Error ? error.message : String(error);
		process.stderr.write(`tessera admin: ${message}\n`);
		if (!usage) process.stderr.write(`(database: DATA_DIR/${DATABASE_FILE})\n`);
		process.exitCode = usage ? 2 : 1;
	} finally {
		db?.close();
	}
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
