#!/usr/bin/env bash
# prefetch.sh -- the engine's prefetch hints survive the compiler.
#
# Run by ctest as: bash prefetch.sh <libcets.so>. cets_prefetch,
# cets_prefetch_links, cets_apply and cets_apply_batch (engine.c) must each
# hold prefetch instructions. The hints have no visible effect, so nothing
# else notices when they vanish: GCC 12 at -O3 once dropped every one of them
# when a helper it inlined made the `static inline` prefetch functions look
# pure (their calls then had no effect to keep). The prefetch helpers are
# always inlined for that reason.
set -u
SO=${1:?usage: prefetch.sh <libcets.so>}
fails=0
for fn in cets_prefetch cets_prefetch_links cets_apply cets_apply_batch; do
    body=$(objdump -d --no-show-raw-insn "$SO" | awk -v f="<$fn>:" '$2 == f {on = 1; next} on && /^$/ {exit} on')
    if [ -z "$body" ]; then
        echo "FAIL: $fn not found in $SO"
        fails=$((fails + 1))
        continue
    fi
    n=$(awk '$2 ~ /^prefetch/' <<<"$body" | wc -l) # the mnemonic, not a call of prefetch_cmd
    if [ "$n" -eq 0 ]; then
        echo "FAIL: $fn in $SO has no prefetch instruction ($(wc -l <<<"$body") instructions)"
        fails=$((fails + 1))
    else
        echo "prefetch.sh: $fn: $n prefetch instructions"
    fi
done
if [ "$fails" -ne 0 ]; then
    echo "prefetch.sh: $fails failed"
    exit 1
fi
echo "prefetch.sh: ok: the engine's prefetch hints are in $SO"
