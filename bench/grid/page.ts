// What the grid benchmark runs inside Chromium: a paint probe installed before the app's scripts, and a steady scroll timed by requestAnimationFrame.

import type { Page } from '@playwright/test';

/** Times in ms since the document's navigation start (performance.now()), each taken after the frame that first showed it. */
export interface PaintMarks {
	/** The app's shell (the Main navigation). */
	shell?: number;
	/** First contentful paint, from the browser's paint timing. */
	fcp?: number;
	/** The library count reading the expected text. */
	count?: number;
	/** The library itself open (not only its saved first screen): the whole grid is there. */
	ready?: number;
	/** A grid cell in the DOM. */
	cell?: number;
	/** A grid cell showing a picture: its ThumbHash placeholder or its thumbnail, decoded. */
	gridPaint?: number;
	/** A grid cell showing its decrypted thumbnail. */
	thumb?: number;
}

/**
 * The probe, as source text: page scripts are passed as strings so that nothing the TypeScript
 * loader adds to compiled functions (such as esbuild's __name helper) reaches the page.
 *
 * Each animation frame, before the page renders, it checks what the DOM holds; what is there is
 * in that frame. A MessageChannel message posted then runs after the frame's rendering, so the
 * mark is taken once that frame has been painted. Polling stops when every mark is taken.
 */
export function probeScript(countText: string): string {
	return `(() => {
	const marks = {};
	window.__gridBench = marks;
	const pictureShown = (selector) => {
		for (const img of document.querySelectorAll(selector)) {
			if (img.complete && img.naturalWidth > 0) return true;
		}
		return false;
	};
	const checks = {
		shell: () => document.querySelector('nav[aria-label="Main"]') !== null,
		count: () => {
			const count = document.querySelector('[data-testid="library-count"]');
			return count !== null && count.textContent.trim() === ${JSON.stringify(countText)};
		},
		ready: () => document.querySelector('[data-testid="library-count"][data-state="ready"]') !== null,
		cell: () => document.querySelector('[data-testid="grid-cell"]') !== null,
		gridPaint: () => pictureShown('[data-testid="grid-cell"] img'),
		thumb: () => pictureShown('[data-testid="thumb-img"]')
	};
	const seen = new Set();
	const afterPaint = (name) => {
		const channel = new MessageChannel();
		channel.port1.onmessage = () => {
			marks[name] = performance.now();
			channel.port1.close();
		};
		channel.port2.postMessage(null);
	};
	const poll = () => {
		for (const name of Object.keys(checks)) {
			if (seen.has(name) || !checks[name]()) continue;
			seen.add(name);
			afterPaint(name);
		}
		if (seen.size < Object.keys(checks).length) requestAnimationFrame(poll);
	};
	requestAnimationFrame(poll);
})();`;
}

export function readMarks(page: Page): Promise<PaintMarks> {
	return page.evaluate(`({
		...(window.__gridBench ?? {}),
		fcp: performance.getEntriesByName('first-contentful-paint')[0]?.startTime
	})`) as Promise<PaintMarks>;
}

/**
 * Waits until the probe has taken `mark` in the current document. Polled from Node with
 * page.evaluate (DevTools' evaluate is not subject to the app's CSP; waitForFunction's is).
 */
export async function waitForMark(
	page: Page,
	mark: keyof PaintMarks,
	timeout: number
): Promise<void> {
	const deadline = Date.now() + timeout;
	for (;;) {
		const marks = await readMarks(page).catch(() => ({}) as PaintMarks);
		if (marks[mark] !== undefined) return;
		if (Date.now() > deadline) throw new Error(`the page showed no "${mark}" within ${timeout} ms`);
		await new Promise((resolve) => setTimeout(resolve, 50));
	}
}

export interface ScrollRun {
	/** requestAnimationFrame timestamps, one per frame. */
	stamps: number[];
	startY: number;
	endY: number;
	/** Grid cells in the viewport when the scroll ended, and how many showed a placeholder or their thumbnail. */
	onScreen: number;
	withPicture: number;
	withThumbnail: number;
}

/**
 * Scrolls the window by `stepPx` in every animation frame for `durationMs`, as a steady fling
 * would, and returns the frames' timestamps: the browser skips rAF callbacks for frames it could
 * not produce in time, so the gaps show the frames lost to the page's work (for the grid:
 * rendering rows, decrypting and decoding thumbnails).
 */
export function scrollSteadily(page: Page, stepPx: number, durationMs: number): Promise<ScrollRun> {
	return page.evaluate(`new Promise((resolve) => {
	const stamps = [];
	const startY = window.scrollY;
	const shown = (img) => img !== null && img.complete && img.naturalWidth > 0;
	const step = (time) => {
		stamps.push(time);
		if (time - stamps[0] >= ${durationMs}) {
			let onScreen = 0;
			let withPicture = 0;
			let withThumbnail = 0;
			for (const cell of document.querySelectorAll('[data-testid="grid-cell"]')) {
				const box = cell.getBoundingClientRect();
				if (box.bottom <= 0 || box.top >= window.innerHeight) continue;
				onScreen++;
				if ([...cell.querySelectorAll('img')].some(shown)) withPicture++;
				if (shown(cell.querySelector('[data-testid="thumb-img"]'))) withThumbnail++;
			}
			resolve({ stamps, startY, endY: window.scrollY, onScreen, withPicture, withThumbnail });
			return;
		}
		window.scrollBy(0, ${stepPx});
		requestAnimationFrame(step);
	};
	requestAnimationFrame(step);
})`) as Promise<ScrollRun>;
}

/** A plain page as tall as the grid, nothing in it but colour: what this machine's Chromium scrolls at. */
export const CONTROL_PAGE =
	'<!doctype html><body style="margin:0"><div style="height:300000px;' +
	'background:repeating-linear-gradient(#8ab 0 120px,#dcb 120px 240px)"></div></body>';

export interface FrameStats {
	frames: number;
	fps: number;
	/** Frames that took more than 1.5 vsyncs at 60 Hz (25 ms): at least one frame dropped. */
	dropped: number;
	/** Frames over 50 ms (a long animation frame). */
	long: number;
	worstMs: number;
}

export function frameStats(stamps: readonly number[]): FrameStats {
	const gaps = stamps.slice(1).map((t, i) => t - stamps[i]!);
	const span = stamps[stamps.length - 1]! - stamps[0]!;
	return {
		frames: gaps.length,
		fps: span > 0 ? (gaps.length * 1000) / span : 0,
		dropped: gaps.filter((g) => g > 25).length,
		long: gaps.filter((g) => g > 50).length,
		worstMs: Math.max(0, ...gaps)
	};
}
