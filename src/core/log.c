/* log.c -- see log.h. A line is formatted whole, then written with one call,
 * so lines from different threads never interleave. */
#include "log.h"

#include <stdarg.h>
#include <time.h>

static FILE *log_out;
static log_level log_min = LOG_INFO;

void log_setup(FILE *out, log_level min)
{
    log_out = out;
    log_min = min;
}

void log_write(log_level lv, const char *comp, const char *fmt, ...)
{
    static const char *names[] = {"debug", "info", "warn", "error"};
    if (lv < log_min)
        return;
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    struct tm tm;
    gmtime_r(&t.tv_sec, &tm);
    char line[2048];
    int n = snprintf(line, sizeof line, "ts=%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ level=%s comp=%s ",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                     tm.tm_sec, t.tv_nsec / 1000000, names[lv], comp);
    va_list ap;
    va_start(ap, fmt);
    if (n > 0 && n < (int)sizeof line)
        n += vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    va_end(ap);
    if (n >= (int)sizeof line - 1)
        n = (int)sizeof line - 2;
    line[n++] = '\n';
    FILE *out = log_out ? log_out : stderr;
    fwrite(line, 1, (size_t)n, out);
    fflush(out);
}
