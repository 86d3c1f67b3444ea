#!/usr/bin/env bash
# flags.sh BENCH_ENGINE -- bench_engine's numeric flags take whole numbers
# only: anything else (a word, a sign, a number with junk after it, an empty
# value, one past 2^64 - 1, or past 2^32 - 1 for a 32-bit count) exits 2
# naming the flag and the value, before any run; a good value runs. Prints
# each failure.
set -uo pipefail
bench=${1:?usage: flags.sh BENCH_ENGINE}
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

bad() { # flag value
    local out rc
    out=$("$bench" --commands 2000 --only controls "$1" "$2" 2>&1 >/dev/null)
    rc=$?
    [ "$rc" -eq 2 ] || fail "$1 '$2': exit $rc, not 2"
    grep -qF -- "bench_engine: $1 wants a whole number from 0 to 18446744073709551615, not '$2'" \
        <<<"$out" || fail "$1 '$2': no clear error: $out"
}

for v in x -1 +3 ' -1' 5x 1.5 '' 18446744073709551616; do bad --controls "$v"; done
for f in --commands --seed --repeat --batch; do bad "$f" 12q; done

# counts held in 32 bits: one past 2^32 - 1 is refused (it was cut to its low
# bits: 4294967297 ran as 1); 2^32 - 1 itself parses and the workload refuses it
for f in --instruments --accounts; do
    out=$("$bench" --commands 2000 --only controls "$f" 4294967297 2>&1 >/dev/null)
    rc=$?
    [ "$rc" -eq 2 ] && grep -qF "bench_engine: $f wants a whole number from 0 to 4294967295, not '4294967297'" \
        <<<"$out" || fail "$f 4294967297: exit $rc: $out"
done
out=$("$bench" --commands 2000 --only throughput --instruments 4294967295 2>&1 >/dev/null)
rc=$?
[ "$rc" -ne 0 ] && grep -qF "workload: bad instrument or account count" <<<"$out" ||
    fail "--instruments 4294967295: exit $rc, not the workload's refusal: $out"

# at the limit: the largest value parses (and is refused later only where it makes no sense)
out=$("$bench" --commands 18446744073709551615x 2>&1 >/dev/null)
grep -qF "not '18446744073709551615x'" <<<"$out" || fail "junk after the largest value: $out"

# a good value runs: one pair, limits and surveillance on and off
"$bench" --commands 2000 --only controls --controls 1 >/dev/null 2>&1 ||
    fail "--controls 1: exit $?"

[ "$fails" -eq 0 ] && echo "ok: bench_engine flags"
exit $((fails > 0))
