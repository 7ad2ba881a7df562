// I1 for accounts: after sign-up, log-in, password change and recovery, the relay's database files hold
// no password, KEK, master key, recovery key, private key, authKey or session token, in any encoding.

import fs from 'node:fs/promises';
import path from 'node:path';
import * as v from 'valibot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deriveSubkey, wrapKey } from '../../../src/lib/crypto';
import { SessionGrantSchema, toBase64Url } from '../../../src/lib/protocol';
import { startTestRelay, type TestRelay } from '../helpers/relay';
import { call, floorKdf, makeAccount, passwordKeys, signUpVerified } from './client';

let relay: TestRelay;
let boxPk: Uint8Array;
const secrets: [string, Uint8Array][] = [];
const device = { name: 'Laptop' };

beforeAll(async () => {
	relay = await startTestRelay();
	const password = 'dump test: correct horse battery staple ✓';
	const alice = await makeAccount('alice@example.org', password);
	const first = await signUpVerified(relay.port, relay.dataDir, alice.signup);
	boxPk = Buffer.from(alice.signup.publicKeys.boxPk, 'base64url');

	const login = await call(relay.port, 'POST', '/api/login', {
		body: { email: alice.email, authKey: toBase64Url(alice.authKey), device }
	});
	const second = v.parse(SessionGrantSchema, login.json());

	const secondPassword = 'a second password, changed in Settings';
	const changedKdf = floorKdf();
	const changed = await passwordKeys(secondPassword, changedKdf);
	const change = await call(relay.port, 'POST', '/api/account/password', {
		token: second.token,
		body: {
			currentAuthKey: toBase64Url(alice.authKey),
			kdf: changedKdf,
			authKey: toBase64Url(changed.authKey),
			masterKeyByPassword: toBase64Url(await wrapKey(alice.masterKey, changed.wrapKey))
		}
	});
	expect(change.status).toBe(204);

	const thirdPassword = 'the password set with the recovery words';
	const recoveredKdf = floorKdf();
	const recovered = await passwordKeys(thirdPassword, recoveredKdf);
	const recovery = await call(relay.port, 'POST', '/api/recovery/complete', {
		body: {
			email: alice.email,
			recoveryAuthKey: toBase64Url(alice.recoveryAuthKey),
			kdf: recoveredKdf,
			authKey: toBase64Url(recovered.authKey),
			masterKeyByPassword: toBase64Url(await wrapKey(alice.masterKey, recovered.wrapKey)),
			device
		}
	});
	expect(recovery.status).toBe(200);
	const third = v.parse(SessionGrantSchema, recovery.json());

	const utf8 = (text: string) => new TextEncoder().encode(text);
	secrets.push(
		['password', utf8(password)],
		['second password', utf8(secondPassword)],
		['third password', utf8(thirdPassword)],
		['KEK', alice.kek],
		['second KEK', changed.kek],
		['third KEK', recovered.kek],
		['password wrap key', changed.wrapKey],
		['authKey', alice.authKey],
		['second authKey', changed.authKey],
		['third authKey', recovered.authKey],
		['masterKey', alice.masterKey],
		['recoveryKey', alice.recoveryKey],
		['recoveryAuthKey', alice.recoveryAuthKey],
		['recoveryWrapKey', await deriveSubkey(alice.recoveryKey, 'recovery/wrap')],
		['box secret key', alice.boxSecretKey],
		['sign secret key', alice.signSecretKey],
		['sign seed', alice.signSeed],
		...[first, second, third].map((grant, i): [string, Uint8Array] => [
			`session token ${i + 1}`,
			Buffer.from(grant.token, 'base64url')
		])
	);
});
afterAll(async () => {
	await relay?.stop();
});

function encodings(bytes: Uint8Array): [string, Buffer][] {
	const buffer = Buffer.from(bytes);
	return [
		['raw', buffer],
		['base64url', Buffer.from(toBase64Url(bytes))],
		['base64', Buffer.from(buffer.toString('base64'))],
		['hex', Buffer.from(buffer.toString('hex'))],
		['HEX', Buffer.from(buffer.toString('hex').toUpperCase())]
	];
}

describe('the relay database after sign-up, log-in, password change and recovery', () => {
	it('holds none of the secrets, as raw bytes, base64url, base64 or hex', async () => {
		const files = (await fs.readdir(relay.dataDir)).filter((f) => f.startsWith('tessera.sqlite'));
		expect(files).toContain('tessera.sqlite');
		expect(files).toContain('tessera.sqlite-wal');
		const dumps = await Promise.all(
			files.map(async (f) => [f, await fs.readFile(path.join(relay.dataDir, f))] as const)
		);
		// The WAL really holds the account's writes (otherwise this test would prove nothing).
		const wal = dumps.find(([f]) => f === 'tessera.sqlite-wal')![1];
		expect(wal.includes(Buffer.from('alice@example.org'))).toBe(true);
		// And the search finds a stored 32-byte value when there is one: the public box key.
		expect(dumps.some(([, bytes]) => bytes.includes(Buffer.from(boxPk)))).toBe(true);

		expect(secrets.length).toBe(20);
		for (const [name, value] of secrets) {
			for (const [encoding, needle] of encodings(value)) {
				for (const [file, bytes] of dumps) {
					expect(bytes.includes(needle), `${name} (${encoding}) in ${file}`).toBe(false);
				}
			}
		}
	});
});
