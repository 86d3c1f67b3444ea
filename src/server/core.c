/* core.c -- sequencer, group-committed journal and the engine thread (core.h).
 *
 * Submitters queue a `pending` that lives on their own stack and sleep on a
 * shared condition variable. The core thread takes everything queued (up to
 * max_batch), numbers and timestamps it, appends it to the journal, commits
 * once, applies the batch under the engine's write lock, then wakes everyone.
 * While one batch is being synced the next one accumulates: that is the
 * group commit, and its size adapts to the load by itself.
 *
 * core_submit_async() queues a heap-allocated pending that owns a copy of
 * the command; after the batch is applied its callback runs on the core
 * thread, outside the queue lock and in submission order, and the pending is
 * freed. A pipelining gateway (FIX) keeps thousands in flight that way
 * without a thread each.
 */
#include "core.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cets/journal.h"
#include "log.h"

typedef struct pending {
    cets_cmd *cmd;
    cets_result *res;
    int code;
    bool done;
    struct pending *next;
    core_done_fn fn; /* core_submit_async(): called, then the pending is freed */
    void *ctx;
    int64_t t0;      /* async: submit time, for the latency buckets */
} pending;

/* An asynchronous submission owns its command and result. */
typedef struct async_pending {
    pending p;
    cets_cmd cmd;
    cets_result res;
} async_pending;

typedef struct listener {
    cets_listener fn;
    void *ctx;
} listener;

struct core {
    core_options o;
    char dir[1024];
    cets_engine *e;
    cets_journal *j;
    pthread_t thread;
    bool running, stopping, replaying, snap_req;

    pthread_mutex_t qm;
    pthread_cond_t qcv, donecv;
    pending *head, *tail;

    pthread_rwlock_t rw;
    listener ls[16];
    int nls;

    uint64_t next_seq, since_snapshot;
    int64_t last_ts;
    core_stats st; /* under qm */
};

static int64_t now_ns(int clock)
{
    struct timespec t;
    clock_gettime(clock, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

void core_options_default(core_options *o)
{
    memset(o, 0, sizeof *o);
    o->data_dir = "./cetsd-data";
    cets_config_default(&o->cfg);
    o->max_batch = 4096;
    o->snapshot_every = 1000000;
    o->snapshot_keep = 3;
}

static void core_dispatch(void *ctx, const cets_event *ev)
{
    core *c = ctx;
    for (int i = 0; i < c->nls; i++)
        c->ls[i].fn(c->ls[i].ctx, ev);
}

core *core_open(const core_options *o)
{
    if (!o || !o->data_dir || strlen(o->data_dir) >= sizeof(((core *)0)->dir))
        return NULL;
    core *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->o = *o;
    snprintf(c->dir, sizeof c->dir, "%s", o->data_dir);
    c->o.data_dir = c->dir;
    if (!c->o.max_batch)
        c->o.max_batch = 4096;
    if (c->o.snapshot_keep < 1)
        c->o.snapshot_keep = 3;
    pthread_mutex_init(&c->qm, NULL);
    pthread_cond_init(&c->qcv, NULL);
    pthread_cond_init(&c->donecv, NULL);
    pthread_rwlock_init(&c->rw, NULL);
    c->st.journal_ok = true;
    return c;
}

void core_add_listener(core *c, cets_listener fn, void *ctx)
{
    if (c->nls < (int)(sizeof c->ls / sizeof c->ls[0]))
        c->ls[c->nls++] = (listener){fn, ctx};
}

static void write_snapshot(core *c)
{
    char err[256];
    int64_t t0 = now_ns(CLOCK_MONOTONIC);
    if (cets_snapshot_write(c->dir, c->e, c->o.snapshot_keep, err, sizeof err) != 0) {
        log_error("snapshot", "msg=\"snapshot failed\" error=%s", log_q(err));
        return;
    }
    c->since_snapshot = 0;
    log_info("snapshot", "seq=%llu ms=%.1f", (unsigned long long)cets_last_seq(c->e),
             (now_ns(CLOCK_MONOTONIC) - t0) / 1e6);
}

/* Number, stamp and journal a batch; returns false when it is not durable. */
static bool journal_batch(core *c, pending *batch)
{
    if (!c->j) { /* reopen after a failure */
        char err[256];
        c->j = cets_journal_open(c->dir, c->next_seq, err, sizeof err);
        if (!c->j) {
            log_error("journal", "msg=\"journal reopen failed\" error=%s", log_q(err));
            return false;
        }
    }
    uint64_t first = c->next_seq;
    int64_t ts = now_ns(CLOCK_REALTIME);
    if (ts < c->last_ts)
        ts = c->last_ts; /* the engine needs non-decreasing time */
    for (pending *p = batch; p; p = p->next) {
        p->cmd->seq = c->next_seq++;
        p->cmd->ts = ts;
        if (cets_journal_append(c->j, p->cmd) != 0)
            goto failed;
    }
    int64_t t0 = now_ns(CLOCK_MONOTONIC);
    if (cets_journal_commit(c->j) != 0)
        goto failed;
    uint64_t dt = (uint64_t)(now_ns(CLOCK_MONOTONIC) - t0);
    c->last_ts = ts;
    pthread_mutex_lock(&c->qm);
    c->st.sync_ns_total += dt;
    if (dt > c->st.sync_ns_max)
        c->st.sync_ns_max = dt;
    if (!c->st.journal_ok)
        log_info("journal", "msg=\"journal writes succeed again\" seq=%llu",
                 (unsigned long long)first);
    c->st.journal_ok = true;
    pthread_mutex_unlock(&c->qm);
    return true;
failed:
    log_error("journal", "msg=\"journal commit failed; commands refused\" alarm=1 error=%s",
              log_q(cets_journal_error(c->j)));
    cets_journal_close(c->j); /* reopened, and the tail re-checked, on the next batch */
    c->j = NULL;
    c->next_seq = first;
    pthread_mutex_lock(&c->qm);
    c->st.journal_failures++;
    c->st.journal_ok = false;
    pthread_mutex_unlock(&c->qm);
    return false;
}

static void apply_batch(core *c, pending *batch)
{
    uint64_t n = 0, rejected = 0;
    pthread_rwlock_wrlock(&c->rw);
    for (pending *p = batch; p; p = p->next) {
        p->code = cets_apply(c->e, p->cmd, p->res);
        n++;
        if (p->code != CETS_OK) {
            rejected++;
            if (p->code >= 0 && p->code < 1000)
                __atomic_fetch_add(&c->st.rejects_by_reason[p->code], 1, __ATOMIC_RELAXED);
        }
    }
    pthread_rwlock_unlock(&c->rw);
    c->since_snapshot += n;
    pthread_mutex_lock(&c->qm);
    c->st.applied += n;
    c->st.rejected += rejected;
    c->st.batches++;
    c->st.last_seq = cets_last_seq(c->e);
    pthread_mutex_unlock(&c->qm);
}

/* Under qm: count one submit -> reply latency. */
static void latency_count(core *c, int64_t t0)
{
    uint64_t us = (uint64_t)(now_ns(CLOCK_MONOTONIC) - t0) / 1000;
    int b = 0;
    while (b < 15 && us >= (1ULL << (b + 4)))
        b++;
    c->st.latency_buckets[b]++;
}

static void async_complete(pending *p)
{
    for (pending *next; p; p = next) {
        next = p->next;
        if (p->code == CETS_JOURNAL_FAILED) {
            memset(p->res, 0, sizeof *p->res);
            p->res->code = CETS_JOURNAL_FAILED;
        }
        p->fn(p->ctx, p->code, p->cmd, p->res);
        free(p);
    }
}

static void *core_main(void *arg)
{
    core *c = arg;
    for (;;) {
        pthread_mutex_lock(&c->qm);
        while (!c->head && !c->stopping)
            pthread_cond_wait(&c->qcv, &c->qm);
        if (!c->head && c->stopping) {
            pthread_mutex_unlock(&c->qm);
            break;
        }
        pending *batch = c->head, *last = c->head;
        for (uint32_t n = 1; n < c->o.max_batch && last->next; n++)
            last = last->next;
        c->head = last->next;
        if (!c->head)
            c->tail = NULL;
        last->next = NULL;
        pthread_mutex_unlock(&c->qm);

        bool durable = journal_batch(c, batch);
        if (durable)
            apply_batch(c, batch);
        pthread_mutex_lock(&c->qm);
        pending *async = NULL, **async_tail = &async;
        for (pending *p = batch, *next; p; p = next) {
            next = p->next;
            if (!durable)
                p->code = CETS_JOURNAL_FAILED;
            if (p->fn) { /* completed below, outside the lock, in order */
                latency_count(c, p->t0);
                p->next = NULL;
                *async_tail = p;
                async_tail = &p->next;
            } else {
                p->done = true;
            }
        }
        pthread_cond_broadcast(&c->donecv);
        bool snap = c->snap_req || (c->o.snapshot_every && c->since_snapshot >= c->o.snapshot_every);
        c->snap_req = false;
        pthread_mutex_unlock(&c->qm);
        async_complete(async);
        if (snap && durable)
            write_snapshot(c);
    }
    return NULL;
}

int core_start(core *c, char *err, size_t errlen)
{
    cets_recovery rep;
    c->replaying = true;
    c->e = cets_recover(c->dir, &c->o.cfg, core_dispatch, c, &rep, err, errlen);
    c->replaying = false;
    if (!c->e)
        return -1;
    log_info("recovery", "snapshot_seq=%llu replayed=%llu last_seq=%llu truncated_bytes=%llu msg=%s",
             (unsigned long long)rep.snapshot_seq, (unsigned long long)rep.replayed,
             (unsigned long long)rep.last_seq, (unsigned long long)rep.truncated_bytes,
             log_q(rep.message));
    cets_engine_set_listener(c->e, core_dispatch, c);
    c->next_seq = cets_last_seq(c->e) + 1;
    c->last_ts = cets_last_ts(c->e);
    c->st.last_seq = cets_last_seq(c->e);
    c->j = cets_journal_open(c->dir, c->next_seq, err, errlen);
    if (!c->j)
        return -1;
    if (pthread_create(&c->thread, NULL, core_main, c) != 0) {
        snprintf(err, errlen, "cannot start the core thread: %s", strerror(errno));
        return -1;
    }
    c->running = true;
    return 0;
}

int core_submit(core *c, cets_cmd *cmd, cets_result *res)
{
    cets_result tmp;
    pending p = {.cmd = cmd, .res = res ? res : &tmp};
    int64_t t0 = now_ns(CLOCK_MONOTONIC);
    pthread_mutex_lock(&c->qm);
    if (c->stopping || !c->running) {
        pthread_mutex_unlock(&c->qm);
        return CETS_CAPACITY;
    }
    c->st.submitted++;
    if (c->tail)
        c->tail->next = &p;
    else
        c->head = &p;
    c->tail = &p;
    pthread_cond_signal(&c->qcv);
    while (!p.done)
        pthread_cond_wait(&c->donecv, &c->qm);
    latency_count(c, t0);
    pthread_mutex_unlock(&c->qm);
    if (p.code == CETS_JOURNAL_FAILED && res) {
        memset(res, 0, sizeof *res);
        res->code = CETS_JOURNAL_FAILED;
    }
    return p.code;
}

int core_submit_async(core *c, const cets_cmd *cmd, core_done_fn done, void *ctx)
{
    async_pending *a = malloc(sizeof *a);
    if (!a)
        return CETS_CAPACITY;
    a->cmd = *cmd;
    memset(&a->res, 0, sizeof a->res);
    a->p = (pending){.cmd = &a->cmd, .res = &a->res, .fn = done, .ctx = ctx,
                     .t0 = now_ns(CLOCK_MONOTONIC)};
    pthread_mutex_lock(&c->qm);
    if (c->stopping || !c->running) {
        pthread_mutex_unlock(&c->qm);
        free(a);
        return CETS_CAPACITY;
    }
    c->st.submitted++;
    if (c->tail)
        c->tail->next = &a->p;
    else
        c->head = &a->p;
    c->tail = &a->p;
    pthread_cond_signal(&c->qcv);
    pthread_mutex_unlock(&c->qm);
    return 0;
}

const cets_engine *core_read_begin(core *c)
{
    pthread_rwlock_rdlock(&c->rw);
    return c->e;
}

void core_read_end(core *c) { pthread_rwlock_unlock(&c->rw); }

bool core_replaying(const core *c) { return c->replaying; }

void core_get_stats(core *c, core_stats *out)
{
    pthread_mutex_lock(&c->qm);
    *out = c->st;
    pthread_mutex_unlock(&c->qm);
    for (int i = 0; i < 1000; i++)
        out->rejects_by_reason[i] =
            __atomic_load_n(&c->st.rejects_by_reason[i], __ATOMIC_RELAXED);
}

void core_request_snapshot(core *c)
{
    pthread_mutex_lock(&c->qm);
    c->snap_req = true;
    pthread_mutex_unlock(&c->qm);
}

void core_stop(core *c)
{
    if (!c->running)
        return;
    pthread_mutex_lock(&c->qm);
    c->stopping = true;
    pthread_cond_signal(&c->qcv);
    pthread_mutex_unlock(&c->qm);
    pthread_join(c->thread, NULL);
    c->running = false;
    if (c->j && cets_journal_commit(c->j) == 0)
        write_snapshot(c);
    log_info("core", "msg=\"stopped\" last_seq=%llu", (unsigned long long)cets_last_seq(c->e));
}

void core_close(core *c)
{
    if (!c)
        return;
    core_stop(c);
    if (c->j)
        cets_journal_close(c->j);
    cets_engine_free(c->e);
    pthread_mutex_destroy(&c->qm);
    pthread_cond_destroy(&c->qcv);
    pthread_cond_destroy(&c->donecv);
    pthread_rwlock_destroy(&c->rw);
    free(c);
}
