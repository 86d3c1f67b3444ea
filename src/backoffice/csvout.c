/* csvout.c -- see csvout.h. */
#include "csvout.h"

#include <string.h>
#include <time.h>

#include "cets/cets.h"

char *csvout_money(int64_t fen, char *buf) { return cets_fmt_money(fen, buf); }

char *csvout_date(int32_t d, char *buf)
{
    snprintf(buf, 24, "%04d-%02d-%02d", (int)(d / 10000 % 10000), (int)(d / 100 % 100),
             (int)(d % 100));
    return buf;
}

char *csvout_time(int64_t ts, char *buf)
{
    time_t sec = (time_t)(ts / 1000000000);
    struct tm tm;
    gmtime_r(&sec, &tm);
    /* the fields are in range (gmtime), so 24 characters and the NUL */
    snprintf(buf, 32, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", (tm.tm_year + 1900) % 10000,
             (tm.tm_mon + 1) % 100, tm.tm_mday % 100, tm.tm_hour % 100, tm.tm_min % 100,
             tm.tm_sec % 100, (int)(ts % 1000000000 / 1000000) % 1000);
    return buf;
}

void csvout_text(FILE *out, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}
