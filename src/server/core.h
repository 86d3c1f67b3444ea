/* core.h -- the exchange core inside cetsd: sequencer -> journal -> engine.
 *
 * Gateways (HTTP, WebSocket, FIX) call core_submit() from their own threads.
 * One core thread drains the queue of submitted commands, gives each a
 * sequence number and a timestamp, appends the batch to the journal, commits
 * it with one fdatasync (group commit), applies it to the engine, and only
 * then wakes the submitters with their results. So no command is
 * acknowledged before it is durable, and the engine stays single-threaded.
 *
 * Reads: core_read_begin() takes a shared lock on the engine (the core thread
 * takes it exclusively while applying a batch); keep read sections short.
 * Events: listeners registered before core_start() run on the core thread,
 * inside the exclusive section, for every event of every applied command
 * (and of the replay during recovery, flagged by core_replaying()).
 */
#ifndef CETS_SERVER_CORE_H
#define CETS_SERVER_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cets/cets.h"

typedef struct core core;

typedef struct core_options {
    const char *data_dir;      /* journal, snapshots, engine.config */
    cets_config cfg;           /* seeds a fresh data directory only */
    uint32_t max_batch;        /* commands per group commit, default 4096 */
    uint64_t snapshot_every;   /* commands between automatic snapshots, default 1,000,000 (0 = never) */
    int snapshot_keep;         /* snapshots kept, default 3 */
} core_options;

typedef struct core_stats {
    uint64_t submitted, applied, rejected, batches, journal_failures;
    uint64_t rejects_by_reason[1000]; /* index = reason code (< 1000) */
    uint64_t sync_ns_total, sync_ns_max, last_seq;
    uint64_t latency_buckets[16];     /* submit -> reply, bucket i: < 2^(i+4) us, last: more */
    bool journal_ok;                  /* false while the journal is failing */
} core_stats;

void core_options_default(core_options *o);

/* Create a core (nothing is read yet). NULL on bad options. */
core *core_open(const core_options *o);
/* Listeners must be added between core_open() and core_start(). */
void core_add_listener(core *c, cets_listener fn, void *ctx);
/* Recover the data directory (snapshot + journal replay; listeners see the
 * replayed events with core_replaying() true), open the journal and start
 * the core thread. 0, or -1 with err. */
int core_start(core *c, char *err, size_t errlen);
/* Stop accepting, finish the queue, sync, write a snapshot, join the thread. */
void core_stop(core *c);
void core_close(core *c);

/* Submit one command (seq and ts are filled in here) and wait until it is
 * durable and applied. Returns the engine's code, CETS_JOURNAL_FAILED if the
 * journal could not make it durable (the command was NOT applied), or
 * CETS_CAPACITY if the core is stopping. res may be NULL. */
int core_submit(core *c, cets_cmd *cmd, cets_result *res);

/* Submit without waiting (for gateways that pipeline, e.g. FIX). The
 * command is copied; seq and ts are filled in by the core. done() runs on the
 * core thread once the command is durable and applied -- after every event
 * of its batch has reached the listeners -- or refused (CETS_JOURNAL_FAILED:
 * not applied). It gets the command as journaled (seq, ts) and its result,
 * both valid only during the call. done() must be quick and must not call
 * core_submit, core_submit_async or core_read_begin. Returns 0, or
 * CETS_CAPACITY (done is then never called) if the core is stopping. */
typedef void (*core_done_fn)(void *ctx, int code, const cets_cmd *cmd, const cets_result *res);
int core_submit_async(core *c, const cets_cmd *cmd, core_done_fn done, void *ctx);

/* Shared read access to the engine. */
const cets_engine *core_read_begin(core *c);
void core_read_end(core *c);

bool core_replaying(const core *c);
void core_get_stats(core *c, core_stats *out);
/* Ask for a snapshot after the current batch (e.g. from an admin endpoint). */
void core_request_snapshot(core *c);

#endif
