/* batch.h -- the rows of one commit of the SQL projection, per table, in the
 * order they were made, with their text kept alive until the commit.
 *
 * Rows are buffered rather than sent at once so that a commit can send each
 * table in one piece (COPY on PostgreSQL) and so that a failed commit leaves
 * nothing half-sent: the whole batch is dropped and made again from the
 * journal. */
#ifndef CETS_BACKOFFICE_BATCH_H
#define CETS_BACKOFFICE_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "schema.h"

typedef struct batch_block batch_block;

/* A statement run after the rows, with one integer parameter (pruning). */
typedef struct batch_after {
    const char *sql;
    int64_t param;
} batch_after;

typedef struct bo_batch {
    db_val *rows[T_NTABLES]; /* nrows[t] rows of bo_tables[t].ncols values */
    size_t nrows[T_NTABLES], cap[T_NTABLES];
    batch_block *text; /* blocks of text, never moved */
    batch_after after[16];
    int nafter;
    size_t total;
    int oom;
} bo_batch;

void batch_init(bo_batch *b);
void batch_free(bo_batch *b);
/* Forget every row (after a commit, or to drop a failed batch). */
void batch_clear(bo_batch *b);
/* A new row of t, every value NULL: fill it before the next batch_row(). NULL
 * when out of memory (b->oom is then set and the commit refuses the batch). */
db_val *batch_row(bo_batch *b, bo_table t);
/* A copy of s that lives until batch_clear(). */
const char *batch_text(bo_batch *b, const char *s);
void batch_add_after(bo_batch *b, const char *sql, int64_t param);

#endif
