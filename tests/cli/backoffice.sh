#!/usr/bin/env bash
# backoffice.sh -- the back office through cets, end to end: history and its
# CSV, the settlement bank's files (a notice sent twice is applied once, a bad
# line is refused with its number), the registry file, the audit chain's head
# and `cets audit verify` on the log of the running server, also with a
# changed byte.
#
# Run by ctest as: bash backoffice.sh <path to cets> <tmp dir>; cetsd from
# the same build directory, on a free local port, a fresh data directory.
set -u
CETS=${1:?usage: backoffice.sh <cets binary> <tmp dir>}
TMP=${2:?usage: backoffice.sh <cets binary> <tmp dir>}
CETSD=$(dirname "$CETS")/cetsd
mkdir -p "$TMP"
WORK=$(mktemp -d "$TMP/cli-backoffice.XXXXXX")
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
printf 'enforce_sessions = false\nlog_level = warn\nlisten = 127.0.0.1:%s\ndata_dir = %s/data\n' \
    "$PORT" "$WORK" >"$WORK/cetsd.conf"
CETSD_ADMIN_PASSWORD=some-long-password "$CETSD" --config "$WORK/cetsd.conf" >"$WORK/cetsd.log" 2>&1 &
PID=$!
for _ in $(seq 50); do
    curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
    sleep 0.2
done
export CETS_PROFILE=$WORK/profile CETS_SERVER=http://127.0.0.1:$PORT
unset CETS_TOKEN CETS_PASSWORD

run() {
    local what=$1 want=$2
    shift 2
    "$CETS" "$@" >"$WORK/out" 2>&1
    local rc=$?
    if [ "$rc" -eq "$want" ]; then pass "$what"; else
        fail "$what: exit $rc, want $want"; sed 's/^/    /' "$WORK/out" | head -20; fi
}
has() { grep -qF -- "$1" "$WORK/out" && pass "$2" || { fail "$2: output lacks '$1'"; sed 's/^/    /' "$WORK/out" | head -20; }; }

run "login admin" 0 login admin --password some-long-password
run "instrument-add" 0 admin instrument-add CEA25 --product CEA --matching listing --prev-close 50.00
run "participant-add" 0 admin participant-add institution "Alpha"
run "participant-add" 0 admin participant-add institution "Beta"
run "credit" 0 admin credit 2 CEA25 1000
run "user-add trader" 0 admin user-add trader --participant 3 --roles view,trade --password trader-password
DAY=$("$CETS" market --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["date"])')

printf 'bank_ref,participant,amount,value_date\nBOC-1,2,1000.00,%s\nBOC-2,3,9000.00,%s\n' "$DAY" "$DAY" >"$WORK/dep.csv"
run "bank deposits" 0 bank deposits "$WORK/dep.csv"; has "applied 2 notices, 10000.00 yuan; 0 already" "two notices applied"
run "bank deposits again" 0 bank deposits "$WORK/dep.csv"; has "applied 0 notices" "the same file applies nothing"
has "2 already applied" "and says why"
printf 'bank_ref,participant,amount,value_date\nBOC-3,2,1.00,%s\nBOC-4,2,1,00,%s\n' "$DAY" "$DAY" >"$WORK/bad.csv"
run "bank deposits malformed" 1 bank deposits "$WORK/bad.csv"
has "deposits.csv:3: expected 4 fields" "the bad line by its number"
run "participants" 0 admin participants --json
python3 -c "import json; d=[p for p in json.load(open('$WORK/out')) if p['id']==2][0]; assert d['available']=='1000.00', d" \
    && pass "nothing of the bad file applied" || fail "the bad file changed funds"

# participant 2's sale needs a user of its own
run "user-add seller" 0 admin user-add seller --participant 2 --roles view,trade --password seller-password
run "login seller" 0 login seller --password seller-password
run "post" 0 post CEA25 sell 50.00 100
run "login trader" 0 login trader --password trader-password
run "take" 0 take CEA25 buy --qty 100 --limit 50.00
run "login admin" 0 login admin --password some-long-password
run "end of day" 0 admin end-of-day
sleep 0.5

run "history trades" 0 history trades "$DAY"; has "50.00" "the trade in the table"
run "history trades --csv" 0 history trades "$DAY" --csv
has "trade_id,date,ts,code,method,aggressor,price,qty,value" "CSV header"
has ",CEA25,listing,buy,50.00,100,5000.00" "CSV row"
run "history funds of 2" 0 history funds "$DAY" --participant 2; has "BOC-1" "the deposit's bank reference"
run "history report" 0 history report "$DAY"; has "Audit chain head" "the report shows the chain head"
run "daily-report" 0 daily-report; has "Audit chain head" "the daily report too"
run "registry-file" 0 registry-file "$DAY"; has ",2,CEA25,0,0,100,1000,0,0,0,0,900" "the seller's line"
run "bank withdrawals" 0 bank withdrawals "$DAY"; has "instruction,participant,name,amount" "instructions header"
run "audit head" 0 audit head; has "seq " "the head"
run "audit verify (live)" 0 audit verify "$WORK/data/audit.log"; has "chain intact" "the live log verifies"
cp "$WORK/data/audit.log" "$WORK/changed.log"
sed -i '3s/|1/|2/' "$WORK/changed.log"
run "audit verify (changed)" 1 audit verify "$WORK/changed.log"; has "changed.log:3: " "the changed line found"
run "history bad kind" 1 history ticks "$DAY"; has "not_found" "unknown kind refused"
run "history no date" 2 history trades

echo "$fails failed"
[ "$fails" -eq 0 ]
