// Blob storage: the BlobStore interface and FolderBlobStore, which writes durably into a folder.

import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { fromBase64Url, isBlobId } from '../../src/lib/protocol';

/** A blob id that does not match the strict blobId format; the HTTP layer answers 400. */
export class InvalidBlobIdError extends Error {
	readonly code = 'invalid-blob-id';
	constructor() {
		super('The blob id is not valid: it must be base64url of 16 to 32 bytes.');
		this.name = 'InvalidBlobIdError';
	}
}

/** A blob larger than the caller allowed; nothing was stored. */
export class BlobTooLargeError extends Error {
	readonly code = 'blob-too-large';
	constructor(readonly maxBytes: number) {
		super(`The blob is larger than ${maxBytes} bytes.`);
		this.name = 'BlobTooLargeError';
	}
}

/** An inclusive byte range, as in HTTP `Range: bytes=start-end`. */
export interface ByteRange {
	start: number;
	end: number;
}

export interface BlobRead {
	stream: Readable;
	/** Size of the whole blob. */
	size: number;
}

export type BlobSource =
	AsyncIterable<Uint8Array> | Iterable<Uint8Array> | ReadableStream<Uint8Array>;

export interface BlobStore {
	/** Stores the blob under `id`, replacing any earlier one only once it is fully written. */
	put(id: string, source: BlobSource, options?: { maxBytes?: number }): Promise<{ size: number }>;
	/**
	 * Takes a finished file (a completed upload) as the blob `id`: afterwards `file` is gone and
	 * the blob is durably in the store. Replaces any earlier blob of that id. `synced`: the caller
	 * fsynced the file after its last write, so only the move is left to make durable.
	 */
	adopt(id: string, file: string, options?: { synced?: boolean }): Promise<{ size: number }>;
	/** Opens the blob (or one range of it), or null when there is none. */
	get(id: string, range?: ByteRange): Promise<BlobRead | null>;
	stat(id: string): Promise<{ size: number } | null>;
	/** Removes the blob; false when there was none. */
	delete(id: string): Promise<boolean>;
}

const TEMP_DIR = '.tmp';
const TEMP_SUFFIX = '.part';

/**
 * Blobs as files under `dir`, named by the hex of their id's bytes and sharded by its first byte
 * (dir/ab/abcd...). Hex rather than the id itself keeps ids that differ only in letter case apart
 * on case-insensitive file systems. Writes go to dir/.tmp (same file system), are fsynced, renamed
 * into place and the directory fsynced, so a blob is either wholly there or not at all.
 */
export class FolderBlobStore implements BlobStore {
	private constructor(readonly dir: string) {}

	/** Creates the folder if needed and removes temp files left by an interrupted write. */
	static async open(dir: string): Promise<FolderBlobStore> {
		const root = path.resolve(dir);
		await fsp.mkdir(path.join(root, TEMP_DIR), { recursive: true });
		const store = new FolderBlobStore(root);
		await store.removeTempFiles();
		return store;
	}

	/** The file a blob lives in; throws InvalidBlobIdError for anything but a strict blobId. */
	pathOf(id: string): string {
		if (!isBlobId(id)) throw new InvalidBlobIdError();
		const hex = Buffer.from(fromBase64Url(id)).toString('hex');
		return path.join(this.dir, hex.slice(0, 2), hex);
	}

	async put(
		id: string,
		source: BlobSource,
		options: { maxBytes?: number } = {}
	): Promise<{ size: number }> {
		const target = this.pathOf(id);
		const tempName = `${randomBytes(12).toString('hex')}${TEMP_SUFFIX}`;
		const temp = path.join(this.dir, TEMP_DIR, tempName);
		const maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY;
		let size = 0;
		const file = await fsp.open(temp, 'wx', 0o600);
		try {
			try {
				for await (const chunk of chunksOf(source)) {
					size += chunk.byteLength;
					if (size > maxBytes) throw new BlobTooLargeError(maxBytes);
					await file.write(chunk);
				}
				await file.sync();
			} finally {
				await file.close();
			}
			const shard = path.dirname(target);
			if ((await fsp.mkdir(shard, { recursive: true })) !== undefined) await syncDir(this.dir);
			await fsp.rename(temp, target);
			await syncDir(shard);
			return { size };
		} catch (error) {
			await fsp.rm(temp, { force: true });
			throw error;
		}
	}

	/**
	 * Moves `file` into place by rename when it is on the same file system (no copy of a possibly
	 * huge file), else streams it in through put() and removes it. Either way its bytes are fsynced
	 * before its name moves, and both directories after, so a crash leaves the blob either in the
	 * store whole or still at `file`.
	 */
	async adopt(
		id: string,
		file: string,
		options: { synced?: boolean } = {}
	): Promise<{ size: number }> {
		const target = this.pathOf(id);
		const source = path.resolve(file);
		const size = options.synced ? (await fsp.stat(source)).size : await syncFile(source);
		const shard = path.dirname(target);
		if ((await fsp.mkdir(shard, { recursive: true })) !== undefined) await syncDir(this.dir);
		try {
			await fsp.rename(source, target);
		} catch (error) {
			if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
			const copied = await this.put(id, fs.createReadStream(source) as AsyncIterable<Buffer>);
			await fsp.rm(source, { force: true });
			await syncDir(path.dirname(source));
			return copied;
		}
		// Both entries of the rename, flushed side by side.
		await Promise.all([syncDir(shard), syncDir(path.dirname(source))]);
		return { size };
	}

	async get(id: string, range?: ByteRange): Promise<BlobRead | null> {
		const file = this.pathOf(id);
		let handle: fsp.FileHandle;
		try {
			handle = await fsp.open(file, 'r');
		} catch (error) {
			if (isNotFound(error)) return null;
			throw error;
		}
		try {
			// Size and content come from the same open file, so a concurrent replace cannot mix them.
			const { size } = await handle.stat();
			if (range && (range.start < 0 || range.end < range.start || range.end >= size)) {
				throw new RangeError(
					`range ${range.start}-${range.end} is outside a blob of ${size} bytes`
				);
			}
			const stream = handle.createReadStream(range ? { start: range.start, end: range.end } : {});
			return { stream, size };
		} catch (error) {
			await handle.close();
			throw error;
		}
	}

	async stat(id: string): Promise<{ size: number } | null> {
		try {
			const stats = await fsp.stat(this.pathOf(id));
			return stats.isFile() ? { size: stats.size } : null;
		} catch (error) {
			if (isNotFound(error)) return null;
			throw error;
		}
	}

	async delete(id: string): Promise<boolean> {
		const file = this.pathOf(id);
		try {
			await fsp.unlink(file);
		} catch (error) {
			if (isNotFound(error)) return false;
			throw error;
		}
		await syncDir(path.dirname(file));
		return true;
	}

	private async removeTempFiles(): Promise<void> {
		const tempDir = path.join(this.dir, TEMP_DIR);
		for (const name of await fsp.readdir(tempDir)) {
			if (name.endsWith(TEMP_SUFFIX)) await fsp.rm(path.join(tempDir, name), { force: true });
		}
	}
}

async function* chunksOf(source: BlobSource): AsyncIterable<Uint8Array> {
	if (!('getReader' in source)) {
		yield* source;
		return;
	}
	const reader = source.getReader();
	try {
		for (;;) {
			const { done, value } = await reader.read();
			if (done) return;
			yield value;
		}
	} finally {
		reader.releaseLock();
	}
}

/** Flushes a file's bytes to disk; returns its size. */
async function syncFile(file: string): Promise<number> {
	const handle = await fsp.open(file, 'r+');
	try {
		await handle.sync();
		return (await handle.stat()).size;
	} finally {
		await handle.close();
	}
}

/** Makes a rename or unlink in `dir` durable. Platforms that cannot fsync a directory skip it. */
async function syncDir(dir: string): Promise<void> {
	let handle: fsp.FileHandle | undefined;
	try {
		handle = await fsp.open(dir, fs.constants.O_RDONLY);
		await handle.sync();
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code;
		if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL') throw error;
	} finally {
		await handle?.close();
	}
}

function isNotFound(error: unknown): boolean {
	const code = (error as NodeJS.ErrnoException | undefined)?.code;
	return code === 'ENOENT' || code === 'ENOTDIR';
}
