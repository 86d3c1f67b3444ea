#!/usr/bin/env bash
# run.sh -- the dashboard's browser tests: installs what they need (Debian's
# chromium, node/npm, playwright-core from tests/browser/package-lock.json,
# the CJK font and the chart library via scripts/web-deps.sh), locates cetsd
# ($1, or build-release/cetsd, built if missing) and runs dashboard.test.mjs
# (the listing market) and terminal.test.mjs (blocks, auctions, the registry,
# compliance, the console, Chinese glyphs), then dashboard.test.mjs again over
# https and wss (CETS_BROWSER_TLS=1: cetsd --tls-self-signed). Ends with the sum of their
# "N passed, N failed" lines and exits non-zero if either failed;
# screenshots and the servers' logs in tests/browser/out/.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if ((${#missing[@]})); then
  echo "browser test: installing ${missing[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-remove "${missing[@]}" >/dev/null
fi

bash "$repo/scripts/web-deps.sh"
# npm ci when playwright-core is missing or not the version the lock pins
want=$(cd "$here" && node -e 'console.log(require("./package-lock.json").packages["node_modules/playwright-core"].version)')
have=$(cd "$here" && node -e 'try{console.log(require("./node_modules/playwright-core/package.json").version)}catch{console.log("")}')
if [ "$want" != "$have" ]; then
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi

cetsd="$(realpath -m "${1:-$repo/build-release/cetsd}")"
if [ ! -x "$cetsd" ] && [ -z "${1:-}" ]; then
  echo "browser test: building cetsd in build-release" >&2
  bash "$repo/scripts/deps.sh"
  cmake -S "$repo" -B "$repo/build-release" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$repo/build-release" -j"$(nproc)" --target cetsd >/dev/null
fi
cd "$here"
passed=0 failed=0 rc=0
# each test over http and ws, and the dashboard's again over https and wss
for run in dashboard.test.mjs terminal.test.mjs dashboard.test.mjs:tls; do
  t=${run%%:*}
  tls=0
  [ "$run" != "$t" ] && tls=1 && echo "browser test: $t over https and wss"
  out=$(mktemp)
  CETS_BROWSER_TLS=$tls node "$t" "$cetsd" | tee "$out" || rc=1
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$out" | tail -n 1)
  rm -f "$out"
  if [ -z "$line" ]; then failed=$((failed + 1)); rc=1; continue; fi
  passed=$((passed + $(echo "$line" | cut -d' ' -f1)))
  failed=$((failed + $(echo "$line" | cut -d' ' -f3)))
done
echo "$passed passed, $failed failed"
exit "$rc"
