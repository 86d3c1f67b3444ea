/* reader.c -- following a journal from a sequence number on, beside its
 * writer (cets/journal.h "following a journal").
 *
 * Recovery and cets_journal_scan() map whole segments; a follower cannot:
 * the last segment grows while it reads, and it wants one record at a time,
 * from where it stood, for as long as the process runs. So this reader keeps
 * one segment open and an offset into it, reads ahead with pread() into a
 * buffer, and judges each record with the same checks as the segment walker
 * (jrec_check, jseg_check_header in segment.c). When the open segment has no
 * more bytes it looks for the segment that starts at the next seq: the writer
 * starts one when a segment is full, or after reopening the journal.
 *
 * What may be read is bounded by the caller's `upto`, the last seq it knows
 * to be durable: bytes past the last commit may be a batch in flight, or one
 * whose fdatasync failed and that the writer is about to cut off. Below
 * `upto`, every record must be there and whole; a bad one is an error.
 */
#include "journal_int.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define READER_BUF (1u << 20)

struct cets_journal_reader {
    char *dir;
    jseg seg; /* the open segment (fd >= 0) */
    int fd;
    uint64_t off;    /* file offset of the next record */
    uint64_t expect; /* seq of the next record handed out */
    unsigned char *buf;
    uint64_t buf_off; /* file offset of buf[0] */
    size_t buf_len;
    uint64_t fill_upto; /* the caller's upto when buf was read: later records may be stale */
    uint32_t version;   /* of the open segment: how a record's length word reads */
    bool stuck;
};

/* Open s and check its header; the reader then reads it from the first record. */
static int reader_switch(cets_journal_reader *r, const jseg *s, char *err, size_t errlen)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", r->dir, s->name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return jerr(err, errlen, "%s: cannot open: %s", path, strerror(errno));
    unsigned char hdr[JSEG_HDR];
    ssize_t n = pread(fd, hdr, sizeof hdr, 0);
    if (n != (ssize_t)sizeof hdr) {
        close(fd);
        /* a segment being created: its header is not there yet */
        return n >= 0 ? 0 : jerr(err, errlen, "%s: cannot read: %s", path, strerror(errno));
    }
    if (jseg_check_header(hdr, s, err, errlen) != 0) {
        close(fd);
        return -1;
    }
    if (r->fd >= 0) close(r->fd);
    r->fd = fd;
    r->seg = *s;
    r->version = jget32(hdr + 8);
    r->off = JSEG_HDR;
    r->buf_off = JSEG_HDR;
    r->buf_len = 0;
    return 1;
}

/* Find the segment that holds r->expect: the last one starting at or before
 * it. 1 when a different segment than the open one was opened, 0 when there
 * is none (yet) or it is the open one, -1 with err. */
static int reader_locate(cets_journal_reader *r, char *err, size_t errlen)
{
    jseg *segs;
    size_t n;
    if (jseg_list(r->dir, &segs, &n, err, errlen) != 0) return -1;
    const jseg *pick = NULL;
    for (size_t i = 0; i < n; i++)
        if (segs[i].first_seq <= r->expect) pick = &segs[i];
    int rc = 0;
    if (!pick && n > 0)
        rc = jerr(err, errlen, "%s: the journal starts at seq %" PRIu64 ", after seq %" PRIu64,
                  r->dir, segs[0].first_seq, r->expect);
    else if (pick && (r->fd < 0 || pick->first_seq != r->seg.first_seq))
        rc = reader_switch(r, pick, err, errlen);
    free(segs);
    return rc;
}

/* Bytes of the open segment buffered from r->off on, at least want if the
 * file has them (reads ahead). Bytes read ahead are trusted only for records
 * that were durable when they were read: a failed commit is cut off and its
 * sequence numbers written again, so a record above fill_upto is read afresh.
 * -1 with err on an I/O error. */
static long reader_fill(cets_journal_reader *r, size_t want, uint64_t upto, char *err,
                        size_t errlen)
{
    uint64_t end = r->buf_off + r->buf_len;
    if (r->off >= r->buf_off && r->off + want <= end && r->expect <= r->fill_upto)
        return (long)(end - r->off);
    ssize_t n;
    do n = pread(r->fd, r->buf, READER_BUF, (off_t)r->off);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return jerr(err, errlen, "%s/%s: cannot read: %s", r->dir, r->seg.name, strerror(errno));
    r->buf_off = r->off;
    r->buf_len = (size_t)n;
    r->fill_upto = upto;
    return n;
}

cets_journal_reader *cets_journal_reader_open(const char *dir, uint64_t from_seq, char *err,
                                              size_t errlen)
{
    cets_journal_reader *r = calloc(1, sizeof *r);
    if (r) {
        r->dir = strdup(dir);
        r->buf = malloc(READER_BUF);
    }
    if (!r || !r->dir || !r->buf) {
        jerr(err, errlen, "out of memory");
        cets_journal_reader_close(r);
        return NULL;
    }
    r->fd = -1;
    r->expect = from_seq ? from_seq : 1;
    if (reader_locate(r, err, errlen) < 0) {
        cets_journal_reader_close(r);
        return NULL;
    }
    return r;
}

void cets_journal_reader_close(cets_journal_reader *r)
{
    if (!r) return;
    if (r->fd >= 0) close(r->fd);
    free(r->buf);
    free(r->dir);
    free(r);
}

uint64_t cets_journal_reader_position(const cets_journal_reader *r)
{
    return r->expect;
}

static int reader_stuck(cets_journal_reader *r, char *err, size_t errlen, const char *why)
{
    r->stuck = true;
    return jerr(err, errlen, "%s/%s: offset %" PRIu64 ", seq %" PRIu64 ": %s", r->dir, r->seg.name,
                r->off, r->expect, why);
}

/* One record at r->off: 1 (decoded into out), 0 (none there yet), -1. */
static int reader_record(cets_journal_reader *r, uint64_t upto, cets_cmd *out, char *err,
                         size_t errlen)
{
    long have = reader_fill(r, JREC_HDR, upto, err, errlen);
    if (have < 0) return -1;
    if (have == 0) return 0;
    const unsigned char *p = r->buf + (r->off - r->buf_off);
    uint32_t word = have >= (long)JREC_HDR ? jget32(p + 8) : 0;
    uint32_t len = r->version >= 2 ? word & JREC_LEN_MASK : word;
    if (have >= (long)JREC_HDR && len >= jrec_min(r->version) && len <= jrec_max(r->version) &&
        have < (long)(JREC_HDR + len)) {
        if ((have = reader_fill(r, JREC_HDR + len, upto, err, errlen)) < 0) return -1;
        p = r->buf + (r->off - r->buf_off);
    }
    char bad[80];
    jrec rec;
    if (jrec_check(p, (uint64_t)have, r->version, &rec, out, bad, sizeof bad) != 0) {
        if (upto == UINT64_MAX)
            return 0; /* an incomplete tail of a journal nobody commits to: its end */
        return reader_stuck(r, err, errlen, bad);
    }
    r->off += JREC_HDR + len;
    return 1;
}

int cets_journal_reader_next(cets_journal_reader *r, uint64_t upto, cets_cmd *out, char *err,
                             size_t errlen)
{
    if (r->stuck)
        return jerr(err, errlen, "%s: the reader stopped at seq %" PRIu64 " after an error", r->dir,
                    r->expect);
    while (r->expect <= upto) {
        if (r->fd < 0) {
            int rc = reader_locate(r, err, errlen);
            if (rc <= 0) return rc;
        }
        int rc = reader_record(r, upto, out, err, errlen);
        if (rc < 0) return -1;
        if (rc == 0) { /* the end of this segment: is the next seq in a newer one? */
            if ((rc = reader_locate(r, err, errlen)) <= 0) return rc;
            continue;
        }
        if (out->seq < r->expect) continue; /* positioning: before from_seq */
        if (out->seq > r->expect) return reader_stuck(r, err, errlen, "sequence gap");
        r->expect++;
        return 1;
    }
    return 0;
}

/* ---- an engine at a given seq --------------------------------------------------- */

static cets_engine *engine_from_snapshot(const char *dir, uint64_t seq, uint64_t *snap_seq)
{
    uint64_t *seqs;
    size_t n;
    char err[300];
    if (jsnap_list(dir, &seqs, &n, err, sizeof err) != 0) return NULL;
    cets_engine *e = NULL;
    for (size_t i = n; i-- > 0 && !e;) {
        if (seqs[i] > seq) continue;
        char name[40], path[4096];
        jsnap_name(name, sizeof name, seqs[i]);
        snprintf(path, sizeof path, "%s/%s", dir, name);
        /* a snapshot the writer removed meanwhile, or a bad one: try an older one */
        e = cets_snapshot_read(path, snap_seq, err, sizeof err);
    }
    free(seqs);
    return e;
}

cets_engine *cets_journal_engine_at(const char *dir, uint64_t seq, uint64_t *from_snapshot,
                                    char *err, size_t errlen)
{
    cets_config cfg;
    int rc = cets_data_config(dir, &cfg, err, errlen);
    if (rc <= 0) {
        if (rc == 0) jerr(err, errlen, "%s: no engine.config: not a data directory", dir);
        return NULL;
    }
    uint64_t snap = 0;
    cets_engine *e = engine_from_snapshot(dir, seq, &snap);
    if (!e && !(e = cets_engine_new(&cfg))) {
        jerr(err, errlen, "%s: cannot create an engine", dir);
        return NULL;
    }
    if (from_snapshot) *from_snapshot = snap;
    if (snap == seq) return e;
    cets_journal_reader *r = cets_journal_reader_open(dir, snap + 1, err, errlen);
    cets_cmd c;
    while (r && (rc = cets_journal_reader_next(r, seq, &c, err, errlen)) == 1)
        cets_apply(e, &c, NULL);
    if (r && rc == 0 && cets_last_seq(e) != seq)
        jerr(err, errlen, "%s: the journal ends at seq %" PRIu64 ", before seq %" PRIu64, dir,
             cets_last_seq(e), seq);
    cets_journal_reader_close(r);
    if (cets_last_seq(e) != seq) {
        cets_engine_free(e);
        return NULL;
    }
    return e;
}
