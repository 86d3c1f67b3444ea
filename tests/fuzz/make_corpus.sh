#!/usr/bin/env bash
# make_corpus.sh -- write the seed corpora of tests/fuzz/corpus/ again.
#
#   tests/fuzz/make_corpus.sh BUILD_DIR     (a build with the `cets` tool)
#
# The seeds are real files: the journal segment and snapshot of a short
# `cets simulate` day (8 participants, 40 orders), and variants of them that
# recovery must handle (a torn tail, a zero-filled tail, a flipped byte), plus
# good and bad CSV files and JSON request bodies. The first byte of a journal
# or snapshot seed is the target's mode byte (see fuzz_journal.c and
# fuzz_snapshot.c). Needs bash, coreutils and zstd (to unpack the snapshot into
# the engine's raw bytes). The script overwrites the seeds it writes and
# leaves every other file of the corpora alone: the regression inputs added
# after a finding, and the journal seeds of older segment versions (*-v1).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: make_corpus.sh BUILD_DIR}
sim=$(mktemp -d)
trap 'rm -rf "$sim"' EXIT
"$build/cets" simulate --dir "$sim/d" --participants 8 --orders 40 --seed 7 --holidays none \
    --quiet >/dev/null
seg=$(ls "$sim"/d/journal-*.log | head -1)
snap=$(ls "$sim"/d/snapshot-*.snap | tail -1)
size=$(stat -c %s "$seg")

# with mode byte $1: the rest of the arguments' bytes (stdin) into file $2
mode() { { printf "\\x$1"; cat; } >"$2"; }

# The journal seeds are rewritten in the segment version this build writes.
j="$here/corpus/fuzz_journal"
mkdir -p "$j"
mode 00 "$j/segment-raw" <"$seg"
mode 07 "$j/segment-fixed" <"$seg"
mode 0f "$j/segment-split" <"$seg"
mode 17 "$j/segment-fixed-ts" <"$seg"
head -c $((size - 30)) "$seg" | mode 00 "$j/torn-tail"
{ cat "$seg"; head -c 1500 /dev/zero; } | mode 00 "$j/zero-tail"
{ head -c 20 "$seg"; } | mode 00 "$j/short-header"
# one byte flipped in the middle: a bad record followed by good ones (refused)
{ head -c $((size / 2)) "$seg"; printf '\xff'; tail -c $((size - size / 2 - 1)) "$seg"; } |
    mode 00 "$j/corrupt-middle"

s="$here/corpus/fuzz_snapshot"
mkdir -p "$s"
mode 00 "$s/snapshot-file" <"$snap"
tail -c +57 "$snap" | zstd -dq | mode 01 "$s/engine-state"
tail -c +57 "$snap" | zstd -dq | mode 00 "$s/engine-state-as-file"
head -c 200 "$snap" | mode 00 "$s/snapshot-truncated"

c="$here/corpus/fuzz_csv"
mkdir -p "$c"
# mode byte: bit 0 emissions (else allocations), bit 1 through a file
printf '\x00entity,vintage,kind,qty,output,benchmark\n3,CEA25,pre,1000,2000,500\n4,CEA25,pre,500,0,0\n5,CEA25,trueup,-200,10,10\n' >"$c/alloc-good"
printf '\x02entity,vintage,kind,qty,output,benchmark\r\n3,CEA24,trueup,10,1,1\r\n' >"$c/alloc-good-crlf-file"
printf '\x00entity,vintage,kind,qty,output,benchmark\n3,CEA99,pre,1,1,1\n6,CEA25,pre,1,1,1\n5,CEA25,trueup,-999999,0,0\nx,y\n' >"$c/alloc-bad"
printf '\x01entity,year,tonnes\n3,2025,1200\n4,2025,0\n5,2026,77\n' >"$c/emissions-good"
printf '\x03entity,year,tonnes\n3,2025,12\n' >"$c/emissions-good-file"
printf '\x01entity,year,tonnes\n3,2025,-1\n3,2025,5\n99,2025,1\n"3",2025,1\n' >"$c/emissions-bad"
printf '\x01' >"$c/empty"

js="$here/corpus/fuzz_json"
mkdir -p "$js"
printf '{"code":"CEA25","side":"buy","price":"51.23","qty":100,"tif":"day","client_order_id":"abc-1"}' >"$js/order"
printf '{"code":"CEA25","side":"sell","targets":[{"order_id":12,"qty":5}],"client_order_id":"t1"}' >"$js/take"
printf '{"code":"CEA25","side":"buy","qty":10,"limit":"60"}' >"$js/take-qty"
printf '{"participant":3,"amount":"1000000.00"}' >"$js/deposit"
printf '{"date":"2026-12-31","halted":true}' >"$js/holiday"
printf '{"code":"CEA25","side":"hold","price":"-1","qty":1.5}' >"$js/bad-fields"
printf '{"price":"0123.4","price":"1"}' >"$js/duplicate-key"
# nesting at the depth limit (32), one past it, and brackets inside strings (jsonin.h)
{ printf '{"a":'; printf '[%.0s' $(seq 31); printf ']%.0s' $(seq 31); printf '}'; } >"$js/depth-32"
{ printf '{"a":'; printf '[%.0s' $(seq 32); printf ']%.0s' $(seq 32); printf '}'; } >"$js/depth-33"
printf '{"a":"[[[[{{{{\\"[[[[","b":[[{"c":"]]]]"}]]}' >"$js/brackets-in-strings"
# whole HTTP exchanges as a client writes them; @ADMIN@ / @USER@ become live
# tokens (lib/fuzzserver.h). No login seed: every login hashes a password
# (argon2id, slow on purpose), which would spend the run on the hash.
h="$here/corpus/fuzz_http"
mkdir -p "$h"
req() { # req NAME METHOD PATH TOKEN BODY: one request with Content-Length
    local auth=""
    [ -n "$4" ] && auth="Authorization: Bearer $4\r\n"
    printf "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n${auth}Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" \
        "$2" "$3" "${#5}" "$5" >"$h/$1"
}
req healthz GET /healthz "" ""
req market GET /api/v1/market "" ""
req depth GET /api/v1/instruments/CEA25/depth "" ""
req trades GET "/api/v1/instruments/CEA25/trades?limit=5" "" ""
req bars GET "/api/v1/instruments/CEA25/bars?interval=1d" "" ""
req index GET / "" ""
req script GET /js/api.js "" ""
req head-page HEAD /index.html "" ""
req put-page PUT /index.html "" "x"
req account GET /api/v1/account @USER@ ""
req fills GET /api/v1/fills @USER@ ""
req me GET /api/v1/me @USER@ ""
req order POST /api/v1/orders @USER@ '{"code":"CEA25","side":"sell","price":"50.00","qty":10,"client_order_id":"f-1"}'
req order-continuous POST /api/v1/orders @USER@ '{"code":"CEAC","side":"buy","price":"49.00","qty":5,"tif":"ioc"}'
req take POST /api/v1/takes @USER@ '{"code":"CEA25","side":"buy","qty":5,"limit":"51.00"}'
req take-named POST /api/v1/takes @USER@ '{"code":"CEA25","side":"buy","targets":[{"order_id":1,"qty":1}]}'
req modify PATCH /api/v1/orders/1 @USER@ '{"price":"50.10","qty":5}'
req cancel DELETE /api/v1/orders/1 @USER@ ""
req withdraw POST /api/v1/withdrawals @USER@ '{"amount":"10.00"}'
req token-create POST /api/v1/tokens @USER@ '{"name":"bot","ttl_days":1}'
req retire POST /api/v1/registry/retirements @USER@ '{"code":"CEA25","qty":1,"beneficiary":"Town","reason":"offset"}'
req transfer POST /api/v1/registry/transfers @USER@ '{"to":3,"code":"CEA25","qty":1}'
req compliance-csv GET "/api/v1/registry/compliance?year=2026&format=csv" @ADMIN@ ""
req participants GET /api/v1/admin/participants @ADMIN@ ""
req deposit POST /api/v1/admin/deposits @ADMIN@ '{"participant":3,"amount":"5.00"}'
req participant-add POST /api/v1/admin/participants @ADMIN@ '{"kind":"institution","name":"=cmd|x"}'
req halt POST /api/v1/admin/instruments/CEA25/halt @ADMIN@ '{"halted":false}'
req holiday POST /api/v1/admin/holidays @ADMIN@ '{"date":"2030-01-02"}'
req metrics GET /metrics "" ""
printf 'POST /api/v1/orders HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer @USER@\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n{"code":\r\n0\r\n\r\n' >"$h/chunked"
printf 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /api/v1/market HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' >"$h/pipelined"
printf 'POST /api/v1/orders HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n' >"$h/smuggle-cl-te"
printf 'POST /api/v1/orders HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 9\r\n\r\n{}' >"$h/smuggle-two-cl"
# found by fuzz_http: civetweb's own error page echoed the protocol token ("HTTP/HVTP/1.1 400")
printf 'GET /healthz HVTP/1.1\r\nHost: 127.0.0.1\r\n\r\n' >"$h/bad-protocol-token"
# found by fuzz_http: an error message quoting a path with %de in it was not UTF-8: body "null"
printf 'GET /api/v1/instruments/%%de HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n' >"$h/bad-utf8-in-path"
printf 'GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n' >"$h/ws-upgrade"
{ printf 'POST /api/v1/orders HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer @USER@\r\nContent-Length: 80\r\n\r\n'
  printf '[%.0s' $(seq 40); printf ']%.0s' $(seq 40); } >"$h/deep"

# WebSocket client messages, one per line (fuzz_ws.c)
w="$here/corpus/fuzz_ws"
mkdir -p "$w"
printf '{"op":"ping"}' >"$w/ping"
printf '{"op":"subscribe","channel":"depth","code":"CEA25"}\n{"op":"unsubscribe","channel":"depth","code":"CEA25"}' >"$w/depth"
printf '{"op":"subscribe","channel":"trades","code":"CEAC"}\n{"op":"subscribe","channel":"stats","code":"CEA25"}' >"$w/public"
printf '{"op":"auth","token":"@USER@"}\n{"op":"subscribe","channel":"fills"}\n{"op":"subscribe","channel":"orders"}\n{"op":"subscribe","channel":"balances"}' >"$w/private"
printf '{"op":"auth","token":"@USER@"}\n{"op":"subscribe","channel":"fills","participant":3}' >"$w/other-participant"
printf '{"op":"auth","token":"@ADMIN@"}\n{"op":"subscribe","channel":"balances","participant":2}\n{"op":"auth","token":"@USER@"}\n{"op":"subscribe","channel":"orders"}' >"$w/admin-then-user"
printf '{"op":"auth","token":"nope"}\n{"op":"subscribe","channel":"orders"}' >"$w/bad-token"
printf '{"op":"subscribe","channel":"depth","code":"CEA25","x":1}\n{"op":1}\n[1]\n{"op":"ping","op":"ping"}' >"$w/bad"
{ printf '[%.0s' $(seq 40); printf ']%.0s' $(seq 40); } >"$w/deep"

echo "corpora written under $here/corpus"
