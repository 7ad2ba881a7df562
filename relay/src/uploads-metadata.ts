// Reads the creation headers of an upload (Upload-Length, Upload-Metadata) as the upload contract allows them.

import { isBlobId } from '../../src/lib/protocol';

/** The one metadata key the app sends: nothing about the file itself ever reaches the relay (I1). */
export const BLOB_ID_METADATA_KEY = 'blobId';

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const PRINTABLE_KEY = /^[\x21-\x7e]{1,40}$/;

/** Upload-Length as a byte count: a plain non-negative integer, nothing else. */
export function parseUploadLength(header: string | undefined): Parsed<number> {
	const value = /^\d{1,16}$/.test(header ?? '') ? Number(header) : Number.NaN;
	if (!Number.isSafeInteger(value)) {
		return {
			ok: false,
			message: 'Upload-Length is required: the size of the encrypted file in bytes.'
		};
	}
	return { ok: true, value };
}

/**
 * The blob id from `Upload-Metadata: blobId <base64 of the id>`. Any other key is refused rather
 * than ignored, so a client that starts sending file names or types learns at once that it must not.
 */
export function parseUploadMetadata(header: string | undefined): Parsed<{ blobId: string }> {
	const missing = `Upload-Metadata must carry ${BLOB_ID_METADATA_KEY}: the blob's id, base64url of 16 random bytes.`;
	if (!header?.trim()) return { ok: false, message: missing };
	let blobId: string | undefined;
	for (const pair of header.split(',')) {
		const [key = '', value, ...rest] = pair.trim().split(' ');
		if (key !== BLOB_ID_METADATA_KEY) {
			const shown = PRINTABLE_KEY.test(key) ? `"${key}"` : 'a key that is not printable ASCII';
			return {
				ok: false,
				message: `Upload-Metadata may only carry ${BLOB_ID_METADATA_KEY}; ${shown} is not accepted (the relay must not learn anything about the file).`
			};
		}
		if (blobId !== undefined) {
			return { ok: false, message: `Upload-Metadata carries ${BLOB_ID_METADATA_KEY} twice.` };
		}
		const decoded =
			value !== undefined && rest.length === 0 && value.length % 4 === 0 && BASE64.test(value)
				? Buffer.from(value, 'base64').toString('utf8')
				: undefined;
		if (!isBlobId(decoded)) {
			return {
				ok: false,
				message: `${BLOB_ID_METADATA_KEY} is not valid: it must be base64url of 16 to 32 random bytes.`
			};
		}
		blobId = decoded;
	}
	return blobId === undefined ? { ok: false, message: missing } : { ok: true, value: { blobId } };
}
