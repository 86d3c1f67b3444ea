/* segment.c -- journal segment files: names, headers, and the one reader.
 *
 * The writer (journal.c), recovery and cets_journal_scan() all read segments
 * through jseg_read(), so a record is judged whole or bad in one place. The
 * file is mapped read-only and walked in place: replay speed is the point
 * (millions of records a second), so there is no syscall or allocation per
 * record, only a checksum and a copy into a zeroed cets_cmd.
 *
 * A bad record is not an error here: the reader stops, says where and why,
 * and the caller decides (cut a torn tail, or refuse). To help it tell a torn
 * write from corruption, the reader looks past a bad record for a valid one.
 * A crash in the middle of a group commit can leave whole records after a
 * hole, but the hole reads as zeros (a page the disk never got); a valid
 * record after a bad one with no zero-filled sector between them means the
 * bad one was once written whole, so it may have been acknowledged.
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

#define SECTOR 512u

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

/* "journal-" 20 digits ".log" exactly; anything else in the directory is ignored. */
static int jseg_parse_name(const char *name, uint64_t *seq)
{
    if (strlen(name) != 32 || memcmp(name, "journal-", 8) != 0 || strcmp(name + 28, ".log") != 0)
        return -1;
    uint64_t v = 0;
    for (int i = 8; i < 28; i++) {
        if (name[i] < '0' || name[i] > '9')
            return -1;
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

int jseg_list(const char *dir, jseg **out, size_t *n, char *err, size_t errlen)
{
    *out = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d)
        return jerr(err, errlen, "%s: cannot open: %s", dir, strerror(errno));
    size_t cap = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        uint64_t seq;
        if (jseg_parse_name(de->d_name, &seq) != 0)
            continue;
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
        jseg_name((*out)[*n].name, sizeof (*out)[*n].name, seq);
        (*n)++;
    }
    closedir(d);
    if (*n > 1)
        qsort(*out, *n, sizeof **out, jseg_cmp);
    return 0;
}

int jseg_check_header(const unsigned char *m, const jseg *s, char *err, size_t errlen)
{
    if (memcmp(m, JSEG_MAGIC, 8) != 0)
        return jerr(err, errlen, "%s: not a journal segment (bad magic)", s->name);
    if (jget64(m + 24) != XXH3_64bits(m, 24))
        return jerr(err, errlen, "%s: segment header checksum mismatch", s->name);
    if (jget32(m + 8) != JSEG_VERSION)
        return jerr(err, errlen, "%s: segment version %u, this build reads %u", s->name,
                    jget32(m + 8), JSEG_VERSION);
    if (jget64(m + 16) != s->first_seq)
        return jerr(err, errlen, "%s: header says first seq %" PRIu64 ", the name %" PRIu64,
                    s->name, jget64(m + 16), s->first_seq);
    return 0;
}

/* Whether p (avail bytes) starts with a whole record; why not into bad. */
int jrec_check(const unsigned char *p, uint64_t avail, char *bad, size_t badlen)
{
    if (avail < JREC_HDR) {
        snprintf(bad, badlen, "short record header (%" PRIu64 " bytes)", avail);
        return -1;
    }
    uint32_t len = jget32(p + 8);
    if (len < JREC_MIN || len > JREC_MAX) {
        snprintf(bad, badlen, "bad length %u", len);
        return -1;
    }
    if (avail - JREC_HDR < len) {
        snprintf(bad, badlen, "short record (%" PRIu64 " of %u bytes)", avail - JREC_HDR, len);
        return -1;
    }
    if (jget64(p) != XXH3_64bits(p + 8, 4 + (size_t)len)) {
        snprintf(bad, badlen, "checksum mismatch");
        return -1;
    }
    return 0;
}

static bool jseg_zero_sector(const unsigned char *m, uint64_t from, uint64_t to)
{
    for (uint64_t b = (from + SECTOR - 1) / SECTOR * SECTOR; b + SECTOR <= to; b += SECTOR) {
        const unsigned char *p = m + b;
        unsigned i = 0;
        while (i < SECTOR && p[i] == 0)
            i++;
        if (i == SECTOR)
            return true;
    }
    return false;
}

/* After a bad record at off: the offset of a later valid record when nothing
 * between looks like a hole from a torn write; 0 otherwise. Costs a length
 * test per byte of the tail, and a checksum only where a length is plausible. */
static uint64_t jseg_resumes(const unsigned char *m, uint64_t off, uint64_t size)
{
    char bad[80];
    for (uint64_t q = off + 1; q + JREC_HDR + JREC_MIN <= size; q++) {
        uint32_t len = jget32(m + q + 8);
        if (len < JREC_MIN || len > JREC_MAX || jrec_check(m + q, size - q, bad, sizeof bad))
            continue;
        return jseg_zero_sector(m, off, q) ? 0 : q;
    }
    return 0;
}

static int jseg_walk(const unsigned char *m, const jseg *s, jseg_fn fn, void *ctx, jread *r,
                     char *err, size_t errlen)
{
    uint64_t off = JSEG_HDR, expect = s->first_seq;
    cets_cmd cmd;
    r->end = off;
    while (off < r->size) {
        if (jrec_check(m + off, r->size - off, r->bad, sizeof r->bad) != 0) {
            r->resumes = jseg_resumes(m, off, r->size);
            return 0;
        }
        uint32_t len = jget32(m + off + 8);
        memcpy(&cmd, m + off + JREC_HDR, len);
        memset((unsigned char *)&cmd + len, 0, sizeof cmd - len);
        if (cmd.seq != expect)
            return jerr(err, errlen,
                        "%s: seq %" PRIu64 " at offset %" PRIu64 ", expected %" PRIu64
                        " (sequence break)",
                        s->name, cmd.seq, off, expect);
        expect++;
        off += JREC_HDR + len;
        r->end = off;
        r->records++;
        r->last_seq = cmd.seq;
        if (fn) {
            int rc = fn(ctx, &cmd);
            if (rc)
                return rc;
        }
    }
    return 0;
}

int jseg_read(const char *dir, const jseg *s, jseg_fn fn, void *ctx, jread *r, char *err,
              size_t errlen)
{
    memset(r, 0, sizeof *r);
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, s->name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return jerr(err, errlen, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        close(fd);
        return jerr(err, errlen, "%s: cannot stat: %s", path, strerror(errno));
    }
    r->size = (uint64_t)st.st_size;
    if (r->size < JSEG_HDR) {
        close(fd);
        snprintf(r->bad, sizeof r->bad, "incomplete segment header (%" PRIu64 " bytes)", r->size);
        return 0;
    }
    void *map = mmap(NULL, r->size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED)
        return jerr(err, errlen, "%s: cannot map: %s", path, strerror(errno));
    madvise(map, r->size, MADV_SEQUENTIAL);
    int rc = jseg_check_header(map, s, err, errlen);
    if (rc == 0)
        rc = jseg_walk(map, s, fn, ctx, r, err, errlen);
    munmap(map, r->size);
    return rc;
}
