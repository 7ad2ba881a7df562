// The y-websocket baseline server as its own process (node --import tsx bench/baselines/y-websocket-server.ts).

import { startYServer } from './y-websocket';

const server = await startYServer();
console.log(JSON.stringify({ url: server.url }));
process.on('SIGTERM', () => {
	void server.close().then(() => process.exit(0));
});
