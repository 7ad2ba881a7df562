// The encryption worker (a module worker): seals upload chunks off the page's thread, see encrypt-service.ts.

import type { EncryptReply, EncryptRequest } from './encrypt-messages';
import { serveEncryption } from './encrypt-service';

const scope = self as unknown as {
	onmessage: ((event: MessageEvent<EncryptRequest>) => void) | null;
	postMessage(message: EncryptReply, transfer: Transferable[]): void;
};

const handle = serveEncryption((reply, transfer) => scope.postMessage(reply, transfer));
scope.onmessage = (event) => handle(event.data);
