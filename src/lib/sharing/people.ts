// The people an account shares with: their keys from the directory, pinned on first use (I6), and the names beside member keys.

import { fromBase64Url } from '../crypto';
import { verificationId } from '../crypto/verification';
import type { PinRecord, TesseraDB } from '../local/db';
import type { DirectoryResponse, PublicKeys } from '../protocol';

/** The relay's key directory (AccountApi with the session's token, or a test double of it). */
export interface Directory {
	lookUp(email: string): Promise<DirectoryResponse>;
	/** A fellow member's email; the relay answers only someone who shares an album with them. */
	lookUpMember(signPk: string): Promise<DirectoryResponse>;
}

export type Trust =
	/** Never shared with before: these keys get pinned when the user shares. */
	| 'first-use'
	/** The directory served the keys pinned before. */
	| 'pinned'
	/** The directory serves other keys than the pinned ones: sharing stops until re-verified. */
	| 'changed';

/** A person the user is about to share with, as the share sheet shows them. */
export interface Recipient {
	email: string;
	keys: PublicKeys;
	/** The Verification ID of `keys`, to compare with what the person sees in their Settings. */
	verificationId: string;
	trust: Trust;
	/** For `changed`: the Verification ID of the pinned keys, to show what changed. */
	pinnedVerificationId?: string;
	/** Whether the user once said they compared this person's Verification ID out of band. */
	verified: boolean;
}

/** Sharing with this person is blocked until the user compares their new Verification ID (I6). */
export class KeyChangedError extends Error {
	constructor(readonly recipient: Recipient) {
		super(
			`The keys Tessera’s server gives for ${recipient.email} are not the ones you shared with before. ` +
				'Sharing with them is stopped until you compare their new Verification ID with them, in person or by a call.'
		);
		this.name = 'KeyChangedError';
	}
}

function sameKeys(pin: PinRecord, keys: PublicKeys): boolean {
	return pin.signPk === keys.signPk && pin.boxPk === keys.boxPk;
}

export function keysVerificationId(keys: PublicKeys): Promise<string> {
	return verificationId(fromBase64Url(keys.signPk, 32), fromBase64Url(keys.boxPk, 32));
}

/** Pins on this device, checked against the directory every time someone is shared with. */
export class People {
	/** Member key -> email, as the directory said this session (member lists ask often). */
	private readonly names = new Map<string, Promise<string | null>>();

	constructor(
		private readonly db: TesseraDB,
		private readonly directory: Directory
	) {}

	/** Looks `email` up and compares the keys with the pin, if any. Throws the directory's errors. */
	async recipient(email: string): Promise<Recipient> {
		const listing = await this.directory.lookUp(email.trim());
		return this.compare(listing);
	}

	/** The same comparison for keys that came another way (an accepted invite names them). */
	recipientFor(listing: DirectoryResponse): Promise<Recipient> {
		return this.compare(listing);
	}

	/**
	 * What the share sheet may go on with: pins a first-use recipient, and refuses a changed key
	 * (KeyChangedError) — the caller shows the warning and offers `accept` after comparing.
	 */
	async confirm(recipient: Recipient): Promise<void> {
		const current = await this.compare({ email: recipient.email, publicKeys: recipient.keys });
		if (current.trust === 'changed') throw new KeyChangedError(current);
		if (current.trust === 'first-use') {
			await this.db.pins.put({
				email: current.email,
				signPk: current.keys.signPk,
				boxPk: current.keys.boxPk,
				pinnedAt: Date.now(),
				verifiedAt: null
			});
		}
	}

	/** The user compared the Verification ID of `recipient` with them: pin these keys as verified. */
	async accept(recipient: Recipient): Promise<void> {
		await this.db.pins.put({
			email: recipient.email,
			signPk: recipient.keys.signPk,
			boxPk: recipient.keys.boxPk,
			pinnedAt: Date.now(),
			verifiedAt: Date.now()
		});
	}

	/** The pinned email of a member key, else the directory's answer; null when neither knows. */
	nameOf(signPk: string): Promise<string | null> {
		let name = this.names.get(signPk);
		if (!name) {
			name = this.lookUpName(signPk);
			this.names.set(signPk, name);
		}
		return name;
	}

	/** Whether the pin for `email` (if any) holds `signPk`: false means the member's key changed. */
	async matchesPin(email: string, signPk: string): Promise<boolean> {
		const pin = await this.db.pins.get(email);
		return !pin || pin.signPk === signPk;
	}

	private async lookUpName(signPk: string): Promise<string | null> {
		const pinned = await this.db.pins.where('signPk').equals(signPk).first();
		if (pinned) return pinned.email;
		try {
			return (await this.directory.lookUpMember(signPk)).email;
		} catch {
			// Not known to this device, and the directory would not say (offline, or no shared album):
			// the list shows the Verification ID alone. Asked again next session.
			this.names.delete(signPk);
			return null;
		}
	}

	private async compare(listing: DirectoryResponse): Promise<Recipient> {
		const pin = await this.db.pins.get(listing.email);
		const base = {
			email: listing.email,
			keys: listing.publicKeys,
			verificationId: await keysVerificationId(listing.publicKeys)
		};
		if (!pin) return { ...base, trust: 'first-use', verified: false };
		if (sameKeys(pin, listing.publicKeys)) {
			return { ...base, trust: 'pinned', verified: pin.verifiedAt !== null };
		}
		return {
			...base,
			trust: 'changed',
			verified: false,
			pinnedVerificationId: await keysVerificationId({ signPk: pin.signPk, boxPk: pin.boxPk })
		};
	}
}
