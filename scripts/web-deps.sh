#!/usr/bin/env bash
# web-deps.sh -- fetch the dashboard's one npm dependency (lightweight-charts,
# pinned in web/package-lock.json) and put its standalone build where the
# pages load it: web/vendor/lightweight-charts.standalone.production.js.
# web/node_modules and web/vendor are build products (gitignored).
# Safe to run again: it does nothing when the vendored file matches the lock.
set -euo pipefail
cd "$(dirname "$0")/../web"
if ! command -v npm >/dev/null 2>&1; then
  echo "web-deps: installing nodejs and npm" >&2
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-remove nodejs npm >/dev/null
fi
want=$(node -e 'console.log(require("./package-lock.json").packages["node_modules/lightweight-charts"].version)')
file=vendor/lightweight-charts.standalone.production.js
if [ -f "$file" ] && head -c 300 "$file" | grep -q "v$want\b"; then
  exit 0
fi
npm ci --no-audit --no-fund --loglevel=error >/dev/null
mkdir -p vendor
cp node_modules/lightweight-charts/dist/lightweight-charts.standalone.production.js "$file"
echo "web-deps: lightweight-charts $want -> web/$file" >&2
