/* backoffice.h -- the back office of an exchange process: its two followers
 * of the journal (the SQL projection, the live audit log) and the database
 * connections the history API and the bank and registry files read through.
 * docs/backoffice.md.
 *
 * Started after the core has recovered, stopped after it (then it drains:
 * what is durable is projected before the process exits). It never blocks
 * the core: each follower reads the journal on its own thread, bounded by
 * the durable seq the caller's function gives.
 */
#ifndef CETS_BACKOFFICE_BACKOFFICE_H
#define CETS_BACKOFFICE_BACKOFFICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "follower.h"

typedef struct backoffice backoffice;

typedef struct bo_options {
    const char *data_dir;
    const char *database; /* "" or NULL: SQLite at <data_dir>/backoffice.sqlite; else a
                              PostgreSQL URL, or a SQLite path (db.h) */
    int bars_days;        /* 1-minute bars kept this many days (0 = forever); default 30 */
    bool sql, audit;      /* which followers run */
    uint32_t batch;       /* commands per commit of the SQL projection, at most */
    uint32_t poll_ms;     /* when caught up, each follower looks again after this long (10) */
    uint64_t (*durable)(void *ctx); /* the last durable seq (the core's last applied) */
    void *durable_ctx;
} bo_options;

#define BO_SQLITE_FILE "backoffice.sqlite"
#define BO_FILES_DIR "backoffice" /* the day's files for the bank and the registry */
#define BO_READERS 4              /* database connections for queries, at most */

void bo_options_default(bo_options *o);
backoffice *bo_start(const bo_options *o, char *err, size_t errlen);
/* Drain (up to timeout_ms) and stop both followers; close every connection. */
void bo_stop(backoffice *b, int timeout_ms);

typedef struct bo_status {
    bool sql, audit; /* running */
    follower_stats sql_st, audit_st;
    char database[64]; /* "sqlite" or "postgresql" */
} bo_status;
void bo_get_status(backoffice *b, bo_status *out);

/* The SQL projection holds command seq (waits up to timeout_ms, waking the
 * follower first). 0 or -1 (also when that follower is off). */
int bo_sql_wait(backoffice *b, uint64_t seq, int timeout_ms);
int bo_audit_wait(backoffice *b, uint64_t seq, int timeout_ms);
/* The audit chain's head as last committed. false when the audit log is off. */
bool bo_audit_head(backoffice *b, uint64_t *seq, char head[65]);
/* The head recorded at the end of trading day date. */
bool bo_audit_head_of_day(backoffice *b, int32_t date, uint64_t *seq, char head[65]);
const char *bo_data_dir(const backoffice *b);

/* A connection for queries (the projection writes on its own). NULL with err
 * when the database cannot be opened (SQLite: not yet created). Give it back
 * with bo_db_release(); a broken one is closed then. */
db *bo_db_acquire(backoffice *b, char *err, size_t errlen);
void bo_db_release(backoffice *b, db *d);

#endif
