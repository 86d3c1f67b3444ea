#!/usr/bin/env bash
# instructions.sh -- instructions per command of the engine, counted by
# valgrind's callgrind: the same number on every run of the same build, so a
# change's effect shows on a machine too noisy to time it (bench/README.md,
# "Instructions per command"). Not a substitute for timing: a cache miss is one
# instruction here.
#
#   bench/instructions.sh [BUILD_DIR] [COMMANDS]
#
# BUILD_DIR (default build-release) holds bench_engine; COMMANDS (default
# 200000) is passed to it as --commands. Prints two JSON lines:
#   lob:    cets_lob_add and cets_lob_cancel of `bench_engine --only lob` (the
#           mixed and the cancel-heavy flow, each generated once and replayed
#           twice; an owner's first use included), per call
#   engine: cets_apply_batch of `bench_engine --only engine --depth off` (the
#           default workload, a counting listener), per command
# Needs valgrind (Debian's package); exit status 2 without it.
set -euo pipefail
build=${1:-build-release}
commands=${2:-200000}
bench="$build/bench_engine"
command -v valgrind >/dev/null && command -v callgrind_annotate >/dev/null || {
    echo "instructions.sh: needs valgrind (apt-get install --no-remove valgrind)" >&2
    exit 2
}
[ -x "$bench" ] || {
    echo "instructions.sh: no $bench (build it: cmake --build $build --target bench_engine)" >&2
    exit 2
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# callgrind_annotate, run where no source is: in the source tree it names a
# file both by its absolute and its relative path and splits a function's
# counts between the two
annotate() { (cd "$tmp" && callgrind_annotate --auto=no "$@" 2>/dev/null); }

# The inclusive counts and call counts of the functions named:
# "<instructions inside them> <calls of them>"
count() { # file, function names...
    local f=$1
    shift
    annotate --inclusive=yes --tree=caller "$f" | awk -v names="$*" '
        BEGIN { n = split(names, want, " "); for (i = 1; i <= n; i++) w[want[i]] = 1 }
        function fname(s) { sub(/^.*:/, "", s); return s }
        # a caller line: "  N  <  file:caller (Kx) [obj]"; then the callee: "  N  *  file:fn [obj]"
        / < / && match($0, /\(([0-9,]+)x\)/) {
            k = substr($0, RSTART + 1, RLENGTH - 3); gsub(",", "", k); pending += k; next
        }
        # the function itself has its object in brackets; its lines inlined
        # from other files ("file:fn" without one) are inside its count already
        / \* / {
            s = $0; own = sub(/ \[.*$/, "", s); name = fname(s)
            if (own && name in w) { v = $1; gsub(",", "", v); ir += v; calls += pending }
            pending = 0; next
        }
        { pending = 0 }
        END { printf "%d %d\n", ir, calls }'
}

valgrind --tool=callgrind --callgrind-out-file="$tmp/lob" "$bench" --only lob \
    --commands "$commands" --memory-orders 0 >"$tmp/lob.log" 2>&1 || {
    cat "$tmp/lob.log" >&2
    exit 1
}
read -r ir calls < <(count "$tmp/lob" cets_lob_add cets_lob_cancel)
printf '{"bench":"instructions","run":"lob","commands":%s,"calls":%s,"instructions":%s,"per_call":%.1f}\n' \
    "$commands" "$calls" "$ir" "$(awk -v a="$ir" -v b="$calls" 'BEGIN { print a / b }')"

valgrind --tool=callgrind --callgrind-out-file="$tmp/engine" "$bench" --only engine --depth off \
    --commands "$commands" >"$tmp/engine.log" 2>&1 || {
    cat "$tmp/engine.log" >&2
    exit 1
}
read -r ir batches < <(count "$tmp/engine" cets_apply_batch)
read -r _ applied < <(annotate --tree=calling "$tmp/engine" | awk '
    / \* / { inbatch = ($0 ~ /:cets_apply_batch \[/); next }
    inbatch && / > / && /:apply_one / && match($0, /\(([0-9,]+)x\)/) {
        k = substr($0, RSTART + 1, RLENGTH - 3); gsub(",", "", k); n += k }
    END { printf "0 %d\n", n }')
printf '{"bench":"instructions","run":"engine_batch","commands":%s,"batches":%s,"applied":%s,"instructions":%s,"per_command":%.1f}\n' \
    "$commands" "$batches" "$applied" "$ir" "$(awk -v a="$ir" -v b="$applied" 'BEGIN { print a / b }')"
