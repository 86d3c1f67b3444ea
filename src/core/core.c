/* core.c -- the engine thread: queue, group commit, replies (core.h).
 *
 * Submitters queue a `pending` that lives on their own stack and sleep on a
 * shared condition variable. The engine thread takes everything queued (up
 * to max_batch), runs it through the pipeline (stamp and journal each, one
 * commit, apply each under the engine's write lock, the bus's batch end),
 * then wakes everyone. While one batch is being synced the next one
 * accumulates: that is the group commit, and its size adapts to the load by
 * itself.
 *
 * core_submit_async() queues a heap-allocated pending that owns a copy of
 * the command; after the batch is applied its callback runs on the engine
 * thread, outside the queue lock and in submission order, and the pending is
 * freed. A pipelining gateway (FIX) keeps thousands in flight that way
 * without a thread each.
 *
 * Snapshots are written by the engine thread between two batches: every
 * snapshot_every commands, at stop, and at once when core_snapshot() asks
 * (an idle core is woken for it).
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
#include "pipeline.h"

typedef struct pending {
    cets_cmd *cmd;
    cets_result *res;
    int code;
    bool done;
    struct pending *next;
    core_done_fn fn; /* core_submit_async(): called, then the pending is freed */
    void *ctx;
    int64_t t0;              /* submit time, for the latency buckets */
    int64_t t_commit;        /* the batch's first pending: when its commit started */
    uint32_t group;          /* core_submit_batch(): on the group's first, its size (taken whole) */
    struct async_group *grp; /* core_submit_batch_async(): the group it belongs to */
} pending;

/* An asynchronous submission owns its command and result. */
typedef struct async_pending {
    pending p;
    cets_cmd cmd;
    cets_result res;
} async_pending;

/* An asynchronous group owns its commands, results and codes; done() runs
 * once, at its last command. */
typedef struct async_group {
    core_group_done_fn fn;
    void *ctx;
    size_t n;
    cets_cmd *cmds;
    cets_result *res;
    int *codes;
    pending p[];
} async_group;

/* Work another thread hands to the engine thread and waits for: a snapshot,
 * a change of role, a replicated batch. Run between two batches, in order. */
typedef struct task {
    int (*fn)(core *c, struct task *t);
    void *arg;
    size_t n;
    int rc;
    uint64_t seq;
    char err[600];
    bool done;
    struct task *next;
} task;

struct core {
    core_options o;
    char dir[1024];
    cets_engine *e;
    core_backend *backend;
    bus *bus;
    pipeline pl;
    bool pl_open;
    pthread_t thread;
    bool running, stopping, replaying;

    pthread_mutex_t qm;
    pthread_cond_t qcv, donecv;
    pending *head, *tail;
    task *tasks, *tasks_tail;
    core_role role;
    char leader[256]; /* where the leader is, for a standby's refusals (under qm) */

    pthread_rwlock_t rw;
    void (*batch_hook)(void *arg); /* core_set_batch_hook() (under qm) */
    void *batch_hook_arg;
    bool hook_running; /* the engine thread is in the hook (under qm) */
    uint64_t since_snapshot;
    core_stats st; /* under qm */

    /* the tape keeper: clears the trade tape's next chunks off the engine
       thread (cets_tape_reserve), woken when the reserve runs low */
    pthread_t keeper;
    pthread_mutex_t km;
    pthread_cond_t kcv;
    bool keeper_on, keeper_due, keeper_stop; /* under km, but keeper_on */
};

#define CORE_TAPE_RESERVE 4 /* chunks of the trade tape kept cleared: 87,380 trades */

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
    o->bus_events = BUS_DEFAULT_CAPACITY;
}

core *core_open(const core_options *o)
{
    if (!o || !o->data_dir || strlen(o->data_dir) >= sizeof(((core *)0)->dir)) return NULL;
    core *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->o = *o;
    snprintf(c->dir, sizeof c->dir, "%s", o->data_dir);
    c->o.data_dir = c->dir;
    if (!c->o.max_batch) c->o.max_batch = 4096;
    if (c->o.snapshot_keep < 1) c->o.snapshot_keep = 3;
    c->backend = o->backend ? o->backend : core_backend_file(c->dir);
    c->bus = bus_new(c->o.bus_events ? c->o.bus_events : BUS_DEFAULT_CAPACITY);
    if (!c->backend || !c->bus) {
        if (c->backend) c->backend->free(c->backend);
        bus_free(c->bus);
        free(c);
        return NULL;
    }
    pthread_mutex_init(&c->qm, NULL);
    pthread_cond_init(&c->qcv, NULL);
    pthread_cond_init(&c->donecv, NULL);
    pthread_mutex_init(&c->km, NULL);
    pthread_cond_init(&c->kcv, NULL);
    pthread_rwlock_init(&c->rw, NULL);
    c->st.journal_ok = true;
    return c;
}

bus *core_bus(core *c)
{
    return c->bus;
}

/* On the engine thread, between batches. */
static int write_snapshot(core *c, char *err, size_t errlen)
{
    int64_t t0 = now_ns(CLOCK_MONOTONIC);
    int rc = cets_snapshot_write(c->dir, c->e, c->o.snapshot_keep, err, errlen);
    pthread_mutex_lock(&c->qm);
    if (rc == 0)
        c->st.snapshots++;
    else
        c->st.snapshot_failures++;
    pthread_mutex_unlock(&c->qm);
    if (rc != 0) {
        log_error("snapshot", "msg=\"snapshot failed\" alarm=1 error=\"%s\"", err);
        return -1;
    }
    c->since_snapshot = 0;
    log_info("snapshot", "seq=%llu ms=%.1f", (unsigned long long)cets_last_seq(c->e),
             (now_ns(CLOCK_MONOTONIC) - t0) / 1e6);
    return 0;
}

static void journal_failed(core *c)
{
    log_error("journal", "msg=\"journal commit failed; commands refused\" alarm=1 error=\"%s\"",
              c->pl.err);
    pthread_mutex_lock(&c->qm);
    c->st.journal_failures++;
    c->st.journal_ok = false;
    pthread_mutex_unlock(&c->qm);
}

/* Stamp and journal a batch, and start its commit; false when it cannot be
 * durable. */
static bool journal_start(core *c, pending *batch, uint64_t *ticket)
{
    int64_t ts = now_ns(CLOCK_REALTIME);
    for (pending *p = batch; p; p = p->next)
        if (pipeline_add(&c->pl, p->cmd, ts) != 0) goto failed;
    int64_t t0 = now_ns(CLOCK_MONOTONIC);
    if (pipeline_commit_start(&c->pl, ticket) != 0) goto failed;
    batch->t_commit = t0;
    return true;
failed:
    journal_failed(c);
    return false;
}

/* Wait until the batch's commit is durable; false when it is not. */
static bool journal_wait(core *c, pending *batch, uint64_t ticket)
{
    if (pipeline_commit_wait(&c->pl, ticket, NULL) != 0) {
        journal_failed(c);
        return false;
    }
    uint64_t dt = (uint64_t)(now_ns(CLOCK_MONOTONIC) - batch->t_commit);
    pthread_mutex_lock(&c->qm);
    c->st.sync_ns_total += dt;
    if (dt > c->st.sync_ns_max) c->st.sync_ns_max = dt;
    if (!c->st.journal_ok)
        log_info("journal", "msg=\"journal writes succeed again\" seq=%llu",
                 (unsigned long long)batch->cmd->seq);
    c->st.journal_ok = true;
    pthread_mutex_unlock(&c->qm);
    return true;
}

static void *keeper_main(void *arg)
{
    core *c = arg;
    pthread_mutex_lock(&c->km);
    for (;;) {
        while (!c->keeper_due && !c->keeper_stop) pthread_cond_wait(&c->kcv, &c->km);
        if (c->keeper_stop) break;
        c->keeper_due = false;
        pthread_mutex_unlock(&c->km);
        cets_tape_reserve(CORE_TAPE_RESERVE);
        pthread_mutex_lock(&c->km);
    }
    pthread_mutex_unlock(&c->km);
    return NULL;
}

/* On the engine thread after a batch: wake the keeper when the tape's
 * reserve runs low (a few loads when it does not). */
static void keeper_check(core *c)
{
    if (!c->keeper_on || cets_tape_reserved() >= CORE_TAPE_RESERVE) return;
    pthread_mutex_lock(&c->km);
    c->keeper_due = true;
    pthread_cond_signal(&c->kcv);
    pthread_mutex_unlock(&c->km);
}

static void keeper_start(core *c)
{
    if (!cets_engine_config(c->e)->keep_trades) return;
    c->keeper_due = true; /* a first fill */
    int rc = pthread_create(&c->keeper, NULL, keeper_main, c);
    c->keeper_on = rc == 0;
    if (rc) /* the engine thread clears the tape's chunks itself */
        log_warn("core", "msg=\"cannot start the tape keeper: %s\"", strerror(rc));
}

static void keeper_stop(core *c)
{
    if (!c->keeper_on) return;
    pthread_mutex_lock(&c->km);
    c->keeper_stop = true;
    pthread_cond_signal(&c->kcv);
    pthread_mutex_unlock(&c->km);
    pthread_join(c->keeper, NULL);
    c->keeper_on = false;
    c->keeper_stop = false;
}

static void apply_batch(core *c, pending *batch)
{
    uint64_t n = 0, rejected = 0;
    pthread_rwlock_wrlock(&c->rw);
    /* prefetched four commands ahead of the one applied, as cets_apply_batch
       does, and the orders they relink two ahead */
    pending *ahead = batch, *near = batch;
    for (int k = 0; k < 4 && ahead; k++, ahead = ahead->next) pipeline_prefetch(&c->pl, ahead->cmd);
    for (int k = 0; k < 2 && near; k++) near = near->next;
    for (pending *p = batch; p; p = p->next) {
        if (ahead) {
            pipeline_prefetch(&c->pl, ahead->cmd);
            ahead = ahead->next;
        }
        if (near) {
            pipeline_prefetch_links(&c->pl, near->cmd);
            near = near->next;
        }
        p->code = pipeline_apply(&c->pl, p->cmd, p->res);
        n++;
        if (p->code != CETS_OK) {
            rejected++;
            if (p->code >= 0 && p->code < 1000)
                __atomic_fetch_add(&c->st.rejects_by_reason[p->code], 1, __ATOMIC_RELAXED);
        }
    }
    /* on-core readers (the projection) are current before anyone is answered */
    pipeline_publish(&c->pl);
    pthread_rwlock_unlock(&c->rw);
    c->since_snapshot += n;
    pthread_mutex_lock(&c->qm);
    c->st.applied += n;
    c->st.rejected += rejected;
    c->st.batches++;
    c->st.last_seq = cets_last_seq(c->e);
    pthread_mutex_unlock(&c->qm);
    keeper_check(c);
}

/* Under qm: count one submit -> reply latency. */
static void latency_count(core *c, int64_t t0)
{
    uint64_t us = (uint64_t)(now_ns(CLOCK_MONOTONIC) - t0) / 1000;
    int b = 0;
    while (b < 15 && us >= (1ULL << (b + 4))) b++;
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
        async_group *g = p->grp;
        if (!g) {
            p->fn(p->ctx, p->code, p->cmd, p->res);
            free(p);
        } else if (p == &g->p[g->n - 1]) { /* a group is never split: all of it is here */
            for (size_t i = 0; i < g->n; i++) g->codes[i] = g->p[i].code;
            g->fn(g->ctx, g->n, g->codes, g->cmds, g->res);
            free(g);
        }
    }
}

/* Under qm: take up to max_batch pending commands off the queue. A group of
 * core_submit_batch() is never split: it ends a batch that has no room for
 * it, and a group larger than max_batch is a batch of its own. */
static pending *take_batch(core *c)
{
    pending *batch = c->head, *last = NULL;
    if (!batch) return NULL;
    uint32_t n = 0;
    for (pending *p = batch; p && n < c->o.max_batch;) {
        uint32_t g = p->group ? p->group : 1;
        if (n && n + g > c->o.max_batch) break;
        for (uint32_t i = 0; i < g; i++, p = p->next) last = p;
        n += g;
    }
    c->head = last->next;
    if (!c->head) c->tail = NULL;
    last->next = NULL;
    return batch;
}

static int task_snapshot(core *c, task *t)
{
    int rc = write_snapshot(c, t->err, sizeof t->err);
    t->seq = cets_last_seq(c->e);
    return rc;
}

/* Run the tasks taken off the queue, in order, and wake their callers. */
static void tasks_run(core *c, task *list)
{
    for (task *t = list, *next; t; t = next) {
        next = t->next;
        t->rc = t->fn(c, t);
        pthread_mutex_lock(&c->qm);
        t->done = true;
        pthread_cond_broadcast(&c->donecv);
        pthread_mutex_unlock(&c->qm);
    }
}

/* Hand t to the engine thread and wait until it has run. */
static int task_wait(core *c, task *t)
{
    pthread_mutex_lock(&c->qm);
    if (c->stopping || !c->running) {
        pthread_mutex_unlock(&c->qm);
        snprintf(t->err, sizeof t->err, "the core is not running");
        return -1;
    }
    t->next = NULL;
    if (c->tasks_tail)
        c->tasks_tail->next = t;
    else
        c->tasks = t;
    c->tasks_tail = t;
    pthread_cond_signal(&c->qcv);
    while (!t->done) pthread_cond_wait(&c->donecv, &c->qm);
    pthread_mutex_unlock(&c->qm);
    return t->rc;
}

/* The batch is durable (or not): apply it, answer everyone, run the
 * snapshot that is due. */
static void batch_finish(core *c, pending *batch, bool durable)
{
    if (durable) apply_batch(c, batch);
    pthread_mutex_lock(&c->qm);
    pending *async = NULL, **async_tail = &async;
    for (pending *p = batch, *next; p; p = next) {
        next = p->next;
        if (!durable) p->code = CETS_JOURNAL_FAILED;
        latency_count(c, p->t0);
        if (p->fn || p->grp) { /* completed below, outside the lock, in order */
            p->next = NULL;
            *async_tail = p;
            async_tail = &p->next;
        } else {
            p->done = true;
        }
    }
    pthread_cond_broadcast(&c->donecv);
    if (!durable && c->o.demote_on_failure && c->role == CORE_LEADER) {
        /* a replicated journal refused: another node may lead now */
        __atomic_store_n(&c->role, CORE_STANDBY, __ATOMIC_RELEASE);
        log_warn("core", "msg=\"the journal refused a batch: now a standby\"");
    }
    bool automatic = durable && c->o.snapshot_every && c->since_snapshot >= c->o.snapshot_every;
    void (*hook)(void *) = async ? c->batch_hook : NULL;
    void *hook_arg = c->batch_hook_arg;
    c->hook_running = hook != NULL;
    pthread_mutex_unlock(&c->qm);
    async_complete(async);
    if (hook) { /* the batch's completions are all made */
        hook(hook_arg);
        pthread_mutex_lock(&c->qm);
        c->hook_running = false;
        pthread_cond_broadcast(&c->donecv);
        pthread_mutex_unlock(&c->qm);
    }
    if (automatic) {
        char err[256];
        write_snapshot(c, err, sizeof err);
    }
}

/* One batch after another. With a journal whose commits can be split (the
 * replicated one), the next batch's commit is started before the previous
 * one is waited for: two batches in flight, so a commit's round trip does
 * not leave the journal idle. Tasks run with nothing in flight. */
static void *core_main(void *arg)
{
    core *c = arg;
    pending *prev = NULL; /* started, not yet waited for */
    uint64_t prev_ticket = 0;
    bool prev_ok = false;
    for (;;) {
        pthread_mutex_lock(&c->qm);
        while (!c->head && !c->tasks && !c->stopping && !prev) pthread_cond_wait(&c->qcv, &c->qm);
        if (!c->head && !c->tasks && c->stopping && !prev) {
            pthread_mutex_unlock(&c->qm);
            break;
        }
        pending *batch = c->tasks ? NULL : take_batch(c); /* tasks wait for nothing in flight */
        pthread_mutex_unlock(&c->qm);

        uint64_t ticket = 0;
        bool started = batch && (!prev || prev_ok) && journal_start(c, batch, &ticket);
        if (prev) { /* the one before is answered first */
            bool durable = prev_ok && journal_wait(c, prev, prev_ticket);
            if (!durable && started) /* a failure is final for what followed it too */
                started = false;
            batch_finish(c, prev, durable);
            prev = NULL;
        }
        if (batch) {
            if (started && pipeline_split(&c->pl)) {
                prev = batch, prev_ticket = ticket, prev_ok = true;
                continue;
            }
            batch_finish(c, batch, started && journal_wait(c, batch, ticket));
        }
        if (prev) continue;
        pthread_mutex_lock(&c->qm);
        task *tasks = c->tasks;
        c->tasks = c->tasks_tail = NULL;
        pthread_mutex_unlock(&c->qm);
        tasks_run(c, tasks);
    }
    return NULL;
}

/* The surveillance's catch-up when the snapshot did not hold it (a
 * snapshot of version 5 or older, or none): a scratch engine replays the
 * file journal from its first command to the recovered one with the
 * cets_surveil attached, so that after a restart it holds the alerts it held
 * before, with the same ids, and the day's counters as they were (surveil.c
 * is deterministic). */
typedef struct catch_up {
    cets_engine *e;
    uint64_t last, next;
    bool broken;
} catch_up;

static int catch_up_cmd(void *ctx, const cets_cmd *cmd)
{
    catch_up *u = ctx;
    if (cmd->seq > u->last) return 1;
    if (cmd->seq != u->next) { /* the journal's start was archived */
        u->broken = true;
        return 1;
    }
    cets_apply(u->e, cmd, NULL);
    u->next++;
    return 0;
}

static void surveil_catch_up(core *c)
{
    uint64_t last = cets_last_seq(c->e);
    char err[256] = "";
    cets_config cfg;
    if (c->o.backend || last == 0) return; /* a replicated log: from its start only */
    if (cets_data_config(c->dir, &cfg, err, sizeof err) != 1) {
        log_warn("surveil", "msg=\"no alerts from before the start: %s\"", err);
        return;
    }
    catch_up u = {.e = cets_engine_new(&cfg), .last = last, .next = 1};
    if (!u.e) return;
    cets_engine_set_surveil(u.e, c->o.surveil);
    long n = cets_journal_scan(c->dir, 1, catch_up_cmd, &u, err, sizeof err);
    cets_engine_set_surveil(u.e, NULL);
    if (n < 0 || u.broken || u.next != last + 1 || cets_state_hash(u.e) != cets_state_hash(c->e))
        log_warn("surveil",
                 "msg=\"the alerts from before the start are incomplete: the journal from seq 1 "
                 "to %llu did not replay to the recovered state (%s)\"",
                 (unsigned long long)last, err[0] ? err : "a gap or another state");
    else
        log_info("surveil", "replayed=%llu alerts=%u", (unsigned long long)last,
                 cets_surveil_alerts(c->o.surveil, 0, NULL, 0));
    cets_engine_free(u.e);
}

int core_start(core *c, char *err, size_t errlen)
{
    cets_recovery rep;
    c->replaying = true;
    c->e = c->backend->recover(c->backend, &c->o.cfg, bus_publish, c->bus, &rep, err, errlen);
    bus_batch_end(c->bus); /* the replay's last events */
    c->replaying = false;
    if (!c->e) return -1;
    /* the alerts so far: the snapshot's surveillance, fed the commands replayed
       after it (cets_engine_take_surveil), else the journal's from seq 1 */
    cets_surveil *restored = cets_engine_take_surveil(c->e);
    if (c->o.surveil && restored) {
        cets_surveil_move(c->o.surveil, restored);
        log_info("surveil", "snapshot_seq=%llu alerts=%u", (unsigned long long)rep.snapshot_seq,
                 cets_surveil_alerts(c->o.surveil, 0, NULL, 0));
    } else if (c->o.surveil) {
        surveil_catch_up(c);
    }
    cets_surveil_free(restored);
    if (c->o.surveil) cets_engine_set_surveil(c->e, c->o.surveil);
    log_write(rep.warn ? LOG_WARN : LOG_INFO, "recovery",
              "backend=%s snapshot_seq=%llu replayed=%llu last_seq=%llu truncated_bytes=%llu "
              "truncated_records=%llu msg=\"%s\"",
              c->backend->name, (unsigned long long)rep.snapshot_seq,
              (unsigned long long)rep.replayed, (unsigned long long)rep.last_seq,
              (unsigned long long)rep.truncated_bytes, (unsigned long long)rep.truncated_records,
              rep.message);
    c->st.last_seq = cets_last_seq(c->e);
    c->role = c->o.standby ? CORE_STANDBY : CORE_LEADER;
    if (pipeline_init(&c->pl, c->e, c->backend, c->bus, !c->o.standby) != 0) {
        snprintf(err, errlen, "%s", c->pl.err);
        return -1;
    }
    c->pl_open = true;
    keeper_start(c);
    int rc = pthread_create(&c->thread, NULL, core_main, c); /* its error: not in errno */
    if (rc != 0) {
        keeper_stop(c);
        snprintf(err, errlen, "cannot start the engine thread: %s", strerror(rc));
        return -1;
    }
    c->running = true;
    return 0;
}

static int enqueue(core *c, pending *p)
{
    pthread_mutex_lock(&c->qm);
    if (c->stopping || !c->running) {
        pthread_mutex_unlock(&c->qm);
        return CETS_CAPACITY;
    }
    if (c->role != CORE_LEADER) {
        pthread_mutex_unlock(&c->qm);
        return CETS_NOT_LEADER;
    }
    c->st.submitted++;
    if (c->tail)
        c->tail->next = p;
    else
        c->head = p;
    c->tail = p;
    pthread_cond_signal(&c->qcv);
    return 0; /* qm still held */
}

int core_submit(core *c, cets_cmd *cmd, cets_result *res)
{
    cets_result tmp;
    pending p = {.cmd = cmd, .res = res ? res : &tmp, .t0 = now_ns(CLOCK_MONOTONIC)};
    int code = enqueue(c, &p);
    if (code != 0) {
        if (res) {
            memset(res, 0, sizeof *res);
            res->code = code;
        }
        return code;
    }
    while (!p.done) pthread_cond_wait(&c->donecv, &c->qm);
    pthread_mutex_unlock(&c->qm);
    if (p.code == CETS_JOURNAL_FAILED && res) {
        memset(res, 0, sizeof *res);
        res->code = CETS_JOURNAL_FAILED;
    }
    return p.code;
}

/* Link the n pendings of p[] (a group when n > 1) at the queue's tail:
 * 0 with qm held, or the refusal. */
static int enqueue_group(core *c, pending *p, size_t n)
{
    for (size_t i = 0; i + 1 < n; i++) p[i].next = &p[i + 1];
    p[0].group = (uint32_t)n;
    pthread_mutex_lock(&c->qm);
    int code = c->stopping || !c->running ? CETS_CAPACITY
               : c->role != CORE_LEADER   ? CETS_NOT_LEADER
                                          : 0;
    if (code) {
        pthread_mutex_unlock(&c->qm);
        return code;
    }
    c->st.submitted += n;
    if (c->tail)
        c->tail->next = &p[0];
    else
        c->head = &p[0];
    c->tail = &p[n - 1];
    pthread_cond_signal(&c->qcv);
    return 0;
}

int core_submit_batch(core *c, cets_cmd *cmds, cets_result *res, int *codes, size_t n)
{
    if (n == 0) return 0;
    if (n > CORE_BATCH_MAX) return CETS_CAPACITY;
    pending *p = calloc(n, sizeof *p);
    if (!p) return CETS_CAPACITY;
    int64_t t0 = now_ns(CLOCK_MONOTONIC);
    for (size_t i = 0; i < n; i++) {
        p[i] = (pending){.cmd = &cmds[i], .res = &res[i], .t0 = t0};
        memset(&res[i], 0, sizeof res[i]);
    }
    int code = enqueue_group(c, p, n);
    if (code) {
        for (size_t i = 0; i < n; i++) {
            res[i].code = code;
            codes[i] = code;
        }
        free(p);
        return code;
    }
    /* one batch: every pending of the group is done at the same moment */
    while (!p[n - 1].done) pthread_cond_wait(&c->donecv, &c->qm);
    pthread_mutex_unlock(&c->qm);
    for (size_t i = 0; i < n; i++) {
        codes[i] = p[i].code;
        if (p[i].code == CETS_JOURNAL_FAILED) {
            memset(&res[i], 0, sizeof res[i]);
            res[i].code = CETS_JOURNAL_FAILED;
        }
    }
    free(p);
    return 0;
}

int core_submit_batch_async(core *c, const cets_cmd *cmds, size_t n, core_group_done_fn done,
                            void *ctx)
{
    if (n == 0 || n > CORE_BATCH_MAX) return CETS_CAPACITY;
    size_t head = sizeof(async_group) + n * sizeof(pending);
    head = (head + 15) & ~(size_t)15; /* the arrays after it stay aligned */
    async_group *g = malloc(head + n * (sizeof(cets_cmd) + sizeof(cets_result) + sizeof(int)));
    if (!g) return CETS_CAPACITY;
    g->fn = done;
    g->ctx = ctx;
    g->n = n;
    g->cmds = (cets_cmd *)((char *)g + head);
    g->res = (cets_result *)(g->cmds + n);
    g->codes = (int *)(g->res + n);
    memcpy(g->cmds, cmds, n * sizeof *cmds);
    memset(g->res, 0, n * sizeof *g->res);
    int64_t t0 = now_ns(CLOCK_MONOTONIC);
    for (size_t i = 0; i < n; i++)
        g->p[i] = (pending){.cmd = &g->cmds[i], .res = &g->res[i], .t0 = t0, .grp = g};
    int code = enqueue_group(c, g->p, n);
    if (code) {
        free(g);
        return code;
    }
    pthread_mutex_unlock(&c->qm);
    return 0;
}

void core_set_batch_hook(core *c, void (*fn)(void *arg), void *arg)
{
    pthread_mutex_lock(&c->qm);
    while (c->hook_running) pthread_cond_wait(&c->donecv, &c->qm); /* the old one has returned */
    c->batch_hook = fn;
    c->batch_hook_arg = arg;
    pthread_mutex_unlock(&c->qm);
}

int core_submit_async(core *c, const cets_cmd *cmd, core_done_fn done, void *ctx)
{
    async_pending *a = malloc(sizeof *a);
    if (!a) return CETS_CAPACITY;
    a->cmd = *cmd;
    memset(&a->res, 0, sizeof a->res);
    a->p = (pending){
        .cmd = &a->cmd, .res = &a->res, .fn = done, .ctx = ctx, .t0 = now_ns(CLOCK_MONOTONIC)};
    int code = enqueue(c, &a->p);
    if (code != 0) {
        free(a);
        return code;
    }
    pthread_mutex_unlock(&c->qm);
    return 0;
}

const cets_engine *core_read_begin(core *c)
{
    pthread_rwlock_rdlock(&c->rw);
    return c->e;
}

void core_read_end(core *c)
{
    pthread_rwlock_unlock(&c->rw);
}

bool core_replaying(const core *c)
{
    return c->replaying;
}

void core_get_stats(core *c, core_stats *out)
{
    pthread_mutex_lock(&c->qm);
    *out = c->st;
    pthread_mutex_unlock(&c->qm);
    for (int i = 0; i < 1000; i++)
        out->rejects_by_reason[i] = __atomic_load_n(&c->st.rejects_by_reason[i], __ATOMIC_RELAXED);
}

int core_snapshot(core *c, uint64_t *seq, char *err, size_t errlen)
{
    task t = {.fn = task_snapshot};
    int rc = task_wait(c, &t);
    if (seq) *seq = t.seq;
    if (rc != 0) snprintf(err, errlen, "%s", t.err);
    return rc;
}

/* ---- roles (cluster mode) --------------------------------------------------- */

core_role core_get_role(core *c)
{
    return __atomic_load_n(&c->role, __ATOMIC_ACQUIRE); /* written under qm */
}

void core_set_leader(core *c, const char *where)
{
    pthread_mutex_lock(&c->qm);
    snprintf(c->leader, sizeof c->leader, "%s", where ? where : "");
    pthread_mutex_unlock(&c->qm);
}

void core_get_leader(core *c, char *out, size_t len)
{
    pthread_mutex_lock(&c->qm);
    snprintf(out, len, "%s", c->leader);
    pthread_mutex_unlock(&c->qm);
}

static int task_promote(core *c, task *t)
{
    if (c->role == CORE_LEADER) return 0;
    pipeline_close(&c->pl); /* a journal left from before: the new one fences */
    sequencer_init(&c->pl.seq, c->e);
    if (pipeline_open(&c->pl) != 0) {
        snprintf(t->err, sizeof t->err, "%s", c->pl.err);
        return -1;
    }
    pthread_mutex_lock(&c->qm);
    __atomic_store_n(&c->role, CORE_LEADER, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&c->qm);
    log_info("core", "msg=\"leader: accepting commands\" next_seq=%llu",
             (unsigned long long)c->pl.seq.next_seq);
    return 0;
}

static int task_demote(core *c, task *t)
{
    (void)t;
    pipeline_close(&c->pl);
    pthread_mutex_lock(&c->qm);
    bool was = c->role == CORE_LEADER;
    __atomic_store_n(&c->role, CORE_STANDBY, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&c->qm);
    if (was)
        log_warn("core", "msg=\"standby: commands refused from now on\" last_seq=%llu",
                 (unsigned long long)cets_last_seq(c->e));
    return 0;
}

int core_promote(core *c, char *err, size_t errlen)
{
    task t = {.fn = task_promote};
    int rc = task_wait(c, &t);
    if (rc != 0) snprintf(err, errlen, "%s", t.err);
    return rc;
}

void core_demote(core *c)
{
    task t = {.fn = task_demote};
    task_wait(c, &t);
}

/* A standby applies what the leader made durable: already stamped, never
 * journaled again; its events go to the bus like any others. */
static int task_replicate(core *c, task *t)
{
    const cets_cmd *cmds = t->arg;
    if (c->role != CORE_STANDBY) {
        snprintf(t->err, sizeof t->err, "a leader does not take replicated commands");
        return -1;
    }
    uint64_t next = cets_last_seq(c->e) + 1;
    if (t->n && cmds[0].seq != next) {
        snprintf(t->err, sizeof t->err, "replicated seq %llu, expected %llu",
                 (unsigned long long)cmds[0].seq, (unsigned long long)next);
        return -1;
    }
    uint64_t rejected = 0;
    pthread_rwlock_wrlock(&c->rw);
    for (size_t i = 0; i < t->n; i++) {
        cets_result r;
        if (pipeline_apply(&c->pl, &cmds[i], &r) != CETS_OK) rejected++;
    }
    pipeline_publish(&c->pl);
    pthread_rwlock_unlock(&c->rw);
    c->since_snapshot += t->n;
    pthread_mutex_lock(&c->qm);
    c->st.applied += t->n;
    c->st.rejected += rejected;
    c->st.last_seq = cets_last_seq(c->e);
    pthread_mutex_unlock(&c->qm);
    keeper_check(c);
    if (c->o.snapshot_every && c->since_snapshot >= c->o.snapshot_every) {
        char err[256];
        write_snapshot(c, err, sizeof err);
    }
    return 0;
}

int core_replicate(core *c, const cets_cmd *cmds, size_t n, char *err, size_t errlen)
{
    task t = {.fn = task_replicate, .arg = (void *)cmds, .n = n};
    int rc = task_wait(c, &t);
    if (rc != 0) snprintf(err, errlen, "%s", t.err);
    return rc;
}

void core_stop(core *c)
{
    if (!c->running) return;
    pthread_mutex_lock(&c->qm);
    c->stopping = true;
    pthread_cond_signal(&c->qcv);
    pthread_mutex_unlock(&c->qm);
    pthread_join(c->thread, NULL);
    keeper_stop(c);
    c->running = false;
    char err[256];
    write_snapshot(c, err, sizeof err); /* every applied command is durable already */
    log_info("core", "msg=\"stopped\" last_seq=%llu", (unsigned long long)cets_last_seq(c->e));
}

void core_close(core *c)
{
    if (!c) return;
    core_stop(c);
    if (c->pl_open) pipeline_close(&c->pl);
    cets_engine_free(c->e);
    c->backend->free(c->backend);
    bus_free(c->bus);
    pthread_mutex_destroy(&c->qm);
    pthread_cond_destroy(&c->qcv);
    pthread_cond_destroy(&c->donecv);
    pthread_mutex_destroy(&c->km);
    pthread_cond_destroy(&c->kcv);
    pthread_rwlock_destroy(&c->rw);
    free(c);
}
