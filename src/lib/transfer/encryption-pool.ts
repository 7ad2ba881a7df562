// The encryption workers of the upload queue: started on demand, shared by the uploads, ended when idle.

import type { EncryptReply, EncryptWorkerPort } from './encrypt-messages';
import { serveEncryption } from './encrypt-service';
import { PipelinedFileSource, type OpenBlobInput } from './pipelined-source';

export type { OpenBlobInput };

export interface EncryptionPoolOptions {
	/** Makes one worker; a module Worker in browsers, the in-thread stand-in where there is none. */
	createWorker?: () => EncryptWorkerPort;
	/** Workers at most (default 1: one core seals ~400 MB/s, more than an upload link carries). */
	workers?: number;
	/** A worker with no open blob for this long is ended, freeing libsodium's memory (default 10 s). */
	idleMs?: number;
}

interface WorkerSlot {
	port: EncryptWorkerPort;
	/** It answered at least once: it started, so a later failure is a crash, not "cannot start". */
	answered: boolean;
	sources: Map<number, PipelinedFileSource>;
	idleTimer: ReturnType<typeof setTimeout> | undefined;
}

/** True where a page can start module workers (browsers); false in Node, where tests run. */
function hasWorkers(): boolean {
	return typeof Worker !== 'undefined';
}

function defaultCreateWorker(): EncryptWorkerPort {
	if (!hasWorkers()) return inThreadEncryptWorker();
	return new Worker(new URL('./encrypt.worker.ts', import.meta.url), {
		type: 'module',
		name: 'tessera-encrypt'
	});
}

/**
 * The worker's service run on the calling thread, behind the same messages (cloned with their
 * transfers, as postMessage does, and delivered as microtasks, in order): the pipeline and its
 * bytes are the same, only the sealing shares the thread. Used where no worker can be started.
 */
export function inThreadEncryptWorker(): EncryptWorkerPort {
	let ended = false;
	const port: EncryptWorkerPort = {
		onmessage: null,
		onerror: null,
		postMessage(message, transfer) {
			// A clone with the transfers made, as postMessage does: what was moved is gone here too.
			const moved = structuredClone(message, { transfer });
			queueMicrotask(() => {
				if (!ended) handle(moved);
			});
		},
		terminate() {
			ended = true;
		}
	};
	const handle = serveEncryption((reply, transfer) => {
		const moved = structuredClone(reply, { transfer });
		queueMicrotask(() => {
			if (!ended) port.onmessage?.({ data: moved } as MessageEvent<EncryptReply>);
		});
	});
	return port;
}

export class EncryptionPool {
	#createWorker: () => EncryptWorkerPort;
	readonly #maxWorkers: number;
	readonly #idleMs: number;
	readonly #slots: WorkerSlot[] = [];
	#nextStream = 1;

	constructor(options: EncryptionPoolOptions = {}) {
		this.#createWorker = options.createWorker ?? defaultCreateWorker;
		this.#maxWorkers = Math.max(1, Math.floor(options.workers ?? 1));
		this.#idleMs = options.idleMs ?? 10_000;
	}

	/** The encrypted blob of `plaintext`, sealed by the least busy worker ahead of its reader. */
	open(input: OpenBlobInput): PipelinedFileSource {
		const slot = this.#slot();
		clearTimeout(slot.idleTimer);
		slot.idleTimer = undefined;
		const stream = this.#nextStream++;
		const source = new PipelinedFileSource({
			...input,
			stream,
			channel: {
				send: (request, transfer = []) => slot.port.postMessage(request, transfer),
				release: (id) => this.#release(slot, id)
			}
		});
		slot.sources.set(stream, source);
		return source;
	}

	/** Ends every worker; open blobs fail their next read. */
	terminate(): void {
		for (const slot of this.#slots.splice(0)) this.#end(slot, 'The upload queue stopped.');
	}

	#slot(): WorkerSlot {
		const least = this.#slots.reduce<WorkerSlot | undefined>(
			(best, slot) => (best && best.sources.size <= slot.sources.size ? best : slot),
			undefined
		);
		if (least && (least.sources.size === 0 || this.#slots.length >= this.#maxWorkers)) return least;
		const slot: WorkerSlot = {
			port: this.#createWorker(),
			answered: false,
			sources: new Map(),
			idleTimer: undefined
		};
		slot.port.onmessage = (event) => {
			slot.answered = true;
			this.#deliver(slot, event.data);
		};
		slot.port.onerror = (event) => {
			// A crashed worker fails its blobs (the queue opens them again) and is replaced. One
			// that never answered could not start here (a blocked script, no module workers): from
			// then on this thread seals, which is slower but uploads.
			if (!slot.answered) this.#createWorker = inThreadEncryptWorker;
			const index = this.#slots.indexOf(slot);
			if (index >= 0) this.#slots.splice(index, 1);
			this.#end(slot, event.message ?? '');
		};
		this.#slots.push(slot);
		return slot;
	}

	#deliver(slot: WorkerSlot, reply: EncryptReply): void {
		slot.sources.get(reply.stream)?.deliver(reply);
	}

	#release(slot: WorkerSlot, stream: number): void {
		slot.sources.delete(stream);
		if (slot.sources.size > 0 || !this.#slots.includes(slot)) return;
		clearTimeout(slot.idleTimer);
		slot.idleTimer = setTimeout(() => {
			if (slot.sources.size > 0) return;
			const index = this.#slots.indexOf(slot);
			if (index >= 0) this.#slots.splice(index, 1);
			this.#end(slot, '');
		}, this.#idleMs);
		// An idle timer must not keep a Node process (a test, a bench) alive.
		(slot.idleTimer as { unref?: () => void }).unref?.();
	}

	#end(slot: WorkerSlot, message: string): void {
		clearTimeout(slot.idleTimer);
		slot.port.onmessage = null;
		slot.port.onerror = null;
		slot.port.terminate();
		for (const source of slot.sources.values()) source.fail(message);
		slot.sources.clear();
	}
}
