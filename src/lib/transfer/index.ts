// Public API of transfers: the encrypted, resumable upload queue, decrypting downloads and the blob cache.

export {
	TransferError,
	QuotaExceededError,
	SessionEndedError,
	transferErrorOf,
	STORAGE_FULL_MESSAGE,
	SESSION_ENDED_MESSAGE,
	type TransferErrorCode
} from './errors';
export { type TokenProvider, type RelayEndpoint, UPLOADS_PATH, BLOBS_PATH } from './relay-http';
export {
	UploadQueue,
	newTransferId,
	toTransferError,
	UPLOAD_REQUEST_BYTES,
	UPLOAD_RETRY_DELAYS,
	DEFAULT_UPLOAD_CONCURRENCY,
	type UploadQueueOptions,
	type AddUploadInput,
	type UploadSummary,
	type UploadSnapshot,
	type UploadEvent,
	type UploadListener,
	type TransferProgress
} from './upload-queue';
export {
	BlobDownloader,
	DOWNLOAD_RETRY_DELAYS,
	type BlobDownloaderOptions,
	type DownloadOptions,
	type CachedReadOptions
} from './downloads';
export { BlobCache, DEFAULT_BLOB_CACHE_LIMITS, type BlobCacheLimits } from './blob-cache';
export {
	BlobDeletions,
	BLOB_DELETION_RETRY_MS,
	type BlobDeletionsOptions,
	type BlobDeletionsState
} from './blob-deletions';
export { encryptedFileReader, type CiphertextSource } from './tus-source';
export {
	EncryptionPool,
	inThreadEncryptWorker,
	type EncryptionPoolOptions,
	type OpenBlobInput
} from './encryption-pool';
export { PipelinedFileSource } from './pipelined-source';
export type { EncryptWorkerPort, EncryptRequest, EncryptReply } from './encrypt-messages';
