/* rows.h -- what each command and event of the journal becomes in the SQL
 * projection (docs/backoffice.md "Schema" names every row).
 *
 * Fed by the follower in the order the engine replica applies commands:
 * rows_command() before a command, rows_event() for each of its events,
 * rows_applied() after it. Events say what happened; the replica's state,
 * read after the command, gives the full picture of what they touched
 * (a participant's status, an instrument's band, a year's compliance).
 * Everything goes into the batch; nothing here talks to the database except
 * rows_resume(), which reads back today's 1-minute bars after a restart.
 */
#ifndef CETS_BACKOFFICE_ROWS_H
#define CETS_BACKOFFICE_ROWS_H

#include <stdbool.h>
#include <stdint.h>

#include "batch.h"
#include "cets/cets.h"
#include "db.h"

typedef struct bar_map bar_map;

typedef struct comp_key {
    uint32_t participant;
    int32_t year; /* 0: every year of the participant */
} comp_key;

typedef struct bo_rows {
    bo_batch *b;
    int bars_days; /* 1-minute bars kept for this many days (0: forever) */
    int32_t tz;
    /* the command being applied */
    const cets_cmd *cmd;
    int32_t date; /* the engine's trading date when it came */
    uint32_t k[T_NTABLES];
    /* what it touched, read from the replica afterwards */
    uint64_t dirty_inst;
    uint32_t *dirty_part;
    size_t ndirty_part, capdirty_part;
    comp_key *dirty_comp;
    size_t ndirty_comp, capdirty_comp;
    bool closed_day; /* an end of day: every instrument's band changed */
    bar_map *bars;   /* today's bars, so that a bar's row is always the whole bar */
    int32_t bars_date;
} bo_rows;

int rows_init(bo_rows *r, bo_batch *b, int bars_days);
void rows_free(bo_rows *r);
/* After a restart at the replica's state: today's bars from the database. 0 or -1. */
int rows_resume(bo_rows *r, const cets_engine *e, db *d);
void rows_command(bo_rows *r, const cets_engine *e, const cets_cmd *c);
void rows_event(bo_rows *r, const cets_event *ev);
void rows_applied(bo_rows *r, const cets_engine *e, const cets_cmd *c, const cets_result *res);
/* Before a commit: the bars changed since the last one, as whole rows. */
void rows_flush_bars(bo_rows *r);

/* Names the rows use (also the history API's). */
const char *rows_side(int side);
const char *rows_method(int method);
const char *rows_kind(int kind);

#endif
