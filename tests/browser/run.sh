#!/usr/bin/env bash
# run.sh -- the dashboard's browser test: installs what it needs (Debian's
# chromium, node/npm, playwright-core from tests/browser/package-lock.json,
# the chart library via scripts/web-deps.sh), locates cetsd ($1, or
# build-release/cetsd, built if missing) and runs dashboard.test.mjs.
# Exits with the test's status; screenshots and cetsd.log in tests/browser/out/.
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
exec node dashboard.test.mjs "$cetsd"
