// Entry point: `node --import tsx relay/src/main.ts`; reads the environment, runs until a signal.

import { ConfigError, loadConfig } from './config';
import { createLogger } from './log';
import { startRelay } from './server';

/** After a signal, how long a graceful stop may take before the process exits anyway. */
const FORCE_EXIT_MS = 10_000;

async function main(): Promise<void> {
	let config;
	try {
		config = loadConfig(process.env);
	} catch (error) {
		if (!(error instanceof ConfigError)) throw error;
		process.stderr.write(`Tessera relay: invalid configuration: ${error.message}\n`);
		process.exit(1);
	}

	const logger = createLogger(config.logLevel);
	let relay;
	try {
		relay = await startRelay(config, { logger });
	} catch (error) {
		const message = error instanceof Error ? error.message : String(error);
		logger.fatal({ err: error }, 'relay failed to start');
		process.stderr.write(`Tessera relay failed to start: ${message}\n`);
		process.exit(1);
	}
	logger.info(
		{ url: relay.url, dataDir: config.dataDir, appDir: config.appDir },
		`Tessera relay listening on ${relay.url}`
	);

	let stopping = false;
	const stop = (signal: NodeJS.Signals) => {
		if (stopping) {
			logger.warn({ signal }, 'second signal: exiting now');
			process.exit(1);
		}
		stopping = true;
		logger.info({ signal }, 'shutting down');
		setTimeout(() => {
			logger.error('graceful shutdown took too long: exiting');
			process.exit(1);
		}, FORCE_EXIT_MS).unref();
		relay.close().then(
			() => {
				logger.info('relay stopped');
				process.exit(0);
			},
			(error: unknown) => {
				logger.error({ err: error }, 'shutdown failed');
				process.exit(1);
			}
		);
	};
	process.on('SIGTERM', stop);
	process.on('SIGINT', stop);
}

await main();
