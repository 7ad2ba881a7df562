// Relay ingest: tus uploads from a Node client to the relay in its own process, against writing the same bytes to disk with fsync.

import { randomBytes } from 'node:crypto';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { seedAccount } from '../tests/integration/helpers/stream';
import { makeTempDir, removeTempDir } from '../tests/integration/helpers/temp';
import {
	createUpload,
	newBlobId,
	patchUpload,
	tusUpload
} from '../tests/integration/uploads/helpers';
import { startChildServer } from './baselines/child';
import {
	defineBenchmark,
	figure,
	measureInterleaved,
	median,
	megabytesPerSecond,
	type Figure
} from './lib';

const MiB = 1024 * 1024;
/** 200 MB in four files, each uploaded as the app would: one tus upload per encrypted file. */
const FILES = 4;
const FILE_BYTES = 50 * MiB;
/** The disk's speed swings from run to run on a shared machine: enough runs for a steady median. */
const RUNS = 9;
const BASELINE = 'fs write + fsync';

/** The floor: the same files written straight to disk, each fsynced, no HTTP and no relay. */
async function writeFiles(dir: string, files: readonly Buffer[]): Promise<void> {
	await fsp.mkdir(dir, { recursive: true });
	for (const data of files) {
		const file = path.join(dir, randomBytes(8).toString('hex'));
		const handle = await fsp.open(file, 'wx', 0o600);
		try {
			await handle.write(data);
			await handle.sync();
		} finally {
			await handle.close();
		}
	}
	// Both sides delete what they wrote within the timed call (the same cost on each side), so
	// runs do not fill the disk.
	await fsp.rm(dir, { recursive: true, force: true });
}

export default defineBenchmark('ingest', async (): Promise<Figure[]> => {
	const root = await makeTempDir('tessera-bench-ingest');
	const dataDir = path.join(root, 'data');
	const files = Array.from({ length: FILES }, () => randomBytes(FILE_BYTES));
	const total = FILES * FILE_BYTES;
	const account = await seedAccount(dataDir, 'bench');
	const relay = await startChildServer('relay/src/main.ts', {
		PORT: '0',
		HOST: '127.0.0.1',
		LOG_LEVEL: 'info',
		DATA_DIR: dataDir,
		APP_DIR: path.join(root, 'no-app')
	});

	const port = Number(new URL(relay.url).port);
	const dropBlobs = async () => {
		// Dropped like the baseline's files (see writeFiles).
		await fsp.rm(path.join(dataDir, 'blobs'), { recursive: true, force: true });
		await fsp.mkdir(path.join(dataDir, 'blobs', '.tmp'), { recursive: true });
	};

	/** The relay's CPU milliseconds (all its threads) per round of uploads, printed beside the figures. */
	const relayCpu = { bare: [] as number[], tusJs: [] as number[] };
	const counted = (upload: () => Promise<void>, into: number[]) => async () => {
		const before = relay.cpuMs();
		await upload();
		into.push(relay.cpuMs() - before);
	};

	/** The relay's own cost: a bare tus client sends each file as one POST and one PATCH. */
	const uploadBare = async () => {
		for (const data of files) {
			const created = await createUpload(port, account.token, newBlobId(), data.length);
			const location = created.headers.location;
			if (created.status !== 201 || !location) throw new Error(`POST: ${created.status}`);
			const patched = await patchUpload(port, account.token, location, 0, data);
			if (patched.status !== 204) throw new Error(`PATCH: ${patched.status} ${patched.text}`);
		}
		await dropBlobs();
	};

	/** As the app uploads: tus-js-client, 16 MiB per PATCH (each one fsynced by the relay). */
	const uploadWithTusJs = async () => {
		for (const data of files) {
			const outcome = await tusUpload(data, {
				token: account.token,
				endpoint: `${relay.url}/api/uploads`,
				metadata: { blobId: newBlobId() },
				chunkSize: 16 * MiB
			});
			if (!outcome.ok) throw outcome.error;
		}
		await dropBlobs();
	};
	const baseline = () => writeFiles(path.join(root, 'baseline'), files);

	try {
		// A relay in production has long been warm: one more round for its JIT before measuring.
		await uploadBare();
		const bare = await measureInterleaved(baseline, counted(uploadBare, relayCpu.bare), RUNS);
		const tusJs = await measureInterleaved(
			baseline,
			counted(uploadWithTusJs, relayCpu.tusJs),
			RUNS
		);
		const rate = (samples: number[]) => megabytesPerSecond(total, median(samples));
		console.log(
			`ingest: relay CPU per ${(total / 1e6).toFixed(0)} MB (all its threads, median of ${RUNS + 1}): ` +
				`bare tus ${median(relayCpu.bare).toFixed(0)} ms, ` +
				`tus-js-client ${median(relayCpu.tusJs).toFixed(0)} ms`
		);
		return [
			figure({
				name: 'ingest.tus.200MB',
				unit: 'MB/s',
				value: rate(bare.ours),
				baseline: BASELINE,
				baselineValue: rate(bare.baseline),
				target: { of: 'ratio', op: '>=', bound: 0.7 },
				runs: RUNS
			}),
			figure({
				name: 'ingest.tus-js-client.200MB.16MiB-chunks',
				unit: 'MB/s',
				value: rate(tusJs.ours),
				baseline: BASELINE,
				baselineValue: rate(tusJs.baseline),
				target: { of: 'ratio', op: '>=', bound: 0.7 },
				runs: RUNS
			})
		];
	} finally {
		await relay.stop();
		await removeTempDir(root);
	}
});
