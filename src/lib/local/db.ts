// The device's database (Dexie over IndexedDB): what this device keeps between visits.

import Dexie, { type DexieOptions, type EntityTable, type Table } from 'dexie';
import type { Envelope, Role, StreamItem, MembershipEntry } from '../protocol';

/** Bytes sealed by the device key (AES-GCM 256): a fresh 12-byte IV and the ciphertext with tag. */
export interface DeviceSealed {
	iv: Uint8Array;
	ciphertext: Uint8Array;
}

/** The non-extractable WebCrypto key that seals this device's secrets; one row, id 'device'. */
export interface DeviceKeyRecord {
	id: 'device';
	key: CryptoKey;
	createdAt: string;
}

/** The signed-in account as this device remembers it. Secrets are only ever stored sealed. */
export interface SessionRecord {
	id: 'current';
	sessionId: string;
	account: {
		id: string;
		email: string;
		plan: { id: string; name: string; sharing: boolean };
		quotaBytes: number | null;
		usageBytes: number;
		createdAt: string;
	};
	/** base64url, as the relay and the directory give them. */
	publicKeys: { boxPk: string; signPk: string };
	/** The account's Argon2id params and salt (public: the relay hands them to anyone who asks). */
	kdf: { salt: string; opsLimit: number; memLimit: number };
	sealed: {
		token: DeviceSealed;
		masterKey: DeviceSealed;
		boxSecretKey: DeviceSealed;
		signSeed: DeviceSealed;
	};
	savedAt: string;
}

/** An album this device follows: how far it has read the album's log, and the head it verified. */
export interface AlbumRecord {
	albumId: string;
	/** The last album seq applied (0: nothing yet). Entries and this move in one transaction. */
	lastSeq: number;
	/** The membership head this device verified; it never moves back (rollback refused). */
	head: { index: number; hash: string } | null;
	/** This device's role at the head, or null when it is no longer a member. */
	role: Role | null;
	epoch: number;
	updatedAt: number;
	/**
	 * An album created on this device while offline: its signed genesis, not yet sequenced by the
	 * relay. The album opens from it at once; the genesis is appended when a connection comes.
	 */
	pendingGenesis?: MembershipEntry;
}

/** A signed item of an album's log as the relay sequenced it: the source of truth on the device. */
export interface EntryRecord {
	albumId: string;
	seq: number;
	/** '' for membership entries, else the envelope's docId (lets a doc's entries be compacted). */
	docId: string;
	/** The wire item exactly as received: a membership entry or an update/snapshot envelope. */
	item: StreamItem;
}

/** A doc's compacted Yjs state (encodeStateAsUpdateV2), sealed by the device key. */
export interface DocStateRecord {
	albumId: string;
	docId: string;
	/** The album seq this state includes everything up to (later entries are replayed on open). */
	covers: number;
	state: DeviceSealed;
	/** Updates and their bytes applied since the doc's last snapshot on the relay. */
	sinceSnapshot: { updates: number; bytes: number };
}

/** A local write waiting for the relay's ack, in the order it was made. */
export interface OutboxRecord {
	/** Auto-increment: the send order. */
	id?: number;
	albumId: string;
	docId: string;
	/** The Yjs update sealed by the device key, kept so it can be re-sealed after a rotation. */
	update: DeviceSealed;
	/** The envelope as last sealed; resending the same bytes is idempotent (relay dedupe). */
	envelope: Envelope;
	/**
	 * Blob ids the update adds (its new PhotoRefs'), sent with every post of it so the relay binds
	 * them to the album. Not indexed: rows written before it simply have none.
	 */
	blobs?: string[];
	createdAt: number;
}

/** Where an upload stands; `uploading` rows found at start-up are resumed (the tab was closed). */
export type UploadState = 'queued' | 'uploading' | 'paused' | 'done' | 'failed';

/** What a blob is to its photo: each has its own stream key (docs/transfer.md). */
export type BlobKind = 'original' | 'thumb' | 'preview';

/**
 * One encrypted upload in the queue (docs/transfer.md). The plaintext is a copy kept as an
 * immutable Blob, and `streamHeader` was made once for it: together with the stream key they
 * re-derive the exact same ciphertext on every retry, so the relay's offset is always valid.
 */
export interface UploadRecord {
	/** Local id of the queue entry (random). */
	id: string;
	/** The blob id the relay will store it under (base64url of 16 random bytes). */
	blobId: string;
	/** Uploads added together (one import), for overall progress. */
	group: string;
	purpose: BlobKind;
	state: UploadState;
	/** The plaintext; dropped (null) once the relay has the whole blob. */
	file: Blob | null;
	/** The 24-byte secretstream header from init_push, made once per blob. Not secret. */
	streamHeader: Uint8Array;
	/** Plaintext bytes per encrypted chunk. */
	chunkSize: number;
	/** The blob's stream key, sealed by the device key; null once done. */
	streamKey: DeviceSealed | null;
	/** The tus upload URL once the relay created the upload; kept so a reload resumes it. */
	uploadUrl: string | null;
	/** Ciphertext bytes the relay has acknowledged. */
	bytesSent: number;
	/** Ciphertext size (encryptedSize of the plaintext). */
	total: number;
	error: { code: string; message: string } | null;
	createdAt: number;
	updatedAt: number;
}

/** A downloaded blob kept on the device: the ciphertext as fetched, decrypted on every read. */
export interface BlobCacheRecord {
	blobId: string;
	kind: BlobKind;
	bytes: Blob;
	size: number;
	lastUsedAt: number;
	/** Albums the user keeps on this device that hold this blob: never evicted while any does. */
	keptFor?: string[];
}

/**
 * A person this account shared with, pinned on first use (I6): the keys the directory served the
 * first time, until the user compares a new Verification ID and accepts it.
 */
export interface PinRecord {
	/** Normalised as the relay normalises it (lower case). */
	email: string;
	signPk: string;
	boxPk: string;
	pinnedAt: number;
	/** When the user said they compared the Verification ID out of band; null for plain TOFU. */
	verifiedAt: number | null;
}

/** A view kept to show at once on the next start (the Library's first screen), sealed. */
export interface ViewRecord {
	key: string;
	sealed: DeviceSealed;
	savedAt: number;
}

/** A blob to free on the relay: its photo was deleted for good (src/lib/transfer/blob-deletions.ts). */
export interface BlobDeletionRecord {
	blobId: string;
	/** The album the photo left (the library): the one binding the relay may drop with the blob. */
	albumId: string;
	queuedAt: number;
}

export const DEFAULT_DEVICE_DATABASE = 'tessera';

export class TesseraDB extends Dexie {
	declare session: EntityTable<SessionRecord, 'id'>;
	declare deviceKey: EntityTable<DeviceKeyRecord, 'id'>;
	declare albums: EntityTable<AlbumRecord, 'albumId'>;
	declare entries: Table<EntryRecord, [string, number]>;
	declare docState: Table<DocStateRecord, [string, string]>;
	declare outbox: EntityTable<OutboxRecord, 'id'>;
	declare uploads: EntityTable<UploadRecord, 'id'>;
	declare blobs: EntityTable<BlobCacheRecord, 'blobId'>;
	declare pins: EntityTable<PinRecord, 'email'>;
	declare views: EntityTable<ViewRecord, 'key'>;
	declare blobDeletions: EntityTable<BlobDeletionRecord, 'blobId'>;

	constructor(name: string = DEFAULT_DEVICE_DATABASE, options?: DexieOptions) {
		super(name, options);
		// Later issues add tables (albums, entries, outbox, ...) as version(2), version(3), ...;
		// a version block is never edited once shipped.
		this.version(1).stores({
			session: 'id',
			deviceKey: 'id'
		});
		// Album streams (docs/album-stream.md, "Sync on the device").
		this.version(2).stores({
			albums: 'albumId',
			entries: '[albumId+seq], [albumId+docId+seq]',
			docState: '[albumId+docId]',
			outbox: '++id, albumId'
		});
		// Encrypted uploads and the blob cache (docs/transfer.md).
		this.version(3).stores({
			uploads: 'id, blobId, state, group, createdAt',
			blobs: 'blobId, [kind+lastUsedAt]'
		});
		// Identity pins of the people this account shares with (docs/sharing.md).
		this.version(4).stores({ pins: 'email, signPk' });
		// The Library's first screen, shown while the library opens (src/lib/library/first-screen.ts).
		this.version(5).stores({ views: 'key' });
		// Blobs of photos deleted for good, to free on the relay (src/lib/transfer/blob-deletions.ts).
		this.version(6).stores({ blobDeletions: 'blobId, queuedAt' });
	}
}

export function openDeviceDatabase(name?: string, options?: DexieOptions): TesseraDB {
	return new TesseraDB(name, options);
}
