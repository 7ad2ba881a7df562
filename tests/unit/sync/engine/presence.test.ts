// Presence: a member shows as here until their last beacon's TTL runs out, or until they say goodbye.

import { describe, expect, it } from 'vitest';
import { PresenceBoard } from '../../../../src/lib/sync/engine';
import { decodePresence, encodePresence } from '../../../../src/lib/sync/engine/presence';

describe('PresenceBoard', () => {
	it('lists members until their beacon expires, with what they are uploading', () => {
		const board = new PresenceBoard(1000);
		board.record('bob', { here: true, uploading: 2 }, 0);
		board.record('amy', { here: true, uploading: 0 }, 500);
		expect(board.list(999)).toEqual([
			{ member: 'amy', uploading: 0 },
			{ member: 'bob', uploading: 2 }
		]);
		expect(board.list(1000)).toEqual([{ member: 'amy', uploading: 0 }]);
		expect(board.list(1500)).toEqual([]);
	});

	it('drops a member who says goodbye at once', () => {
		const board = new PresenceBoard(1000);
		board.record('bob', { here: true, uploading: 0 }, 0);
		board.record('bob', { here: false, uploading: 0 }, 10);
		expect(board.list(20)).toEqual([]);
	});

	it('reads only well-formed beacons', () => {
		expect(decodePresence(encodePresence({ here: true, uploading: 3 }))).toEqual({
			here: true,
			uploading: 3
		});
		expect(decodePresence(new TextEncoder().encode('{"here":true,"uploading":-1}'))).toBeNull();
		expect(decodePresence(new Uint8Array([0xff, 0x00]))).toBeNull();
	});
});
