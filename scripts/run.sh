#!/usr/bin/env bash
# run.sh -- the README's main command: installs dependencies, builds cetsd and
# starts the exchange with a demo market on embedded defaults: the CEA vintages
# and CCER, seeded participants, and simulated traders posting and taking
# through the API all day long. Open the dashboard at the address printed.
# Stop with Ctrl-C (SIGINT: the batch is finished, synced and snapshotted).
# Extra arguments go to cetsd (try --print-config, or --listen 127.0.0.1:9090);
# the banner (scripts/demo-banner.sh) shows the addresses cetsd will use, as
# `cetsd --print-config` reports them for these arguments.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
bash scripts/web-deps.sh
cmake -S . -B build-release -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-release -j"$(nproc)" --target cetsd cets >/dev/null
export CETSD_ADMIN_PASSWORD="${CETSD_ADMIN_PASSWORD:-admin-demo}"
args=(--demo --data ./cetsd-data --fix 127.0.0.1:9878 "$@")
bash scripts/demo-banner.sh ./build-release/cetsd "${args[@]}"
exec ./build-release/cetsd "${args[@]}"
