#!/usr/bin/env bash
# run.sh -- the README's main command: installs dependencies, builds cetsd and
# starts the exchange with a demo market on embedded defaults: the CEA vintages
# and CCER, seeded participants, and simulated traders posting and taking
# through the API all day long. Open the dashboard at http://127.0.0.1:8080.
# Stop with Ctrl-C (SIGINT: the batch is finished, synced and snapshotted).
# Extra arguments go to cetsd (try --print-config, or --listen 127.0.0.1:9090).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
bash scripts/web-deps.sh
cmake -S . -B build-release -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-release -j"$(nproc)" --target cetsd cets >/dev/null
export CETSD_ADMIN_PASSWORD="${CETSD_ADMIN_PASSWORD:-admin-demo}"
cat <<MSG
cets demo market
  dashboard:  http://127.0.0.1:8080
  logins:     alice / alice-demo    bob / bob-demo    (traders)
              admin / $CETSD_ADMIN_PASSWORD             (exchange operator)
  FIX 4.4:    127.0.0.1:9878 (docs/fix.md; log on with a user and password)
  data:       ./cetsd-data (journal, snapshots, users)
  also:       ./build-release/cets simulate   (a whole trading day offline, with the daily report)
MSG
exec ./build-release/cetsd --demo --data ./cetsd-data --fix 127.0.0.1:9878 "$@"
