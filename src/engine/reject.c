/* reject.c -- the message of a rejection, from the rule that refused.
 *
 * The reason table (errors.h) gives each code one fixed sentence, which can
 * only be generic where the rule has numbers the operator configures: the
 * bands, the sizes, the tick, the CCER cap. cets_reject_message() asks the
 * rule's own file for the sentence with the engine's numbers, for the method
 * of the command refused, so a block refused for its band names the block
 * band and a listing the listing band; a refused PARAM_SET says which
 * bound or which other parameter it broke (params.c). It reads the
 * parameters in force, which change only in cets_apply(): gateways call it
 * from their own threads under the core's read lock.
 */
#include <stdio.h>

#include "internal.h"

const char *fmt_thousands(int64_t v, char *buf, size_t len)
{
    char digits[32];
    int n = snprintf(digits, sizeof digits, "%llu",
                     (unsigned long long)(v < 0 ? 0 - (uint64_t)v : (uint64_t)v));
    size_t o = 0;
    if (v < 0 && o + 1 < len) buf[o++] = '-';
    for (int i = 0; i < n && o + 1 < len; i++) {
        if (i && (n - i) % 3 == 0 && o + 2 < len) buf[o++] = ',';
        buf[o++] = digits[i];
    }
    buf[o] = 0;
    return buf;
}

const char *fmt_percent(int64_t bp, char *buf, size_t len)
{
    if (bp % 100 == 0)
        snprintf(buf, len, "%lld%%", (long long)(bp / 100));
    else if (bp % 10 == 0)
        snprintf(buf, len, "%lld.%lld%%", (long long)(bp / 100), (long long)(bp / 10 % 10));
    else
        snprintf(buf, len, "%lld.%02lld%%", (long long)(bp / 100), (long long)(bp % 100));
    return buf;
}

const char *cets_reject_message(const cets_engine *e, const cets_cmd *cmd, int code, char *buf,
                                size_t len)
{
    if (!buf || !len) return "";
    int type = cmd ? cmd->type : CETS_CMD_NONE;
    if (e && (params_message(e, cmd, code, buf, len) || limits_message(e, cmd, code, buf, len) ||
              band_message(e, type, code, buf, len) || registry_message(&e->cfg, code, buf, len)))
        return buf;
    snprintf(buf, len, "%s", cets_reason_message(code));
    return buf;
}
