/* repair.c -- what recovery would do, and the operator's cut when it refuses.
 *
 * cets_journal_check() runs recovery's judgement (walk.c) without an engine
 * and without changing anything, under a shared lock so it never reads a
 * journal being written. cets_journal_repair() is the one way past a
 * refusal, and it is explicit: it cuts the journal where the first damage
 * that recovery does not accept begins, so the commands from there on are
 * given up by an operator's decision rather than silently. Nothing is
 * destroyed: the bytes cut from the segment are kept in
 * <segment>.cut-<offset> and later segments are renamed <segment>.cut-0,
 * names recovery does not read. The order of the steps keeps a crash in the
 * middle harmless: the copy is synced before anything is cut, later segments
 * go before the damaged one is shortened, and running the repair again
 * finishes the work.
 */
#include "journal_int.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct jplan {
    jseg *segs;
    size_t n;
    uint64_t *snaps;
    size_t nsnaps;
    jwalk w;
} jplan;

static void plan_free(jplan *p)
{
    free(p->segs);
    free(p->snaps);
    p->segs = NULL;
    p->snaps = NULL;
}

/* Judge dir as cets_recover() would, changing nothing: 0 it would recover,
 * 1 it would refuse (err), -1 the directory cannot be read (err). */
static int plan_make(const char *dir, jplan *p, cets_recovery *rep, char *err, size_t errlen)
{
    memset(p, 0, sizeof *p);
    p->w.cut.seg = SIZE_MAX;
    if (jseg_list(dir, &p->segs, &p->n, err, errlen) != 0 ||
        jsnap_list(dir, &p->snaps, &p->nsnaps, err, errlen) != 0)
        return -1;
    cets_config c;
    if (jconfig_get(dir, p->n + p->nsnaps > 0, NULL, false, &c, err, errlen) < 0) return 1;
    cets_engine *e = jsnap_newest(dir, &c, p->snaps, p->nsnaps, rep);
    if (!e) return jerr(err, errlen, "%s: out of memory", dir);
    cets_engine_free(e);
    p->w = (jwalk){.dir = dir,
                   .segs = p->segs,
                   .n = p->n,
                   .skip = rep->snapshot_seq,
                   .rep = rep,
                   .err = err,
                   .errlen = errlen};
    if (jwalk_run(&p->w) != 0) return p->w.refused ? 1 : -1;
    return 0;
}

/* Records and last seq of a whole segment, as far as they can be read. */
static void plan_count(const char *dir, const jseg *s, uint64_t *records, uint64_t *last)
{
    jread rr;
    if (jseg_read(dir, s, NULL, NULL, &rr, NULL, 0) != 0) return;
    *records += rr.records + (rr.bad[0] ? rr.after.records : 0);
    uint64_t l = rr.bad[0] && rr.after.last_seq > rr.last_seq ? rr.after.last_seq : rr.last_seq;
    if (l > *last) *last = l;
}

static uint64_t plan_size(const char *dir, const jseg *s)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, s->name);
    struct stat st;
    return stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

/* What a repair takes out for the walk's refusal. */
static void plan_cut(const char *dir, const jplan *p, cets_journal_cut *cut)
{
    const jcut *c = &p->w.cut;
    memset(cut, 0, sizeof *cut);
    if (c->seg == SIZE_MAX) return;
    const jseg *s = &p->segs[c->seg];
    snprintf(cut->segment, sizeof cut->segment, "%s", s->name);
    cut->offset = c->off <= JSEG_HDR ? 0 : c->off;
    cut->bytes = plan_size(dir, s) - cut->offset;
    cut->first_seq = c->first_seq;
    if (cut->offset) {
        cut->records = c->records;
        cut->last_seq = c->last_seq;
    } else {
        plan_count(dir, s, &cut->records, &cut->last_seq);
    }
    for (size_t k = c->seg + 1; k < p->n; k++) {
        cut->bytes += plan_size(dir, &p->segs[k]);
        plan_count(dir, &p->segs[k], &cut->records, &cut->last_seq);
        cut->later_segments++;
    }
    snprintf(cut->saved, sizeof cut->saved, "%s.cut-%" PRIu64, s->name, cut->offset);
}

int cets_journal_check(const char *dir, cets_recovery *rep, cets_journal_cut *cut, char *err,
                       size_t errlen)
{
    cets_recovery rscratch;
    cets_journal_cut cscratch;
    if (!rep) rep = &rscratch;
    if (!cut) cut = &cscratch;
    memset(rep, 0, sizeof *rep);
    memset(cut, 0, sizeof *cut);
    jerr(err, errlen, "%s", "");
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return jerr(err, errlen, "%s: not a directory", dir);
    int lock = jlock_dir(dir, false, err, errlen);
    if (lock < 0) return -1;
    jplan p;
    int rc = plan_make(dir, &p, rep, err, errlen);
    if (rc == 1) plan_cut(dir, &p, cut);
    if (rc == 0) {
        const jcut *c = &p.w.cut;
        if (p.w.torn) {
            rep->warn = 1;
            rep->truncated_bytes = c->size - (c->off <= JSEG_HDR ? 0 : c->off);
            rep->truncated_records = c->records;
            jnote(rep,
                  "%s: torn record at offset %" PRIu64 " (after seq %" PRIu64 "): recovery would "
                  "cut %" PRIu64 " bytes (%s)%s",
                  p.segs[c->seg].name, c->off, c->first_seq - 1, rep->truncated_bytes, c->bad,
                  c->off <= JSEG_HDR ? ", the whole file" : "");
        }
        jseg *tmp;
        size_t ntmp;
        if (jseg_list_tmp(dir, &tmp, &ntmp, NULL, 0) == 0) {
            for (size_t i = 0; i < ntmp; i++) {
                rep->warn = 1;
                jnote(rep,
                      "%s: a segment whose first commit never completed: recovery would "
                      "remove it",
                      tmp[i].name);
            }
            free(tmp);
        }
        if (p.w.damaged) rep->warn = 1;
        rep->replayed = p.w.applied;
        rep->last_seq = p.w.expect - 1;
        jnote(rep,
              "recovery would reach seq %" PRIu64 " (snapshot %" PRIu64 ", %" PRIu64
              " records to replay)",
              rep->last_seq, rep->snapshot_seq, rep->replayed);
    }
    plan_free(&p);
    close(lock);
    return rc;
}

/* Copy bytes [from, end) of path into a new file `to`, synced. A `to` that
 * already holds exactly those bytes (a repair interrupted after saving them)
 * is kept; anything else there is not overwritten. */
static int repair_save(const char *path, const char *to, uint64_t from, char *err, size_t errlen)
{
    unsigned char *b, *old;
    size_t len, oldlen;
    if (durable_read_file(path, &b, &len) != 0)
        return jerr(err, errlen, "%s: cannot read: %s", path, strerror(errno));
    if (durable_read_file(to, &old, &oldlen) == 0) {
        bool same = len > from && oldlen == len - from && !memcmp(old, b + from, oldlen);
        free(old);
        free(b);
        return same ? 0
                    : jerr(err, errlen, "%s: already exists; move it away and repair again", to);
    }
    int fd = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    int rc = 0;
    if (fd < 0)
        rc = jerr(err, errlen, "%s: cannot create (%s); move it away and repair again", to,
                  strerror(errno));
    else if (durable_write_all(NULL, fd, b + from, len > from ? len - from : 0) != 0 ||
             fsync(fd) != 0)
        rc = jerr(err, errlen, "%s: cannot write: %s", to, strerror(errno));
    if (fd >= 0 && close(fd) != 0 && rc == 0)
        rc = jerr(err, errlen, "%s: cannot write: %s", to, strerror(errno));
    free(b);
    return rc;
}

/* Rename dir/name to dir/name.cut-0, refusing to replace anything. */
static int repair_set_aside(const char *dir, const char *name, char *err, size_t errlen)
{
    char from[4096], to[4200];
    snprintf(from, sizeof from, "%s/%s", dir, name);
    snprintf(to, sizeof to, "%s.cut-0", from);
    if (access(to, F_OK) == 0)
        return jerr(err, errlen, "%s: already exists; move it away and repair again", to);
    if (rename(from, to) != 0)
        return jerr(err, errlen, "%s: cannot rename: %s", from, strerror(errno));
    return 0;
}

static int repair_apply(const char *dir, const jplan *p, const cets_journal_cut *cut, char *err,
                        size_t errlen)
{
    const jseg *s = &p->segs[p->w.cut.seg];
    char path[4096], saved[4200];
    snprintf(path, sizeof path, "%s/%s", dir, s->name);
    snprintf(saved, sizeof saved, "%s/%s", dir, cut->saved);
    if (cut->offset && repair_save(path, saved, cut->offset, err, errlen) != 0) return -1;
    for (size_t k = p->n; k-- > p->w.cut.seg + 1;)
        if (repair_set_aside(dir, p->segs[k].name, err, errlen) != 0) return -1;
    if (cut->offset) {
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0 || ftruncate(fd, (off_t)cut->offset) != 0 || fsync(fd) != 0) {
            int saved_errno = errno;
            if (fd >= 0) close(fd);
            return jerr(err, errlen, "%s: cannot cut: %s", path, strerror(saved_errno));
        }
        close(fd);
    } else if (repair_set_aside(dir, s->name, err, errlen) != 0) {
        return -1;
    }
    if (durable_sync_dir(dir) != 0)
        return jerr(err, errlen, "%s: cannot sync the directory: %s", dir, strerror(errno));
    return 0;
}

int cets_journal_repair(const char *dir, cets_journal_cut *cut, char *err, size_t errlen)
{
    cets_journal_cut scratch;
    if (!cut) cut = &scratch;
    memset(cut, 0, sizeof *cut);
    jerr(err, errlen, "%s", "");
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return jerr(err, errlen, "%s: not a directory", dir);
    int lock = jlock_dir(dir, true, err, errlen);
    if (lock < 0) return -1;
    cets_recovery rep;
    memset(&rep, 0, sizeof rep);
    char why[1024] = "";
    jplan p;
    int rc = plan_make(dir, &p, &rep, why, sizeof why);
    if (rc < 0) {
        jerr(err, errlen, "%s", why);
    } else if (rc == 1 && p.w.cut.seg == SIZE_MAX) {
        rc = jerr(err, errlen, "recovery refuses the directory and a repair cannot help: %s", why);
    } else if (rc == 1) {
        plan_cut(dir, &p, cut);
        rc = repair_apply(dir, &p, cut, err, errlen);
        plan_free(&p);
        memset(&rep, 0, sizeof rep);
        if (rc == 0 && plan_make(dir, &p, &rep, why, sizeof why) != 0)
            rc = jerr(err, errlen, "cut %s at offset %" PRIu64 ", but recovery still refuses: %s",
                      cut->segment, cut->offset, why);
    }
    plan_free(&p);
    close(lock);
    return rc < 0 ? -1 : 0;
}
