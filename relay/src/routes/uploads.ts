// POST /api/uploads, HEAD|PATCH|DELETE /api/uploads/:id: the relay's checks on a tus upload, then @tus/server.

import type { IncomingMessage } from 'node:http';
import { ApiErrorCode } from '../../../src/lib/protocol';
import { hasBody, sendApiError } from '../responses';
import { UPLOAD_ID_PATTERN } from '../uploads-file-store';
import { parseUploadLength, parseUploadMetadata } from '../uploads-metadata';
import { UPLOADS_PATH } from '../uploads';
import { authenticate, SESSION_ENDED_MESSAGE, type Authenticated } from './auth';
import type { ApiRequest, ApiRoute } from './route';

export const QUOTA_EXCEEDED_MESSAGE = 'Your storage is full';
const UPLOAD_NOT_FOUND_MESSAGE =
	'There is no such upload: it may have finished, expired or been cancelled.';

/** The tus version every upload response names, refusals included. */
const TUS_RESUMABLE = '1.0.0';
const ITEM_PREFIX = `${UPLOADS_PATH}/`;

/**
 * Both upload routes read the request body themselves (as a stream, through tus), so http.ts hands
 * them the request before reading any body; `request.body` is always empty here.
 */
export const uploadsRoute: ApiRoute = {
	// OPTIONS: tus discovery (Tus-Version, Tus-Extension, Tus-Max-Size), for signed-in clients.
	methods: ['POST', 'OPTIONS'],
	match: (rawPath) => (rawPath === UPLOADS_PATH ? {} : null),
	async handle(request) {
		const { req, res, ctx } = request;
		const auth = signedIn(request);
		if (!auth) return;
		if (req.method === 'OPTIONS') return ctx.uploads.handle(req, res);

		if (req.headers['upload-defer-length'] !== undefined) {
			return sendApiError(
				res,
				400,
				ApiErrorCode.invalidUploadLength,
				'Upload-Length is required: the relay does not take uploads of unknown length.'
			);
		}
		if (req.headers['upload-concat'] !== undefined || hasBody(req)) {
			return sendApiError(
				res,
				400,
				ApiErrorCode.invalidRequest,
				'Create the upload with an empty POST, then send its bytes with PATCH.'
			);
		}
		const length = parseUploadLength(header(req, 'upload-length'));
		if (!length.ok) {
			return sendApiError(res, 400, ApiErrorCode.invalidUploadLength, length.message);
		}
		if (length.value === 0) {
			return sendApiError(
				res,
				400,
				ApiErrorCode.invalidUploadLength,
				'Upload-Length is 0: an encrypted file is never empty.'
			);
		}
		const max = ctx.uploads.maxUploadBytes;
		if (length.value > max) {
			return sendApiError(
				res,
				413,
				ApiErrorCode.uploadTooLarge,
				`This file is too large: this relay takes files of up to ${formatBytes(max)}.`
			);
		}
		const metadata = parseUploadMetadata(header(req, 'upload-metadata'));
		if (!metadata.ok) {
			return sendApiError(res, 400, ApiErrorCode.invalidUploadMetadata, metadata.message);
		}

		const reservation = ctx.uploads.reserve(auth.account.id, metadata.value.blobId, length.value);
		if (!reservation.ok) {
			switch (reservation.reason) {
				case 'quota-exceeded':
					return sendApiError(res, 413, ApiErrorCode.quotaExceeded, QUOTA_EXCEEDED_MESSAGE);
				case 'blob-exists':
					return sendApiError(
						res,
						409,
						ApiErrorCode.blobExists,
						'This blob is already stored: its upload is done.'
					);
				case 'upload-in-progress':
					// Where the earlier upload is, so a client that lost its URL can resume or cancel it.
					res.setHeader('Location', `${ITEM_PREFIX}${reservation.uploadId}`);
					return sendApiError(
						res,
						409,
						ApiErrorCode.uploadInProgress,
						'This blob is already being uploaded; resume that upload (see Location).'
					);
				case 'blob-id-taken':
					return sendApiError(
						res,
						409,
						ApiErrorCode.blobIdTaken,
						'Another account uses this blob id; choose a new one.'
					);
				case 'no-account':
					return refuseSession(request);
			}
		}
		await ctx.uploads.handle(req, res, reservation.upload.id);
	}
};

export const uploadRoute: ApiRoute = {
	methods: ['HEAD', 'PATCH', 'DELETE'],
	match: (rawPath) => {
		if (!rawPath.startsWith(ITEM_PREFIX)) return null;
		return { uploadId: rawPath.slice(ITEM_PREFIX.length) };
	},
	async handle(request) {
		const { req, res, params, ctx } = request;
		const auth = signedIn(request);
		if (!auth) return;
		const uploadId = params.uploadId ?? '';
		// Another account's upload answers exactly like one that does not exist.
		const upload = UPLOAD_ID_PATTERN.test(uploadId)
			? ctx.uploads.records.findOwned(uploadId, auth.account.id)
			: undefined;
		if (!upload) {
			return sendApiError(res, 404, ApiErrorCode.uploadNotFound, UPLOAD_NOT_FOUND_MESSAGE);
		}
		// The quota may have been lowered (or the plan changed) since the upload was created.
		if (req.method === 'PATCH' && ctx.uploads.records.isOverQuota(auth.account.id)) {
			return sendApiError(res, 413, ApiErrorCode.quotaExceeded, QUOTA_EXCEEDED_MESSAGE);
		}
		// "Complete" only once the bytes are a blob: a finish that failed is retried here.
		if (req.method === 'HEAD' && (await ctx.uploads.finishIfComplete(upload))) {
			res.statusCode = 200;
			res.setHeader('Upload-Offset', upload.size);
			res.setHeader('Upload-Length', upload.size);
			res.setHeader('Cache-Control', 'no-store');
			return void res.end();
		}
		await ctx.uploads.handle(req, res);
	}
};

/**
 * The session, or undefined after a 401. An anonymous body is not worth reading: the connection
 * closes after the answer. Refusals of signed-in clients leave the body to Node, which drains it,
 * so that the client gets to read the answer (tus-js-client shows it as the upload's error).
 */
function signedIn(request: ApiRequest): Authenticated | undefined {
	const { req, res } = request;
	res.setHeader('Tus-Resumable', TUS_RESUMABLE);
	const unreadBody = hasBody(req) && !req.complete;
	if (unreadBody) res.setHeader('Connection', 'close');
	const auth = authenticate(request);
	if (!auth) {
		if (unreadBody) req.resume();
		return undefined;
	}
	if (unreadBody) res.removeHeader('Connection');
	return auth;
}

/** The account went away between authentication and reservation. */
function refuseSession({ res }: ApiRequest): void {
	res.setHeader('WWW-Authenticate', 'Bearer');
	sendApiError(res, 401, ApiErrorCode.unauthenticated, SESSION_ENDED_MESSAGE);
}

function header(req: IncomingMessage, name: string): string | undefined {
	const value = req.headers[name];
	return Array.isArray(value) ? value.join(',') : value;
}

function formatBytes(bytes: number): string {
	const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
	let value = bytes;
	let unit = 0;
	while (value >= 1024 && unit < units.length - 1 && value % 1024 === 0) {
		value /= 1024;
		unit++;
	}
	return `${value} ${units[unit]}`;
}
