// The relay's rate limiter: a sliding window per key, with a bounded number of keys.

import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { clientAddress, RateLimiter } from '../../../relay/src/rate-limit';

function clock(start = 1_000_000) {
	let now = start;
	return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('RateLimiter', () => {
	it('limits a key after `limit` events and says when it frees up', () => {
		const time = clock();
		const limiter = new RateLimiter({ limit: 3, windowMs: 60_000 }, time.now);
		for (let i = 0; i < 3; i++) {
			expect(limiter.check('alice')).toEqual({ limited: false });
			limiter.hit('alice');
			time.advance(10_000);
		}
		// Events at 0 s, 10 s, 20 s; now 30 s: the first leaves the window at 60 s.
		expect(limiter.check('alice')).toEqual({ limited: true, retryAfterS: 30 });
		expect(limiter.check('bob')).toEqual({ limited: false });
		time.advance(30_000);
		expect(limiter.check('alice')).toEqual({ limited: false });
	});

	it('take() counts only allowed events', () => {
		const time = clock();
		const limiter = new RateLimiter({ limit: 2, windowMs: 1000 }, time.now);
		expect(limiter.take('s').limited).toBe(false);
		expect(limiter.take('s').limited).toBe(false);
		expect(limiter.take('s').limited).toBe(true);
		time.advance(1000);
		expect(limiter.take('s').limited).toBe(false);
	});

	it('tracks a bounded number of keys, dropping expired ones first', () => {
		const time = clock();
		const limiter = new RateLimiter({ limit: 1, windowMs: 1000 }, time.now, 100);
		limiter.hit('old');
		time.advance(2000);
		limiter.hit('keep');
		for (let i = 0; i < 99; i++) limiter.hit(`new${i}`);
		expect(limiter.trackedKeys).toBe(100);
		expect(limiter.check('keep').limited).toBe(true);
		for (let i = 0; i < 10_000; i++) limiter.hit(`flood${i}`);
		expect(limiter.trackedKeys).toBe(100);
	});

	it('forgets a key on request', () => {
		const limiter = new RateLimiter({ limit: 1, windowMs: 1000 });
		limiter.hit('x');
		limiter.forget('x');
		expect(limiter.check('x').limited).toBe(false);
	});
});

describe('clientAddress', () => {
	const request = (forwarded?: string) =>
		({
			headers: forwarded === undefined ? {} : { 'x-forwarded-for': forwarded },
			socket: { remoteAddress: '10.0.0.1' }
		}) as unknown as IncomingMessage;

	it('uses the socket address unless the relay trusts a proxy', () => {
		expect(clientAddress(request('1.2.3.4'), false)).toBe('10.0.0.1');
	});

	it('behind a proxy, uses the entry the proxy appended, never what the client wrote', () => {
		expect(clientAddress(request('6.6.6.6, 1.2.3.4'), true)).toBe('1.2.3.4');
		expect(clientAddress(request('1.2.3.4'), true)).toBe('1.2.3.4');
		expect(clientAddress(request(), true)).toBe('10.0.0.1');
	});
});
