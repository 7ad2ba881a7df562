// Bodies of the relay's HTTP API: the health report and the one error shape every route uses.

import * as v from 'valibot';
import { CounterSchema } from './fields';
import { AlbumIdSchema } from './ids';
import { MAX_ERROR_CODE_LENGTH, MAX_ERROR_MESSAGE_LENGTH, MAX_VERSION_LENGTH } from './limits';

/** Stable codes of HTTP API errors. */
export const ApiErrorCode = {
	notFound: 'not-found',
	methodNotAllowed: 'method-not-allowed',
	malformedUrl: 'malformed-url',
	invalidBlobId: 'invalid-blob-id',
	blobNotFound: 'blob-not-found',
	/** A blob its owner asked to delete is still bound to another album: it was kept. */
	blobInUse: 'blob-in-use',
	rangeNotSatisfiable: 'range-not-satisfiable',
	payloadTooLarge: 'payload-too-large',
	appNotBuilt: 'app-not-built',
	internal: 'internal-error',
	// Requests and sessions (accounts API)
	invalidJson: 'invalid-json',
	invalidRequest: 'invalid-request',
	unauthenticated: 'unauthenticated',
	rateLimited: 'rate-limited',
	// Sign-up and log-in
	weakKdfParams: 'weak-kdf-params',
	badKdfParams: 'bad-kdf-params',
	emailTaken: 'email-taken',
	wrongCode: 'wrong-code',
	codeExpired: 'code-expired',
	wrongCredentials: 'wrong-credentials',
	emailNotVerified: 'email-not-verified',
	tooManyAttempts: 'too-many-attempts',
	wrongRecoveryKey: 'wrong-recovery-key',
	sessionNotFound: 'session-not-found',
	noSuchUser: 'no-such-user',
	mailFailed: 'mail-failed',
	// Resumable uploads (tus, docs/uploads.md)
	quotaExceeded: 'quota-exceeded',
	uploadTooLarge: 'upload-too-large',
	invalidUploadLength: 'invalid-upload-length',
	invalidUploadMetadata: 'invalid-upload-metadata',
	uploadNotFound: 'upload-not-found',
	blobExists: 'blob-exists',
	blobIdTaken: 'blob-id-taken',
	uploadInProgress: 'upload-in-progress',
	// Invites of people without an account (docs/sharing-invites.md)
	alreadyUser: 'already-user',
	alreadyInvited: 'already-invited',
	notAuthorized: 'not-authorized',
	planNoSharing: 'plan-no-sharing',
	badSignature: 'bad-signature',
	staleSignature: 'stale-signature',
	tooManyInvites: 'too-many-invites',
	inviteNotFound: 'invite-not-found',
	inviteNotAccepted: 'invite-not-accepted',
	inviteeNotMember: 'invitee-not-member'
} as const;
export type ApiErrorCode = (typeof ApiErrorCode)[keyof typeof ApiErrorCode];

export const HealthResponseSchema = v.strictObject({
	ok: v.literal(true),
	version: v.pipe(v.string(), v.maxLength(MAX_VERSION_LENGTH)),
	uptimeS: CounterSchema
});
export type HealthResponse = v.InferOutput<typeof HealthResponseSchema>;

export const ApiErrorSchema = v.strictObject({
	error: v.strictObject({
		code: v.pipe(v.string(), v.regex(new RegExp(`^[a-z0-9-]{1,${MAX_ERROR_CODE_LENGTH}}$`))),
		message: v.pipe(v.string(), v.maxLength(MAX_ERROR_MESSAGE_LENGTH)),
		/** With 429: seconds to wait before trying again (also in the Retry-After header). */
		retryAfterS: v.optional(CounterSchema)
	})
});
export type ApiError = v.InferOutput<typeof ApiErrorSchema>;

/** `DELETE /api/blobs/:id?album=`: the album the blob's photo left (its library), if any. */
export const BlobDeleteQuerySchema = v.strictObject({ album: v.optional(AlbumIdSchema) });
export type BlobDeleteQuery = v.InferOutput<typeof BlobDeleteQuerySchema>;
