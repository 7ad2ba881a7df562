// The account's keys on the device: made at sign-up, unwrapped at log-in, re-wrapped for a new password.

import {
	boxKeyPairFromSeed,
	deriveAuthKey,
	derivePasswordWrapKey,
	deriveSubkey,
	fromBase64Url,
	getSodium,
	KDF_SALT_BYTES,
	randomBytes,
	randomKey,
	RecoveryWordsError,
	signKeyPairFromSeed,
	toBase64Url,
	unwrapKey,
	verificationId,
	wrapKey,
	type KdfParams as CryptoKdfParams
} from '../crypto';
import type { KdfParams, PublicKeys, SignupRequest, WrappedKeys } from '../protocol';
import { AccountError } from './errors';
import { runPasswordKdf, type PasswordKdf } from './kdf';

/** The unwrapped keys a logged-in device holds in memory. */
export interface AccountKeys {
	masterKey: Uint8Array;
	boxPublicKey: Uint8Array;
	boxSecretKey: Uint8Array;
	signPublicKey: Uint8Array;
	/** The 32-byte Ed25519 seed; the 64-byte signing key is rebuilt from it when needed. */
	signSeed: Uint8Array;
}

/** What proves the password to the relay and opens the master key. */
export interface PasswordProof {
	kdf: KdfParams;
	authKey: Uint8Array;
	passwordWrapKey: Uint8Array;
	/** Argon2id time in ms, for the record. */
	kdfMs: number;
}

export interface KeyOptions {
	/** Where Argon2id runs (a worker in the app). Defaults to in-process. */
	kdf?: PasswordKdf;
	/** Fixed Argon2id params instead of the defaults with fallback (tests use KDF_FLOOR). */
	params?: CryptoKdfParams;
}

export interface NewAccount {
	keys: AccountKeys;
	/** The 24 words, shown once; they are the only way back in without the password. */
	recoveryWords: string[];
	/** The body of POST /api/signup without the email. */
	signup: Omit<SignupRequest, 'email'>;
	proof: PasswordProof;
}

/** Argon2id of a new password with a fresh salt, then the auth and wrap subkeys. */
export async function newPasswordProof(
	password: string,
	options: KeyOptions = {}
): Promise<PasswordProof> {
	const salt = randomBytes(KDF_SALT_BYTES);
	const kdf = options.kdf ?? runPasswordKdf;
	const result = await kdf({ password, salt, params: options.params ?? 'new' });
	return proofFromKek(
		result.key,
		{
			salt: toBase64Url(salt),
			opsLimit: result.params.opsLimit,
			memLimit: result.params.memLimit
		},
		result.ms
	);
}

/**
 * Argon2id of a password with the account's params as the relay gave them. src/lib/crypto refuses
 * params under the floor or over the ceiling, so a hostile relay cannot weaken or exhaust us.
 */
export async function passwordProof(
	password: string,
	params: KdfParams,
	kdf: PasswordKdf = runPasswordKdf
): Promise<PasswordProof> {
	const result = await kdf({
		password,
		salt: fromBase64Url(params.salt),
		params: { opsLimit: params.opsLimit, memLimit: params.memLimit }
	});
	return proofFromKek(result.key, params, result.ms);
}

async function proofFromKek(
	kek: Uint8Array,
	kdf: KdfParams,
	kdfMs: number
): Promise<PasswordProof> {
	const proof = {
		kdf,
		authKey: await deriveAuthKey(kek),
		passwordWrapKey: await derivePasswordWrapKey(kek),
		kdfMs
	};
	kek.fill(0);
	return proof;
}

/** The recovery key's two subkeys: one proves it to the relay, the other wraps the master key. */
export interface RecoveryProof {
	recoveryAuthKey: Uint8Array;
	recoveryWrapKey: Uint8Array;
}

export async function recoveryProof(recoveryKey: Uint8Array): Promise<RecoveryProof> {
	return {
		recoveryAuthKey: await deriveSubkey(recoveryKey, 'recovery/auth'),
		recoveryWrapKey: await deriveSubkey(recoveryKey, 'recovery/wrap')
	};
}

/**
 * The BIP39 word list and its hashing, loaded when sign-up or recovery first needs them: a
 * signed-in device never does, so they stay out of the app's first download.
 */
const recoveryWords = () => import('../crypto/recovery');

/** The recovery key from the 24 words, with a message that says which word is wrong. */
export async function recoveryKeyFromWords(words: string): Promise<Uint8Array> {
	const { wordsToRecoveryKey } = await recoveryWords();
	try {
		return wordsToRecoveryKey(words);
	} catch (cause) {
		if (cause instanceof RecoveryWordsError) {
			throw new AccountError('wrong-recovery-words', cause.message, { cause });
		}
		throw cause;
	}
}

/** Everything sign-up needs: the password stretched, fresh keys, the recovery words, all wrapped. */
export async function createAccountKeys(
	password: string,
	options: KeyOptions = {}
): Promise<NewAccount> {
	const proof = await newPasswordProof(password, options);
	const masterKey = randomKey();
	const recoveryKey = randomKey();
	const recovery = await recoveryProof(recoveryKey);
	const box = await boxKeyPairFromSeed(randomKey());
	const signSeed = randomKey();
	const sign = await signKeyPairFromSeed(signSeed);
	const keys: AccountKeys = {
		masterKey,
		boxPublicKey: box.publicKey,
		boxSecretKey: box.privateKey,
		signPublicKey: sign.publicKey,
		signSeed
	};
	const signup: Omit<SignupRequest, 'email'> = {
		kdf: proof.kdf,
		authKey: toBase64Url(proof.authKey),
		recoveryAuthKey: toBase64Url(recovery.recoveryAuthKey),
		wrappedKeys: await wrapAccountKeys(keys, proof.passwordWrapKey),
		masterKeyByRecovery: toBase64Url(await wrapKey(masterKey, recovery.recoveryWrapKey)),
		publicKeys: publicKeysOf(keys)
	};
	const { recoveryKeyToWords } = await recoveryWords();
	const words = recoveryKeyToWords(recoveryKey);
	recoveryKey.fill(0);
	return { keys, recoveryWords: words, signup, proof };
}

export function publicKeysOf(keys: AccountKeys): PublicKeys {
	return { boxPk: toBase64Url(keys.boxPublicKey), signPk: toBase64Url(keys.signPublicKey) };
}

async function wrapAccountKeys(
	keys: AccountKeys,
	passwordWrapKey: Uint8Array
): Promise<WrappedKeys> {
	return {
		masterKeyByPassword: toBase64Url(await wrapKey(keys.masterKey, passwordWrapKey)),
		boxSecretKey: toBase64Url(await wrapKey(keys.boxSecretKey, keys.masterKey)),
		signSeed: toBase64Url(await wrapKey(keys.signSeed, keys.masterKey))
	};
}

/**
 * Opens the identity keys under an already unwrapped master key, and checks they belong to the
 * public keys the relay named: a relay that swapped in someone else's public keys is caught here.
 */
export async function openIdentity(
	masterKey: Uint8Array,
	wrapped: Pick<WrappedKeys, 'boxSecretKey' | 'signSeed'>,
	publicKeys: PublicKeys
): Promise<AccountKeys> {
	const boxSecretKey = await unwrapKey(fromBase64Url(wrapped.boxSecretKey), masterKey);
	const signSeed = await unwrapKey(fromBase64Url(wrapped.signSeed), masterKey);
	const sodium = await getSodium();
	const boxPublicKey = sodium.crypto_scalarmult_base(boxSecretKey);
	const signPublicKey = (await signKeyPairFromSeed(signSeed)).publicKey;
	if (
		toBase64Url(boxPublicKey) !== publicKeys.boxPk ||
		toBase64Url(signPublicKey) !== publicKeys.signPk
	) {
		throw new AccountError(
			'keys-do-not-match',
			"This account's keys do not match its public keys. Tessera will not use them."
		);
	}
	return { masterKey, boxPublicKey, boxSecretKey, signPublicKey, signSeed };
}

/** The keys of a SessionGrant (or any reply with wrapped keys), opened with the password. */
export async function unlockWithPassword(
	grant: { wrappedKeys: WrappedKeys; publicKeys: PublicKeys },
	passwordWrapKey: Uint8Array
): Promise<AccountKeys> {
	const masterKey = await unwrapKey(
		fromBase64Url(grant.wrappedKeys.masterKeyByPassword),
		passwordWrapKey
	);
	return openIdentity(masterKey, grant.wrappedKeys, grant.publicKeys);
}

/** The keys opened with the recovery words instead of the password. */
export async function unlockWithRecovery(
	reply: { masterKeyByRecovery: string; wrappedKeys: WrappedKeys; publicKeys: PublicKeys },
	recoveryWrapKey: Uint8Array
): Promise<AccountKeys> {
	const masterKey = await unwrapKey(fromBase64Url(reply.masterKeyByRecovery), recoveryWrapKey);
	return openIdentity(masterKey, reply.wrappedKeys, reply.publicKeys);
}

/** A new password for the same master key: new salt, new authKey, the master key re-wrapped. */
export async function rewrapForPassword(
	masterKey: Uint8Array,
	newPassword: string,
	options: KeyOptions = {}
): Promise<{ proof: PasswordProof; masterKeyByPassword: string }> {
	const proof = await newPasswordProof(newPassword, options);
	const masterKeyByPassword = toBase64Url(await wrapKey(masterKey, proof.passwordWrapKey));
	return { proof, masterKeyByPassword };
}

/** The Verification ID of these keys, as 12 groups of 5 digits. */
export function ownVerificationId(publicKeys: PublicKeys): Promise<string> {
	return verificationId(fromBase64Url(publicKeys.signPk), fromBase64Url(publicKeys.boxPk));
}
