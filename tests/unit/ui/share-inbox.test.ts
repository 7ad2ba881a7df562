// Sharing into Tessera: the service worker's share target stashes files, and the app takes them once.

import { readFileSync } from 'node:fs';
import vm from 'node:vm';
import { IDBFactory } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import type { ImportReport } from '../../../src/lib/library/library';
import {
	SHARE_INBOX_DB,
	SHARE_INBOX_STORE,
	receiveSharedFiles,
	takeSharedFiles
} from '../../../src/lib/ui/share-inbox';

const ORIGIN = 'https://photos.example.org';
const workerSource = readFileSync(
	new URL('../../../static/share-target-sw.js', import.meta.url),
	'utf8'
);

interface FakeFetchEvent {
	request: Request;
	respondWith(response: Promise<Response>): void;
	stopImmediatePropagation(): void;
}

/** The real static/share-target-sw.js, run in a fresh global scope standing in for the worker's. */
function startWorker(inbox: IDBFactory) {
	const listeners: ((event: FakeFetchEvent) => void)[] = [];
	const self = {
		location: new URL(`${ORIGIN}/sw.js`),
		addEventListener(type: string, listener: (event: FakeFetchEvent) => void) {
			if (type === 'fetch') listeners.push(listener);
		}
	};
	vm.runInNewContext(workerSource, {
		self,
		indexedDB: inbox,
		crypto,
		Response,
		URL,
		console: { error: () => {} }
	});
	/** Dispatches a fetch; null when the worker lets the request through to the network. */
	return async (request: Request): Promise<Response | null> => {
		let answer: Promise<Response> | null = null;
		const event: FakeFetchEvent = {
			request,
			respondWith: (response) => (answer = response),
			stopImmediatePropagation: () => {}
		};
		for (const listener of listeners) listener(event);
		return answer ? await answer : null;
	};
}

function jpeg(name: string, bytes: number[]): File {
	return new File([new Uint8Array([0xff, 0xd8, ...bytes, 0xff, 0xd9])], name, {
		type: 'image/jpeg'
	});
}

function share(files: File[], init: { referrer?: string; field?: string } = {}): Request {
	const form = new FormData();
	for (const file of files) form.append(init.field ?? 'media', file);
	return new Request(`${ORIGIN}/share-target`, {
		method: 'POST',
		body: form,
		...(init.referrer ? { referrer: init.referrer } : {})
	});
}

async function bytesOf(blob: Blob): Promise<number[]> {
	return [...new Uint8Array(await blob.arrayBuffer())];
}

describe('the share target in the service worker', () => {
	it('keeps the shared files and sends the app to /?shared=1 with a 303', async () => {
		const inbox = new IDBFactory();
		const fetch = startWorker(inbox);
		const sunset = jpeg('sunset.jpg', [1, 2, 3]);
		const harbour = jpeg('harbour.jpg', [4, 5]);

		const response = await fetch(share([sunset, harbour]));

		expect(response?.status).toBe(303);
		expect(response?.headers.get('location')).toBe(`${ORIGIN}/?shared=1`);
		const files = await takeSharedFiles(inbox);
		expect(files.map((file) => file.name)).toEqual(['sunset.jpg', 'harbour.jpg']);
		expect(files.map((file) => file.type)).toEqual(['image/jpeg', 'image/jpeg']);
		expect(await bytesOf(files[0]!)).toEqual(await bytesOf(sunset));
		expect(await bytesOf(files[1]!)).toEqual(await bytesOf(harbour));
	});

	it('keeps files from several shares, oldest share first', async () => {
		const inbox = new IDBFactory();
		const fetch = startWorker(inbox);
		await fetch(share([jpeg('first.jpg', [1])]));
		await new Promise((resolve) => setTimeout(resolve, 2));
		await fetch(share([jpeg('second.jpg', [2]), jpeg('third.jpg', [3])]));

		expect((await takeSharedFiles(inbox)).map((file) => file.name)).toEqual([
			'first.jpg',
			'second.jpg',
			'third.jpg'
		]);
	});

	it('answers nothing but POST /share-target, so every other request reaches workbox or the relay', async () => {
		const fetch = startWorker(new IDBFactory());
		expect(await fetch(new Request(`${ORIGIN}/share-target`))).toBeNull();
		expect(await fetch(new Request(`${ORIGIN}/`))).toBeNull();
		expect(
			await fetch(new Request(`${ORIGIN}/api/albums`, { method: 'POST', body: '{}' }))
		).toBeNull();
		expect(
			await fetch(new Request(`https://elsewhere.example/share-target`, { method: 'POST' }))
		).toBeNull();
	});

	it('refuses a post from a form on another website, keeping none of its files', async () => {
		const inbox = new IDBFactory();
		const fetch = startWorker(inbox);

		const response = await fetch(
			share([jpeg('planted.jpg', [6])], { referrer: 'https://attacker.example/page' })
		);

		expect(response?.headers.get('location')).toBe(`${ORIGIN}/?shared=refused`);
		expect(await takeSharedFiles(inbox)).toEqual([]);
	});

	it('says the share failed when the body is not a form it can read', async () => {
		const inbox = new IDBFactory();
		const fetch = startWorker(inbox);

		const response = await fetch(
			new Request(`${ORIGIN}/share-target`, {
				method: 'POST',
				headers: { 'content-type': 'multipart/form-data; boundary=nothing-here' },
				body: 'not a multipart body'
			})
		);

		expect(response?.status).toBe(303);
		expect(response?.headers.get('location')).toBe(`${ORIGIN}/?shared=failed`);
		expect(await takeSharedFiles(inbox)).toEqual([]);
	});

	it('ignores form fields other than the manifest’s media files', async () => {
		const inbox = new IDBFactory();
		const fetch = startWorker(inbox);
		await fetch(share([jpeg('other-field.jpg', [7])], { field: 'attachment' }));
		expect(await takeSharedFiles(inbox)).toEqual([]);
	});
});

describe('takeSharedFiles', () => {
	it('empties the inbox: a second take finds nothing', async () => {
		const inbox = new IDBFactory();
		await startWorker(inbox)(share([jpeg('once.jpg', [1])]));

		expect(await takeSharedFiles(inbox)).toHaveLength(1);
		expect(await takeSharedFiles(inbox)).toEqual([]);
	});

	it('gives a share to one of two tabs taking at the same time, never to both', async () => {
		const inbox = new IDBFactory();
		await startWorker(inbox)(share([jpeg('a.jpg', [1]), jpeg('b.jpg', [2])]));

		const [one, two] = await Promise.all([takeSharedFiles(inbox), takeSharedFiles(inbox)]);

		expect([...one, ...two].map((file) => file.name).sort()).toEqual(['a.jpg', 'b.jpg']);
	});

	it('works on a device where nothing was ever shared', async () => {
		expect(await takeSharedFiles(new IDBFactory())).toEqual([]);
	});

	it('drops records the worker did not write', async () => {
		const inbox = new IDBFactory();
		await startWorker(inbox)(share([jpeg('real.jpg', [1])]));
		await new Promise<void>((resolve, reject) => {
			const open = inbox.open(SHARE_INBOX_DB);
			open.onsuccess = () => {
				const tx = open.result.transaction(SHARE_INBOX_STORE, 'readwrite');
				tx.objectStore(SHARE_INBOX_STORE).put({ id: 'zzz', name: 'no-blob.jpg' });
				tx.oncomplete = () => {
					open.result.close();
					resolve();
				};
				tx.onerror = () => reject(tx.error);
			};
		});

		expect((await takeSharedFiles(inbox)).map((file) => file.name)).toEqual(['real.jpg']);
	});
});

describe('receiveSharedFiles', () => {
	function fakeLibrary() {
		const imports: string[][] = [];
		const library = {
			lastImport: null as ImportReport | null,
			async import(files: readonly File[]) {
				imports.push(files.map((file) => file.name));
			}
		};
		return { library, imports };
	}

	it('imports what was shared and drops ?shared=1 from the address', async () => {
		const inbox = new IDBFactory();
		await startWorker(inbox)(share([jpeg('beach.jpg', [1]), jpeg('dunes.jpg', [2])]));
		const { library, imports } = fakeLibrary();
		let dropped = 0;

		const count = await receiveSharedFiles(library, {
			inbox,
			url: new URL(`${ORIGIN}/?shared=1`),
			dropQuery: () => (dropped += 1)
		});

		expect(count).toBe(2);
		expect(imports).toEqual([['beach.jpg', 'dunes.jpg']]);
		expect(dropped).toBe(1);
		expect(await takeSharedFiles(inbox)).toEqual([]);
	});

	it('imports files left waiting even when the app opens without ?shared', async () => {
		const inbox = new IDBFactory();
		await startWorker(inbox)(share([jpeg('waited.jpg', [1])]));
		const { library, imports } = fakeLibrary();
		let dropped = 0;

		await receiveSharedFiles(library, {
			inbox,
			url: new URL(`${ORIGIN}/`),
			dropQuery: () => (dropped += 1)
		});

		expect(imports).toEqual([['waited.jpg']]);
		expect(dropped).toBe(0);
	});

	it('does nothing when nothing waits', async () => {
		const { library, imports } = fakeLibrary();
		expect(
			await receiveSharedFiles(library, { inbox: new IDBFactory(), url: new URL(`${ORIGIN}/`) })
		).toBe(0);
		expect(imports).toEqual([]);
		expect(library.lastImport).toBeNull();
	});

	it('tells the person when the worker could not keep a share', async () => {
		const { library, imports } = fakeLibrary();
		await receiveSharedFiles(library, {
			inbox: new IDBFactory(),
			url: new URL(`${ORIGIN}/?shared=failed`)
		});
		expect(imports).toEqual([]);
		expect(library.lastImport?.failed[0]?.message).toMatch(/could not keep the files/);
	});

	it('tells the person when a website’s post was refused', async () => {
		const inbox = new IDBFactory();
		const response = await startWorker(inbox)(
			share([jpeg('planted.jpg', [6])], { referrer: 'https://attacker.example/' })
		);
		const { library, imports } = fakeLibrary();

		await receiveSharedFiles(library, { inbox, url: new URL(response!.headers.get('location')!) });

		expect(imports).toEqual([]);
		expect(library.lastImport?.failed[0]?.message).toMatch(/another website were not imported/);
	});
});
