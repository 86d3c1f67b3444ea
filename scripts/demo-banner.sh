#!/usr/bin/env bash
# demo-banner.sh CETSD ARGS... -- what run.sh prints before it starts the demo:
# the addresses cetsd will really use with these arguments (as its
# --print-config reports them: flags, config file and defaults alike) and the
# demo logins. Apart from run.sh so that a test can check it (tests/cli/banner.sh).
set -euo pipefail
cetsd=$1
shift
conf=$("$cetsd" "$@" --print-config)
key() { sed -n "s/^$1 = //p" <<<"$conf" | tail -n 1; }
listen=$(key listen)
fix=$(key fix_listen)
scheme=http
[ -n "$(key tls_cert)" ] && scheme=https
cat <<MSG
cets demo market
  dashboard:  $scheme://$listen
  logins:     alice / alice-demo    bob / bob-demo    (traders, compliance officers)
              alice2 / alice2-demo  (alice's colleague: approves her transfers)
              mee / mee-demo        (the competent authority: allocations, emissions, deadline)
              admin / ${CETSD_ADMIN_PASSWORD:-(printed by cetsd at its first start)}   (exchange operator)
  FIX 4.4:    ${fix:-off}${fix:+ (docs/fix.md; log on with a user and password)}
  data:       $(key data_dir) (journal, snapshots, users)
  also:       ./build-release/cets simulate   (a whole trading day offline, with the daily report)
MSG
