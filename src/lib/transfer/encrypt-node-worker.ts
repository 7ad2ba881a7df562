// Node's stand-in for the browser's encryption worker: a worker_threads thread running the same service (benches and tests).

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { EncryptReply, EncryptRequest, EncryptWorkerPort } from './encrypt-messages';

const entry = new URL('./encrypt-node-worker-entry.ts', import.meta.url).href;

/**
 * tsx's ESM API, which the thread registers before loading its TypeScript entry: the process's
 * `--import tsx` does not reach worker threads (their module hooks are their own).
 */
function tsxApi(): string {
	const require = createRequire(import.meta.url);
	const manifestPath = require.resolve('tsx/package.json');
	const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as {
		exports: Record<string, { import?: { default?: string } }>;
	};
	const file = manifest.exports['./esm/api']?.import?.default;
	if (!file) throw new Error('tsx has no ESM API to load the encryption thread with');
	return pathToFileURL(path.join(path.dirname(manifestPath), file)).href;
}

let bootstrap: string | undefined;

/**
 * A worker thread serving encryption, shaped as the page's EncryptWorkerPort. The thread does not
 * keep the process alive (unref): a finished bench or test exits without terminating it.
 */
export function createNodeEncryptWorker(): EncryptWorkerPort {
	bootstrap ??= `import(${JSON.stringify(tsxApi())})
		.then(({ register }) => { register(); return import(${JSON.stringify(entry)}); })`;
	const worker = new Worker(bootstrap, { eval: true, name: 'tessera-encrypt' });
	worker.unref();
	const port: EncryptWorkerPort = {
		onmessage: null,
		onerror: null,
		postMessage(message: EncryptRequest, transfer: Transferable[]) {
			worker.postMessage(message, transfer as ArrayBuffer[]);
		},
		terminate() {
			void worker.terminate();
		}
	};
	// Only the fields the page reads; Node has no MessageEvent or ErrorEvent to make.
	worker.on('message', (data: EncryptReply) =>
		port.onmessage?.({ data } as MessageEvent<EncryptReply>)
	);
	const failed = (message: string) => port.onerror?.({ message } as ErrorEvent);
	worker.on('error', (error: Error) => failed(error.message));
	worker.on('exit', (code) => {
		if (code !== 0) failed(`the encryption thread exited with code ${code}`);
	});
	return port;
}
