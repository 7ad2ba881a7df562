// Temporary folders for tests, under the OS temp dir, removed afterwards.

import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export async function makeTempDir(label = 'tessera'): Promise<string> {
	return fs.mkdtemp(path.join(os.tmpdir(), `${label}-`));
}

export async function removeTempDir(dir: string): Promise<void> {
	await fs.rm(dir, { recursive: true, force: true });
}

/** Every file and folder under `dir`, as paths relative to it, sorted. */
export async function listTree(dir: string): Promise<string[]> {
	const entries = await fs.readdir(dir, { recursive: true });
	return entries.map(String).sort();
}
