// Errors of the album model: refused local operations and refused remote updates, each with a stable code.

export type AlbumErrorCode =
	'not-allowed' | 'invalid-photo' | 'unknown-photo' | 'invalid-value' | 'wrong-album';

/** A local operation the model refused before writing anything. */
export class AlbumError extends Error {
	constructor(
		readonly code: AlbumErrorCode,
		message: string
	) {
		super(message);
		this.name = 'AlbumError';
	}
}

export type AlbumUpdateRejectedCode = 'unknown-doc' | 'too-large' | 'decode-bomb' | 'malformed';

/** A remote update the model did not apply; the doc is as it was. */
export class AlbumUpdateRejected extends Error {
	constructor(
		readonly code: AlbumUpdateRejectedCode,
		readonly docId: string,
		message: string
	) {
		super(message);
		this.name = 'AlbumUpdateRejected';
	}
}
