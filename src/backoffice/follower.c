/* follower.c -- see follower.h.
 *
 * One thread. States: store closed (open it, retry after retry_ms on
 * failure) -> replica missing (build it at the store's position) -> running
 * (read, apply, hand to the sink, commit). Any failure drops the replica and
 * the reader, closes the store, and goes back to the first state after
 * retry_ms; the store's own position decides where it starts again.
 */
#include "follower.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cets/journal.h"
#include "core/log.h"

struct follower {
    follower_options o;
    follower_sink sink;
    char dir[1024];
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;    /* wake-ups of the thread */
    pthread_cond_t moved; /* the position moved: follower_wait() */
    bool stop, drain, woken;
    int64_t drain_deadline; /* CLOCK_MONOTONIC ns */
    follower_stats st;      /* under mu */
    /* the thread's own */
    cets_engine *e;
    cets_journal_reader *r;
    bool open;
    uint64_t pos;
    uint64_t events; /* since the last commit */
};

static int64_t mono_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

void follower_options_default(follower_options *o)
{
    memset(o, 0, sizeof *o);
    o->batch = 4096;
    o->poll_ms = 10;
    o->retry_ms = 1000;
}

static uint64_t durable_now(follower *f)
{
    return f->o.durable ? f->o.durable(f->o.durable_ctx) : UINT64_MAX;
}

static void on_event(void *ctx, const cets_event *ev)
{
    follower *f = ctx;
    f->sink.event(f->sink.ctx, ev);
    f->events++;
}

/* Drop everything and close the store; the next round starts from its position. */
static void follower_fail(follower *f, const char *err)
{
    cets_journal_reader_close(f->r);
    f->r = NULL;
    cets_engine_free(f->e);
    f->e = NULL;
    if (f->open) f->sink.close(f->sink.ctx);
    f->open = false;
    f->events = 0;
    pthread_mutex_lock(&f->mu);
    bool was_ok = f->st.ok;
    f->st.ok = false;
    f->st.failures++;
    snprintf(f->st.error, sizeof f->st.error, "%s", err);
    pthread_mutex_unlock(&f->mu);
    if (was_ok)
        log_error("backoffice",
                  "msg=\"follower failing; it retries from its stored position\" "
                  "alarm=1 follower=%s error=%s",
                  f->sink.name, log_q(err));
}

/* Open the store, build the replica at its position. 0 or -1 (failed). */
static int follower_begin(follower *f)
{
    char err[512] = "";
    if (!f->open) {
        if (f->sink.open(f->sink.ctx, &f->pos, err, sizeof err) != 0) {
            follower_fail(f, err);
            return -1;
        }
        f->open = true;
    }
    uint64_t snap = 0;
    int64_t t0 = mono_ns();
    f->e = cets_journal_engine_at(f->dir, f->pos, &snap, err, sizeof err);
    if (f->e) f->r = cets_journal_reader_open(f->dir, f->pos + 1, err, sizeof err);
    if (!f->e || !f->r || f->sink.resume(f->sink.ctx, f->e, err, sizeof err) != 0) {
        follower_fail(f, err);
        return -1;
    }
    cets_engine_set_listener(f->e, on_event, f);
    pthread_mutex_lock(&f->mu);
    bool recovered = !f->st.ok;
    f->st.ok = true;
    f->st.position = f->pos;
    pthread_cond_broadcast(&f->moved);
    pthread_mutex_unlock(&f->mu);
    log_info("backoffice", "msg=%s follower=%s position=%llu snapshot=%llu ms=%.1f",
             log_q(recovered ? "following the journal again" : "following the journal"),
             f->sink.name, (unsigned long long)f->pos, (unsigned long long)snap,
             (mono_ns() - t0) / 1e6);
    return 0;
}

/* Read, apply and commit up to `batch` commands. >0 done, 0 nothing new, -1 failed. */
static int follower_round(follower *f)
{
    uint64_t upto = durable_now(f);
    char err[512] = "";
    uint32_t n = 0;
    cets_cmd c;
    cets_result res;
    int rc = 0;
    while (n < f->o.batch &&
           (rc = cets_journal_reader_next(f->r, upto, &c, err, sizeof err)) == 1) {
        f->sink.command(f->sink.ctx, f->e, &c);
        cets_apply(f->e, &c, &res);
        f->sink.applied(f->sink.ctx, f->e, &c, &res);
        n++;
    }
    if (n == 0 && rc < 0) {
        follower_fail(f, err);
        return -1;
    }
    pthread_mutex_lock(&f->mu);
    f->st.durable = upto == UINT64_MAX ? cets_last_seq(f->e) : upto;
    pthread_mutex_unlock(&f->mu);
    if (n == 0) return 0;
    int64_t t0 = mono_ns();
    if (f->sink.commit(f->sink.ctx, f->e, c.seq, err, sizeof err) != 0) {
        follower_fail(f, err);
        return -1;
    }
    uint64_t dt = (uint64_t)(mono_ns() - t0);
    f->pos = c.seq;
    pthread_mutex_lock(&f->mu);
    f->st.position = c.seq;
    f->st.commands += n;
    f->st.events += f->events;
    f->events = 0;
    f->st.commits++;
    f->st.commit_ns_total += dt;
    if (dt > f->st.commit_ns_max) f->st.commit_ns_max = dt;
    pthread_cond_broadcast(&f->moved);
    pthread_mutex_unlock(&f->mu);
    if (rc < 0) { /* the reader failed after some commands: those are stored */
        follower_fail(f, err);
        return -1;
    }
    return 1;
}

/* Sleep ms unless woken or stopped. */
static void follower_sleep(follower *f, uint32_t ms)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    t.tv_sec += ms / 1000;
    t.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (t.tv_nsec >= 1000000000L) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&f->mu);
    while (!f->woken && !f->stop && pthread_cond_timedwait(&f->cv, &f->mu, &t) != ETIMEDOUT)
        ;
    f->woken = false;
    pthread_mutex_unlock(&f->mu);
}

static void *follower_main(void *arg)
{
    follower *f = arg;
    for (;;) {
        pthread_mutex_lock(&f->mu);
        bool stop = f->stop, drain = f->drain;
        pthread_mutex_unlock(&f->mu);
        if (stop && (!drain || !f->e || mono_ns() > f->drain_deadline)) break;
        if (!f->e && follower_begin(f) != 0) {
            if (!stop) follower_sleep(f, f->o.retry_ms);
            continue;
        }
        int rc = follower_round(f);
        if (rc == 0 && stop) break; /* drained */
        if (rc == 0)
            follower_sleep(f, f->o.poll_ms);
        else if (rc < 0 && !stop)
            follower_sleep(f, f->o.retry_ms);
    }
    cets_journal_reader_close(f->r);
    cets_engine_free(f->e);
    f->r = NULL;
    f->e = NULL;
    if (f->open) f->sink.close(f->sink.ctx);
    f->open = false;
    return NULL;
}

follower *follower_start(const follower_options *o, const follower_sink *sink, char *err,
                         size_t errlen)
{
    if (!o || !o->dir || strlen(o->dir) >= sizeof(((follower *)0)->dir) || !sink || !sink->open ||
        !sink->resume || !sink->command || !sink->event || !sink->applied || !sink->commit ||
        !sink->close) {
        snprintf(err, errlen, "follower: bad options");
        return NULL;
    }
    follower *f = calloc(1, sizeof *f);
    if (!f) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    f->o = *o;
    snprintf(f->dir, sizeof f->dir, "%s", o->dir);
    f->o.dir = f->dir;
    if (!f->o.batch) f->o.batch = 4096;
    if (!f->o.poll_ms) f->o.poll_ms = 10;
    if (!f->o.retry_ms) f->o.retry_ms = 1000;
    f->sink = *sink;
    f->st.ok = true;
    pthread_mutex_init(&f->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&f->cv, &ca);
    pthread_cond_init(&f->moved, &ca);
    pthread_condattr_destroy(&ca);
    int rc = pthread_create(&f->thread, NULL, follower_main, f); /* its error: not in errno */
    if (rc != 0) {
        snprintf(err, errlen, "cannot start the %s follower: %s", sink->name, strerror(rc));
        pthread_mutex_destroy(&f->mu);
        pthread_cond_destroy(&f->cv);
        pthread_cond_destroy(&f->moved);
        free(f);
        return NULL;
    }
    return f;
}

void follower_stop(follower *f, bool drain, int timeout_ms)
{
    if (!f) return;
    pthread_mutex_lock(&f->mu);
    f->stop = true;
    f->drain = drain;
    f->drain_deadline = mono_ns() + (int64_t)timeout_ms * 1000000;
    pthread_cond_signal(&f->cv);
    pthread_mutex_unlock(&f->mu);
    pthread_join(f->thread, NULL);
    pthread_mutex_destroy(&f->mu);
    pthread_cond_destroy(&f->cv);
    pthread_cond_destroy(&f->moved);
    free(f);
}

void follower_wake(follower *f)
{
    pthread_mutex_lock(&f->mu);
    f->woken = true;
    pthread_cond_signal(&f->cv);
    pthread_mutex_unlock(&f->mu);
}

void follower_get_stats(follower *f, follower_stats *out)
{
    pthread_mutex_lock(&f->mu);
    *out = f->st;
    pthread_mutex_unlock(&f->mu);
}

int follower_wait(follower *f, uint64_t seq, int timeout_ms)
{
    follower_wake(f);
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    t.tv_sec += timeout_ms / 1000;
    t.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (t.tv_nsec >= 1000000000L) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&f->mu);
    int rc = 0;
    while (f->st.position < seq && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&f->moved, &f->mu, &t);
    bool ok = f->st.position >= seq;
    pthread_mutex_unlock(&f->mu);
    return ok ? 0 : -1;
}
