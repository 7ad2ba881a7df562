// Runs Argon2id in a fresh module worker per request; ending the worker frees its 128 MiB at once.

import { AccountError } from './errors';
import type { KdfWorkerReply, KdfWorkerRequest, PasswordKdf } from './kdf';

/** The name of the performance measure each derivation records (tests and diagnostics read it). */
export const ARGON2ID_MEASURE = 'tessera:argon2id';

let nextId = 1;

export const workerPasswordKdf: PasswordKdf = (request) =>
	new Promise((resolve, reject) => {
		const worker = new Worker(new URL('./kdf.worker.ts', import.meta.url), { type: 'module' });
		const id = nextId++;
		worker.onmessage = (event: MessageEvent<KdfWorkerReply>) => {
			const reply = event.data;
			if (reply.id !== id) return;
			worker.terminate();
			if (!reply.ok) {
				reject(new AccountError(reply.code, reply.message));
				return;
			}
			const end = performance.now();
			performance.measure(ARGON2ID_MEASURE, {
				start: end - reply.ms,
				end,
				detail: { opsLimit: reply.params.opsLimit, memLimit: reply.params.memLimit }
			});
			resolve({ key: reply.key, params: reply.params, ms: reply.ms });
		};
		worker.onerror = (event) => {
			worker.terminate();
			reject(
				new AccountError(
					'kdf-failed',
					`This device could not secure the password${event.message ? `: ${event.message}` : '.'}`
				)
			);
		};
		const message: KdfWorkerRequest = { id, ...request };
		worker.postMessage(message);
	});
