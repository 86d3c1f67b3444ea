/* calendar.c -- dates and the operator's holiday file.
 *
 * The engine knows trading days only through HOLIDAY_ADD commands; the
 * operator keeps the list in a plain file (data/holidays-cn.txt: one
 * yyyymmdd per line, '#' starts a comment) and the tool turns it into those
 * commands. Weekdays come from the proleptic Gregorian day count, with no
 * locale and no time zone involved.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static bool is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

bool cal_valid(int32_t date)
{
    int y = date / 10000, m = date / 100 % 100, d = date % 100;
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1970 || y > 9999 || m < 1 || m > 12 || d < 1) return false;
    return d <= mdays[m - 1] + (m == 2 && is_leap(y));
}

/* Days since 1970-01-01 (Howard Hinnant's days_from_civil). */
static int64_t days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int cal_weekday(int32_t date)
{
    int64_t days = days_from_civil(date / 10000, date / 100 % 100, date % 100);
    return (int)(((days % 7) + 7 + 3) % 7); /* 1970-01-01 was a Thursday (3) */
}

const char *cal_weekday_name(int32_t date, bool chinese)
{
    static const char *zh[7] = {"星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日"};
    static const char *en[7] = {"Monday", "Tuesday", "Wednesday", "Thursday",
                                "Friday", "Saturday", "Sunday"};
    int w = cal_weekday(date);
    return chinese ? zh[w] : en[w];
}

int32_t cal_next_trading_day(int32_t date, const int32_t *holidays, int n)
{
    for (;;) {
        int y = date / 10000, m = date / 100 % 100, d = date % 100 + 1;
        if (!cal_valid(y * 10000 + m * 100 + d)) {
            d = 1;
            if (++m > 12) {
                m = 1;
                y++;
            }
        }
        date = y * 10000 + m * 100 + d;
        bool holiday = cal_weekday(date) >= 5;
        for (int i = 0; i < n && !holiday; i++) holiday = holidays[i] == date;
        if (!holiday) return date;
    }
}

int cal_load(const char *path, int32_t *dates, int cap, char *err, size_t errlen)
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
        if (*end || v > INT32_MAX || !cal_valid((int32_t)v)) {
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
    fclose(f);
    return n;
}

const char *cal_default_path(char *buf, size_t len)
{
    static const char rel[] = "data/holidays-cn.txt";
    if (access(rel, R_OK) == 0) {
        snprintf(buf, len, "%s", rel);
        return buf;
    }
    /* The binary lives in <source>/<build dir>/cets: try <source>/data. */
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) return NULL;
    exe[n] = '\0';
    for (int up = 0; up < 2; up++) {
        char *slash = strrchr(exe, '/');
        if (!slash) return NULL;
        *slash = '\0';
    }
    snprintf(buf, len, "%s/%s", exe, rel);
    return access(buf, R_OK) == 0 ? buf : NULL;
}
