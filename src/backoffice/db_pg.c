/* db_pg.c -- the PostgreSQL backend of db.h, through libpq.
 *
 * Statements are prepared once per connection (PQprepare) and run with text
 * parameters; bulk rows use COPY ... FROM STDIN in text format, sent in
 * chunks, which is what makes tens of thousands of rows a second cheap. A
 * connection the server dropped reports db_broken(): the caller opens a new
 * one (the projection then reads its position again and catches up).
 */
#include <inttypes.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_int.h"

#define MAX_PARAMS 32
#define COPY_CHUNK (256u << 10)

typedef struct pcached {
    const char *key;
    char *sql;
    char name[16];
} pcached;

typedef struct pdb {
    db d;
    PGconn *c;
    pcached *ps;
    size_t n, cap;
    int copy_n;
    bool copying;
    char *buf; /* COPY data not yet sent */
    size_t len, bcap;
} pdb;

static int pg_fail(pdb *p, const char *what, const PGresult *r)
{
    const char *m = r ? PQresultErrorMessage(r) : NULL;
    if (!m || !m[0]) m = PQerrorMessage(p->c);
    char msg[900];
    snprintf(msg, sizeof msg, "%s", m ? m : "");
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' ')) msg[--n] = 0;
    for (char *c = msg; *c; c++) /* one log line */
        if (*c == '\n' || *c == '\t' || *c == '"') *c = *c == '"' ? '\'' : ' ';
    return db_fail(&p->d, "postgresql: %s: %s", what, msg);
}

static int pg_exec(db *d, const char *sql)
{
    pdb *p = (pdb *)d;
    PGresult *r = PQexec(p->c, sql);
    ExecStatusType st = PQresultStatus(r);
    int rc = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? 0 : pg_fail(p, "exec", r);
    PQclear(r);
    return rc;
}

static pcached *pg_prepare(pdb *p, const char *sql)
{
    for (size_t i = 0; i < p->n; i++)
        if (p->ps[i].key == sql && strcmp(p->ps[i].sql, sql) == 0) return &p->ps[i];
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->ps[i].sql, sql) == 0) {
            p->ps[i].key = sql;
            return &p->ps[i];
        }
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 32;
        pcached *g = realloc(p->ps, cap * sizeof *g);
        if (!g) {
            db_fail(&p->d, "postgresql: out of memory");
            return NULL;
        }
        p->ps = g;
        p->cap = cap;
    }
    pcached *c = &p->ps[p->n];
    snprintf(c->name, sizeof c->name, "cets%zu", p->n);
    PGresult *r = PQprepare(p->c, c->name, sql, 0, NULL);
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok) pg_fail(p, "prepare", r);
    PQclear(r);
    if (!ok) return NULL;
    c->sql = strdup(sql);
    c->key = sql;
    p->n++;
    return c;
}

static int pg_run(db *d, const char *sql, int n, const db_val *params, db_row_fn fn, void *ctx)
{
    pdb *p = (pdb *)d;
    if (n > MAX_PARAMS) return db_fail(d, "postgresql: too many parameters");
    pcached *c = pg_prepare(p, sql);
    if (!c) return -1;
    char num[MAX_PARAMS][24];
    const char *vals[MAX_PARAMS];
    for (int i = 0; i < n; i++) {
        if (params[i].t == DB_INT) {
            snprintf(num[i], sizeof num[i], "%" PRId64, params[i].i);
            vals[i] = num[i];
        } else {
            vals[i] = params[i].t == DB_TEXT ? params[i].s : NULL;
        }
    }
    PGresult *r = PQexecPrepared(p->c, c->name, n, vals, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        pg_fail(p, "query", r);
        PQclear(r);
        return -1;
    }
    if (fn && st == PGRES_TUPLES_OK) {
        int rows = PQntuples(r), nc = PQnfields(r);
        if (nc > 64) nc = 64;
        const char *row[64];
        for (int i = 0; i < rows; i++) {
            for (int k = 0; k < nc; k++) row[k] = PQgetisnull(r, i, k) ? NULL : PQgetvalue(r, i, k);
            if (fn(ctx, nc, row)) break;
        }
    }
    PQclear(r);
    return 0;
}

static int pg_copy_begin(db *d, const char *table, const char *cols, int ncols)
{
    pdb *p = (pdb *)d;
    char sql[2048];
    snprintf(sql, sizeof sql, "COPY %s (%s) FROM STDIN", table, cols);
    PGresult *r = PQexec(p->c, sql);
    int rc = PQresultStatus(r) == PGRES_COPY_IN ? 0 : pg_fail(p, "copy", r);
    PQclear(r);
    if (rc == 0) {
        p->copying = true;
        p->copy_n = ncols;
        p->len = 0;
    }
    return rc;
}

static int pg_flush(pdb *p)
{
    if (p->len && PQputCopyData(p->c, p->buf, (int)p->len) != 1)
        return pg_fail(p, "copy data", NULL);
    p->len = 0;
    return 0;
}

static int pg_put(pdb *p, const char *s, size_t n)
{
    if (p->len + n > p->bcap) {
        size_t cap = p->bcap ? p->bcap : COPY_CHUNK + 4096;
        while (cap < p->len + n) cap *= 2;
        char *g = realloc(p->buf, cap);
        if (!g) return db_fail(&p->d, "postgresql: out of memory");
        p->buf = g;
        p->bcap = cap;
    }
    memcpy(p->buf + p->len, s, n);
    p->len += n;
    return 0;
}

/* One field in COPY's text format: \N for NULL, backslash escapes. */
static int pg_field(pdb *p, const db_val *v)
{
    if (v->t == DB_NULL) return pg_put(p, "\\N", 2);
    if (v->t == DB_INT) {
        char num[24];
        int n = snprintf(num, sizeof num, "%" PRId64, v->i);
        return pg_put(p, num, (size_t)n);
    }
    for (const char *s = v->s; *s; s++) {
        char esc[2] = {'\\', 0};
        switch (*s) {
        case '\\': esc[1] = '\\'; break;
        case '\t': esc[1] = 't'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        }
        if (esc[1] ? pg_put(p, esc, 2) : pg_put(p, s, 1)) return -1;
    }
    return 0;
}

static int pg_copy_row(db *d, const db_val *vals)
{
    pdb *p = (pdb *)d;
    if (!p->copying) return db_fail(d, "postgresql: no copy open");
    for (int i = 0; i < p->copy_n; i++)
        if ((i && pg_put(p, "\t", 1)) || pg_field(p, &vals[i])) return -1;
    if (pg_put(p, "\n", 1)) return -1;
    return p->len >= COPY_CHUNK ? pg_flush(p) : 0;
}

static int pg_copy_end(db *d)
{
    pdb *p = (pdb *)d;
    if (!p->copying) return 0;
    p->copying = false;
    int rc = pg_flush(p);
    if (PQputCopyEnd(p->c, rc ? "aborted" : NULL) != 1 && rc == 0)
        rc = pg_fail(p, "copy end", NULL);
    PGresult *r;
    while ((r = PQgetResult(p->c))) {
        if (PQresultStatus(r) != PGRES_COMMAND_OK && rc == 0) rc = pg_fail(p, "copy", r);
        PQclear(r);
    }
    return rc;
}

static bool pg_broken(const db *d)
{
    return PQstatus(((const pdb *)d)->c) != CONNECTION_OK;
}

static void pg_close(db *d)
{
    pdb *p = (pdb *)d;
    for (size_t i = 0; i < p->n; i++) free(p->ps[i].sql);
    free(p->ps);
    free(p->buf);
    PQfinish(p->c);
    free(p);
}

static void pg_quiet(void *arg, const char *msg)
{
    (void)arg;
    (void)msg; /* NOTICEs ("relation already exists, skipping") are not errors */
}

static const db_ops pg_ops = {pg_exec,   pg_run,   pg_copy_begin, pg_copy_row, pg_copy_end,
                              pg_broken, pg_close, "GREATEST",    "LEAST"};

db *db_pg_open(const char *url, char *err, size_t errlen)
{
    pdb *p = calloc(1, sizeof *p);
    if (!p) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    p->d.kind = DB_POSTGRES;
    p->d.ops = &pg_ops;
    p->c = PQconnectdb(url);
    if (!p->c || PQstatus(p->c) != CONNECTION_OK) {
        char m[600];
        snprintf(m, sizeof m, "%s", p->c ? PQerrorMessage(p->c) : "out of memory");
        size_t n = strlen(m);
        while (n && (m[n - 1] == '\n' || m[n - 1] == ' ')) m[--n] = 0;
        snprintf(err, errlen, "postgresql: cannot connect: %s", m);
        PQfinish(p->c);
        free(p);
        return NULL;
    }
    PQsetNoticeProcessor(p->c, pg_quiet, NULL);
    return &p->d;
}
