// Starts a real relay on 127.0.0.1:0 with a fresh DATA_DIR for one test file, and cleans up.

import path from 'node:path';
import { loadConfig } from '../../../relay/src/config';
import { startRelay, type Relay } from '../../../relay/src/server';
import { makeTempDir, removeTempDir } from './temp';

export interface TestRelay {
	relay: Relay;
	url: string;
	/** The album-stream websocket: ws://host:port/ws. */
	wsUrl: string;
	port: number;
	/** Temp folder holding dataDir (and whatever else the test puts beside it). */
	root: string;
	dataDir: string;
	/** Closes the relay and removes the temp folder. */
	stop(): Promise<void>;
}

/**
 * A relay whose DATA_DIR is `<root>/data`. APP_DIR defaults to a folder that does not exist (API
 * only); pass APP_DIR to serve an app. Other variables override the defaults as the env would.
 */
export async function startTestRelay(env: Record<string, string> = {}): Promise<TestRelay> {
	const root = await makeTempDir('tessera-relay');
	const dataDir = path.join(root, 'data');
	const config = loadConfig({
		PORT: '0',
		HOST: '127.0.0.1',
		LOG_LEVEL: 'silent',
		DATA_DIR: dataDir,
		APP_DIR: path.join(root, 'no-app'),
		...env
	});
	let relay: Relay;
	try {
		relay = await startRelay(config);
	} catch (error) {
		await removeTempDir(root);
		throw error;
	}
	return {
		relay,
		url: relay.url,
		wsUrl: `${relay.url.replace(/^http/, 'ws')}/ws`,
		port: relay.port,
		root,
		dataDir,
		async stop() {
			await relay.close();
			await removeTempDir(root);
		}
	};
}
