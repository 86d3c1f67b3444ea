/* pipeline.h -- the exchange's order of things, once: sequencer, journal,
 * engine, event bus.
 *
 * A command is stamped (sequence number and time) and appended to the
 * journal; a batch of them is made durable by one commit; only then is each
 * applied to the engine, whose events go to the bus; the end of the batch
 * makes them visible to every reader. An effect is never visible before its
 * cause is durable. cetsd's core thread (core.c) and `cets simulate` both run
 * commands through this and nothing else.
 *
 * A commit may be split in two (pipeline_commit_start, then _wait): with a
 * journal whose commits take a round trip (the replicated one), the core
 * starts the next batch's commit before it waits for the previous one, so
 * two batches are in flight; with the file journal, start commits at once.
 *
 * A pipeline belongs to one thread (the engine's).
 */
#ifndef CETS_CORE_PIPELINE_H
#define CETS_CORE_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend.h"
#include "bus.h"
#include "cets/cets.h"
#include "sequencer.h"

typedef struct pipeline {
    cets_engine *e;
    core_backend *backend;
    core_journal *j; /* NULL after a failed commit: reopened by the next batch */
    bus *bus;
    sequencer seq;
    sequencer batch0;        /* where the open batch began, to give its numbers back */
    size_t batch_n;          /* commands appended since the last commit started */
    sequencer started_at[2]; /* where each started, unfinished commit began, oldest first */
    int started;             /* commits started and not yet waited for (0..2) */
    char err[512];
} pipeline;

/* Set e's listener to the bus and, when open is true, open the journal after
 * e's last command (otherwise the first pipeline_add or pipeline_open does).
 * 0, or -1 with p->err. */
int pipeline_init(pipeline *p, cets_engine *e, core_backend *backend, bus *events, bool open);
/* Open the journal after the sequencer's last number, if it is not open. 0 or -1. */
int pipeline_open(pipeline *p);
void pipeline_close(pipeline *p); /* closes the journal, not the engine or the bus */

/* Stamp cmd (time ts, or later) and append it to the open batch. 0, or -1
 * with p->err (the journal could not be opened or refused it: the whole
 * batch, and any commit in flight, is then dropped, nothing of it durable). */
int pipeline_add(pipeline *p, cets_cmd *cmd, int64_t ts);
/* Make the batch durable with one commit. 0, or -1 with p->err: nothing of
 * the batch is durable, its sequence numbers are given back, and the journal
 * is closed (the next pipeline_add opens a new one). *sync_ns: the commit's
 * duration. */
int pipeline_commit(pipeline *p, uint64_t *sync_ns);
/* Whether commits may be split (the journal has commit_start). */
bool pipeline_split(const pipeline *p);
/* Start the open batch's commit; 0 and *ticket, or -1 (as pipeline_commit:
 * every unfinished commit then fails). */
int pipeline_commit_start(pipeline *p, uint64_t *ticket);
/* Wait for the oldest started commit. 0, or -1: it and every later one
 * failed (numbers given back, journal closed). */
int pipeline_commit_wait(pipeline *p, uint64_t ticket, uint64_t *sync_ns);
/* Apply one command of a committed batch; its events go to the bus. */
static inline int pipeline_apply(pipeline *p, const cets_cmd *cmd, cets_result *res)
{
    return cets_apply(p->e, cmd, res);
}
/* Prefetch what a command a few places ahead will touch (cets_prefetch). */
static inline void pipeline_prefetch(const pipeline *p, const cets_cmd *cmd)
{
    cets_prefetch(p->e, cmd);
}
/* Prefetch the orders a command two places ahead relinks (cets_prefetch_links). */
static inline void pipeline_prefetch_links(const pipeline *p, const cets_cmd *cmd)
{
    cets_prefetch_links(p->e, cmd);
}
/* The batch is applied: its events become visible to every reader. */
void pipeline_publish(pipeline *p);

#endif
