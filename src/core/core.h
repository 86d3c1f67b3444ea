/* core.h -- the exchange core: sequencer -> journal -> engine -> event bus,
 * on one engine thread. Every gateway (HTTP, WebSocket, FIX) and every tool
 * runs the engine through it.
 *
 * Gateways call core_submit() or core_submit_async() from their own threads.
 * The engine thread drains the queue of submitted commands, runs the batch
 * through the pipeline (pipeline.h: stamp, journal, one commit, apply) and
 * only then answers the submitters. So no command is acknowledged before it
 * is durable, and the engine stays single-threaded.
 *
 * Reads: core_read_begin() takes a shared lock on the engine (the engine
 * thread takes it exclusively while applying a batch); keep read sections
 * short.
 *
 * Events: the engine's events go to the core's bus (bus.h). Readers join it
 * at any time. A reader that joined before core_start() sees the events of
 * the recovery replay (core_replaying() is true while they come).
 */
#ifndef CETS_CORE_CORE_H
#define CETS_CORE_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend.h"
#include "bus.h"
#include "cets/cets.h"

typedef struct core core;

typedef struct core_options {
    const char *data_dir; /* journal (file backend), snapshots, engine.config */
    cets_config cfg;      /* seeds a fresh data directory only */
    uint32_t max_batch;   /* commands per group commit, default 4096 */
    uint64_t
        snapshot_every;    /* commands between automatic snapshots, default 1,000,000 (0 = never) */
    int snapshot_keep;     /* snapshots kept, default 3 */
    uint32_t bus_events;   /* capacity of the event bus, default BUS_DEFAULT_CAPACITY */
    core_backend *backend; /* NULL: the file journal in data_dir (the core frees it) */
    bool standby;          /* cluster mode: start as a standby (core_promote to lead) */
    bool demote_on_failure; /* cluster mode: a failed commit makes the leader a standby */
    cets_surveil *surveil;  /* at core_start: the snapshot's surveillance (fed the replay after
                               it) moved into it, else fed the file journal from its start;
                               then attached to the engine (NULL: none) */
} core_options;

/* A leader sequences and journals commands; a standby refuses them
 * (CETS_NOT_LEADER) and applies what core_replicate() hands it. */
typedef enum core_role { CORE_LEADER = 0, CORE_STANDBY = 1 } core_role;

typedef struct core_stats {
    uint64_t submitted, applied, rejected, batches, journal_failures;
    uint64_t rejects_by_reason[1000]; /* index = reason code (< 1000) */
    uint64_t sync_ns_total, sync_ns_max, last_seq;
    uint64_t latency_buckets[16]; /* submit -> reply, bucket i: < 2^(i+4) us, last: more */
    uint64_t snapshots, snapshot_failures;
    bool journal_ok; /* false while the journal is failing */
} core_stats;

void core_options_default(core_options *o);

/* Create a core (nothing is read yet). NULL on bad options. */
core *core_open(const core_options *o);
/* The bus the engine's events go to (valid from core_open to core_close). */
bus *core_bus(core *c);
/* Recover (snapshot + journal replay), open the journal and start the engine
 * thread. 0, or -1 with err. */
int core_start(core *c, char *err, size_t errlen);
/* Stop accepting, finish the queue, sync, write a snapshot, join the thread. */
void core_stop(core *c);
void core_close(core *c);

/* Submit one command (seq and ts are filled in here) and wait until it is
 * durable and applied. Returns the engine's code, CETS_JOURNAL_FAILED if the
 * journal could not make it durable (the command was NOT applied), or
 * CETS_CAPACITY if the core is stopping. res may be NULL. */
int core_submit(core *c, cets_cmd *cmd, cets_result *res);

/* Submit n commands (n <= CORE_BATCH_MAX) as one group: they are stamped,
 * journaled and committed in the same journal batch, in the order given,
 * and this returns once all of them are durable and applied (one wake-up
 * for the group). codes[i] and res[i] are command i's. Returns 0, or
 * CETS_CAPACITY / CETS_NOT_LEADER when nothing was submitted (every codes[i]
 * is then that code). */
#define CORE_BATCH_MAX 65536
int core_submit_batch(core *c, cets_cmd *cmds, cets_result *res, int *codes, size_t n);

/* Submit without waiting (for gateways that pipeline, e.g. FIX). The
 * command is copied; seq and ts are filled in by the core. done() runs on the
 * engine thread once the command is durable and applied -- after every event
 * of its batch is on the bus -- or refused (CETS_JOURNAL_FAILED: not
 * applied). It gets the command as journaled (seq, ts) and its result, both
 * valid only during the call. done() must be quick and must not call
 * core_submit, core_submit_async or core_read_begin. Returns 0, or
 * CETS_CAPACITY (done is then never called) if the core is stopping. */
typedef void (*core_done_fn)(void *ctx, int code, const cets_cmd *cmd, const cets_result *res);
int core_submit_async(core *c, const cets_cmd *cmd, core_done_fn done, void *ctx);

/* core_submit_batch() without waiting: the n commands are copied and
 * submitted as one group (one journal batch); done() runs once on the engine
 * thread when all of them are durable and applied -- or refused
 * (CETS_JOURNAL_FAILED) -- with each command's code, the commands as
 * journaled and their results (valid only during the call), under the same
 * rules as core_submit_async()'s done(). Returns 0, or CETS_CAPACITY /
 * CETS_NOT_LEADER (done is then never called). */
typedef void (*core_group_done_fn)(void *ctx, size_t n, const int *codes, const cets_cmd *cmds,
                                   const cets_result *res);
int core_submit_batch_async(core *c, const cets_cmd *cmds, size_t n, core_group_done_fn done,
                            void *ctx);

/* fn(arg) runs on the engine thread after the done() calls of each batch
 * that had asynchronous submissions in it (once per batch, after the last
 * done()): a gateway that collects its completions in done() hands them on
 * there at once -- one wake-up per batch. Quick, like done(). One hook per
 * core; NULL removes it. A change waits until a hook running meanwhile has
 * returned, so after removing it its arg may be freed. */
void core_set_batch_hook(core *c, void (*fn)(void *arg), void *arg);

/* Shared read access to the engine. */
const cets_engine *core_read_begin(core *c);
void core_read_end(core *c);

bool core_replaying(const core *c);
void core_get_stats(core *c, core_stats *out);
/* Write a snapshot now, on the engine thread between two batches, and wait
 * for it. 0 and *seq = the state's last command, or -1 with err (logged and
 * counted). */
int core_snapshot(core *c, uint64_t *seq, char *err, size_t errlen);

/* ---- cluster mode (src/cluster drives these) ------------------------------ */
core_role core_get_role(core *c);
/* Become the leader: between two batches the engine thread opens a journal
 * after the engine's last command (a replicated backend fences it there).
 * 0, or -1 with err: still a standby. */
int core_promote(core *c, char *err, size_t errlen);
/* Become a standby: the journal is closed, commands are refused. */
void core_demote(core *c);
/* A standby applies n commands the leader made durable (stamped, in order,
 * continuing the engine's sequence), as one batch, and returns once their
 * events are on the bus. 0, or -1 with err (a gap, or not a standby). */
int core_replicate(core *c, const cets_cmd *cmds, size_t n, char *err, size_t errlen);
/* Where the leader is (said to clients a standby refuses); "" = unknown. */
void core_set_leader(core *c, const char *where);
void core_get_leader(core *c, char *out, size_t len);

#endif
