// A websocket test client that checks every relay frame with the protocol's own parser.

import WebSocket from 'ws';
import { parseServerMessage, type ServerMessage } from '../../../src/lib/protocol';

export interface TestSocket {
	socket: WebSocket;
	/** The hello the relay sent on connect. */
	hello: Extract<ServerMessage, { t: 'hello' }>;
	/** The next frame from the relay (frames are queued until asked for). */
	next(): Promise<ServerMessage>;
	send(frame: unknown): void;
	sendRaw(data: string | Buffer, options?: { binary?: boolean }): void;
	/** Resolves with the close code and reason once the socket closes. */
	closed: Promise<{ code: number; reason: string }>;
	/** Frames received and not yet taken with next(). */
	pending(): number;
}

export async function connect(
	url: string,
	options: { path?: string; autoPong?: boolean } = {}
): Promise<TestSocket> {
	const socket = new WebSocket(url.replace(/^http/, 'ws') + (options.path ?? '/ws'), {
		autoPong: options.autoPong ?? true
	});
	const queue: ServerMessage[] = [];
	const waiting: { resolve: (m: ServerMessage) => void; reject: (e: Error) => void }[] = [];
	let failure: Error | null = null;

	const fail = (error: Error) => {
		failure ??= error;
		for (const w of waiting.splice(0)) w.reject(failure);
	};
	socket.on('message', (data: Buffer, isBinary) => {
		if (isBinary) return fail(new Error('the relay sent a binary frame'));
		const parsed = parseServerMessage(data.toString('utf8'));
		if (!parsed.ok) return fail(new Error(`the relay sent an invalid frame: ${parsed.message}`));
		const waiter = waiting.shift();
		if (waiter) waiter.resolve(parsed.msg);
		else queue.push(parsed.msg);
	});
	const closed = new Promise<{ code: number; reason: string }>((resolve) => {
		socket.on('close', (code, reason) => {
			fail(new Error(`socket closed (${code})`));
			resolve({ code, reason: reason.toString('utf8') });
		});
	});
	socket.on('error', () => {
		// Surfaced through `closed` and rejected next() calls.
	});

	const next = () =>
		new Promise<ServerMessage>((resolve, reject) => {
			const queued = queue.shift();
			if (queued) return resolve(queued);
			if (failure) return reject(failure);
			waiting.push({ resolve, reject });
		});

	await new Promise<void>((resolve, reject) => {
		socket.once('open', () => resolve());
		socket.once('unexpected-response', (_req, res) =>
			reject(new Error(`upgrade refused with HTTP ${res.statusCode}`))
		);
		socket.once('error', reject);
	});
	const hello = await next();
	if (hello.t !== 'hello') throw new Error(`expected hello first, got ${hello.t}`);

	return {
		socket,
		hello,
		next,
		send: (frame) => socket.send(JSON.stringify(frame)),
		sendRaw: (data, opts) => socket.send(data, { binary: opts?.binary ?? false }),
		closed,
		pending: () => queue.length
	};
}
