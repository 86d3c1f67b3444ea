#!/usr/bin/env bash
# format.sh SRC_DIR -- every C file of the project is as .clang-format lays it out
# (generated files excepted: src/fix/tags.h and src/fix/dict_table.c, written by
# scripts/fix_dictgen.c). Prints the files that are not, and how to fix them.
set -uo pipefail
cd "${1:-.}"
if ! command -v clang-format >/dev/null; then
  echo "format: clang-format is not installed (scripts/deps.sh installs it)"; exit 1
fi
files=$(git ls-files 'src/*.c' 'src/*.h' 'include/*.h' 'tests/*.c' 'tests/*.h' 'bench/*.c' \
        'bench/*.h' 'examples/*.c' 'scripts/*.c' 2>/dev/null |
        grep -v -e '^src/fix/tags.h$' -e '^src/fix/dict_table.c$')
if [ -z "$files" ]; then # not a git checkout: every C file under the folders
  files=$(find src include tests bench examples scripts -name '*.[ch]' |
          grep -v -e '^src/fix/tags.h$' -e '^src/fix/dict_table.c$')
fi
bad=0
for f in $files; do
  if ! clang-format --dry-run -Werror "$f" >/dev/null 2>&1; then
    echo "format: $f is not formatted (clang-format -i $f)"; bad=$((bad + 1))
  fi
done
echo "format: $(echo "$files" | wc -l) files, $bad not formatted"
[ "$bad" -eq 0 ]
