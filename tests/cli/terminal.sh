#!/usr/bin/env bash
# terminal.sh -- the cets commands of the member's terminal against a real
# cetsd: block agreements, auctions, the registry, compliance, the
# authority's uploads, and the daily report and statement with every
# section. Each command is run as a person would (tables) and as a program
# would (--json), and its refusals come back by reason name with exit 1,
# its usage errors with exit 2.
#
# Run by ctest as: bash terminal.sh <path to cets> <tmp dir>; cetsd is taken
# from the same build directory. Its own cetsd on a free local port with a
# fresh data directory, sessions not enforced (any hour works).
set -u
CETS=${1:?usage: terminal.sh <cets binary> <tmp dir>}
TMP=${2:?usage: terminal.sh <cets binary> <tmp dir>}
CETSD=$(dirname "$CETS")/cetsd
mkdir -p "$TMP"
WORK=$(mktemp -d "$TMP/cli-terminal.XXXXXX")
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

run() { # run <what> <want rc> cmd...: output in $WORK/out
    local what=$1 want=$2
    shift 2
    "$CETS" "$@" >"$WORK/out" 2>&1
    local rc=$?
    if [ "$rc" -eq "$want" ]; then pass "$what"; else
        fail "$what: exit $rc, want $want"; sed 's/^/    /' "$WORK/out" | head -20; fi
}
has() { grep -qF -- "$1" "$WORK/out" && pass "$2" || { fail "$2: output lacks '$1'"; sed 's/^/    /' "$WORK/out" | head -20; }; }
lacks() { grep -qF -- "$1" "$WORK/out" && { fail "$2: output has '$1'"; sed 's/^/    /' "$WORK/out" | head -20; } || pass "$2"; }
jrun() { # jrun <what> cmd...: --json, stdout only, must parse
    local what=$1
    shift
    "$CETS" "$@" --json >"$WORK/out" 2>"$WORK/err"
    local rc=$?
    [ "$rc" -eq 0 ] && python3 -m json.tool "$WORK/out" >/dev/null 2>&1 && pass "$what --json" ||
        { fail "$what --json: exit $rc"; cat "$WORK/out" "$WORK/err" | head -10; }
}
field() { python3 -c "import json,sys; d=json.load(open('$WORK/out')); print($1)"; }
as() { "$CETS" login "$1" --password "$1-password" >/dev/null || fail "login $1"; }

# ---- the market: an authority, entities A (alice, alice2), B (bob), C (carol) ----
"$CETS" login admin --password some-long-password >/dev/null
for a in "instrument-add CEA25 --product CEA --matching listing --prev-close 58.00" \
    "instrument-add CCER --product CCER --matching listing --prev-close 80.00" \
    "participant-add authority Ministry" "participant-add entity A-Power" \
    "participant-add entity B-Steel" "participant-add entity C-Cement" \
    "deposit 3 50000000.00" "deposit 4 50000000.00" "deposit 5 50000000.00" \
    "credit 3 CEA25 300000" "credit 3 CCER 10000" "credit 5 CEA25 200000" \
    "user-add gov --participant 2 --roles view,authority --password gov-password" \
    "user-add alice --participant 3 --roles view,trade,compliance --password alice-password" \
    "user-add alice2 --participant 3 --roles view,compliance --password alice2-password" \
    "user-add bob --participant 4 --roles view,trade,compliance --password bob-password" \
    "user-add carol --participant 5 --roles view,trade --password carol-password"; do
    # shellcheck disable=SC2086
    "$CETS" admin $a >/dev/null || fail "setup: admin $a"
done
YEAR=$(( $(curl -s "http://127.0.0.1:$PORT/api/v1/market" | python3 -c 'import json,sys; print(json.load(sys.stdin)["date"][:4])') - 1 ))

# ---- the authority: emissions, allocations (one by one and as files) ----
as gov
run "registry emissions" 0 registry emissions 3 "$YEAR" 100000; has "100,000" "emissions: the tonnes, grouped"
run "registry allocate" 0 registry allocate 3 CEA25 1000 --output 100 --benchmark 10
has "301,000" "allocate: the holding after it"
run "allocate a true-up that takes back" 0 registry allocate 3 CEA25 -500 --kind trueup
run "allocate: negative pre-allocation" 2 registry allocate 3 CEA25 -500; has "at least 1" "a negative pre-allocation says why"
printf 'entity,vintage,kind,qty,output,benchmark\n3,CEA25,pre,100,1,1\n99,CEA25,pre,5,1,1\n3,CCER,pre,5,1,1\n' >"$WORK/bad.csv"
run "upload a bad allocations file" 1 admin allocations upload "$WORK/bad.csv"
has "bad_file" "the refusal names its reason"
has "allocations.csv:3: entity 99 does not exist" "each bad row by its line number (3)"
has "allocations.csv:4:" "each bad row by its line number (4)"
"$CETS" admin allocations upload "$WORK/bad.csv" --json >"$WORK/out" 2>/dev/null
[ "$(field 'len(d["errors"])')" = 2 ] && pass "--json: the file's errors as JSON" || fail "--json: the errors of the file"
"$CETS" registry holdings --participant 3 --json >/dev/null 2>&1 # gov has no admin right: just the role check below
run "nothing was applied" 0 compliance "$YEAR" --participant 3
printf 'entity,vintage,kind,qty,output,benchmark\n3,CEA25,pre,100,1,1\n4,CEA25,pre,200000,1,1\n' >"$WORK/good.csv"
run "upload a good allocations file" 0 admin allocations upload "$WORK/good.csv"; has "2 rows applied" "rows applied"
printf 'entity,year,tonnes\n4,%s,50000\n' "$YEAR" >"$WORK/em.csv"
run "upload an emissions file" 0 admin emissions upload "$WORK/em.csv"; has "1 rows applied" "emission rows applied"
run "upload a missing file" 1 admin allocations upload "$WORK/nope.csv"; has "cannot read" "a missing file says so"
run "compliance --all" 0 compliance "$YEAR" --all
has "A-Power" "the report names the entities"; has "100,000" "A's obligation"; has "未到期 open" "statuses in both languages"
has "无排放数据 no_emissions" "an entity without emissions is listed"
run "compliance --all --csv" 0 compliance "$YEAR" --all --csv; has "entity,name,year,obligation" "the CSV report"
jrun "compliance --all" compliance "$YEAR" --all
[ "$(field 'd["totals"]["entities"]')" = 3 ] && pass "the report's totals" || fail "report totals: $(cat "$WORK/out")"
run "compliance --csv without --all" 2 compliance "$YEAR" --csv

# ---- an entity: compliance, surrender (the CCER cap), retirement ----
as alice
run "compliance (own)" 0 compliance "$YEAR"
has "5,000" "the CCER still allowed: 5% of 100,000 t"; has "CCER cap %" "the cap is named"
jrun "compliance" compliance "$YEAR"
[ "$(field 'd["ccer_left"]')" = 5000 ] && pass "ccer_left 5000" || fail "ccer_left: $(cat "$WORK/out")"
run "compliance of another entity" 1 compliance "$YEAR" --participant 4; has "forbidden" "another's compliance: forbidden"
run "surrender CCER over the cap" 1 registry surrender "$YEAR" --code CCER:5001; has "ccer_cap" "refused by the CCER cap"
run "surrender CCER at the cap" 0 registry surrender "$YEAR" --code CCER:5000; has "5,000" "5,000 t surrendered"
run "surrender by quantity" 0 registry surrender "$YEAR" 40000; has "40,000" "40,000 t surrendered"
run "surrender: both forms" 2 registry surrender "$YEAR" 10 --code CEA25:10
run "surrender: a bad --code" 2 registry surrender "$YEAR" --code CEA25
run "surrender: a year out of range" 2 registry surrender 1999 10
jrun "compliance after" compliance "$YEAR"
[ "$(field 'd["outstanding"]')" = 55000 ] && pass "outstanding 55,000 after 45,000" || fail "outstanding: $(cat "$WORK/out")"
run "holdings" 0 registry holdings; has "Locked T+1 (t)" "holdings by vintage with T+1"
run "retire" 0 registry retire CEA25 250 --beneficiary "Anji County" --reason "events offset"
has "Certificate of Voluntary Cancellation" "retire prints the certificate"; has "CETS-R-" "the certificate's number"
has "Anji County" "the beneficiary"; has "250 吨 t" "the quantity"
has "(+08:00)" "the certificate's time is Beijing time"
run "retire without a reason" 2 registry retire CEA25 1 --beneficiary X
jrun "retire" registry retire CEA25 1 --beneficiary X --reason Y
[ "$(field 'd["seq"] > 0')" = True ] && pass "retire --json: the seq" || fail "retire --json: $(cat "$WORK/out")"

# ---- transfers: four eyes ----
run "transfer" 0 registry transfer 5 CEA25 1000; has "待复核 pending" "the transfer waits"
run "approve one's own transfer" 1 registry approve 1; has "four_eyes" "refused: four eyes"
run "transfers" 0 registry transfers; has "pending" "the queue lists it"
run "transfer: bad quantity" 2 registry transfer 5 CEA25 1.5; has "whole number of tonnes" "1.5 t says why"
as alice2
run "a second user approves" 0 registry approve 1; has "已批准 approved" "approved"
as alice
run "another transfer" 0 registry transfer 5 CEA25 10
run "reject it" 0 registry reject 2; has "已驳回 rejected" "rejected"
jrun "transfers" registry transfers
[ "$(field 'len(d)')" = 2 ] && pass "two transfers listed" || fail "transfers: $(cat "$WORK/out")"

# ---- block agreements: quote, proposal, counter, accept, history ----
run "block quote" 0 block quote CEA25 sell 59.00 150000; has "报价 quote" "a quote on the board"
run "block propose" 0 block propose CEA25 sell 58.00 100000 --to 4; has "意向 proposal" "a proposal"
has "100,000 t" "it reserves the tonnes"
run "block propose without --to" 2 block propose CEA25 sell 58.00 100000
run "block propose below the minimum" 1 block propose CEA25 sell 58.00 1000 --to 4; has "qty_out_of_range" "refused by size"
as bob
run "block list" 0 block; has "59.00" "the board's quote is seen"; has "58.00" "the proposal to me is seen"
run "block counter" 0 block counter 2 57.50 100000; has "57.50" "the counter-proposal"
run "block accept a quote" 1 block accept 1; has "unknown_block" "a quote cannot be accepted"
as alice
run "block accept" 0 block accept 3; has "已成交 accepted" "it trades"
run "block history" 0 block history 2; has "2 steps" "the negotiation's steps"; has "已还价 countered" "the first step countered"
jrun "block history" block history 3
[ "$(field 'len(d)')" = 2 ] && pass "history --json: two steps" || fail "history: $(cat "$WORK/out")"
run "block accept with other terms" 1 block accept 1 --price 1.00; has "unknown_block" "a quote is no proposal"
run "block withdraw" 0 block withdraw 1; has "已撤回 withdrawn" "the quote withdrawn"
as carol
run "block propose to decline" 0 block propose CEA25 sell 58.00 100000 --to 3
as alice
run "block decline" 0 block decline 4; has "已拒绝 declined" "declined"
run "block: bad id" 2 block accept x1
run "block: unknown subcommand" 2 block sell

# ---- auctions: create, two bidders, close, the result ----
"$CETS" login admin --password some-long-password >/dev/null
start=$(python3 -c "import datetime; print((datetime.datetime.utcnow()+datetime.timedelta(hours=8,minutes=-1)).strftime('%Y-%m-%dT%H:%M'))")
end=$(python3 -c "import datetime; print((datetime.datetime.utcnow()+datetime.timedelta(hours=8,seconds=8)).strftime('%Y-%m-%d %H:%M:%S'))")
run "auction create" 0 auction create CEA25 sell 100000 --participant 5 --start "$start" --end "$end"
has "统一价 uniform" "the mode" 2>/dev/null || true
has "Start (+08:00)" "the window in Beijing time"
run "auction create: a bad time" 2 auction create CEA25 sell 100000 --participant 5 --start tomorrow --end "$end"
has "a Beijing time such as" "a bad time says what is wanted"
run "auction create: a bad mode" 2 auction create CEA25 sell 100000 --participant 5 --start "$start" --end "$end" --mode dutch
as alice
run "auction bid" 0 auction bid 1 58.50 60000
run "auction bid out of band" 1 auction bid 1 70.00 10; has "price_out_of_band" "a bid outside the limits"
as bob
run "auction bid (second bidder)" 0 auction bid 1 58.20 60000
run "auction show" 0 auction show 1; has "我的申报 My bids" "my bids"; has "3,493,746.00" "what my bid reserves"
run "auction close too early" 1 auction close 1; has "forbidden" "a trader may not close"
"$CETS" login admin --password some-long-password >/dev/null
run "auction close before the end" 1 auction close 1; has "auction_running" "not before the window's end"
sleep 9
run "auction close" 0 auction close 1; has "58.20" "the clearing price"; has "全部申报 Every bid" "the operator sees every bid"
jrun "auction show" auction show 1
[ "$(field 'd["clearing_price"]')" = 58.20 ] && [ "$(field 'd["filled"]')" = 100000 ] && pass "--json: clearing 58.20, filled 100,000" ||
    fail "auction result: $(cat "$WORK/out")"
run "auction list" 0 auction; has "已成交 closed" "the list shows it closed"
run "auction create another" 0 auction create CEA25 sell 100000 --participant 5 --start "$start" --end 23:59
run "auction cancel" 0 auction cancel 2; has "已取消 cancelled" "cancelled"

# ---- registry: freeze, deadline ----
as gov
run "registry freeze" 0 registry freeze 4 on; has "yes" "frozen"
run "registry freeze off" 0 registry freeze 4 off
run "registry freeze: bad word" 2 registry freeze 4 maybe
run "registry deadline" 0 registry deadline "$YEAR"; has "closed" "the year closed"
run "compliance after the deadline" 0 compliance "$YEAR" --all; has "未足额 shortfall" "A is short"

# ---- the day's end: the report's sections, the statement's registry column ----
"$CETS" login admin --password some-long-password >/dev/null
run "end of day" 0 admin end-of-day
run "daily-report" 0 daily-report
for s in "一、价格 Prices" "二、挂牌协议与大宗协议 Listing and block agreements" \
    "三、单向竞价与合计 One-way bidding (auction) and totals" "四、累计 Cumulative since listing" "Block volume (t)"; do
    has "$s" "daily-report: $s"
done
has "100,000" "the block volume in the report"
as alice
run "statement-last" 0 statement-last; has "Registry (t)" "the statement's registry column"
jrun "statement-last" statement-last
line_ok=$(python3 -c "
import json; d=json.load(open('$WORK/out'))
print(all(l['open_qty'] + l['bought_qty'] - l['sold_qty'] + l['registry_qty'] == l['close_qty'] for l in d['lines']))")
[ "$line_ok" = True ] && pass "every statement line adds up" || fail "statement lines: $(cat "$WORK/out")"

# ---- roles: refusals by name ----
as carol
run "surrender without the compliance role" 1 registry surrender "$YEAR" 10; has "forbidden" "forbidden by name"
run "upload without the authority role" 1 admin allocations upload "$WORK/good.csv"; has "forbidden" "upload: forbidden"
run "help lists the new commands" 0 help; has "block" "help: block"; has "compliance" "help: compliance"
run "block --help" 0 block --help; has "counter ID PRICE QTY" "block usage"

kill -TERM "$PID"; wait "$PID"; rc=$?; PID=
[ "$rc" -eq 0 ] && pass "cetsd stopped on SIGTERM" || fail "cetsd exit $rc on SIGTERM"
if [ "$fails" -ne 0 ]; then echo "terminal.sh: $fails failed"; exit 1; fi
echo "terminal.sh: all passed"
