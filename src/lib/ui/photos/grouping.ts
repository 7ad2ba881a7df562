// Orders photos newest first, groups them by day under month headings, and lays the groups out as virtual rows.

import type { GridPhoto } from './types';

export interface GroupingOptions {
	/** BCP 47 locale for labels, e.g. navigator.language. */
	locale: string;
	/** IANA zone the days are counted in, e.g. Intl.DateTimeFormat().resolvedOptions().timeZone. */
	timeZone: string;
	/** "Today" is the day holding this instant (ms since 1970). */
	now: number;
}

/** The photos of one calendar day (in the given zone). */
export interface PhotoSection {
	/** 'YYYY-MM-DD', or 'unknown' for photos without a usable date. */
	key: string;
	/** "Today", "Yesterday", "Mon 3 Nov", or "3 Nov 2024" for other years. */
	label: string;
	/** 'YYYY-MM' (or 'unknown'). */
	monthKey: string;
	/** "November" in the current year, "November 2024" otherwise. */
	monthLabel: string;
	/** The day's photos, newest first. */
	photoIds: string[];
}

const UNKNOWN = 'unknown';

function dateOf(photo: GridPhoto): number {
	return Number.isFinite(photo.takenAt) ? photo.takenAt : -Infinity;
}

function newerFirst(a: GridPhoto, b: GridPhoto): number {
	const byDate = dateOf(b) - dateOf(a);
	if (byDate !== 0 && !Number.isNaN(byDate)) return byDate;
	return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Newest first; equal times keep a fixed order (by id) so the grid never shuffles between renders. */
export function sortNewestFirst(photos: readonly GridPhoto[]): GridPhoto[] {
	// The data layer usually hands them over sorted already: checking is cheaper than sorting.
	for (let i = 1; i < photos.length; i++) {
		if (newerFirst(photos[i - 1]!, photos[i]!) > 0) return [...photos].sort(newerFirst);
	}
	return [...photos];
}

interface CalendarDay {
	year: number;
	month: number;
	day: number;
}

function dayKey({ year, month, day }: CalendarDay): string {
	return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/** The calendar day an instant falls on in `timeZone`, read through Intl so DST and odd offsets are right. */
function calendarDayReader(timeZone: string): (time: number) => CalendarDay {
	const format = new Intl.DateTimeFormat('en-US', {
		timeZone,
		era: 'short',
		year: 'numeric',
		month: 'numeric',
		day: 'numeric',
		hour: 'numeric',
		minute: 'numeric',
		second: 'numeric',
		hourCycle: 'h23'
	});
	// formatToParts costs microseconds, too slow for 100k photos. So each answer also yields the
	// span of its day; later instants inside that span, kept 3 hours clear of either midnight in
	// case the zone's offset changes that day (DST moves it by an hour at most), reuse the answer.
	const margin = 3 * 3600 * 1000;
	let known: CalendarDay | undefined;
	let from = Infinity;
	let until = -Infinity;
	return (time) => {
		if (known && time >= from && time < until) return known;
		const value = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0 };
		let bc = false;
		for (const part of format.formatToParts(time)) {
			if (part.type === 'era') bc = part.value === 'BC';
			else if (part.type in value) value[part.type as keyof typeof value] = Number(part.value);
		}
		const year = bc ? 1 - value.year : value.year;
		const wall = Date.UTC(year, value.month - 1, value.day, value.hour, value.minute, value.second);
		const offset = wall - Math.floor(time / 1000) * 1000;
		from = Date.UTC(year, value.month - 1, value.day) - offset + margin;
		until = Date.UTC(year, value.month - 1, value.day + 1) - offset - margin;
		known = { year, month: value.month, day: value.day };
		return known;
	};
}

function capitalise(text: string, locale: string): string {
	return text.charAt(0).toLocaleUpperCase(locale) + text.slice(1);
}

/** Groups photos into days, newest first. Labels come from Intl in `locale`; days are counted in `timeZone`. */
export function groupByDay(photos: readonly GridPhoto[], options: GroupingOptions): PhotoSection[] {
	const { locale, timeZone, now } = options;
	const readDay = calendarDayReader(timeZone);
	const today = readDay(now);
	const yesterdayUtc = new Date(Date.UTC(today.year, today.month - 1, today.day - 1));
	const todayKey = dayKey(today);
	const yesterdayKey = dayKey({
		year: yesterdayUtc.getUTCFullYear(),
		month: yesterdayUtc.getUTCMonth() + 1,
		day: yesterdayUtc.getUTCDate()
	});

	const relative = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
	const thisYearDay = new Intl.DateTimeFormat(locale, {
		timeZone,
		weekday: 'short',
		day: 'numeric',
		month: 'short'
	});
	const otherYearDay = new Intl.DateTimeFormat(locale, {
		timeZone,
		day: 'numeric',
		month: 'short',
		year: 'numeric'
	});
	const thisYearMonth = new Intl.DateTimeFormat(locale, { timeZone, month: 'long' });
	const otherYearMonth = new Intl.DateTimeFormat(locale, {
		timeZone,
		month: 'long',
		year: 'numeric'
	});

	const sections: PhotoSection[] = [];
	let current: PhotoSection | undefined;
	for (const photo of sortNewestFirst(photos)) {
		const time = dateOf(photo);
		let key = UNKNOWN;
		let day: CalendarDay | undefined;
		if (Number.isFinite(time) && Math.abs(time) <= 8.64e15) {
			day = readDay(time);
			key = dayKey(day);
		}
		if (!current || current.key !== key) {
			current = day
				? {
						key,
						label:
							key === todayKey
								? capitalise(relative.format(0, 'day'), locale)
								: key === yesterdayKey
									? capitalise(relative.format(-1, 'day'), locale)
									: (day.year === today.year ? thisYearDay : otherYearDay).format(time),
						monthKey: key.slice(0, key.lastIndexOf('-')),
						monthLabel: capitalise(
							(day.year === today.year ? thisYearMonth : otherYearMonth).format(time),
							locale
						),
						photoIds: []
					}
				: {
						key: UNKNOWN,
						label: 'Date unknown',
						monthKey: UNKNOWN,
						monthLabel: 'Date unknown',
						photoIds: []
					};
			sections.push(current);
		}
		current.photoIds.push(photo.id);
	}
	return sections;
}

/**
 * groupByDay that returns its previous answer (the same array) while the photos' ids, dates and
 * order and the options are unchanged, so a new photos array that only changed upload progress or
 * favourites does not regroup and re-lay out a large library.
 */
export function dayGrouper(): (
	photos: readonly GridPhoto[],
	options: GroupingOptions
) => PhotoSection[] {
	let lastPhotos: { id: string; takenAt: number }[] = [];
	let lastOptions: GroupingOptions | undefined;
	let lastSections: PhotoSection[] = [];
	return (photos, options) => {
		const same =
			lastOptions !== undefined &&
			lastOptions.locale === options.locale &&
			lastOptions.timeZone === options.timeZone &&
			lastOptions.now === options.now &&
			lastPhotos.length === photos.length &&
			photos.every((p, i) => {
				const before = lastPhotos[i]!;
				return before.id === p.id && Object.is(before.takenAt, p.takenAt);
			});
		if (same) return lastSections;
		lastPhotos = photos.map(({ id, takenAt }) => ({ id, takenAt }));
		lastOptions = { ...options };
		lastSections = groupByDay(photos, options);
		return lastSections;
	};
}

/** The size cells aim for at a given container width: about 120 px on phones, 180 px on larger screens. */
export function targetCellSize(containerWidth: number): number {
	return containerWidth < 600 ? 120 : 180;
}

/** Space between cells: tight on phones, where every pixel is photo. */
export function cellGap(containerWidth: number): number {
	return containerWidth < 600 ? 2 : 4;
}

export const DAY_HEADER_HEIGHT = 44;
export const MONTH_HEADER_HEIGHT = 52;

/** One row of the virtual list: a heading (day, maybe with its month above) or a run of square cells. */
export interface GridRow {
	/** Stable across renders while the layout holds, for the virtualizer's keys. */
	key: string;
	kind: 'header' | 'cells';
	section: PhotoSection;
	/** On the header row of the first day of a month: the month's heading. */
	monthLabel?: string;
	/** The photos of a cells row, left to right; empty for headers. */
	photoIds: string[];
	/** Pixels, including the gap below a cells row. */
	height: number;
}

export interface RowLayoutOptions {
	/** Width of the grid's content box in px. */
	width: number;
	/** Preferred cell side in px; columns are chosen to come closest to it. */
	targetSize: number;
	gap?: number;
	dayHeaderHeight?: number;
	monthHeaderHeight?: number;
}

export interface GridLayout {
	columns: number;
	/** Side of each square cell in px, so that `columns` cells and their gaps fill the width exactly. */
	cellSize: number;
	gap: number;
	rows: GridRow[];
	/** Every photo id in display order (for ranges and the lightbox). */
	order: string[];
	/** The index in `rows` of the row that shows each photo. */
	rowOfPhoto: Map<string, number>;
}

/** Columns whose cells come closest to `targetSize`; at least one. */
export function columnsFor(width: number, targetSize: number, gap: number): number {
	if (!(width > 0) || !(targetSize > 0)) return 1;
	return Math.max(1, Math.round((width + gap) / (targetSize + gap)));
}

/** Lays sections out as rows of square cells for a container `width` wide. */
export function layoutRows(
	sections: readonly PhotoSection[],
	options: RowLayoutOptions
): GridLayout {
	const gap = options.gap ?? 2;
	const dayHeader = options.dayHeaderHeight ?? DAY_HEADER_HEIGHT;
	const monthHeader = options.monthHeaderHeight ?? MONTH_HEADER_HEIGHT;
	const width = Math.max(0, options.width);
	const columns = columnsFor(width, options.targetSize, gap);
	const cellSize = Math.max(0, (width - gap * (columns - 1)) / columns);

	const rows: GridRow[] = [];
	const order: string[] = [];
	const rowOfPhoto = new Map<string, number>();
	let previousMonth: string | undefined;
	for (const section of sections) {
		const opensMonth = section.monthKey !== previousMonth;
		previousMonth = section.monthKey;
		rows.push({
			key: `h:${section.key}`,
			kind: 'header',
			section,
			...(opensMonth ? { monthLabel: section.monthLabel } : {}),
			photoIds: [],
			height: dayHeader + (opensMonth ? monthHeader : 0)
		});
		for (let start = 0; start < section.photoIds.length; start += columns) {
			const photoIds = section.photoIds.slice(start, start + columns);
			for (const id of photoIds) {
				rowOfPhoto.set(id, rows.length);
				order.push(id);
			}
			rows.push({
				key: `c:${section.key}:${start / columns}`,
				kind: 'cells',
				section,
				photoIds,
				height: cellSize + gap
			});
		}
	}
	return { columns, cellSize, gap, rows, order, rowOfPhoto };
}

export type GridMove = 'left' | 'right' | 'up' | 'down' | 'home' | 'end';

/**
 * The photo the keyboard moves to from `id`: left/right walk the display order; up/down keep the
 * column in the nearest row of cells above or below (across day headings), or the last cell of a
 * shorter row. Undefined at the edges.
 */
export function photoInDirection(
	layout: GridLayout,
	id: string,
	move: GridMove
): string | undefined {
	const { order, rows, rowOfPhoto } = layout;
	if (move === 'home') return order[0];
	if (move === 'end') return order[order.length - 1];
	const rowIndex = rowOfPhoto.get(id);
	if (rowIndex === undefined) return order[0];
	if (move === 'left' || move === 'right') {
		const at = order.indexOf(id);
		return order[at + (move === 'left' ? -1 : 1)];
	}
	const column = rows[rowIndex]!.photoIds.indexOf(id);
	const step = move === 'up' ? -1 : 1;
	for (let r = rowIndex + step; r >= 0 && r < rows.length; r += step) {
		const row = rows[r]!;
		if (row.kind !== 'cells') continue;
		return row.photoIds[Math.min(column, row.photoIds.length - 1)];
	}
	return undefined;
}
