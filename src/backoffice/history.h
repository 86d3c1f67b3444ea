/* history.h -- the history the SQL projection keeps, as queries: trades,
 * fills, orders, funds and holdings movements by date range with cursor
 * pagination; 1-minute and daily bars; the daily report and a statement of
 * any past day. docs/api.md "History".
 *
 * Each kind of query is a row of one table (history.c): its SQL, its columns
 * with their types (so the API can print money as decimals and times as ISO
 * 8601 in JSON, or anything as CSV), and its key, which increases down the
 * answer and is what a cursor carries: the next page starts after it.
 */
#ifndef CETS_BACKOFFICE_HISTORY_H
#define CETS_BACKOFFICE_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cets/cets.h"
#include "db.h"

typedef enum hcol_type {
    HC_INT,   /* an integer: ids, quantities, counts */
    HC_MONEY, /* fen, shown as a decimal string "51.23" */
    HC_DATE,  /* yyyymmdd, shown as "2026-11-30" */
    HC_TIME,  /* ns since the epoch, shown as ISO 8601 UTC */
    HC_TEXT,
} hcol_type;

typedef struct hcol {
    const char *name;
    hcol_type type;
} hcol;

#define HISTORY_CURSOR_MAX 48
#define HISTORY_LIMIT_MAX 1000000

typedef struct history_req {
    const char *kind;     /* trades fills orders funds holdings bars_1m bars_1d */
    uint32_t participant; /* whose fills, orders, movements (0 for market data) */
    int32_t from, to;     /* trading dates, inclusive */
    int instrument;       /* -1: any (bars need one) */
    const char *cursor;   /* "" or NULL: from the start */
    int limit;            /* rows, 1..HISTORY_LIMIT_MAX */
} history_req;

/* Whether kind is known; its columns and whether it is a participant's own. */
bool history_kind(const char *kind, const hcol **cols, int *ncols, bool *own);
/* A cursor as this kind's key: false when malformed. */
bool history_cursor_ok(const char *kind, const char *cursor);

typedef int (*history_row_fn)(void *ctx, const char *const *vals);
/* Run q; fn gets each row's values as text in the order of the kind's
 * columns. next (HISTORY_CURSOR_MAX bytes) gets the cursor of the next page,
 * "" when this was the last. 0, or -1 with err. */
int history_query(db *d, const history_req *q, history_row_fn fn, void *ctx, char *next, char *err,
                  size_t errlen);

/* ---- the daily report and statements of a past day --------------------------- */
/* The day's statistics as the engine gave them (cum_volume and cum_value are
 * kept summed over the methods: index 0 holds the sum), and its composite.
 * 1 (*n rows into st, at most cap), 0 when the day is not in the projection,
 * -1 with err. */
int history_report(db *d, int32_t date, cets_day_stats *st, uint32_t cap, uint32_t *n,
                   int64_t *composite, uint64_t *closed_seq, char *err, size_t errlen);
/* A participant's statement of a past day: 1, 0 none, -1 with err. */
int history_statement(db *d, int32_t date, uint32_t participant, cets_statement *out, char *err,
                      size_t errlen);

/* The last closed trading day in the projection (0 none), -1 on error. */
int64_t history_last_day(db *d);

#endif
