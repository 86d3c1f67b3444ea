/* follower.h -- a consumer of the journal that runs beside the core, off the
 * engine thread, at its own pace: the back office's SQL projection and the
 * live audit log are followers.
 *
 * A follower keeps its own engine replica. It asks its sink where its store
 * stands (the last command the store holds, kept with the data it wrote),
 * builds the replica in that state (snapshot + journal, cets_journal_engine_at),
 * then reads the journal from the next command on (cets_journal_reader), up
 * to the last durable command, applies each to the replica and hands the
 * sink the command, its events and its result. Every `batch` commands, or
 * when it has caught up, it asks the sink to commit, which stores the rows
 * and the new position together.
 *
 * So the core never waits for it: the engine thread only publishes; and a
 * follower that fails (a database outage, a full disk) loses nothing: it
 * closes its store, waits, opens it again, reads the position the store
 * kept and starts over from there. What was committed is never done twice,
 * what was not is done again: exactly once.
 *
 * It learns of new commands by a short poll of the durable seq (poll_ms), not
 * from the bus: it needs no events from the core (it makes its own), and a
 * follower catching up, or waiting for its database, would fall a whole ring
 * behind and be cut off for nothing.
 */
#ifndef CETS_BACKOFFICE_FOLLOWER_H
#define CETS_BACKOFFICE_FOLLOWER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cets/cets.h"

typedef struct follower follower;

typedef struct follower_sink {
    const char *name; /* "sql", "audit": logs and metrics */
    void *ctx;
    /* Open the store (again, after a failure): *seq = the last command it holds. */
    int (*open)(void *ctx, uint64_t *seq, char *err, size_t errlen);
    /* The replica is in the state after *seq: load what the sink keeps in memory. */
    int (*resume)(void *ctx, const cets_engine *e, char *err, size_t errlen);
    void (*command)(void *ctx, const cets_engine *e, const cets_cmd *c); /* before apply */
    void (*event)(void *ctx, const cets_event *ev);                      /* its events */
    void (*applied)(void *ctx, const cets_engine *e, const cets_cmd *c, const cets_result *r);
    /* Store everything since the last commit with position seq, durably. 0 or -1. */
    int (*commit)(void *ctx, const cets_engine *e, uint64_t seq, char *err, size_t errlen);
    /* Drop what is not committed and close the store (after a failure, at stop). */
    void (*close)(void *ctx);
} follower_sink;

typedef struct follower_options {
    const char *dir;   /* the data directory: journal, snapshots, engine.config */
    uint32_t batch;    /* commands per commit, at most (default 4096) */
    uint32_t poll_ms;  /* when caught up, look again after this long (default 10) */
    uint32_t retry_ms; /* after a failure, try again after this long (default 1000) */
    /* The last durable command: nothing above it is read. NULL: the end of
     * the journal (a directory no process writes to). */
    uint64_t (*durable)(void *ctx);
    void *durable_ctx;
} follower_options;

typedef struct follower_stats {
    uint64_t position; /* the last command the store holds */
    uint64_t durable;  /* the last durable command when last looked */
    uint64_t commands, events, commits, failures;
    uint64_t commit_ns_total, commit_ns_max;
    bool ok;         /* false while failing */
    char error[512]; /* the last failure ("" none) */
} follower_stats;

void follower_options_default(follower_options *o);
/* Start the thread. NULL with err on bad options or no memory (the store is
 * opened by the thread, and retried there). */
follower *follower_start(const follower_options *o, const follower_sink *sink, char *err,
                         size_t errlen);
/* Stop the thread. drain: first store everything durable (bounded by
 * timeout_ms; what is left is done at the next start). Then close the store. */
void follower_stop(follower *f, bool drain, int timeout_ms);
/* Look at the durable seq now rather than at the next poll. */
void follower_wake(follower *f);
void follower_get_stats(follower *f, follower_stats *out);
/* Wait until the store holds command seq: 0, or -1 after timeout_ms. */
int follower_wait(follower *f, uint64_t seq, int timeout_ms);

#endif
