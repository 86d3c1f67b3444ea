/* segment.c -- journal segment files: names, headers, and the one reader.
 *
 * The writer (journal.c), recovery and cets_journal_scan() all read segments
 * through jseg_run(), so a record is judged whole or bad in one place. The
 * file is mapped read-only and walked in place: replay speed is the point
 * (millions of records a second), so there is no syscall or allocation per
 * record, only a checksum and the decoding into a cets_cmd (record.c).
 *
 * A bad record is not an error here: the reader stops, says where and why,
 * and the caller decides (cut a torn tail, go on, or refuse; see walk.c). To
 * let it decide, the reader surveys the rest of the file for whole records
 * whose seq numbers fit after the last good one (jsurvey): where they resume,
 * up to which seq, and whether one of them belongs to a commit that began
 * after the damaged place (version 2 records carry their index in their
 * commit), which proves the damage lies in acknowledged commands.
 */
#include "journal_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

void jseg_name(char *out, size_t outlen, uint64_t first_seq)
{
    snprintf(out, outlen, "journal-%020" PRIu64 ".log", first_seq);
}

void jseg_header(unsigned char hdr[JSEG_HDR], uint64_t first_seq)
{
    memset(hdr, 0, JSEG_HDR);
    memcpy(hdr, JSEG_MAGIC, 8);
    jput32(hdr + 8, JSEG_VERSION);
    jput64(hdr + 16, first_seq);
    jput64(hdr + 24, XXH3_64bits(hdr, 24));
}

/* "journal-" 20 digits ".log" exactly (with tmp: followed by ".tmp"); anything
 * else in the directory is ignored. */
static int jseg_parse_name(const char *name, bool tmp, uint64_t *seq)
{
    size_t want = tmp ? 32 + strlen(JSEG_TMP_SUFFIX) : 32;
    if (strlen(name) != want || memcmp(name, "journal-", 8) != 0 ||
        memcmp(name + 28, ".log", 4) != 0 || (tmp && strcmp(name + 32, JSEG_TMP_SUFFIX) != 0))
        return -1;
    uint64_t v = 0;
    for (int i = 8; i < 28; i++) {
        if (name[i] < '0' || name[i] > '9') return -1;
        v = v * 10 + (uint64_t)(name[i] - '0');
    }
    *seq = v;
    return 0;
}

static int jseg_cmp(const void *a, const void *b)
{
    uint64_t x = ((const jseg *)a)->first_seq, y = ((const jseg *)b)->first_seq;
    return x < y ? -1 : x > y;
}

static int jseg_list_kind(const char *dir, bool tmp, jseg **out, size_t *n, char *err,
                          size_t errlen)
{
    *out = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d) return jerr(err, errlen, "%s: cannot open: %s", dir, strerror(errno));
    size_t cap = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        uint64_t seq;
        if (jseg_parse_name(de->d_name, tmp, &seq) != 0) continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            jseg *grown = realloc(*out, cap * sizeof **out);
            if (!grown) {
                closedir(d);
                free(*out);
                *out = NULL;
                return jerr(err, errlen, "out of memory");
            }
            *out = grown;
        }
        (*out)[*n].first_seq = seq;
        memcpy((*out)[*n].name, de->d_name, strlen(de->d_name) + 1); /* <= 36: parsed */
        (*n)++;
    }
    closedir(d);
    if (*n > 1) qsort(*out, *n, sizeof **out, jseg_cmp);
    return 0;
}

int jseg_list(const char *dir, jseg **out, size_t *n, char *err, size_t errlen)
{
    return jseg_list_kind(dir, false, out, n, err, errlen);
}

int jseg_list_tmp(const char *dir, jseg **out, size_t *n, char *err, size_t errlen)
{
    return jseg_list_kind(dir, true, out, n, err, errlen);
}

int jseg_check_header(const unsigned char *m, const jseg *s, char *err, size_t errlen)
{
    if (memcmp(m, JSEG_MAGIC, 8) != 0)
        return jerr(err, errlen, "%s: not a journal segment (bad magic)", s->name);
    if (jget64(m + 24) != XXH3_64bits(m, 24))
        return jerr(err, errlen, "%s: segment header checksum mismatch", s->name);
    if (jget32(m + 8) < 1 || jget32(m + 8) > JSEG_VERSION)
        return jerr(err, errlen, "%s: segment version %u, this build reads 1 to %u", s->name,
                    jget32(m + 8), JSEG_VERSION);
    if (jget64(m + 16) != s->first_seq)
        return jerr(err, errlen, "%s: header says first seq %" PRIu64 ", the name %" PRIu64,
                    s->name, jget64(m + 16), s->first_seq);
    return 0;
}

/* Whether p (avail bytes) starts with a whole record of a segment of this
 * version; why not into bad (may be NULL: the survey only asks). */
int jrec_check(const unsigned char *p, uint64_t avail, uint32_t version, jrec *rec, cets_cmd *cmd,
               char *bad, size_t badlen)
{
    if (avail < JREC_HDR) {
        if (bad) snprintf(bad, badlen, "short record header (%" PRIu64 " bytes)", avail);
        return -1;
    }
    uint32_t word = jget32(p + 8);
    uint32_t len = version >= 2 ? word & JREC_LEN_MASK : word;
    if (len < jrec_min(version) || len > jrec_max(version)) {
        if (bad) snprintf(bad, badlen, "bad length %u", len);
        return -1;
    }
    if (avail - JREC_HDR < len) {
        if (bad)
            snprintf(bad, badlen, "short record (%" PRIu64 " of %u bytes)", avail - JREC_HDR, len);
        return -1;
    }
    if (jget64(p) != XXH3_64bits(p + 8, 4 + (size_t)len)) {
        if (bad) snprintf(bad, badlen, "checksum mismatch");
        return -1;
    }
    cets_cmd scratch;
    if ((cmd || version >= 3) &&
        jrec_decode(p + JREC_HDR, len, avail - JREC_HDR, version, cmd ? cmd : &scratch)) {
        if (bad) snprintf(bad, badlen, "payload is not a command's encoding");
        return -1;
    }
    rec->len = len;
    rec->idx = version >= 2 ? word >> JREC_LEN_BITS : JREC_IDX_MAX;
    rec->seq = jget64(p + JREC_HDR);
    return 0;
}

/* The smallest a record can be: what a gap of n missing records needs at least. */
static uint64_t jrec_smallest(uint32_t version)
{
    return JREC_HDR + (uint64_t)jrec_min(version);
}

/* Whether the record rec (at q, after a hole that began at hole_off, the last
 * good seq before it being prev) belongs after the hole: a later seq, and no
 * more missing records than the hole's bytes could have held. Stale or
 * foreign bytes with a valid checksum fail this; the journal's own records
 * pass it. */
static bool jrec_fits(const jrec *rec, uint32_t version, uint64_t prev, uint64_t hole_off,
                      uint64_t q)
{
    if (rec->seq <= prev) return false;
    uint64_t missing = rec->seq - prev - 1;
    return missing <= (q - hole_off) / jrec_smallest(version);
}

/* Whether rec's commit began after seq `after` + 1, i.e. after the first
 * record the hole lost: then that record's commit had been synced before
 * rec's was written. Version 1 records do not say: any record counts. */
static bool jrec_later_commit(const jrec *rec, uint32_t version, uint64_t after)
{
    if (version < 2) return true;
    if (rec->idx >= JREC_IDX_MAX || rec->idx >= rec->seq)
        return false; /* began a million records earlier or more (or says nonsense) */
    return rec->seq - rec->idx > after + 1;
}

void jseg_survey(const jmap *mp, uint64_t off, uint64_t after, bool full, jsurvey *sv)
{
    const unsigned char *m = mp->m;
    uint64_t size = mp->size, hole = off, prev = after;
    memset(sv, 0, sizeof *sv);
    for (uint64_t q = off + 1; q + jrec_smallest(mp->version) <= size;) {
        jrec rec;
        if (jrec_check(m + q, size - q, mp->version, &rec, NULL, NULL, 0) != 0 ||
            !jrec_fits(&rec, mp->version, prev, hole, q)) {
            q++;
            continue;
        }
        if (!sv->resume_off) {
            sv->resume_off = q;
            sv->resume_seq = rec.seq;
        }
        for (;;) { /* the run of consecutive records from q */
            sv->records++;
            sv->last_seq = prev = rec.seq;
            if (jrec_later_commit(&rec, mp->version, after)) sv->later_commit = true;
            q += JREC_HDR + rec.len;
            if (q == size) {
                sv->ends_clean = true;
                sv->complete = true;
                return;
            }
            if (!full && sv->later_commit)
                return; /* enough to judge; at most about one commit after the damage */
            jrec next;
            if (jrec_check(m + q, size - q, mp->version, &next, NULL, NULL, 0) != 0 ||
                next.seq != prev + 1)
                break;
            rec = next;
        }
        hole = q;
        q++;
    }
    sv->complete = true;
}

#define JREAD_AHEAD 1024

int jseg_run(const jmap *mp, uint64_t off, uint64_t expect, bool full, jseg_fn fn, void *ctx,
             cets_cmd *const *into, jread *r)
{
    memset(r, 0, sizeof *r);
    r->size = mp->size;
    r->version = mp->version;
    r->end = off;
    if (!mp->m) {
        snprintf(r->bad, sizeof r->bad, "incomplete segment header (%" PRIu64 " bytes)", mp->size);
        return 0;
    }
    if (off == JSEG_HDR && mp->size == JSEG_HDR) {
        snprintf(r->bad, sizeof r->bad, "no record after the segment header");
        return 0;
    }
    cets_cmd own;
    while (off < mp->size) {
        cets_cmd *cmd = into && *into ? *into : &own;
        /* the mapping is read once, in order: its lines a few records on are
           fetched meanwhile (a hint; never a fault, even past the end) */
        __builtin_prefetch(mp->m + off + JREAD_AHEAD);
        jrec rec;
        bool bad = jrec_check(mp->m + off, mp->size - off, mp->version, &rec, cmd, r->bad,
                              sizeof r->bad) != 0;
        if (!bad && rec.seq != expect) {
            snprintf(r->bad, sizeof r->bad, "seq %" PRIu64 " where seq %" PRIu64 " belongs",
                     rec.seq, expect);
            bad = true;
        }
        if (bad) {
            jseg_survey(mp, off, expect - 1, full, &r->after);
            return 0;
        }
        expect++;
        off += JREC_HDR + rec.len;
        r->end = off;
        r->records++;
        r->last_seq = cmd->seq;
        if (fn) {
            int rc = fn(ctx, cmd);
            if (rc) return rc;
        }
    }
    return 0;
}

int jseg_map(const char *dir, const jseg *s, jmap *mp, char *err, size_t errlen)
{
    memset(mp, 0, sizeof *mp);
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, s->name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return jerr(err, errlen, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        close(fd);
        return jerr(err, errlen, "%s: cannot stat: %s", path, strerror(errno));
    }
    mp->size = (uint64_t)st.st_size;
    if (mp->size < JSEG_HDR) {
        close(fd);
        return 0;
    }
    void *map = mmap(NULL, mp->size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED) return jerr(err, errlen, "%s: cannot map: %s", path, strerror(errno));
    madvise(map, mp->size, MADV_SEQUENTIAL);
    if (jseg_check_header(map, s, err, errlen) != 0) {
        munmap(map, mp->size);
        return -2;
    }
    mp->m = map;
    mp->version = jget32(mp->m + 8);
    return 0;
}

void jseg_unmap(jmap *mp)
{
    if (mp->m) munmap((void *)mp->m, mp->size);
    mp->m = NULL;
}

int jseg_read(const char *dir, const jseg *s, jseg_fn fn, void *ctx, jread *r, char *err,
              size_t errlen)
{
    jmap mp;
    if (jseg_map(dir, s, &mp, err, errlen) != 0) {
        memset(r, 0, sizeof *r);
        return -1;
    }
    int rc = jseg_run(&mp, JSEG_HDR, s->first_seq, true, fn, ctx, NULL, r);
    jseg_unmap(&mp);
    return rc;
}
