// The device's database (Dexie over IndexedDB): what this device keeps between visits.

import Dexie, { type DexieOptions, type EntityTable } from 'dexie';

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

export const DEFAULT_DEVICE_DATABASE = 'tessera';

export class TesseraDB extends Dexie {
	declare session: EntityTable<SessionRecord, 'id'>;
	declare deviceKey: EntityTable<DeviceKeyRecord, 'id'>;

	constructor(name: string = DEFAULT_DEVICE_DATABASE, options?: DexieOptions) {
		super(name, options);
		// Later issues add tables (albums, entries, outbox, ...) as version(2), version(3), ...;
		// a version block is never edited once shipped.
		this.version(1).stores({
			session: 'id',
			deviceKey: 'id'
		});
	}
}

export function openDeviceDatabase(name?: string, options?: DexieOptions): TesseraDB {
	return new TesseraDB(name, options);
}
