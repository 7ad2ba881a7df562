// Account keys on the device: sign-up material, log-in unwrap, recovery and password re-wraps.

import { describe, expect, it } from 'vitest';
import {
	fromBase64Url,
	KDF_FLOOR,
	toBase64Url,
	unwrapKey,
	WeakKdfParamsError
} from '../../../src/lib/crypto';
import {
	AccountError,
	createAccountKeys,
	ownVerificationId,
	passwordProof,
	recoveryKeyFromWords,
	recoveryProof,
	rewrapForPassword,
	unlockWithPassword,
	unlockWithRecovery,
	type AccountKeys,
	type NewAccount
} from '../../../src/lib/account';
import { SignupRequestSchema, type SessionGrant } from '../../../src/lib/protocol';
import * as v from 'valibot';

// The floor keeps these tests fast; the app uses 128 MiB.
const fast = { params: KDF_FLOOR };
const password = 'violet anchor mosaic 71';

function same(a: Uint8Array, b: Uint8Array): boolean {
	return Buffer.compare(a, b) === 0;
}

function sameKeys(a: AccountKeys, b: AccountKeys): void {
	expect(same(a.masterKey, b.masterKey)).toBe(true);
	expect(same(a.boxSecretKey, b.boxSecretKey)).toBe(true);
	expect(same(a.boxPublicKey, b.boxPublicKey)).toBe(true);
	expect(same(a.signSeed, b.signSeed)).toBe(true);
	expect(same(a.signPublicKey, b.signPublicKey)).toBe(true);
}

/** What the relay would hand back at log-in for this sign-up: stored fields, echoed. */
function grantFor(created: NewAccount): SessionGrant {
	return {
		token: toBase64Url(new Uint8Array(32).fill(7)),
		sessionId: 'S'.repeat(22),
		account: {
			id: 'A'.repeat(22),
			email: 'ada@example.com',
			plan: { id: 'self-hosted', name: 'Self-hosted', sharing: true },
			quotaBytes: null,
			usageBytes: 0,
			createdAt: new Date().toISOString()
		},
		publicKeys: created.signup.publicKeys,
		wrappedKeys: created.signup.wrappedKeys,
		kdf: created.signup.kdf
	};
}

const created = createAccountKeys(password, fast);

describe('account keys', () => {
	it('makes a sign-up body the relay accepts, with no raw secret in it', async () => {
		const account = await created;
		const body = v.parse(SignupRequestSchema, { email: 'ada@example.com', ...account.signup });
		expect(body.kdf).toMatchObject({ opsLimit: KDF_FLOOR.opsLimit, memLimit: KDF_FLOOR.memLimit });
		expect(account.recoveryWords).toHaveLength(24);
		const wire = JSON.stringify(body);
		for (const secret of [
			account.keys.masterKey,
			account.keys.boxSecretKey,
			account.keys.signSeed,
			account.proof.passwordWrapKey
		]) {
			expect(wire).not.toContain(toBase64Url(secret));
		}
		expect(wire).not.toContain(password);
	});

	it('opens the same keys at log-in from the password and the relay’s grant', async () => {
		const account = await created;
		const grant = grantFor(account);
		const proof = await passwordProof(password, grant.kdf);
		expect(toBase64Url(proof.authKey)).toBe(account.signup.authKey);
		sameKeys(await unlockWithPassword(grant, proof.passwordWrapKey), account.keys);
	});

	it('a wrong password proves nothing and opens nothing', async () => {
		const account = await created;
		const grant = grantFor(account);
		const wrong = await passwordProof('violet anchor mosaic 72', grant.kdf);
		expect(toBase64Url(wrong.authKey)).not.toBe(account.signup.authKey);
		await expect(unlockWithPassword(grant, wrong.passwordWrapKey)).rejects.toMatchObject({
			code: 'decrypt_failed'
		});
	});

	it('the recovery words re-open the master key and identity', async () => {
		const account = await created;
		const recovery = await recoveryProof(
			await recoveryKeyFromWords(account.recoveryWords.join(' '))
		);
		expect(toBase64Url(recovery.recoveryAuthKey)).toBe(account.signup.recoveryAuthKey);
		const keys = await unlockWithRecovery(
			{
				masterKeyByRecovery: account.signup.masterKeyByRecovery,
				wrappedKeys: account.signup.wrappedKeys,
				publicKeys: account.signup.publicKeys
			},
			recovery.recoveryWrapKey
		);
		sameKeys(keys, account.keys);
	});

	it('names a mistyped recovery word', async () => {
		const error: unknown = await recoveryKeyFromWords('abandon '.repeat(22) + 'abandonn art').then(
			() => null,
			(thrown: unknown) => thrown
		);
		expect(error).toBeInstanceOf(AccountError);
		expect((error as AccountError).code).toBe('wrong-recovery-words');
		expect((error as AccountError).message).toMatch(/abandonn|23/);
	});

	it('a new password re-wraps the same master key; the old password no longer opens it', async () => {
		const account = await created;
		const next = await rewrapForPassword(account.keys.masterKey, 'quiet harbour lantern 9', fast);
		const newProof = await passwordProof('quiet harbour lantern 9', next.proof.kdf);
		const opened = await unwrapKey(
			fromBase64Url(next.masterKeyByPassword),
			newProof.passwordWrapKey
		);
		expect(same(opened, account.keys.masterKey)).toBe(true);
		expect(next.proof.kdf.salt).not.toBe(account.signup.kdf.salt);

		const oldProof = await passwordProof(password, next.proof.kdf);
		await expect(
			unwrapKey(fromBase64Url(next.masterKeyByPassword), oldProof.passwordWrapKey)
		).rejects.toMatchObject({ code: 'decrypt_failed' });
	});

	it('refuses keys that do not match the public keys the relay names', async () => {
		const account = await created;
		const other = await createAccountKeys(password, fast);
		const grant = { ...grantFor(account), publicKeys: other.signup.publicKeys };
		const proof = await passwordProof(password, grant.kdf);
		await expect(unlockWithPassword(grant, proof.passwordWrapKey)).rejects.toMatchObject({
			code: 'keys-do-not-match'
		});
	});

	it('refuses to derive with params a hostile relay weakened', async () => {
		const account = await created;
		await expect(
			passwordProof(password, { ...account.signup.kdf, memLimit: 8 << 20 })
		).rejects.toBeInstanceOf(WeakKdfParamsError);
	});

	it('gives the same Verification ID wherever the keys are opened', async () => {
		const account = await created;
		const id = await ownVerificationId(account.signup.publicKeys);
		expect(id).toMatch(/^\d{5}( \d{5}){11}$/);
		expect(await ownVerificationId(grantFor(account).publicKeys)).toBe(id);
	});
});
