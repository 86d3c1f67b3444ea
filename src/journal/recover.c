/* recover.c -- rebuilding the engine from a data directory; scanning a journal.
 *
 * Recovery is: the stored configuration, the newest snapshot that validates,
 * then every journal record after it through cets_apply(), in order, with no
 * gap. Its one repair is the torn tail: a crash in the middle of a commit
 * leaves part of a batch at the end of the last segment, never acknowledged,
 * and recovery cuts it off and says so. Everything else that looks wrong is
 * refused with a message and no file changed, because "repairing" a journal
 * in the middle would silently drop commands that were acknowledged:
 *   - a bad record in any segment but the last;
 *   - a bad record in the last segment followed by valid ones (see segment.c);
 *   - a break in the sequence numbers;
 *   - a journal or snapshot without engine.config.
 * Segments wholly covered by the snapshot are not read at all.
 */
#include "journal_int.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <unistd.h>

typedef struct replay {
    cets_engine *e;
    uint64_t skip;   /* records up to this seq are in the snapshot */
    uint64_t expect; /* seq of the next record to apply */
    uint64_t replayed;
    const char *seg;
    char *err;
    size_t errlen;
} replay;

/* Append a note to the report, "; "-separated; a long report is cut short. */
static void recover_note(cets_recovery *rep, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void recover_note(cets_recovery *rep, const char *fmt, ...)
{
    size_t used = strlen(rep->message);
    if (used + 3 >= sizeof rep->message)
        return;
    if (used) {
        memcpy(rep->message + used, "; ", 3);
        used += 2;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rep->message + used, sizeof rep->message - used, fmt, ap);
    va_end(ap);
}

/* The stored configuration; on a fresh directory, store cfg first. */
static int recover_config(const char *dir, const cets_config *cfg, bool has_data,
                          cets_config *out, char *err, size_t errlen)
{
    int rc = cets_data_config(dir, out, err, errlen);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    if (has_data)
        return jerr(err, errlen,
                    "%s: engine.config is missing but the directory holds a journal or "
                    "snapshots; refusing to guess the configuration they were made under",
                    dir);
    if (cfg)
        *out = *cfg;
    else
        cets_config_default(out);
    return dataconfig_store(dir, out, err, errlen);
}

/* Newest snapshot that validates, else a new engine. */
static cets_engine *recover_snapshot(const char *dir, const cets_config *cfg,
                                     const uint64_t *snaps, size_t n, cets_recovery *rep)
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
        recover_note(rep, "%s; skipped", why);
    }
    if (n)
        recover_note(rep, "no valid snapshot: replaying the whole journal");
    return cets_engine_new(cfg);
}

static int replay_one(void *ctx, const cets_cmd *cmd)
{
    replay *r = ctx;
    if (cmd->seq <= r->skip)
        return 0;
    if (cmd->seq != r->expect)
        return jerr(r->err, r->errlen,
                    "%s: sequence gap: first record after seq %" PRIu64 " is seq %" PRIu64,
                    r->seg, r->expect - 1, cmd->seq);
    cets_apply(r->e, cmd, NULL); /* rejections are part of the history too */
    r->expect++;
    r->replayed++;
    return 0;
}

/* A bad record at rd->end of segment s: cut a torn tail, refuse anything else. */
static int recover_tail(const char *dir, const jseg *s, const jread *rd, bool last,
                        uint64_t after, cets_recovery *rep, char *err, size_t errlen)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, s->name);
    if (!last)
        return jerr(err, errlen,
                    "%s: %s at offset %" PRIu64 " (after seq %" PRIu64 ") in a segment that is "
                    "not the last: refusing to recover; nothing was changed",
                    s->name, rd->bad, rd->end, after);
    if (rd->resumes)
        return jerr(err, errlen,
                    "%s: %s at offset %" PRIu64 " (after seq %" PRIu64 "), but a valid record "
                    "follows at offset %" PRIu64 ": corruption, not a torn write; refusing to "
                    "cut acknowledged commands; nothing was changed",
                    s->name, rd->bad, rd->end, after, rd->resumes);
    if (rd->size < JSEG_HDR) { /* a crash while creating it: no record can be inside */
        if (unlink(path) != 0 || durable_sync_dir(dir) != 0)
            return jerr(err, errlen, "%s: cannot remove: %s", path, strerror(errno));
        recover_note(rep, "%s: %s, no records: removed", s->name, rd->bad);
        return 0;
    }
    uint64_t cut = rd->size - rd->end;
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || ftruncate(fd, (off_t)rd->end) != 0 || fsync(fd) != 0) {
        int saved = errno;
        if (fd >= 0)
            close(fd);
        return jerr(err, errlen, "%s: cannot cut the torn tail: %s", path, strerror(saved));
    }
    close(fd);
    rep->truncated_bytes += cut;
    recover_note(rep,
                 "%s: torn record at offset %" PRIu64 " (after seq %" PRIu64 "); cut %" PRIu64
                 " bytes (%s)",
                 s->name, rd->end, after, cut, rd->bad);
    return 0;
}

static int recover_replay(const char *dir, const jseg *segs, size_t n, replay *r,
                          cets_recovery *rep, char *err, size_t errlen)
{
    uint64_t last_seen = 0; /* seq of the last whole record read, 0 if unknown */
    const char *last_name = NULL;
    for (size_t i = 0; i < n; i++) {
        bool last = i + 1 == n;
        if (!last && segs[i + 1].first_seq <= r->skip + 1) { /* all in the snapshot */
            last_seen = 0;
            continue;
        }
        if (last_seen && segs[i].first_seq != last_seen + 1 && segs[i].first_seq > r->skip + 1)
            return jerr(err, errlen,
                        "sequence break: %s ends at seq %" PRIu64 ", %s starts at seq %" PRIu64,
                        last_name, last_seen, segs[i].name, segs[i].first_seq);
        r->seg = segs[i].name;
        jread rd;
        if (jseg_read(dir, &segs[i], replay_one, r, &rd, err, errlen) != 0)
            return -1;
        if (rd.records) {
            last_seen = rd.last_seq;
            last_name = segs[i].name;
        }
        if (rd.bad[0] &&
            recover_tail(dir, &segs[i], &rd, last, last_seen, rep, err, errlen) != 0)
            return -1;
    }
    return 0;
}

/* Exclusive use of the directory while we may cut files in it. */
static int recover_lock(const char *dir, char *err, size_t errlen)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return jerr(err, errlen, "%s: cannot open: %s", dir, strerror(errno));
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        close(fd);
        return jerr(err, errlen, "%s: the data directory is in use by an open journal", dir);
    }
    return fd;
}

cets_engine *cets_recover(const char *dir, const cets_config *cfg, cets_listener fn, void *ctx,
                          cets_recovery *rep, char *err, size_t errlen)
{
    cets_recovery scratch;
    if (!rep)
        rep = &scratch;
    memset(rep, 0, sizeof *rep);
    if (durable_mkdir(dir, err, errlen) != 0)
        return NULL;
    int lock = recover_lock(dir, err, errlen);
    if (lock < 0)
        return NULL;
    jseg *segs = NULL;
    uint64_t *snaps = NULL;
    size_t nsegs = 0, nsnaps = 0;
    cets_engine *e = NULL;
    cets_config c;
    if (jseg_list(dir, &segs, &nsegs, err, errlen) != 0 ||
        jsnap_list(dir, &snaps, &nsnaps, err, errlen) != 0 ||
        recover_config(dir, cfg, nsegs + nsnaps > 0, &c, err, errlen) != 0)
        goto done;
    e = recover_snapshot(dir, &c, snaps, nsnaps, rep);
    if (!e) {
        jerr(err, errlen, "%s: cannot create the engine (out of memory?)", dir);
        goto done;
    }
    cets_engine_set_listener(e, fn, ctx);
    replay r = {.e = e, .skip = rep->snapshot_seq, .expect = rep->snapshot_seq + 1,
                .err = err, .errlen = errlen};
    if (recover_replay(dir, segs, nsegs, &r, rep, err, errlen) != 0) {
        cets_engine_free(e);
        e = NULL;
        goto done;
    }
    rep->replayed = r.replayed;
    rep->last_seq = r.expect - 1;
    recover_note(rep, "recovered to seq %" PRIu64 " (snapshot %" PRIu64 ", %" PRIu64
                      " records replayed)", rep->last_seq, rep->snapshot_seq, rep->replayed);
done:
    free(segs);
    free(snaps);
    close(lock);
    return e;
}

/* ---- scan -------------------------------------------------------------- */

typedef struct scan {
    int (*fn)(void *ctx, const cets_cmd *cmd);
    void *ctx;
    uint64_t from;
    long count;
} scan;

static int scan_one(void *ctx, const cets_cmd *cmd)
{
    scan *s = ctx;
    if (cmd->seq < s->from)
        return 0;
    s->count++;
    return s->fn && s->fn(s->ctx, cmd) ? 1 : 0;
}

long cets_journal_scan(const char *dir, uint64_t from_seq,
                       int (*fn)(void *ctx, const cets_cmd *cmd), void *ctx, char *err,
                       size_t errlen)
{
    jerr(err, errlen, "%s", "");
    jseg *segs;
    size_t n;
    if (jseg_list(dir, &segs, &n, err, errlen) != 0)
        return -1;
    scan s = {fn, ctx, from_seq, 0};
    uint64_t last_seen = 0;
    long rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (i + 1 < n && segs[i + 1].first_seq <= from_seq) {
            last_seen = 0;
            continue;
        }
        if (last_seen && segs[i].first_seq != last_seen + 1) {
            rc = jerr(err, errlen, "sequence break: seq %" PRIu64 ", then %s", last_seen,
                      segs[i].name);
            break;
        }
        jread rd;
        int r = jseg_read(dir, &segs[i], scan_one, &s, &rd, err, errlen);
        if (r < 0)
            rc = -1;
        else if (r > 0)
            break; /* fn asked to stop */
        else if (rd.bad[0]) {
            rc = jerr(err, errlen, "%s: %s at offset %" PRIu64, segs[i].name, rd.bad, rd.end);
            if (i + 1 == n)
                rc = 1; /* a bad tail ends the scan; err describes it */
        }
        if (rd.records)
            last_seen = rd.last_seq;
    }
    free(segs);
    return rc < 0 ? -1 : s.count;
}
