/* tjournal.c -- data directories for journal tests (see tjournal.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "tjournal.h"
#include "tmarket.h"

void tj_init(tjdir *d, const char *name)
{
    memset(d, 0, sizeof *d);
    const char *base = getenv("CETS_TEST_TMP");
    if (!base || !*base) base = "/tmp";
    mkdir(base, 0755);
    snprintf(d->dir, sizeof d->dir, "%s/%s-XXXXXX", base, name);
    assert_non_null(mkdtemp(d->dir));
    strcat(d->dir, "/data");
    cets_config_default(&d->cfg);
    d->cfg.start_date = TM_DATE;
}

static void tj_rm(const char *dir)
{
    DIR *dd = opendir(dir);
    if (!dd) return;
    struct dirent *de;
    while ((de = readdir(dd))) {
        char p[1300];
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
        snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
        if (unlink(p) != 0) tj_rm(p);
    }
    closedir(dd);
    rmdir(dir);
}

void tj_free(tjdir *d)
{
    tj_rm(d->dir);
    char *slash = strrchr(d->dir, '/');
    *slash = 0;
    tj_rm(d->dir);
}

const char *tj_path(const tjdir *d, const char *name)
{
    static char p[1300];
    snprintf(p, sizeof p, "%s/%s", d->dir, name);
    return p;
}

const char *tj_seg(const tjdir *d, uint64_t first)
{
    static char p[1300];
    snprintf(p, sizeof p, "%s/journal-%020" PRIu64 ".log", d->dir, first);
    return p;
}

const char *tj_snap(const tjdir *d, uint64_t seq)
{
    static char p[1300];
    snprintf(p, sizeof p, "%s/snapshot-%020" PRIu64 ".snap", d->dir, seq);
    return p;
}

int tj_segments(const tjdir *d, uint64_t *out, int max)
{
    DIR *dd = opendir(d->dir);
    assert_non_null(dd);
    int n = 0;
    struct dirent *de;
    while ((de = readdir(dd)))
        if (strlen(de->d_name) == 32 && !strncmp(de->d_name, "journal-", 8) &&
            !strcmp(de->d_name + 28, ".log") && n < max)
            out[n++] = strtoull(de->d_name + 8, NULL, 10);
    closedir(dd);
    for (int i = 1; i < n; i++)
        for (int k = i; k > 0 && out[k - 1] > out[k]; k--) {
            uint64_t t = out[k];
            out[k] = out[k - 1];
            out[k - 1] = t;
        }
    return n;
}

int tj_count(const tjdir *d, const char *prefix)
{
    DIR *dd = opendir(d->dir);
    assert_non_null(dd);
    int n = 0;
    struct dirent *de;
    while ((de = readdir(dd))) n += strncmp(de->d_name, prefix, strlen(prefix)) == 0;
    closedir(dd);
    return n;
}

off_t tj_size(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) fail_msg("stat %s: %s", path, strerror(errno));
    return st.st_size;
}

void tj_truncate(const char *path, off_t len)
{
    assert_int_equal(truncate(path, len), 0);
}

void tj_flip(const char *path, off_t off)
{
    int fd = open(path, O_RDWR);
    assert_true(fd >= 0);
    unsigned char b;
    assert_int_equal(pread(fd, &b, 1, off), 1);
    b ^= 0x40;
    assert_int_equal(pwrite(fd, &b, 1, off), 1);
    close(fd);
}

void tj_zero(const char *path, off_t off, size_t len)
{
    int fd = open(path, O_RDWR);
    assert_true(fd >= 0);
    unsigned char *z = calloc(1, len);
    assert_int_equal(pwrite(fd, z, len, off), (ssize_t)len);
    free(z);
    close(fd);
}

void tj_append(const char *path, const void *buf, size_t len)
{
    int fd = open(path, O_WRONLY | O_APPEND);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, buf, len), (ssize_t)len);
    close(fd);
}

uint64_t tj_digest(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    XXH3_state_t *st = XXH3_createState();
    XXH3_64bits_reset(st);
    unsigned char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) XXH3_64bits_update(st, buf, n);
    fclose(f);
    uint64_t h = XXH3_64bits_digest(st);
    XXH3_freeState(st);
    return h ? h : 1;
}

int tj_records(const char *path, off_t *out, int max)
{
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    off_t size = tj_size(path), off = 32;
    int n = 0;
    while (off + 12 <= size && n < max) {
        uint32_t word;
        assert_int_equal(pread(fd, &word, 4, off + 8), 4);
        off_t len = word & 0xfff; /* the low 12 bits: the payload length */
        if (off + 12 + len > size) break;
        out[n++] = off;
        off += 12 + len;
    }
    close(fd);
    return n;
}

cets_engine *tj_recover(const tjdir *d, cets_recovery *rep)
{
    char err[1024] = "";
    cets_engine *e = cets_recover(d->dir, &d->cfg, NULL, NULL, rep, err, sizeof err);
    if (!e) fail_msg("recover: %s", err);
    return e;
}

cets_journal *tj_open(const tjdir *d, uint64_t next_seq)
{
    char err[1024] = "";
    cets_journal *j = cets_journal_open(d->dir, next_seq, err, sizeof err);
    if (!j) fail_msg("journal open: %s", err);
    return j;
}

void tj_feed(cets_engine *e, cets_journal *j, tstream *s, int n, int batch)
{
    for (int i = 0; i < n; i++) {
        cets_cmd c;
        cets_result r = {0};
        ts_next(s, e, &c);
        if (j && cets_journal_append(j, &c) != 0)
            fail_msg("append %" PRIu64 ": %s", c.seq, cets_journal_error(j));
        cets_apply(e, &c, &r);
        ts_result(s, &c, &r);
        if (j && (i + 1) % batch == 0 && cets_journal_commit(j) != 0)
            fail_msg("commit: %s", cets_journal_error(j));
    }
    if (j && cets_journal_commit(j) != 0) fail_msg("commit: %s", cets_journal_error(j));
}

cets_engine *tj_journaled(const tjdir *d, int n, int batch, uint64_t seg_limit, tstream *s)
{
    cets_recovery rep;
    cets_engine *e = tj_recover(d, &rep);
    cets_journal *j = tj_open(d, rep.last_seq + 1);
    if (seg_limit) cets_journal_set_segment_limit(j, seg_limit);
    ts_init(s, TJ_SEED, TJ_DAY);
    tj_feed(e, j, s, n, batch);
    cets_journal_close(j);
    return e;
}

uint64_t tj_ref_hash(const tjdir *d, int n)
{
    tstream s;
    cets_engine *e = cets_engine_new(&d->cfg);
    ts_init(&s, TJ_SEED, TJ_DAY);
    tj_feed(e, NULL, &s, n, 1);
    uint64_t h = cets_state_hash(e);
    cets_engine_free(e);
    return h;
}
