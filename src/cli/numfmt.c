/* numfmt.c -- numbers, money, dates and times as people (and JSON) read them.
 *
 * Money comes from the engine's own formatter (cets_fmt_money), so the tool
 * and the engine can never disagree on rounding or sign; here we only group
 * the thousands for the report's volume and turnover columns. Prices are not
 * grouped: 51.23 reads better than anything else.
 */
#include <string.h>

#include "cets/registry.h"
#include "cli.h"

/* Insert ',' every three digits of the integer part of the number in buf. */
static char *group_thousands(char *buf)
{
    char *digits = buf + (buf[0] == '-');
    size_t intlen = strcspn(digits, ".");
    size_t commas = intlen > 3 ? (intlen - 1) / 3 : 0;
    if (!commas) return buf;
    /* Move the fraction and the NUL right, then the digits from the last,
     * with indices relative to digits (counting down to 0, never below). */
    size_t tail = strlen(digits + intlen) + 1;
    memmove(digits + intlen + commas, digits + intlen, tail);
    size_t dst = intlen + commas;
    for (size_t n = 0, src = intlen; src > 0; n++) {
        if (n && n % 3 == 0) digits[--dst] = ',';
        digits[--dst] = digits[--src];
    }
    return buf;
}

char *fmt_money(int64_t fen, char *buf)
{
    cets_fmt_money(fen, buf);
    return group_thousands(buf);
}

char *fmt_price(int64_t fen, char *buf)
{
    return cets_fmt_money(fen, buf);
}

char *fmt_int(int64_t n, char *buf)
{
    snprintf(buf, FMT_LEN, "%lld", (long long)n);
    return group_thousands(buf);
}

char *fmt_bp(int64_t bp, char *buf)
{
    int64_t a = bp < 0 ? -bp : bp;
    snprintf(buf, FMT_LEN, "%s%lld.%02lld%%",
             bp < 0   ? "-"
             : bp > 0 ? "+"
                      : "",
             (long long)(a / 100), (long long)(a % 100));
    return buf;
}

char *fmt_date(int32_t date, char *buf)
{
    snprintf(buf, FMT_LEN, "%04d-%02d-%02d", (int)(date / 10000), (int)(date / 100 % 100),
             (int)(date % 100));
    return buf;
}

char *fmt_tod(int64_t ts, int32_t tz_offset_min, char *buf)
{
    int64_t local = ts + (int64_t)tz_offset_min * 60 * 1000000000LL;
    int64_t day_ns = 86400LL * 1000000000LL;
    int64_t in_day = ((local % day_ns) + day_ns) % day_ns;
    int64_t ms = in_day / 1000000, s = ms / 1000;
    snprintf(buf, FMT_LEN, "%02d:%02d:%02d.%03d", (int)(s / 3600), (int)(s / 60 % 60),
             (int)(s % 60), (int)(ms % 1000));
    return buf;
}

char *fmt_json_money(int64_t fen, char *buf)
{
    return cets_fmt_money(fen, buf);
}

/* JSON text must be UTF-8. The engine keeps names in 47 bytes, so a longer
 * one (from a journal written through the library, cets.h) may end in the
 * middle of a character: that tail is dropped, so the name is cut on the
 * character boundary before it; any other bad byte becomes U+FFFD. */
void json_quote(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        int n = cets_utf8_char_len((const char *)p);
        if (*p == '"' || *p == '\\') {
            fprintf(f, "\\%c", *p);
        } else if (*p < 0x20) {
            fprintf(f, "\\u%04x", *p);
        } else if (n) {
            fwrite(p, 1, (size_t)n, f);
        } else {
            const unsigned char *q = p + 1; /* a cut tail: continuation bytes to the end */
            while ((*q & 0xc0) == 0x80) q++;
            if (*p >= 0xc2 && *p < 0xf5 && !*q && q - p < 4) break;
            fputs("\\ufffd", f);
        }
        p += n ? n : 1;
    }
    fputc('"', f);
}
