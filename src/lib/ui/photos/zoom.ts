// The lightbox's zoom and swipe arithmetic: scale about a point, pan clamped to the image, swipe intent.

export interface Size {
	width: number;
	height: number;
}

/** translate(x, y) scale(scale), with the transform origin at the centre of the stage. */
export interface ZoomState {
	scale: number;
	x: number;
	y: number;
}

export const IDENTITY: ZoomState = { scale: 1, x: 0, y: 0 };
export const MAX_SCALE = 4;
/** Where a double tap zooms to. */
export const DOUBLE_TAP_SCALE = 2.5;

/** The image's box at scale 1: fitted inside the stage, never enlarged past its own pixels. */
export function fittedSize(natural: Size, stage: Size): Size {
	if (!(natural.width > 0 && natural.height > 0))
		return { width: stage.width, height: stage.height };
	const ratio = Math.min(1, stage.width / natural.width, stage.height / natural.height);
	return { width: natural.width * ratio, height: natural.height * ratio };
}

/** Scale within [1, max]; pan within the range that keeps the image's edges at or beyond the stage's. */
export function clampZoom(
	state: ZoomState,
	content: Size,
	stage: Size,
	max = MAX_SCALE
): ZoomState {
	const scale = Math.min(max, Math.max(1, Number.isFinite(state.scale) ? state.scale : 1));
	const limitX = Math.max(0, (content.width * scale - stage.width) / 2);
	const limitY = Math.max(0, (content.height * scale - stage.height) / 2);
	const clamp = (value: number, limit: number) =>
		// `|| 0` turns -0 into 0.
		Number.isFinite(value) ? Math.min(limit, Math.max(-limit, value)) || 0 : 0;
	return { scale, x: clamp(state.x, limitX), y: clamp(state.y, limitY) };
}

/**
 * Zooms to `scale` keeping the image point under `point` (relative to the stage's centre) where it
 * is, as pinch and wheel zoom should; then clamps.
 */
export function zoomAt(
	state: ZoomState,
	scale: number,
	point: { x: number; y: number },
	content: Size,
	stage: Size,
	max = MAX_SCALE
): ZoomState {
	const target = Math.min(max, Math.max(1, scale));
	// The image coordinate under the point stays fixed: point = offset + imagePoint * scale.
	const imageX = (point.x - state.x) / state.scale;
	const imageY = (point.y - state.y) / state.scale;
	return clampZoom(
		{ scale: target, x: point.x - imageX * target, y: point.y - imageY * target },
		content,
		stage,
		max
	);
}

/** Moves by (dx, dy) screen pixels, clamped. */
export function panBy(
	state: ZoomState,
	dx: number,
	dy: number,
	content: Size,
	stage: Size
): ZoomState {
	return clampZoom({ ...state, x: state.x + dx, y: state.y + dy }, content, stage);
}

export type SwipeIntent = 'next' | 'previous' | 'close' | null;

/**
 * What a one-finger drag of (dx, dy) px across a stage `width` wide means when not zoomed: mostly
 * sideways and past a fifth of the width (or 80 px) changes photo; mostly downwards past 120 px closes.
 */
export function swipeIntent(dx: number, dy: number, width: number): SwipeIntent {
	const sideways = Math.abs(dx) > Math.abs(dy) * 1.2;
	if (sideways && Math.abs(dx) >= Math.min(80, width / 5)) return dx < 0 ? 'next' : 'previous';
	if (!sideways && dy >= 120 && dy > Math.abs(dx) * 2) return 'close';
	return null;
}
