#!/usr/bin/env bash
# tests/reports-test.sh PAGE.html [SCREENSHOT.png] - renders the reports
# page in headless Chromium (Debian package chromium) from file:// and
# checks that it rendered: the screenshot is a non-empty PNG of the
# requested size with more than one colour, and Chromium logged no
# console error ("Uncaught", "ERROR:CONSOLE") nor a resource the page
# failed to load.  The screenshot is kept (default: beside the page,
# index.png) so a person can look at it.
set -uo pipefail
if [[ $# -lt 1 || ! -f $1 ]]; then
	echo "usage: $0 PAGE.html [SCREENSHOT.png]" >&2
	exit 2
fi
page=$(realpath "$1")
shot=$(realpath -m "${2:-$(dirname "$page")/index.png}")
width=1400 height=2400
browser=$(command -v chromium || command -v chromium-browser || true)
if [[ -z $browser ]]; then
	echo "reports-test: FAIL: chromium not found (make reports-test installs it)" >&2
	exit 1
fi
profile=$(mktemp -d /tmp/nexus-chromium.XXXXXX)
log=$profile.log
trap 'rm -rf "$profile" "$log"' EXIT
rm -f "$shot"

start=$(date +%s)
# --virtual-time-budget lets layout settle before the capture; the page
# has no script, so it only bounds image decoding.
timeout 120 "$browser" --headless --no-sandbox --disable-gpu \
	--disable-background-networking --disable-component-update --disable-sync \
	--no-first-run --user-data-dir="$profile" --hide-scrollbars \
	--enable-logging=stderr --v=0 --virtual-time-budget=2000 \
	--window-size="$width,$height" --screenshot="$shot" "file://$page" \
	>"$log" 2>&1
rc=$?
fail=0
bad() {
	echo "reports-test: FAIL: $*" >&2
	fail=1
}
[[ $rc -eq 0 ]] || bad "chromium exit status $rc"
if grep -E 'Uncaught|ERROR:CONSOLE|net::ERR_FILE_NOT_FOUND|Failed to load resource' "$log"; then
	bad "console errors while rendering $page (above)"
fi
if [[ ! -s $shot ]]; then
	bad "no screenshot written"
	sed 's/^/    /' "$log" | tail -20 >&2
else
	# PNG signature, then IHDR width and height (big-endian at 16 and 20).
	sig=$(head -c 8 "$shot" | od -An -tx1 | tr -d ' \n')
	w=$(od -An -j16 -N4 -tu1 "$shot" | awk '{ print $1 * 16777216 + $2 * 65536 + $3 * 256 + $4 }')
	h=$(od -An -j20 -N4 -tu1 "$shot" | awk '{ print $1 * 16777216 + $2 * 65536 + $3 * 256 + $4 }')
	size=$(stat -c %s "$shot")
	[[ $sig == 89504e470d0a1a0a ]] || bad "$shot is not a PNG"
	[[ $w -eq $width && $h -eq $height ]] || bad "screenshot is ${w}x$h, expected ${width}x$height"
	# A blank page compresses to a few KiB; the report is text, tables
	# and bars.
	[[ $size -gt 50000 ]] || bad "screenshot only $size bytes: blank page?"
fi
# Every local link and image of the page points at an existing file.
dir=$(dirname "$page")
links=0
while read -r ref; do
	ref=${ref%%#*}
	[[ -z $ref || $ref == *://* || $ref == mailto:* ]] && continue
	links=$((links + 1))
	[[ -e $dir/$ref ]] || bad "broken link: $ref"
done < <(grep -o -E '(href|src)="[^"]*"' "$page" | sed -E 's/^(href|src)="(.*)"$/\2/')
if [[ $fail -eq 0 ]]; then
	echo "reports-test: ok: $links local links/images resolve"
	echo "reports-test: ok: $page rendered in $(( $(date +%s) - start )) s, no console errors; screenshot $shot (${w}x$h, $size bytes)"
fi
exit $fail
