/* log.c -- see log.h. A line is formatted whole, then written with one call,
 * so lines from different threads never interleave.
 *
 * The escapes are those of logfmt as Go's and Python's readers take them
 * (strconv.Quote style): a value is quoted when it is empty or holds a
 * space, '=', '"', '\\' or a control byte; inside the quotes '"' and '\\'
 * are escaped, and so is every control byte. Bytes from 0x80 up pass
 * through: UTF-8 is text, and no byte of a multi-byte character can end a
 * line or open a key.
 */
#include "log.h"

#include <stdarg.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

static FILE *log_out;
static log_level log_min = LOG_INFO;

void log_setup(FILE *out, log_level min)
{
    log_out = out;
    log_min = min;
}

static bool byte_needs_quote(unsigned char ch)
{
    return ch <= ' ' || ch == '=' || ch == '"' || ch == '\\' || ch == 0x7f;
}

/* Write ch escaped for the inside of a quoted value at out (room for 6);
 * returns the bytes written. */
static size_t byte_escape(unsigned char ch, char *out)
{
    static const char hex[] = "0123456789abcdef";
    const char *two = ch == '"'    ? "\\\""
                      : ch == '\\' ? "\\\\"
                      : ch == '\n' ? "\\n"
                      : ch == '\r' ? "\\r"
                      : ch == '\t' ? "\\t"
                                   : NULL;
    if (two) {
        memcpy(out, two, 2);
        return 2;
    }
    if (ch < 0x20 || ch == 0x7f) {
        memcpy(out, "\\u00", 4);
        out[4] = hex[ch >> 4];
        out[5] = hex[ch & 15];
        return 6;
    }
    out[0] = (char)ch;
    return 1;
}

const char *log_quote(char *buf, size_t len, const char *str)
{
    char tmp[6];
    if (len < 8) { /* too small to say anything well-formed */
        if (len) buf[0] = 0;
        return buf;
    }
    const unsigned char *s = (const unsigned char *)(str ? str : "-");
    bool quote = !*s;
    size_t need = 0;
    for (const unsigned char *p = s; *p; p++) {
        quote |= byte_needs_quote(*p);
        need += byte_escape(*p, tmp);
    }
    size_t room = len - 1 - (quote ? 2 : 0);
    bool cut = need > room;
    if (cut) room -= 3; /* for "..." */
    size_t o = 0, used = 0;
    if (quote) buf[o++] = '"';
    for (const unsigned char *p = s; *p;) {
        size_t unit = 1; /* a whole UTF-8 character is kept or cut */
        while (unit < 4 && (p[unit] & 0xc0) == 0x80) unit++;
        size_t el = 0;
        for (size_t k = 0; k < unit; k++) el += byte_escape(p[k], tmp);
        if (used + el > room) break;
        for (size_t k = 0; k < unit; k++) o += byte_escape(p[k], buf + o);
        used += el;
        p += unit;
    }
    if (cut) {
        memcpy(buf + o, "...", 3);
        o += 3;
    }
    if (quote) buf[o++] = '"';
    buf[o] = 0;
    return buf;
}

bool log_enabled(log_level lv)
{
    return lv >= log_min;
}

void log_write(log_level lv, const char *comp, const char *fmt, ...)
{
    static const char *names[] = {"debug", "info", "warn", "error"};
    if (lv < log_min) return;
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    struct tm tm;
    gmtime_r(&t.tv_sec, &tm);
    char msg[4096], line[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    int n = snprintf(line, sizeof line, "ts=%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ level=%s comp=%s ",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     t.tv_nsec / 1000000, names[lv], comp);
    size_t o = n > 0 && n < (int)sizeof line ? (size_t)n : 0;
    /* a control byte here came from a caller that forgot log_q(): escaped
     * all the same, so that the line stays one line */
    for (const unsigned char *p = (const unsigned char *)msg; *p && o + 7 < sizeof line; p++)
        o += *p < 0x20 || *p == 0x7f ? byte_escape(*p, line + o) : (line[o] = (char)*p, 1);
    line[o++] = '\n';
    FILE *out = log_out ? log_out : stderr;
    fwrite(line, 1, o, out);
    fflush(out);
}
