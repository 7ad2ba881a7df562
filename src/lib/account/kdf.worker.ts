// The Argon2id worker: keeps the page responsive while a password is stretched (hundreds of ms).

import { runPasswordKdf, type KdfWorkerReply, type KdfWorkerRequest } from './kdf';

const scope = self as unknown as {
	onmessage: ((event: MessageEvent<KdfWorkerRequest>) => void) | null;
	postMessage(message: KdfWorkerReply, transfer?: Transferable[]): void;
};

scope.onmessage = async (event) => {
	const { id, password, salt, params } = event.data;
	try {
		const result = await runPasswordKdf({ password, salt, params });
		scope.postMessage({ id, ok: true, ...result });
	} catch (cause) {
		const code =
			typeof cause === 'object' &&
			cause !== null &&
			'code' in cause &&
			typeof cause.code === 'string'
				? cause.code
				: 'kdf-failed';
		const message =
			cause instanceof Error ? cause.message : 'This device could not secure the password.';
		scope.postMessage({ id, ok: false, code, message });
	}
};
