/* db_sqlite.c -- the SQLite backend of db.h: the embedded default, a file in
 * the data directory that needs no set-up.
 *
 * WAL mode, so the history API reads on its own connections while the
 * projection writes; synchronous=NORMAL, because a commit lost to a power
 * cut costs nothing here: the projection's position is in the same
 * transaction as its rows, and it projects those commands again. Every
 * statement is prepared once per connection and kept; parameters are
 * written $1..$n as for PostgreSQL and mapped to SQLite's indexes once.
 */
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_int.h"

#define MAX_PARAMS 32

typedef struct cached {
    const char *key; /* the caller's pointer, a fast first guess */
    char *sql;
    sqlite3_stmt *st;
    int index[MAX_PARAMS + 1]; /* $n -> SQLite's parameter index */
} cached;

typedef struct sdb {
    db d;
    sqlite3 *h;
    cached *c;
    size_t n, cap;
    sqlite3_stmt *copy; /* the INSERT of an open copy */
    int copy_n;
    int copy_index[MAX_PARAMS + 1];
} sdb;

static int sq_fail(sdb *s, const char *what)
{
    return db_fail(&s->d, "sqlite: %s: %s", what, sqlite3_errmsg(s->h));
}

static int sq_exec(db *d, const char *sql)
{
    sdb *s = (sdb *)d;
    char *msg = NULL;
    if (sqlite3_exec(s->h, sql, NULL, NULL, &msg) != SQLITE_OK) {
        db_fail(d, "sqlite: %s (in \"%.80s\")", msg ? msg : sqlite3_errmsg(s->h), sql);
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

static cached *sq_prepare(sdb *s, const char *sql)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->c[i].key == sql && strcmp(s->c[i].sql, sql) == 0) return &s->c[i];
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->c[i].sql, sql) == 0) {
            s->c[i].key = sql;
            return &s->c[i];
        }
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 32;
        cached *g = realloc(s->c, cap * sizeof *g);
        if (!g) {
            db_fail(&s->d, "sqlite: out of memory");
            return NULL;
        }
        s->c = g;
        s->cap = cap;
    }
    cached *c = &s->c[s->n];
    memset(c, 0, sizeof *c);
    if (sqlite3_prepare_v3(s->h, sql, -1, SQLITE_PREPARE_PERSISTENT, &c->st, NULL) != SQLITE_OK) {
        sq_fail(s, "prepare");
        return NULL;
    }
    int np = sqlite3_bind_parameter_count(c->st);
    for (int i = 1; i <= np; i++) {
        const char *name = sqlite3_bind_parameter_name(c->st, i);
        int k = name && name[0] == '$' ? atoi(name + 1) : 0;
        if (k < 1 || k > MAX_PARAMS) {
            sqlite3_finalize(c->st);
            db_fail(&s->d, "sqlite: parameter %d of \"%.60s\" is not $1..$%d", i, sql, MAX_PARAMS);
            return NULL;
        }
        c->index[k] = i;
    }
    c->sql = strdup(sql);
    c->key = sql;
    s->n++;
    return c;
}

static int sq_bind(sdb *s, sqlite3_stmt *st, const int *index, int n, const db_val *p)
{
    for (int k = 1; k <= n && k <= MAX_PARAMS; k++) {
        int i = index[k], rc = SQLITE_OK;
        if (!i) continue;
        const db_val *v = &p[k - 1];
        if (v->t == DB_INT)
            rc = sqlite3_bind_int64(st, i, v->i);
        else if (v->t == DB_TEXT)
            rc = sqlite3_bind_text(st, i, v->s, -1, SQLITE_STATIC);
        else
            rc = sqlite3_bind_null(st, i);
        if (rc != SQLITE_OK) return sq_fail(s, "bind");
    }
    return 0;
}

static int sq_run(db *d, const char *sql, int n, const db_val *p, db_row_fn fn, void *ctx)
{
    sdb *s = (sdb *)d;
    cached *c = sq_prepare(s, sql);
    if (!c) return -1;
    if (n > MAX_PARAMS || sq_bind(s, c->st, c->index, n, p) != 0) {
        sqlite3_reset(c->st);
        return n > MAX_PARAMS ? db_fail(d, "sqlite: too many parameters") : -1;
    }
    int rc, out = 0;
    const char *vals[64];
    while ((rc = sqlite3_step(c->st)) == SQLITE_ROW) {
        if (!fn) continue;
        int nc = sqlite3_column_count(c->st);
        if (nc > 64) nc = 64;
        for (int i = 0; i < nc; i++) vals[i] = (const char *)sqlite3_column_text(c->st, i);
        if (fn(ctx, nc, vals)) break;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) out = sq_fail(s, "step");
    sqlite3_reset(c->st);
    sqlite3_clear_bindings(c->st);
    return out;
}

static int sq_copy_begin(db *d, const char *table, const char *cols, int ncols)
{
    sdb *s = (sdb *)d;
    if (ncols < 1 || ncols > MAX_PARAMS) return db_fail(d, "sqlite: %d columns", ncols);
    char sql[2048];
    int o = snprintf(sql, sizeof sql, "INSERT INTO %s (%s) VALUES (", table, cols);
    for (int i = 1; i <= ncols && o < (int)sizeof sql - 8; i++)
        o += snprintf(sql + o, sizeof sql - (size_t)o, "%s$%d", i > 1 ? "," : "", i);
    snprintf(sql + o, sizeof sql - (size_t)o, ")");
    cached *c = sq_prepare(s, sql);
    if (!c) return -1;
    s->copy = c->st;
    s->copy_n = ncols;
    memcpy(s->copy_index, c->index, sizeof s->copy_index);
    return 0;
}

static int sq_copy_row(db *d, const db_val *vals)
{
    sdb *s = (sdb *)d;
    if (!s->copy) return db_fail(d, "sqlite: no copy open");
    int rc = sq_bind(s, s->copy, s->copy_index, s->copy_n, vals);
    if (rc == 0 && sqlite3_step(s->copy) != SQLITE_DONE) rc = sq_fail(s, "insert");
    sqlite3_reset(s->copy);
    return rc;
}

static int sq_copy_end(db *d)
{
    sdb *s = (sdb *)d;
    if (s->copy) sqlite3_clear_bindings(s->copy);
    s->copy = NULL;
    return 0;
}

static bool sq_broken(const db *d)
{
    (void)d;
    return false;
}

static void sq_close(db *d)
{
    sdb *s = (sdb *)d;
    for (size_t i = 0; i < s->n; i++) {
        sqlite3_finalize(s->c[i].st);
        free(s->c[i].sql);
    }
    free(s->c);
    sqlite3_close(s->h);
    free(s);
}

static const db_ops sqlite_ops = {sq_exec,   sq_run,   sq_copy_begin, sq_copy_row, sq_copy_end,
                                  sq_broken, sq_close, "max",         "min"};

/* Before SQLite's first use in the process: no memory statistics (they take a
 * global mutex on every allocation, a tenth of the projection's time). */
static void sq_configure(void)
{
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

db *db_sqlite_open(const char *path, char *err, size_t errlen)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, sq_configure);
    sdb *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    s->d.kind = DB_SQLITE;
    s->d.ops = &sqlite_ops;
    int rc = sqlite3_open_v2(
        path, &s->h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "sqlite: %s: %s", path, s->h ? sqlite3_errmsg(s->h) : "cannot open");
        sqlite3_close(s->h);
        free(s);
        return NULL;
    }
    sqlite3_busy_timeout(s->h, 10000);
    if (sq_exec(&s->d, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                       "PRAGMA foreign_keys=OFF; PRAGMA cache_size=-131072; "
                       "PRAGMA wal_autocheckpoint=20000; PRAGMA temp_store=MEMORY") != 0) {
        snprintf(err, errlen, "%s: %s", path, s->d.err);
        sq_close(&s->d);
        return NULL;
    }
    return &s->d;
}
