/* backend.h -- where the core's journal lives, behind one interface.
 *
 * The core needs two things of a journal: rebuild the engine from it at
 * start (recover), and append batches of stamped commands, each made durable
 * by one commit (group commit). The file journal (src/journal, one data
 * directory) is the embedded default; the cluster mode adds a replicated
 * backend with the same contract:
 *  - append() only buffers; commit() returns 0 only when everything appended
 *    since the last commit is durable. A failed commit is final for that
 *    journal: the core closes it, reports the batch as not accepted
 *    (CETS_JOURNAL_FAILED), and opens a new one for the next batch.
 *  - recover() returns the engine at the end of the durable log, with the
 *    listener set (it sees the replayed events), and fills rep.
 */
#ifndef CETS_CORE_BACKEND_H
#define CETS_CORE_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "cets/cets.h"
#include "cets/journal.h"

typedef struct core_journal core_journal;

typedef struct core_journal_ops {
    int (*append)(core_journal *j, const cets_cmd *cmd);
    int (*commit)(core_journal *j);
    const char *(*error)(const core_journal *j);
    void (*stats)(const core_journal *j, cets_journal_stats *out);
    void (*close)(core_journal *j);
    /* Optional, for a journal whose commits take a round trip (replicated):
     * commit_start sends what was appended since the last start and returns
     * at once with a ticket; commit_wait(ticket) returns 0 once that commit is
     * durable. Commits complete in the order they started, and at most two are
     * in flight: the core starts the next batch's commit before it waits for
     * the one before. A failure (of either) is final, as for commit(). NULL:
     * the core calls commit() and has one batch in flight. */
    int (*commit_start)(core_journal *j, uint64_t *ticket);
    int (*commit_wait)(core_journal *j, uint64_t ticket);
} core_journal_ops;

struct core_journal {
    const core_journal_ops *ops;
};

typedef struct core_backend core_backend;
struct core_backend {
    const char *name; /* "file" */
    cets_engine *(*recover)(core_backend *b, const cets_config *cfg, cets_listener fn, void *ctx,
                            cets_recovery *rep, char *err, size_t errlen);
    /* A journal whose next append must carry next_seq. NULL with err. */
    core_journal *(*open)(core_backend *b, uint64_t next_seq, char *err, size_t errlen);
    void (*free)(core_backend *b);
};

/* The file journal in a data directory (src/journal). */
core_backend *core_backend_file(const char *dir);

static inline int core_journal_append(core_journal *j, const cets_cmd *c)
{
    return j->ops->append(j, c);
}
static inline int core_journal_commit(core_journal *j)
{
    return j->ops->commit(j);
}
static inline const char *core_journal_error(const core_journal *j)
{
    return j->ops->error(j);
}
static inline void core_journal_close(core_journal *j)
{
    if (j) j->ops->close(j);
}

#endif
