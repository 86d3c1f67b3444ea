#!/usr/bin/env bash
# symbols.sh -- the engine libraries export cets_* and nothing else.
#
# Run by ctest as: bash symbols.sh <libcets.so> <libcets.a>, with
# CETS_SOURCE_DIR naming the source tree. The set of symbols each library
# defines globally must be exactly the functions include/cets/{cets,errors,
# lob}.h declare with CETS_API: no internal name (book_init, orders_find, ...)
# that could clash with an embedder's, and nothing declared but missing.
set -u
SO=${1:?usage: symbols.sh <libcets.so> <libcets.a>}
AR=${2:?usage: symbols.sh <libcets.so> <libcets.a>}
SRC=${CETS_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

grep -h '^CETS_API' "$SRC"/include/cets/{cets,errors,lob}.h |
    sed -E 's/.*[^a-z0-9_](cets_[a-z0-9_]+) *\(.*/\1/' | sort -u >"$WORK/declared"
nm -D --defined-only "$SO" | awk 'NF == 3 {print $3}' | sed 's/@.*//' | sort -u >"$WORK/shared"
nm -g --defined-only "$AR" | awk 'NF == 3 {print $3}' | sort -u >"$WORK/static"

for lib in shared static; do
    other=$(grep -vc '^cets_' "$WORK/$lib")
    [ "$other" -eq 0 ] || fail "$lib library defines $other symbols outside cets_: $(grep -v '^cets_' "$WORK/$lib" | head -10 | tr '\n' ' ')"
    extra=$(comm -13 "$WORK/declared" "$WORK/$lib")
    [ -z "$extra" ] || fail "$lib library exports what no header declares with CETS_API: $extra"
    missing=$(comm -23 "$WORK/declared" "$WORK/$lib")
    [ -z "$missing" ] || fail "$lib library lacks declared functions: $missing"
done
n=$(wc -l <"$WORK/declared")
[ "$n" -ge 60 ] || fail "only $n CETS_API declarations found in $SRC/include/cets"

if [ "$fails" -ne 0 ]; then
    echo "symbols.sh: $fails failed"
    exit 1
fi
echo "symbols.sh: ok: libcets.so and libcets.a define $(wc -l <"$WORK/shared") and $(wc -l <"$WORK/static") global symbols, all cets_, as declared"
