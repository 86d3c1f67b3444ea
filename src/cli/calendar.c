/* calendar.c -- dates and the operator's holiday file.
 *
 * The engine knows trading days only through HOLIDAY_ADD commands; the
 * operator keeps the list in a plain file (data/holidays-cn.txt: one
 * yyyymmdd per line, '#' starts a comment) and the tool turns it into those
 * commands (the file is read by cets_holidays_load, shared with cetsd).
 * Dates and weekdays are the engine's calendar (cets_date_valid,
 * cets_weekday, cets_date_add), with no locale and no time zone involved.
 *
 * A missing calendar is an error, never a silent trading day: without the
 * file every weekday would trade, holidays included. The default file is
 * looked for in the current directory, then under $CETS_SOURCE_DIR (the
 * tests set it, wherever their build folder is), then in the source tree
 * the binary was built in; only --holidays none runs on weekends alone.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

const char *cal_weekday_name(int32_t date, bool chinese)
{
    static const char *zh[7] = {"星期一", "星期二", "星期三", "星期四",
                                "星期五", "星期六", "星期日"};
    static const char *en[7] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                "Friday", "Saturday", "Sunday"};
    int w = cets_weekday(date);
    return chinese ? zh[w] : en[w];
}

int32_t cal_next_trading_day(int32_t date, const int32_t *holidays, int n)
{
    for (;;) {
        date = cets_date_add(date, 1);
        bool holiday = cets_weekday(date) >= 5;
        for (int i = 0; i < n && !holiday; i++) holiday = holidays[i] == date;
        if (!holiday) return date;
    }
}

const char *cal_default_path(char *buf, size_t len)
{
    static const char rel[] = "data/holidays-cn.txt";
    if (access(rel, R_OK) == 0) {
        snprintf(buf, len, "%s", rel);
        return buf;
    }
    const char *src = getenv("CETS_SOURCE_DIR");
    if (src && *src) {
        snprintf(buf, len, "%s/%s", src, rel);
        if (access(buf, R_OK) == 0) return buf;
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
