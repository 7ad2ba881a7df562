#!/usr/bin/env bash
# Renders the app icons in static/icons/ from the logo in static/favicon.svg (needs rsvg-convert).
# The maskable icon shrinks the tiles into the central safe zone (a circle of 40% radius) on a
# full-bleed ground, so launchers can crop it to any shape without cutting the mosaic.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v rsvg-convert >/dev/null 2>&1; then
	echo "rsvg-convert is missing: apt-get install -y librsvg2-bin" >&2
	exit 1
fi

logo=static/favicon.svg
out=static/icons
mkdir -p "$out"

# The ground colour and the tiles group, taken from the logo so there is one source of truth.
ground=$(sed -n 's/.*id="ground".*fill="\([^"]*\)".*/\1/p' "$logo")
tiles=$(sed -n '/<g id="tiles">/,/<\/g>/p' "$logo")

maskable=$(mktemp --suffix=.svg)
trap 'rm -f "$maskable"' EXIT
cat >"$maskable" <<SVG
<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">
	<rect width="64" height="64" fill="$ground"/>
	<g transform="translate(32 32) scale(0.78) translate(-32 -32)">
$tiles
	</g>
</svg>
SVG

rsvg-convert -w 192 -h 192 "$logo" -o "$out/icon-192.png"
rsvg-convert -w 512 -h 512 "$logo" -o "$out/icon-512.png"
rsvg-convert -w 512 -h 512 "$maskable" -o "$out/maskable-512.png"
echo "wrote $out/icon-192.png, $out/icon-512.png, $out/maskable-512.png"
