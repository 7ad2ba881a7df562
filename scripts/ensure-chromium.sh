#!/usr/bin/env bash
# Makes sure Debian's Chromium is there for the Playwright e2e tests (Playwright cannot download
# its own browser on these machines). Installs it with apt-get when run as root.
set -euo pipefail

CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ -x "$CHROMIUM" ]; then
	exit 0
fi

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "Chromium not found at $CHROMIUM: installing Debian's chromium with apt-get" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq chromium >/dev/null
	if [ -x "$CHROMIUM" ]; then
		exit 0
	fi
	echo "apt-get installed chromium but $CHROMIUM is still missing; set CHROMIUM_PATH" >&2
	exit 1
fi

cat >&2 <<MSG
The e2e tests need Chromium at $CHROMIUM and this script cannot install it (not root, or no apt-get).
On Debian or Ubuntu run:

    sudo apt-get update && sudo apt-get install -y chromium

or point CHROMIUM_PATH at an existing Chromium binary.
MSG
exit 1
