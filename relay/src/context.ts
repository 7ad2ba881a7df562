// What request and message handlers share: settings, database, blob store, uploads, accounts, album streams, logger.

import type { AccountService } from './account-service';
import type { AlbumStreams } from './album-streams';
import type { BlobStore } from './blobs';
import type { RelayConfig } from './config';
import type { RelayDatabase } from './db';
import type { Logger } from './log';
import type { NotificationStore } from './notifications';
import type { UploadService } from './uploads';

export interface RelayContext {
	config: RelayConfig;
	db: RelayDatabase;
	blobs: BlobStore;
	/** Resumable uploads (tus) and the blobs they become. */
	uploads: UploadService;
	logger: Logger;
	/** Accounts, sessions, email codes, mail and the rate limits around them. */
	accounts: AccountService;
	/** Album streams: membership chains, envelopes, subscriptions. */
	albums: AlbumStreams;
	/** Each account's notifications (album id, event type, time), pushed to listening sockets. */
	notifications: NotificationStore;
	version: string;
	/** performance.now() when the relay started, for uptime. */
	startedAt: number;
}
