// A Node stand-in for the app: real keys from src/lib/crypto, JSON calls, and codes read from the outbox.

import fs from 'node:fs/promises';
import path from 'node:path';
import * as v from 'valibot';
import {
	deriveAuthKey,
	derivePasswordKey,
	derivePasswordWrapKey,
	deriveSubkey,
	generateBoxKeyPair,
	generateSignKeyPair,
	KDF_FLOOR,
	randomBytes,
	randomKey,
	signSeedOf,
	wrapKey
} from '../../../src/lib/crypto';
import {
	ApiErrorSchema,
	SessionGrantSchema,
	toBase64Url,
	type KdfParams,
	type SessionGrant,
	type SignupRequest
} from '../../../src/lib/protocol';
import { rawRequest, type RawResponse } from '../helpers/http';

export interface Reply extends RawResponse {
	/** error.code of a JSON error body, or undefined. */
	errorCode: string | undefined;
	errorMessage: string | undefined;
}

export async function call(
	port: number,
	method: string,
	apiPath: string,
	options: { body?: unknown; token?: string; headers?: Record<string, string> } = {}
): Promise<Reply> {
	const headers: Record<string, string> = { ...options.headers };
	if (options.body !== undefined) headers['Content-Type'] = 'application/json';
	if (options.token) headers.Authorization = `Bearer ${options.token}`;
	const res = await rawRequest(port, apiPath, {
		method,
		headers,
		...(options.body === undefined ? {} : { body: JSON.stringify(options.body) })
	});
	let errorCode: string | undefined;
	let errorMessage: string | undefined;
	if (res.status >= 400 && res.text) {
		const error = v.parse(ApiErrorSchema, res.json()).error;
		errorCode = error.code;
		errorMessage = error.message;
	}
	return { ...res, errorCode, errorMessage };
}

/** Everything a device makes at sign-up, secrets included, so tests can look for them. */
export interface AccountSecrets {
	email: string;
	password: string;
	kek: Uint8Array;
	authKey: Uint8Array;
	masterKey: Uint8Array;
	recoveryKey: Uint8Array;
	recoveryAuthKey: Uint8Array;
	boxSecretKey: Uint8Array;
	signSecretKey: Uint8Array;
	signSeed: Uint8Array;
	signup: SignupRequest;
}

/** The floor params keep the suite fast (~150 ms per derivation) and are what the relay accepts. */
export function floorKdf(): KdfParams {
	return { salt: toBase64Url(randomBytes(16)), ...KDF_FLOOR };
}

export async function passwordKeys(password: string, kdf: KdfParams) {
	const kek = await derivePasswordKey(password, randomBytesFrom(kdf.salt), kdf);
	return {
		kek,
		authKey: await deriveAuthKey(kek),
		wrapKey: await derivePasswordWrapKey(kek)
	};
}

function randomBytesFrom(b64: string): Uint8Array {
	return new Uint8Array(Buffer.from(b64, 'base64url'));
}

/** A real account as the app would make it: Argon2id, master key, identity keys, recovery key. */
export async function makeAccount(email: string, password: string): Promise<AccountSecrets> {
	const kdf = floorKdf();
	const { kek, authKey, wrapKey: passwordWrapKey } = await passwordKeys(password, kdf);
	const masterKey = randomKey();
	const recoveryKey = randomKey();
	const recoveryAuthKey = await deriveSubkey(recoveryKey, 'recovery/auth');
	const recoveryWrapKey = await deriveSubkey(recoveryKey, 'recovery/wrap');
	const box = await generateBoxKeyPair();
	const sign = await generateSignKeyPair();
	const signSeed = signSeedOf(sign.privateKey);
	const signup: SignupRequest = {
		email,
		kdf,
		authKey: toBase64Url(authKey),
		recoveryAuthKey: toBase64Url(recoveryAuthKey),
		wrappedKeys: {
			masterKeyByPassword: toBase64Url(await wrapKey(masterKey, passwordWrapKey)),
			boxSecretKey: toBase64Url(await wrapKey(box.privateKey, masterKey)),
			signSeed: toBase64Url(await wrapKey(signSeed, masterKey))
		},
		masterKeyByRecovery: toBase64Url(await wrapKey(masterKey, recoveryWrapKey)),
		publicKeys: { boxPk: toBase64Url(box.publicKey), signPk: toBase64Url(sign.publicKey) }
	};
	return {
		email,
		password,
		kek,
		authKey,
		masterKey,
		recoveryKey,
		recoveryAuthKey,
		boxSecretKey: box.privateKey,
		signSecretKey: sign.privateKey,
		signSeed,
		signup
	};
}

/**
 * A sign-up body of the right shapes with random keys and no Argon2id on this side: for tests that
 * need an account but not its cryptography. authKey is returned to log in with.
 */
export function quickSignup(email: string): { body: SignupRequest; authKey: string } {
	const b = (n: number) => toBase64Url(randomBytes(n));
	const authKey = b(32);
	return {
		authKey,
		body: {
			email,
			kdf: floorKdf(),
			authKey,
			recoveryAuthKey: b(32),
			wrappedKeys: { masterKeyByPassword: b(74), boxSecretKey: b(74), signSeed: b(74) },
			masterKeyByRecovery: b(74),
			publicKeys: { boxPk: b(32), signPk: b(32) }
		}
	};
}

/** Reads (and removes) the one code mail for `email` in DATA_DIR/outbox/. */
export async function takeCode(dataDir: string, email: string): Promise<string> {
	const folder = path.join(dataDir, 'outbox');
	const mails: { file: string; text: string }[] = [];
	for (const name of await fs.readdir(folder)) {
		if (!name.endsWith('.eml')) continue;
		const file = path.join(folder, name);
		const text = await fs.readFile(file, 'utf8');
		if (new RegExp(`^To: ${email}$`, 'm').test(text)) mails.push({ file, text });
	}
	if (mails.length !== 1) throw new Error(`expected one mail to ${email}, found ${mails.length}`);
	const [{ file, text }] = mails as [{ file: string; text: string }];
	const code = /^Subject: Your Tessera code: (\d{6})$/m.exec(text)?.[1];
	if (!code) throw new Error(`no code in ${file}`);
	await fs.rm(file);
	return code;
}

/** Signs up, reads the code from the outbox, verifies: a session on a verified account. */
export async function signUpVerified(
	port: number,
	dataDir: string,
	body: SignupRequest,
	deviceName = 'Test device'
): Promise<SessionGrant> {
	const signup = await call(port, 'POST', '/api/signup', { body });
	if (signup.status !== 202) throw new Error(`sign-up failed: ${signup.status} ${signup.text}`);
	const code = await takeCode(dataDir, body.email);
	const verify = await call(port, 'POST', '/api/signup/verify', {
		body: { email: body.email, code, device: { name: deviceName } }
	});
	if (verify.status !== 200) throw new Error(`verify failed: ${verify.status} ${verify.text}`);
	return v.parse(SessionGrantSchema, verify.json());
}

/** A verified account with random keys and its session token, for tests that only need a session. */
export async function quickSession(port: number, dataDir: string, email: string): Promise<string> {
	return (await signUpVerified(port, dataDir, quickSignup(email).body)).token;
}
