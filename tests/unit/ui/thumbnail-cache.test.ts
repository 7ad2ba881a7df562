// Grid thumbnails: loaded once, aborted when scrolled away, kept in a bounded cache, and every URL revoked.

import { describe, expect, it, vi } from 'vitest';
import { ThumbnailCache } from '../../../src/lib/ui/photos/thumbnail-cache';
import type { PhotoSource } from '../../../src/lib/ui/photos/types';

interface Pending {
	id: string;
	signal: AbortSignal;
	resolve: (url: string) => void;
	reject: (error: Error) => void;
}

function fakeSource() {
	const pending: Pending[] = [];
	const source: PhotoSource = {
		thumbnail: (id, signal) =>
			new Promise<string>((resolve, reject) => pending.push({ id, signal, resolve, reject })),
		full: () => Promise.reject(new Error('unused')),
		details: () => Promise.reject(new Error('unused')),
		download: () => Promise.resolve()
	};
	return { source, pending };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

function setup(capacity = 2) {
	const { source, pending } = fakeSource();
	const revoked: string[] = [];
	const cache = new ThumbnailCache(source, { capacity, revoke: (url) => revoked.push(url) });
	return { cache, pending, revoked };
}

describe('ThumbnailCache', () => {
	it('asks the source once per photo however many cells show it, and publishes the URL', async () => {
		const { cache, pending } = setup();
		cache.retain('a');
		cache.retain('a');
		expect(pending).toHaveLength(1);
		expect(cache.get('a')).toEqual({ status: 'loading' });
		pending[0]!.resolve('blob:a');
		await settle();
		expect(cache.get('a')).toEqual({ status: 'ready', url: 'blob:a' });
	});

	it('aborts a thumbnail whose cell scrolled away before it arrived, and revokes it if it comes anyway', async () => {
		const { cache, pending, revoked } = setup();
		const release = cache.retain('a');
		release();
		expect(pending[0]!.signal.aborted).toBe(true);
		expect(cache.get('a')).toBeUndefined();
		pending[0]!.resolve('blob:late');
		await settle();
		expect(revoked).toEqual(['blob:late']);
		expect(cache.get('a')).toBeUndefined();
	});

	it('does not abort while another cell still shows the photo', () => {
		const { cache, pending } = setup();
		const first = cache.retain('a');
		cache.retain('a');
		first();
		first(); // a second call of the same release changes nothing
		expect(pending[0]!.signal.aborted).toBe(false);
	});

	it('keeps at most `capacity` thumbnails off screen, revoking the one that left the screen first', async () => {
		const { cache, pending, revoked } = setup(2);
		const releases = ['a', 'b', 'c'].map((id) => cache.retain(id));
		for (const p of pending) p.resolve(`blob:${p.id}`);
		await settle();
		releases[1]!(); // b leaves the screen
		releases[0]!(); // then a
		expect(revoked).toEqual([]); // two off screen: within capacity
		releases[2]!(); // then c: three off screen, so b, gone longest, goes
		expect(revoked).toEqual(['blob:b']);
		expect(cache.get('b')).toBeUndefined();
		expect(cache.get('a')).toEqual({ status: 'ready', url: 'blob:a' });
	});

	it('never evicts a thumbnail on screen, however many there are', async () => {
		const { cache, pending, revoked } = setup(0);
		['a', 'b', 'c'].map((id) => cache.retain(id));
		for (const p of pending) p.resolve(`blob:${p.id}`);
		await settle();
		expect(revoked).toEqual([]);
		expect(cache.get('c')).toEqual({ status: 'ready', url: 'blob:c' });
	});

	it('keeps a recently shown thumbnail instead of refetching it', async () => {
		const { cache, pending } = setup(2);
		const release = cache.retain('a');
		pending[0]!.resolve('blob:a');
		await settle();
		release();
		cache.retain('a');
		expect(pending).toHaveLength(1);
		expect(cache.get('a')).toEqual({ status: 'ready', url: 'blob:a' });
	});

	it("shows the source's message when a thumbnail fails, and tries again on retry", async () => {
		const { cache, pending } = setup();
		cache.retain('a');
		pending[0]!.reject(new Error('This photo was changed after upload.'));
		await settle();
		expect(cache.get('a')).toEqual({
			status: 'error',
			message: 'This photo was changed after upload.'
		});
		cache.retry('a');
		expect(pending).toHaveLength(2);
		expect(cache.get('a')).toEqual({ status: 'loading' });
	});

	it('turns an image the browser cannot draw into an error, revoking its URL', async () => {
		const { cache, pending, revoked } = setup();
		cache.retain('a');
		pending[0]!.resolve('blob:a');
		await settle();
		cache.fail('a');
		expect(cache.get('a')?.status).toBe('error');
		expect(revoked).toEqual(['blob:a']);
	});

	it('aborts everything and revokes every URL on close', async () => {
		const { cache, pending, revoked } = setup(10);
		cache.retain('a');
		cache.retain('b');
		pending[0]!.resolve('blob:a');
		await settle();
		cache.close();
		expect(pending[1]!.signal.aborted).toBe(true);
		expect(revoked).toEqual(['blob:a']);
		cache.retain('c');
		expect(pending).toHaveLength(2);
	});

	it('waits for a thumbnail someone is still uploading, then shows it', async () => {
		vi.useFakeTimers();
		try {
			const { cache, pending } = setup();
			cache.retain('a');
			const notYet = Object.assign(new Error('This file is not on the server (any more).'), {
				code: 'blob-not-found'
			});
			pending[0]!.reject(notYet);
			await vi.advanceTimersByTimeAsync(0);
			expect(cache.get('a')).toEqual({ status: 'loading' });
			await vi.advanceTimersByTimeAsync(1_000);
			expect(pending).toHaveLength(2);
			pending[1]!.resolve('blob:a');
			await vi.advanceTimersByTimeAsync(0);
			expect(cache.get('a')).toEqual({ status: 'ready', url: 'blob:a' });
		} finally {
			vi.useRealTimers();
		}
	});

	it('gives up on a thumbnail that never arrives, with the error in words', async () => {
		vi.useFakeTimers();
		try {
			const { cache, pending } = setup();
			cache.retain('a');
			const notYet = Object.assign(new Error('This file is not on the server (any more).'), {
				code: 'blob-not-found'
			});
			for (let i = 0; i < 20 && cache.get('a')?.status === 'loading'; i++) {
				pending.at(-1)!.reject(notYet);
				await vi.advanceTimersByTimeAsync(60_000);
			}
			expect(pending.length).toBe(8);
			expect(cache.get('a')).toEqual({
				status: 'error',
				message: 'This file is not on the server (any more).'
			});
		} finally {
			vi.useRealTimers();
		}
	});
});
