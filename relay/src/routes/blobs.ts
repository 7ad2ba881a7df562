// GET|HEAD /api/blobs/:id: encrypted blobs, whole or by Range, always as opaque octets, to their uploader and the members of albums they are bound to; DELETE by their uploader.

import type { ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { ApiErrorCode, BlobDeleteQuerySchema, isBlobId } from '../../../src/lib/protocol';
import type { ByteRange } from '../blobs';
import { sendApiError } from '../responses';
import { authenticate } from './auth';
import { checkInput, queryOf } from './json-body';
import type { ApiRequest, ApiRoute } from './route';

const PREFIX = '/api/blobs/';

/**
 * Blobs are ciphertext, so the relay cannot tell who may read one from its content; it goes by
 * who uploaded it and where it is bound (docs/uploads.md, "Blob access"). A blob is served to the
 * account that uploaded it (its library), and to every current member of a live album it is bound
 * to (`album_blobs`, written with the posts that add its PhotoRef). Everyone else gets the same
 * 404 as for a blob that does not exist, before the store is even asked, so the answer tells an
 * outsider holding an id nothing. Once someone is removed from an album, its blobs stop being
 * served to them (I3), but for those they uploaded or another album of theirs holds too.
 */
export const blobRoute: ApiRoute = {
	methods: ['GET', 'HEAD', 'DELETE'],
	match: (rawPath) => (rawPath.startsWith(PREFIX) ? { rawId: rawPath.slice(PREFIX.length) } : null),
	async handle(request) {
		const { req, res, params, ctx } = request;
		const authenticated = authenticate(request);
		if (!authenticated) return;
		const { account } = authenticated;
		let id: string;
		try {
			id = decodeURIComponent(params.rawId ?? '');
		} catch {
			return sendApiError(
				res,
				400,
				ApiErrorCode.malformedUrl,
				'The blob id is not valid percent-encoding.'
			);
		}
		if (!isBlobId(id)) {
			return sendApiError(
				res,
				400,
				ApiErrorCode.invalidBlobId,
				'The blob id is not valid: it must be base64url of 16 to 32 bytes.'
			);
		}
		if (req.method === 'DELETE') return deleteBlob(request, account.id, id);
		const reader = { accountId: account.id, signPk: account.publicKeys.signPk };
		if (!ctx.albums.store.blobReadable(id, reader)) return notFound(res);
		const stat = await ctx.blobs.stat(id);
		if (!stat) return notFound(res);

		res.setHeader('Content-Type', 'application/octet-stream');
		res.setHeader('X-Content-Type-Options', 'nosniff');
		res.setHeader('Cache-Control', 'private, no-store');
		res.setHeader('Accept-Ranges', 'bytes');

		const range = parseRange(req.headers.range, stat.size);
		if (range === 'unsatisfiable') {
			res.setHeader('Content-Range', `bytes */${stat.size}`);
			return sendApiError(
				res,
				416,
				ApiErrorCode.rangeNotSatisfiable,
				`The requested range is outside the blob (${stat.size} bytes).`
			);
		}
		if (range) {
			res.statusCode = 206;
			res.setHeader('Content-Range', `bytes ${range.start}-${range.end}/${stat.size}`);
			res.setHeader('Content-Length', range.end - range.start + 1);
		} else {
			res.statusCode = 200;
			res.setHeader('Content-Length', stat.size);
		}
		if (req.method === 'HEAD') return void res.end();

		const blob = await ctx.blobs.get(id, range ?? undefined);
		if (!blob) return notFound(res);
		await pipeline(blob.stream, res);
	}
};

/** One answer for "no such blob" and "not yours to read": no oracle for ids. */
function notFound(res: ServerResponse): void {
	sendApiError(res, 404, ApiErrorCode.blobNotFound, 'There is no such blob.');
}

/**
 * One `bytes=` range resolved against `size`. Syntax the relay does not serve (several ranges,
 * other units, garbage) is ignored as RFC 9110 §14.2 allows, and the whole blob is sent.
 */
export function parseRange(
	header: string | undefined,
	size: number
): ByteRange | 'unsatisfiable' | null {
	if (!header) return null;
	const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
	if (!match) return null;
	const [, first = '', last = ''] = match;
	if (first === '' && last === '') return null;
	if (first === '') {
		const suffix = Number(last);
		if (suffix === 0 || size === 0) return 'unsatisfiable';
		return { start: Math.max(0, size - suffix), end: size - 1 };
	}
	const start = Number(first);
	const end = last === '' ? Number.POSITIVE_INFINITY : Number(last);
	if (end < start) return null;
	if (start >= size) return 'unsatisfiable';
	return { start, end: Math.min(end, size - 1) };
}

/**
 * DELETE /api/blobs/:id[?album=<albumId>]: the uploader frees a blob whose photo it deleted for
 * good, naming the album the photo left (its library). 204 once the blob is gone (its size off the
 * uploader's usage); 409 blob-in-use when another album binds it (a copy of the photo may live
 * there), and it is kept; 404 for a blob that is not the caller's, as for one that does not exist.
 */
async function deleteBlob(request: ApiRequest, accountId: string, blobId: string): Promise<void> {
	const { req, res, ctx } = request;
	const album = queryOf(req).get('album');
	const query = checkInput(res, BlobDeleteQuerySchema, album === null ? {} : { album });
	if (!query) return;
	const records = ctx.uploads.records;
	const deletion = records.deleteBlob(accountId, blobId, query.album ?? null);
	if (deletion.result === 'not-found') return notFound(res);
	if (deletion.result === 'in-use') {
		return sendApiError(
			res,
			409,
			ApiErrorCode.blobInUse,
			'Another album holds this blob (a copy of the photo may be there), so it was kept.'
		);
	}
	await records.durable();
	// The row is gone first: a crash before the file goes leaves bytes no one can name, never a
	// row whose bytes are missing.
	try {
		await ctx.blobs.delete(blobId);
	} catch (error) {
		ctx.logger.error({ err: error, blobId }, 'deleting a blob file failed');
	}
	res.statusCode = 204;
	res.end();
}
