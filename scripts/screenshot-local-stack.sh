#!/usr/bin/env bash
# The README's figure: a screenshot of the running local stack's web view (not a test fixture).
#
#   npm start                              # in one terminal; wait for the first backup and a few WAL segments
#   scripts/screenshot-local-stack.sh      # in another: writes docs/web-view.png
#
# Uses Debian's chromium (npm run setup installs it) in headless mode.
set -euo pipefail
cd "$(dirname "$0")/.."
stack=.walcat-local/stack.json
if [[ ! -f $stack ]]; then
  echo "walcat screenshot: no running local stack ($stack is missing); start one with: npm start" >&2
  exit 1
fi
url=$(node -e 'process.stdout.write(JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8")).webUrl)' "$stack")
out=${1:-docs/web-view.png}
# Tall enough for the jobs table (the drill and restores) below the timeline; WALCAT_SCREENSHOT_SIZE=W,H to change.
size=${WALCAT_SCREENSHOT_SIZE:-1280,1060}
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size="$size" --screenshot="$out" "$url" \
  2>/dev/null
echo "walcat screenshot: $url -> $out"
