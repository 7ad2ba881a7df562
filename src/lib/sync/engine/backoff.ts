// Reconnect delays: exponential backoff with full jitter, so a relay restart is not met by every client at once.

export interface BackoffOptions {
	/** The first retry waits up to this long. */
	baseMs: number;
	/** No wait is longer than this. */
	capMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 500, capMs: 30_000 };

/**
 * The wait before retry number `attempt` (0 for the first): uniform in [0, min(cap, base·2^attempt)).
 * "Full jitter" (AWS Architecture Blog, Exponential Backoff and Jitter) spreads reconnects of many
 * clients evenly instead of in waves, and `random` is injected so tests replay a seed.
 */
export function backoffDelay(
	attempt: number,
	random: () => number,
	options = DEFAULT_BACKOFF
): number {
	const ceiling = Math.min(options.capMs, options.baseMs * 2 ** Math.min(attempt, 30));
	return Math.floor(random() * ceiling);
}
