// Each album's MembershipState, replayed from its stored chain on first use and kept in a bounded LRU.

import * as v from 'valibot';
import {
	applyMembershipEntry,
	MembershipEntrySchema,
	type MembershipState
} from '../../src/lib/protocol';
import type { AlbumStore } from './album-store';

/** Albums whose state stays in memory; others are replayed from SQLite when next used. */
export const MEMBERSHIP_CACHE_ALBUMS = 1000;

export class MembershipCache {
	// A Map iterates in insertion order: re-inserting on use keeps the least recent first.
	private readonly states = new Map<string, MembershipState>();

	constructor(
		private readonly store: AlbumStore,
		private readonly capacity = MEMBERSHIP_CACHE_ALBUMS
	) {}

	/**
	 * The album's state at its head, or undefined when the relay has no such album. Entries were
	 * checked (signature, hash, rules) when they were appended, so the replay trusts the stored
	 * hashes and only re-runs the rules; it is synchronous, so callers can read and then write
	 * without another message slipping in between.
	 */
	get(albumId: string): MembershipState | undefined {
		const cached = this.states.get(albumId);
		if (cached) {
			this.states.delete(albumId);
			this.states.set(albumId, cached);
			return cached;
		}
		const chain = this.store.chain(albumId);
		if (chain.length === 0) return undefined;
		let state: MembershipState | null = null;
		for (const stored of chain) {
			const entry = v.parse(MembershipEntrySchema, JSON.parse(stored.json));
			state = applyMembershipEntry(state, entry, stored.hash);
		}
		this.set(albumId, state!);
		return state!;
	}

	/** Records the state after an entry the store has committed. */
	set(albumId: string, state: MembershipState): void {
		this.states.delete(albumId);
		this.states.set(albumId, state);
		while (this.states.size > this.capacity) {
			const oldest = this.states.keys().next().value;
			if (oldest === undefined) break;
			this.states.delete(oldest);
		}
	}

	get size(): number {
		return this.states.size;
	}
}
