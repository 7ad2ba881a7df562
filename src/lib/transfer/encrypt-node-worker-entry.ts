// Entry of Node's encryption thread (encrypt-node-worker.ts): the browser worker's service on worker_threads.

import { parentPort } from 'node:worker_threads';
import type { EncryptRequest } from './encrypt-messages';
import { serveEncryption } from './encrypt-service';

const port = parentPort;
if (!port) throw new Error('encrypt-node-worker-entry runs only as a worker thread');
const handle = serveEncryption((reply, transfer) =>
	port.postMessage(reply, transfer as ArrayBuffer[])
);
port.on('message', (request: EncryptRequest) => handle(request));
