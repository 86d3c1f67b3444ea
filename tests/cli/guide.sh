#!/usr/bin/env bash
# guide.sh -- docs/guide.md's examples are what the program prints today
# (tests/cli/guide.py runs each of them against a cetsd of its own).
# Run by ctest as: bash guide.sh <path to cets> <tmp dir>.
set -u
CETS=${1:?usage: guide.sh <cets binary> <tmp dir>}
TMP=${2:?usage: guide.sh <cets binary> <tmp dir>}
SRC=${CETS_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
mkdir -p "$TMP"
CETS_TEST_TMP=$TMP exec python3 "$SRC/tests/cli/guide.py" "$CETS" "$SRC/docs/guide.md"
