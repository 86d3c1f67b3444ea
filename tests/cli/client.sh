#!/usr/bin/env bash
# client.sh -- cets as the HTTP client of a running cetsd, end to end.
#
# Run by ctest as: bash client.sh <path to cets> <tmp dir>; cetsd is taken
# from the same build directory. Starts its own cetsd on a free local port
# with a fresh data directory (sessions not enforced, so any hour works),
# then as the operator sets up a market, as A posts a sell listing, as B
# takes it by id, and checks balances, orders, fills, depth, error reporting
# (reason name, exit 1), usage errors (exit 2) and that --json parses.
set -u
CETS=${1:?usage: client.sh <cets binary> <tmp dir>}
TMP=${2:?usage: client.sh <cets binary> <tmp dir>}
CETSD=$(dirname "$CETS")/cetsd
mkdir -p "$TMP"
WORK=$(mktemp -d "$TMP/cli-client.XXXXXX")
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
printf 'enforce_sessions = false\nlog_level = info\nlisten = 127.0.0.1:%s\ndata_dir = %s/data\n' \
    "$PORT" "$WORK" >"$WORK/cetsd.conf"
CETSD_ADMIN_PASSWORD=some-long-password "$CETSD" --config "$WORK/cetsd.conf" >"$WORK/cetsd-info.log" 2>&1 &
PID=$!
for _ in $(seq 50); do
    curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
    sleep 0.2
done
export CETS_PROFILE=$WORK/profile CETS_SERVER=http://127.0.0.1:$PORT
unset CETS_TOKEN CETS_PASSWORD

# run <what> <want rc> cmd...: output in $WORK/out
run() {
    local what=$1 want=$2
    shift 2
    "$CETS" "$@" >"$WORK/out" 2>&1
    local rc=$?
    if [ "$rc" -eq "$want" ]; then pass "$what"; else
        fail "$what: exit $rc, want $want"; sed 's/^/    /' "$WORK/out" | head -20; fi
}
has() { grep -qF -- "$1" "$WORK/out" && pass "$2" || { fail "$2: output lacks '$1'"; sed 's/^/    /' "$WORK/out" | head -20; }; }
json_ok() { python3 -m json.tool "$WORK/out" >/dev/null 2>&1 && pass "$1 --json parses" || fail "$1 --json does not parse"; }
field() { python3 -c "import json,sys; d=json.load(open('$WORK/out')); print($1)"; }

run "login admin" 0 login admin --password some-long-password
ADMIN_TOKEN=$(grep '^token' "$WORK/profile" | sed 's/.*= //')
[ "$(stat -c %a "$WORK/profile")" = 600 ] && pass "profile mode 0600" || fail "profile mode $(stat -c %a "$WORK/profile")"
run "whoami" 0 whoami; has "view,trade,funds,admin" "whoami shows the roles"
run "instrument-add" 0 admin instrument-add CEA25 --product CEA --matching listing --prev-close 74.60
run "participant-add A" 0 admin participant-add entity "华电 Power A"
run "participant-add B" 0 admin participant-add entity "B Steel"
run "deposit A" 0 admin deposit 2 100000.00
run "deposit B" 0 admin deposit 3 100000.00
run "credit A" 0 admin credit 2 CEA25 1000
run "user-add alice" 0 admin user-add alice --participant 2 --roles view,trade --password alice-password
run "user-add bob" 0 admin user-add bob --participant 3 --roles view,trade,funds --password bob-password
run "admin users" 0 admin users; has "bob" "users lists bob"
run "admin participants" 0 admin participants; has "华电 Power A" "participants lists A"

run "login alice" 0 login alice --password alice-password
run "post sell" 0 post CEA25 sell 75.00 100 --json; json_ok post
LID=$(field 'd["order_id"]')
run "orders" 0 orders; has "CEA25" "orders shows the listing"
run "depth" 0 depth CEA25; has "$LID:100" "depth names the listing"
run "depth --json" 0 depth CEA25 --json; json_ok depth

run "login bob" 0 login bob --password bob-password
run "account B before" 0 account --json; json_ok account
before=$(field 'd["available"]')
run "take by listing" 0 take CEA25 buy --listing "$LID:40"
has "filled" "take filled"
run "account B after" 0 account --json
after=$(field 'd["available"]')
# 40 * 75.00 = 3000.00, fee 0.05% = 1.50
want=$(python3 -c "print('%.2f' % ($before - 3000.00 - 1.50))")
[ "$after" = "$want" ] && pass "B paid price*qty + fee ($after)" || fail "B available $after, want $want"
run "fills" 0 fills; has "75.00" "fills shows the trade"
run "trades" 0 trades CEA25 --limit 5; has "40" "trades shows the qty"
run "market" 0 market; has "CEA25" "market lists CEA25"
run "instruments --json" 0 instruments --json; json_ok instruments

run "login alice again" 0 login alice --password alice-password
run "account A" 0 account --json
a_unsettled=$(field 'd["unsettled"]')
[ "$a_unsettled" = "2998.50" ] && pass "A got price*qty - fee (2998.50 unsettled)" || fail "A unsettled $a_unsettled, want 2998.50"
run "cancel" 0 cancel "$LID"

# rejections come back by reason name, exit 1
run "out of band rejected" 1 post CEA25 sell 99.00 10; has "price_out_of_band" "rejection names its reason"
run "admin as alice forbidden" 1 admin users; has "forbidden" "forbidden by name"
# what a person reads: reasons for a bad number, Beijing time, grouped volumes
run "negative quantity" 2 post CEA25 sell 75.00 -5; has "bad quantity '-5': it must be at least 1" "a negative quantity says why"
grep -q "unknown flag" "$WORK/out" && fail "a negative quantity is no flag"
run "third decimal" 2 post CEA25 sell 75.005 10; has "bad price '75.005': it has more than two decimals" "75.005 says why"
run "price with a sign" 2 post CEA25 sell -75 10; has "it must be positive" "a negative price says why"
run "fills in Beijing time" 0 fills; has "Time (+08:00)" "times are headed Beijing time"
grep -qE '[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}' "$WORK/out" && pass "a time reads 2026-12-02 06:24:54" || fail "no Beijing time in fills"
grep -qE 'T[0-9:.]+Z' "$WORK/out" && fail "a UTC time is printed to a person"
utc=$("$CETS" fills --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["ts"])')
want=$(python3 -c "import datetime; t=datetime.datetime.strptime('$utc','%Y-%m-%dT%H:%M:%S.%fZ')+datetime.timedelta(hours=8); print(t.strftime('%Y-%m-%d %H:%M:%S'))")
has "$want" "the fill's time is its UTC time + 8 h ($want)"
"$CETS" admin credit 2 CEA25 161440 --token "$ADMIN_TOKEN" >/dev/null 2>&1
run "account groups tonnes" 0 account --participant 2 --token "$ADMIN_TOKEN"; has "162,400" "holdings are grouped (162,400 t)"
run "market by method" 0 market; has "Block (t)" "market shows volumes by method"; has "the last price against the previous close" "market says what its change is against"
# --json errors are JSON on stdout
"$CETS" post CEA25 sell 99.00 10 --json >"$WORK/out" 2>/dev/null
python3 -c "import json; d=json.load(open('$WORK/out')); assert d['error']=='price_out_of_band' and d['code']==401" 2>/dev/null &&
    pass "--json: an API error is its JSON on stdout" || { fail "--json: the API error is not JSON"; cat "$WORK/out"; }
"$CETS" post CEA25 sell 75.00 -5 --json >"$WORK/out" 2>/dev/null
python3 -c "import json; d=json.load(open('$WORK/out')); assert d['error']=='usage' and 'at least 1' in d['message']" 2>/dev/null &&
    pass "--json: a usage error is JSON on stdout" || { fail "--json: the usage error is not JSON"; cat "$WORK/out"; }
"$CETS" market --json --server http://127.0.0.1:1 >"$WORK/out" 2>/dev/null
python3 -c "import json; d=json.load(open('$WORK/out')); assert d['error']=='unreachable'" 2>/dev/null &&
    pass "--json: an unreachable server is JSON on stdout" || { fail "--json: unreachable is not JSON"; cat "$WORK/out"; }
# one request, one line at debug: none at the default level, the operator's changes at info
grep -q 'comp=http method=GET' "$WORK/cetsd-info.log" && fail "a GET was logged at info" || pass "requests are not logged one line each at info"
grep -q 'comp=http method=POST path=/api/v1/admin/credits ' "$WORK/cetsd-info.log" && pass "the operator's changes are logged at info" ||
    fail "the operator's credit is not in the info log"

# usage errors exit 2
run "post without qty" 2 post CEA25 sell 75.00
run "bad side" 2 post CEA25 hold 75.00 10
run "take both forms" 2 take CEA25 buy --listing 1:1 --qty 1 --limit 75
run "unknown flag" 2 market --bogus
# transport errors
run "unreachable" 1 market --server http://127.0.0.1:1; has "cannot reach" "transport error is clear"
# a server's answer is outside input: nested deeper than 32 levels it is refused unparsed
# (jsonin.h); at 32 it parses (and is then just not a market)
deep_server() { # deep_server DEPTH: answers one request with a JSON value DEPTH deep, prints its port
    python3 - "$1" <<'PY' &
import socket, sys
d = int(sys.argv[1]); body = ('[' * d + ']' * d).encode()
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", 0)); s.listen(1)
print(s.getsockname()[1], flush=True)
s.settimeout(10); c, _ = s.accept(); c.recv(65536)
c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
c.close()
PY
}
for depth in 32 33; do
    exec 3< <(deep_server $depth)
    read -r DPORT <&3
    if [ $depth -eq 33 ]; then
        run "server answer 33 deep" 1 market --server "http://127.0.0.1:$DPORT"
        has "nested too deep" "an answer 33 deep is refused unparsed"
    else # parsed: what the market table makes of an array is the table's business
        "$CETS" market --server "http://127.0.0.1:$DPORT" >"$WORK/out" 2>&1
        grep -q "nested too deep" "$WORK/out" && fail "an answer 32 deep was refused" || pass "an answer 32 deep is parsed"
    fi
    exec 3<&-
done
# the same for the answers the bank commands read themselves
printf 'date,ref,participant,amount\n' >"$WORK/bank.csv"
for cmd in deposits reconcile; do
    exec 3< <(deep_server 33)
    read -r DPORT <&3
    run "bank $cmd answer 33 deep" 1 bank $cmd "$WORK/bank.csv" --server "http://127.0.0.1:$DPORT"
    has "nested too deep" "bank $cmd: an answer 33 deep is refused unparsed"
    exec 3<&-
done
# market parameters: the list, a dated and an urgent change, the history, refusals
run "params" 0 params; has "fee.listing.buy" "params lists the fees"; has "limit.vintage" "params lists the limits"
run "params set dated" 0 params set ccer.cap 1000 --from 2031-01-02 --token "$ADMIN_TOKEN"
has "ccer.cap = 1000 from the open of 2031-01-02" "a dated change waits for its date"
run "params set urgent" 0 params set band.block 2500 --urgent --token "$ADMIN_TOKEN"
has "band.block = 2500, in force now" "an urgent change applies at once"
run "params list pending" 0 params list; has "1000 from 2031-01-02" "the list shows what is pending"
run "params history" 0 params history; has "pending" "the history has the dated change pending"
grep -q "applied (urgent)" "$WORK/out" && pass "history shows the urgent change applied" || fail "history lacks the urgent change"
run "params bad value" 1 params set fee.listing.buy -5 --from 2031-01-02 --token "$ADMIN_TOKEN"
has "fee.listing.buy must be from 0 ppm to 100,000 ppm, not -5 ppm" "a bad value names its bounds"
run "params not urgent" 1 params set tick 5 --urgent --token "$ADMIN_TOKEN"; has "param_not_urgent" "the tick is never urgent"
run "params neither" 2 params set tick 5 --token "$ADMIN_TOKEN"
run "params both" 2 params set tick 5 --urgent --from 2031-01-02 --token "$ADMIN_TOKEN"
run "params not a number" 2 params set tick five --from 2031-01-02 --token "$ADMIN_TOKEN"
run "params --json" 0 params --json; json_ok "params"
run "large-holders" 0 large-holders --token "$ADMIN_TOKEN"; has "above 5.00% of the issuance" "large-holders names its threshold"; has "CEA25" "large-holders lists the CEA25 holders"
run "large-holders last day" 0 large-holders --last-day --token "$ADMIN_TOKEN"; has "end of day" "large-holders --last-day"
run "large-holders as a trader" 1 large-holders; has "forbidden" "large-holders is for the operator and the authority"
run "related declare" 0 related declare 3 2 --reason "one parent company" --token "$ADMIN_TOKEN"; has "participants 3 and 2: related" "related declare says what it did"
run "related list" 0 related --token "$ADMIN_TOKEN"; has "one parent company" "related lists the reason"; has "declared" "related lists the status"
run "related revoke" 0 related revoke 2 3 --reason "sold" --token "$ADMIN_TOKEN"; has "no longer related" "related revoke"
run "related --json" 0 related list --json --token "$ADMIN_TOKEN"; json_ok "related"
[ "$(field 'len(d["declarations"])')" = 2 ] && pass "related: two declarations" || fail "related: not two declarations"
run "related no reason" 2 related declare 2 3 --token "$ADMIN_TOKEN"; has "--reason" "related declare needs a reason"
run "related same twice" 1 related declare 2 2 --reason x --token "$ADMIN_TOKEN"; has "bad_argument" "related: the same participant twice is refused"
run "related as a trader" 1 related declare 2 3 --reason x; has "forbidden" "related is the operator's"
run "logout" 0 logout
grep -q token "$WORK/profile" && fail "token left in the profile" || pass "logout removed the token"
run "after logout" 1 account; has "unauthenticated" "no token: unauthenticated"

kill -TERM "$PID"; wait "$PID"; rc=$?; PID=
[ "$rc" -eq 0 ] && pass "cetsd stopped on SIGTERM" || fail "cetsd exit $rc on SIGTERM"
if [ "$fails" -ne 0 ]; then echo "client.sh: $fails failed"; exit 1; fi
echo "client.sh: all passed"
