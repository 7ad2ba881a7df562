// The crypto half of the membership chain: entry hashes, album ids, entry signatures.

import { fromBase64Url, getSodium, isValidSignature, signDetached, toBase64Url } from '../crypto';
import {
	HASH_BYTES,
	membershipHashBytes,
	membershipSigningBytes,
	type MembershipEntry,
	type UnsignedMembershipEntry
} from '../protocol';
import {
	albumIdFromDigest,
	albumIdPreimage,
	type AlbumIdInputs
} from '../protocol/membership-rules';

/** BLAKE2b-256 of the entry's membership-hash bytes: what the next entry's `prev` holds. */
export async function hashMembershipEntry(entry: MembershipEntry): Promise<Uint8Array> {
	const sodium = await getSodium();
	return sodium.crypto_generichash(HASH_BYTES, membershipHashBytes(entry), null);
}

/** BLAKE2b-256 of the album id preimage; the album id is the start of it (albumIdFromDigest). */
export async function albumIdDigest(genesis: AlbumIdInputs): Promise<Uint8Array> {
	const sodium = await getSodium();
	return sodium.crypto_generichash(HASH_BYTES, albumIdPreimage(genesis), null);
}

/** The album id that a genesis with these fields must carry. */
export async function deriveAlbumId(genesis: AlbumIdInputs): Promise<string> {
	return albumIdFromDigest(await albumIdDigest(genesis));
}

/** Signs an entry with the signer's Ed25519 secret key; `entry.by` must be its public half. */
export async function signMembershipEntry<E extends UnsignedMembershipEntry>(
	entry: E,
	signSecretKey: Uint8Array
): Promise<E & { sig: string }> {
	const sig = await signDetached(membershipSigningBytes(entry), signSecretKey);
	return { ...entry, sig: toBase64Url(sig) };
}

/** Whether `entry.sig` is `entry.by`'s signature of the rest of the entry. */
export async function hasValidMembershipSignature(entry: MembershipEntry): Promise<boolean> {
	const { sig, ...unsigned } = entry;
	return isValidSignature(
		fromBase64Url(sig),
		membershipSigningBytes(unsigned as UnsignedMembershipEntry),
		fromBase64Url(entry.by)
	);
}
