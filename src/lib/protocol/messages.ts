// Websocket frames between app and relay (JSON text, discriminated by `t`) and their parsers.

import * as v from 'valibot';
import { SessionTokenSchema } from './accounts';
import { EnvelopeSchema, MembershipEntrySchema, RoleSchema } from './album-stream';
import { CounterSchema } from './fields';
import { AlbumIdSchema, BlobIdSchema } from './ids';
import { describeIssues } from './issues';
import {
	MAX_NOTIFICATIONS_PER_PAGE,
	NotificationIdSchema,
	NotificationPageLimitSchema,
	NotificationSchema,
	UnreadCountSchema
} from './notifications';
import {
	MAX_ERROR_CODE_LENGTH,
	MAX_ERROR_MESSAGE_LENGTH,
	MAX_MESSAGE_ID_LENGTH,
	MAX_VERSION_LENGTH
} from './limits';

/** Websocket close codes the relay uses (RFC 6455 §7.4.1). */
export const WsCloseCode = {
	/** The relay is shutting down. */
	goingAway: 1001,
	/** The client kept sending invalid frames. */
	policyViolation: 1008,
	/** A frame was larger than `maxFrameBytes`. */
	messageTooBig: 1009,
	/** The client read too slowly: its unsent frames passed the relay's cap. Resubscribe from the last seq held. */
	tryAgainLater: 1013,
	/** The socket's session ended (log-out, revoked, password changed, account deleted). Log in again. */
	sessionEnded: 4401
} as const;

/** Stable codes of `error` frames; clients branch on these, never on the message text. */
export const WsErrorCode = {
	invalidJson: 'invalid-json',
	invalidMessage: 'invalid-message',
	binaryNotSupported: 'binary-not-supported',
	notImplemented: 'not-implemented',
	internal: 'internal-error',
	/** A field was longer than the protocol allows (e.g. an envelope's ciphertext over the cap). */
	tooLarge: 'too-large',
	/** The socket has not sent `auth` yet (or its session ended); only ping and auth are served. */
	unauthenticated: 'unauthenticated',
	alreadyAuthenticated: 'already-authenticated',
	/** Too many frames of this socket are waiting to be handled; send fewer at once. */
	tooBusy: 'too-busy',
	badSignature: 'bad-signature',
	/** `by` is not the key of the account this socket authenticated as. */
	wrongSigner: 'wrong-signer',
	albumNotFound: 'album-not-found',
	albumExists: 'album-exists',
	albumDeleted: 'album-deleted',
	/** The entry's `prev` is not the relay's head: fetch the new entries (error.headIndex) and rebase. */
	staleHead: 'stale-head',
	/** The envelope names a membership head the relay does not have yet. */
	unknownHead: 'unknown-head',
	/** The envelope is encrypted under an epoch that is no longer current (a rotation happened). */
	staleEpoch: 'stale-epoch',
	/** The envelope's epoch is not the one at the head it names (`chainIndex`): a client bug. */
	wrongEpoch: 'wrong-epoch',
	/** The signer may not write this doc, or may not make this change. */
	notAuthorized: 'not-authorized',
	notAMember: 'not-a-member',
	/** The album owner's plan does not include sharing. */
	planNoSharing: 'plan-no-sharing',
	/** A snapshot's `covers` is beyond the album's last seq. */
	badCovers: 'bad-covers',
	/** A snapshot covering less than the stored snapshot of its doc; nothing was stored. */
	staleSnapshot: 'stale-snapshot',
	/**
	 * A part of a snapshot set that does not fit the parts stored before it: a second copy of a
	 * part, a part out of order, or other covers, epoch, signer or count than the set's first part.
	 */
	badSnapshotPart: 'bad-snapshot-part',
	tooManySubscriptions: 'too-many-subscriptions'
} as const;
export type WsErrorCode = (typeof WsErrorCode)[keyof typeof WsErrorCode];

/** A client-chosen request id, echoed in the reply so the client can match them. */
export const MessageIdSchema = v.pipe(
	v.string(),
	v.regex(
		new RegExp(`^[A-Za-z0-9_.:-]{1,${MAX_MESSAGE_ID_LENGTH}}$`),
		`must be 1 to ${MAX_MESSAGE_ID_LENGTH} characters from A-Z a-z 0-9 _ . : -`
	)
);

const requestId = { id: v.optional(MessageIdSchema) };

const tMessage = (kinds: readonly string[]) => `must be one of ${kinds.join(', ')}`;

// ---------------------------------------------------------------------------------------------
// Client -> relay

export const CLIENT_MESSAGE_TYPES = [
	'ping',
	'subscribe',
	'unsubscribe',
	'append-membership',
	'post',
	'ephemeral',
	'auth',
	'list-albums',
	'notifications',
	'notifications-read'
] as const;

/** Updates and snapshots are stored and get a seq; ephemeral envelopes only fan out. */
const StoredEnvelopeSchema = v.pipe(
	EnvelopeSchema,
	v.check(
		(envelope) => envelope.kind !== 'ephemeral',
		'kind must be update or snapshot in a post (ephemeral envelopes go in an ephemeral message)'
	)
);
const EphemeralEnvelopeSchema = v.pipe(
	EnvelopeSchema,
	v.check(
		(envelope) => envelope.kind === 'ephemeral',
		'kind must be ephemeral in an ephemeral message'
	)
);

/**
 * Most blob ids one `post` may bind to its album: 4,096 photos with original, preview and
 * thumbnail. An update that fits in one envelope holds about 3,400 PhotoRefs, and even with ids
 * of 32 bytes (46 characters each as JSON) a full list beside a full envelope stays under
 * MAX_WS_FRAME_BYTES.
 */
export const MAX_POST_BLOBS = 12_288;

/**
 * The blobs a post's update references (the PhotoRefs it adds): the relay binds them to the
 * album in the commit that stores the envelope (docs/uploads.md, "Blob access").
 */
export const PostBlobsSchema = v.pipe(
	v.array(BlobIdSchema, 'must be a list of blob ids'),
	v.maxLength(MAX_POST_BLOBS, `lists at most ${MAX_POST_BLOBS} blob ids`),
	v.check((ids: string[]) => new Set(ids).size === ids.length, 'must not name a blob id twice')
);

export const ClientMessageSchema = v.variant(
	't',
	[
		v.strictObject({ t: v.literal('ping'), ...requestId }),
		/**
		 * Authenticates the socket with a session token (docs/api.md); answered by `authed`. Until
		 * then only ping and auth are served. (Link guests will answer a challenge instead.)
		 */
		v.strictObject({ t: v.literal('auth'), ...requestId, token: SessionTokenSchema }),
		/** `since` = the last album seq the client holds (0 when it holds nothing). */
		v.strictObject({
			t: v.literal('subscribe'),
			...requestId,
			albumId: AlbumIdSchema,
			since: CounterSchema
		}),
		v.strictObject({ t: v.literal('unsubscribe'), ...requestId, albumId: AlbumIdSchema }),
		v.strictObject({
			t: v.literal('append-membership'),
			...requestId,
			entry: MembershipEntrySchema
		}),
		/** An update or snapshot to store; `blobs` = the blob ids it adds to the album (optional). */
		v.strictObject({
			t: v.literal('post'),
			...requestId,
			envelope: StoredEnvelopeSchema,
			blobs: v.optional(PostBlobsSchema)
		}),
		v.strictObject({ t: v.literal('ephemeral'), ...requestId, envelope: EphemeralEnvelopeSchema }),
		/** The albums this account is a member of now; answered by `albums`. */
		v.strictObject({ t: v.literal('list-albums'), ...requestId }),
		/**
		 * This account's notifications, newest first (ids below `before`, if given); answered by
		 * `notifications`. From then on the socket also gets new ones pushed (`notification`).
		 */
		v.strictObject({
			t: v.literal('notifications'),
			...requestId,
			before: v.optional(NotificationIdSchema),
			limit: v.optional(NotificationPageLimitSchema)
		}),
		/** Marks this account's notifications up to `upTo` (an id) read; answered by `notifications-read`. */
		v.strictObject({ t: v.literal('notifications-read'), ...requestId, upTo: NotificationIdSchema })
	],
	tMessage(CLIENT_MESSAGE_TYPES)
);

export type ClientMessage = v.InferOutput<typeof ClientMessageSchema>;
export type ClientMessageType = ClientMessage['t'];

// ---------------------------------------------------------------------------------------------
// Relay -> client

export const SERVER_MESSAGE_TYPES = [
	'hello',
	'pong',
	'authed',
	'ack',
	'entry',
	'caught-up',
	'unsubscribed',
	'albums',
	'notifications',
	'notification',
	'notifications-read',
	'error'
] as const;

/** Albums one `albums` reply lists at most (an account in more is told about the oldest). */
export const MAX_LISTED_ALBUMS = 10_000;

/** Why a socket no longer follows an album. */
export const UNSUBSCRIBE_REASONS = ['requested', 'removed'] as const;

/** A stream item as delivered: a membership entry or a doc envelope. */
export const StreamItemSchema = v.variant(
	'type',
	[
		v.strictObject({ type: v.literal('membership'), entry: MembershipEntrySchema }),
		v.strictObject({ type: v.literal('envelope'), envelope: EnvelopeSchema })
	],
	'must be membership or envelope'
);

const EntryFrameSchema = v.pipe(
	v.strictObject({
		t: v.literal('entry'),
		albumId: AlbumIdSchema,
		/** The album seq; null only for ephemeral envelopes, which are never stored. */
		seq: v.nullable(CounterSchema),
		item: StreamItemSchema
	}),
	v.check((frame) => {
		const ephemeral = frame.item.type === 'envelope' && frame.item.envelope.kind === 'ephemeral';
		return ephemeral === (frame.seq === null);
	}, 'seq must be null exactly for ephemeral envelopes')
);

export const ServerMessageSchema = v.variant(
	't',
	[
		/** Sent once on connect. */
		v.strictObject({
			t: v.literal('hello'),
			protocol: CounterSchema,
			relayVersion: v.pipe(v.string(), v.maxLength(MAX_VERSION_LENGTH, 'is too long')),
			maxFrameBytes: CounterSchema
		}),
		v.strictObject({ t: v.literal('pong'), ...requestId }),
		/** The socket is now authenticated as this account. */
		v.strictObject({
			t: v.literal('authed'),
			...requestId,
			accountId: v.pipe(v.string(), v.maxLength(MAX_MESSAGE_ID_LENGTH, 'is too long'))
		}),
		/** The relay stored the client's entry or envelope at `seq`. */
		v.strictObject({
			t: v.literal('ack'),
			...requestId,
			albumId: AlbumIdSchema,
			seq: CounterSchema
		}),
		EntryFrameSchema,
		/**
		 * Catch-up after `subscribe` is complete: the client now holds everything up to `seq` (the
		 * album's last seq), and live entries follow. Carries the subscribe's id.
		 */
		v.strictObject({
			t: v.literal('caught-up'),
			...requestId,
			albumId: AlbumIdSchema,
			seq: CounterSchema
		}),
		/** The socket no longer follows the album: it asked to (`requested`) or was removed from it. */
		v.strictObject({
			t: v.literal('unsubscribed'),
			...requestId,
			albumId: AlbumIdSchema,
			reason: v.picklist(UNSUBSCRIBE_REASONS, `must be one of ${UNSUBSCRIBE_REASONS.join(', ')}`)
		}),
		v.strictObject({
			t: v.literal('albums'),
			...requestId,
			albums: v.pipe(
				v.array(
					v.strictObject({ albumId: AlbumIdSchema, role: RoleSchema, lastSeq: CounterSchema })
				),
				v.maxLength(MAX_LISTED_ALBUMS, `lists at most ${MAX_LISTED_ALBUMS} albums`)
			)
		}),
		/** A page of the account's notifications, newest first; `more` when older ones remain. */
		v.strictObject({
			t: v.literal('notifications'),
			...requestId,
			notifications: v.pipe(
				v.array(NotificationSchema),
				v.maxLength(
					MAX_NOTIFICATIONS_PER_PAGE,
					`lists at most ${MAX_NOTIFICATIONS_PER_PAGE} notifications`
				)
			),
			unread: UnreadCountSchema,
			more: v.boolean()
		}),
		/**
		 * Pushed to the account's sockets that listed their notifications: a new one, or a `photos`
		 * batch that grew (it then `replaces` its old id and moves to the top).
		 */
		v.strictObject({
			t: v.literal('notification'),
			notification: NotificationSchema,
			replaces: v.optional(NotificationIdSchema),
			unread: UnreadCountSchema
		}),
		/**
		 * Notifications up to `upTo` are read: the reply to `notifications-read` (with its id), and
		 * pushed without an id to the account's other listening sockets so every badge clears.
		 */
		v.strictObject({
			t: v.literal('notifications-read'),
			...requestId,
			upTo: NotificationIdSchema,
			unread: UnreadCountSchema
		}),
		v.strictObject({
			t: v.literal('error'),
			...requestId,
			/** Kept open-ended so an older client still reads codes added later. */
			code: v.pipe(
				v.string(),
				v.regex(
					new RegExp(`^[a-z0-9-]{1,${MAX_ERROR_CODE_LENGTH}}$`),
					'must be a lower-case error code'
				)
			),
			message: v.pipe(v.string(), v.maxLength(MAX_ERROR_MESSAGE_LENGTH, 'is too long')),
			/** With `stale-head` and `unknown-head`: the relay's membership head, to rebase on. */
			headIndex: v.optional(CounterSchema)
		})
	],
	tMessage(SERVER_MESSAGE_TYPES)
);

export type ServerMessage = v.InferOutput<typeof ServerMessageSchema>;
export type ServerMessageType = ServerMessage['t'];
export type StreamItem = v.InferOutput<typeof StreamItemSchema>;

// ---------------------------------------------------------------------------------------------
// Parsing

export type ParseResult<T> =
	| { ok: true; msg: T }
	| {
			ok: false;
			code:
				| typeof WsErrorCode.invalidJson
				| typeof WsErrorCode.invalidMessage
				| typeof WsErrorCode.tooLarge;
			message: string;
			/** The request id, when the frame had a usable one, so the error can echo it. */
			id?: string;
	  };

/** Parses a client frame. Never throws: bad JSON and schema failures both come back as results. */
export function parseClientMessage(raw: string): ParseResult<ClientMessage> {
	return parseFrame(raw, ClientMessageSchema);
}

/** Parses a relay frame; clients check what the relay sends as strictly as the relay checks them. */
export function parseServerMessage(raw: string): ParseResult<ServerMessage> {
	return parseFrame(raw, ServerMessageSchema);
}

function parseFrame<T>(raw: string, schema: v.GenericSchema<unknown, T>): ParseResult<T> {
	let json: unknown;
	try {
		json = JSON.parse(raw);
	} catch (error) {
		const detail = error instanceof Error ? `: ${error.message.slice(0, 200)}` : '';
		return {
			ok: false,
			code: WsErrorCode.invalidJson,
			message: `frame is not valid JSON${detail}`
		};
	}
	if (typeof json !== 'object' || json === null || Array.isArray(json)) {
		return {
			ok: false,
			code: WsErrorCode.invalidMessage,
			message: 'message: must be a JSON object with a "t" field'
		};
	}
	let result: v.SafeParseResult<v.GenericSchema<unknown, T>>;
	try {
		result = v.safeParse(schema, json);
	} catch {
		// A schema check that throws is a bug in this module; the frame is still just refused.
		return {
			ok: false,
			code: WsErrorCode.invalidMessage,
			message: 'message: could not be checked'
		};
	}
	if (result.success) return { ok: true, msg: result.output };
	// A field over its length cap gets its own code, so a client can tell "too big" from "wrong".
	const tooLarge = result.issues[0]?.type === 'max_length';
	const failure: ParseResult<T> = {
		ok: false,
		code: tooLarge ? WsErrorCode.tooLarge : WsErrorCode.invalidMessage,
		message: describeIssues(result.issues)
	};
	const id = (json as { id?: unknown }).id;
	if (v.is(MessageIdSchema, id)) failure.id = id;
	return failure;
}
