// What notifications say: only what the relay knows, with the album's name from the device, and where they lead.

import { describe, expect, it } from 'vitest';
import { describeNotification, formatWhen } from '../../../src/lib/notifications';
import type { Notification } from '../../../src/lib/protocol';

const base: Notification = {
	id: 1,
	albumId: 'C'.repeat(22),
	type: 'shared',
	createdAt: 0,
	updatedAt: 0,
	count: 1,
	readAt: null
};

describe('describeNotification', () => {
	it('names the album when the device knows it, and says "an album" when not', () => {
		expect(describeNotification(base, 'Trip').text).toBe('An album was shared with you: “Trip”');
		expect(describeNotification(base, null).text).toBe('An album was shared with you');
		expect(describeNotification(base, '   ').text).toBe('An album was shared with you');
	});

	it('a batch of photos says how many updates; one says nothing more', () => {
		const photos = { ...base, type: 'photos' as const, count: 12 };
		expect(describeNotification(photos, 'Trip')).toEqual({
			text: 'New photos or changes in “Trip”',
			detail: '12 updates',
			albumId: base.albumId
		});
		expect(describeNotification({ ...photos, count: 1 }, 'Trip').detail).toBeNull();
	});

	it('a removal leads nowhere: the album cannot be opened any more', () => {
		const removed = describeNotification({ ...base, type: 'removed' }, 'Trip');
		expect(removed).toEqual({ text: 'You were removed from “Trip”', detail: null, albumId: null });
		expect(describeNotification({ ...base, type: 'invite-accepted' }, 'Trip')).toMatchObject({
			text: 'Your invitation to “Trip” was accepted',
			albumId: base.albumId
		});
	});
});

describe('formatWhen', () => {
	it('says how long ago in words', () => {
		const now = 10 * 24 * 3600_000;
		expect(formatWhen(now - 5_000, now, 'en')).toBe('just now');
		expect(formatWhen(now - 5 * 60_000, now, 'en')).toBe('5 minutes ago');
		expect(formatWhen(now - 24 * 3600_000, now, 'en')).toBe('yesterday');
		// A clock slightly behind the relay's never says "in 2 minutes".
		expect(formatWhen(now + 120_000, now, 'en')).toBe('just now');
	});
});
