// Tabs of one browser: one tab at a time holds the outbox, and it passes on when that tab closes; edits reach the other tabs.

import { afterEach, describe, expect, it } from 'vitest';
import { browserTabs, type TabMessage } from '../../../../src/lib/sync/engine';

/** A Web Locks stand-in: exclusive locks granted in request order, released when the callback settles. */
function fakeLocks() {
	const queues = new Map<string, (() => void)[]>();
	const held = new Set<string>();
	const grant = (name: string) => {
		if (held.has(name)) return;
		const next = queues.get(name)?.shift();
		if (next) next();
	};
	return {
		request(name: string, callback: () => Promise<void>): Promise<void> {
			return new Promise((resolve) => {
				const run = () => {
					held.add(name);
					void callback().finally(() => {
						held.delete(name);
						grant(name);
						resolve();
					});
				};
				if (!queues.has(name)) queues.set(name, []);
				queues.get(name)!.push(run);
				grant(name);
			});
		}
	};
}

const realNavigator = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
afterEach(() => {
	if (realNavigator) Object.defineProperty(globalThis, 'navigator', realNavigator);
	else Reflect.deleteProperty(globalThis, 'navigator');
});

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

describe('browserTabs', () => {
	it('lets one tab at a time send the outbox, and hands it over when that tab closes', async () => {
		Object.defineProperty(globalThis, 'navigator', {
			value: { locks: fakeLocks() },
			configurable: true
		});
		const first = browserTabs('tabs-test-1');
		const second = browserTabs('tabs-test-1');
		let claimed = 0;
		second.onOutboxClaimed(() => claimed++);
		await tick();
		expect([first.holdsOutbox, second.holdsOutbox]).toEqual([true, false]);

		first.close();
		await tick();
		expect(second.holdsOutbox).toBe(true);
		expect(claimed).toBe(1);
		second.close();
	});

	it('shows an edit made in one tab to the others', async () => {
		Object.defineProperty(globalThis, 'navigator', {
			value: { locks: fakeLocks() },
			configurable: true
		});
		const first = browserTabs('tabs-test-2');
		const second = browserTabs('tabs-test-2');
		const received: TabMessage[] = [];
		second.onMessage((message) => received.push(message));
		first.publish({
			kind: 'local-update',
			albumId: 'a',
			docId: 'album',
			update: new Uint8Array([1, 2])
		});
		await tick();
		expect(received).toHaveLength(1);
		expect(Array.from(received[0]!.update)).toEqual([1, 2]);
		first.close();
		second.close();
	});
});
