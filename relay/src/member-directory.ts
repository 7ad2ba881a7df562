// Looking up a fellow member's email by signing key: only for someone who shares an album with them.

import type { RelayDatabase } from './db';

export interface MemberListing {
	email: string;
	publicKeys: { boxPk: string; signPk: string };
}

interface Row {
	email: string;
	box_pk: Buffer;
	sign_pk: Buffer;
}

const b64 = (bytes: Buffer) => bytes.toString('base64url');

/**
 * The relay already holds every album's members (album_members, keys as in the chain) and every
 * account's keys; answering "who is this key" to a person in the same album tells them nothing the
 * album's owner did not choose to show them by adding that person.
 */
export class MemberDirectory {
	private readonly statements;

	constructor(db: RelayDatabase) {
		this.statements = {
			shareAnAlbum: db.prepare(
				`SELECT 1 FROM album_members mine
				JOIN album_members theirs ON theirs.album_id = mine.album_id
				JOIN albums a ON a.album_id = mine.album_id
				WHERE mine.sign_pk = ? AND theirs.sign_pk = ? AND a.deleted_at IS NULL
				LIMIT 1`
			),
			bySignPk: db.prepare(
				'SELECT email, box_pk, sign_pk FROM accounts WHERE sign_pk = ? AND verified_at IS NOT NULL'
			)
		};
	}

	/** The member's email and keys, if `askerSignPk` shares a live album with `memberSignPk`. */
	lookUp(askerSignPk: string, memberSignPk: string): MemberListing | null {
		if (!this.statements.shareAnAlbum.get(askerSignPk, memberSignPk)) return null;
		const row = this.statements.bySignPk.get(Buffer.from(memberSignPk, 'base64url')) as
			Row | undefined;
		if (!row) return null;
		return { email: row.email, publicKeys: { boxPk: b64(row.box_pk), signPk: b64(row.sign_pk) } };
	}
}

const directories = new WeakMap<RelayDatabase, MemberDirectory>();

/** One directory (its prepared statements) per database. */
export function memberDirectory(db: RelayDatabase): MemberDirectory {
	let directory = directories.get(db);
	if (!directory) {
		directory = new MemberDirectory(db);
		directories.set(db, directory);
	}
	return directory;
}
