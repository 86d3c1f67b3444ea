#!/usr/bin/env bash
# run.sh -- the README's main command: installs dependencies, builds cets
# (optimised) and runs one trading day of the demo market through the full
# rules and the journal, then prints the day's market report.
# Extra arguments go to `cets simulate` (try --statement 5, --seed 2, --json).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
cmake -S . -B build-release -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-release -j"$(nproc)" --target cets >/dev/null
exec ./build-release/cets simulate --dir ./cets-sim-data --force "$@"
