#!/usr/bin/env bash
# sources.sh SRC_DIR -- CMakeLists.txt lists its sources by name: every .c
# file under src/, bench/, tests/ and examples/ must be named there (or in a
# script that builds it), so a new file cannot be left out of the build.
set -uo pipefail
top=${1:-.}
cd "$top" || exit 2
missing=0
while IFS= read -r f; do
  case "$f" in
    tests/fuzz/corpus/*|*/node_modules/*) continue ;;
  esac
  if ! grep -qF "$f" CMakeLists.txt && ! grep -qF "$(basename "$f" .c)" CMakeLists.txt \
       && ! grep -rqF "$(basename "$f")" scripts tests/*/*.sh 2>/dev/null; then
    echo "sources: $f is not in CMakeLists.txt"
    missing=$((missing + 1))
  fi
done < <(find src bench tests examples -name '*.c' 2>/dev/null | sort)
if [ $missing -gt 0 ]; then echo "sources: $missing file(s) not built"; exit 1; fi
echo "sources: every source file is built"
