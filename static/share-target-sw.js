// Web Share Target, in the service worker: files shared into Tessera wait in IndexedDB for the app.
//
// A classic script (no build step), pulled into workbox's generated sw.js by workbox.importScripts
// in vite.config.ts, before workbox registers its own routes. The page side is
// src/lib/ui/share-inbox.ts, which reads the same database; keep the names below in step with it.
'use strict';

(() => {
	/** The manifest's share_target.action, method POST, enctype multipart/form-data. */
	const ACTION = '/share-target';
	/** The manifest's share_target.params.files[0].name. */
	const FIELD = 'media';
	const DB_NAME = 'tessera-share-inbox';
	const DB_VERSION = 1;
	const STORE = 'files';

	/** @returns {Promise<IDBDatabase>} */
	function openInbox() {
		return new Promise((resolve, reject) => {
			const request = indexedDB.open(DB_NAME, DB_VERSION);
			request.onupgradeneeded = () => {
				const db = request.result;
				if (!db.objectStoreNames.contains(STORE)) db.createObjectStore(STORE, { keyPath: 'id' });
			};
			request.onsuccess = () => resolve(request.result);
			request.onerror = () => reject(request.error);
		});
	}

	/**
	 * Keys sort in the order the files were shared (time, then position), so the app imports them in
	 * that order; the random tail keeps two shares in the same millisecond apart.
	 * @param {number} receivedAt
	 * @param {number} index
	 */
	function recordId(receivedAt, index) {
		const random =
			typeof crypto.randomUUID === 'function'
				? crypto.randomUUID()
				: Math.random().toString(36).slice(2);
		return `${receivedAt.toString(36).padStart(10, '0')}-${String(index).padStart(5, '0')}-${random}`;
	}

	/**
	 * One transaction for the whole share: either every file waits in the inbox, or none does.
	 * File name, type and date are kept beside the blob because some engines store a File as a
	 * plain Blob and drop them.
	 * @param {File[]} files
	 */
	async function stash(files) {
		const db = await openInbox();
		try {
			await new Promise((resolve, reject) => {
				const tx = db.transaction(STORE, 'readwrite');
				const store = tx.objectStore(STORE);
				const receivedAt = Date.now();
				files.forEach((file, index) => {
					store.put({
						id: recordId(receivedAt, index),
						name: file.name,
						type: file.type,
						lastModified: file.lastModified,
						blob: file,
						receivedAt
					});
				});
				tx.oncomplete = () => resolve(undefined);
				tx.onerror = () => reject(tx.error);
				tx.onabort = () => reject(tx.error ?? new Error('The share inbox transaction was aborted'));
			});
		} finally {
			db.close();
		}
	}

	/** @param {string} outcome */
	function redirectTo(outcome) {
		// 303: the browser follows with a GET, so a reload of the app never re-posts the files.
		return Response.redirect(new URL(`/?shared=${outcome}`, self.location.origin).href, 303);
	}

	/**
	 * A share from the system share sheet carries no referrer. A form on another website can post
	 * here too (with files it made up); when it gives itself away by its referrer, refuse it rather
	 * than plant its files in the library.
	 * @param {Request} request
	 */
	function fromAnotherSite(request) {
		if (!request.referrer || request.referrer === 'about:client') return false;
		try {
			return new URL(request.referrer).origin !== self.location.origin;
		} catch {
			return true;
		}
	}

	/** @param {Request} request */
	async function receive(request) {
		if (fromAnotherSite(request)) return redirectTo('refused');
		try {
			const form = await request.formData();
			/** @type {File[]} */
			const files = [];
			for (const value of form.getAll(FIELD)) {
				if (typeof value !== 'string' && value.size > 0) files.push(value);
			}
			if (files.length > 0) await stash(files);
			return redirectTo('1');
		} catch (error) {
			console.error('Tessera could not keep the shared files', error);
			return redirectTo('failed');
		}
	}

	self.addEventListener('fetch', (/** @type {FetchEvent} */ event) => {
		const request = event.request;
		if (request.method !== 'POST') return;
		const url = new URL(request.url);
		if (url.origin !== self.location.origin || url.pathname !== ACTION) return;
		// Workbox routes only GETs, so it would not answer this POST anyway; stopping here makes sure
		// no later listener (the navigation fallback included) ever sees it.
		event.stopImmediatePropagation();
		event.respondWith(receive(request));
	});
})();
