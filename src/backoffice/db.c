/* db.c -- the database interface of db.h: which backend a target names,
 * and the calls every backend answers the same way. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "db_int.h"

int db_fail(db *d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->err, sizeof d->err, fmt, ap);
    va_end(ap);
    return -1;
}

db *db_open(const char *target, char *err, size_t errlen)
{
    if (!target || !target[0]) {
        snprintf(err, errlen, "no database named");
        return NULL;
    }
    if (strncmp(target, "postgresql://", 13) == 0 || strncmp(target, "postgres://", 11) == 0)
        return db_pg_open(target, err, errlen);
    return db_sqlite_open(target, err, errlen);
}

void db_close(db *d)
{
    if (d) d->ops->close(d);
}

db_kind db_kind_of(const db *d)
{
    return d->kind;
}
const char *db_error(const db *d)
{
    return d->err;
}
bool db_broken(const db *d)
{
    return d->ops->broken(d);
}
int db_exec(db *d, const char *sql)
{
    return d->ops->exec(d, sql);
}
int db_begin(db *d)
{
    return d->ops->exec(d, "BEGIN");
}
int db_commit(db *d)
{
    return d->ops->exec(d, "COMMIT");
}
int db_rollback(db *d)
{
    return d->ops->exec(d, "ROLLBACK");
}

int db_run(db *d, const char *sql, int nparams, const db_val *params, db_row_fn fn, void *ctx)
{
    return d->ops->run(d, sql, nparams, params, fn, ctx);
}

typedef struct first_int {
    int found;
    int64_t v;
} first_int;

static int take_first(void *ctx, int ncols, const char *const *vals)
{
    first_int *f = ctx;
    if (ncols > 0 && vals[0]) {
        long long v = 0;
        if (sscanf(vals[0], "%lld", &v) == 1) {
            f->v = v;
            f->found = 1;
        }
    }
    return 1;
}

int db_int_query(db *d, const char *sql, int nparams, const db_val *params, int64_t *out)
{
    first_int f = {0, 0};
    if (db_run(d, sql, nparams, params, take_first, &f) != 0) return -1;
    if (f.found) *out = f.v;
    return f.found;
}

int db_copy_begin(db *d, const char *table, const char *cols, int ncols)
{
    return d->ops->copy_begin(d, table, cols, ncols);
}
int db_copy_row(db *d, const db_val *vals)
{
    return d->ops->copy_row(d, vals);
}
int db_copy_end(db *d)
{
    return d->ops->copy_end(d);
}
const char *db_greatest(const db *d)
{
    return d->ops->greatest;
}
const char *db_least(const db *d)
{
    return d->ops->least;
}
