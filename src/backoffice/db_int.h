/* db_int.h -- what db.c and its two backends (db_sqlite.c, db_pg.c) share:
 * the connection's common part and the table of operations. */
#ifndef CETS_BACKOFFICE_DB_INT_H
#define CETS_BACKOFFICE_DB_INT_H

#include "db.h"

typedef struct db_ops {
    int (*exec)(db *d, const char *sql);
    int (*run)(db *d, const char *sql, int n, const db_val *p, db_row_fn fn, void *ctx);
    int (*copy_begin)(db *d, const char *table, const char *cols, int ncols);
    int (*copy_row)(db *d, const db_val *vals);
    int (*copy_end)(db *d);
    bool (*broken)(const db *d);
    void (*close)(db *d);
    const char *greatest, *least;
} db_ops;

struct db {
    db_kind kind;
    const db_ops *ops;
    char err[1024];
};

/* Set d->err; returns -1. */
int db_fail(db *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

db *db_sqlite_open(const char *path, char *err, size_t errlen);
db *db_pg_open(const char *url, char *err, size_t errlen);

#endif
