// The shapes the photo-browsing components take: what a grid cell shows, and how pixels are fetched.

/** One photo or video as the grid and the lightbox know it; everything here is already decrypted. */
export interface GridPhoto {
	id: string;
	/** Milliseconds since 1970 (UTC). */
	takenAt: number;
	width: number;
	height: number;
	kind: 'image' | 'video';
	durationMs?: number;
	/** base64url (unpadded) ThumbHash bytes, shown at once while the thumbnail decrypts. */
	thumbhash?: string;
	/** False when this browser cannot show the format (no thumbnail exists): the grid shows a placeholder tile. */
	decodable: boolean;
	filename: string;
	favourite?: boolean;
	/** Still uploading: progress 0..1. */
	pending?: { progress: number };
}

/** What the info panel lists about one photo. */
export interface PhotoDetails {
	id: string;
	filename: string;
	mime: string;
	size: number;
	width: number;
	height: number;
	takenAt: number;
	caption?: string;
	exif?: {
		camera?: string;
		lens?: string;
		focalLengthMm?: number;
		aperture?: number;
		exposureSeconds?: number;
		iso?: number;
		gps?: { lat: number; lon: number };
	};
	addedBy?: string;
}

/**
 * Where the components get pixels from; the data layer implements it. Object URLs it returns become
 * the component's: the component revokes each one when it no longer shows it.
 */
export interface PhotoSource {
	/** Object URL of the decrypted thumbnail; rejects with an Error whose message a person can read. */
	thumbnail(id: string, signal: AbortSignal): Promise<string>;
	/** Object URL of the large image (preview, else original) or the video original, with download progress 0..1. */
	full(
		id: string,
		signal: AbortSignal,
		onProgress?: (fraction: number) => void
	): Promise<{ url: string; kind: 'image' | 'video' }>;
	details(id: string): Promise<PhotoDetails>;
	download(id: string): Promise<void>;
}

export type TransferState = 'queued' | 'uploading' | 'paused' | 'done' | 'failed';

/** One file in the upload panel. */
export interface TransferFile {
	id: string;
	name: string;
	bytesSent: number;
	total: number;
	state: TransferState;
	/** The failure's message, shown as is. */
	error?: string;
	/** The failure's code when known ('quota-exceeded' makes the panel say storage is full). */
	errorCode?: string;
}

/** A failure that concerns every upload, e.g. { code: 'quota-exceeded', message: 'Your storage is full' }. */
export interface TransferPanelError {
	code: string;
	message: string;
}
