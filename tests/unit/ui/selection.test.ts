// Grid selection: toggling, shift-click ranges in display order, a day's "select all".

import { describe, expect, it } from 'vitest';
import {
	allSelected,
	selectRange,
	toggleAll,
	toggleSelected
} from '../../../src/lib/ui/photos/selection';

const order = ['a', 'b', 'c', 'd', 'e'];

describe('selection', () => {
	it('toggles one photo into a new set, leaving the old one as it was', () => {
		const before = new Set(['a']);
		const after = toggleSelected(before, 'b');
		expect([...after]).toEqual(['a', 'b']);
		expect([...before]).toEqual(['a']);
		expect([...toggleSelected(after, 'a')]).toEqual(['b']);
	});

	it('adds everything between the anchor and the shift-clicked photo, either way round', () => {
		expect([...selectRange(new Set(['b']), order, 'b', 'd')].sort()).toEqual(['b', 'c', 'd']);
		expect([...selectRange(new Set(['d']), order, 'd', 'a')].sort()).toEqual(['a', 'b', 'c', 'd']);
	});

	it('never removes photos with a range, and toggles alone without an anchor', () => {
		expect([...selectRange(new Set(['e']), order, 'a', 'b')].sort()).toEqual(['a', 'b', 'e']);
		expect([...selectRange(new Set(), order, undefined, 'c')]).toEqual(['c']);
		expect([...selectRange(new Set(), order, 'gone', 'c')]).toEqual(['c']);
	});

	it("selects a whole day, or clears it when it's all selected", () => {
		const day = ['b', 'c'];
		const once = toggleAll(new Set(['a', 'b']), day);
		expect(allSelected(once, day)).toBe(true);
		expect([...toggleAll(once, day)]).toEqual(['a']);
		expect(allSelected(new Set(), [])).toBe(false);
	});
});
