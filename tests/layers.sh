#!/usr/bin/env bash
# layers.sh SRC_DIR -- the include graph runs one way (docs/architecture.md):
#   engine <- journal <- core <- (backoffice <- server, fix, cli); cetsd's main wires them.
# Every #include "..." of a file under src/<layer>/ must name a public header
# (cets/...), a header of its own folder, or a header of a layer below it.
# A folder never includes a sibling's headers. Prints each violation.
set -uo pipefail
src=${1:-.}/src
declare -A allowed=(
  [engine]=""
  [journal]=""
  [registry]="journal"
  [core]=""
  [auth]="core"
  [backoffice]="core"
  [server]="core auth backoffice"
  [fix]="core auth"
  [cli]="core"
  [cluster]="core"
  [cetsd]="core auth server fix cluster backoffice"
)
bad=0
for dir in "$src"/*/; do
  layer=$(basename "$dir")
  if [[ ! -v allowed[$layer] ]]; then
    echo "layers: $layer is not a known layer (add it to tests/layers.sh and docs/architecture.md)"
    bad=$((bad + 1)); continue
  fi
  while IFS= read -r line; do
    file=${line%%:*}
    inc=$(sed -E 's/.*#include "([^"]+)".*/\1/' <<<"$line")
    case "$inc" in
      cets/*) continue ;;
      */*) ;;
      *) [ -f "$dir/$inc" ] && continue ;;
    esac
    target=${inc#../}; target=${target%%/*}
    ok=0
    for a in ${allowed[$layer]}; do [ "$a" = "$target" ] && ok=1; done
    if [ $ok -eq 0 ]; then
      echo "layers: ${file#$src/} includes \"$inc\": $layer may include only ${allowed[$layer]:-its own headers} and cets/"
      bad=$((bad + 1))
    fi
  done < <(grep -H '#include "' "$dir"*.[ch] 2>/dev/null)
done
if [ $bad -gt 0 ]; then echo "layers: $bad violation(s)"; exit 1; fi
echo "layers: the include graph runs one way"
