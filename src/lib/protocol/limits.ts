// Named size and count limits of the wire protocol, shared by the app and the relay.

const KiB = 1024;
const MiB = 1024 * KiB;

/** Version of the websocket protocol; the relay announces it in `hello`. */
export const PROTOCOL_VERSION = 1;

/** Largest websocket frame the relay accepts; bigger frames close the socket with 1009. */
export const MAX_WS_FRAME_BYTES = 2 * MiB;

/**
 * Largest ciphertext in one doc envelope. Base64url makes it 4/3 larger on the wire, so an envelope
 * at this cap (about 1.34 MiB of text) still fits in one frame.
 */
export const MAX_ENVELOPE_CIPHERTEXT_BYTES = 1 * MiB;

/**
 * Most envelopes one snapshot may span (docs/album-stream.md, "Snapshots"): 64 parts of at most
 * MAX_ENVELOPE_CIPHERTEXT_BYTES hold a doc state of 64 MiB, some 200,000 photos in one contrib doc.
 * The relay keeps at most two sets per doc (the stored one and one being posted), so this also
 * bounds what one doc can make it store.
 */
export const MAX_SNAPSHOT_PARTS = 64;

/** A snapshot set's id: random bytes naming the parts that belong together. */
export const SNAPSHOT_SET_ID_BYTES = 16;

/**
 * Largest membership entry as canonical JSON. A rotation carries one sealed key box per member who
 * stays (about 160 bytes each as JSON), so this leaves room for MAX_KEY_BOXES_PER_ENTRY boxes.
 */
export const MAX_MEMBERSHIP_ENTRY_BYTES = 512 * KiB;

/** Most members that one rotation can re-key: the practical member cap of an album. */
export const MAX_KEY_BOXES_PER_ENTRY = 2048;

/** Most links that one rotation can re-wrap: the practical link cap of an album. */
export const MAX_LINK_WRAPS_PER_ENTRY = 256;

/**
 * Bounds of a sealed key box (crypto_box_seal of an epoch key: 48 bytes of overhead + 32 bytes of
 * key). The upper bound leaves room for a versioned payload without letting a box carry bulk data.
 */
export const MIN_SEALED_BOX_BYTES = 48;
export const MAX_SEALED_BOX_BYTES = 256;

/** Bounds of a secretbox-wrapped epoch key for a link (24-byte nonce + 16-byte MAC + payload). */
export const MIN_KEY_WRAP_BYTES = 40;
export const MAX_KEY_WRAP_BYTES = 256;

/** Byte lengths of the fixed-size binary fields. */
export const ED25519_PUBLIC_KEY_BYTES = 32;
export const ED25519_SIGNATURE_BYTES = 64;
export const X25519_PUBLIC_KEY_BYTES = 32;
export const HASH_BYTES = 32;
export const ENVELOPE_NONCE_BYTES = 24;
/** Poly1305 tag: the smallest possible AEAD ciphertext (of an empty plaintext). */
export const MIN_ENVELOPE_CIPHERTEXT_BYTES = 16;
export const LINK_PASSWORD_SALT_BYTES = 16;

/** Random ids (albumId, linkId, blobId) carry 16 to 32 random bytes. */
export const MIN_RANDOM_ID_BYTES = 16;
export const MAX_RANDOM_ID_BYTES = 32;

/** Largest JSON body the relay reads from an HTTP request; bigger ones get 413. */
export const MAX_JSON_BODY_BYTES = 64 * KiB;

/** Client-chosen request ids echoed in replies. */
export const MAX_MESSAGE_ID_LENGTH = 64;

/** Error codes and messages the relay sends stay short. */
export const MAX_ERROR_CODE_LENGTH = 64;
export const MAX_ERROR_MESSAGE_LENGTH = 1024;

/** A relay version string such as "0.1.0" or "0.1.0+abc123". */
export const MAX_VERSION_LENGTH = 64;

/** Invalid frames one websocket may send before the relay closes it with 1008. */
export const MAX_INVALID_FRAMES_PER_SOCKET = 100;

/**
 * Frames of one websocket that may wait to be handled at once (queued or running). A client keeps
 * fewer requests in flight than this; past it each frame is refused with `too-busy` (and counts as
 * invalid, so a flood ends with close 1008).
 */
export const MAX_PENDING_FRAMES_PER_SOCKET = 64;

/** Albums one websocket may follow at once. */
export const MAX_SUBSCRIPTIONS_PER_SOCKET = 1024;

/**
 * Bytes the relay may hold unsent for one socket. Catch-up pauses above CATCH_UP_HIGH_WATER_BYTES
 * until the socket drains; a live subscriber that falls behind past MAX_SOCKET_BUFFERED_BYTES is
 * closed with 1013 and resubscribes from the last seq it holds.
 */
export const CATCH_UP_HIGH_WATER_BYTES = 1 * MiB;
export const MAX_SOCKET_BUFFERED_BYTES = 16 * MiB;

/** Stream items the relay reads from its database per catch-up page. */
export const CATCH_UP_PAGE_ITEMS = 256;
