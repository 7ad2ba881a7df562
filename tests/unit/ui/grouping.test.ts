// The grid's day sections and row layout: which heading a photo sits under, and how rows fill the width.

import { describe, expect, it } from 'vitest';
import {
	columnsFor,
	dayGrouper,
	groupByDay,
	layoutRows,
	photoInDirection,
	sortNewestFirst,
	targetCellSize
} from '../../../src/lib/ui/photos/grouping';
import type { GridPhoto } from '../../../src/lib/ui/photos/types';

const NOW = Date.UTC(2025, 10, 5, 15, 0); // Wed 5 Nov 2025, 15:00 UTC
const GB = { locale: 'en-GB', timeZone: 'UTC', now: NOW };

function photo(id: string, takenAt: number): GridPhoto {
	return {
		id,
		takenAt,
		width: 4000,
		height: 3000,
		kind: 'image',
		decodable: true,
		filename: `${id}.jpg`
	};
}

describe('groupByDay', () => {
	it('labels today, yesterday, this year and other years the way the brief reads', () => {
		const sections = groupByDay(
			[
				photo('older', Date.UTC(2024, 10, 3, 9)),
				photo('today', Date.UTC(2025, 10, 5, 8)),
				photo('monday', Date.UTC(2025, 10, 3, 12)),
				photo('yesterday', Date.UTC(2025, 10, 4, 23, 59))
			],
			GB
		);
		expect(sections.map((s) => s.label)).toEqual(['Today', 'Yesterday', 'Mon 3 Nov', '3 Nov 2024']);
		expect(sections.map((s) => s.photoIds)).toEqual([
			['today'],
			['yesterday'],
			['monday'],
			['older']
		]);
	});

	it('names months without the year in the current year and with it otherwise', () => {
		const sections = groupByDay(
			[photo('a', Date.UTC(2025, 9, 30, 12)), photo('b', Date.UTC(2024, 9, 30, 12))],
			GB
		);
		expect(sections.map((s) => s.monthLabel)).toEqual(['October', 'October 2024']);
		expect(sections.map((s) => s.monthKey)).toEqual(['2025-10', '2024-10']);
	});

	it('puts several photos of one day in one section, newest first, whatever the input order', () => {
		const sections = groupByDay(
			[
				photo('morning', Date.UTC(2025, 10, 3, 7)),
				photo('night', Date.UTC(2025, 10, 3, 22)),
				photo('noon', Date.UTC(2025, 10, 3, 12))
			],
			GB
		);
		expect(sections).toHaveLength(1);
		expect(sections[0]!.photoIds).toEqual(['night', 'noon', 'morning']);
	});

	it('counts days in the zone it is given, not in UTC', () => {
		// 23:30 UTC on 3 Nov is already 4 Nov in Tokyo and still 3 Nov in New York.
		const late = [photo('late', Date.UTC(2025, 10, 3, 23, 30))];
		expect(groupByDay(late, { ...GB, timeZone: 'Asia/Tokyo' })[0]!.key).toBe('2025-11-04');
		expect(groupByDay(late, { ...GB, timeZone: 'America/New_York' })[0]!.key).toBe('2025-11-03');
		expect(groupByDay(late, GB)[0]!.key).toBe('2025-11-03');
	});

	it('decides "today" in the given zone too', () => {
		// 09:00 UTC on 5 Nov is 23:00 on 5 Nov in Kiritimati (UTC+14), where "now" is already 6 Nov.
		const morning = [photo('p', Date.UTC(2025, 10, 5, 9))];
		expect(groupByDay(morning, { ...GB, timeZone: 'Pacific/Kiritimati' })[0]!.label).toBe(
			'Yesterday'
		);
		expect(groupByDay(morning, GB)[0]!.label).toBe('Today');
	});

	it('keeps yesterday right across a month boundary', () => {
		const sections = groupByDay([photo('p', Date.UTC(2025, 9, 31, 10))], {
			...GB,
			now: Date.UTC(2025, 10, 1, 10)
		});
		expect(sections[0]!.label).toBe('Yesterday');
	});

	it('uses the locale for labels', () => {
		const sections = groupByDay([photo('p', Date.UTC(2025, 10, 3, 12))], {
			...GB,
			locale: 'de-DE'
		});
		expect(sections[0]!.label).toContain('3');
		expect(sections[0]!.label).not.toBe('Mon 3 Nov');
		expect(groupByDay([photo('t', NOW)], { ...GB, locale: 'de-DE' })[0]!.label).toBe('Heute');
	});

	it('gathers photos without a usable date at the end instead of failing', () => {
		const sections = groupByDay([photo('bad', Number.NaN), photo('good', NOW)], GB);
		expect(sections.map((s) => s.key)).toEqual(['2025-11-05', 'unknown']);
		expect(sections[1]!.label).toBe('Date unknown');
	});

	it('returns nothing for no photos', () => {
		expect(groupByDay([], GB)).toEqual([]);
	});
});

describe('dayGrouper', () => {
	it('reuses its sections while only other fields change, and regroups when a date or photo does', () => {
		const group = dayGrouper();
		const photos = [photo('a', NOW), photo('b', NOW - 86_400_000)];
		const first = group(photos, GB);
		const uploading = photos.map((p) => ({ ...p, pending: { progress: 0.5 } }));
		expect(group(uploading, GB)).toBe(first);
		const moved = [photo('a', NOW), photo('b', NOW - 1000)];
		expect(group(moved, GB).map((s) => s.photoIds)).toEqual([['a', 'b']]);
		expect(group([...moved, photo('c', 0)], GB)).toHaveLength(2);
		expect(group([...moved, photo('c', 0)], { ...GB, locale: 'de-DE' })[0]!.label).toBe('Heute');
	});
});

describe('sortNewestFirst', () => {
	it('orders equal times by id so the grid never reshuffles', () => {
		const t = Date.UTC(2025, 0, 1);
		const a = sortNewestFirst([photo('b', t), photo('a', t), photo('c', t + 1)]);
		const b = sortNewestFirst([photo('a', t), photo('c', t + 1), photo('b', t)]);
		expect(a.map((p) => p.id)).toEqual(['c', 'a', 'b']);
		expect(b.map((p) => p.id)).toEqual(['c', 'a', 'b']);
	});

	it('leaves its input alone', () => {
		const input = [photo('old', 1), photo('new', 2)];
		sortNewestFirst(input);
		expect(input.map((p) => p.id)).toEqual(['old', 'new']);
	});
});

describe('layoutRows', () => {
	const day = (n: number, count: number, month = 10) =>
		Array.from({ length: count }, (_, i) =>
			photo(`${month}-${n}-${i}`, Date.UTC(2025, month, n, 12, i))
		);

	it('fits three columns of ~120 px on a 360 px phone and fills the width exactly', () => {
		const width = 360 - 40; // the shell's side padding
		const { columns, cellSize, gap } = layoutRows([], {
			width,
			targetSize: targetCellSize(360),
			gap: 2
		});
		expect(columns).toBe(3);
		expect(columns * cellSize + (columns - 1) * gap).toBeCloseTo(width, 6);
	});

	it('uses ~180 px cells on a desktop', () => {
		expect(targetCellSize(1200)).toBe(180);
		expect(columnsFor(1120, 180, 4)).toBe(6);
	});

	it('always has at least one column', () => {
		expect(columnsFor(50, 180, 4)).toBe(1);
		expect(columnsFor(0, 120, 2)).toBe(1);
	});

	it('emits a heading then rows of cells for each day, with a month heading when the month changes', () => {
		const sections = groupByDay([...day(5, 7), ...day(4, 2), ...day(30, 1, 9)], GB);
		const layout = layoutRows(sections, {
			width: 320,
			targetSize: 120,
			gap: 2,
			dayHeaderHeight: 40,
			monthHeaderHeight: 50
		});
		expect(layout.columns).toBe(3);
		expect(layout.rows.map((r) => `${r.kind}:${r.photoIds.length}`)).toEqual([
			'header:0',
			'cells:3',
			'cells:3',
			'cells:1',
			'header:0',
			'cells:2',
			'header:0',
			'cells:1'
		]);
		expect(layout.rows.map((r) => r.monthLabel)).toEqual([
			'November',
			undefined,
			undefined,
			undefined,
			undefined,
			undefined,
			'October',
			undefined
		]);
		expect(layout.rows[0]!.height).toBe(90);
		expect(layout.rows[4]!.height).toBe(40);
		expect(layout.rows[1]!.height).toBeCloseTo(layout.cellSize + 2, 6);
	});

	it('lists every photo once, in display order, and knows which row shows it', () => {
		const photos = [...day(5, 4), ...day(3, 5)];
		const layout = layoutRows(groupByDay(photos, GB), { width: 500, targetSize: 120 });
		expect(layout.order).toEqual(sortNewestFirst(photos).map((p) => p.id));
		for (const id of layout.order) {
			expect(layout.rows[layout.rowOfPhoto.get(id)!]!.photoIds).toContain(id);
		}
	});

	it('gives rows keys that are unique', () => {
		const layout = layoutRows(groupByDay([...day(5, 10), ...day(4, 10)], GB), {
			width: 320,
			targetSize: 120
		});
		expect(new Set(layout.rows.map((r) => r.key)).size).toBe(layout.rows.length);
	});
});

describe('photoInDirection', () => {
	// Day 5: a b c / d   |  Day 4: e f
	const photos = ['a', 'b', 'c', 'd'].map((id, i) => photo(id, Date.UTC(2025, 10, 5, 20 - i)));
	photos.push(photo('e', Date.UTC(2025, 10, 4, 20)), photo('f', Date.UTC(2025, 10, 4, 19)));
	const layout = layoutRows(groupByDay(photos, GB), { width: 320, targetSize: 120, gap: 2 });

	it('walks left and right through the display order, across days', () => {
		expect(photoInDirection(layout, 'c', 'right')).toBe('d');
		expect(photoInDirection(layout, 'd', 'right')).toBe('e');
		expect(photoInDirection(layout, 'a', 'left')).toBeUndefined();
	});

	it('keeps the column going up and down, skipping headings, clamping to shorter rows', () => {
		expect(photoInDirection(layout, 'b', 'down')).toBe('d');
		expect(photoInDirection(layout, 'd', 'down')).toBe('e');
		expect(photoInDirection(layout, 'f', 'up')).toBe('d');
		expect(photoInDirection(layout, 'e', 'up')).toBe('d');
		expect(photoInDirection(layout, 'c', 'up')).toBeUndefined();
	});

	it('goes to the first and last photo on Home and End', () => {
		expect(photoInDirection(layout, 'c', 'home')).toBe('a');
		expect(photoInDirection(layout, 'c', 'end')).toBe('f');
	});
});
