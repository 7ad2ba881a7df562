// Prints the suite's closing line ("N passed, N failed") from vitest's and Playwright's JSON reports.
import { readFileSync } from 'node:fs';

function read(path) {
	try {
		return JSON.parse(readFileSync(path, 'utf8'));
	} catch {
		return null;
	}
}

const vitest = read('tests/.tmp/vitest.json');
const playwright = read('tests/.tmp/playwright.json');

const unit = {
	passed: vitest?.numPassedTests ?? 0,
	failed: vitest?.numFailedTests ?? 0,
	skipped: (vitest?.numPendingTests ?? 0) + (vitest?.numTodoTests ?? 0)
};
const e2e = {
	passed: playwright?.stats?.expected ?? 0,
	failed: (playwright?.stats?.unexpected ?? 0) + (playwright?.stats?.flaky ?? 0),
	skipped: playwright?.stats?.skipped ?? 0
};

console.log(`vitest: ${unit.passed} passed, ${unit.failed} failed, ${unit.skipped} skipped`);
console.log(`playwright: ${e2e.passed} passed, ${e2e.failed} failed, ${e2e.skipped} skipped`);
const passed = unit.passed + e2e.passed;
const failed = unit.failed + e2e.failed;
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 || passed === 0 ? 1 : 0;
