// Spec of the id formats: random ids, public keys and doc ids.

import { describe, expect, it } from 'vitest';
import {
	isAlbumId,
	isBlobId,
	isDocId,
	isPublicKey,
	parseDocId,
	toBase64Url
} from '../../../src/lib/protocol';
import { b64, linkId, memberPk } from './fixtures';

describe('random ids (album, link, blob)', () => {
	it('accept base64url of 16 to 32 bytes', () => {
		for (let n = 16; n <= 32; n++) expect(isBlobId(b64(n))).toBe(true);
	});

	it.each([
		['15 bytes', b64(15)],
		['33 bytes', b64(33)],
		['a traversal', '../../../../etc/passwd00'],
		['a dot', `${b64(16)}.x`],
		['a slash', `${b64(16).slice(0, 20)}/x`],
		['percent-encoding', '%2e%2e%2fAAAAAAAAAAAAAAAAAAAA'],
		['a NUL', `${b64(16)}\0`],
		['padding', `${b64(17)}=`],
		['an impossible length', 'A'.repeat(25)],
		['non-zero trailing bits', `${b64(16).slice(0, 21)}B`],
		['a number', 12345],
		['an empty string', '']
	])('refuse %s', (_why, id) => {
		expect(isAlbumId(id)).toBe(false);
		expect(isBlobId(id)).toBe(false);
	});
});

describe('public keys', () => {
	it('are exactly 32 bytes', () => {
		expect(isPublicKey(b64(32))).toBe(true);
		expect(isPublicKey(b64(31))).toBe(false);
		expect(isPublicKey(b64(33))).toBe(false);
		expect(isPublicKey(toBase64Url(new Uint8Array(64)))).toBe(false);
	});
});

describe('doc ids', () => {
	it('parse each kind', () => {
		expect(parseDocId('album')).toEqual({ kind: 'album' });
		expect(parseDocId(`contrib:${memberPk}`)).toEqual({ kind: 'contrib', memberPk });
		expect(parseDocId(`activity:${memberPk}`)).toEqual({ kind: 'activity', memberPk });
		expect(parseDocId(`inbox:${linkId}`)).toEqual({ kind: 'inbox', linkId });
	});

	it.each([
		'Album',
		'album:',
		'contrib:',
		`contrib:${b64(31)}`,
		`contrib:${linkId}`,
		`inbox:${memberPk}x`,
		`inbox:${b64(15)}`,
		`photos:${memberPk}`,
		`contrib:${memberPk}:extra`,
		` album`
	])('refuse %j', (docId) => {
		expect(isDocId(docId)).toBe(false);
	});
});
