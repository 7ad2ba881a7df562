// Tabs of one browser: one tab at a time sends the shared outbox (Web Locks); local edits reach the other tabs (BroadcastChannel).

/** What one tab tells the others: an edit made here, already queued in the shared outbox. */
export interface TabMessage {
	kind: 'local-update';
	albumId: string;
	docId: string;
	update: Uint8Array;
}

/**
 * Every tab keeps its own socket and reads the stream itself, so no tab waits on another to show
 * the album and a frozen background tab stops nobody. What tabs share is the device database, and
 * the only thing two tabs could fight over there is the outbox: both would send the same rows,
 * and after a rotation both would re-seal them into two different envelopes (two copies of every
 * pending edit on the relay) and race to delete rows. So the outbox is flushed only by the tab
 * holding the Web Lock; when that tab closes, the lock passes to another.
 */
export interface TabCoordinator {
	/** Whether this tab may send the outbox now. */
	readonly holdsOutbox: boolean;
	/** Called when this tab gains the outbox, and on every message from another tab. */
	onOutboxClaimed(listener: () => void): () => void;
	publish(message: TabMessage): void;
	onMessage(listener: (message: TabMessage) => void): () => void;
	close(): void;
}

/** One engine per process (Node, tests, or a browser without Web Locks): it always holds the outbox. */
export function soleTab(): TabCoordinator {
	return {
		holdsOutbox: true,
		onOutboxClaimed: () => () => {},
		publish: () => {},
		onMessage: () => () => {},
		close: () => {}
	};
}

interface LockManagerLike {
	request(name: string, callback: () => Promise<void>): Promise<void>;
}

/** Browser tabs: Web Locks for the outbox, BroadcastChannel for edits; soleTab() where missing. */
export function browserTabs(name = 'tessera-sync'): TabCoordinator {
	const locks = (globalThis.navigator as { locks?: LockManagerLike } | undefined)?.locks;
	if (!locks || typeof BroadcastChannel === 'undefined') return soleTab();
	const channel = new BroadcastChannel(name);
	const claimed = new Set<() => void>();
	const listeners = new Set<(message: TabMessage) => void>();
	let holds = false;
	let release: (() => void) | null = null;
	void locks.request(`${name}:outbox`, () => {
		holds = true;
		for (const listener of claimed) listener();
		return new Promise<void>((resolve) => (release = resolve));
	});
	channel.onmessage = (event: MessageEvent<TabMessage>) => {
		const message = event.data;
		if (message?.kind !== 'local-update' || !(message.update instanceof Uint8Array)) return;
		for (const listener of listeners) listener(message);
	};
	return {
		get holdsOutbox() {
			return holds;
		},
		onOutboxClaimed(listener) {
			claimed.add(listener);
			return () => claimed.delete(listener);
		},
		publish(message) {
			channel.postMessage(message);
		},
		onMessage(listener) {
			listeners.add(listener);
			return () => listeners.delete(listener);
		},
		close() {
			holds = false;
			release?.();
			channel.close();
		}
	};
}
