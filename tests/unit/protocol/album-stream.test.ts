// Spec of the album stream formats: membership entries, envelopes and the bytes their sigs cover.

import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import {
	DomainTag,
	EnvelopeHeaderSchema,
	EnvelopeSchema,
	MAX_ENVELOPE_CIPHERTEXT_BYTES,
	MAX_KEY_BOXES_PER_ENTRY,
	MAX_MEMBERSHIP_ENTRY_BYTES,
	MAX_SEALED_BOX_BYTES,
	MAX_SNAPSHOT_PARTS,
	MembershipEntrySchema,
	canonicalJson,
	describeIssues,
	envelopeHeaderBytes,
	envelopeHeaderOf,
	envelopeSigningBytes,
	fromBase64Url,
	membershipHashBytes,
	membershipSigningBytes,
	toBase64Url,
	type EnvelopeHeader,
	type MembershipEntry,
	type UnsignedMembershipEntry
} from '../../../src/lib/protocol';
import { b64, entries, envelopes, ownerPk } from './fixtures';

const text = new TextDecoder();

/** The message of the first problem, as a client or the relay would report it. */
function problem(schema: v.GenericSchema, value: unknown): string | null {
	const result = v.safeParse(schema, value);
	return result.success ? null : describeIssues(result.issues);
}

describe('membership entries', () => {
	it.each(Object.keys(entries))('accept a well-formed %s entry', (op) => {
		expect(problem(MembershipEntrySchema, entries[op as MembershipEntry['op']])).toBeNull();
	});

	const role = entries.role;
	const create = entries.create;
	it.each([
		['an unknown op', { ...role, op: 'promote' }, 'op: must be one of create, add'],
		['a missing op', { ...role, op: undefined }, 'op:'],
		['a bad albumId', { ...role, albumId: '../etc' }, 'albumId: must be base64url'],
		[
			'a short signature',
			{ ...role, sig: b64(63) },
			'sig: must be base64url (no padding) of 64 bytes'
		],
		['an oversized signature', { ...role, sig: b64(5000) }, 'sig: is too long'],
		['a signer that is not a key', { ...role, by: b64(16) }, 'by: must be an Ed25519 public key'],
		['a prev that is not a hash', { ...role, prev: b64(31) }, 'prev: must be base64url'],
		['a null prev after create', { ...role, prev: null }, 'prev:'],
		['index 0 after create', { ...role, index: 0 }, 'index: must be at least 1'],
		['a fractional index', { ...role, index: 1.5 }, 'index: must be a whole number'],
		['a string index', { ...role, index: '2' }, 'index:'],
		['a create not at index 0', { ...create, index: 1 }, 'index: must be 0 for create'],
		['a create with a prev', { ...create, prev: b64(32) }, 'prev: must be null for create'],
		['an unknown role', { ...role, role: 'superuser' }, 'role: must be viewer, collaborator'],
		['an add that grants owner', { ...entries.add, role: 'owner' }, 'role: must be viewer'],
		['an extra field', { ...role, note: 'x'.repeat(100_000) }, 'note: is not an allowed field'],
		['a field of another op', { ...role, keyBox: b64(80) }, 'keyBox: is not an allowed field'],
		[
			'a leave that carries a new key',
			{ ...entries.leave, rotation: entries.remove.rotation },
			'rotation: is not an allowed field'
		],
		[
			'a leave naming a member',
			{ ...entries.leave, member: ownerPk },
			'member: is not an allowed field'
		],
		['an oversized key box', { ...entries.add, keyBox: b64(4096) }, 'keyBox: is too long'],
		[
			'a bad key box in a rotation',
			{
				...entries.remove,
				rotation: { epoch: 2, keyBoxes: [{ member: ownerPk, box: 'x' }], linkWraps: [] }
			},
			'rotation.keyBoxes.0.box:'
		],
		[
			'too many key boxes',
			{
				...entries.rotate,
				rotation: {
					epoch: 5,
					keyBoxes: Array.from({ length: MAX_KEY_BOXES_PER_ENTRY + 1 }, () => ({
						member: ownerPk,
						box: b64(80)
					})),
					linkWraps: []
				}
			},
			'rotation.keyBoxes: has more than'
		],
		[
			'an entry over the size cap',
			{
				...entries.rotate,
				rotation: {
					epoch: 5,
					keyBoxes: Array.from({ length: MAX_KEY_BOXES_PER_ENTRY }, () => ({
						member: ownerPk,
						box: b64(MAX_SEALED_BOX_BYTES)
					})),
					linkWraps: []
				}
			},
			`membership entry is larger than ${MAX_MEMBERSHIP_ENTRY_BYTES} bytes`
		],
		[
			'a remove without rotation',
			{ ...entries.remove, rotation: undefined },
			'rotation: is missing'
		],
		[
			'a link permission that is not a boolean',
			{
				...entries['link-add'],
				permissions: { download: 'yes', upload: false, comment: false, join: false }
			},
			'permissions.download:'
		],
		['a non-object', 'create', 'message:'],
		['null', null, 'message:']
	])('refuse %s', (_why, value, expected) => {
		expect(problem(MembershipEntrySchema, value)).toContain(expected);
	});
});

describe('membership signing bytes', () => {
	const { sig: _sig, ...unsigned } = entries.add;

	it('cover the entry without sig under the membership domain', () => {
		const bytes = membershipSigningBytes(unsigned);
		expect(text.decode(bytes)).toBe(`${DomainTag.membershipEntry}${canonicalJson(unsigned)}`);
		expect(text.decode(bytes)).not.toContain('"sig"');
	});

	it('refuse an entry that still carries its sig', () => {
		expect(() => membershipSigningBytes(entries.add as unknown as UnsignedMembershipEntry)).toThrow(
			/without its sig/
		);
	});

	it('change with every field', () => {
		const base = toBase64Url(membershipSigningBytes(unsigned));
		const changes: UnsignedMembershipEntry[] = [
			{ ...unsigned, index: 2 },
			{ ...unsigned, role: 'admin' },
			{ ...unsigned, epoch: 1 },
			{ ...unsigned, member: { ...unsigned.member, boxPk: b64(32, 99) } }
		];
		for (const changed of changes)
			expect(toBase64Url(membershipSigningBytes(changed))).not.toBe(base);
	});

	it('differ from the hash bytes of the same entry', () => {
		const hashBytes = text.decode(membershipHashBytes(entries.add));
		expect(hashBytes.startsWith(DomainTag.membershipHash)).toBe(true);
		expect(hashBytes).toContain(`"sig":"${entries.add.sig}"`);
	});
});

describe('envelopes', () => {
	it.each(Object.keys(envelopes))('accept a well-formed %s', (kind) => {
		const envelope = envelopes[kind as keyof typeof envelopes];
		expect(problem(EnvelopeSchema, envelope)).toBeNull();
		expect(problem(EnvelopeHeaderSchema, envelopeHeaderOf(envelope))).toBeNull();
	});

	const update = envelopes.update;
	it.each([
		[
			'an unknown kind',
			{ ...update, kind: 'patch' },
			'kind: must be one of update, snapshot, ephemeral'
		],
		[
			'a snapshot without covers',
			{ ...envelopes.snapshot, covers: undefined },
			'covers: is missing'
		],
		['covers on an update', { ...update, covers: 3 }, 'covers: is not an allowed field'],
		['a bad docId', { ...update, docId: 'contrib:nobody' }, 'docId: must be "album"'],
		['a docId path', { ...update, docId: '../../etc/passwd' }, 'docId:'],
		[
			'a short nonce',
			{ ...update, nonce: b64(12) },
			'nonce: must be base64url (no padding) of 24 bytes'
		],
		['a ciphertext shorter than a MAC', { ...update, ct: b64(15) }, 'ct: must be base64url'],
		[
			'a ciphertext over the cap',
			{ ...update, ct: b64(MAX_ENVELOPE_CIPHERTEXT_BYTES + 1) },
			'ct: is too long'
		],
		['padded base64', { ...update, nonce: `${b64(23)}=` }, 'nonce:'],
		['a negative epoch', { ...update, epoch: -1 }, 'epoch: must not be negative'],
		['a float chainIndex', { ...update, chainIndex: 0.5 }, 'chainIndex: must be a whole number'],
		['a missing signature', { ...update, sig: undefined }, 'sig: is missing']
	])('refuse %s', (_why, value, expected) => {
		expect(problem(EnvelopeSchema, value)).toContain(expected);
	});

	it('accept a ciphertext exactly at the cap', () => {
		expect(
			problem(EnvelopeSchema, { ...update, ct: b64(MAX_ENVELOPE_CIPHERTEXT_BYTES) })
		).toBeNull();
	});
});

describe('envelope bytes', () => {
	const header = envelopeHeaderOf(envelopes.snapshot) as Extract<
		EnvelopeHeader,
		{ kind: 'snapshot' }
	>;

	it('pick only header fields, so a whole envelope gives its header bytes', () => {
		expect(Object.keys(header).sort()).toEqual(
			['albumId', 'by', 'chainIndex', 'covers', 'docId', 'epoch', 'kind'].sort()
		);
		expect(toBase64Url(envelopeHeaderBytes(envelopes.snapshot))).toBe(
			toBase64Url(envelopeHeaderBytes(header))
		);
	});

	it('bind the header, nonce and ciphertext to the signature', () => {
		const { nonce, ct } = envelopes.snapshot;
		const base = toBase64Url(envelopeSigningBytes(header, nonce, ct));
		expect(toBase64Url(envelopeSigningBytes(header, fromBase64Url(nonce), fromBase64Url(ct)))).toBe(
			base
		);
		expect(toBase64Url(envelopeSigningBytes({ ...header, covers: 40 }, nonce, ct))).not.toBe(base);
		expect(toBase64Url(envelopeSigningBytes({ ...header, epoch: 3 }, nonce, ct))).not.toBe(base);
		expect(toBase64Url(envelopeSigningBytes(header, b64(24, 99), ct))).not.toBe(base);
		expect(toBase64Url(envelopeSigningBytes(header, nonce, b64(100, 99)))).not.toBe(base);
		const asUpdate = envelopeHeaderOf({ ...envelopes.update, nonce, ct });
		expect(toBase64Url(envelopeSigningBytes(asUpdate, nonce, ct))).not.toBe(base);
	});

	it('keep the AEAD header and the signature in separate domains', () => {
		const ad = text.decode(envelopeHeaderBytes(header));
		const signed = text.decode(
			envelopeSigningBytes(header, envelopes.snapshot.nonce, envelopes.snapshot.ct)
		);
		expect(ad.startsWith(DomainTag.envelopeHeader)).toBe(true);
		expect(signed.startsWith(DomainTag.envelope)).toBe(true);
		expect(ad.slice(DomainTag.envelopeHeader.length)).toBe(canonicalJson(header));
	});
});

describe('snapshot parts', () => {
	const part = { set: b64(16, 5), index: 1, count: 3 };
	const multi = { ...envelopes.snapshot, part };

	it('accept a part of a set, and a snapshot without one (a set of one, as before parts)', () => {
		expect(problem(EnvelopeSchema, multi)).toBeNull();
		expect(problem(EnvelopeSchema, envelopes.snapshot)).toBeNull();
	});

	it.each([
		['an index at the count', { ...part, index: 3 }, 'part: index must be below count'],
		[
			'a count over the cap',
			{ ...part, count: MAX_SNAPSHOT_PARTS + 1 },
			'part.count: must be at most'
		],
		['a set of one', { ...part, index: 0, count: 1 }, 'part.count: must be at least 2'],
		['a short set id', { ...part, set: b64(8) }, 'part.set:'],
		['a negative index', { ...part, index: -1 }, 'part.index: must not be negative'],
		['an extra field', { ...part, total: 9 }, 'part.total']
	])('refuse %s', (_why, value, expected) => {
		expect(problem(EnvelopeSchema, { ...multi, part: value })).toContain(expected);
	});

	it('refuse a part on an update', () => {
		expect(problem(EnvelopeSchema, { ...envelopes.update, part })).not.toBeNull();
	});

	it('put the part in the header bytes, so it is under the AEAD and the signature', () => {
		const header = envelopeHeaderOf(multi);
		expect(header).toMatchObject({ part });
		const { nonce, ct } = multi;
		const base = toBase64Url(envelopeSigningBytes(multi, nonce, ct));
		for (const moved of [
			{ ...part, index: 2 },
			{ ...part, count: 4 },
			{ ...part, set: b64(16, 6) }
		]) {
			expect(toBase64Url(envelopeSigningBytes({ ...multi, part: moved }, nonce, ct))).not.toBe(
				base
			);
			expect(toBase64Url(envelopeHeaderBytes({ ...multi, part: moved }))).not.toBe(
				toBase64Url(envelopeHeaderBytes(multi))
			);
		}
		// Without a part, the header is byte for byte what it was before parts existed.
		expect(text.decode(envelopeHeaderBytes(envelopes.snapshot))).not.toContain('part');
	});
});
