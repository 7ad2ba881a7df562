// The notification centre's transport over the sync engine's relay connection (one socket per tab, shared with the albums).

import type { ServerMessage } from '../protocol';
import type { RelayConnection } from '../sync/engine';
import type { NotificationPush, NotificationTransport } from './notification-center';

/**
 * Pushed notification frames, routed by the connection (RelayConnection.onNotification). Optional
 * here so this module builds against a connection that does not route them yet: without it the
 * centre still lists and marks read, and shows what came meanwhile on each reconnect.
 */
export interface NotificationFrameSource {
	onNotification(listener: (frame: NotificationPush) => void): () => void;
}

type Connection = Pick<RelayConnection, 'ready' | 'onStatus' | 'request'> &
	Partial<NotificationFrameSource>;

export function relayNotificationTransport(connection: Connection): NotificationTransport {
	return {
		get ready() {
			return connection.ready;
		},
		onReady(listener) {
			return connection.onStatus((status) => {
				if (status === 'ready') listener();
			});
		},
		async request(frame) {
			// The connection's reply type lists the replies it routes; widened to every relay frame.
			const reply: ServerMessage = await connection.request(frame);
			return reply;
		},
		onPush(listener) {
			return connection.onNotification?.(listener) ?? (() => {});
		}
	};
}
