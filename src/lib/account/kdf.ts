// Argon2id for account passwords as one request/result pair, so it runs the same here or in a worker.

import { deriveNewPasswordKey, derivePasswordKey, type KdfParams } from '../crypto';

/** Argon2id of `password`: with given params (log-in), or 'new' (the defaults, 64 MiB on OOM). */
export interface PasswordKdfRequest {
	password: string;
	salt: Uint8Array;
	params: KdfParams | 'new';
}

export interface PasswordKdfResult {
	key: Uint8Array;
	/** The params actually used; with 'new' they say whether the fallback was needed. */
	params: KdfParams;
	/** Time spent in Argon2id alone, in milliseconds. */
	ms: number;
}

/** Where Argon2id runs: in a Web Worker in the app, in-process in Node tests. */
export type PasswordKdf = (request: PasswordKdfRequest) => Promise<PasswordKdfResult>;

export const runPasswordKdf: PasswordKdf = async ({ password, salt, params }) => {
	const start = performance.now();
	if (params === 'new') {
		const derived = await deriveNewPasswordKey(password, salt);
		return { ...derived, ms: performance.now() - start };
	}
	const key = await derivePasswordKey(password, salt, params);
	return {
		key,
		params: { opsLimit: params.opsLimit, memLimit: params.memLimit },
		ms: performance.now() - start
	};
};

/** Messages between the page and kdf.worker.ts. */
export interface KdfWorkerRequest extends PasswordKdfRequest {
	id: number;
}

export type KdfWorkerReply =
	| ({ id: number; ok: true } & PasswordKdfResult)
	| { id: number; ok: false; code: string; message: string };
