#!/usr/bin/env bash
# deps.sh -- install what cets needs to build and test, from Debian's packages.
# Safe to run again: it installs only what is missing.
set -euo pipefail
PKGS=(build-essential cmake pkg-config libcmocka-dev libxxhash-dev libzstd-dev
      libnats-dev nats-server
      libcivetweb-dev libjansson-dev libsodium-dev libcurl4-openssl-dev
      libh2o-evloop-dev libssl-dev openssl  # the event-loop front end, TLS (HTTP, FIX), test certificates
      libquickfix-dev clang clang-format  # FIX tests: the QuickFIX client, the parser's fuzzer, the format check
      libsqlite3-dev libpq-dev postgresql-15) # the back office: SQLite, libpq, a test server
missing=()
for p in "${PKGS[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "deps: installing ${missing[*]}" >&2
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  # --no-remove: installing never takes away a package something else uses
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-remove "${missing[@]}" >/dev/null
fi
