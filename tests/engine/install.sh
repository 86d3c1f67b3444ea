#!/usr/bin/env bash
# install.sh -- the engine as installed for an embedder, end to end.
#
# Run by ctest as: bash install.sh <build dir> <tmp dir> [extra cflags], with
# CETS_SOURCE_DIR naming the source tree (the cflags: -fsanitize=... when the
# build is instrumented). `cmake --install` into a temporary prefix must put
# the headers, libcets.so, libcets.a and cets.pc in place; examples/trades.c
# is then built against the installed files only, through pkg-config
# (PKG_CONFIG_PATH), once with the shared library and once with the static
# one, together with a file defining engine-internal names (book_init,
# orders_find, ...) as an embedder might; each program must print
# tests/engine/trades.expected. As a control, the same link against the
# build's internal archive (libcets_engine.a, internal names global) fails.
set -u
BUILD=${1:?usage: install.sh <build dir> <tmp dir> [cflags]}
TMP=${2:?usage: install.sh <build dir> <tmp dir> [cflags]}
EXTRA=${3:-}
SRC=${CETS_SOURCE_DIR:?CETS_SOURCE_DIR must name the source tree}
CC=${CC:-cc}
mkdir -p "$TMP"
WORK=$(mktemp -d "$TMP/engine-install.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
PREFIX="$WORK/prefix"
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

cmake --install "$BUILD" --prefix "$PREFIX" >"$WORK/install.log" 2>&1 ||
    { fail "cmake --install failed"; cat "$WORK/install.log"; exit 1; }
for f in include/cets/api.h include/cets/cets.h include/cets/errors.h include/cets/lob.h \
    lib/libcets.a lib/libcets.so lib/pkgconfig/cets.pc; do
    [ -e "$PREFIX/$f" ] || fail "not installed: $f"
done
[ -z "$(find "$PREFIX" -name 'internal.h' -o -name 'journal.h' -o -name 'libcets_engine*')" ] ||
    fail "installed more than the engine: $(find "$PREFIX" -name 'internal.h' -o -name 'journal.h' -o -name 'libcets_engine*')"

export PKG_CONFIG_PATH="$PREFIX/lib/pkgconfig"
[ "$(pkg-config --modversion cets)" = "0.1.0" ] || fail "pkg-config cets: $(pkg-config --modversion cets 2>&1)"
LIBDIR=$(pkg-config --variable=libdir cets)
[ "$(cd "$LIBDIR" && pwd)" = "$(cd "$PREFIX/lib" && pwd)" ] || fail "cets.pc libdir is $LIBDIR"

# an embedder with its own functions named like the engine's internals
cat >"$WORK/clash.c" <<'C'
int book_init(void) { return 1; }
int orders_find(void) { return 2; }
int trading_post(void) { return 3; }
int engine_emit(void) { return 4; }
int risk_check_funds(void) { return 5; }
C
CFLAGS="-std=c17 -Wall -Wextra -Werror $EXTRA"

# shared, the way docs/engine.md says
# shellcheck disable=SC2046,SC2086
if $CC $CFLAGS -o "$WORK/trades" "$SRC/examples/trades.c" "$WORK/clash.c" \
    $(pkg-config --cflags --libs cets) 2>"$WORK/cc.log"; then
    LD_LIBRARY_PATH="$LIBDIR" "$WORK/trades" >"$WORK/out.shared" 2>&1 || fail "the shared example exited $?"
    diff -u "$SRC/tests/engine/trades.expected" "$WORK/out.shared" || fail "the shared example's output"
    readelf -d "$WORK/trades" | grep -q 'NEEDED.*libcets.so.0' || fail "the shared example does not need libcets.so.0"
else
    fail "building the example against libcets.so: $(cat "$WORK/cc.log")"
fi

# static: libcets.a by path, its one dependency from pkg-config
# shellcheck disable=SC2046,SC2086
if $CC $CFLAGS -o "$WORK/trades-static" "$SRC/examples/trades.c" "$WORK/clash.c" \
    $(pkg-config --cflags cets) "$LIBDIR/libcets.a" $(pkg-config --libs libxxhash) 2>"$WORK/cc.log"; then
    "$WORK/trades-static" >"$WORK/out.static" 2>&1 || fail "the static example exited $?"
    diff -u "$SRC/tests/engine/trades.expected" "$WORK/out.static" || fail "the static example's output"
    readelf -d "$WORK/trades-static" | grep -q 'NEEDED.*libcets' && fail "the static example needs libcets.so"
else
    fail "building the example against libcets.a: $(cat "$WORK/cc.log")"
fi

# the control: the internal archive's names clash
# shellcheck disable=SC2086
if $CC $CFLAGS -o "$WORK/trades-internal" "$SRC/examples/trades.c" "$WORK/clash.c" \
    -I"$SRC/include" "$BUILD/libcets_engine.a" -lxxhash 2>"$WORK/cc.log"; then
    fail "control: linking clash.c with the internal libcets_engine.a should fail (multiple definition)"
else
    grep -q 'multiple definition' "$WORK/cc.log" || fail "control failed otherwise: $(head -3 "$WORK/cc.log")"
fi

if [ "$fails" -ne 0 ]; then
    echo "install.sh: $fails failed"
    exit 1
fi
echo "install.sh: ok: installed into a temporary prefix; examples/trades.c built with pkg-config against libcets.so and libcets.a, alongside an embedder's book_init, orders_find, ...; same output"
