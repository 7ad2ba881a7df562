// The websocket endpoint: hello, ping, validation errors, frame size, flood limit, heartbeats.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
	MAX_INVALID_FRAMES_PER_SOCKET,
	MAX_WS_FRAME_BYTES,
	PROTOCOL_VERSION,
	toBase64Url
} from '../../../src/lib/protocol';
import { startTestRelay, type TestRelay } from '../helpers/relay';
import { connect, type TestSocket } from '../helpers/ws';

let relay: TestRelay;
beforeAll(async () => {
	relay = await startTestRelay();
});
afterAll(async () => {
	await relay?.stop();
});

async function expectPong(client: TestSocket, id: string): Promise<void> {
	client.send({ t: 'ping', id });
	expect(await client.next()).toEqual({ t: 'pong', id });
}

describe('a websocket client', () => {
	it('is greeted with hello stating the protocol and the frame limit', async () => {
		const client = await connect(relay.url);
		expect(client.hello).toEqual({
			t: 'hello',
			protocol: PROTOCOL_VERSION,
			relayVersion: expect.stringMatching(/^\d+\.\d+\.\d+/),
			maxFrameBytes: MAX_WS_FRAME_BYTES
		});
		client.socket.close();
	});

	it('gets pong for ping, with its id echoed', async () => {
		const client = await connect(relay.url);
		await expectPong(client, 'p1');
		client.send({ t: 'ping' });
		expect(await client.next()).toEqual({ t: 'pong' });
		client.socket.close();
	});

	it('cannot connect on another path', async () => {
		await expect(connect(relay.url, { path: '/socket' })).rejects.toThrow(/HTTP 404/);
	});
});

describe('invalid frames', () => {
	it('malformed JSON gets an error frame and the socket keeps working', async () => {
		const client = await connect(relay.url);
		client.sendRaw('{"t":"ping"');
		const error = await client.next();
		expect(error).toMatchObject({ t: 'error', code: 'invalid-json' });
		expect(error.t === 'error' && error.message).toMatch(/not valid JSON/);
		await expectPong(client, 'after-bad-json');
		client.socket.close();
	});

	it('a schema-invalid frame gets an error naming the field, with the id echoed', async () => {
		const client = await connect(relay.url);
		client.send({ t: 'subscribe', id: 's1', albumId: '../../etc/passwd', since: 0 });
		const error = await client.next();
		expect(error).toMatchObject({ t: 'error', id: 's1', code: 'invalid-message' });
		expect(error.t === 'error' && error.message).toMatch(/^albumId: /);

		client.send({ t: 'teleport' });
		const unknown = await client.next();
		expect(unknown.t === 'error' && unknown.message).toMatch(/^t: must be one of/);

		client.send({ t: 'ping', extra: 'x'.repeat(10_000) });
		const extra = await client.next();
		expect(extra.t === 'error' && extra.message).toMatch(/^extra: is not an allowed field/);

		await expectPong(client, 'still-open');
		client.socket.close();
	});

	it('a binary frame is refused and the socket keeps working', async () => {
		const client = await connect(relay.url);
		client.sendRaw(Buffer.from('{"t":"ping"}'), { binary: true });
		expect(await client.next()).toMatchObject({ t: 'error', code: 'binary-not-supported' });
		await expectPong(client, 'after-binary');
		client.socket.close();
	});

	it('a client that floods invalid frames is closed with 1008', async () => {
		const client = await connect(relay.url);
		for (let i = 0; i <= MAX_INVALID_FRAMES_PER_SOCKET; i++) client.sendRaw('nope');
		const { code, reason } = await client.closed;
		expect(code).toBe(1008);
		expect(reason).toMatch(/too many invalid/);
		// It was answered up to the limit, then cut off.
		expect(client.pending()).toBe(MAX_INVALID_FRAMES_PER_SOCKET);
	});

	it('a few invalid frames do not close the socket', async () => {
		const client = await connect(relay.url);
		for (let i = 0; i < 10; i++) client.sendRaw('nope');
		for (let i = 0; i < 10; i++)
			expect(await client.next()).toMatchObject({ code: 'invalid-json' });
		await expectPong(client, 'fine');
		client.socket.close();
	});
});

describe('frame size', () => {
	it('an oversized frame closes that socket with 1009; another client is unaffected', async () => {
		const bystander = await connect(relay.url);
		const sender = await connect(relay.url);
		sender.sendRaw('x'.repeat(MAX_WS_FRAME_BYTES + 1));
		const { code } = await sender.closed;
		expect(code).toBe(1009);
		await expectPong(bystander, 'bystander');
		bystander.socket.close();
	});

	it('a frame at the limit is read (and judged on its content)', async () => {
		const client = await connect(relay.url);
		const padding = MAX_WS_FRAME_BYTES - '{"t":"ping","id":""}'.length;
		client.sendRaw(`{"t":"ping","id":"${'a'.repeat(padding)}"}`);
		const error = await client.next();
		expect(error).toMatchObject({ t: 'error', code: 'invalid-message' });
		expect(error.t === 'error' && error.message).toMatch(/^id: /);
		client.socket.close();
	});
});

describe('album stream messages', () => {
	it('are validated, then refused until the socket authenticates', async () => {
		const client = await connect(relay.url);
		const albumId = toBase64Url(new Uint8Array(16).fill(3));
		client.send({ t: 'subscribe', id: 'sub', albumId, since: 0 });
		expect(await client.next()).toMatchObject({ t: 'error', id: 'sub', code: 'unauthenticated' });
		client.send({ t: 'unsubscribe', albumId });
		expect(await client.next()).toMatchObject({ t: 'error', code: 'unauthenticated' });
		client.socket.close();
	});
});

describe('heartbeats', () => {
	it('keep live clients and drop clients that stop answering pings', async () => {
		const fast = await startTestRelay({ WS_HEARTBEAT_MS: '20' });
		try {
			const live = await connect(fast.url);
			const silent = await connect(fast.url, { autoPong: false });
			let pings = 0;
			live.socket.on('ping', () => (pings += 1));

			const { code } = await silent.closed;
			// terminate() cuts the TCP connection without a close frame.
			expect(code).toBe(1006);

			await new Promise<void>((resolve) => {
				const onPing = () => {
					if (pings >= 5) {
						live.socket.off('ping', onPing);
						resolve();
					}
				};
				live.socket.on('ping', onPing);
			});
			expect(live.socket.readyState).toBe(live.socket.OPEN);
			await expectPong(live, 'alive');
			live.socket.close();
		} finally {
			await fast.stop();
		}
	});
});
