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
# the engine's raw bytes).
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

j="$here/corpus/fuzz_journal"
rm -rf "$j" && mkdir -p "$j"
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
rm -rf "$s" && mkdir -p "$s"
mode 00 "$s/snapshot-file" <"$snap"
tail -c +57 "$snap" | zstd -dq | mode 01 "$s/engine-state"
tail -c +57 "$snap" | zstd -dq | mode 00 "$s/engine-state-as-file"
head -c 200 "$snap" | mode 00 "$s/snapshot-truncated"

c="$here/corpus/fuzz_csv"
rm -rf "$c" && mkdir -p "$c"
# mode byte: bit 0 emissions (else allocations), bit 1 through a file
printf '\x00entity,vintage,kind,qty,output,benchmark\n3,CEA25,pre,1000,2000,500\n4,CEA25,pre,500,0,0\n5,CEA25,trueup,-200,10,10\n' >"$c/alloc-good"
printf '\x02entity,vintage,kind,qty,output,benchmark\r\n3,CEA24,trueup,10,1,1\r\n' >"$c/alloc-good-crlf-file"
printf '\x00entity,vintage,kind,qty,output,benchmark\n3,CEA99,pre,1,1,1\n6,CEA25,pre,1,1,1\n5,CEA25,trueup,-999999,0,0\nx,y\n' >"$c/alloc-bad"
printf '\x01entity,year,tonnes\n3,2025,1200\n4,2025,0\n5,2026,77\n' >"$c/emissions-good"
printf '\x03entity,year,tonnes\n3,2025,12\n' >"$c/emissions-good-file"
printf '\x01entity,year,tonnes\n3,2025,-1\n3,2025,5\n99,2025,1\n"3",2025,1\n' >"$c/emissions-bad"
printf '\x01' >"$c/empty"

js="$here/corpus/fuzz_json"
rm -rf "$js" && mkdir -p "$js"
printf '{"code":"CEA25","side":"buy","price":"51.23","qty":100,"tif":"day","client_order_id":"abc-1"}' >"$js/order"
printf '{"code":"CEA25","side":"sell","targets":[{"order_id":12,"qty":5}],"client_order_id":"t1"}' >"$js/take"
printf '{"code":"CEA25","side":"buy","qty":10,"limit":"60"}' >"$js/take-qty"
printf '{"participant":3,"amount":"1000000.00"}' >"$js/deposit"
printf '{"date":"2026-12-31","halted":true}' >"$js/holiday"
printf '{"code":"CEA25","side":"hold","price":"-1","qty":1.5}' >"$js/bad-fields"
printf '{"price":"0123.4","price":"1"}' >"$js/duplicate-key"
echo "corpora written under $here/corpus"
