/* backoffice.c -- see backoffice.h. */
#include "backoffice.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit_live.h"
#include "sqlproj.h"

struct backoffice {
    char dir[1024], target[1100], files[1100];
    sqlproj *sp;
    audit_live *al;
    follower *sql, *audit;
    pthread_mutex_t mu; /* the pool */
    pthread_cond_t cv;
    db *idle[BO_READERS];
    int nidle, nopen;
};

void bo_options_default(bo_options *o)
{
    memset(o, 0, sizeof *o);
    o->bars_days = 30;
    o->sql = o->audit = true;
    o->batch = 16384;
    o->poll_ms = 10;
}

static follower *bo_follow(backoffice *b, const bo_options *o, follower_sink s, uint32_t batch,
                           char *err, size_t errlen)
{
    follower_options fo;
    follower_options_default(&fo);
    fo.dir = b->dir;
    fo.batch = batch;
    fo.poll_ms = o->poll_ms;
    fo.durable = o->durable;
    fo.durable_ctx = o->durable_ctx;
    return follower_start(&fo, &s, err, errlen);
}

backoffice *bo_start(const bo_options *o, char *err, size_t errlen)
{
    backoffice *b = calloc(1, sizeof *b);
    if (!b || !o->data_dir || strlen(o->data_dir) >= sizeof b->dir) {
        snprintf(err, errlen, "back office: bad options");
        free(b);
        return NULL;
    }
    snprintf(b->dir, sizeof b->dir, "%s", o->data_dir);
    if (o->database && o->database[0])
        snprintf(b->target, sizeof b->target, "%s", o->database);
    else
        snprintf(b->target, sizeof b->target, "%s/%s", b->dir, BO_SQLITE_FILE);
    snprintf(b->files, sizeof b->files, "%s/%s", b->dir, BO_FILES_DIR);
    pthread_mutex_init(&b->mu, NULL);
    pthread_cond_init(&b->cv, NULL);
    if (o->audit && (!(b->al = audit_live_new(b->dir)) ||
                     !(b->audit = bo_follow(b, o, audit_live_sink(b->al), 4096, err, errlen))))
        goto fail;
    if (o->sql && (!(b->sp = sqlproj_new(b->target, o->bars_days, b->files)) ||
                   !(b->sql = bo_follow(b, o, sqlproj_sink(b->sp), o->batch ? o->batch : 16384, err,
                                        errlen))))
        goto fail;
    return b;
fail:
    if (!err[0]) snprintf(err, errlen, "back office: out of memory");
    bo_stop(b, 0);
    return NULL;
}

void bo_stop(backoffice *b, int timeout_ms)
{
    if (!b) return;
    follower_stop(b->sql, true, timeout_ms);
    follower_stop(b->audit, true, timeout_ms);
    sqlproj_free(b->sp);
    audit_live_free(b->al);
    for (int i = 0; i < b->nidle; i++) db_close(b->idle[i]);
    pthread_mutex_destroy(&b->mu);
    pthread_cond_destroy(&b->cv);
    free(b);
}

void bo_get_status(backoffice *b, bo_status *out)
{
    memset(out, 0, sizeof *out);
    out->sql = b->sql != NULL;
    out->audit = b->audit != NULL;
    if (b->sql) follower_get_stats(b->sql, &out->sql_st);
    if (b->audit) follower_get_stats(b->audit, &out->audit_st);
    bool pg = strncmp(b->target, "postgres", 8) == 0;
    snprintf(out->database, sizeof out->database, "%s", pg ? "postgresql" : "sqlite");
}

int bo_sql_wait(backoffice *b, uint64_t seq, int timeout_ms)
{
    return b->sql ? follower_wait(b->sql, seq, timeout_ms) : -1;
}

int bo_audit_wait(backoffice *b, uint64_t seq, int timeout_ms)
{
    return b->audit ? follower_wait(b->audit, seq, timeout_ms) : -1;
}

bool bo_audit_head(backoffice *b, uint64_t *seq, char head[65])
{
    if (!b->al) return false;
    audit_live_head(b->al, seq, head);
    return true;
}

bool bo_audit_head_of_day(backoffice *b, int32_t date, uint64_t *seq, char head[65])
{
    return audit_live_head_of_day(b->dir, date, seq, head);
}

const char *bo_data_dir(const backoffice *b)
{
    return b->dir;
}

db *bo_db_acquire(backoffice *b, char *err, size_t errlen)
{
    if (!b->sql) {
        snprintf(err, errlen, "the SQL projection is off (backoffice_sql = false)");
        return NULL;
    }
    pthread_mutex_lock(&b->mu);
    while (!b->nidle && b->nopen >= BO_READERS) pthread_cond_wait(&b->cv, &b->mu);
    db *d = b->nidle ? b->idle[--b->nidle] : NULL;
    if (!d) b->nopen++;
    pthread_mutex_unlock(&b->mu);
    /* an idle PostgreSQL connection may have died with its server since it was
     * last used (libpq only notices at the next call): try it, else a new one */
    if (d && db_kind_of(d) == DB_POSTGRES && db_exec(d, "SELECT 1") != 0) {
        db_close(d);
        d = NULL;
    }
    if (d) return d;
    d = db_open(b->target, err, errlen);
    if (!d) {
        pthread_mutex_lock(&b->mu);
        b->nopen--;
        pthread_cond_signal(&b->cv);
        pthread_mutex_unlock(&b->mu);
    }
    return d;
}

void bo_db_release(backoffice *b, db *d)
{
    if (!d) return;
    bool keep = !db_broken(d);
    if (!keep) db_close(d);
    pthread_mutex_lock(&b->mu);
    if (keep)
        b->idle[b->nidle++] = d;
    else
        b->nopen--;
    pthread_cond_signal(&b->cv);
    pthread_mutex_unlock(&b->mu);
}
