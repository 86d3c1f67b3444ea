/* schema.h -- the back office's tables and their versioned migrations
 * (schema.c; docs/backoffice.md "Schema"). */
#ifndef CETS_BACKOFFICE_SCHEMA_H
#define CETS_BACKOFFICE_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "db.h"

/* The tables the projection writes, as the batch (batch.h) and the commit
 * (sqlproj.c) see them. Columns are listed in the order rows carry them. */
typedef enum bo_table {
    T_PARTICIPANTS,
    T_INSTRUMENTS,
    T_TRADES,
    T_ORDERS,
    T_FUNDS,
    T_HOLDINGS,
    T_REGISTRY,
    T_TRANSFERS,
    T_COMPLIANCE,
    T_BLOCKS,
    T_AUCTIONS,
    T_ADMIN,
    T_DEPOSITS,
    T_DAYS,
    T_DAY_STATS,
    T_STATEMENTS,
    T_STATEMENT_LINES,
    T_BARS,
    T_NTABLES
} bo_table;

typedef struct bo_table_def {
    const char *name;
    const char *cols; /* "a,b,c" */
    int ncols;
    const char *pk;   /* the primary key's columns */
    bool upsert;      /* false: rows are only ever inserted (COPY); true: upsert on pk */
    const char *keep; /* upsert: columns an update leaves as they were ("" none) */
} bo_table_def;

extern const bo_table_def bo_tables[T_NTABLES];

/* The newest schema version this build knows. */
int schema_latest(void);
/* Bring d to the newest version, one migration per transaction; *version
 * (may be NULL) the version it is at. Refuses a database newer than this
 * build. 0, or -1 with err. */
int schema_migrate(db *d, int *version, char *err, size_t errlen);

/* Every table, every row, ordered by primary key, one line per row: for
 * comparing two projections. 0 or -1 with err. */
int schema_dump(db *d, FILE *out, char *err, size_t errlen);

#endif
