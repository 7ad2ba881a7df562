#!/usr/bin/env bash
# The whole suite, as CI runs it: lint, type checks, unit + integration tests, e2e in Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."

started=$SECONDS
step() {
	echo
	echo "=== $1 ($((SECONDS - started)) s)"
}

step "sync SvelteKit types"
npx svelte-kit sync

step "lint: eslint (zero warnings), prettier --check"
npx eslint . --max-warnings 0
npx prettier --check . --log-level warn

step "types: svelte-check (zero warnings), relay tsc"
npx svelte-check --tsconfig ./tsconfig.json --fail-on-warnings
npx tsc -p relay/tsconfig.json --noEmit

step "unit + integration (vitest)"
mkdir -p tests/.tmp
npx vitest run --reporter=default --reporter=json --outputFile.json=tests/.tmp/vitest.json

step "e2e (Playwright, Debian Chromium)"
bash scripts/ensure-chromium.sh
PLAYWRIGHT_JSON_OUTPUT_NAME=tests/.tmp/playwright.json npx playwright test --reporter=list,json

step "done"
echo "whole suite: $((SECONDS - started)) s"
node scripts/summarize-tests.mjs
