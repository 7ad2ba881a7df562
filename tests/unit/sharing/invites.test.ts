// InviteApi: what it signs, what it sends, how relay refusals read, and that forged accepted invites are dropped.

import { describe, expect, it } from 'vitest';
import { generateSignKeyPair, signSeedOf, toBase64Url } from '../../../src/lib/crypto';
import type { AcceptedInvite, CreateInviteRequest } from '../../../src/lib/protocol';
import {
	InviteApi,
	InviteError,
	readInviteLink,
	signInvite,
	verifyInviteSignature
} from '../../../src/lib/sharing/invites';

const ALBUM_ID = toBase64Url(new Uint8Array(16).fill(1));
const INVITE_ID = toBase64Url(new Uint8Array(16).fill(2));
const NOW = 1_750_000_000_000;

interface Sent {
	url: string;
	method: string;
	headers: Record<string, string>;
	body: unknown;
}

/** A fetch that records each request and answers with `reply`. */
function fakeFetch(reply: () => Response | Promise<Response>) {
	const sent: Sent[] = [];
	const fetch: typeof globalThis.fetch = async (input, init) => {
		sent.push({
			url: String(input),
			method: init?.method ?? 'GET',
			headers: init?.headers as Record<string, string>,
			body: typeof init?.body === 'string' ? JSON.parse(init.body) : undefined
		});
		return reply();
	};
	return { fetch, sent };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
	new Response(JSON.stringify(body), {
		status,
		headers: { 'content-type': 'application/json', ...headers }
	});

const refusal = (status: number, code: string, message = 'relay says no', retryAfterS?: number) =>
	json(status, { error: { code, message, ...(retryAfterS ? { retryAfterS } : {}) } });

async function inviter() {
	const keys = await generateSignKeyPair();
	return { keys, signSeed: signSeedOf(keys.privateKey), signPk: toBase64Url(keys.publicKey) };
}

describe('InviteApi.create', () => {
	it('signs the normalised email with the identity key and sends it with the session token', async () => {
		const me = await inviter();
		const { fetch, sent } = fakeFetch(() =>
			json(201, { inviteId: INVITE_ID, expiresAt: '2025-07-15T00:00:00.000Z' })
		);
		const api = new InviteApi({ token: 'tok', signSeed: me.signSeed, fetch, now: () => NOW });
		const created = await api.create({
			albumId: ALBUM_ID,
			email: '  Bob@Example.ORG ',
			role: 'collaborator'
		});
		expect(created.inviteId).toBe(INVITE_ID);
		expect(sent).toHaveLength(1);
		const [request] = sent as [Sent];
		expect(request.url).toBe('/api/invites');
		expect(request.method).toBe('POST');
		expect(request.headers.authorization).toBe('Bearer tok');
		const body = request.body as CreateInviteRequest;
		expect(body).toMatchObject({
			albumId: ALBUM_ID,
			email: 'bob@example.org',
			role: 'collaborator',
			signedAt: NOW
		});
		expect(await verifyInviteSignature({ ...body, inviterSignPk: me.signPk })).toBe(true);
		// The signature covers the role and the email: neither can be changed on the way.
		for (const changed of [{ role: 'admin' as const }, { email: 'mallory@example.org' }]) {
			expect(await verifyInviteSignature({ ...body, ...changed, inviterSignPk: me.signPk })).toBe(
				false
			);
		}
	});

	it('refuses a malformed email without asking the relay', async () => {
		const me = await inviter();
		const { fetch, sent } = fakeFetch(() => json(201, {}));
		const api = new InviteApi({ token: 'tok', signSeed: me.signSeed, fetch });
		await expect(
			api.create({ albumId: ALBUM_ID, email: 'not an email', role: 'viewer' })
		).rejects.toMatchObject({ code: 'invalid-email' });
		expect(sent).toEqual([]);
	});
});

describe('errors in words', () => {
	const failing = async (reply: () => Response | Promise<Response>) => {
		const me = await inviter();
		const { fetch } = fakeFetch(reply);
		const api = new InviteApi({ token: 'tok', signSeed: me.signSeed, fetch });
		try {
			await api.list(ALBUM_ID);
		} catch (error) {
			if (error instanceof InviteError) return error;
			throw error;
		}
		throw new Error('expected an InviteError');
	};

	it('says what to do for the codes a person meets, with the relay’s code and status', async () => {
		const user = await failing(() => refusal(409, 'already-user'));
		expect(user).toMatchObject({ code: 'already-user', status: 409 });
		expect(user.message).toMatch(/already uses Tessera/);
		const limited = await failing(() => refusal(429, 'rate-limited', 'slow down', 90));
		expect(limited.retryAfterS).toBe(90);
		expect(limited.message).toBe('Too many invitations for now. Try again in 2 minutes.');
		const unknown = await failing(() => refusal(400, 'invalid-request', 'email: is missing'));
		expect(unknown.message).toBe('email: is missing');
	});

	it('tells offline, proxy errors and replies it cannot read apart', async () => {
		expect(
			await failing(() => {
				throw new TypeError('fetch failed');
			})
		).toMatchObject({ code: 'offline' });
		expect(
			await failing(() => new Response('<html>Bad gateway</html>', { status: 502 }))
		).toMatchObject({ code: 'offline' });
		expect(await failing(() => new Response('<html>oops</html>', { status: 500 }))).toMatchObject({
			code: 'http-error',
			status: 500
		});
		expect(await failing(() => json(200, { invites: [{ email: 'x' }] }))).toMatchObject({
			code: 'bad-reply'
		});
	});
});

describe('InviteApi.accepted', () => {
	it('returns only invites whose inviter signature verifies', async () => {
		const me = await inviter();
		const statement = {
			albumId: ALBUM_ID,
			email: 'dana@example.org',
			role: 'viewer' as const,
			signedAt: NOW
		};
		const keys = {
			boxPk: toBase64Url(new Uint8Array(32).fill(3)),
			signPk: toBase64Url(new Uint8Array(32).fill(4))
		};
		const genuine: AcceptedInvite = {
			inviteId: INVITE_ID,
			...statement,
			publicKeys: keys,
			acceptedAt: '2025-06-16T00:00:00.000Z',
			inviterSignPk: me.signPk,
			sig: await signInvite(statement, me.signSeed)
		};
		// What a relay (or its database) might make up: a higher role, or another album.
		const promoted = {
			...genuine,
			inviteId: toBase64Url(new Uint8Array(16).fill(5)),
			role: 'admin'
		};
		const moved = {
			...genuine,
			inviteId: toBase64Url(new Uint8Array(16).fill(6)),
			albumId: toBase64Url(new Uint8Array(16).fill(7))
		};
		const { fetch, sent } = fakeFetch(() => json(200, { invites: [promoted, genuine, moved] }));
		const api = new InviteApi({ token: 'tok', signSeed: me.signSeed, fetch, baseUrl: 'https://r' });
		expect(await api.accepted()).toEqual([genuine]);
		expect(sent[0]?.url).toBe('https://r/api/invites/accepted');
	});

	it('completes and cancels by invite id', async () => {
		const me = await inviter();
		const { fetch, sent } = fakeFetch(() => new Response(null, { status: 204 }));
		const api = new InviteApi({ token: 'tok', signSeed: me.signSeed, fetch });
		await api.complete(INVITE_ID);
		await api.cancel(INVITE_ID);
		expect(sent.map((s) => `${s.method} ${s.url}`)).toEqual([
			`POST /api/invites/${INVITE_ID}/complete`,
			`DELETE /api/invites/${INVITE_ID}`
		]);
	});
});

describe('readInviteLink', () => {
	it('reads the invite id and the normalised email of a sign-up link', () => {
		expect(
			readInviteLink(`https://photos.example.org/?invite=${INVITE_ID}&email=Dana%40Example.org`)
		).toEqual({ inviteId: INVITE_ID, email: 'dana@example.org' });
	});

	it('is null without an invite, or with a malformed one', () => {
		expect(readInviteLink('https://photos.example.org/')).toBeNull();
		expect(readInviteLink(`https://p.example/?invite=${INVITE_ID}`)).toBeNull();
		expect(readInviteLink('https://p.example/?invite=..%2F&email=a%40b.org')).toBeNull();
		expect(readInviteLink(`https://p.example/?invite=${INVITE_ID}&email=not-mail`)).toBeNull();
	});
});
