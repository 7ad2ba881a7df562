// Playwright e2e: Debian's Chromium against the real relay serving the freshly built app.
import { defineConfig, devices } from '@playwright/test';

const port = Number(process.env.E2E_PORT ?? 4317);
const dataDir = 'tests/.tmp/e2e-data';

export default defineConfig({
	testDir: 'tests/e2e',
	fullyParallel: true,
	// One worker is faster than two on a two-core machine: Chromium and the relay need the other core.
	workers: 1,
	reporter: 'list',
	timeout: 30_000,
	expect: { timeout: 10_000 },
	forbidOnly: !!process.env.CI,
	use: {
		baseURL: `http://127.0.0.1:${port}`,
		// Traces cost seconds per test on two cores; ask for them with --trace on when debugging.
		trace: 'off',
		launchOptions: {
			executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
			args: [
				'--headless',
				'--no-sandbox',
				'--disable-gpu',
				'--disable-background-networking',
				'--disable-component-update',
				'--disable-sync',
				'--no-first-run',
				'--disable-quic'
			]
		}
	},
	projects: [{ name: 'chromium', use: { ...devices['Desktop Chrome'] } }],
	webServer: {
		// A fresh data folder each run, the app built as shipped, served by the real relay.
		command: `rm -rf ${dataDir} && mkdir -p ${dataDir} && npm run build && node --import tsx relay/src/main.ts`,
		url: `http://127.0.0.1:${port}/api/health`,
		reuseExistingServer: false,
		timeout: 120_000,
		stdout: 'ignore',
		stderr: 'pipe',
		env: {
			PORT: String(port),
			HOST: '127.0.0.1',
			DATA_DIR: dataDir,
			APP_DIR: 'build'
		}
	}
});
