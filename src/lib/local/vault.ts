// Seals this device's secrets with a non-extractable WebCrypto key, so raw keys never sit in storage.

import type { DeviceSealed, TesseraDB } from './db';

const IV_BYTES = 12;
const ALGORITHM = { name: 'AES-GCM', length: 256 } as const;

/** A sealed value that this device cannot open: its key was wiped, or the bytes were altered. */
export class DeviceVaultError extends Error {
	readonly code = 'device-vault-unreadable';
	constructor(message = 'This device can no longer read its saved session.') {
		super(message);
		this.name = 'DeviceVaultError';
	}
}

function newDeviceKey(): Promise<CryptoKey> {
	// extractable = false: script on this origin can use the key but never read its bytes, and
	// IndexedDB's structured clone keeps it that way.
	return crypto.subtle.generateKey(ALGORITHM, false, ['encrypt', 'decrypt']);
}

/** The device key, made on first use. Two tabs racing to make one end up sharing the first stored. */
export async function deviceKey(db: TesseraDB): Promise<CryptoKey> {
	const existing = await db.deviceKey.get('device');
	if (existing) return existing.key;
	// Generated outside the transaction: IndexedDB commits a transaction that waits on other work.
	const fresh = await newDeviceKey();
	return db.transaction('rw', db.deviceKey, async () => {
		const stored = await db.deviceKey.get('device');
		if (stored) return stored.key;
		await db.deviceKey.put({ id: 'device', key: fresh, createdAt: new Date().toISOString() });
		return fresh;
	});
}

/**
 * Seals `bytes` under the device key. `purpose` is bound as additional data, so a sealed token
 * cannot be passed off as a sealed master key.
 */
export async function sealForDevice(
	db: TesseraDB,
	bytes: Uint8Array,
	purpose: string
): Promise<DeviceSealed> {
	const key = await deviceKey(db);
	const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
	const ciphertext = await crypto.subtle.encrypt(
		{ name: 'AES-GCM', iv, additionalData: new TextEncoder().encode(purpose) },
		key,
		bytes as Uint8Array<ArrayBuffer>
	);
	return { iv, ciphertext: new Uint8Array(ciphertext) };
}

export async function openOnDevice(
	db: TesseraDB,
	sealed: DeviceSealed,
	purpose: string
): Promise<Uint8Array> {
	const stored = await db.deviceKey.get('device');
	if (!stored) throw new DeviceVaultError();
	try {
		const plain = await crypto.subtle.decrypt(
			{
				name: 'AES-GCM',
				iv: sealed.iv as Uint8Array<ArrayBuffer>,
				additionalData: new TextEncoder().encode(purpose)
			},
			stored.key,
			sealed.ciphertext as Uint8Array<ArrayBuffer>
		);
		return new Uint8Array(plain);
	} catch {
		throw new DeviceVaultError();
	}
}

/** Wipes the device key: everything it sealed becomes unreadable, even to a copy of the database. */
export async function forgetDeviceKey(db: TesseraDB): Promise<void> {
	await db.deviceKey.delete('device');
}
