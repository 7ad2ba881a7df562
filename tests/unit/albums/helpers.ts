// Test helpers for the album specs: a membership with one member of each role, and seeded photos.

import { toBase64Url } from '../../../src/lib/protocol';
import type { MembershipState } from '../../../src/lib/protocol/membership-rules';
import type { NewPhoto } from '../../../src/lib/albums';
import { MembershipChain, memberKeysOf, type AlbumIdentity } from '../../../src/lib/sync';
import { identityFrom, seededRandom } from '../sync/helpers';

export { seededRandom };

export interface People {
	owner: AlbumIdentity;
	admin: AlbumIdentity;
	collab: AlbumIdentity;
	collab2: AlbumIdentity;
	viewer: AlbumIdentity;
}

export interface TestAlbum {
	people: People;
	pk: (who: AlbumIdentity) => string;
	chain: MembershipChain;
	state: () => MembershipState;
}

/** An album with an owner, an admin, two collaborators and a viewer (seeded keys). */
export async function testAlbum(seed = 0xa1b): Promise<TestAlbum> {
	const random = seededRandom(seed);
	const people: People = {
		owner: await identityFrom(random),
		admin: await identityFrom(random),
		collab: await identityFrom(random),
		collab2: await identityFrom(random),
		viewer: await identityFrom(random)
	};
	const { chain, epochKey } = await MembershipChain.createAlbum(people.owner);
	const add = async (who: AlbumIdentity, role: 'viewer' | 'collaborator' | 'admin') =>
		chain.append(
			JSON.parse(
				JSON.stringify(await chain.addMember(people.owner, memberKeysOf(who), role, epochKey))
			)
		);
	await add(people.admin, 'admin');
	await add(people.collab, 'collaborator');
	await add(people.collab2, 'collaborator');
	await add(people.viewer, 'viewer');
	return {
		people,
		pk: (who) => toBase64Url(who.sign.publicKey),
		chain,
		state: () => chain.state
	};
}

/** A valid new photo from a seeded stream; `takenAt` given or drawn from a small range (ties). */
export function photoFrom(random: (length: number) => Uint8Array, takenAt?: number): NewPhoto {
	const id = () => toBase64Url(random(16));
	const n = random(4);
	return {
		id: id(),
		fileKey: toBase64Url(random(32)),
		blobs: { original: id(), thumb: id() },
		mime: 'image/jpeg',
		size: 1000 + n[0]! * 100,
		width: 4032,
		height: 3024,
		takenAt: takenAt ?? 1_700_000_000_000 + (n[1]! % 50) * 1000,
		filename: `IMG_${n[2]! * 256 + n[3]!}.jpg`
	};
}
