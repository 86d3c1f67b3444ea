#!/usr/bin/env bash
# cluster.sh -- a local cluster-mode demo: three nats-server nodes (JetStream,
# R3) and two cetsd nodes on 127.0.0.1, the journal replicated on NATS, one
# leader and one hot standby (docs/operations.md, "Cluster mode"). Every
# address is printed. Ctrl-C stops everything; the state stays in ./cluster-data
# (run again to continue, `rm -rf cluster-data` for a fresh market).
#
#   scripts/cluster.sh [BASE_PORT]      (default 18000: NATS 18001-18003,
#                                         routes 18011-18013, cetsd 18081-18082,
#                                         FIX 18091-18092)
#
# Try: kill -9 the leader's cetsd (its pid is printed) and watch the standby
# take over within a few seconds: curl -s http://127.0.0.1:18082/healthz
set -euo pipefail
cd "$(dirname "$0")/.."
base=${1:-18000}
bash scripts/deps.sh
cmake -S . -B build-release -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-release -j"$(nproc)" --target cetsd cets >/dev/null
data=$PWD/cluster-data
mkdir -p "$data"
export CETSD_ADMIN_PASSWORD="${CETSD_ADMIN_PASSWORD:-admin-demo}"
pids=()
stop() {
  trap - INT TERM EXIT
  echo "cluster: stopping"
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop INT TERM EXIT

urls=""
for i in 1 2 3; do
  port=$((base + i)); cport=$((base + 10 + i))
  routes=""
  for k in 1 2 3; do
    [ "$k" = "$i" ] && continue
    routes="${routes:+$routes, }nats-route://127.0.0.1:$((base + 10 + k))"
  done
  cat >"$data/nats-$i.conf" <<CONF
listen: 127.0.0.1:$port
server_name: n$i
max_payload: 8MB
jetstream { store_dir: "$data/nats-$i" }
cluster { name: cets-demo, listen: 127.0.0.1:$cport, routes: [$routes] }
CONF
  nats-server -c "$data/nats-$i.conf" >"$data/nats-$i.log" 2>&1 &
  pids+=($!)
  urls="${urls:+$urls,}nats://127.0.0.1:$port"
done
sleep 2 # the JetStream meta leader is elected within about half a second

for i in 1 2; do
  cat >"$data/cetsd-$i.conf" <<CONF
listen = 127.0.0.1:$((base + 80 + i))
data_dir = $data/cetsd-$i
log_file = $data/cetsd-$i.log
enforce_sessions = false
fix_listen = 127.0.0.1:$((base + 90 + i))
cluster_nats = $urls
cluster_node = node$i
CONF
  ./build-release/cetsd --config "$data/cetsd-$i.conf" &
  pids+=($!)
  sleep 1
done

cat <<MSG
cets cluster demo (Ctrl-C stops it)
  NATS:      $urls   (logs $data/nats-*.log)
  cetsd 1:   http://127.0.0.1:$((base + 81))   FIX 127.0.0.1:$((base + 91))   pid ${pids[3]}   log $data/cetsd-1.log
  cetsd 2:   http://127.0.0.1:$((base + 82))   FIX 127.0.0.1:$((base + 92))   pid ${pids[4]}   log $data/cetsd-2.log
  login:     admin / $CETSD_ADMIN_PASSWORD   (on each node: users are kept per node)
  who leads: curl -s http://127.0.0.1:$((base + 81))/healthz   ("role": "leader" or "standby")
MSG
wait
