/* db.h -- the back office's database: SQLite (a file in the data directory,
 * embedded, no set-up) or PostgreSQL (libpq) behind one small interface.
 *
 * The SQL is written once for both: $1, $2 ... for parameters (SQLite takes
 * them as named parameters), BIGINT and TEXT columns, INSERT ... ON CONFLICT
 * for upserts. Where the two differ the dialect (db_dialect) says how.
 *
 * Bulk rows go through db_copy_*: PostgreSQL's COPY FROM STDIN (text
 * format), and on SQLite one prepared INSERT run per row, both inside the
 * caller's transaction. A connection belongs to one thread at a time.
 */
#ifndef CETS_BACKOFFICE_DB_H
#define CETS_BACKOFFICE_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum db_kind { DB_SQLITE = 1, DB_POSTGRES = 2 } db_kind;

typedef enum db_type { DB_NULL = 0, DB_INT = 1, DB_TEXT = 2 } db_type;

/* One value: an integer, a text (NUL-terminated), or NULL. */
typedef struct db_val {
    db_type t;
    int64_t i;
    const char *s;
} db_val;

static inline db_val db_int(int64_t i)
{
    return (db_val){DB_INT, i, NULL};
}
static inline db_val db_text(const char *s)
{
    return (db_val){s ? DB_TEXT : DB_NULL, 0, s};
}
static inline db_val db_null(void)
{
    return (db_val){DB_NULL, 0, NULL};
}

typedef struct db db;

/* A target names the database: "postgresql://..." or "postgres://..." (a libpq
 * URL) is PostgreSQL, anything else a SQLite file path. NULL with err. */
db *db_open(const char *target, char *err, size_t errlen);
void db_close(db *d);
db_kind db_kind_of(const db *d);
/* The last error ("" when none), with the database's own message. */
const char *db_error(const db *d);
/* Whether the connection is broken (PostgreSQL: the server went away); the
 * caller then closes it and opens another. */
bool db_broken(const db *d);

/* Statements without parameters (may be several, ';'-separated). 0 or -1. */
int db_exec(db *d, const char *sql);
int db_begin(db *d);
int db_commit(db *d);
int db_rollback(db *d);

/* One statement with parameters. For each row of the answer fn gets the
 * columns as text (NULL for SQL NULL); fn returns nonzero to stop. fn may be
 * NULL. The statement is prepared once per connection and kept. 0 or -1. */
typedef int (*db_row_fn)(void *ctx, int ncols, const char *const *vals);
int db_run(db *d, const char *sql, int nparams, const db_val *params, db_row_fn fn, void *ctx);
/* The first column of the first row as an integer; 1 found, 0 none, -1 error. */
int db_int_query(db *d, const char *sql, int nparams, const db_val *params, int64_t *out);

/* Bulk insert of rows into table (cols: "a,b,c", ncols of them). */
int db_copy_begin(db *d, const char *table, const char *cols, int ncols);
int db_copy_row(db *d, const db_val *vals);
int db_copy_end(db *d);

/* The dialect: the name of the two-argument greatest/least functions. */
const char *db_greatest(const db *d);
const char *db_least(const db *d);

#endif
