// What the accounts routes share: the store, mail, rate limits, invites, and replies built from an account.

import { randomInt } from 'node:crypto';
import {
	DEFAULT_KDF_PARAMS,
	deriveSubkey,
	hashAuthKey,
	isKdfParamsAcceptable,
	KDF_FLOOR,
	randomKey,
	verifyAuthKeyHash
} from '../../src/lib/crypto';
import {
	ApiErrorCode,
	EMAIL_CODE_DIGITS,
	EMAIL_CODE_TTL_MS,
	fromBase64Url,
	toBase64Url,
	type AccountInfo,
	type KdfParams,
	type SessionGrant
} from '../../src/lib/protocol';
import { AccountStore, type Account } from './account-store';
import type { RelayConfig } from './config';
import type { RelayDatabase } from './db';
import { InviteService, type AcceptedInviteEvent } from './invites';
import type { Logger } from './log';
import { codeMail, createMailer, type Mailer } from './mail';
import { planOf, publicPlan } from './plans';
import { RateLimiter } from './rate-limit';

const MINUTE = 60_000;

/** The limits of docs/api.md. Failed log-ins count per account (email) and per client address. */
export const ACCOUNT_LIMITS = {
	loginFailuresPerAccount: { limit: 5, windowMs: 15 * MINUTE },
	loginFailuresPerAddress: { limit: 20, windowMs: 15 * MINUTE },
	recoveryFailuresPerAccount: { limit: 5, windowMs: 15 * MINUTE },
	signupsPerAddress: { limit: 20, windowMs: 60 * MINUTE },
	codeMailsPerEmail: { limit: 5, windowMs: 60 * MINUTE },
	directoryPerSession: { limit: 60, windowMs: MINUTE }
} as const;

/** Unverified sign-ups are forgotten after a week. */
const PENDING_SIGNUP_TTL_MS = 7 * 24 * 60 * MINUTE;

export interface AccountLimiters {
	loginFailuresPerAccount: RateLimiter;
	loginFailuresPerAddress: RateLimiter;
	recoveryFailuresPerAccount: RateLimiter;
	signupsPerAddress: RateLimiter;
	codeMailsPerEmail: RateLimiter;
	directoryPerSession: RateLimiter;
}

export type KdfProblem = { code: ApiErrorCode; message: string } | null;

/**
 * The account store, plus what follows the verification of an email on every path that verifies
 * one, in the same transaction (so a verified account never misses its invites).
 */
class VerifyingAccountStore extends AccountStore {
	constructor(
		private readonly database: RelayDatabase,
		private readonly afterVerified: (accountId: string, now: number) => void
	) {
		super(database);
	}

	override markVerified(accountId: string, now: number): void {
		this.database.transaction(() => {
			super.markVerified(accountId, now);
			this.afterVerified(accountId, now);
		})();
	}
}

export class AccountService {
	readonly store: AccountStore;
	readonly mailer: Mailer;
	readonly limits: AccountLimiters;
	/** Invites of people without an account (routes/invites.ts); accepted here at verification. */
	readonly invites: InviteService;
	private readonly inviteAcceptedListeners = new Set<(event: AcceptedInviteEvent) => void>();
	private readonly fakeParamsKey: Uint8Array;
	private decoyHash: Promise<string> | undefined;

	constructor(
		db: RelayDatabase,
		readonly config: RelayConfig,
		readonly logger: Logger,
		mailer?: Mailer
	) {
		this.store = new VerifyingAccountStore(db, (accountId, now) =>
			this.emailVerified(accountId, now)
		);
		this.mailer =
			mailer ??
			createMailer(
				{ smtpUrl: config.smtpUrl, from: config.mailFrom, dataDir: config.dataDir },
				logger
			);
		this.limits = {
			loginFailuresPerAccount: new RateLimiter(ACCOUNT_LIMITS.loginFailuresPerAccount),
			loginFailuresPerAddress: new RateLimiter(ACCOUNT_LIMITS.loginFailuresPerAddress),
			recoveryFailuresPerAccount: new RateLimiter(ACCOUNT_LIMITS.recoveryFailuresPerAccount),
			signupsPerAddress: new RateLimiter(ACCOUNT_LIMITS.signupsPerAddress),
			codeMailsPerEmail: new RateLimiter(ACCOUNT_LIMITS.codeMailsPerEmail),
			directoryPerSession: new RateLimiter(ACCOUNT_LIMITS.directoryPerSession)
		};
		this.fakeParamsKey = new Uint8Array(this.store.secret('login-params'));
		this.invites = new InviteService(db, {
			mailer: this.mailer,
			publicOrigin: config.publicOrigin,
			logger: logger.child({ component: 'invites' })
		});
	}

	/**
	 * Calls `listener` for every invite accepted from now on (inside the verifying transaction), e.g.
	 * to tell the inviter. Returns a function that stops it.
	 */
	onInviteAccepted(listener: (event: AcceptedInviteEvent) => void): () => void {
		this.inviteAcceptedListeners.add(listener);
		return () => this.inviteAcceptedListeners.delete(listener);
	}

	/** An account's email is verified: the pending invites for that email are its now. */
	private emailVerified(accountId: string, now: number): void {
		const account = this.store.findById(accountId);
		if (!account) return;
		for (const event of this.invites.acceptFor(account, now)) {
			for (const listener of this.inviteAcceptedListeners) {
				try {
					listener(event);
				} catch (error) {
					// Telling the inviter is a courtesy: it must never stop a sign-up.
					this.logger.error({ err: error, inviteId: event.inviteId }, 'an invite listener failed');
				}
			}
		}
	}

	/**
	 * Log-in params for an email without an account: a salt derived from the email under a relay
	 * secret, so the answer is the same every time and looks like a real account's.
	 */
	async fakeLoginParams(email: string): Promise<KdfParams> {
		const seed = await deriveSubkey(this.fakeParamsKey, `relay/fake-login-salt/${email}`);
		return { salt: toBase64Url(seed.subarray(0, 16)), ...DEFAULT_KDF_PARAMS };
	}

	/**
	 * Checks an authKey (or recoveryAuthKey) against a stored hash. Without an account it still
	 * runs one verification against a decoy, so the time taken does not tell who has an account.
	 */
	async verifyKey(hash: string | undefined, key: string): Promise<boolean> {
		this.decoyHash ??= hashAuthKey(randomKey());
		const decoy = await this.decoyHash;
		const ok = await verifyAuthKeyHash(hash ?? decoy, fromBase64Url(key));
		return hash !== undefined && ok;
	}

	hashKey(key: string): Promise<string> {
		return hashAuthKey(fromBase64Url(key));
	}

	/** Why the relay refuses these KDF params, or null. */
	kdfProblem(kdf: KdfParams): KdfProblem {
		if (isKdfParamsAcceptable(kdf)) return null;
		const MiB = 1024 * 1024;
		if (kdf.opsLimit < KDF_FLOOR.opsLimit || kdf.memLimit < KDF_FLOOR.memLimit) {
			return {
				code: ApiErrorCode.weakKdfParams,
				message: `kdf: the password hashing parameters are too weak (${kdf.opsLimit} passes, ${Math.floor(kdf.memLimit / MiB)} MiB); the minimum is ${KDF_FLOOR.opsLimit} passes and ${KDF_FLOOR.memLimit / MiB} MiB.`
			};
		}
		return {
			code: ApiErrorCode.badKdfParams,
			message: 'kdf: the password hashing parameters are unreasonably costly.'
		};
	}

	/** A new email code for the account, stored hashed and mailed. */
	newCode(): { code: string; expiresAt: number } {
		const code = String(randomInt(0, 10 ** EMAIL_CODE_DIGITS)).padStart(EMAIL_CODE_DIGITS, '0');
		return { code, expiresAt: Date.now() + EMAIL_CODE_TTL_MS };
	}

	async mailCode(email: string, code: string): Promise<void> {
		await this.mailer.send(
			codeMail(email, code, 'confirm your email address', EMAIL_CODE_TTL_MS / MINUTE)
		);
	}

	dropStalePending(): void {
		this.store.dropStalePending(Date.now() - PENDING_SIGNUP_TTL_MS);
	}

	accountInfo(account: Account): AccountInfo {
		return {
			id: account.id,
			email: account.email,
			plan: publicPlan(planOf(account.plan)),
			quotaBytes: account.quotaBytes,
			usageBytes: account.usageBytes,
			createdAt: new Date(account.createdAt).toISOString()
		};
	}

	/** Opens a session for the account and builds what the device needs to unwrap its keys. */
	grantSession(account: Account, deviceName: string): SessionGrant {
		const session = this.store.createSession(account.id, deviceName, Date.now());
		return {
			token: session.token,
			sessionId: session.id,
			account: this.accountInfo(account),
			publicKeys: account.publicKeys,
			wrappedKeys: account.wrappedKeys,
			kdf: account.kdf
		};
	}
}
