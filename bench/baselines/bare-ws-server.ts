// Memory baseline: a bare `ws` WebSocketServer that accepts sockets, says hello and does nothing else.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';

const server = http.createServer((_req, res) => {
	res.writeHead(404).end();
});
// The relay's settings: no compression, the same frame cap.
const wss = new WebSocketServer({ server, perMessageDeflate: false, maxPayload: 2 * 1024 * 1024 });
wss.on('connection', (socket) => {
	socket.on('error', () => socket.terminate());
	socket.send('{"t":"hello"}');
});
server.listen(0, '127.0.0.1', () => {
	const { port } = server.address() as AddressInfo;
	console.log(JSON.stringify({ url: `http://127.0.0.1:${port}` }));
});
process.on('SIGTERM', () => {
	for (const client of wss.clients) client.terminate();
	wss.close();
	server.close(() => process.exit(0));
});
