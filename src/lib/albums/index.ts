// Albums on a device, UI-free: the model over an album's Yjs docs, PhotoRefs and the album view.

export {
	AlbumModel,
	MAX_REMOTE_UPDATE_BYTES,
	MAX_LOCAL_STATE_BYTES,
	type AlbumModelOptions,
	type AlbumPhoto,
	type AlbumMember,
	type NewPhoto,
	type LocalUpdateListener
} from './album-model';
export {
	ALBUM_DOC_ID,
	ALBUM_KINDS,
	ALBUM_SORTS,
	DEFAULT_META,
	DEFAULT_SETTINGS,
	MAX_ALBUM_NAME_LENGTH,
	MAX_DESCRIPTION_LENGTH,
	MAX_COMMENT_LENGTH,
	Root,
	contribDocId,
	activityDocId,
	inboxDocId,
	type AlbumKind,
	type AlbumMeta,
	type AlbumSettings,
	type AlbumSort,
	type Activity,
	type Comment
} from './album-docs';
export {
	PhotoRefSchema,
	PhotoIdSchema,
	ExifSummarySchema,
	MAX_CAPTION_LENGTH,
	MAX_FILENAME_LENGTH,
	readPhotoRef,
	type PhotoRef,
	type ExifSummary
} from './photo-ref';
export { checkUpdate, UpdateGuardError, type UpdateProblem } from './update-guard';
export {
	AlbumError,
	AlbumUpdateRejected,
	type AlbumErrorCode,
	type AlbumUpdateRejectedCode
} from './errors';
