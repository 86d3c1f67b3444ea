/* holidays.c -- the operator's holiday calendar file.
 *
 * The engine knows trading days only through HOLIDAY_ADD commands; the
 * operator keeps the list in a plain file (data/holidays-cn.txt: one
 * YYYYMMDD per line, '#' starts a comment) which the tools and cetsd turn
 * into those commands. One reader for both: `cets simulate` and cetsd's
 * `holidays` key. A file that cannot be read or holds a bad line is an
 * error for the caller to stop on: without it every weekday would trade,
 * holidays included.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cets/registry.h"

int cets_holidays_load(const char *path, int32_t *dates, int cap, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    char line[256];
    int n = 0, lineno = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        char *hash = strchr(line, '#');
        if (hash) *hash = '\0';
        char *p = line;
        while (isspace((unsigned char)*p)) p++;
        if (!*p) continue;
        char *end;
        long v = strtol(p, &end, 10);
        while (isspace((unsigned char)*end)) end++;
        if (*end || v > INT32_MAX || !cets_date_valid((int32_t)v)) {
            p[strcspn(p, "\r\n")] = '\0';
            snprintf(err, errlen, "%s:%d: not a date (YYYYMMDD): %s", path, lineno, p);
            fclose(f);
            return -1;
        }
        if (n == cap) {
            snprintf(err, errlen, "%s: more than %d holidays", path, cap);
            fclose(f);
            return -1;
        }
        dates[n++] = (int32_t)v;
    }
    bool failed = ferror(f) != 0;
    fclose(f);
    if (failed) {
        snprintf(err, errlen, "%s: read error", path);
        return -1;
    }
    return n;
}
