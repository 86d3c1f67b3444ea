/* runs.h -- the benchmark runs; each prints its result as JSON lines.
 *
 * One file per kind of run: run_engine.c (journal off), run_journal.c
 * (group commit, paced arrivals, replay), run_memory.c, run_lob.c. Every run
 * builds its own fresh engine from the workload's setup, so runs do not
 * disturb each other, and returns 0, or -1 when something failed (said on
 * stderr).
 */
#ifndef BENCH_RUNS_H
#define BENCH_RUNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "workload.h"

/* Journal off: all commands back to back through cets_apply(), one clock
 * read at each end; then the same commands on the floor (floor.h), its fills
 * checked equal to the engine's; then through cets_apply_batch() in batches
 * of 4,096 (clock read around each batch). out (may be NULL) gets the figures. */
typedef struct throughput_figures {
    double engine_ns, floor_ns;         /* per command, wall clock */
    double engine_cpu_ns, floor_cpu_ns; /* per command, the thread's CPU time */
    double batch_ns, batch_cpu_ns;      /* the engine through cets_apply_batch() */
} throughput_figures;
int run_engine_throughput(const workload *w, bool depth, throughput_figures *out);
/* Journal off: a TSC read around every command; percentiles overall and per kind. */
int run_engine_latency(const workload *w, bool depth);
/* Position limits and surveillance on against off, `repeat` times each (run_controls.c). */
int run_engine_controls(const workload *w, uint64_t repeat);

typedef struct journal_opts {
    const char *dir; /* a fresh directory for this run's journal */
    size_t batch;    /* most commands per commit */
    bool depth;
    uint64_t rate;   /* 0: closed loop (all commands there at once); else commands/s */
    size_t commands; /* how many of w->cmds to run */
} journal_opts;

/* Journal on: a journal thread appends and commits batches and publishes the
 * durable count; the engine thread applies what is durable. *hash gets the
 * live engine's state hash at the end. */
int run_journal(const workload *w, const journal_opts *jo, uint64_t *hash);
/* cets_recover() of dir into a fresh engine (no snapshot: full replay), runs
 * times: the fastest and the median run, and the fastest's CPU time on the
 * reading and on the applying thread; checks that every run ends in the live
 * engine's state hash. */
int run_replay(const workload *w, const char *dir, bool listener, uint64_t runs,
               uint64_t live_hash);

/* The workload's commands through the journal's version 3 encoder and decoder
 * and the raw copy of versions 1 and 2: ns per command (the minimum of
 * `repeat` passes), payload bytes, and whether every command came back. */
int run_codec(const workload *w, uint64_t repeat);

/* Bytes of RSS per resting order, with `orders` orders resting. */
int run_memory(const workload_opts *o, uint64_t orders);
/* The embedder API (lob.h): a flow like the workload's, a cancel-heavy flow
 * (half the cancels of orders already gone), then (memory_orders > 0) RSS
 * per resting order. */
int run_lob(const workload_opts *o, uint64_t memory_orders);

#endif
