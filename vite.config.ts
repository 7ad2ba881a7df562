// Build of the Tessera PWA: SvelteKit, plus a workbox service worker that precaches the hashed build.
import { readFileSync } from 'node:fs';
import { sveltekit } from '@sveltejs/kit/vite';
import { SvelteKitPWA } from '@vite-pwa/sveltekit';
import { defineConfig } from 'vite';

function packageVersion(): string {
	const pkg: unknown = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));
	if (
		typeof pkg === 'object' &&
		pkg !== null &&
		'version' in pkg &&
		typeof pkg.version === 'string'
	) {
		return pkg.version;
	}
	throw new Error('package.json has no version');
}

const ground = '#0f1115';

export default defineConfig({
	build: {
		// libsodium-sumo is one lazily loaded chunk of ~530 KB (its wasm inlined); nothing else is near.
		chunkSizeWarningLimit: 600,
		// Timing warnings only measure how busy the machine is, and drown the build's real output.
		rolldownOptions: { checks: { bundlerTimings: false } }
	},
	// ES module workers share chunks with the page (libsodium stays one lazy chunk instead of being
	// inlined into the import worker).
	worker: { format: 'es' },
	define: {
		__APP_VERSION__: JSON.stringify(packageVersion())
	},
	plugins: [
		sveltekit(),
		SvelteKitPWA({
			strategies: 'generateSW',
			// The worker takes over as soon as it is installed; the page offers a reload (UpdateToast).
			registerType: 'autoUpdate',
			// Registered from the root layout through virtual:pwa-register: no inline script, so the
			// CSP needs no hash for it.
			injectRegister: false,
			includeAssets: ['favicon.svg', 'icons/*.png'],
			manifest: {
				id: '/',
				name: 'Tessera',
				short_name: 'Tessera',
				description: 'Your photos and videos, end-to-end encrypted, with albums you share.',
				lang: 'en',
				start_url: '/',
				scope: '/',
				display: 'standalone',
				// No display_override with window-controls-overlay: the app bar does not keep clear of
				// the window's own buttons (titlebar-area-* insets), so they would cover its controls.
				orientation: 'any',
				theme_color: ground,
				background_color: ground,
				categories: ['photo'],
				icons: [
					{ src: '/icons/icon-192.png', sizes: '192x192', type: 'image/png', purpose: 'any' },
					{ src: '/icons/icon-512.png', sizes: '512x512', type: 'image/png', purpose: 'any' },
					{
						src: '/icons/maskable-512.png',
						sizes: '512x512',
						type: 'image/png',
						purpose: 'maskable'
					},
					{ src: '/favicon.svg', sizes: 'any', type: 'image/svg+xml', purpose: 'any' }
				],
				// Shown by the richer install dialogs; made by scripts/capture-screenshots.ts, not precached.
				screenshots: [
					{
						src: '/screenshots/library-narrow.png',
						sizes: '1080x1920',
						type: 'image/png',
						form_factor: 'narrow',
						label: 'Your library on a phone: photos grouped by day, encrypted on the device'
					},
					{
						src: '/screenshots/library-wide.png',
						sizes: '1920x1080',
						type: 'image/png',
						form_factor: 'wide',
						label: 'Your library on a computer: photos grouped by day, encrypted on the device'
					}
				],
				shortcuts: [
					{
						name: 'Albums',
						url: '/albums',
						icons: [{ src: '/icons/icon-192.png', sizes: '192x192' }]
					},
					{
						name: 'Sharing',
						url: '/sharing',
						icons: [{ src: '/icons/icon-192.png', sizes: '192x192' }]
					}
				],
				// Photos and videos shared from other apps: static/share-target-sw.js answers this POST.
				share_target: {
					action: '/share-target',
					method: 'POST',
					enctype: 'multipart/form-data',
					params: { files: [{ name: 'media', accept: ['image/*', 'video/*'] }] }
				}
			},
			workbox: {
				// Only the content-hashed build; index.html, the manifest and the icons are added with
				// revisions by the plugin (kit.spa, manifest, includeAssets).
				globPatterns: ['client/_app/immutable/**/*.{js,css,wasm}'],
				// Any modifyURLPrefix stops @vite-pwa/sveltekit from adding its broader default globs
				// (all of client/**, prerendered/**), which would widen the precache beyond the build.
				modifyURLPrefix: {},
				// libsodium's chunk carries its wasm inline; it must be precached for offline crypto.
				maximumFileSizeToCacheInBytes: 4 * 1024 * 1024,
				navigateFallback: 'index.html',
				navigateFallbackDenylist: [/^\/api\//, /^\/ws/],
				// No runtimeCaching: API responses and blobs never land in a cache.
				clientsClaim: true,
				skipWaiting: true,
				cleanupOutdatedCaches: true,
				// The share target's fetch listener, loaded before workbox registers its routes. Workbox
				// routes (the navigation fallback included) match GET only, so they never see its POST.
				importScripts: ['share-target-sw.js', 'notifications-sw.js']
			},
			kit: {
				adapterFallback: 'index.html',
				spa: true
			}
		})
	]
});
