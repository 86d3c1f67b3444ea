#!/usr/bin/env bash
# golden.sh -- `cets replay --verify` over the golden data directory.
#
# Run by ctest as: bash golden.sh <path to cets> <tmp dir>, with
# CETS_SOURCE_DIR naming the source tree. tests/golden/data holds a journal
# with surrenders, a voluntary cancellation (retirement), transfers, blocks,
# auctions and a snapshot (tests/golden/README.md). Replaying it both ways
# must agree, reach the recorded state hash, and pass the engine's invariant
# check: retired tonnes leave the holdings, so "holdings = issued - retired"
# (issue 10, finding 11: verify used to say FAILED after any retirement).
# The directory must not change.
set -u
CETS=${1:?usage: golden.sh <cets binary> <tmp dir>}
TMP=${2:?usage: golden.sh <cets binary> <tmp dir>}
SRC=${CETS_SOURCE_DIR:?CETS_SOURCE_DIR must name the source tree}
GOLDEN="$SRC/tests/golden"
mkdir -p "$TMP"
WORK=$(mktemp -d "$TMP/cli-golden.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

want() { grep "^$1=" "$GOLDEN/golden.txt" | cut -d= -f2; }
(cd "$GOLDEN/data" && sha256sum ./* >"$WORK/before")

"$CETS" replay "$GOLDEN/data" --verify >"$WORK/out" 2>&1
rc=$?
[ "$rc" -eq 0 ] || fail "replay --verify exited $rc"
grep -qx 'verify=ok' "$WORK/out" || fail "replay --verify: $(grep '^verify=' "$WORK/out")"
n=$(grep -c "^state_hash=$(want state_hash)\$" "$WORK/out")
[ "$n" -eq 2 ] || fail "state_hash: want $(want state_hash) from both replays, got $(grep '^state_hash=' "$WORK/out" | tr '\n' ' ')"
grep -qx "snapshot_seq=$(want snapshot_seq)" "$WORK/out" || fail "recovery did not start from the snapshot"
grep -qx "trading_date=$(want trading_date)" "$WORK/out" || fail "trading date"

(cd "$GOLDEN/data" && sha256sum ./* >"$WORK/after")
cmp -s "$WORK/before" "$WORK/after" || fail "replay changed $GOLDEN/data"

if [ "$fails" -ne 0 ]; then
    sed 's/^/    /' "$WORK/out"
    echo "golden.sh: $fails failed"
    exit 1
fi
echo "golden.sh: ok"
