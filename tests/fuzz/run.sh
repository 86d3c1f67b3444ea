#!/usr/bin/env bash
# run.sh -- build the libFuzzer targets of tests/fuzz with clang (ASan + UBSan)
# and run each one for a bounded time.
#
#   tests/fuzz/run.sh [TARGET...]        default: every tests/fuzz/fuzz_*.c
#
# Environment:
#   FUZZ_SECONDS  seconds per target (default 20)
#   FUZZ_BUILD    build directory (default <repo>/build-fuzz)
#   FUZZ_JOBS     parallel compile jobs (default 2)
#   FUZZ_CC       the clang to use (default: clang on the PATH)
#
# The build is a CMake tree of its own (-DCETS_FUZZ=ON, clang): every library
# compiled with -fsanitize=fuzzer-no-link,address,undefined
# -fno-sanitize-recover=undefined, the targets linked with -fsanitize=fuzzer.
# Each target starts from its seeds in tests/fuzz/corpus/<target>/ plus what
# earlier runs found (kept in the build directory, not in the repository).
# A crash, a sanitizer report, a failed fuzz_check(), a timeout or running
# out of memory fails the run; the input is saved in the build directory as
# $FUZZ_BUILD/findings/<target>-<kind>-<sha1>, to be replayed with
#   $FUZZ_BUILD/<target> $FUZZ_BUILD/findings/<file>
# and, once understood, copied into tests/fuzz/findings/ under a name that
# says what it is (the repository keeps one reproducer per bug, not every
# input a run happens to find).
# (FUZZ_VERBOSE=1 makes the journal and CSV targets say what they did).
# Before fuzzing, every file already in tests/fuzz/findings/ is run once
# against its target: a finding that is still open fails the run.
# Exit codes: 0 every target ran clean, 1 a finding or a build failure,
# 77 clang or libFuzzer is missing here (ctest counts that as skipped).
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
seconds=${FUZZ_SECONDS:-20}
build=${FUZZ_BUILD:-$root/build-fuzz}
jobs=${FUZZ_JOBS:-2}

# Can this machine build a libFuzzer program at all? If not, skip (77).
cc=${FUZZ_CC:-$(command -v clang || true)}
if [ -z "$cc" ] || ! command -v "$cc" >/dev/null; then
    echo "fuzz: SKIPPED: clang is not installed (apt-get install clang libclang-rt-dev)"
    exit 77
fi
probe=$(mktemp -d)
# the targets' scratch directories go under one directory removed at the end
# (a target that finds something aborts before it can clean up after itself)
scratch=$(mktemp -d "$( [ -d /dev/shm ] && echo /dev/shm || echo /tmp )/cets-fuzz-run.XXXXXX")
export FUZZ_TMP=$scratch
# h2o's per-thread caches (the event-loop front end that fuzz_http drives)
# are known to LeakSanitizer as the tests know them
export LSAN_OPTIONS="suppressions=$root/tests/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"

trap 'rm -rf "$probe" "$scratch"' EXIT
echo 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }' \
    >"$probe/p.c"
if ! "$cc" -fsanitize=fuzzer,address,undefined "$probe/p.c" -o "$probe/p" 2>"$probe/err"; then
    echo "fuzz: SKIPPED: $cc cannot link libFuzzer programs (install libclang-rt-dev):"
    head -3 "$probe/err"
    exit 77
fi

if [ $# -gt 0 ]; then
    targets=("$@")
else
    targets=()
    for f in "$here"/fuzz_*.c; do targets+=("$(basename "$f" .c)"); done
fi

echo "fuzz: building ${targets[*]} in $build"
mkdir -p "$build"
if ! cmake -S "$root" -B "$build" -DCMAKE_C_COMPILER="$cc" -DCETS_FUZZ=ON \
        -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$build/cmake.log" 2>&1; then
    cat "$build/cmake.log"
    echo "fuzz: FAILED: cmake configure"
    exit 1
fi
if ! cmake --build "$build" -j"$jobs" --target "${targets[@]}" >"$build/build.log" 2>&1; then
    grep -E "error|Error" "$build/build.log" | head -30
    echo "fuzz: FAILED: build (full log: $build/build.log)"
    exit 1
fi

export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
mkdir -p "$here/findings" "$build/findings"
failed=0
total=0

# Open findings first: every saved reproducer of a target is run once, and
# one that still fails keeps the run red until the bug is fixed (the file is
# then kept as a regression input, or moved into the target's corpus).
for t in "${targets[@]}"; do
    for f in "$here/findings/$t"-*; do
        [ -e "$f" ] || continue
        fe="" # fuzz_http-evloop-*, fuzz_http-civetweb-*: found on that front end
        case "$(basename "$f")" in "$t"-evloop-*) fe=evloop ;; "$t"-civetweb-*) fe=civetweb ;; esac
        if CETS_FUZZ_FRONTEND=$fe "$build/$t" "$f" >"$build/$t.finding.log" 2>&1; then
            echo "fuzz: fixed:      $(basename "$f")"
        else
            echo "fuzz: still open: $(basename "$f"): $(grep -m1 -E "runtime error|ERROR: |fuzz_check failed" "$build/$t.finding.log")"
            failed=1
        fi
    done
done

# The runs: every target once, fuzz_http once on each HTTP front end (the
# service it drives runs the one CETS_FUZZ_FRONTEND names; both share a corpus).
runs=()
for t in "${targets[@]}"; do
    if [ "$t" = fuzz_http ]; then
        runs+=("fuzz_http:evloop" "fuzz_http:civetweb")
    else
        runs+=("$t:")
    fi
done
printf '%-20s %12s %10s %8s  %s\n' target executions exec/s corpus result
for run in "${runs[@]}"; do
    t=${run%%:*}
    fe=${run#*:}
    name=$t${fe:+-$fe}
    work="$build/corpus/$t"
    seeds="$here/corpus/$t"
    mkdir -p "$work" "$seeds"
    log="$build/$name.log"
    CETS_FUZZ_FRONTEND=$fe "$build/$t" "$work" "$seeds" -max_total_time="$seconds" -timeout=10 \
        -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$build/findings/$name-" \
        >"$log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    units=$(ls "$work" | wc -l)
    if [ $rc -eq 0 ]; then
        result=ok
    else
        result="FINDING (exit $rc): $(grep -o "$build/findings/$name-[^ ]*" "$log" | tail -1)"
        failed=1
    fi
    printf '%-20s %12s %10s %8s  %s\n' "$name" "${execs:-?}" "${speed:-?}" "$units" "$result"
    if [ $rc -ne 0 ]; then
        grep -E "ERROR|SUMMARY|fuzz_check|runtime error|#0 |#1 |#2 |#3 " "$log" | head -15
        echo "  (full log: $log)"
    fi
    total=$((total + ${execs:-0}))
done
echo "fuzz: ${#runs[@]} runs of ${#targets[@]} targets, $total executions in total, ${seconds}s each"
if [ $failed -ne 0 ]; then
    echo "fuzz: FAILED"
    exit 1
fi
echo "fuzz: ok"
