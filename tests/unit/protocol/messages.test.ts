// Spec of the websocket frames and their parsers: every frame checked, every failure explained.

import { describe, expect, it } from 'vitest';
import {
	parseClientMessage,
	parseServerMessage,
	type ClientMessage,
	type ServerMessage
} from '../../../src/lib/protocol';
import { albumId, b64, entries, envelopes } from './fixtures';

const clientFrames: ClientMessage[] = [
	{ t: 'ping' },
	{ t: 'ping', id: 'req-1' },
	{ t: 'subscribe', id: 'a.b:c_d-1', albumId, since: 0 },
	{ t: 'unsubscribe', albumId },
	{ t: 'append-membership', id: '7', entry: entries.add },
	{ t: 'post', envelope: envelopes.update },
	{ t: 'post', envelope: envelopes.snapshot },
	{ t: 'ephemeral', envelope: envelopes.ephemeral }
];

const serverFrames: ServerMessage[] = [
	{ t: 'hello', protocol: 1, relayVersion: '0.1.0', maxFrameBytes: 2097152 },
	{ t: 'pong', id: 'x' },
	{ t: 'ack', id: 'x', albumId, seq: 12 },
	{ t: 'entry', albumId, seq: 1, item: { type: 'membership', entry: entries.create } },
	{ t: 'entry', albumId, seq: 2, item: { type: 'envelope', envelope: envelopes.update } },
	{ t: 'entry', albumId, seq: null, item: { type: 'envelope', envelope: envelopes.ephemeral } },
	{ t: 'error', code: 'not-implemented', message: 'later' }
];

describe('parseClientMessage', () => {
	it.each(clientFrames.map((f) => [f.t, f] as const))('accepts a well-formed %s', (_t, frame) => {
		expect(parseClientMessage(JSON.stringify(frame))).toEqual({ ok: true, msg: frame });
	});

	it.each([
		['truncated JSON', '{"t":"ping"', 'invalid-json', 'not valid JSON'],
		['an empty frame', '', 'invalid-json', 'not valid JSON'],
		['a JSON array', '[1,2]', 'invalid-message', 'must be a JSON object'],
		['a JSON string', '"ping"', 'invalid-message', 'must be a JSON object'],
		['null', 'null', 'invalid-message', 'must be a JSON object'],
		['no t', '{}', 'invalid-message', 't: is missing'],
		['an unknown t', '{"t":"shout"}', 'invalid-message', 't: must be one of ping, subscribe'],
		['a server frame', '{"t":"pong"}', 'invalid-message', 't: must be one of'],
		['an extra field', '{"t":"ping","x":1}', 'invalid-message', 'x: is not an allowed field'],
		['a bad id', '{"t":"ping","id":""}', 'invalid-message', 'id: must be 1 to 64'],
		['an over-long id', `{"t":"ping","id":"${'a'.repeat(65)}"}`, 'invalid-message', 'id:'],
		[
			'a bad albumId',
			'{"t":"subscribe","albumId":"../x","since":0}',
			'invalid-message',
			'albumId:'
		],
		[
			'a negative since',
			`{"t":"subscribe","albumId":"${albumId}","since":-1}`,
			'invalid-message',
			'since: must not be negative'
		],
		[
			'a string since',
			`{"t":"subscribe","albumId":"${albumId}","since":"0"}`,
			'invalid-message',
			'since:'
		],
		[
			'an ephemeral envelope in a post',
			JSON.stringify({ t: 'post', envelope: envelopes.ephemeral }),
			'invalid-message',
			'envelope: kind must be update or snapshot'
		],
		[
			'a stored envelope sent as ephemeral',
			JSON.stringify({ t: 'ephemeral', envelope: envelopes.update }),
			'invalid-message',
			'envelope: kind must be ephemeral'
		],
		[
			'an oversized ciphertext',
			JSON.stringify({ t: 'post', envelope: { ...envelopes.update, ct: 'A'.repeat(1_500_000) } }),
			'too-large',
			'envelope.ct: is too long'
		],
		[
			'an entry with an unknown op',
			JSON.stringify({ t: 'append-membership', entry: { ...entries.role, op: 'steal' } }),
			'invalid-message',
			'entry.op: must be one of'
		]
	])('refuses %s with a message naming the field', (_why, raw, code, message) => {
		const result = parseClientMessage(raw);
		expect(result.ok).toBe(false);
		if (result.ok) return;
		expect(result.code).toBe(code);
		expect(result.message).toContain(message);
	});

	it('keeps error messages short even for huge input', () => {
		const huge = JSON.stringify({ t: 'x'.repeat(1_000_000) });
		const result = parseClientMessage(huge);
		expect(result.ok).toBe(false);
		if (!result.ok) expect(result.message.length).toBeLessThan(400);
	});

	it('echoes a usable request id on failure, and only a usable one', () => {
		const withId = parseClientMessage('{"t":"subscribe","id":"r1"}');
		expect(withId).toMatchObject({ ok: false, id: 'r1' });
		const badId = parseClientMessage('{"t":"subscribe","id":{"x":1}}');
		expect(badId.ok).toBe(false);
		expect('id' in badId).toBe(false);
	});

	it('never throws, whatever it is given', () => {
		const nasty = [
			'{"__proto__":{"t":"ping"}}',
			'['.repeat(100_000),
			'\u0000',
			'{"t":"ping"}x',
			'1e999'
		];
		for (const raw of nasty) expect(() => parseClientMessage(raw)).not.toThrow();
		expect(parseClientMessage('{"__proto__":{"t":"ping"}}').ok).toBe(false);
	});
});

describe('parseServerMessage', () => {
	it.each(serverFrames.map((f, i) => [`${f.t} #${i}`, f] as const))('accepts %s', (_t, frame) => {
		expect(parseServerMessage(JSON.stringify(frame))).toEqual({ ok: true, msg: frame });
	});

	it.each([
		['a client frame', { t: 'subscribe', albumId, since: 0 }, 't: must be one of hello'],
		['an error with a free-text code', { t: 'error', code: 'Not Found', message: 'x' }, 'code:'],
		['an ack without seq', { t: 'ack', albumId }, 'seq: is missing'],
		[
			'a stored entry without seq',
			{ t: 'entry', albumId, seq: null, item: { type: 'envelope', envelope: envelopes.update } },
			'seq must be null exactly for ephemeral'
		],
		[
			'an ephemeral envelope with a seq',
			{ t: 'entry', albumId, seq: 3, item: { type: 'envelope', envelope: envelopes.ephemeral } },
			'seq must be null exactly for ephemeral'
		],
		[
			'a forged entry with a bad signature size',
			{
				t: 'entry',
				albumId,
				seq: 1,
				item: { type: 'membership', entry: { ...entries.create, sig: b64(10) } }
			},
			'item.entry.sig:'
		]
	])('refuses %s', (_why, frame, message) => {
		const result = parseServerMessage(JSON.stringify(frame));
		expect(result.ok).toBe(false);
		if (!result.ok) expect(result.message).toContain(message);
	});
});
