// The sync engine on a device: relay connection, album sync, outbox, snapshots, presence (docs/album-stream.md).

export { SyncEngine, type SyncEngineOptions } from './sync-engine';
export {
	AlbumSync,
	AlbumSyncError,
	DEFAULT_SNAPSHOT_POLICY,
	type AlbumSyncErrorCode,
	type AlbumSyncEvents,
	type AlbumSyncOptions,
	type AlbumSyncReason,
	type RefusedWrite,
	type RejectedItem,
	type SnapshotPolicy
} from './album-sync';
export {
	RelayConnection,
	ConnectionLost,
	RelayRefusal,
	type AlbumFrame,
	type AlbumFollower,
	type ConnectionStatus,
	type RelayConnectionOptions,
	type SocketFactory,
	type SocketLike
} from './relay-connection';
export { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from './backoff';
export { systemClock, type Clock } from './clock';
export { Outbox, type PendingWrite } from './outbox';
export { LocalAlbum } from './local-album';
export { PresenceBoard, DEFAULT_PRESENCE_TTL_MS, type PresentMember } from './presence';
export { browserTabs, soleTab, type TabCoordinator, type TabMessage } from './tabs';
