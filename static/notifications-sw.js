// System notifications, in the service worker: a tap opens (or focuses) Tessera at the notification's page.
//
// A classic script (no build step), to be pulled into workbox's generated sw.js by
// workbox.importScripts in vite.config.ts, like share-target-sw.js. The page shows notifications
// through the service worker where browsers allow no other way (Android):
// src/lib/notifications/system-notifications.ts, which puts the page to open in `data.url`.
'use strict';

self.addEventListener('notificationclick', (event) => {
	event.notification.close();
	const data = event.notification.data;
	// Only a page of this app: a notification never sends anyone elsewhere.
	let target = new URL('/', self.location.origin).href;
	if (data && typeof data.url === 'string') {
		const url = new URL(data.url, self.location.origin);
		if (url.origin === self.location.origin) target = url.href;
	}
	event.waitUntil(
		(async () => {
			const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
			for (const client of windows) {
				if (new URL(client.url).origin !== self.location.origin) continue;
				await client.focus();
				if ('navigate' in client) await client.navigate(target);
				return;
			}
			await self.clients.openWindow(target);
		})()
	);
});
