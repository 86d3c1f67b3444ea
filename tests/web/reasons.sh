#!/usr/bin/env bash
# reasons.sh -- every reason of include/cets/errors.h has its Chinese text in
# the dashboard's table (web/js/reasons.js), so that no refusal shows in
# English in the Chinese interface; and the table names no reason that does
# not exist (a misspelt key would never be used).
# Run by ctest as: bash reasons.sh <source dir>.
set -u
SRC=${1:?usage: reasons.sh <source dir>}
codes=$(grep -oE 'X\([A-Z_0-9]+, [0-9]+, "[a-z_0-9]+"' "$SRC/include/cets/errors.h" | sed -E 's/.*"([a-z_0-9]+)"/\1/')
keys=$(sed -n '/^export const REASONS_ZH = {/,/^};/p' "$SRC/web/js/reasons.js" | grep -oE '^  [a-z_0-9]+:' | tr -d ' :')
# the gateway's own (docs/api.md "Errors") and the page's (no answer, a bad file)
extra="bad_json bad_field unknown_field too_large unauthenticated forbidden not_found rate_limited method_not_allowed unavailable bad_file network bad_answer"
fails=0
n=0
for c in $codes; do
  n=$((n + 1))
  grep -qx "$c" <<<"$keys" || { echo "FAIL: errors.h reason '$c' has no Chinese text in web/js/reasons.js"; fails=$((fails + 1)); }
done
for k in $keys; do
  grep -qx "$k" <<<"$codes" || grep -qw "$k" <<<"$extra" ||
    { echo "FAIL: web/js/reasons.js names '$k', which is no reason"; fails=$((fails + 1)); }
done
[ "$n" -gt 50 ] || { echo "FAIL: read only $n reasons from errors.h"; fails=$((fails + 1)); }
[ "$fails" -eq 0 ] && echo "reasons.sh: all $n reasons have their Chinese text" || exit 1
