// A window-scrolled virtual list as a rune class: @tanstack/virtual-core's Virtualizer with its rows in $state.

import {
	observeWindowOffset,
	observeWindowRect,
	Virtualizer,
	windowScroll,
	type VirtualItem,
	type VirtualizerOptions
} from '@tanstack/virtual-core';

export interface WindowListOptions {
	count: number;
	/** Exact height of row `index` in px (rows are laid out, never measured). */
	size: (index: number) => number;
	/** Stable key of row `index`. Pass a new function whenever the rows change, so sizes are recomputed. */
	key: (index: number) => string | number;
	/** Distance from the top of the document to the list, in px. */
	scrollMargin?: number;
	/** Rows rendered beyond each edge of the viewport. */
	overscan?: number;
	/** Space covered by sticky bars at the top and bottom, kept clear when scrolling to a row. */
	scrollPaddingStart?: number;
	scrollPaddingEnd?: number;
}

export class WindowVirtualList {
	/** The rows to render now; `start` includes the scroll margin. */
	items = $state.raw<VirtualItem[]>([]);
	totalSize = $state(0);
	readonly #virtualizer: Virtualizer<Window, HTMLElement>;

	constructor(options: WindowListOptions) {
		this.#virtualizer = new Virtualizer(this.#resolve(options));
	}

	/** Applies new rows or margins and re-renders. */
	update(options: WindowListOptions): void {
		this.#virtualizer.setOptions(this.#resolve(options));
		this.#virtualizer._willUpdate();
		this.#publish();
	}

	/** Starts following the window's size and scroll; returns the stop (fits `$effect`). */
	attach(): () => void {
		const cleanup = this.#virtualizer._didMount();
		this.#virtualizer._willUpdate();
		this.#publish();
		return cleanup;
	}

	scrollToIndex(index: number, align: 'start' | 'center' | 'end' | 'auto' = 'auto'): void {
		this.#virtualizer.scrollToIndex(index, { align });
	}

	/** Index of the first row at least partly below `offset` px of document scroll. */
	rowAt(offset: number): number | undefined {
		return this.#virtualizer.getVirtualItemForOffset(offset)?.index;
	}

	#resolve(options: WindowListOptions): VirtualizerOptions<Window, HTMLElement> {
		return {
			count: options.count,
			estimateSize: options.size,
			getItemKey: options.key,
			scrollMargin: options.scrollMargin ?? 0,
			overscan: options.overscan ?? 3,
			scrollPaddingStart: options.scrollPaddingStart ?? 0,
			scrollPaddingEnd: options.scrollPaddingEnd ?? 0,
			getScrollElement: () => (typeof window === 'undefined' ? null : window),
			observeElementRect: observeWindowRect,
			observeElementOffset: observeWindowOffset,
			scrollToFn: windowScroll,
			initialOffset: () => (typeof window === 'undefined' ? 0 : window.scrollY),
			onChange: () => this.#publish()
		};
	}

	#publish(): void {
		this.items = this.#virtualizer.getVirtualItems();
		this.totalSize = this.#virtualizer.getTotalSize();
	}
}
