/* recover.c -- rebuilding the engine from a data directory; scanning a journal.
 *
 * Recovery is: the stored configuration, the newest snapshot that validates,
 * then every journal record after it through cets_apply(), in order, with no
 * gap. What damage may be accepted is decided in one place, walk.c. Recovery
 * changes files only after the walk has accepted the directory, and only to
 * take out what was never acknowledged: the torn tail of the last commit (cut
 * back to the last whole record, or the file removed when not even its first
 * record is left of a version 1 segment) and leftover journal-<seq>.log.tmp
 * files (segments whose first commit never completed). Damage the snapshot
 * covers is left in place, and named in the report. Everything else is
 * refused with a message and no file changed, because "repairing" it would
 * silently drop commands that were acknowledged; that takes an operator
 * (cets_journal_repair()). Segments wholly covered by the snapshot are not
 * read at all.
 */
#include "journal_int.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

int jconfig_get(const char *dir, bool has_data, const cets_config *seed, bool store,
                cets_config *out, char *err, size_t errlen)
{
    int rc = cets_data_config(dir, out, err, errlen);
    if (rc != 0) return rc < 0 ? -1 : 1;
    if (has_data)
        return jerr(err, errlen,
                    "%s: engine.config is missing but the directory holds a journal or "
                    "snapshots; refusing to guess the configuration they were made under",
                    dir);
    if (seed)
        *out = *seed;
    else
        cets_config_default(out);
    if (store && dataconfig_store(dir, out, err, errlen) != 0) return -1;
    return 0;
}

cets_engine *jsnap_newest(const char *dir, const cets_config *cfg, const uint64_t *snaps, size_t n,
                          cets_recovery *rep)
{
    for (size_t i = n; i-- > 0;) {
        char name[40], path[4096], why[300];
        jsnap_name(name, sizeof name, snaps[i]);
        snprintf(path, sizeof path, "%s/%s", dir, name);
        uint64_t seq;
        cets_engine *e = cets_snapshot_read(path, &seq, why, sizeof why);
        if (e) {
            rep->snapshot_seq = seq;
            return e;
        }
        rep->warn = 1;
        jnote(rep, "%s; skipped", why);
    }
    if (n) jnote(rep, "no valid snapshot: replaying the whole journal");
    return cets_engine_new(cfg);
}

/* Replay runs on two threads: a reader walks the journal (reads, checks,
 * decodes: about a third of a replay's time on one thread) into a ring of
 * batches while the caller's thread applies the batches before it, in order,
 * each command exactly once (cets_apply_batch prefetches what the next ones
 * touch). Rejections are part of the history too. The engine and the
 * listener stay on the caller's thread; the walk's report and error are read
 * only once the reader has ended. When no thread can be started the walk
 * runs on the caller's thread and applies each batch as it fills. */
bool jreplay_threads = true;

#define REPLAY_BATCH 1024
#define REPLAY_SLOTS 4
#define REPLAY_TAPE_RESERVE 4 /* chunks of the trade tape cleared ahead: 87,380 trades */
typedef struct replay {
    cets_engine *e;
    jwalk *w;
    int wrc; /* jwalk_run's */
    bool threaded, done;
    bool tape;         /* the engine keeps a trade tape */
    double read_cpu_s; /* the reader's CPU time, when it ends */
    pthread_mutex_t mu;
    pthread_cond_t filled, freed;
    uint64_t head, tail; /* batches handed over, batches applied */
    size_t fill;         /* commands in batch head so far */
    size_t n[REPLAY_SLOTS];
    cets_cmd cmds[REPLAY_SLOTS][REPLAY_BATCH];
} replay;

/* Hand batch head over, and wait until the next one is free. Meanwhile the
 * trade tape's next chunks are cleared here rather than by the applying
 * thread (cets_tape_reserve), when the engine keeps one. */
static void replay_hand_over(replay *r)
{
    cets_cmd *b = r->cmds[r->head % REPLAY_SLOTS];
    if (!r->threaded) {
        cets_apply_batch(r->e, b, r->fill, NULL);
        r->fill = 0;
        return;
    }
    pthread_mutex_lock(&r->mu);
    r->n[r->head % REPLAY_SLOTS] = r->fill;
    r->head++;
    r->fill = 0;
    pthread_cond_signal(&r->filled);
    pthread_mutex_unlock(&r->mu);
    if (r->tape) cets_tape_reserve(REPLAY_TAPE_RESERVE);
    pthread_mutex_lock(&r->mu);
    while (r->head - r->tail == REPLAY_SLOTS) pthread_cond_wait(&r->freed, &r->mu);
    pthread_mutex_unlock(&r->mu);
}

/* The walk decodes each record straight into the batch's next place
 * (w->into): a copy of 208 bytes less per command, an eighth of the reader's
 * time. */
static int replay_push(void *ctx, const cets_cmd *cmd)
{
    replay *r = ctx;
    cets_cmd *at = &r->cmds[r->head % REPLAY_SLOTS][r->fill];
    if (cmd != at) *at = *cmd;
    if (++r->fill == REPLAY_BATCH) replay_hand_over(r);
    r->w->into = &r->cmds[r->head % REPLAY_SLOTS][r->fill];
    return 0;
}

/* CPU seconds of the calling thread. */
static double thread_cpu_s(void)
{
    struct timespec t;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t) != 0) return 0;
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* The walk, and the last batch; then no more. */
static void *replay_read(void *arg)
{
    replay *r = arg;
    r->wrc = jwalk_run(r->w);
    if (r->fill) replay_hand_over(r);
    if (r->threaded) {
        r->read_cpu_s = thread_cpu_s(); /* a thread of its own: all of it is the walk's */
        pthread_mutex_lock(&r->mu);
        /* Once every batch is applied, the reserve filled again (when any
           was replayed): the engine leaves recovery with its next chunks
           cleared. Filled while the applier still ran, its new days' chunks
           came out of it, and how many were left (0-4) depended on the two
           threads' timing. */
        while (r->tail != r->head) pthread_cond_wait(&r->freed, &r->mu);
        pthread_mutex_unlock(&r->mu);
        if (r->tape && r->head) cets_tape_reserve(REPLAY_TAPE_RESERVE);
        pthread_mutex_lock(&r->mu);
        r->done = true;
        pthread_cond_signal(&r->filled);
        pthread_mutex_unlock(&r->mu);
    }
    return NULL;
}

/* Apply every batch the reader hands over, until it is done. */
static void replay_apply_all(replay *r)
{
    pthread_mutex_lock(&r->mu);
    for (;;) {
        while (r->tail == r->head && !r->done) pthread_cond_wait(&r->filled, &r->mu);
        if (r->tail == r->head) break;
        size_t k = r->tail % REPLAY_SLOTS;
        pthread_mutex_unlock(&r->mu);
        cets_apply_batch(r->e, r->cmds[k], r->n[k], NULL);
        pthread_mutex_lock(&r->mu);
        r->tail++;
        pthread_cond_signal(&r->freed);
    }
    pthread_mutex_unlock(&r->mu);
}

/* Walk w into e. jwalk_run's result; the threads' CPU time in rep. */
static int replay_run(cets_engine *e, jwalk *w, bool threads, cets_recovery *rep, char *err,
                      size_t errlen)
{
    replay *r = malloc(sizeof *r);
    if (!r) return jerr(err, errlen, "%s: out of memory", w->dir);
    r->e = e;
    r->tape = cets_engine_config(e)->keep_trades;
    r->w = w;
    r->wrc = 0;
    r->done = false;
    r->read_cpu_s = 0;
    r->head = r->tail = 0;
    r->fill = 0;
    w->fn = replay_push;
    w->ctx = r;
    w->into = &r->cmds[0][0];
    r->mu = (pthread_mutex_t)PTHREAD_MUTEX_INITIALIZER;
    r->filled = r->freed = (pthread_cond_t)PTHREAD_COND_INITIALIZER;
    pthread_t th;
    /* set before the reader starts: it reads it */
    r->threaded = threads;
    if (r->threaded && pthread_create(&th, NULL, replay_read, r) != 0) r->threaded = false;
    if (r->threaded) {
        double t0 = thread_cpu_s();
        replay_apply_all(r);
        rep->apply_cpu_s = thread_cpu_s() - t0;
        pthread_join(th, NULL);
        rep->read_cpu_s = r->read_cpu_s;
    } else {
        replay_read(r);
    }
    int rc = r->wrc;
    free(r);
    return rc;
}

/* Cut the torn tail the walk found (the last segment), and say so. */
static int recover_cut(const char *dir, const jseg *s, const jcut *c, cets_recovery *rep, char *err,
                       size_t errlen)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, s->name);
    rep->warn = 1;
    rep->truncated_bytes += c->size - (c->off <= JSEG_HDR ? 0 : c->off);
    rep->truncated_records += c->records;
    if (c->off <= JSEG_HDR) { /* not even a first record: the file goes (version 1 only) */
        if (unlink(path) != 0 || durable_sync_dir(dir) != 0)
            return jerr(err, errlen, "%s: cannot remove: %s", path, strerror(errno));
        jnote(rep, "%s: %s, no records: removed", s->name, c->bad);
        return 0;
    }
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || ftruncate(fd, (off_t)c->off) != 0 || fsync(fd) != 0) {
        int saved = errno;
        if (fd >= 0) close(fd);
        return jerr(err, errlen, "%s: cannot cut the torn tail: %s", path, strerror(saved));
    }
    close(fd);
    jnote(rep,
          "%s: torn record at offset %" PRIu64 " (after seq %" PRIu64 "); cut %" PRIu64
          " bytes (%s)",
          s->name, c->off, c->first_seq - 1, c->size - c->off, c->bad);
    if (c->records)
        jnote(rep,
              "with it went seq %" PRIu64 "..%" PRIu64 ", %" PRIu64 " of them whole records "
              "after the damage, of the same unacknowledged commit",
              c->first_seq, c->last_seq, c->records);
    return 0;
}

/* Remove journal-<seq>.log.tmp files: segments whose first commit never completed. */
static int recover_tidy(const char *dir, cets_recovery *rep, char *err, size_t errlen)
{
    jseg *tmp;
    size_t n;
    if (jseg_list_tmp(dir, &tmp, &n, err, errlen) != 0) return -1;
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, tmp[i].name);
        if (unlink(path) != 0) {
            free(tmp);
            return jerr(err, errlen, "%s: cannot remove: %s", path, strerror(errno));
        }
        rep->warn = 1;
        jnote(rep, "%s: a segment whose first commit never completed: removed", tmp[i].name);
    }
    free(tmp);
    if (n && durable_sync_dir(dir) != 0)
        return jerr(err, errlen, "%s: cannot sync the directory: %s", dir, strerror(errno));
    return 0;
}

/* Exclusive use of the directory while we may cut files in it; shared for a
 * check, which changes nothing but must not read a journal being written. */
int jlock_dir(const char *dir, bool exclusive, char *err, size_t errlen)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return jerr(err, errlen, "%s: cannot open: %s", dir, strerror(errno));
    if (flock(fd, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) != 0) {
        close(fd);
        return jerr(err, errlen, "%s: the data directory is in use by an open journal", dir);
    }
    return fd;
}

cets_engine *cets_recover(const char *dir, const cets_config *cfg, cets_listener fn, void *ctx,
                          cets_recovery *rep, char *err, size_t errlen)
{
    cets_recovery scratch;
    if (!rep) rep = &scratch;
    memset(rep, 0, sizeof *rep);
    if (durable_mkdir(dir, err, errlen) != 0) return NULL;
    int lock = jlock_dir(dir, true, err, errlen);
    if (lock < 0) return NULL;
    jseg *segs = NULL;
    uint64_t *snaps = NULL;
    size_t nsegs = 0, nsnaps = 0;
    cets_engine *e = NULL;
    cets_config c;
    if (jseg_list(dir, &segs, &nsegs, err, errlen) != 0 ||
        jsnap_list(dir, &snaps, &nsnaps, err, errlen) != 0 ||
        jconfig_get(dir, nsegs + nsnaps > 0, cfg, true, &c, err, errlen) < 0)
        goto done;
    e = jsnap_newest(dir, &c, snaps, nsnaps, rep);
    if (!e) {
        jerr(err, errlen, "%s: cannot create the engine (out of memory?)", dir);
        goto done;
    }
    cets_engine_set_listener(e, fn, ctx);
    jwalk w = {.dir = dir,
               .segs = segs,
               .n = nsegs,
               .skip = rep->snapshot_seq,
               .rep = rep,
               .err = err,
               .errlen = errlen};
    int wrc = replay_run(e, &w, jreplay_threads, rep, err, errlen);
    if (wrc != 0 || (w.torn && recover_cut(dir, &segs[w.cut.seg], &w.cut, rep, err, errlen) != 0) ||
        recover_tidy(dir, rep, err, errlen) != 0) {
        cets_engine_free(e);
        e = NULL;
        goto done;
    }
    if (w.damaged) rep->warn = 1;
    rep->replayed = w.applied;
    rep->last_seq = w.expect - 1;
    jnote(rep, "recovered to seq %" PRIu64 " (snapshot %" PRIu64 ", %" PRIu64 " records replayed)",
          rep->last_seq, rep->snapshot_seq, rep->replayed);
done:
    free(segs);
    free(snaps);
    close(lock);
    return e;
}

/* ---- scan -------------------------------------------------------------- */

long cets_journal_scan(const char *dir, uint64_t from_seq,
                       int (*fn)(void *ctx, const cets_cmd *cmd), void *ctx, char *err,
                       size_t errlen)
{
    jerr(err, errlen, "%s", "");
    jseg *segs;
    size_t n;
    if (jseg_list(dir, &segs, &n, err, errlen) != 0) return -1;
    cets_recovery notes;
    memset(&notes, 0, sizeof notes);
    char why[1024] = "";
    jwalk w = {.dir = dir,
               .segs = segs,
               .n = n,
               .skip = from_seq ? from_seq - 1 : 0,
               .fn = fn,
               .ctx = ctx,
               .rep = &notes,
               .err = why,
               .errlen = sizeof why};
    int rc = jwalk_run(&w);
    if (rc < 0)
        jerr(err, errlen, "%s", why);
    else if (w.torn)
        jerr(err, errlen, "%s: %s at offset %" PRIu64 " (a torn tail, not read)",
             segs[w.cut.seg].name, w.cut.bad, w.cut.off);
    else if (notes.message[0])
        jerr(err, errlen, "%s", notes.message);
    free(segs);
    return rc < 0 ? -1 : (long)w.applied;
}
