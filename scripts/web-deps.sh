#!/usr/bin/env bash
# web-deps.sh -- what the dashboard needs on this machine:
#  - a CJK font (Debian's fonts-noto-cjk): without one, every Chinese label
#    of the dashboard is an empty box in the browser;
#  - its one npm dependency (lightweight-charts, pinned in
#    web/package-lock.json), its standalone build put where the pages load
#    it: web/vendor/lightweight-charts.standalone.production.js.
# web/node_modules and web/vendor are build products (gitignored).
# Safe to run again: it installs only what is missing, and does nothing when
# the vendored file matches the lock.
set -euo pipefail
cd "$(dirname "$0")/../web"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
need=()
command -v npm >/dev/null 2>&1 || need+=(nodejs npm)
command -v fc-list >/dev/null 2>&1 || need+=(fontconfig)
if ! command -v fc-list >/dev/null 2>&1 || [ -z "$(fc-list :lang=zh family 2>/dev/null)" ]; then
  need+=(fonts-noto-cjk)
fi
if ((${#need[@]})); then
  echo "web-deps: installing ${need[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-remove "${need[@]}" >/dev/null
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
