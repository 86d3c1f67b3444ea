#!/usr/bin/env bash
# demo.sh -- `cetsd --demo` as run.sh starts it: the demo's people can do what
# the guide says (the authority, the compliance officers and their colleague,
# the obligations of 2025), and its simulated traders trade by every method at
# the market's mix: blocks carry most of the volume, auctions run one after
# another. Bounded: the traders run at 200 actions/s for at most 40 s.
# Run by ctest as: bash demo.sh <path to cets> <tmp dir> (cetsd beside cets).
set -u
CETS=${1:?usage: demo.sh <cets binary> <tmp dir>}
TMP=${2:?usage: demo.sh <cets binary> <tmp dir>}
CETSD=$(dirname "$CETS")/cetsd
mkdir -p "$TMP"
WORK=$(mktemp -d "$TMP/cli-demo.XXXXXX")
fails=0
PID=
cleanup() {
    [ -n "$PID" ] && kill -TERM "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
pass() { echo "PASS: $*"; }
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
printf 'demo = true\ndemo_rate = 200\nlog_level = warn\nlisten = 127.0.0.1:%s\ndata_dir = %s/data\n' \
    "$PORT" "$WORK" >"$WORK/cetsd.conf"
CETSD_ADMIN_PASSWORD=admin-demo "$CETSD" --config "$WORK/cetsd.conf" >"$WORK/cetsd.log" 2>&1 &
PID=$!
for _ in $(seq 50); do
    curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
    sleep 0.2
done
export CETS_PROFILE=$WORK/profile CETS_SERVER=http://127.0.0.1:$PORT
unset CETS_TOKEN CETS_PASSWORD
j() { "$CETS" "$@" --json 2>>"$WORK/err"; }

for _ in $(seq 50); do # the demo is seeded as cetsd starts
    "$CETS" login mee --password mee-demo >/dev/null 2>&1 && break
    sleep 0.2
done
for u in mee alice alice2 bob; do
    "$CETS" login "$u" --password "$u-demo" >/dev/null 2>&1 && pass "the demo's $u logs in" || fail "login $u"
done
"$CETS" login mee --password mee-demo >/dev/null
j compliance 2025 --all >"$WORK/rep"
python3 - "$WORK/rep" <<'PY' && pass "the demo's obligations of 2025" || fail "obligations: $(cat "$WORK/rep")"
import json, sys
d = json.load(open(sys.argv[1]))
ob = {e['name']: e['obligation'] for e in d['entities']}
assert ob['Demo Power Generation Co.'] == 1200000 and ob['Demo Steel Works'] == 800000, ob
PY
"$CETS" login alice --password alice-demo >/dev/null
j whoami | grep -q '"compliance"' && pass "alice may surrender" || fail "alice's roles"

# the traders: every method within 40 s, blocks most of the volume
ok=0
for _ in $(seq 40); do
    sleep 1
    j market >"$WORK/m" || continue
    if python3 - "$WORK/m" <<'PY'; then ok=1; break; fi
import json, sys
m = json.load(open(sys.argv[1]))
L = sum(i['volume'] for i in m['instruments'])
B = sum(i['block_volume'] for i in m['instruments'])
sys.exit(0 if L > 0 and B > L else 1)
PY
done
[ "$ok" = 1 ] && pass "the traders trade by listing and by block, blocks the most" ||
    fail "market after 40 s: $(python3 -c "import json; m=json.load(open('$WORK/m')); print([(i['code'], i['volume'], i['block_volume']) for i in m['instruments']])")"
j auction >"$WORK/a"
python3 -c "import json; a=json.load(open('$WORK/a')); assert any(x['status'] in ('open','closed') and x['bids'] > 0 for x in a)" &&
    pass "an auction runs and is bid on" || fail "auctions: $(cat "$WORK/a")"
grep -q 'comp=http' "$WORK/cetsd.log" && fail "requests are logged at warn" || pass "no request lines at warn"
kill -TERM "$PID"; wait "$PID"; rc=$?; PID=
[ "$rc" -eq 0 ] && pass "cetsd stopped on SIGTERM" || fail "cetsd exit $rc on SIGTERM"
[ "$fails" -eq 0 ] && echo "demo.sh: all passed" || { echo "demo.sh: $fails failed"; exit 1; }
