/* run_journal.c -- the engine behind a group-committing journal, and replay.
 *
 * Two threads, as in the architecture: a journal thread takes every command
 * that has arrived (up to `batch`), appends them, commits them with one
 * fdatasync, and then publishes how many commands are durable with an
 * atomic store; the engine thread (the caller) applies commands up to that
 * count and never one that is not yet durable. While the journal waits on the
 * disk for one batch, the engine applies the previous one.
 *
 * Closed loop (rate 0): every command is there from the start, so batches
 * are always full; the run gives throughput, and "commit latency" is the time
 * from a batch's start (its commands enter it) until its fdatasync returned.
 * Paced (rate > 0): command i arrives at t0 + i/rate, fixed in advance; the
 * journal takes what has arrived by now, so batches follow the disk's pace,
 * and latency is from arrival to durable (and to applied) per command.
 * Setup commands are journaled and committed before the clock starts.
 *
 * An idle engine thread spins only briefly (~10 us), then sleeps on a
 * condition variable: on a two-core machine a thread spinning for the whole
 * fdatasync would take the CPU that the kernel's writeback and ext4 journal
 * threads, and everything else on the machine, need meanwhile.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cets/journal.h"
#include "hist.h"
#include "jsonl.h"
#include "runs.h"
#include "timing.h"

typedef struct jrun {
    const workload *w;
    const journal_opts *jo;
    cets_journal *j;
    int64_t t0;
    _Atomic size_t durable; /* commands of w->cmds durable so far */
    _Atomic int failed;
    _Atomic int sleeping; /* the engine thread waits on cv */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    hist commit;       /* ns, per command: batch start (closed) or arrival (paced) to durable */
    hist sync;         /* ns, per batch: the commit call (write + fdatasync) */
    hist batches;      /* commands per batch */
    hist applied;      /* ns, per command (paced): arrival to applied */
    int64_t append_ns; /* journal thread: in cets_journal_append, all batches */
    int64_t journal_cpu_ns, engine_cpu_ns; /* each thread's CPU time over the run */
} jrun;

static int64_t arrival(const jrun *r, size_t i)
{
    return r->t0 + (int64_t)((uint64_t)i * 1000000000ull / r->jo->rate);
}

/* The end of the next batch starting at i; in paced mode, waits for i. */
static size_t batch_end(const jrun *r, size_t i, int64_t *start)
{
    size_t n = r->jo->commands, end = i + r->jo->batch;
    if (r->jo->rate) {
        int64_t now;
        while ((now = timing_now_ns()) < arrival(r, i)) _mm_pause();
        size_t arrived = (size_t)((uint64_t)(now - r->t0) * r->jo->rate / 1000000000ull) + 1;
        if (arrived < end) end = arrived;
        *start = now;
    } else {
        *start = timing_now_ns();
    }
    return end < n ? end : n;
}

/* Make `end` commands durable for the engine thread, waking it if it sleeps.
 * Both sides use sequentially consistent atomics, so either the journal sees
 * `sleeping` or the engine sees the new count before it waits. */
static void journal_publish(jrun *r, size_t end)
{
    atomic_store(&r->durable, end);
    if (atomic_load(&r->sleeping)) {
        pthread_mutex_lock(&r->mu);
        pthread_cond_signal(&r->cv);
        pthread_mutex_unlock(&r->mu);
    }
}

static void *journal_thread(void *arg)
{
    jrun *r = arg;
    size_t i = 0, n = r->jo->commands;
    int64_t cpu0 = timing_cpu_ns();
    while (i < n) {
        int64_t start;
        size_t end = batch_end(r, i, &start);
        int64_t a0 = timing_now_ns();
        for (size_t k = i; k < end; k++)
            if (cets_journal_append(r->j, &r->w->cmds[k]) != 0) goto fail;
        int64_t s0 = timing_now_ns();
        r->append_ns += s0 - a0;
        if (cets_journal_commit(r->j) != 0) goto fail;
        int64_t done = timing_now_ns();
        journal_publish(r, end);
        cets_tape_reserve(4); /* the tape's next chunks cleared here, as cetsd's keeper does */
        hist_add(&r->sync, (uint64_t)(done - s0), 1);
        hist_add(&r->batches, end - i, 1);
        if (r->jo->rate)
            for (size_t k = i; k < end; k++)
                hist_add(&r->commit, (uint64_t)(done - arrival(r, k)), 1);
        else
            hist_add(&r->commit, (uint64_t)(done - start), end - i);
        i = end;
    }
    r->journal_cpu_ns = timing_cpu_ns() - cpu0;
    return NULL;
fail:
    fprintf(stderr, "journal: %s\n", cets_journal_error(r->j));
    atomic_store(&r->failed, 1);
    journal_publish(r, i);
    return NULL;
}

/* Wait until more than `applied` commands are durable, or the journal failed. */
static size_t engine_wait(jrun *r, size_t applied)
{
    size_t d;
    for (int spin = 0; spin < 1000; spin++) {
        if ((d = atomic_load(&r->durable)) != applied || atomic_load(&r->failed)) return d;
        _mm_pause();
    }
    pthread_mutex_lock(&r->mu);
    atomic_store(&r->sleeping, 1);
    while ((d = atomic_load(&r->durable)) == applied && !atomic_load(&r->failed))
        pthread_cond_wait(&r->cv, &r->mu);
    atomic_store(&r->sleeping, 0);
    pthread_mutex_unlock(&r->mu);
    return d;
}

/* The engine thread: apply what is durable. Returns commands applied. */
static size_t engine_follow(jrun *r, cets_engine *e, uint64_t *rejects)
{
    size_t applied = 0, n = r->jo->commands;
    cets_result res;
    int64_t cpu0 = timing_cpu_ns();
    while (applied < n) {
        size_t d = engine_wait(r, applied);
        if (d == applied) break; /* the journal failed */
        for (; applied < d; applied++) {
            /* as the server's engine thread does (core.c apply_batch): what
             * the command four places ahead touches is fetched meanwhile */
            if (applied + 4 < d) cets_prefetch(e, &r->w->cmds[applied + 4]);
            if (cets_apply(e, &r->w->cmds[applied], &res) != CETS_OK) (*rejects)++;
            if (r->jo->rate)
                hist_add(&r->applied, (uint64_t)(timing_now_ns() - arrival(r, applied)), 1);
        }
    }
    r->engine_cpu_ns = timing_cpu_ns() - cpu0;
    return applied;
}

/* Start as a server does: cets_recover() on the (fresh) directory, which
 * stores the configuration and gives the engine, then open the journal after
 * the last recovered command. Then journal the setup and apply it, untimed. */
static cets_engine *journal_prepare(jrun *r, ev_count *ev)
{
    char err[256];
    if (mkdir(r->jo->dir, 0700) != 0) {
        fprintf(stderr, "journal: mkdir %s: %s\n", r->jo->dir, strerror(errno));
        return NULL;
    }
    cets_config cfg;
    workload_config(&r->w->opts, r->jo->depth, &cfg);
    cets_recovery rep;
    cets_engine *e = cets_recover(r->jo->dir, &cfg, NULL, NULL, &rep, err, sizeof err);
    if (!e) {
        fprintf(stderr, "journal: recover %s: %s\n", r->jo->dir, err);
        return NULL;
    }
    r->j = cets_journal_open(r->jo->dir, rep.last_seq + 1, err, sizeof err);
    if (!r->j) {
        fprintf(stderr, "journal: open %s: %s\n", r->jo->dir, err);
        goto fail;
    }
    for (size_t i = 0; i < r->w->nsetup; i++)
        if (cets_journal_append(r->j, &r->w->setup[i]) != 0) goto fail_journal;
    if (cets_journal_commit(r->j) != 0) goto fail_journal;
    if (workload_setup(r->w, e, ev_count_listener, ev) != 0) goto fail;
    return e;
fail_journal:
    fprintf(stderr, "journal: setup: %s\n", cets_journal_error(r->j));
fail:
    cets_engine_free(e);
    return NULL;
}

static double us(uint64_t ns)
{
    return (double)ns / 1000.0;
}

static void journal_report(const jrun *r, size_t n, double secs, const ev_count *ev,
                           uint64_t rejects, bool hash_ok, const cets_journal_stats *st)
{
    jsonl_begin("engine");
    jsonl_str("mode", r->jo->rate ? "paced" : "group_commit");
    jsonl_str("journal", "on");
    jsonl_str("depth", r->jo->depth ? "on" : "off");
    if (r->jo->rate) jsonl_u64("rate", r->jo->rate);
    jsonl_u64("commands", n);
    jsonl_num("seconds", secs, 3);
    jsonl_num("commands_per_s", (double)n / secs, 0);
    jsonl_u64("max_batch", r->jo->batch);
    jsonl_u64("batches", r->batches.count);
    jsonl_num("mean_batch", r->batches.count ? (double)n / (double)r->batches.count : 0, 1);
    const char *lat = r->jo->rate ? "durable" : "commit";
    char key[32];
    snprintf(key, sizeof key, "%s_p50_us", lat);
    jsonl_num(key, us(hist_quantile(&r->commit, 0.50)), 1);
    snprintf(key, sizeof key, "%s_p99_us", lat);
    jsonl_num(key, us(hist_quantile(&r->commit, 0.99)), 1);
    snprintf(key, sizeof key, "%s_max_us", lat);
    jsonl_num(key, us(r->commit.max), 1);
    if (r->jo->rate) {
        jsonl_num("applied_p50_us", us(hist_quantile(&r->applied, 0.50)), 1);
        jsonl_num("applied_p99_us", us(hist_quantile(&r->applied, 0.99)), 1);
    }
    jsonl_num("batch_commit_p50_us", us(hist_quantile(&r->sync, 0.50)), 1);
    jsonl_num("batch_commit_p99_us", us(hist_quantile(&r->sync, 0.99)), 1);
    jsonl_num("batch_commit_max_us", us(r->sync.max), 1);
    jsonl_num("fdatasync_mean_us", st->commits ? us(st->sync_ns_total / st->commits) : 0, 1);
    jsonl_num("fdatasync_max_us", us(st->sync_ns_max), 1);
    /* where a batch's time goes in the journal thread, mean per batch */
    double nb = st->commits ? (double)st->commits : 1;
    jsonl_num("append_mean_us", (double)r->append_ns / 1e3 / nb, 1);
    jsonl_num("write_mean_us", (double)st->write_ns_total / 1e3 / nb, 1);
    jsonl_num("write_max_us", us(st->write_ns_max), 1);
    jsonl_num("roll_total_ms", (double)st->roll_ns_total / 1e6, 2);
    jsonl_num("append_ns_per_command", n ? (double)r->append_ns / (double)n : 0, 1);
    jsonl_num("journal_thread_cpu_s", (double)r->journal_cpu_ns / 1e9, 3);
    jsonl_num("engine_thread_cpu_s", (double)r->engine_cpu_ns / 1e9, 3);
    jsonl_num("bytes_per_command", st->records ? (double)st->bytes / (double)st->records : 0, 1);
    jsonl_u64("trades", ev->n[CETS_EV_TRADE]);
    jsonl_u64("rejects", rejects);
    if (n == r->w->ncmds) jsonl_bool("hash_match", hash_ok);
    jsonl_end();
}

int run_journal(const workload *w, const journal_opts *jo, uint64_t *hash)
{
    jrun *r = calloc(1, sizeof *r);
    if (!r) return -1;
    r->w = w;
    r->jo = jo;
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
    ev_count ev = {0};
    int rc = -1;
    if (hist_init(&r->commit) || hist_init(&r->sync) || hist_init(&r->batches) ||
        hist_init(&r->applied))
        goto out;
    cets_engine *e = journal_prepare(r, &ev);
    if (!e) goto out;
    pthread_t th;
    uint64_t rejects = 0;
    workload_warm(w);
    r->t0 = timing_now_ns();
    if (pthread_create(&th, NULL, journal_thread, r) == 0) {
        size_t n = engine_follow(r, e, &rejects);
        double secs = (double)(timing_now_ns() - r->t0) / 1e9;
        pthread_join(th, NULL);
        cets_journal_stats st;
        cets_journal_get_stats(r->j, &st);
        *hash = cets_state_hash(e);
        if (n == jo->commands) {
            bool ok = *hash == workload_hash(w, jo->depth);
            journal_report(r, n, secs, &ev, rejects, ok, &st);
            rc = n < w->ncmds || ok ? 0 : -1;
        }
    }
    cets_engine_free(e);
out:
    if (r->j) cets_journal_close(r->j);
    hist_free(&r->commit);
    hist_free(&r->sync);
    hist_free(&r->batches);
    hist_free(&r->applied);
    pthread_mutex_destroy(&r->mu);
    pthread_cond_destroy(&r->cv);
    free(r);
    return rc;
}

/* The configuration comes from the directory (engine.config), so the
 * replayed engine runs under the same rules, emit_depth included. */
static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int run_replay(const workload *w, const char *dir, bool listener, uint64_t runs, uint64_t live_hash)
{
    if (runs < 1) runs = 1;
    double *secs = malloc(runs * sizeof *secs);
    if (!secs) return -1;
    ev_count ev = {0};
    cets_recovery rep, best = {0};
    double best_secs = 0;
    uint64_t hash = 0;
    const char *depth = "off";
    int rc = 0;
    for (uint64_t i = 0; i < runs && rc == 0; i++) {
        char err[256];
        ev = (ev_count){0};
        workload_warm(w);
        int64_t t0 = timing_now_ns();
        cets_engine *e = cets_recover(dir, NULL, listener ? ev_count_listener : NULL, &ev, &rep,
                                      err, sizeof err);
        secs[i] = (double)(timing_now_ns() - t0) / 1e9;
        if (!e) {
            fprintf(stderr, "replay: %s\n", err);
            rc = -1;
            break;
        }
        uint64_t h = cets_state_hash(e);
        if (i > 0 && h != hash) rc = -1; /* each run must end in the same state */
        hash = h;
        depth = cets_engine_config(e)->emit_depth ? "on" : "off";
        if (i == 0 || secs[i] < best_secs) best_secs = secs[i], best = rep;
        cets_engine_free(e);
    }
    if (rc == 0) {
        qsort(secs, runs, sizeof *secs, cmp_double);
        double median = runs % 2 ? secs[runs / 2] : (secs[runs / 2 - 1] + secs[runs / 2]) / 2;
        jsonl_begin("replay");
        jsonl_str("listener", listener ? "count" : "none");
        jsonl_u64("commands", best.replayed);
        jsonl_u64("runs", runs);
        jsonl_num("seconds", best_secs, 3);
        jsonl_num("commands_per_s", (double)best.replayed / best_secs, 0);
        jsonl_num("median_seconds", median, 3);
        jsonl_num("median_commands_per_s", (double)best.replayed / median, 0);
        /* of the fastest run: which of the two threads bounds it */
        jsonl_num("read_cpu_s", best.read_cpu_s, 3);
        jsonl_num("apply_cpu_s", best.apply_cpu_s, 3);
        jsonl_num("apply_ns_per_command", best.apply_cpu_s * 1e9 / (double)best.replayed, 1);
        jsonl_u64("snapshot_seq", best.snapshot_seq);
        jsonl_u64("truncated_bytes", best.truncated_bytes);
        if (listener) jsonl_u64("events", ev_count_total(&ev));
        jsonl_str("depth", depth);
        jsonl_bool("hash_match", hash == live_hash);
        jsonl_end();
        if (hash != live_hash) rc = -1;
    }
    free(secs);
    return rc;
}
