#!/usr/bin/env bash
# banner.sh -- run.sh's banner shows the addresses cetsd really uses: the
# defaults, and those given by flags or by a config file.
# Run by ctest as: bash banner.sh <path to cets> <tmp dir> (cetsd beside cets).
set -u
CETSD=$(dirname "${1:?usage: banner.sh <cets binary> <tmp dir>}")/cetsd
TMP=${2:?usage: banner.sh <cets binary> <tmp dir>}
SRC=${CETS_SOURCE_DIR:-$(dirname "$0")/../..}
mkdir -p "$TMP"
WORK=$(mktemp -d "$TMP/cli-banner.XXXXXX")
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
banner() { CETSD_ADMIN_PASSWORD=pw-for-banner bash "$SRC/scripts/demo-banner.sh" "$CETSD" "$@" >"$WORK/out" 2>&1 || fail "banner $*: exit $?"; }
has() { grep -qF -- "$1" "$WORK/out" || { fail "$2: no '$1' in"; sed 's/^/    /' "$WORK/out"; }; }

banner --demo --data "$WORK/d" --fix 127.0.0.1:9878
has "dashboard:  http://127.0.0.1:8080" "defaults: the HTTP address"
has "FIX 4.4:    127.0.0.1:9878" "defaults: the FIX address"
has "admin / pw-for-banner" "the operator's password"
banner --demo --data "$WORK/d" --fix 127.0.0.1:9878 --listen 127.0.0.1:9191 --fix 127.0.0.1:9999
has "dashboard:  http://127.0.0.1:9191" "--listen is shown"
has "FIX 4.4:    127.0.0.1:9999" "the last --fix is shown"
printf 'listen = 127.0.0.1:9393\nfix_listen = \n' >"$WORK/c.conf"
banner --config "$WORK/c.conf" --demo --data "$WORK/d"
has "dashboard:  http://127.0.0.1:9393" "a config file's listen is shown"
has "FIX 4.4:    off" "no FIX: off"
[ -e "$WORK/d" ] && fail "printing the banner created the data directory"
rm -rf "$WORK"
[ "$fails" -eq 0 ] && echo "banner.sh: all passed" || { echo "banner.sh: $fails failed"; exit 1; }
