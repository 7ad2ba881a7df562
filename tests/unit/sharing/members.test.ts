// Members: when someone else changed the album's members first, the change is built again on their entry once it arrives, or stops with a clear problem.

import { describe, expect, it } from 'vitest';
import type { MembershipEntry } from '../../../src/lib/protocol';
import { Members, MembershipProblem } from '../../../src/lib/sharing/members';
import { RelayRefusal, type AlbumSync, type SyncEngine } from '../../../src/lib/sync/engine';

const ME = 'me-sign-pk';
const BOB = 'bob-sign-pk';

/**
 * An album on this device as Members sees it: a chain head, a seq, and frames delivered by the
 * test. Each built entry records the head it was built on.
 */
function fakeAlbum(headIndex: number) {
	const state = { seq: 5, headIndex, closed: false, builtOn: [] as number[] };
	let waiters: { seq: number; resolve: () => void }[] = [];
	const wake = () => {
		waiters = waiters.filter((w) => {
			if (!state.closed && w.seq > state.seq) return true;
			w.resolve();
			return false;
		});
	};
	const album = {
		get seq() {
			return state.seq;
		},
		get membership() {
			return {
				head: { index: state.headIndex },
				members: new Map([
					[ME, { role: 'owner' }],
					[BOB, { role: 'viewer' }]
				])
			};
		},
		membershipChain: {
			changeRole: async () => {
				state.builtOn.push(state.headIndex);
				return { builtOn: state.headIndex } as unknown as MembershipEntry;
			}
		},
		whenCaughtUp: () => Promise.resolve(),
		whenSeq: (seq: number) =>
			new Promise<void>((resolve) => {
				waiters.push({ seq, resolve });
				wake();
			})
	};
	return {
		album: album as unknown as AlbumSync,
		state,
		/** The relay's next frame reaches the device; a membership entry moves the head. */
		deliver(membership: boolean) {
			state.seq++;
			if (membership) state.headIndex++;
			wake();
		},
		close() {
			state.closed = true;
			wake();
		}
	};
}

/** An engine whose relay refuses the first append as stale (head at `relayHead`), then accepts. */
function fakeEngine(relayHead: number, onRefused: () => void = () => {}) {
	const appended: unknown[] = [];
	const engine = {
		identity: {},
		appendMembership: async (entry: unknown) => {
			appended.push(entry);
			if (appended.length === 1) {
				setTimeout(onRefused, 0);
				throw new RelayRefusal('stale-head', 'the head moved', relayHead);
			}
			return 0;
		}
	};
	return { engine: engine as unknown as SyncEngine, appended };
}

describe('Members when others change the album at the same moment', () => {
	it('builds again on the newer entry once this device has it, not before', async () => {
		const device = fakeAlbum(2);
		// After the refusal an unrelated frame comes first, then the other admin's entry (index 3).
		const { engine, appended } = fakeEngine(3, () => {
			device.deliver(false);
			setTimeout(() => device.deliver(true), 0);
		});
		await new Members({ engine, me: ME }, device.album).changeRole(BOB, 'collaborator');
		expect(appended).toHaveLength(2);
		expect(device.state.builtOn).toEqual([2, 3]);
	});

	it('stops with a clear problem when the newer entry never reaches this device', async () => {
		const device = fakeAlbum(2);
		const { engine, appended } = fakeEngine(3, () => device.deliver(false));
		const members = new Members({ engine, me: ME, headWaitMs: 30 }, device.album);
		const problem = await members.changeRole(BOB, 'collaborator').catch((error: unknown) => error);
		expect(problem).toBeInstanceOf(MembershipProblem);
		expect(problem).toMatchObject({ code: 'busy', message: /has not reached this device yet/ });
		// Never sent again on the head the relay already refused.
		expect(appended).toHaveLength(1);
	});

	it('stops when the album closes while it waits, without waiting out the bound', async () => {
		const device = fakeAlbum(2);
		const { engine, appended } = fakeEngine(3, () => device.close());
		const members = new Members({ engine, me: ME, headWaitMs: 60_000 }, device.album);
		await expect(members.changeRole(BOB, 'collaborator')).rejects.toMatchObject({ code: 'busy' });
		expect(appended).toHaveLength(1);
	});
});
