/* pipeline.c -- see pipeline.h. */
#include "pipeline.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static int64_t mono_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static int journal_open(pipeline *p)
{
    char err[400];
    p->j = p->backend->open(p->backend, p->seq.next_seq, err, sizeof err);
    if (!p->j) {
        snprintf(p->err, sizeof p->err, "cannot open the journal at seq %llu: %s",
                 (unsigned long long)p->seq.next_seq, err);
        return -1;
    }
    return 0;
}

int pipeline_init(pipeline *p, cets_engine *e, core_backend *backend, bus *events, bool open)
{
    memset(p, 0, sizeof *p);
    p->e = e;
    p->backend = backend;
    p->bus = events;
    sequencer_init(&p->seq, e);
    p->batch0 = p->seq;
    cets_engine_set_listener(e, events ? bus_publish : NULL, events);
    return open ? journal_open(p) : 0;
}

int pipeline_open(pipeline *p)
{
    if (p->j) return 0;
    return journal_open(p);
}

void pipeline_close(pipeline *p)
{
    core_journal_close(p->j);
    p->j = NULL;
}

/* Nothing unfinished is durable: close the journal, give the numbers back. */
static void batch_drop(pipeline *p)
{
    core_journal_close(p->j);
    p->j = NULL;
    sequencer s = p->started ? p->started_at[0] : p->batch0;
    sequencer_rewind(&p->seq, s.next_seq, s.last_ts);
    p->batch_n = 0;
    p->started = 0;
}

int pipeline_add(pipeline *p, cets_cmd *cmd, int64_t ts)
{
    if (p->batch_n == 0) p->batch0 = p->seq;
    if (!p->j && journal_open(p) != 0) return -1;
    sequencer_stamp(&p->seq, cmd, ts);
    if (core_journal_append(p->j, cmd) != 0) {
        snprintf(p->err, sizeof p->err, "journal append of seq %llu failed: %s",
                 (unsigned long long)cmd->seq, core_journal_error(p->j));
        batch_drop(p);
        return -1;
    }
    p->batch_n++;
    return 0;
}

bool pipeline_split(const pipeline *p)
{
    return p->j && p->j->ops->commit_start;
}

int pipeline_commit_start(pipeline *p, uint64_t *ticket)
{
    *ticket = 0;
    if (p->batch_n == 0) return 0;
    assert(p->j && p->started < 2);
    int rc =
        p->j->ops->commit_start ? p->j->ops->commit_start(p->j, ticket) : core_journal_commit(p->j);
    if (rc != 0) {
        snprintf(p->err, sizeof p->err, "journal commit failed: %s", core_journal_error(p->j));
        batch_drop(p);
        return -1;
    }
    if (p->j->ops->commit_start) p->started_at[p->started++] = p->batch0;
    p->batch_n = 0;
    return 0;
}

int pipeline_commit_wait(pipeline *p, uint64_t ticket, uint64_t *sync_ns)
{
    if (!p->started) return p->j || ticket == 0 ? 0 : -1;
    int64_t t0 = mono_ns();
    int rc = p->j ? p->j->ops->commit_wait(p->j, ticket) : -1;
    if (sync_ns) *sync_ns = (uint64_t)(mono_ns() - t0);
    if (rc != 0) {
        snprintf(p->err, sizeof p->err, "journal commit failed: %s",
                 p->j ? core_journal_error(p->j) : "the journal was closed");
        batch_drop(p);
        return -1;
    }
    p->started_at[0] = p->started_at[1];
    p->started--;
    return 0;
}

int pipeline_commit(pipeline *p, uint64_t *sync_ns)
{
    int64_t t0 = mono_ns();
    uint64_t ticket;
    int rc = pipeline_commit_start(p, &ticket);
    if (rc == 0) rc = pipeline_commit_wait(p, ticket, NULL);
    if (sync_ns) *sync_ns = (uint64_t)(mono_ns() - t0);
    return rc;
}

void pipeline_publish(pipeline *p)
{
    if (p->bus) bus_batch_end(p->bus);
}
