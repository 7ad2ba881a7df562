// Selection arithmetic of the grid: toggling one photo and shift-selecting a run, always as a new Set.

/** A new set with `id` added, or removed if it was there (a new Set, so bound state updates). */
export function toggleSelected(selected: ReadonlySet<string>, id: string): Set<string> {
	const next = new Set(selected);
	if (!next.delete(id)) next.add(id);
	return next;
}

/**
 * Shift-click: everything from `anchor` to `id` in display order joins the selection (nothing is
 * removed, as in file managers). Without a known anchor it toggles `id` alone.
 */
export function selectRange(
	selected: ReadonlySet<string>,
	order: readonly string[],
	anchor: string | undefined,
	id: string
): Set<string> {
	const from = anchor === undefined ? -1 : order.indexOf(anchor);
	const to = order.indexOf(id);
	if (from < 0 || to < 0) return toggleSelected(selected, id);
	const next = new Set(selected);
	const [start, end] = from <= to ? [from, to] : [to, from];
	for (let i = start; i <= end; i++) next.add(order[i]!);
	return next;
}

/** Whether every id of `ids` is selected (a day's "select all" shows as done then). */
export function allSelected(selected: ReadonlySet<string>, ids: readonly string[]): boolean {
	return ids.length > 0 && ids.every((id) => selected.has(id));
}

/** Selects all of `ids`, or, if they all already are, deselects them. */
export function toggleAll(selected: ReadonlySet<string>, ids: readonly string[]): Set<string> {
	const next = new Set(selected);
	if (allSelected(selected, ids)) for (const id of ids) next.delete(id);
	else for (const id of ids) next.add(id);
	return next;
}
