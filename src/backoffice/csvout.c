/* csvout.c -- see csvout.h.
 *
 * Written by hand rather than with printf: an export of a day's trades
 * formats a million values, and these are most of its time. */
#include "csvout.h"

#include "cets/registry.h"

#include <string.h>

/* Digits of v at the end of a 24-byte scratch: returns where they start. */
static char *digits(uint64_t v, char *end)
{
    do {
        *--end = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return end;
}

static char *two(char *p, int v)
{
    p[0] = (char)('0' + v / 10 % 10);
    p[1] = (char)('0' + v % 10);
    return p + 2;
}

char *csvout_money(int64_t fen, char *buf)
{
    uint64_t a = fen < 0 ? (uint64_t)0 - (uint64_t)fen : (uint64_t)fen;
    char tmp[24], *d = digits(a / 100, tmp + sizeof tmp);
    char *p = buf;
    if (fen < 0) *p++ = '-';
    size_t n = (size_t)(tmp + sizeof tmp - d);
    memcpy(p, d, n);
    p += n;
    *p++ = '.';
    p = two(p, (int)(a % 100));
    *p = 0;
    return buf;
}

char *csvout_date(int32_t d, char *buf)
{
    char *p = buf;
    p = two(p, d / 1000000 % 100);
    p = two(p, d / 10000 % 100);
    *p++ = '-';
    p = two(p, d / 100 % 100);
    *p++ = '-';
    p = two(p, d % 100);
    *p = 0;
    return buf;
}

/* The civil date of a day count since 1970-01-01 (H. Hinnant's algorithm). */
static void civil(int64_t days, int *y, int *m, int *d)
{
    days += 719468;
    int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    int64_t doe = days - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

char *csvout_time(int64_t ts, char *buf)
{
    const int64_t day_ns = 86400LL * 1000000000LL;
    int64_t days = ts / day_ns, rest = ts % day_ns;
    if (rest < 0) rest += day_ns, days--;
    int y, m, d;
    civil(days, &y, &m, &d);
    int64_t sec = rest / 1000000000, ms = rest % 1000000000 / 1000000;
    char *p = buf;
    p = two(p, y / 100), p = two(p, y % 100);
    *p++ = '-', p = two(p, m), *p++ = '-', p = two(p, d), *p++ = 'T';
    p = two(p, (int)(sec / 3600)), *p++ = ':', p = two(p, (int)(sec / 60 % 60)), *p++ = ':';
    p = two(p, (int)(sec % 60)), *p++ = '.';
    *p++ = (char)('0' + ms / 100), p = two(p, (int)(ms % 100));
    *p++ = 'Z';
    *p = 0;
    return buf;
}

void csvout_text(FILE *out, const char *s)
{
    cets_csv_text(out, s); /* the one text-cell writer: quoting and the formula guard */
}
