// Structured JSON logs (pino): one root logger, a child per component; bodies are never logged.

import { pino, type Logger } from 'pino';
import type { LogLevel } from './config';

export type { Logger };

export function createLogger(level: LogLevel): Logger {
	return pino(
		{
			level,
			base: { service: 'tessera-relay' },
			timestamp: pino.stdTimeFunctions.isoTime
		},
		// Synchronous writes keep lines in order and complete when the process exits or is killed.
		pino.destination({ dest: 1, sync: true })
	);
}
