// The signed-in account on this device: sign-up, log-in, restore after reload, log-out and the rest.

import { fromBase64Url, toBase64Url, type KdfParams as CryptoKdfParams } from '../crypto';
import type { TesseraDB, SessionRecord } from '../local/db';
import { DeviceVaultError, forgetDeviceKey, openOnDevice, sealForDevice } from '../local/vault';
import type {
	AccountInfo,
	DirectoryResponse,
	KdfParams,
	PublicKeys,
	SessionGrant,
	SessionInfo
} from '../protocol';
import { normalizeEmail } from '../protocol';
import type { AccountApi } from './api';
import { AccountError } from './errors';
import type { PasswordKdf } from './kdf';
import {
	createAccountKeys,
	ownVerificationId,
	passwordProof,
	recoveryKeyFromWords,
	recoveryProof,
	rewrapForPassword,
	unlockWithPassword,
	unlockWithRecovery,
	type AccountKeys,
	type PasswordProof
} from './keys';
import { judgePassword } from './password-strength';

/** A logged-in device: who, which session, and the unwrapped keys (memory only). */
export interface SignedIn {
	account: AccountInfo;
	sessionId: string;
	publicKeys: PublicKeys;
	kdf: KdfParams;
	keys: AccountKeys;
	token: string;
}

/** A sign-up waiting for its email code; keys stay in memory until the code is confirmed. */
export interface PendingSignUp {
	email: string;
	codeExpiresAt: string;
	recoveryWords: readonly string[];
}

export interface AccountSessionOptions {
	db: TesseraDB;
	api: AccountApi;
	/** Where Argon2id runs; the app passes the worker, tests run it in-process. */
	kdf?: PasswordKdf;
	/** Fixed Argon2id params for new passwords (tests); the app uses the defaults with fallback. */
	newPasswordParams?: CryptoKdfParams;
	/** How this device is named in the sessions list. */
	deviceName: string;
	/** Told whenever the signed-in state changes, including a session ended elsewhere. */
	onChange?: (signedIn: SignedIn | null) => void;
	/** Skips the strength check (only for tests that need a fixed weak password). */
	acceptAnyPassword?: boolean;
}

const SEALED_PURPOSE = {
	token: 'session/token',
	masterKey: 'session/masterKey',
	boxSecretKey: 'session/boxSecretKey',
	signSeed: 'session/signSeed'
} as const;

export class AccountSession {
	readonly #options: AccountSessionOptions;
	#current: SignedIn | null = null;
	#pending: (PendingSignUp & { keys: AccountKeys; proof: PasswordProof }) | null = null;

	constructor(options: AccountSessionOptions) {
		this.#options = options;
	}

	get current(): SignedIn | null {
		return this.#current;
	}

	get pendingSignUp(): PendingSignUp | null {
		if (!this.#pending) return null;
		const { email, codeExpiresAt, recoveryWords } = this.#pending;
		return { email, codeExpiresAt, recoveryWords };
	}

	/** Reopens the session saved on this device (after a reload); null when there is none. */
	async restore(): Promise<SignedIn | null> {
		const record = await this.#options.db.session.get('current');
		if (!record) return this.#set(null);
		try {
			const open = (name: keyof typeof SEALED_PURPOSE) =>
				openOnDevice(this.#options.db, record.sealed[name], SEALED_PURPOSE[name]);
			const [token, masterKey, boxSecretKey, signSeed] = await Promise.all([
				open('token'),
				open('masterKey'),
				open('boxSecretKey'),
				open('signSeed')
			]);
			const signedIn: SignedIn = {
				account: record.account,
				sessionId: record.sessionId,
				publicKeys: record.publicKeys,
				kdf: record.kdf,
				token: toBase64Url(token),
				keys: {
					masterKey,
					boxSecretKey,
					signSeed,
					boxPublicKey: fromBase64Url(record.publicKeys.boxPk),
					signPublicKey: fromBase64Url(record.publicKeys.signPk)
				}
			};
			return this.#set(signedIn);
		} catch (error) {
			// The device key is gone or the record was altered: nothing here can be trusted.
			if (!(error instanceof DeviceVaultError)) throw error;
			await this.#wipe();
			return this.#set(null);
		}
	}

	/** Refuses weak passwords with zxcvbn's reason, then makes the keys and registers them. */
	async signUp(email: string, password: string): Promise<PendingSignUp> {
		const normalized = normalizeEmail(email);
		await this.#requireStrong(password, normalized);
		const created = await createAccountKeys(password, this.#keyOptions());
		const reply = await this.#options.api.signUp({ email: normalized, ...created.signup });
		this.#pending = {
			email: normalized,
			codeExpiresAt: reply.codeExpiresAt,
			recoveryWords: created.recoveryWords,
			keys: created.keys,
			proof: created.proof
		};
		return this.pendingSignUp!;
	}

	async resendCode(): Promise<PendingSignUp> {
		const pending = this.#requirePending();
		const reply = await this.#options.api.resendCode(pending.email);
		pending.codeExpiresAt = reply.codeExpiresAt;
		return this.pendingSignUp!;
	}

	/** The 6-digit code from the email: the account becomes verified and this device logged in. */
	async confirmCode(code: string): Promise<SignedIn> {
		const pending = this.#requirePending();
		const grant = await this.#options.api.verifySignUp({
			email: pending.email,
			code: code.replace(/\s+/g, ''),
			device: { name: this.#options.deviceName }
		});
		const keys = await unlockWithPassword(grant, pending.proof.passwordWrapKey);
		this.#pending = null;
		return this.#adopt(grant, keys);
	}

	async logIn(email: string, password: string): Promise<SignedIn> {
		if (password.length === 0) throw new AccountError('empty-password', 'Enter your password.');
		const normalized = normalizeEmail(email);
		const params = await this.#options.api.loginParams(normalized);
		const proof = await passwordProof(password, params, this.#options.kdf);
		const grant = await this.#options.api.logIn({
			email: normalized,
			authKey: toBase64Url(proof.authKey),
			device: { name: this.#options.deviceName }
		});
		return this.#adopt(grant, await unlockWithPassword(grant, proof.passwordWrapKey));
	}

	/** Ends the session on the relay (when reachable), then wipes the keys from this device. */
	async logOut(): Promise<{ relayInformed: boolean }> {
		const current = this.#current;
		let relayInformed = false;
		if (current) {
			try {
				await this.#options.api.logOut(current.token);
				relayInformed = true;
			} catch (error) {
				// Offline or already ended: this device forgets its keys either way.
				if (!(error instanceof AccountError)) throw error;
			}
		}
		await this.#wipe();
		this.#set(null);
		return { relayInformed };
	}

	/** Fresh account details (plan, usage); a session ended elsewhere logs this device out. */
	async refreshAccount(): Promise<AccountInfo | null> {
		const current = this.#requireSignedIn();
		const account = await this.#whileValid(() => this.#options.api.account(current.token));
		current.account = account;
		await this.#options.db.session.update('current', { account });
		this.#set(current);
		return account;
	}

	listSessions(): Promise<SessionInfo[]> {
		const { token } = this.#requireSignedIn();
		return this.#whileValid(() => this.#options.api.sessions(token));
	}

	revokeSession(sessionId: string): Promise<void> {
		const { token } = this.#requireSignedIn();
		return this.#whileValid(() => this.#options.api.revokeSession(token, sessionId));
	}

	/** New password for the same keys; the relay ends every other session. */
	async changePassword(currentPassword: string, newPassword: string): Promise<void> {
		const current = this.#requireSignedIn();
		await this.#requireStrong(newPassword, current.account.email);
		const currentProof = await passwordProof(currentPassword, current.kdf, this.#options.kdf);
		const next = await rewrapForPassword(current.keys.masterKey, newPassword, this.#keyOptions());
		await this.#whileValid(() =>
			this.#options.api.changePassword(current.token, {
				currentAuthKey: toBase64Url(currentProof.authKey),
				kdf: next.proof.kdf,
				authKey: toBase64Url(next.proof.authKey),
				masterKeyByPassword: next.masterKeyByPassword
			})
		);
		current.kdf = next.proof.kdf;
		await this.#options.db.session.update('current', { kdf: next.proof.kdf });
	}

	/** The 24 words open the master key; a new password replaces the old, other sessions end. */
	async recover(email: string, words: string, newPassword: string): Promise<SignedIn> {
		const normalized = normalizeEmail(email);
		const recoveryKey = await recoveryKeyFromWords(words);
		await this.#requireStrong(newPassword, normalized);
		const recovery = await recoveryProof(recoveryKey);
		recoveryKey.fill(0);
		const recoveryAuthKey = toBase64Url(recovery.recoveryAuthKey);
		const reply = await this.#options.api.startRecovery({ email: normalized, recoveryAuthKey });
		const keys = await unlockWithRecovery(reply, recovery.recoveryWrapKey);
		const next = await rewrapForPassword(keys.masterKey, newPassword, this.#keyOptions());
		const grant = await this.#options.api.completeRecovery({
			email: normalized,
			recoveryAuthKey,
			kdf: next.proof.kdf,
			authKey: toBase64Url(next.proof.authKey),
			masterKeyByPassword: next.masterKeyByPassword,
			device: { name: this.#options.deviceName }
		});
		// The grant carries the newly wrapped keys: opening them proves the relay stored them right.
		return this.#adopt(grant, await unlockWithPassword(grant, next.proof.passwordWrapKey));
	}

	/** Deletes the account on the relay (the password proves it is really the user), then wipes. */
	async deleteAccount(password: string): Promise<void> {
		const current = this.#requireSignedIn();
		if (password.length === 0) throw new AccountError('empty-password', 'Enter your password.');
		const proof = await passwordProof(password, current.kdf, this.#options.kdf);
		await this.#options.api.deleteAccount(current.token, toBase64Url(proof.authKey));
		await this.#wipe();
		this.#set(null);
	}

	/** Another user's public keys from the relay's directory. */
	lookUp(email: string): Promise<DirectoryResponse> {
		const { token } = this.#requireSignedIn();
		return this.#whileValid(() => this.#options.api.lookUp(token, normalizeEmail(email)));
	}

	/** This account's Verification ID: the same on every device that holds the same keys. */
	verificationId(): Promise<string> {
		return ownVerificationId(this.#requireSignedIn().publicKeys);
	}

	async #adopt(grant: SessionGrant, keys: AccountKeys): Promise<SignedIn> {
		const signedIn: SignedIn = {
			account: grant.account,
			sessionId: grant.sessionId,
			publicKeys: grant.publicKeys,
			kdf: grant.kdf,
			token: grant.token,
			keys
		};
		await this.#save(signedIn);
		this.#set(signedIn);
		return signedIn;
	}

	async #save(signedIn: SignedIn): Promise<void> {
		const { db } = this.#options;
		// A session from before (another account on this device) must not stay readable.
		await forgetDeviceKey(db);
		const seal = (name: keyof typeof SEALED_PURPOSE, bytes: Uint8Array) =>
			sealForDevice(db, bytes, SEALED_PURPOSE[name]);
		const record: SessionRecord = {
			id: 'current',
			sessionId: signedIn.sessionId,
			account: signedIn.account,
			publicKeys: signedIn.publicKeys,
			kdf: signedIn.kdf,
			sealed: {
				token: await seal('token', fromBase64Url(signedIn.token)),
				masterKey: await seal('masterKey', signedIn.keys.masterKey),
				boxSecretKey: await seal('boxSecretKey', signedIn.keys.boxSecretKey),
				signSeed: await seal('signSeed', signedIn.keys.signSeed)
			},
			savedAt: new Date().toISOString()
		};
		await db.session.put(record);
	}

	async #wipe(): Promise<void> {
		const { db } = this.#options;
		await db.transaction('rw', db.session, db.deviceKey, async () => {
			await db.session.clear();
			await db.deviceKey.clear();
		});
		// Everything of the account this device held goes too (every other table, those added
		// later included): files waiting to upload are the user's plaintext, and the rest was
		// sealed under the device key just wiped.
		const held = db.tables.filter((table) => table !== db.session && table !== db.deviceKey);
		await db.transaction('rw', held, async () => {
			await Promise.all(held.map((table) => table.clear()));
		});
		const keys = this.#current?.keys;
		if (keys) {
			keys.masterKey.fill(0);
			keys.boxSecretKey.fill(0);
			keys.signSeed.fill(0);
		}
	}

	/** Runs an authenticated call; if the relay says the session is over, this device logs out. */
	async #whileValid<T>(call: () => Promise<T>): Promise<T> {
		try {
			return await call();
		} catch (error) {
			if (error instanceof AccountError && error.code === 'unauthenticated') {
				await this.#wipe();
				this.#set(null);
			}
			throw error;
		}
	}

	#set(signedIn: SignedIn | null): SignedIn | null {
		this.#current = signedIn;
		this.#options.onChange?.(signedIn);
		return signedIn;
	}

	#keyOptions() {
		return { kdf: this.#options.kdf, params: this.#options.newPasswordParams };
	}

	async #requireStrong(password: string, email: string): Promise<void> {
		if (password.length === 0) throw new AccountError('empty-password', 'Choose a password.');
		if (this.#options.acceptAnyPassword) return;
		const verdict = await judgePassword(password, [email]);
		if (!verdict.acceptable) {
			throw new AccountError(
				'weak-password',
				[verdict.warning, ...verdict.suggestions].filter(Boolean).join(' ')
			);
		}
	}

	#requirePending() {
		if (!this.#pending) {
			throw new AccountError('no-pending-sign-up', 'Start again: this sign-up is no longer open.');
		}
		return this.#pending;
	}

	#requireSignedIn(): SignedIn {
		if (!this.#current) throw new AccountError('not-logged-in', 'Log in first.');
		return this.#current;
	}
}
