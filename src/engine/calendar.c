/* calendar.c -- dates, trading days and sessions.
 *
 * Time enters the engine only as the timestamp of a command. The engine keeps
 * the current trading date and, for it, the absolute bounds of the two
 * sessions, so the check on every order is two comparisons. Dates use the
 * proleptic Gregorian calendar (days-from-civil arithmetic); local time is a
 * fixed offset from UTC, which is exact for Asia/Shanghai (no daylight saving).
 * The date helpers are exported (cets_days_from_civil, cets_date_add, ...):
 * the tools and the tests use this one calendar.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define NS_PER_MIN 60000000000LL
#define NS_PER_DAY (1440 * NS_PER_MIN)

/* Days since 1970-01-01 of y-m-d (the days-from-civil algorithm). */
static int64_t days_of(int64_t y, int64_t m, int64_t d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int32_t cets_civil_from_days(int64_t z)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1;
    int64_t m = mp + (mp < 10 ? 3 : -9);
    y += m <= 2;
    return (int32_t)(y * 10000 + m * 100 + d);
}

int64_t cets_days_from_civil(int32_t date)
{
    return days_of(date / 10000, date / 100 % 100, date % 100);
}

/* A real day: the round trip through the day count gives the same date; and
 * every instant of it fits the int64 nanoseconds since 1970 that times are
 * (2262-04-11 is the last such day: 2261-12-31 the bound, a whole year). */
bool cets_date_valid(int32_t date)
{
    if (date < 19700101 || date > 22611231) return false;
    return cets_civil_from_days(cets_days_from_civil(date)) == date;
}

int32_t cets_date_add(int32_t date, int64_t days)
{
    return cets_civil_from_days(cets_days_from_civil(date) + days);
}

int cets_weekday(int32_t date)
{
    return (int)((cets_days_from_civil(date) % 7 + 10) % 7); /* 1970-01-01 was a Thursday */
}

int64_t cets_time_at(int32_t date, int hh, int mm, int32_t tz_offset_min)
{
    return cets_days_from_civil(date) * NS_PER_DAY +
           ((int64_t)hh * 60 + mm - tz_offset_min) * NS_PER_MIN;
}

int32_t cets_date_of(int64_t ts, int32_t tz_offset_min)
{
    int64_t local = ts + (int64_t)tz_offset_min * NS_PER_MIN;
    int64_t days = local >= 0 ? local / NS_PER_DAY : -((-local + NS_PER_DAY - 1) / NS_PER_DAY);
    return cets_civil_from_days(days);
}

static bool is_holiday(const cets_engine *e, int32_t date)
{
    uint32_t lo = 0, hi = e->nholidays;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (e->holidays[mid] < date)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < e->nholidays && e->holidays[lo] == date;
}

bool cets_is_trading_day(const cets_engine *e, int32_t date)
{
    return cets_date_valid(date) && cets_weekday(date) < 5 && !is_holiday(e, date);
}

int32_t calendar_next_trading_day(const cets_engine *e, int32_t date)
{
    for (int i = 1; i <= 3660; i++) {
        int32_t next = cets_date_add(date, i);
        if (cets_is_trading_day(e, next)) return next;
    }
    return cets_date_add(date, 1); /* a decade of holidays: give up */
}

/* Make date the current trading date and cache its session bounds. */
void calendar_set_date(cets_engine *e, int32_t date)
{
    const cets_config *c = &e->cfg;
    e->date = date;
    memset(e->sess, 0, sizeof e->sess);
    memset(e->bsess, 0, sizeof e->bsess);
    if (cets_is_trading_day(e, date)) {
        for (int i = 0; i < 4; i++)
            e->sess[i] =
                cets_time_at(date, c->sessions[i] / 60, c->sessions[i] % 60, c->tz_offset_min);
        for (int i = 0; i < 2; i++) {
            int64_t m = e->pv[CETS_PARAM_BLOCK_OPEN + i];
            e->bsess[i] = cets_time_at(date, (int)(m / 60), (int)(m % 60), c->tz_offset_min);
        }
    }
    e->eod_from = cets_time_at(date, c->sessions[3] / 60, c->sessions[3] % 60, c->tz_offset_min);
}

bool calendar_session_open(const cets_engine *e, int64_t ts)
{
    return (ts >= e->sess[0] && ts < e->sess[1]) || (ts >= e->sess[2] && ts < e->sess[3]);
}

int calendar_holiday_add(cets_engine *e, int32_t date)
{
    if (!cets_date_valid(date)) return CETS_BAD_ARGUMENT;
    if (is_holiday(e, date)) return CETS_OK;
    if (e->nholidays == e->capholidays) {
        uint32_t cap = e->capholidays ? e->capholidays * 2 : 64;
        int32_t *h = realloc(e->holidays, cap * sizeof *h);
        if (!h) return CETS_CAPACITY;
        e->holidays = h;
        e->capholidays = cap;
    }
    uint32_t i = e->nholidays;
    while (i > 0 && e->holidays[i - 1] > date) {
        e->holidays[i] = e->holidays[i - 1];
        i--;
    }
    e->holidays[i] = date;
    e->nholidays++;
    calendar_set_date(e, e->date);
    return CETS_OK;
}

int calendar_holiday_remove(cets_engine *e, int32_t date)
{
    if (!cets_date_valid(date) || !is_holiday(e, date)) return CETS_BAD_ARGUMENT;
    uint32_t i = 0;
    while (e->holidays[i] != date) i++;
    memmove(&e->holidays[i], &e->holidays[i + 1], (e->nholidays - i - 1) * sizeof(int32_t));
    e->nholidays--;
    calendar_set_date(e, e->date);
    return CETS_OK;
}
