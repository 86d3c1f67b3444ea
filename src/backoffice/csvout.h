/* csvout.h -- writing CSV for people and other institutions: money as yuan
 * with two decimals, dates as 2026-11-30, times as ISO 8601 UTC with
 * milliseconds (the API's shapes, views.h), text quoted only when it holds a
 * comma, a quote or a line break. */
#ifndef CETS_BACKOFFICE_CSVOUT_H
#define CETS_BACKOFFICE_CSVOUT_H

#include <stdint.h>
#include <stdio.h>

/* Each returns buf. buf: 24 bytes for money and dates, 32 for times. */
char *csvout_money(int64_t fen, char *buf);
char *csvout_date(int32_t yyyymmdd, char *buf);
char *csvout_time(int64_t ts_ns, char *buf);
void csvout_text(FILE *out, const char *s);

#endif
