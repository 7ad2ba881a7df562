// With SMTP_URL set, the sign-up code goes to the mail server (a minimal SMTP server on loopback).

import net from 'node:net';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRelay, type TestRelay } from '../helpers/relay';
import { call, quickSignup } from './client';

interface Received {
	from: string;
	to: string[];
	data: string;
}

/** Speaks just enough SMTP (RFC 5321, no extensions) to accept messages. */
function startSmtpServer(): Promise<{
	port: number;
	messages: Received[];
	close(): Promise<void>;
}> {
	const messages: Received[] = [];
	const server = net.createServer((socket) => {
		let buffer = '';
		let inData = false;
		let current: Received = { from: '', to: [], data: '' };
		const reply = (line: string) => socket.write(`${line}\r\n`);
		reply('220 localhost test SMTP');
		socket.on('data', (chunk: Buffer) => {
			buffer += chunk.toString('utf8');
			for (;;) {
				if (inData) {
					const end = buffer.indexOf('\r\n.\r\n');
					if (end === -1) return;
					current.data = buffer.slice(0, end).replace(/^\.\./gm, '.');
					buffer = buffer.slice(end + 5);
					inData = false;
					messages.push(current);
					current = { from: '', to: [], data: '' };
					reply('250 OK: queued');
					continue;
				}
				const eol = buffer.indexOf('\r\n');
				if (eol === -1) return;
				const line = buffer.slice(0, eol);
				buffer = buffer.slice(eol + 2);
				const verb = line.slice(0, 4).toUpperCase();
				if (verb === 'MAIL') current.from = line;
				if (verb === 'RCPT') current.to.push(line);
				if (verb === 'DATA') inData = true;
				if (verb === 'EHLO' || verb === 'HELO') reply('250 localhost');
				else if (['MAIL', 'RCPT', 'RSET', 'NOOP'].includes(verb)) reply('250 OK');
				else if (verb === 'DATA') reply('354 End data with <CR><LF>.<CR><LF>');
				else if (verb === 'QUIT') {
					reply('221 Bye');
					socket.end();
				} else reply('502 Command not implemented');
			}
		});
		socket.on('error', () => {});
	});
	return new Promise((resolve) => {
		server.listen(0, '127.0.0.1', () => {
			const { port } = server.address() as net.AddressInfo;
			resolve({
				port,
				messages,
				close: () => new Promise((done) => server.close(() => done()))
			});
		});
	});
}

let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
let relay: TestRelay;

beforeAll(async () => {
	smtp = await startSmtpServer();
	relay = await startTestRelay({
		SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
		MAIL_FROM: 'Photos <photos@example.org>'
	});
});
afterAll(async () => {
	await relay?.stop();
	await smtp?.close();
});

describe('mail over SMTP', () => {
	it('delivers the sign-up code to the SMTP server and writes no outbox file', async () => {
		const res = await call(relay.port, 'POST', '/api/signup', {
			body: quickSignup('alice@example.org').body
		});
		expect(res.status).toBe(202);
		expect(smtp.messages).toHaveLength(1);
		const [message] = smtp.messages;
		expect(message!.from).toMatch(/^MAIL FROM:<photos@example\.org>/i);
		expect(message!.to).toEqual([expect.stringMatching(/^RCPT TO:<alice@example\.org>/i)]);
		expect(message!.data).toMatch(/^Subject: Your Tessera code: \d{6}$/m);
		expect(message!.data).toMatch(/expires in 15 minutes/);
		await expect(fs.readdir(path.join(relay.dataDir, 'outbox'))).rejects.toThrow();
	});
});
