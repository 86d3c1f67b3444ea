/* test_core_async.c -- core_submit_async(): every command completes once,
 * in submission order, after its events reached the bus's readers and after it
 * is durable; the result is the engine's; a stopping core refuses. The same
 * for groups (core_submit_batch, core_submit_batch_async) and the batch
 * hook. The tape keeper keeps the trade tape's next chunks cleared; without
 * a thread for it the core runs, without one for the engine it says why. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/core.h"
#include "core/log.h"

#define N 2000

/* Linked with -Wl,--wrap=pthread_create: the threads a core starts with the
 * core as their argument (its tape keeper, then its engine thread) can be
 * refused on demand, as when the process is out of threads. */
int __real_pthread_create(pthread_t *th, const pthread_attr_t *attr, void *(*fn)(void *),
                          void *arg);
int __wrap_pthread_create(pthread_t *th, const pthread_attr_t *attr, void *(*fn)(void *),
                          void *arg);

static void *refuse_for; /* the core whose next threads are refused */
static int refuse_n;     /* how many more */

int __wrap_pthread_create(pthread_t *th, const pthread_attr_t *attr, void *(*fn)(void *), void *arg)
{
    if (arg && arg == refuse_for && refuse_n > 0) {
        refuse_n--;
        return EAGAIN;
    }
    return __real_pthread_create(th, attr, fn, arg);
}

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int done, bad_order, events_before;
    uint64_t last_seq;
    int codes[N];
    uint64_t accepted_seq[N + 64]; /* seq of the ACCEPTED event per command index */
    int naccepted;
    uint64_t last_event_seq;
} t = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

static void on_event(void *ctx, const cets_event *ev)
{
    (void)ctx;
    t.last_event_seq = ev->seq;
}

static void on_done(void *ctx, int code, const cets_cmd *cmd, const cets_result *res)
{
    int i = (int)(intptr_t)ctx;
    pthread_mutex_lock(&t.mu);
    if (cmd->seq <= t.last_seq) t.bad_order++;
    t.last_seq = cmd->seq;
    if (t.last_event_seq >= cmd->seq) /* its events were delivered before */
        t.events_before++;
    t.codes[i] = code;
    if (code == CETS_OK && res->order_id == 0 && cmd->type == CETS_CMD_POST) t.bad_order++;
    t.done++;
    pthread_cond_signal(&t.cv);
    pthread_mutex_unlock(&t.mu);
}

static void test_async_submit(void **state)
{
    (void)state;
    log_setup(NULL, LOG_ERROR);
    char dir[256];
    const char *base = getenv("CETS_TEST_TMP");
    mkdir(base ? base : "/tmp", 0755);
    snprintf(dir, sizeof dir, "%s/async-XXXXXX", base ? base : "/tmp");
    assert_non_null(mkdtemp(dir));
    core_options o;
    core_options_default(&o);
    o.data_dir = dir;
    o.cfg.enforce_sessions = false;
    o.cfg.start_date = 20261130;
    core *c = core_open(&o);
    assert_non_null(c);
    bus_reader_opts ro = {.name = "test", .mode = BUS_ON_CORE, .on_event = on_event};
    bus_reader *r = bus_join(core_bus(c), &ro);
    assert_non_null(r);
    char err[256];
    assert_int_equal(core_start(c, err, sizeof err), 0);
    cets_cmd add = {
        .type = CETS_CMD_INSTRUMENT_ADD, .actor = 1, .price = 5000, .flags = CETS_MATCH_CONTINUOUS};
    snprintf(add.u.text, sizeof add.u.text, "CEA25");
    assert_int_equal(core_submit(c, &add, NULL), CETS_OK);
    cets_cmd p = {.type = CETS_CMD_PARTICIPANT_ADD, .actor = 1, .aux = CETS_PK_INSTITUTION};
    snprintf(p.u.text, sizeof p.u.text, "p");
    assert_int_equal(core_submit(c, &p, NULL), CETS_OK);
    cets_cmd dep = {.type = CETS_CMD_DEPOSIT, .actor = 1, .participant = 2, .qty = 1000000000};
    assert_int_equal(core_submit(c, &dep, NULL), CETS_OK);
    for (int i = 0; i < N; i++) {
        /* every tenth is out of the band: rejected, still completed */
        cets_cmd cmd = {.type = CETS_CMD_POST,
                        .actor = 2,
                        .participant = 2,
                        .side = CETS_BUY,
                        .qty = 1,
                        .price = i % 10 ? 4900 - i % 50 : 9999};
        assert_int_equal(core_submit_async(c, &cmd, on_done, (void *)(intptr_t)i), 0);
    }
    pthread_mutex_lock(&t.mu);
    while (t.done < N) pthread_cond_wait(&t.cv, &t.mu);
    pthread_mutex_unlock(&t.mu);
    assert_int_equal(t.bad_order, 0);
    assert_int_equal(t.events_before, N);
    for (int i = 0; i < N; i++)
        assert_int_equal(t.codes[i], i % 10 ? CETS_OK : CETS_PRICE_OUT_OF_BAND);
    core_stats st;
    core_get_stats(c, &st);
    assert_int_equal(st.applied, N + 3);
    core_stop(c);
    cets_cmd late = {.type = CETS_CMD_POST, .actor = 2, .participant = 2};
    assert_int_equal(core_submit_async(c, &late, on_done, NULL), CETS_CAPACITY);
    bus_leave(r);
    core_close(c);
}

static void on_done_quiet(void *ctx, int code, const cets_cmd *cmd, const cets_result *res)
{
    (void)ctx, (void)code, (void)cmd, (void)res;
}

/* A core on a fresh data directory, not started, with max_batch 16. */
static core *fresh_core(const char *name)
{
    log_setup(NULL, LOG_ERROR);
    char dir[256];
    const char *base = getenv("CETS_TEST_TMP");
    snprintf(dir, sizeof dir, "%s/%s-XXXXXX", base ? base : "/tmp", name);
    assert_non_null(mkdtemp(dir));
    core_options o;
    core_options_default(&o);
    o.data_dir = dir;
    o.max_batch = 16;
    o.cfg.enforce_sessions = false;
    o.cfg.start_date = 20261130;
    core *c = core_open(&o);
    assert_non_null(c);
    return c;
}

/* A started core with max_batch 16, an instrument (CEA25, continuous, 50.00)
 * and a funded participant 2 (*dep: its deposit, to submit again). */
static core *small_core(const char *name, cets_cmd *dep)
{
    core *c = fresh_core(name);
    char err[256];
    assert_int_equal(core_start(c, err, sizeof err), 0);
    cets_cmd add = {
        .type = CETS_CMD_INSTRUMENT_ADD, .actor = 1, .price = 5000, .flags = CETS_MATCH_CONTINUOUS};
    snprintf(add.u.text, sizeof add.u.text, "CEA25");
    assert_int_equal(core_submit(c, &add, NULL), CETS_OK);
    cets_cmd p = {.type = CETS_CMD_PARTICIPANT_ADD, .actor = 1, .aux = CETS_PK_INSTITUTION};
    snprintf(p.u.text, sizeof p.u.text, "p");
    assert_int_equal(core_submit(c, &p, NULL), CETS_OK);
    *dep = (cets_cmd){.type = CETS_CMD_DEPOSIT, .actor = 1, .participant = 2, .qty = 1000000000};
    assert_int_equal(core_submit(c, dep, NULL), CETS_OK);
    return c;
}

/* core_submit_batch(): n commands in one journal batch (one timestamp,
 * consecutive sequence numbers), in the order given, each with its own
 * result; never split by max_batch, even behind other commands. */
static void test_batch_submit(void **state)
{
    (void)state;
    cets_cmd dep;
    core *c = small_core("batch", &dep);

    /* 100 commands, more than max_batch: one batch of their own */
    enum { BN = 100 };
    cets_cmd cmds[BN];
    cets_result res[BN];
    int codes[BN];
    for (int i = 0; i < BN; i++)
        cmds[i] = (cets_cmd){.type = CETS_CMD_POST,
                             .actor = 2,
                             .participant = 2,
                             .side = CETS_BUY,
                             .qty = 1,
                             .price = i % 10 ? 4900 : 9999};
    core_stats before, after;
    core_get_stats(c, &before);
    assert_int_equal(core_submit_batch(c, cmds, res, codes, BN), 0);
    core_get_stats(c, &after);
    assert_int_equal(after.batches - before.batches, 1);
    assert_int_equal(after.applied - before.applied, BN);
    for (int i = 0; i < BN; i++) {
        assert_int_equal(codes[i], i % 10 ? CETS_OK : CETS_PRICE_OUT_OF_BAND);
        assert_int_equal(res[i].code, codes[i]);
        if (codes[i] == CETS_OK) assert_true(res[i].order_id > 0);
        assert_int_equal(cmds[i].seq, cmds[0].seq + (uint64_t)i);
        assert_true(cmds[i].ts == cmds[0].ts);
    }
    /* a group of 10 behind k queued commands, k = 1..31: with max_batch 16
     * most of these would straddle two batches if the group could be split */
    for (int k = 1; k < 32; k++) {
        for (int j = 0; j < k; j++) {
            cets_cmd a = {.type = CETS_CMD_POST,
                          .actor = 2,
                          .participant = 2,
                          .side = CETS_BUY,
                          .qty = 1,
                          .price = 4800};
            assert_int_equal(core_submit_async(c, &a, on_done_quiet, NULL), 0);
        }
        for (int i = 0; i < 10; i++)
            cmds[i] = (cets_cmd){.type = CETS_CMD_POST,
                                 .actor = 2,
                                 .participant = 2,
                                 .side = CETS_BUY,
                                 .qty = 1,
                                 .price = 4850};
        assert_int_equal(core_submit_batch(c, cmds, res, codes, 10), 0);
        for (int i = 0; i < 10; i++) {
            assert_int_equal(codes[i], CETS_OK);
            assert_int_equal(cmds[i].seq, cmds[0].seq + (uint64_t)i);
            assert_true(cmds[i].ts == cmds[0].ts);
        }
    }
    /* nothing to submit; too many; a stopped core submits nothing */
    assert_int_equal(core_submit_batch(c, cmds, res, codes, 0), 0);
    assert_int_equal(core_submit_batch(c, cmds, res, codes, CORE_BATCH_MAX + 1), CETS_CAPACITY);
    core_stop(c);
    core_get_stats(c, &before);
    assert_int_equal(core_submit_batch(c, cmds, res, codes, 3), CETS_CAPACITY);
    for (int i = 0; i < 3; i++) assert_int_equal(codes[i], CETS_CAPACITY);
    core_get_stats(c, &after);
    assert_int_equal(after.submitted, before.submitted);
    core_close(c);
}

/* core_submit_batch_async() and the batch hook: a group's done() runs once
 * with every command's code, the commands stamped in one batch, the hook
 * after it, once per batch; a group over CORE_BATCH_MAX, an empty one and
 * one to a stopped core are refused and done() never runs. */
static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int groups, hooks, hook_before_done;
    bool done_pending; /* a done() ran and no hook since */
    size_t n;
    int codes[128];
    uint64_t seq[128], ts[128];
} g = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

static void on_group(void *ctx, size_t n, const int *codes, const cets_cmd *cmds,
                     const cets_result *res)
{
    (void)ctx, (void)res;
    pthread_mutex_lock(&g.mu);
    g.n = n;
    for (size_t i = 0; i < n && i < 128; i++) {
        g.codes[i] = codes[i];
        g.seq[i] = cmds[i].seq;
        g.ts[i] = (uint64_t)cmds[i].ts;
    }
    g.groups++;
    g.done_pending = true;
    pthread_cond_signal(&g.cv);
    pthread_mutex_unlock(&g.mu);
}

static void on_hook(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&g.mu);
    if (!g.done_pending) g.hook_before_done++;
    g.done_pending = false;
    g.hooks++;
    pthread_cond_signal(&g.cv);
    pthread_mutex_unlock(&g.mu);
}

static void test_batch_async(void **state)
{
    (void)state;
    cets_cmd dep;
    core *c = small_core("batch-async", &dep);
    core_set_batch_hook(c, on_hook, NULL);

    /* 100 commands, more than max_batch: one batch, one done(), one hook */
    enum { BN = 100 };
    cets_cmd cmds[BN];
    for (int i = 0; i < BN; i++)
        cmds[i] = (cets_cmd){.type = CETS_CMD_POST,
                             .actor = 2,
                             .participant = 2,
                             .side = CETS_BUY,
                             .qty = 1,
                             .price = i % 10 ? 4900 : 9999};
    core_stats before, after;
    core_get_stats(c, &before);
    assert_int_equal(core_submit_batch_async(c, cmds, BN, on_group, NULL), 0);
    pthread_mutex_lock(&g.mu);
    while (g.hooks < 1) pthread_cond_wait(&g.cv, &g.mu);
    pthread_mutex_unlock(&g.mu);
    core_get_stats(c, &after);
    assert_int_equal(after.batches - before.batches, 1);
    assert_int_equal(g.groups, 1);
    assert_int_equal(g.hooks, 1);
    assert_int_equal(g.hook_before_done, 0);
    assert_int_equal(g.n, BN);
    for (int i = 0; i < BN; i++) {
        assert_int_equal(g.codes[i], i % 10 ? CETS_OK : CETS_PRICE_OUT_OF_BAND);
        assert_int_equal(g.seq[i], g.seq[0] + (uint64_t)i);
        assert_true(g.ts[i] == g.ts[0]);
    }
    /* a group of one; then the hook removed: done() still, no hook */
    assert_int_equal(core_submit_batch_async(c, cmds + 1, 1, on_group, NULL), 0);
    pthread_mutex_lock(&g.mu);
    while (g.hooks < 2) pthread_cond_wait(&g.cv, &g.mu);
    pthread_mutex_unlock(&g.mu);
    assert_int_equal(g.groups, 2);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.codes[0], CETS_OK);
    core_set_batch_hook(c, NULL, NULL);
    assert_int_equal(core_submit_batch_async(c, cmds + 1, 1, on_group, NULL), 0);
    pthread_mutex_lock(&g.mu);
    while (g.groups < 3) pthread_cond_wait(&g.cv, &g.mu);
    pthread_mutex_unlock(&g.mu);
    assert_int_equal(core_submit(c, &dep, NULL), CETS_OK); /* a batch after it */
    pthread_mutex_lock(&g.mu);
    assert_int_equal(g.hooks, 2);
    pthread_mutex_unlock(&g.mu);
    /* refused: empty, too many, a stopped core; done() never runs */
    core_get_stats(c, &before);
    assert_int_equal(core_submit_batch_async(c, cmds, 0, on_group, NULL), CETS_CAPACITY);
    assert_int_equal(core_submit_batch_async(c, cmds, CORE_BATCH_MAX + 1, on_group, NULL),
                     CETS_CAPACITY);
    core_stop(c);
    assert_int_equal(core_submit_batch_async(c, cmds, 3, on_group, NULL), CETS_CAPACITY);
    core_get_stats(c, &after);
    assert_int_equal(after.submitted, before.submitted);
    assert_int_equal(g.groups, 3);
    core_close(c);
}

/* Wait up to 5 s for the tape's reserve to hold n chunks. */
static bool reserve_reaches(size_t n)
{
    for (int i = 0; i < 500 && cets_tape_reserved() != n; i++)
        nanosleep(&(struct timespec){0, 10000000}, NULL);
    return cets_tape_reserved() == n;
}

/* The core's tape keeper clears the trade tape's next chunks off the
 * engine thread: filled at the start, refilled after a batch that found
 * the reserve low, and gone with the core. */
static void test_tape_keeper(void **state)
{
    (void)state;
    assert_int_equal(cets_tape_reserve(0), 0);
    cets_cmd dep;
    core *c = small_core("keeper", &dep);
    assert_true(reserve_reaches(4));           /* CORE_TAPE_RESERVE */
    assert_int_equal(cets_tape_reserve(1), 1); /* as if the tape took three */
    assert_int_equal(core_submit(c, &dep, NULL), CETS_OK);
    assert_true(reserve_reaches(4));
    core_stop(c);
    assert_int_equal(cets_tape_reserve(0), 0);
    nanosleep(&(struct timespec){0, 100000000}, NULL);
    assert_int_equal(cets_tape_reserved(), 0); /* no keeper left to fill it */
    core_close(c);
}

/* No thread for the keeper: the core runs, its engine thread clearing the
 * tape's chunks itself. No thread for the engine either: the start fails,
 * saying why. */
static void test_no_threads(void **state)
{
    (void)state;
    assert_int_equal(cets_tape_reserve(0), 0);
    char err[256] = "";
    core *c = fresh_core("nokeeper");
    refuse_for = c, refuse_n = 1; /* the keeper */
    assert_int_equal(core_start(c, err, sizeof err), 0);
    assert_int_equal(refuse_n, 0);
    cets_cmd dep = {.type = CETS_CMD_DEPOSIT, .actor = 1, .participant = 1, .qty = 1};
    assert_int_equal(core_submit(c, &dep, NULL), CETS_OK); /* the exchange's own account */
    nanosleep(&(struct timespec){0, 100000000}, NULL);
    assert_int_equal(cets_tape_reserved(), 0); /* nobody clears ahead */
    core_stop(c);
    core_close(c);
    c = fresh_core("nothreads");
    refuse_for = c, refuse_n = 2; /* the keeper and the engine thread */
    assert_int_equal(core_start(c, err, sizeof err), -1);
    char want[200];
    snprintf(want, sizeof want, "cannot start the engine thread: %s", strerror(EAGAIN));
    assert_string_equal(err, want);
    assert_int_equal(cets_tape_reserved(), 0);
    refuse_for = NULL;
    core_close(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_async_submit), cmocka_unit_test(test_batch_submit),
        cmocka_unit_test(test_batch_async), cmocka_unit_test(test_tape_keeper),
        cmocka_unit_test(test_no_threads)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
