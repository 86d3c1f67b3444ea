#!/usr/bin/env bash
# simulate.sh -- the cets tool end to end: simulate a day, read it back.
#
# Run by ctest as: bash simulate.sh <path to cets> <tmp dir>.
# A simulated day must be reproducible (same seed, same state hash; another
# seed, another hash), and `cets replay` must rebuild exactly the state that
# simulate reported, from the snapshot and from the journal alone. Prints a
# FAIL line per broken expectation and exits non-zero if there was any.
set -u
CETS=${1:?usage: simulate.sh <cets binary> <tmp dir>}
TMP=${2:?usage: simulate.sh <cets binary> <tmp dir>}
mkdir -p "$TMP"
WORK=$(mktemp -d "$TMP/cli-simulate.XXXXXX")
fails=0

fail() {
    echo "FAIL: $*"
    fails=$((fails + 1))
}

# expect_rc <rc> <what> -- cmd...: run cmd, keep stdout+stderr in $WORK/out.
expect_rc() {
    local want=$1 what=$2
    shift 3
    "$@" >"$WORK/out" 2>&1
    local rc=$?
    [ "$rc" -eq "$want" ] || { fail "$what: exit $rc, want $want"; sed 's/^/    /' "$WORK/out" | head -20; }
}

contains() { # contains <file> <text> <what>
    grep -qF -- "$2" "$1" || fail "$3: output lacks '$2'"
}

sim_hash() { # the state hash from a simulate report
    grep -a 'State hash' "$1" | grep -o '[0-9a-f]\{16\}' | head -1
}

replay_hash() {
    grep '^state_hash=' "$1" | cut -d= -f2
}

SIM=(simulate --participants 2000 --orders 20000)

# ---- one day, and its report ----
D1="$WORK/sim.$$"
"$CETS" "${SIM[@]}" --seed 7 --dir "$D1" --quiet >"$WORK/day1" 2>"$WORK/day1.err"
rc=$?
[ "$rc" -eq 0 ] || { fail "simulate exited $rc"; cat "$WORK/day1.err"; }
[ -s "$WORK/day1.err" ] && fail "simulate --quiet wrote to stderr: $(head -3 "$WORK/day1.err")"
for h in "全国碳排放权交易市场 每日行情" "National Carbon Market Daily Report" "代码" "Code" \
    "开盘价" "Open" "收盘价" "Close" "涨跌幅" "Change %" "挂牌协议成交量" "Listing volume" \
    "大宗协议成交额" "Block turnover" "单向竞价成交量" "Auction volume" "总成交额" \
    "Total turnover" "综合价格" "Composite price" "累计成交量" "Cumulative volume" \
    "合计 Total" "Run summary" "Checks" "ok (conservation"; do
    contains "$WORK/day1" "$h" "report"
done
for i in CEA1920 CEA21 CEA22 CEA23 CEA24 CEA25 CCER; do
    grep -qE "^  $i " "$WORK/day1" || fail "report: no row for $i"
done
grep -q "MISMATCH" "$WORK/day1" && fail "report: a check failed: $(grep MISMATCH "$WORK/day1")"
H1=$(sim_hash "$WORK/day1")
[ -n "$H1" ] || fail "simulate printed no state hash"
trades=$(grep -a '成交 Trades' "$WORK/day1" | grep -o '[0-9,]*$' | tr -d ,)
[ "${trades:-0}" -gt 1000 ] || fail "a day of 20000 orders made only ${trades:-0} trades"

# ---- replay finds the same state, with and without the snapshot ----
expect_rc 0 "replay" -- "$CETS" replay "$D1"
[ "$(replay_hash "$WORK/out")" = "$H1" ] || fail "replay hash $(replay_hash "$WORK/out") != simulate's $H1"
contains "$WORK/out" "recovery:" "replay"
expect_rc 0 "replay --from-scratch" -- "$CETS" replay "$D1" --from-scratch
[ "$(replay_hash "$WORK/out")" = "$H1" ] || fail "replay --from-scratch hash $(replay_hash "$WORK/out") != $H1"
grep -q '^records_replayed=[1-9]' "$WORK/out" || fail "replay --from-scratch replayed no records"
expect_rc 0 "replay --verify" -- "$CETS" replay "$D1" --verify
contains "$WORK/out" "verify=ok" "replay --verify"
ls "$D1"/journal-*.log >/dev/null 2>&1 || fail "no journal segment in $D1"
ls "$D1"/snapshot-*.snap >/dev/null 2>&1 || fail "no snapshot in $D1"

# replay must not change the directory
sum_before=$(cat "$D1"/* 2>/dev/null | cksum)
"$CETS" replay "$D1" >/dev/null 2>&1
"$CETS" report "$D1" >/dev/null 2>&1
[ "$(cat "$D1"/* 2>/dev/null | cksum)" = "$sum_before" ] || fail "replay or report changed $D1"

# without its snapshot, the journal alone gives the same report
mkdir -p "$WORK/nosnap" && cp "$D1"/* "$WORK/nosnap/" && rm -f "$WORK/nosnap"/snapshot-*
"$CETS" report "$D1" >"$WORK/rep_snap" 2>&1
expect_rc 0 "report without snapshot" -- "$CETS" report "$WORK/nosnap"
cmp -s "$WORK/rep_snap" "$WORK/out" || fail "report from the journal alone differs from the snapshot's"
expect_rc 0 "replay without snapshot" -- "$CETS" replay "$WORK/nosnap"
[ "$(replay_hash "$WORK/out")" = "$H1" ] || fail "journal-only recovery hash $(replay_hash "$WORK/out") != $H1"

# ---- same seed, same day; another seed, another day ----
D2="$WORK/sim2.$$"
D3="$WORK/sim3.$$"
"$CETS" "${SIM[@]}" --seed 7 --dir "$D2" --quiet >"$WORK/day2" 2>&1 || fail "second simulate failed"
"$CETS" "${SIM[@]}" --seed 8 --dir "$D3" --quiet >"$WORK/day3" 2>&1 || fail "third simulate failed"
[ "$(sim_hash "$WORK/day2")" = "$H1" ] || fail "seed 7 twice: $(sim_hash "$WORK/day2") != $H1"
H3=$(sim_hash "$WORK/day3")
[ -n "$H3" ] && [ "$H3" != "$H1" ] || fail "seed 8 gave the same hash as seed 7 ($H1)"
cmp -s "$D1"/journal-*.log "$D2"/journal-*.log || fail "seed 7 twice: the journals differ"

# ---- statements ----
expect_rc 0 "simulate --statement 5" -- "$CETS" "${SIM[@]}" --seed 7 --dir "$WORK/sim4" --quiet --statement 5 --statement 1
contains "$WORK/out" "结算单 Settlement Statement" "statement"
contains "$WORK/out" "参与人 Participant: 5 " "statement"
contains "$WORK/out" "参与人 Participant: 1 " "statement of the exchange"
contains "$WORK/out" "期末资金 Closing funds" "statement"
contains "$WORK/out" "成交明细 Trades" "statement"
grep -q "MISMATCH" "$WORK/out" && fail "statement: $(grep MISMATCH "$WORK/out" | head -1)"
[ "$(sim_hash "$WORK/out")" = "$H1" ] || fail "--statement changed the day's hash"
sed -n '/参与人 Participant: 5 /,/^五、/p' "$WORK/out" | sed '/^五、/d' >"$WORK/stmt_sim"
expect_rc 0 "cets statement" -- "$CETS" statement "$D1" 5
sed -n '/参与人 Participant: 5 /,$p' "$WORK/out" >"$WORK/stmt_dir"
sed -n '/参与人 Participant: 5 /,/^结算单/p' "$WORK/stmt_sim" | sed '/^结算单/d' >"$WORK/stmt_sim5"
diff -q "$WORK/stmt_sim5" "$WORK/stmt_dir" >/dev/null ||
    fail "cets statement DIR 5 differs from simulate --statement 5"
expect_rc 0 "cets report" -- "$CETS" report "$D1"
sed -n '/^全国/,/^五、/p' "$WORK/day1" | sed '/^五、/d' >"$WORK/rep_sim"
diff -q "$WORK/rep_sim" "$WORK/out" >/dev/null || fail "cets report DIR differs from simulate's report"

# ---- JSON ----
expect_rc 0 "simulate --json" -- "$CETS" "${SIM[@]}" --seed 7 --dir "$WORK/sim5" --quiet --json --statement 5
grep -v '^{.*}$' "$WORK/out" | head -3 | while read -r l; do fail "--json: not a JSON line: $l"; done
for t in report instrument totals summary statement statement_trade; do
    grep -q "^{\"type\":\"$t\"" "$WORK/out" || fail "--json: no \"$t\" line"
done
[ "$(grep -c '^{"type":"instrument"' "$WORK/out")" -eq 7 ] || fail "--json: want 7 instrument lines"
grep -q "\"state_hash\":\"$H1\"" "$WORK/out" || fail "--json: state hash differs from the text run"
for m in listing block auction; do # every trading method traded
    grep '^{"type":"totals"' "$WORK/out" | grep -q "\"${m}_volume\":[1-9]" || fail "--json: no $m volume in the day"
done
if command -v python3 >/dev/null; then
    python3 -c 'import json,sys; [json.loads(l) for l in sys.stdin]' <"$WORK/out" ||
        fail "--json: python cannot parse the output"
fi

# ---- the real market's scale and method mix (scenarios) ----
# totals_of <file> <python expression over t (the totals line) and n (instrument lines)>
check_json() {
    python3 - "$1" "$2" <<'PY' || fail "$3"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.startswith('{')]
t = next(l for l in lines if l['type'] == 'totals')
n = [l for l in lines if l['type'] == 'instrument']
s = next(l for l in lines if l['type'] == 'summary')
ok = eval(sys.argv[2])
if not ok:
    print('   ', {k: t[k] for k in ('total_volume', 'total_turnover', 'listing_volume', 'block_volume', 'auction_volume')},
          [(i['code'], i['prev_close'], i['close']) for i in n], s['checks'])
sys.exit(0 if ok else 1)
PY
}
# The opening day, 2021-07-16: CEA1920 only, at the reference price 48.00; the
# real day traded 4.104 Mt for 210 M CNY: the simulated one within a factor of two.
expect_rc 0 "simulate --scenario opening-day" -- "$CETS" simulate --scenario opening-day --dir "$WORK/open" --quiet --json
check_json "$WORK/out" "len(n) == 1 and n[0]['code'] == 'CEA1920' and n[0]['prev_close'] == 48.0" \
    "opening day: CEA1920 alone at 48.00"
check_json "$WORK/out" "4104000 / 2 <= t['total_volume'] <= 4104000 * 2" "opening day: volume near 4.104 Mt"
check_json "$WORK/out" "210e6 / 2 <= t['total_turnover'] <= 210e6 * 2" "opening day: turnover near 210 M CNY"
check_json "$WORK/out" "n[0]['close'] > 48.0 and s['checks'] == 'ok' and s['scenario'] == 'opening-day'" \
    "opening day: closes up, checks hold"
# a date before the later vintages were issued lists only what existed
expect_rc 0 "simulate --date 20210716" -- "$CETS" simulate --date 20210716 --participants 300 --orders 300 --dir "$WORK/d2021" --quiet --json
check_json "$WORK/out" "[i['code'] for i in n] == ['CEA1920']" "--date 20210716 lists CEA1920 only"
# a normal day: about a million tonnes, most of it by block agreement
expect_rc 0 "simulate (normal day)" -- "$CETS" simulate --dir "$WORK/normal" --quiet --json
check_json "$WORK/out" "200000 <= t['total_volume'] <= 5000000" "normal day: 0.2 to 5 Mt"
check_json "$WORK/out" "t['block_volume'] * 2 > t['total_volume'] and t['listing_volume'] > 0 and t['auction_volume'] > 0" \
    "normal day: blocks carry most of the volume, every method trades"
check_json "$WORK/out" "len(n) == 7 and s['participants'] == 2200 and s['checks'] == 'ok'" "normal day: 7 instruments, 2,200 participants"
# the rush before a deadline: the vintages listed in December 2023, blocks
expect_rc 0 "simulate --scenario deadline-rush" -- "$CETS" simulate --scenario deadline-rush --dir "$WORK/rush" --quiet --json
check_json "$WORK/out" "[i['code'] for i in n] == ['CEA1920', 'CEA21', 'CEA22']" "deadline rush: CEA1920, CEA21, CEA22"
check_json "$WORK/out" "t['block_volume'] * 4 > t['total_volume'] * 3 and t['total_volume'] > 2000000" \
    "deadline rush: millions of tonnes, three quarters by block"
expect_rc 2 "simulate --scenario bogus" -- "$CETS" simulate --scenario bogus --dir "$WORK/never"
contains "$WORK/out" "opening-day" "the scenarios are named"
expect_rc 2 "simulate before the market opened" -- "$CETS" simulate --date 20210715 --dir "$WORK/never"
contains "$WORK/out" "opened on 2021-07-16" "a date before the opening"

# ---- a directory that holds a market is refused, unless --force ----
expect_rc 1 "simulate into a used dir" -- "$CETS" "${SIM[@]}" --seed 7 --dir "$D1" --quiet
contains "$WORK/out" "already holds a market" "refusal"
expect_rc 0 "simulate --force" -- "$CETS" "${SIM[@]}" --seed 9 --dir "$D2" --quiet --force
[ "$(sim_hash "$WORK/out")" != "$H1" ] || fail "--force did not start a new market"

# ---- usage errors: exit 2 and say how to use it ----
expect_rc 2 "unknown command" -- "$CETS" simulat
contains "$WORK/out" "unknown command" "unknown command"
expect_rc 2 "unknown flag" -- "$CETS" simulate --bogus
contains "$WORK/out" "unknown flag '--bogus'" "unknown flag"
contains "$WORK/out" "usage: cets simulate" "unknown flag"
expect_rc 2 "bad number" -- "$CETS" simulate --orders lots
contains "$WORK/out" "usage: cets simulate" "bad number"
expect_rc 2 "bad date" -- "$CETS" simulate --date 20261331
expect_rc 2 "weekend" -- "$CETS" simulate --date 20261128 --dir "$WORK/never"
contains "$WORK/out" "not a trading day" "weekend"
expect_rc 2 "holiday" -- "$CETS" simulate --date 20261001 --dir "$WORK/never"
contains "$WORK/out" "is a holiday" "holiday"
expect_rc 2 "missing value" -- "$CETS" simulate --seed
expect_rc 2 "statement out of range" -- "$CETS" simulate --participants 10 --statement 12
expect_rc 2 "replay without dir" -- "$CETS" replay
contains "$WORK/out" "usage: cets replay" "replay without dir"
expect_rc 2 "statement without pid" -- "$CETS" statement "$D1"
expect_rc 2 "no command" -- "$CETS"
expect_rc 1 "replay of nothing" -- "$CETS" replay "$WORK/nonexistent"
[ -e "$WORK/never" ] && fail "a refused simulate created its directory"
expect_rc 0 "help" -- "$CETS" help
contains "$WORK/out" "simulate" "help"
expect_rc 0 "--version" -- "$CETS" --version
grep -qE '^cets [0-9]+\.[0-9]+' "$WORK/out" || fail "--version: $(cat "$WORK/out")"
expect_rc 0 "simulate --help" -- "$CETS" simulate --help
contains "$WORK/out" "--participants" "simulate --help"

if [ "$fails" -eq 0 ]; then
    rm -rf "$WORK"
    echo "cli simulate: all passed"
    exit 0
fi
echo "cli simulate: $fails failed (files kept in $WORK)"
exit 1
