// The relay database's schema, as an ordered list of migrations; append new ones, never edit old ones.

export interface Migration {
	version: number;
	name: string;
	sql: string;
}

/**
 * Migration 1 holds the album stream (DESIGN "The album stream"): albums with their membership head
 * and the last album-wide seq handed out, the membership chain, stored doc envelopes, the newest
 * snapshot per doc, and blobs with their album bindings. Accounts, sessions and link records come
 * with the issues that fill them. Every row stores ciphertext or public metadata only (ids, keys,
 * counters, sizes, times); signed items are stored as the JSON text the author sent.
 */
export const MIGRATIONS: readonly Migration[] = [
	{
		version: 1,
		name: 'album stream and blobs',
		sql: `
CREATE TABLE albums (
	album_id    TEXT PRIMARY KEY,
	-- position and hash of the newest membership entry (the chain head)
	head_index  INTEGER NOT NULL,
	head_hash   BLOB NOT NULL,
	-- the current epoch; envelopes under older epochs are refused
	epoch       INTEGER NOT NULL,
	-- the last album-wide seq given to an entry or envelope; seqs start at 1
	last_seq    INTEGER NOT NULL DEFAULT 0,
	created_at  INTEGER NOT NULL,
	deleted_at  INTEGER
) STRICT;

CREATE TABLE membership_entries (
	album_id     TEXT NOT NULL REFERENCES albums (album_id) ON DELETE CASCADE,
	chain_index  INTEGER NOT NULL,
	seq          INTEGER NOT NULL,
	hash         BLOB NOT NULL,
	signer       TEXT NOT NULL,
	op           TEXT NOT NULL,
	entry        TEXT NOT NULL,
	received_at  INTEGER NOT NULL,
	PRIMARY KEY (album_id, chain_index),
	UNIQUE (album_id, seq)
) STRICT;

CREATE TABLE envelopes (
	album_id     TEXT NOT NULL REFERENCES albums (album_id) ON DELETE CASCADE,
	seq          INTEGER NOT NULL,
	doc_id       TEXT NOT NULL,
	epoch        INTEGER NOT NULL,
	signer       TEXT NOT NULL,
	-- hash of the envelope, so a resent envelope is acknowledged with its first seq
	hash         BLOB NOT NULL,
	envelope     TEXT NOT NULL,
	received_at  INTEGER NOT NULL,
	PRIMARY KEY (album_id, seq),
	UNIQUE (album_id, hash)
) STRICT;

CREATE INDEX envelopes_by_doc ON envelopes (album_id, doc_id, seq);

CREATE TABLE snapshots (
	album_id     TEXT NOT NULL REFERENCES albums (album_id) ON DELETE CASCADE,
	doc_id       TEXT NOT NULL,
	seq          INTEGER NOT NULL,
	-- the album seq the snapshot covers; updates of this doc at or below it may be dropped
	covers       INTEGER NOT NULL,
	epoch        INTEGER NOT NULL,
	signer       TEXT NOT NULL,
	hash         BLOB NOT NULL,
	envelope     TEXT NOT NULL,
	received_at  INTEGER NOT NULL,
	PRIMARY KEY (album_id, doc_id)
) STRICT;

CREATE TABLE blobs (
	blob_id     TEXT PRIMARY KEY,
	size        INTEGER NOT NULL,
	created_at  INTEGER NOT NULL
) STRICT;

-- which albums may serve a blob (access) and whose storage it counts against (accounting)
CREATE TABLE album_blobs (
	album_id  TEXT NOT NULL REFERENCES albums (album_id) ON DELETE CASCADE,
	blob_id   TEXT NOT NULL REFERENCES blobs (blob_id) ON DELETE CASCADE,
	bound_at  INTEGER NOT NULL,
	PRIMARY KEY (album_id, blob_id)
) STRICT;

CREATE INDEX album_blobs_by_blob ON album_blobs (blob_id);
`
	},
	{
		version: 2,
		name: 'accounts, sessions, email codes',
		// Accounts hold only what a device cannot keep secret from the relay anyway: the KDF salt and
		// params, slow hashes of authKey and recoveryAuthKey, keys wrapped on the device, public keys,
		// and the plan. Session tokens and email codes are stored as SHA-256 digests.
		sql: `
CREATE TABLE accounts (
	account_id              TEXT PRIMARY KEY,
	-- normalised (trimmed, lower-cased)
	email                   TEXT NOT NULL UNIQUE,
	-- null while the sign-up waits for its email code
	verified_at             INTEGER,
	kdf_salt                BLOB NOT NULL,
	kdf_ops                 INTEGER NOT NULL,
	kdf_mem                 INTEGER NOT NULL,
	-- crypto_pwhash_str (Argon2id) strings
	auth_hash               TEXT NOT NULL,
	recovery_auth_hash      TEXT NOT NULL,
	-- wrapped on the device (secretbox); opaque here
	master_key_by_password  BLOB NOT NULL,
	master_key_by_recovery  BLOB NOT NULL,
	box_secret_key          BLOB NOT NULL,
	sign_seed               BLOB NOT NULL,
	box_pk                  BLOB NOT NULL,
	sign_pk                 BLOB NOT NULL,
	plan                    TEXT NOT NULL,
	-- null = unlimited
	quota_bytes             INTEGER,
	usage_bytes             INTEGER NOT NULL DEFAULT 0,
	created_at              INTEGER NOT NULL
) STRICT;

CREATE TABLE email_codes (
	account_id   TEXT PRIMARY KEY REFERENCES accounts (account_id) ON DELETE CASCADE,
	code_hash    BLOB NOT NULL,
	expires_at   INTEGER NOT NULL,
	attempts     INTEGER NOT NULL DEFAULT 0,
	sent_at      INTEGER NOT NULL
) STRICT;

CREATE TABLE sessions (
	session_id    TEXT PRIMARY KEY,
	account_id    TEXT NOT NULL REFERENCES accounts (account_id) ON DELETE CASCADE,
	token_hash    BLOB NOT NULL UNIQUE,
	device_name   TEXT NOT NULL,
	created_at    INTEGER NOT NULL,
	last_seen_at  INTEGER NOT NULL
) STRICT;

CREATE INDEX sessions_by_account ON sessions (account_id);

-- the relay's own secrets (e.g. the key that derives fake log-in params for unknown emails)
CREATE TABLE relay_secrets (
	name        TEXT PRIMARY KEY,
	secret      BLOB NOT NULL,
	created_at  INTEGER NOT NULL
) STRICT;
`
	},
	{
		version: 3,
		name: 'album owners and envelope receipts',
		// The owner's account decides whether an album may be shared (its plan); it is the account that
		// appended the genesis. Receipts remember every stored envelope's hash and seq for good, so a
		// resend is acknowledged with its first seq even after compaction dropped the envelope.
		sql: `
ALTER TABLE albums ADD COLUMN owner_account_id TEXT REFERENCES accounts (account_id) ON DELETE SET NULL;

CREATE TABLE envelope_receipts (
	album_id  TEXT NOT NULL REFERENCES albums (album_id) ON DELETE CASCADE,
	-- BLAKE2b-256 of the envelope's signing bytes
	hash      BLOB NOT NULL,
	seq       INTEGER NOT NULL,
	PRIMARY KEY (album_id, hash)
) STRICT, WITHOUT ROWID;
`
	},
	{
		version: 4,
		name: 'blob owners and resumable uploads',
		// A blob counts against the storage of the account that uploaded it (accounts.usage_bytes is
		// the sum of its blobs' sizes, kept in step in the transaction that records a blob). An upload
		// in flight reserves its declared length against the same quota until it finishes, is
		// terminated or expires; its bytes live in DATA_DIR/uploads/<upload_id>. Only ids, sizes and
		// times are stored: nothing about what the blob is.
		sql: `
ALTER TABLE blobs ADD COLUMN owner_account_id TEXT REFERENCES accounts (account_id) ON DELETE SET NULL;

CREATE INDEX blobs_by_owner ON blobs (owner_account_id);

CREATE TABLE uploads (
	upload_id         TEXT PRIMARY KEY,
	owner_account_id  TEXT NOT NULL REFERENCES accounts (account_id) ON DELETE CASCADE,
	-- the blob the finished upload becomes; at most one upload per blob id at a time
	blob_id           TEXT NOT NULL UNIQUE,
	-- the declared Upload-Length
	size              INTEGER NOT NULL,
	created_at        INTEGER NOT NULL,
	expires_at        INTEGER NOT NULL
) STRICT;

CREATE INDEX uploads_by_owner ON uploads (owner_account_id);
CREATE INDEX uploads_by_expiry ON uploads (expires_at);
`
	},
	{
		version: 5,
		name: 'album members',
		// Who is in each album now, kept in step with the membership chain in the transaction that
		// appends each entry: what `list-albums` answers a device that has just signed in (its
		// library, the albums shared with it). Signing keys and roles only: the relay already reads
		// them in every entry.
		sql: `
CREATE TABLE album_members (
	album_id  TEXT NOT NULL REFERENCES albums (album_id) ON DELETE CASCADE,
	sign_pk   TEXT NOT NULL,
	role      TEXT NOT NULL,
	PRIMARY KEY (album_id, sign_pk)
) STRICT;

CREATE INDEX album_members_by_member ON album_members (sign_pk);
`
	},
	{
		version: 6,
		name: 'notifications',
		// What the notification centre shows an account: album id, event type and times, all of which
		// the relay already sees in the stream. `seq` is the album seq of the newest event in the row,
		// so a resent entry or envelope (acked with its first seq) is not counted twice. A `photos`
		// batch that grows is re-inserted with a new id, so ids order rows by their last activity and
		// "read up to id" never covers events the reader has not seen. The sign_pk index maps the
		// members named in entries (base64url) to their accounts (raw bytes).
		sql: `
CREATE TABLE notifications (
	id          INTEGER PRIMARY KEY,
	account_id  TEXT NOT NULL REFERENCES accounts (account_id) ON DELETE CASCADE,
	album_id    TEXT NOT NULL,
	type        TEXT NOT NULL,
	created_at  INTEGER NOT NULL,
	updated_at  INTEGER NOT NULL,
	count       INTEGER NOT NULL DEFAULT 1,
	seq         INTEGER,
	read_at     INTEGER
) STRICT;

CREATE INDEX notifications_by_account ON notifications (account_id, id);
CREATE INDEX accounts_by_sign_pk ON accounts (sign_pk);
`
	},
	{
		version: 7,
		name: 'invites',
		// Invites of people without an account (docs/sharing-invites.md): the invitee's normalised
		// email, the album id and role, and the inviter's signature over them (with its signed_at).
		// The relay learns the email and the album; never the album's name. A pending invite is
		// accepted when an account verifies that email, and completed once a manager's device has
		// added the new account to the chain. Expired pending invites are deleted.
		sql: `
CREATE TABLE invites (
	invite_id            TEXT PRIMARY KEY,
	album_id             TEXT NOT NULL REFERENCES albums (album_id) ON DELETE CASCADE,
	-- normalised (trimmed, lower-cased) like accounts.email
	email                TEXT NOT NULL,
	role                 TEXT NOT NULL CHECK (role IN ('viewer', 'collaborator', 'admin')),
	-- base64url, as in the membership chain
	inviter_sign_pk      TEXT NOT NULL,
	inviter_account_id   TEXT NOT NULL REFERENCES accounts (account_id) ON DELETE CASCADE,
	-- Ed25519 over tessera/v1/invite + {albumId, email, role, signedAt}
	signature            BLOB NOT NULL,
	signed_at            INTEGER NOT NULL,
	created_at           INTEGER NOT NULL,
	expires_at           INTEGER NOT NULL,
	accepted_account_id  TEXT REFERENCES accounts (account_id) ON DELETE CASCADE,
	accepted_at          INTEGER,
	completed_at         INTEGER
) STRICT;

CREATE INDEX invites_by_album ON invites (album_id, created_at);
CREATE INDEX invites_by_email ON invites (email);
CREATE INDEX invites_by_expiry ON invites (expires_at) WHERE accepted_at IS NULL;
`
	},
	{
		version: 8,
		name: 'blob bindings before uploads',
		// A post binds the blobs its update references to the album in the transaction that stores
		// it (docs/uploads.md, "Blob access"), usually before the upload that creates the blob has
		// finished: so album_blobs.blob_id no longer references blobs. The table is rebuilt (SQLite
		// cannot drop a constraint), keeping its rows; the index on (blob_id, album_id) answers
		// "may this member read this blob" from the index alone.
		sql: `
CREATE TABLE album_blobs_v8 (
	album_id  TEXT NOT NULL REFERENCES albums (album_id) ON DELETE CASCADE,
	-- a blob id; the blob may not be uploaded yet
	blob_id   TEXT NOT NULL,
	bound_at  INTEGER NOT NULL,
	PRIMARY KEY (album_id, blob_id)
) STRICT, WITHOUT ROWID;

INSERT INTO album_blobs_v8 (album_id, blob_id, bound_at)
	SELECT album_id, blob_id, bound_at FROM album_blobs;
DROP TABLE album_blobs;
ALTER TABLE album_blobs_v8 RENAME TO album_blobs;

CREATE INDEX album_blobs_by_blob ON album_blobs (blob_id, album_id);
`
	},
	{
		version: 9,
		name: 'envelopes without a second hash index',
		// envelope_receipts (album_id, hash) already refuses a second copy of an envelope, in the
		// transaction that stores it, and outlives compaction; the UNIQUE (album_id, hash) index on
		// envelopes checked the same thing again and cost a B-tree insert per post (about a quarter
		// of the SQLite work of storing one). The table is rebuilt without it (SQLite cannot drop a
		// table constraint), keeping every row, its rowid and the index catch-up and compaction use.
		sql: `
CREATE TABLE envelopes_v9 (
	album_id     TEXT NOT NULL REFERENCES albums (album_id) ON DELETE CASCADE,
	seq          INTEGER NOT NULL,
	doc_id       TEXT NOT NULL,
	epoch        INTEGER NOT NULL,
	signer       TEXT NOT NULL,
	-- hash of the envelope's signing bytes; envelope_receipts is what dedupes resends
	hash         BLOB NOT NULL,
	envelope     TEXT NOT NULL,
	received_at  INTEGER NOT NULL,
	PRIMARY KEY (album_id, seq)
) STRICT;

INSERT INTO envelopes_v9 (rowid, album_id, seq, doc_id, epoch, signer, hash, envelope, received_at)
	SELECT rowid, album_id, seq, doc_id, epoch, signer, hash, envelope, received_at FROM envelopes;
DROP TABLE envelopes;
ALTER TABLE envelopes_v9 RENAME TO envelopes;

CREATE INDEX envelopes_by_doc ON envelopes (album_id, doc_id, seq);
`
	},
	{
		version: 10,
		name: 'snapshots in several parts',
		// A doc state over one envelope's cap is posted as a set of parts (docs/album-stream.md,
		// "Snapshots"). Every part is stored as it comes, with its seq, in snapshot_parts: those of
		// the doc's stored set (the one `snapshots` names) and those of at most one set still being
		// posted. When the last part of a set is stored, in that transaction, the set becomes the
		// doc's snapshot: `snapshots` names it (set_id, no envelope of its own: its parts are the
		// envelopes), the parts of the set it replaces are deleted, and so are the doc's updates it
		// covers. A one-envelope snapshot keeps its envelope in `snapshots`, as before (set_id NULL);
		// stored snapshots are kept as they are.
		sql: `
CREATE TABLE snapshots_v10 (
	album_id     TEXT NOT NULL REFERENCES albums (album_id) ON DELETE CASCADE,
	doc_id       TEXT NOT NULL,
	-- the seq of the snapshot's envelope, or of the part that completed its set
	seq          INTEGER NOT NULL,
	covers       INTEGER NOT NULL,
	epoch        INTEGER NOT NULL,
	signer       TEXT NOT NULL,
	hash         BLOB NOT NULL,
	-- the envelope of a one-envelope snapshot; NULL for a set of parts (snapshot_parts has them)
	envelope     TEXT,
	set_id       TEXT,
	part_count   INTEGER,
	received_at  INTEGER NOT NULL,
	PRIMARY KEY (album_id, doc_id),
	CHECK ((set_id IS NULL) = (envelope IS NOT NULL)),
	CHECK ((set_id IS NULL) = (part_count IS NULL))
) STRICT;

INSERT INTO snapshots_v10 (album_id, doc_id, seq, covers, epoch, signer, hash, envelope, received_at)
	SELECT album_id, doc_id, seq, covers, epoch, signer, hash, envelope, received_at FROM snapshots;
DROP TABLE snapshots;
ALTER TABLE snapshots_v10 RENAME TO snapshots;

CREATE TABLE snapshot_parts (
	album_id     TEXT NOT NULL REFERENCES albums (album_id) ON DELETE CASCADE,
	seq          INTEGER NOT NULL,
	doc_id       TEXT NOT NULL,
	set_id       TEXT NOT NULL,
	part_index   INTEGER NOT NULL,
	part_count   INTEGER NOT NULL,
	covers       INTEGER NOT NULL,
	epoch        INTEGER NOT NULL,
	signer       TEXT NOT NULL,
	hash         BLOB NOT NULL,
	envelope     TEXT NOT NULL,
	received_at  INTEGER NOT NULL,
	PRIMARY KEY (album_id, seq),
	UNIQUE (album_id, doc_id, set_id, part_index)
) STRICT;
`
	}
];
