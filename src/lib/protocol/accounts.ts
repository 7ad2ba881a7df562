// Bodies of the accounts API (sign-up, log-in, sessions, recovery, key directory) as valibot schemas.

import * as v from 'valibot';
import { base64UrlBytes, CounterSchema } from './fields';
import { RANDOM_ID_PATTERN } from './ids';
import { X25519_PUBLIC_KEY_BYTES, ED25519_PUBLIC_KEY_BYTES } from './limits';

/** Paths of the accounts API, so the app and the relay cannot disagree on a spelling. */
export const AccountsApiPath = {
	signup: '/api/signup',
	signupVerify: '/api/signup/verify',
	signupResend: '/api/signup/resend',
	loginParams: '/api/login/params',
	login: '/api/login',
	logout: '/api/logout',
	account: '/api/account',
	accountPassword: '/api/account/password',
	sessions: '/api/sessions',
	recoveryStart: '/api/recovery/start',
	recoveryComplete: '/api/recovery/complete',
	directory: '/api/directory'
} as const;

/** Longest email address (RFC 5321 path limit) and its local part. */
export const MAX_EMAIL_LENGTH = 254;
export const MAX_EMAIL_LOCAL_PART_LENGTH = 64;
/** authKey, recoveryAuthKey and session tokens are 32 random-looking bytes. */
export const AUTH_KEY_BYTES = 32;
export const SESSION_TOKEN_BYTES = 32;
export const ACCOUNT_KDF_SALT_BYTES = 16;
/**
 * A wrapped key is version + algorithm + 24-byte nonce + 16-byte tag + the key (docs/crypto.md): 74
 * bytes for a 32-byte key. The upper bound leaves room for a longer or versioned payload without
 * letting the field carry bulk data.
 */
export const MIN_WRAPPED_KEY_BYTES = 74;
export const MAX_WRAPPED_KEY_BYTES = 256;
export const MAX_DEVICE_NAME_LENGTH = 80;
export const MAX_PLAN_NAME_LENGTH = 64;
/** Digits in an email code, and how long one stays valid. */
export const EMAIL_CODE_DIGITS = 6;
export const EMAIL_CODE_TTL_MS = 15 * 60 * 1000;
/** Wrong codes after which a code is burnt and the user must ask for a new one. */
export const MAX_EMAIL_CODE_ATTEMPTS = 5;

// ---------------------------------------------------------------------------------------------
// Fields

/**
 * The one spelling of an email address used for look-ups: trimmed and lower-cased (NFC first, so
 * visually equal addresses typed on different keyboards match).
 */
export function normalizeEmail(email: string): string {
	return email.normalize('NFC').trim().toLowerCase();
}

/** A simple shape check, not RFC 5322: one @, no spaces or control characters, non-empty parts. */
const EMAIL_PATTERN = new RegExp(
	`^[^\\s@\\p{Cc}]{1,${MAX_EMAIL_LOCAL_PART_LENGTH}}@[^\\s@\\p{Cc}.][^\\s@\\p{Cc}]*$`,
	'u'
);

/** An email address; the output is normalised (see `normalizeEmail`). */
export const EmailSchema = v.pipe(
	v.string(),
	// Cap before normalising so a huge string is refused without being copied around.
	v.maxLength(MAX_EMAIL_LENGTH * 4, 'is too long'),
	v.transform(normalizeEmail),
	v.nonEmpty('is missing'),
	v.maxLength(MAX_EMAIL_LENGTH, `is too long: at most ${MAX_EMAIL_LENGTH} characters`),
	v.regex(EMAIL_PATTERN, 'is not an email address')
);

/** Account and session ids: random ids as in ids.ts (base64url of 16 to 32 bytes). */
const RecordIdSchema = v.pipe(v.string(), v.regex(RANDOM_ID_PATTERN, 'is not a valid id'));
export const AccountIdSchema = RecordIdSchema;
export const SessionIdSchema = RecordIdSchema;

export const IsoTimeSchema = v.pipe(v.string(), v.isoTimestamp('must be an ISO 8601 time'));

export const AuthKeySchema = base64UrlBytes(AUTH_KEY_BYTES, AUTH_KEY_BYTES);
export const SessionTokenSchema = base64UrlBytes(SESSION_TOKEN_BYTES, SESSION_TOKEN_BYTES);
export const WrappedKeySchema = base64UrlBytes(MIN_WRAPPED_KEY_BYTES, MAX_WRAPPED_KEY_BYTES);

/** A 6-digit email code; spaces around it are forgiven. */
export const EmailCodeSchema = v.pipe(
	v.string(),
	v.maxLength(32, 'is too long'),
	v.trim(),
	v.regex(new RegExp(`^[0-9]{${EMAIL_CODE_DIGITS}}$`), `must be ${EMAIL_CODE_DIGITS} digits`)
);

/**
 * Argon2id params of the account password. Only the shape is checked here; whether they are strong
 * enough (KDF_FLOOR) or too costly (KDF_CEILING) is decided by src/lib/crypto's `checkKdfParams`,
 * on the relay at sign-up and on the device before deriving.
 */
export const KdfParamsSchema = v.strictObject({
	salt: base64UrlBytes(ACCOUNT_KDF_SALT_BYTES, ACCOUNT_KDF_SALT_BYTES),
	opsLimit: v.pipe(v.number(), v.safeInteger('must be a whole number'), v.minValue(1)),
	memLimit: v.pipe(v.number(), v.safeInteger('must be a whole number'), v.minValue(1))
});
export type KdfParams = v.InferOutput<typeof KdfParamsSchema>;

/** The account's keys as the relay keeps them: wrapped on the device, opaque to the relay. */
export const WrappedKeysSchema = v.strictObject({
	/** masterKey wrapped by the password wrap key. */
	masterKeyByPassword: WrappedKeySchema,
	/** The X25519 secret key wrapped by masterKey. */
	boxSecretKey: WrappedKeySchema,
	/** The 32-byte Ed25519 seed wrapped by masterKey. */
	signSeed: WrappedKeySchema
});
export type WrappedKeys = v.InferOutput<typeof WrappedKeysSchema>;

export const PublicKeysSchema = v.strictObject({
	boxPk: base64UrlBytes(X25519_PUBLIC_KEY_BYTES, X25519_PUBLIC_KEY_BYTES),
	signPk: base64UrlBytes(ED25519_PUBLIC_KEY_BYTES, ED25519_PUBLIC_KEY_BYTES)
});
export type PublicKeys = v.InferOutput<typeof PublicKeysSchema>;

export const PlanSchema = v.object({
	id: v.pipe(v.string(), v.regex(/^[a-z0-9-]{1,32}$/, 'is not a plan id')),
	name: v.pipe(v.string(), v.minLength(1), v.maxLength(MAX_PLAN_NAME_LENGTH)),
	sharing: v.boolean()
});
export type Plan = v.InferOutput<typeof PlanSchema>;

/** The device that asks for a session, named by the app (e.g. "Chrome on Linux"). */
export const DeviceSchema = v.strictObject({
	name: v.pipe(
		v.string(),
		v.trim(),
		v.minLength(1, 'must not be empty'),
		v.maxLength(
			MAX_DEVICE_NAME_LENGTH,
			`is too long: at most ${MAX_DEVICE_NAME_LENGTH} characters`
		),
		v.regex(/^[^\p{Cc}]*$/u, 'must not contain control characters')
	)
});
export type Device = v.InferOutput<typeof DeviceSchema>;

// ---------------------------------------------------------------------------------------------
// Replies. They use `object` (not `strictObject`) so a newer relay may add fields without breaking
// older apps; requests are strict so the relay refuses what it would not understand.

export const AccountInfoSchema = v.object({
	id: AccountIdSchema,
	email: EmailSchema,
	plan: PlanSchema,
	/** null means unlimited. */
	quotaBytes: v.nullable(CounterSchema),
	usageBytes: CounterSchema,
	createdAt: IsoTimeSchema
});
export type AccountInfo = v.InferOutput<typeof AccountInfoSchema>;

/** What a successful verify, log-in or recovery returns: a session and everything to unwrap keys. */
export const SessionGrantSchema = v.object({
	token: SessionTokenSchema,
	sessionId: SessionIdSchema,
	account: AccountInfoSchema,
	publicKeys: PublicKeysSchema,
	wrappedKeys: WrappedKeysSchema,
	kdf: KdfParamsSchema
});
export type SessionGrant = v.InferOutput<typeof SessionGrantSchema>;

export const SessionInfoSchema = v.object({
	id: SessionIdSchema,
	deviceName: v.string(),
	createdAt: IsoTimeSchema,
	lastSeenAt: IsoTimeSchema,
	/** The session whose token made this request. */
	current: v.boolean()
});
export type SessionInfo = v.InferOutput<typeof SessionInfoSchema>;

// ---------------------------------------------------------------------------------------------
// Endpoints, in the order of docs/api.md

/** POST /api/signup */
export const SignupRequestSchema = v.strictObject({
	email: EmailSchema,
	kdf: KdfParamsSchema,
	authKey: AuthKeySchema,
	recoveryAuthKey: AuthKeySchema,
	wrappedKeys: WrappedKeysSchema,
	/** masterKey wrapped by recoveryWrapKey. */
	masterKeyByRecovery: WrappedKeySchema,
	publicKeys: PublicKeysSchema
});
export type SignupRequest = v.InferOutput<typeof SignupRequestSchema>;

/** 202 reply of POST /api/signup and POST /api/signup/resend. */
export const SignupPendingResponseSchema = v.object({
	pending: v.literal(true),
	codeExpiresAt: IsoTimeSchema
});
export type SignupPendingResponse = v.InferOutput<typeof SignupPendingResponseSchema>;

/** POST /api/signup/verify -> SessionGrant */
export const SignupVerifyRequestSchema = v.strictObject({
	email: EmailSchema,
	code: EmailCodeSchema,
	device: DeviceSchema
});
export type SignupVerifyRequest = v.InferOutput<typeof SignupVerifyRequestSchema>;

/** POST /api/signup/resend -> SignupPendingResponse */
export const SignupResendRequestSchema = v.strictObject({ email: EmailSchema });
export type SignupResendRequest = v.InferOutput<typeof SignupResendRequestSchema>;

/** POST /api/login/params */
export const LoginParamsRequestSchema = v.strictObject({ email: EmailSchema });
export type LoginParamsRequest = v.InferOutput<typeof LoginParamsRequestSchema>;
export const LoginParamsResponseSchema = v.object({ kdf: KdfParamsSchema });
export type LoginParamsResponse = v.InferOutput<typeof LoginParamsResponseSchema>;

/** POST /api/login -> SessionGrant */
export const LoginRequestSchema = v.strictObject({
	email: EmailSchema,
	authKey: AuthKeySchema,
	device: DeviceSchema
});
export type LoginRequest = v.InferOutput<typeof LoginRequestSchema>;

/** GET /api/account -> AccountInfo; DELETE /api/account with this body -> 204 */
export const DeleteAccountRequestSchema = v.strictObject({ authKey: AuthKeySchema });
export type DeleteAccountRequest = v.InferOutput<typeof DeleteAccountRequestSchema>;

/** GET /api/sessions */
export const SessionsResponseSchema = v.object({ sessions: v.array(SessionInfoSchema) });
export type SessionsResponse = v.InferOutput<typeof SessionsResponseSchema>;

/** POST /api/account/password -> 204 */
export const ChangePasswordRequestSchema = v.strictObject({
	currentAuthKey: AuthKeySchema,
	kdf: KdfParamsSchema,
	authKey: AuthKeySchema,
	masterKeyByPassword: WrappedKeySchema
});
export type ChangePasswordRequest = v.InferOutput<typeof ChangePasswordRequestSchema>;

/** POST /api/recovery/start */
export const RecoveryStartRequestSchema = v.strictObject({
	email: EmailSchema,
	recoveryAuthKey: AuthKeySchema
});
export type RecoveryStartRequest = v.InferOutput<typeof RecoveryStartRequestSchema>;
export const RecoveryStartResponseSchema = v.object({
	masterKeyByRecovery: WrappedKeySchema,
	wrappedKeys: WrappedKeysSchema,
	publicKeys: PublicKeysSchema
});
export type RecoveryStartResponse = v.InferOutput<typeof RecoveryStartResponseSchema>;

/** POST /api/recovery/complete -> SessionGrant */
export const RecoveryCompleteRequestSchema = v.strictObject({
	email: EmailSchema,
	recoveryAuthKey: AuthKeySchema,
	kdf: KdfParamsSchema,
	authKey: AuthKeySchema,
	masterKeyByPassword: WrappedKeySchema,
	device: DeviceSchema
});
export type RecoveryCompleteRequest = v.InferOutput<typeof RecoveryCompleteRequestSchema>;

/** GET /api/directory?email=... (anyone with a session). */
export const DirectoryQuerySchema = v.strictObject({ email: EmailSchema });
/**
 * GET /api/directory?member=<signPk>: only for someone who shares an album with that key (how a
 * members list shows emails beside the keys in the chain).
 */
export const DirectoryMemberQuerySchema = v.strictObject({
	member: base64UrlBytes(ED25519_PUBLIC_KEY_BYTES, ED25519_PUBLIC_KEY_BYTES)
});
export type DirectoryQuery = v.InferOutput<typeof DirectoryQuerySchema>;
export const DirectoryResponseSchema = v.object({
	email: EmailSchema,
	publicKeys: PublicKeysSchema
});
export type DirectoryResponse = v.InferOutput<typeof DirectoryResponseSchema>;
