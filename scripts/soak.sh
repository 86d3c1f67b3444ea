#!/usr/bin/env bash
# soak.sh -- a long run of cetsd under steady load, outside CI: memory and
# latency sampled into a CSV, and a summary that says whether memory grew and
# whether anything stalled.
#
#   scripts/soak.sh                 run (default one hour), then summarise
#   scripts/soak.sh --summary CSV   summarise an existing CSV again
#
# Environment (see tests/soak/soak_load.c for the load itself):
#   SOAK_SECONDS      length of the run (3600)
#   SOAK_INTERVAL     seconds between samples (10)
#   SOAK_RATE         requests a second, all clients together (200)
#   SOAK_CLIENTS      client threads (4)
#   SOAK_EOD_SECONDS  an end of day this often, so the day's state stays small (600)
#   SOAK_COID_PCT     percent of orders with a client_order_id (0: cetsd keeps each
#                     for the rest of the calendar day, by design; that growth would hide a leak)
#   SOAK_STALL_MS     a sample whose slowest request took longer has stalled (1000)
#   SOAK_GROWTH_PCT   growth of the mean RSS, first quarter to last, that counts (10)
#   SOAK_WARMUP       seconds left out of the memory comparison (300, at most a quarter
#                     of the run): cetsd's fixed buffers (the WebSocket event ring, the
#                     trade log chunks, the journal's batch buffer) are allocated at start
#                     but only become resident as they are first written
#   SOAK_BUILD        build directory with cetsd and soak_load (build-release);
#                     built there with cmake if they are missing
#   SOAK_CSV          where the samples go (soak-<date>.csv in the current directory)
# Exit status: 0 no growth and no stall, 1 otherwise, 2 the run itself failed.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)

summary() { # csv
    awk -F, -v stall_ms="${SOAK_STALL_MS:-1000}" -v growth_pct="${SOAK_GROWTH_PCT:-10}" \
        -v warmup="${SOAK_WARMUP:-300}" '
    NR == 1 { next }
    { all++; t[all] = $1; rss[all] = $2; fds[all] = $4; req += $6; err += $7; behind += $8
      p99[all] = $10; mx[all] = $11
      if ($11 > worst) { worst = $11; worst_t = $1 }
      if ($11 > stall_ms) stalls++ }
    END {
      if (all < 5) { print "soak: fewer than 5 samples: nothing to compare"; exit 2 }
      # memory: leave out the warm-up (at most a quarter of the run), then
      # compare the first quarter of the rest with the last
      w = warmup < t[all] / 4 ? warmup : t[all] / 4
      for (i = 1; i <= all && t[i] <= w; i++) {}
      first = i; n = all - first + 1
      q = int(n / 4); if (q < 1) q = 1
      for (i = first; i < first + q; i++) { a += rss[i]; fa += fds[i] }
      for (i = all - q + 1; i <= all; i++) { b += rss[i]; fb += fds[i] }
      a /= q; b /= q; fa /= q; fb /= q
      g = a > 0 ? (b - a) * 100 / a : 0
      for (i = 1; i <= all; i++) { s99 += p99[i] }
      printf "soak: %d samples over %d s, %d requests (%.0f/s), %d errors, %d sends late\n",
             all, t[all], req, req / t[all], err, behind
      printf "soak: memory: RSS %.0f kB at the start (after %d s of warm-up), mean %.0f kB in the first quarter after it, %.0f kB in the last (%+.1f%%); fds %.0f -> %.0f\n",
             rss[1], w, a, b, g, fa, fb
      printf "soak: latency: mean p99 %.2f ms, worst request %.2f ms (at %d s)\n", s99 / all, worst, worst_t
      grew = g > growth_pct
      printf "soak: memory %s (threshold %d%%); %s\n", grew ? "GREW" : "did not grow", growth_pct,
             stalls ? sprintf("%d samples STALLED (a request over %d ms)", stalls, stall_ms) \
                    : sprintf("no stall (no request over %d ms)", stall_ms)
      exit (grew || stalls) ? 1 : 0
    }' "$1"
}

if [ "${1:-}" = "--summary" ]; then
    summary "${2:?usage: soak.sh --summary CSV}"
    exit $?
fi

build=${SOAK_BUILD:-$root/build-release}
if [ ! -x "$build/cetsd" ] || [ ! -x "$build/soak_load" ]; then
    echo "soak: building cetsd and soak_load in $build"
    cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null &&
        cmake --build "$build" -j2 --target cetsd soak_load >/dev/null || exit 2
fi
csv=${SOAK_CSV:-$PWD/soak-$(date -u +%Y%m%dT%H%M%SZ).csv}
echo "soak: ${SOAK_SECONDS:-3600} s; samples into $csv"
"$build/soak_load" "$build/cetsd" "$csv" || exit 2
summary "$csv"
