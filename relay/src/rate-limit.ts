// In-memory sliding-window rate limits per key (account, address, session), bounded in size.

import type { IncomingMessage } from 'node:http';

export interface RateLimitRule {
	/** Events allowed per window. */
	limit: number;
	windowMs: number;
}

export type RateLimitVerdict = { limited: false } | { limited: true; retryAfterS: number };

/** Keys tracked per limiter; past it the least recently hit keys are forgotten first. */
export const DEFAULT_MAX_TRACKED_KEYS = 100_000;

/**
 * Remembers the times of the last `limit` events per key. A key is limited while `limit` events
 * fall inside the window; it frees up when the oldest of them leaves the window. Memory stays
 * bounded: each key keeps at most `limit` times, and at most `maxKeys` keys are tracked (evicting
 * expired keys first, then the least recently hit), so a flood of new keys cannot exhaust memory.
 */
export class RateLimiter {
	private readonly events = new Map<string, number[]>();

	constructor(
		readonly rule: RateLimitRule,
		private readonly now: () => number = Date.now,
		private readonly maxKeys: number = DEFAULT_MAX_TRACKED_KEYS
	) {}

	/** Whether `key` is limited now, without counting an event. */
	check(key: string): RateLimitVerdict {
		const times = this.live(key);
		if (!times || times.length < this.rule.limit) return { limited: false };
		const oldest = times[0]!;
		const waitMs = oldest + this.rule.windowMs - this.now();
		return { limited: true, retryAfterS: Math.max(1, Math.ceil(waitMs / 1000)) };
	}

	/** Counts one event for `key`. */
	hit(key: string): void {
		const times = this.live(key) ?? [];
		times.push(this.now());
		if (times.length > this.rule.limit) times.splice(0, times.length - this.rule.limit);
		// Re-insert so the map's order is least recently hit first.
		this.events.delete(key);
		this.events.set(key, times);
		this.evict();
	}

	/** Checks, and counts the event when it is allowed: for limits on every request. */
	take(key: string): RateLimitVerdict {
		const verdict = this.check(key);
		if (!verdict.limited) this.hit(key);
		return verdict;
	}

	/** Forgets `key` (e.g. its account was deleted). */
	forget(key: string): void {
		this.events.delete(key);
	}

	get trackedKeys(): number {
		return this.events.size;
	}

	/** The key's event times still inside the window, or undefined. */
	private live(key: string): number[] | undefined {
		const times = this.events.get(key);
		if (!times) return undefined;
		const since = this.now() - this.rule.windowMs;
		let expired = 0;
		while (expired < times.length && times[expired]! <= since) expired++;
		if (expired === times.length) {
			this.events.delete(key);
			return undefined;
		}
		if (expired > 0) times.splice(0, expired);
		return times;
	}

	private evict(): void {
		if (this.events.size <= this.maxKeys) return;
		const since = this.now() - this.rule.windowMs;
		for (const [key, times] of this.events) {
			if (this.events.size <= this.maxKeys) return;
			if ((times.at(-1) ?? 0) <= since) this.events.delete(key);
		}
		for (const key of this.events.keys()) {
			if (this.events.size <= this.maxKeys) return;
			this.events.delete(key);
		}
	}
}

/**
 * The address rate limits apply to. Behind a reverse proxy (TRUST_PROXY) it is the last
 * X-Forwarded-For entry: the one our proxy appended. Earlier entries come from the client and
 * could be anything, so they are never used.
 */
export function clientAddress(req: IncomingMessage, trustProxy: boolean): string {
	if (trustProxy) {
		const header = req.headers['x-forwarded-for'];
		const joined = Array.isArray(header) ? header.join(',') : header;
		const last = joined
			?.split(',')
			.map((part) => part.trim())
			.filter(Boolean)
			.at(-1);
		if (last) return last.slice(0, 64);
	}
	return req.socket.remoteAddress ?? 'unknown';
}
