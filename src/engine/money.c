/* money.c -- formatting fen as CNY. (Fees, and their rounding, are fee.c's.) */
#include <stdio.h>

#include "cets/cets.h"

char *cets_fmt_money(int64_t fen, char *buf)
{
    const char *sign = fen < 0 ? "-" : "";
    uint64_t a = fen < 0 ? (uint64_t)0 - (uint64_t)fen : (uint64_t)fen;
    snprintf(buf, 24, "%s%llu.%02llu", sign, (unsigned long long)(a / 100),
             (unsigned long long)(a % 100));
    return buf;
}
