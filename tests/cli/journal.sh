#!/usr/bin/env bash
# journal.sh -- `cets journal check` and `cets journal repair` end to end.
#
# Run by ctest as: bash journal.sh <path to cets> <tmp dir>.
# The case of issue 10 (finding 3): a simulated day, a page of zeros written
# into the middle of its journal, the snapshots removed. Recovery must refuse
# (check says so, with the seq range at risk; replay fails), a repair without
# --yes must change nothing, and with --yes it cuts there, keeps the bytes,
# logs a warning with the counts, and the directory then replays and
# verifies. Prints a FAIL line per broken expectation, exits non-zero if any.
set -u
CETS=${1:?usage: journal.sh <cets binary> <tmp dir>}
TMP=${2:?usage: journal.sh <cets binary> <tmp dir>}
mkdir -p "$TMP"
WORK=$(mktemp -d "$TMP/cli-journal.XXXXXX")
fails=0

fail() {
    echo "FAIL: $*"
    fails=$((fails + 1))
}

# expect_rc <rc> <what> -- cmd...: run cmd, stdout in $WORK/out, stderr in $WORK/err.
expect_rc() {
    local want=$1 what=$2
    shift 3
    "$@" >"$WORK/out" 2>"$WORK/err"
    local rc=$?
    [ "$rc" -eq "$want" ] || {
        fail "$what: exit $rc, want $want"
        sed 's/^/    /' "$WORK/out" "$WORK/err" | head -20
    }
}

contains() { # contains <file> <text> <what>
    grep -qF -- "$2" "$1" || fail "$3: output lacks '$2'"
}

digest() { cat "$1"/journal-* 2>/dev/null | cksum; }

D="$WORK/day"
"$CETS" simulate --participants 500 --orders 20000 --dir "$D" --quiet >/dev/null 2>"$WORK/sim.err" ||
    { fail "simulate failed"; cat "$WORK/sim.err"; }
SEG="$D/journal-00000000000000000001.log"

expect_rc 0 "check of a clean directory" -- "$CETS" journal check "$D"
contains "$WORK/out" "verdict=clean" "check of a clean directory"
last=$(grep '^last_seq=' "$WORK/out" | cut -d= -f2)
[ -n "$last" ] && [ "$last" -gt 20000 ] || fail "check: last_seq=$last"

# ---- the damage: 4 KiB of zeros in the middle, no snapshot ----
size=$(stat -c %s "$SEG")
off=$((size / 2 / 4096 * 4096))
dd if=/dev/zero of="$SEG" bs=4096 seek=$((off / 4096)) count=1 conv=notrunc status=none
rm -f "$D"/snapshot-*.snap
before=$(digest "$D")

expect_rc 1 "check of the damaged directory" -- "$CETS" journal check "$D"
contains "$WORK/out" "verdict=refused" "check"
contains "$WORK/out" "whole records of later commits follow" "check"
contains "$WORK/out" "are at risk; refusing to recover; nothing was changed" "check"
contains "$WORK/out" "cut_segment=journal-00000000000000000001.log" "check"
contains "$WORK/out" "cut_last_seq=$last" "check"
cut_off=$(grep '^cut_offset=' "$WORK/out" | cut -d= -f2)
cut_first=$(grep '^cut_first_seq=' "$WORK/out" | cut -d= -f2)
cut_records=$(grep '^cut_records=' "$WORK/out" | cut -d= -f2)
[ -n "$cut_off" ] && [ "$cut_off" -le "$off" ] && [ "$cut_off" -gt $((off - 300)) ] ||
    fail "check: cut_offset=$cut_off for zeros at $off"
[ "$(digest "$D")" = "$before" ] || fail "check changed the journal"

expect_rc 1 "replay of the damaged directory" -- "$CETS" replay "$D"
contains "$WORK/err" "refusing to recover" "replay"

expect_rc 0 "repair without --yes" -- "$CETS" journal repair "$D"
contains "$WORK/out" "repair: would cut journal-00000000000000000001.log at offset $cut_off; nothing was changed" "repair"
[ "$(digest "$D")" = "$before" ] || fail "repair without --yes changed the journal"
[ -s "$WORK/err" ] && fail "repair without --yes wrote to stderr: $(head -3 "$WORK/err")"

expect_rc 0 "repair --yes" -- "$CETS" journal repair "$D" --yes
contains "$WORK/out" "repaired=yes" "repair --yes"
contains "$WORK/out" "verdict=clean" "repair --yes: the check after it"
contains "$WORK/err" "level=warn comp=journal msg=\"journal cut by repair" "repair --yes: the log"
contains "$WORK/err" "offset=$cut_off bytes_cut=$((size - cut_off)) records_dropped=$cut_records first_seq=$cut_first last_seq=$last" "repair --yes: the log"
[ "$(stat -c %s "$SEG")" -eq "$cut_off" ] || fail "repair: segment is $(stat -c %s "$SEG") bytes, want $cut_off"
[ "$(stat -c %s "$SEG.cut-$cut_off")" -eq $((size - cut_off)) ] || fail "repair: the cut bytes were not kept"

expect_rc 0 "replay --verify after the repair" -- "$CETS" replay "$D" --verify
contains "$WORK/out" "verify=ok" "replay --verify"
contains "$WORK/out" "last_seq=$((cut_first - 1))" "replay --verify"

expect_rc 0 "repair of a recoverable directory" -- "$CETS" journal repair "$D" --yes
contains "$WORK/out" "repair: nothing to cut" "second repair"

# ---- the only segment emptied: refused, not an empty market ----
: >"$SEG"
expect_rc 1 "check of an emptied segment" -- "$CETS" journal check "$D"
contains "$WORK/out" "acknowledged commands from seq 1 on are lost or at risk" "emptied segment"

# ---- the command line ----
expect_rc 2 "journal without arguments" -- "$CETS" journal
contains "$WORK/err" "usage: cets journal" "journal without arguments"
expect_rc 2 "journal frobnicate" -- "$CETS" journal frobnicate "$D"
expect_rc 2 "check --yes" -- "$CETS" journal check "$D" --yes
expect_rc 1 "check of nothing" -- "$CETS" journal check "$WORK/nonexistent"
[ -e "$WORK/nonexistent" ] && fail "check created a directory"
expect_rc 0 "help journal" -- "$CETS" help journal
contains "$WORK/out" "cets journal repair DIR [--yes]" "help journal"

if [ "$fails" -eq 0 ]; then
    rm -rf "$WORK"
    echo "cli journal: all passed"
    exit 0
fi
echo "cli journal: $fails failed (files kept in $WORK)"
exit 1
