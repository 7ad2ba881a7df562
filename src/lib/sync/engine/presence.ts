// Who is here and who is uploading: short-lived, encrypted presence beacons that expire unless renewed.

import * as v from 'valibot';

/** What a beacon says, inside an ephemeral envelope on the sender's activity doc. */
export const PresencePayloadSchema = v.strictObject({
	here: v.boolean(),
	uploading: v.pipe(v.number(), v.safeInteger(), v.minValue(0), v.maxValue(1_000_000))
});
export type PresencePayload = v.InferOutput<typeof PresencePayloadSchema>;

export interface PresentMember {
	/** The member's signing key. */
	member: string;
	/** Files they are uploading right now. */
	uploading: number;
}

/** Beacons are resent every TTL/2, so one lost beacon does not make someone vanish. */
export const DEFAULT_PRESENCE_TTL_MS = 30_000;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodePresence(payload: PresencePayload): Uint8Array {
	return encoder.encode(JSON.stringify(payload));
}

/** A payload from a verified, decrypted envelope; null when it is not a presence beacon. */
export function decodePresence(bytes: Uint8Array): PresencePayload | null {
	try {
		const result = v.safeParse(PresencePayloadSchema, JSON.parse(decoder.decode(bytes)));
		return result.success ? result.output : null;
	} catch {
		return null;
	}
}

/** The members seen recently, each until their last beacon's TTL runs out. */
export class PresenceBoard {
	private readonly seen = new Map<string, { uploading: number; until: number }>();

	constructor(private readonly ttlMs = DEFAULT_PRESENCE_TTL_MS) {}

	record(member: string, payload: PresencePayload, now: number): void {
		if (payload.here)
			this.seen.set(member, { uploading: payload.uploading, until: now + this.ttlMs });
		else this.seen.delete(member);
	}

	/** Forgets a member at once (they left the album). */
	forget(member: string): void {
		this.seen.delete(member);
	}

	list(now: number): PresentMember[] {
		const present: PresentMember[] = [];
		for (const [member, { uploading, until }] of this.seen) {
			if (until <= now) this.seen.delete(member);
			else present.push({ member, uploading });
		}
		return present.sort((a, b) => (a.member < b.member ? -1 : a.member > b.member ? 1 : 0));
	}
}
