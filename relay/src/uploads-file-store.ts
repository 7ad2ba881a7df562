// The tus data store: @tus/file-store with upload info kept in SQLite, each PATCH fsynced, and only the contract's extensions.

import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { FileStore, type Configstore } from '@tus/file-store';
import { ERRORS, Upload } from '@tus/server';
import type { UploadRecords } from './uploads-store';

/** The tus extensions of docs/uploads.md; no creation-defer-length, no concatenation. */
export const UPLOAD_EXTENSIONS = ['creation', 'termination', 'expiration'] as const;

/** Upload ids are 16 random bytes in hex: safe as file names on any file system. */
export const UPLOAD_ID_PATTERN = /^[0-9a-f]{32}$/;

/**
 * Upload info for tus, read from the `uploads` table instead of a JSON file beside each upload:
 * the row is written (with its owner and quota reservation) before tus creates the file, and the
 * database is durable where a bare JSON write is not.
 */
export class UploadInfoStore implements Configstore {
	constructor(private readonly records: UploadRecords) {}

	async get(id: string): Promise<Upload | undefined> {
		const record = this.records.find(id);
		if (!record) return undefined;
		return new Upload({
			id,
			size: record.size,
			offset: 0,
			metadata: { blobId: record.blobId },
			creation_date: new Date(record.createdAt).toISOString()
		});
	}

	/** tus calls this when it creates the file; the row must already be there (reserved). */
	async set(id: string, upload: Upload): Promise<void> {
		const record = this.records.find(id);
		if (!record || record.size !== upload.size) throw ERRORS.FILE_NOT_FOUND;
	}

	async delete(id: string): Promise<void> {
		this.records.release(id);
	}

	async list(): Promise<string[]> {
		return this.records.all().map((record) => record.id);
	}
}

/**
 * FileStore whose PATCH answers only once the bytes are on disk: the offset a client is told is
 * one that survives a crash of the machine, not only of the process (DESIGN I8).
 */
export class DurableFileStore extends FileStore {
	constructor(options: { directory: string; records: UploadRecords; expirationMs: number }) {
		super({
			directory: options.directory,
			configstore: new UploadInfoStore(options.records),
			expirationPeriodInMilliseconds: options.expirationMs
		});
		this.extensions = [...UPLOAD_EXTENSIONS];
	}

	/** Where the bytes of an upload are written. */
	fileOf(uploadId: string): string {
		if (!UPLOAD_ID_PATTERN.test(uploadId)) throw ERRORS.FILE_NOT_FOUND;
		return path.join(this.directory, uploadId);
	}

	/**
	 * Appends the PATCH body at `offset` through a FileAppender (big writes, flushed to disk as they
	 * go) rather than FileStore's write per socket read, and returns only once every byte is on
	 * disk. Bytes received before the client went away are kept: the upload resumes after them.
	 *
	 * The empty file tus created is not synced on its own: until a PATCH is answered, a crash that
	 * loses it loses nothing a client was told was stored (the upload is dropped at start and the
	 * client, told 404, starts again). So a PATCH from offset 0 also flushes the folder's entry for
	 * the file, while the body arrives, and answers only once both are on disk.
	 */
	override async write(readable: Readable, uploadId: string, offset: number): Promise<number> {
		const handle = await fsp.open(this.fileOf(uploadId), 'r+');
		const appender = new FileAppender(handle, offset);
		const named = offset === 0 ? settled(syncPath(this.directory)) : null;
		let failed = false;
		try {
			try {
				for await (const chunk of readable as AsyncIterable<Buffer>) await appender.add(chunk);
			} catch {
				failed = true;
			}
			await appender.finish();
			if ((await named) === false) failed = true;
		} catch {
			failed = true;
		} finally {
			await handle.close();
		}
		if (failed) throw ERRORS.FILE_WRITE_ERROR;
		return appender.position;
	}
}

/** Bytes gathered before one write: large enough that a syscall moves megabytes, not kilobytes. */
const WRITE_BATCH_BYTES = 4 * 1024 * 1024;

/** Written bytes after which a flush to disk starts in the background. */
const SYNC_AHEAD_BYTES = 16 * 1024 * 1024;

/**
 * Appends chunks to a file in batches of WRITE_BATCH_BYTES, one writev each, the next batch
 * gathering while the last is written. Every SYNC_AHEAD_BYTES it starts an fdatasync in the
 * background, so the disk works while the network still delivers and the fsync that ends a PATCH
 * only has the tail left to flush.
 */
class FileAppender {
	/** Where the next batch goes: after finish(), the new end of the upload. */
	position: number;
	private batch: Buffer[] = [];
	private batchBytes = 0;
	private writing: Promise<void> = Promise.resolve();
	private syncing: Promise<void> | null = null;
	private unsynced = 0;
	private error: unknown = null;

	constructor(
		private readonly handle: fsp.FileHandle,
		offset: number
	) {
		this.position = offset;
	}

	async add(chunk: Buffer): Promise<void> {
		this.batch.push(chunk);
		this.batchBytes += chunk.length;
		if (this.batchBytes >= WRITE_BATCH_BYTES) await this.flush();
	}

	/** Writes what is gathered and fsyncs the file; throws if any write or flush failed. */
	async finish(): Promise<void> {
		await this.flush();
		await this.writing;
		await this.syncing;
		if (this.error) throw this.error;
		await this.handle.sync();
	}

	private async flush(): Promise<void> {
		await this.writing;
		if (this.error) throw this.error;
		if (this.batchBytes === 0) return;
		const bytes = this.batchBytes;
		this.writing = writeAll(this.handle, this.batch, bytes, this.position).then(
			() => this.written(bytes),
			(error: unknown) => void (this.error ??= error)
		);
		this.position += bytes;
		this.batch = [];
		this.batchBytes = 0;
	}

	private written(bytes: number): void {
		this.unsynced += bytes;
		if (this.syncing || this.unsynced < SYNC_AHEAD_BYTES) return;
		this.unsynced = 0;
		this.syncing = this.handle.datasync().then(
			() => void (this.syncing = null),
			(error: unknown) => {
				this.error ??= error;
				this.syncing = null;
			}
		);
	}
}

/** Writes `buffers` (`length` bytes) at `position`, going on after a short write. */
async function writeAll(
	handle: fsp.FileHandle,
	buffers: Buffer[],
	length: number,
	position: number
): Promise<void> {
	const { bytesWritten } = await handle.writev(buffers, position);
	if (bytesWritten === length) return;
	const rest = Buffer.concat(buffers, length).subarray(bytesWritten);
	for (let done = 0; done < rest.length;) {
		const written = await handle.write(
			rest,
			done,
			rest.length - done,
			position + bytesWritten + done
		);
		done += written.bytesWritten;
	}
}

/** Whether `promise` fulfilled, once it settled (so a failure waits for the rest of a PATCH). */
function settled(promise: Promise<unknown>): Promise<boolean> {
	return promise.then(
		() => true,
		() => false
	);
}

async function syncPath(file: string): Promise<void> {
	const handle = await fsp.open(file, 'r');
	try {
		await handle.sync();
	} finally {
		await handle.close();
	}
}
