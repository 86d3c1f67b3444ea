/* money.c -- integer money: fees rounded half-up, and formatting fen as CNY. */
#include <stdio.h>

#include "cets/cets.h"

/* round(value * ppm / 1e6), half-up, without overflowing value * ppm:
 * value = q * 1e6 + r, and q * ppm is already whole. */
int64_t cets_fee(int64_t value, int32_t ppm)
{
    if (value <= 0 || ppm <= 0)
        return 0;
    int64_t q = value / 1000000, r = value % 1000000;
    return q * ppm + (r * ppm + 500000) / 1000000;
}

char *cets_fmt_money(int64_t fen, char *buf)
{
    const char *sign = fen < 0 ? "-" : "";
    uint64_t a = fen < 0 ? (uint64_t)0 - (uint64_t)fen : (uint64_t)fen;
    snprintf(buf, 24, "%s%llu.%02llu", sign, (unsigned long long)(a / 100),
             (unsigned long long)(a % 100));
    return buf;
}
