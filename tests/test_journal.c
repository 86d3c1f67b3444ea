/* test_journal.c -- the journal, snapshots and recovery.
 *
 * The warranty: what was committed comes back, bit for bit (the state hash
 * of the recovered engine equals the live one), and what went wrong on disk
 * is either cut exactly (a torn tail) or refused with a clear message (all
 * else). Reference states come from replaying a prefix of the same
 * deterministic command stream (tstream) on a fresh engine.
 */
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

#include "../src/journal/journal_int.h" /* JDIO_ALIGN, JDIO_MIN, JREC_HDR, jrec_encode */
#include "cets/journal.h"
#include "tmarket.h"
#include "tstream.h"

#define SEED 7
#define DAY 300 /* commands per trading day: several ends of day per test */

typedef struct fx {
    char dir[600];
    cets_config cfg;
} fx;

/* ---- files ------------------------------------------------------------- */

static int fx_setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    const char *base = getenv("CETS_TEST_TMP");
    if (!base || !*base) base = "/tmp";
    mkdir(base, 0755);
    snprintf(f->dir, sizeof f->dir, "%s/journal-XXXXXX", base);
    assert_non_null(mkdtemp(f->dir));
    strcat(f->dir, "/data"); /* recovery creates it */
    cets_config_default(&f->cfg);
    f->cfg.start_date = TM_DATE;
    *state = f;
    return 0;
}

static void rm_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *de;
    while ((de = readdir(d))) {
        char p[1200];
        if (de->d_name[0] == '.') continue;
        snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
        unlink(p);
    }
    closedir(d);
    rmdir(dir);
}

static int fx_teardown(void **state)
{
    fx *f = *state;
    rm_dir(f->dir);
    *strrchr(f->dir, '/') = 0;
    rm_dir(f->dir);
    free(f);
    return 0;
}

static char *path_of(const fx *f, const char *name)
{
    static char p[1200];
    snprintf(p, sizeof p, "%s/%s", f->dir, name);
    return p;
}

static char *seg_path(const fx *f, uint64_t first)
{
    char name[64];
    snprintf(name, sizeof name, "journal-%020" PRIu64 ".log", first);
    return path_of(f, name);
}

static char *snap_path(const fx *f, uint64_t seq)
{
    char name[64];
    snprintf(name, sizeof name, "snapshot-%020" PRIu64 ".snap", seq);
    return path_of(f, name);
}

/* First seqs of the segments, ascending; returns how many. */
static int segments(const fx *f, uint64_t *out, int max)
{
    DIR *d = opendir(f->dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)))
        if (strncmp(de->d_name, "journal-", 8) == 0 && n < max)
            out[n++] = strtoull(de->d_name + 8, NULL, 10);
    closedir(d);
    for (int i = 1; i < n; i++)
        for (int k = i; k > 0 && out[k - 1] > out[k]; k--) {
            uint64_t t = out[k];
            out[k] = out[k - 1];
            out[k - 1] = t;
        }
    return n;
}

static int count_files(const fx *f, const char *prefix)
{
    DIR *d = opendir(f->dir);
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d))) n += strncmp(de->d_name, prefix, strlen(prefix)) == 0;
    closedir(d);
    return n;
}

static off_t file_size(const char *p)
{
    struct stat st;
    assert_int_equal(stat(p, &st), 0);
    return st.st_size;
}

static void flip_byte(const char *p, off_t off)
{
    int fd = open(p, O_RDWR);
    unsigned char b;
    assert_int_equal(pread(fd, &b, 1, off), 1);
    b ^= 0x40;
    assert_int_equal(pwrite(fd, &b, 1, off), 1);
    close(fd);
}

static void append_bytes(const char *p, const void *buf, size_t n)
{
    int fd = open(p, O_WRONLY | O_APPEND);
    assert_int_equal(write(fd, buf, n), (ssize_t)n);
    close(fd);
}

/* Offsets of the records of a segment (the documented layout: a 32-byte
 * header, then records of 12 + length bytes, the length in the low 12 bits
 * of the word at +8). */
static int record_offsets(const char *p, off_t *out, int max)
{
    int fd = open(p, O_RDONLY);
    off_t size = file_size(p), off = 32;
    int n = 0;
    while (off + 12 <= size && n < max) {
        uint32_t len;
        assert_int_equal(pread(fd, &len, 4, off + 8), 4);
        len &= 0xfff;
        if (off + 12 + (off_t)len > size) break;
        out[n++] = off;
        off += 12 + len;
    }
    close(fd);
    return n;
}

/* ---- engines and streams ------------------------------------------------ */

static cets_engine *recover_ok(const fx *f, cets_recovery *rep)
{
    char err[512] = "";
    cets_engine *e = cets_recover(f->dir, &f->cfg, NULL, NULL, rep, err, sizeof err);
    if (!e) fail_msg("recover: %s", err);
    return e;
}

static cets_journal *open_ok(const fx *f, uint64_t next)
{
    char err[512] = "";
    cets_journal *j = cets_journal_open(f->dir, next, err, sizeof err);
    if (!j) fail_msg("journal open: %s", err);
    return j;
}

/* n commands of the stream: journaled (j may be NULL), applied, committed
 * every `batch`. */
static void feed(cets_engine *e, cets_journal *j, tstream *s, int n, int batch)
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

/* The state after the first n commands of the stream, on a fresh engine. */
static cets_engine *reference(const fx *f, int n, tstream *s)
{
    cets_engine *e = cets_engine_new(&f->cfg);
    ts_init(s, SEED, DAY);
    feed(e, NULL, s, n, 1);
    return e;
}

static uint64_t ref_hash(const fx *f, int n)
{
    tstream s;
    cets_engine *e = reference(f, n, &s);
    uint64_t h = cets_state_hash(e);
    cets_engine_free(e);
    return h;
}

/* A directory with n commands journaled (batches of `batch`); the live
 * engine is returned, the journal closed. */
static cets_engine *journaled(const fx *f, int n, int batch, uint64_t seg_limit, tstream *s)
{
    cets_recovery rep;
    cets_engine *e = recover_ok(f, &rep);
    cets_journal *j = open_ok(f, rep.last_seq + 1);
    if (seg_limit) cets_journal_set_segment_limit(j, seg_limit);
    ts_init(s, SEED, DAY);
    feed(e, j, s, n, batch);
    cets_journal_close(j);
    return e;
}

static void expect_in(const char *hay, const char *needle)
{
    if (!strstr(hay, needle)) fail_msg("expected \"%s\" in \"%s\"", needle, hay);
}

static void count_event(void *ctx, const cets_event *ev)
{
    (void)ev;
    ++*(long *)ctx;
}

/* ---- the round trip ------------------------------------------------------ */

static void test_roundtrip(void **state)
{
    fx *f = *state;
    tstream s;
    cets_engine *e = journaled(f, 2000, 50, 0, &s);
    assert_null(tm_invariants(e));
    uint64_t live = cets_state_hash(e);

    /* another cfg: ignored, the stored one rules */
    cets_config other = f->cfg;
    other.listing_band_bp = 500;
    long events = 0;
    cets_recovery rep;
    char err[512] = "";
    cets_engine *r = cets_recover(f->dir, &other, count_event, &events, &rep, err, sizeof err);
    assert_non_null(r);
    assert_int_equal(cets_engine_config(r)->listing_band_bp, f->cfg.listing_band_bp);
    assert_int_equal(rep.snapshot_seq, 0);
    assert_int_equal(rep.replayed, 2000);
    assert_int_equal(rep.last_seq, 2000);
    assert_int_equal(rep.truncated_bytes, 0);
    assert_true(events > 1000); /* the listener saw the replay */
    assert_int_equal(cets_state_hash(r), live);
    assert_int_equal(cets_last_seq(r), 2000);
    expect_in(rep.message, "recovered to seq 2000");

    cets_config stored;
    assert_int_equal(cets_data_config(f->dir, &stored, err, sizeof err), 1);
    assert_memory_equal(&stored, &f->cfg, sizeof stored);

    /* go on where it stopped: appends to the same segment */
    cets_journal *j = open_ok(f, 2001);
    feed(r, j, &s, 700, 64);
    cets_journal_close(j);
    uint64_t segs[8];
    assert_int_equal(segments(f, segs, 8), 1);
    cets_engine *r2 = recover_ok(f, &rep);
    assert_int_equal(rep.replayed, 2700);
    assert_int_equal(cets_state_hash(r2), cets_state_hash(r));
    assert_int_equal(cets_state_hash(r2), ref_hash(f, 2700));
    cets_engine_free(r2);
    cets_engine_free(r);
    cets_engine_free(e);
}

static void test_fresh_and_empty(void **state)
{
    fx *f = *state;
    cets_recovery rep;
    cets_engine *e = recover_ok(f, &rep); /* creates the directory */
    assert_int_equal(rep.last_seq, 0);
    assert_int_equal(rep.replayed, 0);
    assert_int_equal(count_files(f, "engine.config"), 1);
    cets_journal *j = open_ok(f, 1);
    assert_int_equal(cets_journal_commit(j), 0); /* nothing to do, no file */
    cets_journal_close(j);
    assert_int_equal(count_files(f, "journal-"), 0);
    cets_engine_free(e);
    e = recover_ok(f, &rep);
    assert_int_equal(rep.last_seq, 0);
    cets_engine_free(e);
}

static void test_segments_roll(void **state)
{
    fx *f = *state;
    tstream s;
    cets_engine *e = journaled(f, 1500, 32, 8192, &s);
    uint64_t segs[64];
    int n = segments(f, segs, 64);
    assert_true(n >= 5);
    for (int i = 0; i < n; i++) /* every segment but the last is at least the limit */
        if (i + 1 < n) assert_true(file_size(seg_path(f, segs[i])) >= 8192);
    cets_recovery rep;
    cets_engine *r = recover_ok(f, &rep);
    assert_int_equal(rep.replayed, 1500);
    assert_int_equal(cets_state_hash(r), cets_state_hash(e));
    cets_engine_free(r);
    cets_engine_free(e);
}

/* ---- snapshots ------------------------------------------------------------ */

static void test_snapshot_then_replay(void **state)
{
    fx *f = *state;
    char err[512] = "";
    cets_recovery rep;
    cets_engine *e = recover_ok(f, &rep);
    cets_journal *j = open_ok(f, 1);
    tstream s;
    ts_init(&s, SEED, DAY);
    feed(e, j, &s, 1000, 50);
    assert_int_equal(cets_snapshot_write(f->dir, e, 2, err, sizeof err), 0);
    feed(e, j, &s, 500, 50);
    assert_int_equal(cets_snapshot_write(f->dir, e, 2, err, sizeof err), 0);
    feed(e, j, &s, 300, 50);
    cets_journal_close(j);

    cets_engine *r = recover_ok(f, &rep);
    assert_int_equal(rep.snapshot_seq, 1500);
    assert_int_equal(rep.replayed, 300);
    assert_int_equal(rep.last_seq, 1800);
    assert_int_equal(cets_state_hash(r), cets_state_hash(e));

    /* the loader on its own */
    uint64_t seq = 0;
    cets_engine *l = cets_snapshot_read(snap_path(f, 1000), &seq, err, sizeof err);
    assert_non_null(l);
    assert_int_equal(seq, 1000);
    assert_int_equal(cets_state_hash(l), ref_hash(f, 1000));
    cets_engine_free(l);

    /* keep 2: the oldest goes */
    assert_int_equal(cets_snapshot_write(f->dir, r, 2, err, sizeof err), 0);
    assert_int_equal(count_files(f, "snapshot-"), 2);
    assert_int_equal(access(snap_path(f, 1000), F_OK), -1);
    cets_engine *r2 = recover_ok(f, &rep);
    assert_int_equal(rep.snapshot_seq, 1800);
    assert_int_equal(rep.replayed, 0);
    assert_int_equal(cets_state_hash(r2), cets_state_hash(e));
    j = open_ok(f, 1801); /* the last segment ends at 1800: appends go on in it */
    feed(r2, j, &s, 100, 30);
    cets_journal_close(j);
    assert_int_equal(count_files(f, "journal-"), 1);
    cets_engine *r3 = recover_ok(f, &rep);
    assert_int_equal(rep.snapshot_seq, 1800);
    assert_int_equal(rep.replayed, 100);
    assert_int_equal(cets_state_hash(r3), cets_state_hash(r2));
    assert_int_equal(cets_state_hash(r3), ref_hash(f, 1900));
    cets_engine_free(r3);
    cets_engine_free(r2);
    cets_engine_free(r);
    cets_engine_free(e);
}

/* A snapshot may be ahead of the journal (state applied but not journaled):
 * the journal then starts a new segment after it, and recovery bridges the
 * gap with the snapshot. */
static void test_snapshot_ahead_of_journal(void **state)
{
    fx *f = *state;
    char err[512] = "";
    tstream s;
    cets_engine *e = journaled(f, 100, 10, 0, &s);
    feed(e, NULL, &s, 50, 1); /* 101..150: not journaled */
    assert_int_equal(cets_snapshot_write(f->dir, e, 2, err, sizeof err), 0);
    cets_journal *j = open_ok(f, 151);
    feed(e, j, &s, 60, 16);
    cets_journal_close(j);
    uint64_t segs[8];
    assert_int_equal(segments(f, segs, 8), 2);
    assert_int_equal(segs[1], 151);
    cets_recovery rep;
    cets_engine *r = recover_ok(f, &rep);
    assert_int_equal(rep.snapshot_seq, 150);
    assert_int_equal(rep.replayed, 60);
    assert_int_equal(rep.last_seq, 210);
    assert_int_equal(cets_state_hash(r), cets_state_hash(e));
    assert_int_equal(cets_state_hash(r), ref_hash(f, 210));
    cets_engine_free(r);

    /* without the snapshot the gap is real */
    assert_int_equal(unlink(snap_path(f, 150)), 0);
    assert_null(cets_recover(f->dir, &f->cfg, NULL, NULL, NULL, err, sizeof err));
    expect_in(err, "sequence break: journal-00000000000000000001.log ends at seq 100, "
                   "journal-00000000000000000151.log starts at seq 151");
    cets_engine_free(e);
}

static void test_snapshot_corrupt_fallback(void **state)
{
    fx *f = *state;
    char err[512] = "";
    cets_recovery rep;
    cets_engine *e = recover_ok(f, &rep);
    cets_journal *j = open_ok(f, 1);
    tstream s;
    ts_init(&s, SEED, DAY);
    feed(e, j, &s, 500, 50);
    assert_int_equal(cets_snapshot_write(f->dir, e, 5, err, sizeof err), 0);
    feed(e, j, &s, 500, 50);
    assert_int_equal(cets_snapshot_write(f->dir, e, 5, err, sizeof err), 0);
    feed(e, j, &s, 300, 50);
    cets_journal_close(j);
    uint64_t live = cets_state_hash(e);

    flip_byte(snap_path(f, 1000), file_size(snap_path(f, 1000)) / 2);
    cets_engine *r = recover_ok(f, &rep);
    assert_int_equal(rep.snapshot_seq, 500);
    assert_int_equal(rep.replayed, 800);
    assert_int_equal(cets_state_hash(r), live);
    expect_in(rep.message, "snapshot-00000000000000001000.snap: data checksum mismatch; skipped");
    cets_engine_free(r);

    assert_int_equal(truncate(snap_path(f, 500), 100), 0);
    r = recover_ok(f, &rep);
    assert_int_equal(rep.snapshot_seq, 0);
    assert_int_equal(rep.replayed, 1300);
    assert_int_equal(cets_state_hash(r), live);
    expect_in(rep.message, "snapshot-00000000000000000500.snap: ");
    expect_in(rep.message, "(truncated?)");
    expect_in(rep.message, "replaying the whole journal");
    cets_engine_free(r);

    /* the loader names what is wrong */
    assert_null(cets_snapshot_read(snap_path(f, 500), NULL, err, sizeof err));
    expect_in(err, "snapshot-00000000000000000500.snap: ");
    flip_byte(snap_path(f, 500), 0);
    assert_null(cets_snapshot_read(snap_path(f, 500), NULL, err, sizeof err));
    expect_in(err, "bad magic");
    cets_engine_free(e);
}

/* ---- torn tails -------------------------------------------------------- */

/* Recover after damage to the tail; the state must be the first `whole`
 * commands, and exactly `cut` bytes cut at offset `at`. */
static void expect_cut(const fx *f, int whole, off_t at, off_t cut)
{
    cets_recovery rep;
    off_t before = file_size(seg_path(f, 1));
    cets_engine *r = recover_ok(f, &rep);
    assert_int_equal(rep.last_seq, whole);
    assert_int_equal(rep.replayed, whole);
    assert_int_equal(rep.truncated_bytes, cut);
    assert_int_equal(file_size(seg_path(f, 1)), at);
    assert_int_equal(before - at, cut);
    char want[160];
    snprintf(want, sizeof want,
             "journal-00000000000000000001.log: torn record at offset %lld (after seq %d); cut "
             "%lld bytes",
             (long long)at, whole, (long long)cut);
    expect_in(rep.message, want);
    assert_int_equal(cets_state_hash(r), ref_hash(f, whole));
    cets_engine_free(r);
    r = recover_ok(f, &rep); /* and it is clean now */
    assert_int_equal(rep.truncated_bytes, 0);
    assert_int_equal(rep.last_seq, whole);
    cets_engine_free(r);
}

static void test_torn_short_record(void **state)
{
    fx *f = *state;
    tstream s;
    cets_engine *e = journaled(f, 700, 64, 0, &s);
    off_t offs[1000];
    int n = record_offsets(seg_path(f, 1), offs, 1000);
    assert_int_equal(n, 700);
    off_t size = file_size(seg_path(f, 1)), last = offs[n - 1];
    off_t cut_at = last + (size - last) / 2;
    assert_int_equal(truncate(seg_path(f, 1), cut_at), 0);
    expect_cut(f, 699, last, cut_at - last);

    /* the journal goes on from 700 */
    tstream s2;
    cets_engine *ref = reference(f, 699, &s2);
    cets_journal *j = open_ok(f, 700);
    feed(ref, j, &s2, 5, 2);
    cets_journal_close(j);
    cets_recovery rep;
    cets_engine *r = recover_ok(f, &rep);
    assert_int_equal(rep.last_seq, 704);
    assert_int_equal(cets_state_hash(r), cets_state_hash(ref));
    cets_engine_free(r);
    cets_engine_free(ref);
    cets_engine_free(e);
}

static void test_torn_header_only(void **state)
{
    fx *f = *state;
    tstream s;
    cets_engine *e = journaled(f, 300, 64, 0, &s);
    off_t offs[400];
    int n = record_offsets(seg_path(f, 1), offs, 400);
    assert_int_equal(truncate(seg_path(f, 1), offs[n - 1] + 5), 0); /* inside the 12-byte head */
    expect_cut(f, 299, offs[n - 1], 5);
    cets_engine_free(e);
}

static void test_torn_garbage(void **state)
{
    fx *f = *state;
    tstream s;
    cets_engine *e = journaled(f, 600, 64, 0, &s);
    off_t size = file_size(seg_path(f, 1));
    unsigned char junk[37];
    for (size_t i = 0; i < sizeof junk; i++) junk[i] = (unsigned char)(i * 73 + 11);
    append_bytes(seg_path(f, 1), junk, sizeof junk);
    expect_cut(f, 600, size, 37);

    unsigned char zeros[4096] = {0}; /* a page the disk never got */
    append_bytes(seg_path(f, 1), zeros, sizeof zeros);
    expect_cut(f, 600, size, 4096);
    assert_int_equal(cets_state_hash(e), ref_hash(f, 600));
    cets_engine_free(e);
}

static void test_torn_flipped_byte(void **state)
{
    fx *f = *state;
    tstream s;
    cets_engine *e = journaled(f, 500, 64, 0, &s);
    off_t offs[600];
    int n = record_offsets(seg_path(f, 1), offs, 600);
    off_t size = file_size(seg_path(f, 1)), last = offs[n - 1];
    flip_byte(seg_path(f, 1), last + 12 + 20); /* inside the payload */
    expect_cut(f, 499, last, size - last);
    cets_engine_free(e);
}

/* A crash in the middle of a big commit: a page of it never reached the
 * disk (zeros), later pages did. Nothing of that batch was acknowledged, so
 * cutting at the hole is right. */
static void test_torn_hole(void **state)
{
    fx *f = *state;
    tstream s;
    cets_engine *e = journaled(f, 400, 400, 0, &s);
    off_t offs[500];
    int n = record_offsets(seg_path(f, 1), offs, 500);
    assert_int_equal(n, 400);
    off_t size = file_size(seg_path(f, 1));
    off_t page = (offs[200] + 4095) / 4096 * 4096; /* a page boundary mid-file */
    assert_true(page + 4096 + 1000 < size);
    unsigned char zeros[4096] = {0};
    int fd = open(seg_path(f, 1), O_WRONLY);
    assert_int_equal(pwrite(fd, zeros, sizeof zeros, page), 4096);
    close(fd);
    int whole = 0;
    while (whole < n && offs[whole + 1] <= page) /* records wholly before the page */
        whole++;
    expect_cut(f, whole, offs[whole], size - offs[whole]);
    cets_engine_free(e);
}

/* ---- refusals ------------------------------------------------------------ */

/* A flipped byte with valid records after it is corruption: refuse. */
static void test_corrupt_middle_of_last_segment(void **state)
{
    fx *f = *state;
    tstream s;
    cets_engine *e = journaled(f, 500, 64, 0, &s);
    off_t offs[600];
    record_offsets(seg_path(f, 1), offs, 600);
    off_t size = file_size(seg_path(f, 1));
    flip_byte(seg_path(f, 1), offs[250] + 30);
    char err[512] = "";
    cets_recovery rep;
    assert_null(cets_recover(f->dir, &f->cfg, NULL, NULL, &rep, err, sizeof err));
    expect_in(err, "journal-00000000000000000001.log: checksum mismatch at offset");
    expect_in(err, "(after seq 250)");
    expect_in(err, "not a torn write");
    assert_int_equal(file_size(seg_path(f, 1)), size);
    cets_engine_free(e);
}

static void test_bad_record_middle_segment(void **state)
{
    fx *f = *state;
    tstream s;
    cets_engine *e = journaled(f, 1500, 32, 8192, &s);
    uint64_t segs[64];
    int n = segments(f, segs, 64);
    assert_true(n >= 4);
    off_t sizes[64];
    for (int i = 0; i < n; i++) sizes[i] = file_size(seg_path(f, segs[i]));
    flip_byte(seg_path(f, segs[1]), sizes[1] / 2);

    char err[512] = "", name[64];
    assert_null(cets_recover(f->dir, &f->cfg, NULL, NULL, NULL, err, sizeof err));
    snprintf(name, sizeof name, "journal-%020" PRIu64 ".log: ", segs[1]);
    expect_in(err, name);
    expect_in(err, "not the last: refusing to recover; nothing was changed");
    for (int i = 0; i < n; i++) assert_int_equal(file_size(seg_path(f, segs[i])), sizes[i]);
    assert_int_equal(cets_journal_scan(f->dir, 1, NULL, NULL, err, sizeof err), -1);

    /* a snapshot past the damage makes the segment irrelevant */
    assert_int_equal(cets_snapshot_write(f->dir, e, 1, err, sizeof err), 0);
    cets_recovery rep;
    cets_engine *r = recover_ok(f, &rep);
    assert_int_equal(rep.snapshot_seq, 1500);
    assert_int_equal(cets_state_hash(r), cets_state_hash(e));
    cets_engine_free(r);
    cets_engine_free(e);
}

static void test_sequence_gap(void **state)
{
    fx *f = *state;
    tstream s;
    cets_engine *e = journaled(f, 1200, 32, 8192, &s);
    uint64_t segs[64];
    int n = segments(f, segs, 64);
    assert_true(n >= 3);
    assert_int_equal(unlink(seg_path(f, segs[1])), 0);
    char err[512] = "";
    assert_null(cets_recover(f->dir, &f->cfg, NULL, NULL, NULL, err, sizeof err));
    expect_in(err, "sequence break");
    char want[64];
    snprintf(want, sizeof want, "starts at seq %" PRIu64, segs[2]);
    expect_in(err, want);

    /* a journal that does not start at 1 and no snapshot: a gap too */
    assert_int_equal(unlink(seg_path(f, segs[0])), 0);
    assert_null(cets_recover(f->dir, &f->cfg, NULL, NULL, NULL, err, sizeof err));
    expect_in(err, "sequence gap: first record after seq 0");
    cets_engine_free(e);
}

static void test_config_damage_refused(void **state)
{
    fx *f = *state;
    tstream s;
    cets_engine *e = journaled(f, 50, 10, 0, &s);
    char err[512] = "";
    flip_byte(path_of(f, "engine.config"), 40);
    assert_null(cets_recover(f->dir, &f->cfg, NULL, NULL, NULL, err, sizeof err));
    expect_in(err, "engine.config: corrupt");
    assert_int_equal(unlink(path_of(f, "engine.config")), 0);
    assert_null(cets_recover(f->dir, &f->cfg, NULL, NULL, NULL, err, sizeof err));
    expect_in(err, "engine.config is missing");
    cets_engine_free(e);
}

/* A crash while a segment is being created leaves only its .tmp file (the
 * segment is named once its first commit is durable): recovery removes it. */
static void test_incomplete_segment_removed(void **state)
{
    fx *f = *state;
    tstream s;
    cets_engine *e = journaled(f, 100, 10, 0, &s);
    char tmp[1300];
    snprintf(tmp, sizeof tmp, "%s.tmp", seg_path(f, 101));
    int fd = open(tmp, O_WRONLY | O_CREAT, 0644);
    assert_int_equal(write(fd, "CETSJ", 5), 5);
    close(fd);
    cets_recovery rep;
    cets_engine *r = recover_ok(f, &rep);
    assert_int_equal(rep.last_seq, 100);
    expect_in(rep.message, "journal-00000000000000000101.log.tmp: a segment whose first commit "
                           "never completed: removed");
    assert_int_equal(rep.warn, 1);
    assert_int_equal(access(tmp, F_OK), -1);
    assert_int_equal(access(seg_path(f, 101), F_OK), -1);
    assert_int_equal(cets_state_hash(r), cets_state_hash(e));
    cets_engine_free(r);
    cets_engine_free(e);
}

static void test_open_refusals(void **state)
{
    fx *f = *state;
    tstream s;
    cets_engine *e = journaled(f, 100, 10, 0, &s);
    char err[512] = "";
    assert_null(cets_journal_open(f->dir, 50, err, sizeof err));
    expect_in(err, "already holds seq 100");

    cets_journal *j = open_ok(f, 101);
    assert_null(cets_journal_open(f->dir, 101, err, sizeof err));
    expect_in(err, "in use");
    assert_null(cets_recover(f->dir, &f->cfg, NULL, NULL, NULL, err, sizeof err));
    expect_in(err, "in use");
    cets_cmd c = {.seq = 105, .type = CETS_CMD_END_OF_DAY, .actor = CETS_EXCHANGE_ID};
    assert_int_equal(cets_journal_append(j, &c), -1);
    expect_in(cets_journal_error(j), "expected 101");
    cets_journal_close(j);

    unsigned char junk[3] = {1, 2, 3};
    append_bytes(seg_path(f, 1), junk, 3);
    assert_null(cets_journal_open(f->dir, 101, err, sizeof err));
    expect_in(err, "recover the directory first");
    cets_engine_free(e);
}

/* ---- group commit and failures ------------------------------------------- */

typedef struct faults {
    int data_syncs, dir_syncs, writes;
    int fail_sync;     /* errno to fail the segment sync with, 0: pass */
    int fail_write_at; /* fail the write that starts at this many bytes written (0: never) */
    size_t written;
    bool dribble; /* short writes of at most 7 bytes, EINTR every third call */
    /* writes to a descriptor opened O_DIRECT: how many bytes, and the errno
     * to fail them with (0: pass), or written only in part (at most half) */
    size_t direct_written;
    int direct_writes, fail_direct;
    bool short_direct;
} faults;

static ssize_t fault_write(void *ctx, int fd, const void *buf, size_t len)
{
    faults *q = ctx;
    q->writes++;
    if (q->dribble && q->writes % 3 == 0) {
        errno = EINTR;
        return -1;
    }
    if (q->fail_write_at && q->written >= (size_t)q->fail_write_at) {
        errno = ENOSPC;
        return -1;
    }
    if (fcntl(fd, F_GETFL) & O_DIRECT) {
        q->direct_writes++;
        if (q->fail_direct) {
            errno = q->fail_direct;
            return -1;
        }
        if (q->short_direct) len = len / 2 / JDIO_ALIGN * JDIO_ALIGN + JDIO_ALIGN;
        ssize_t n = write(fd, buf, len);
        if (n > 0) q->direct_written += (size_t)n;
        return n;
    }
    if (q->dribble && len > 7) len = 7;
    if (q->fail_write_at && len > 100) len /= 2; /* leave half a batch behind */
    ssize_t n = write(fd, buf, len);
    if (n > 0) q->written += (size_t)n;
    return n;
}

static int fault_sync(void *ctx, int fd, int is_dir)
{
    faults *q = ctx;
    if (is_dir) {
        q->dir_syncs++;
        return fsync(fd);
    }
    q->data_syncs++;
    if (q->fail_sync) {
        errno = q->fail_sync;
        return -1;
    }
    return fdatasync(fd);
}

static void test_group_commit_stats(void **state)
{
    fx *f = *state;
    cets_recovery rep;
    cets_engine *e = recover_ok(f, &rep);
    cets_journal *j = open_ok(f, 1);
    faults q = {0};
    cets_journal_io io = {.write = fault_write, .sync = fault_sync, .ctx = &q};
    cets_journal_set_io(j, &io);
    tstream s;
    ts_init(&s, SEED, DAY);
    for (int i = 0; i < 100; i++) {
        cets_cmd c;
        ts_next(&s, e, &c);
        assert_int_equal(cets_journal_append(j, &c), 0);
        cets_result r;
        cets_apply(e, &c, &r);
        ts_result(&s, &c, &r);
    }
    assert_int_equal(q.data_syncs, 0); /* append does no I/O */
    assert_int_equal(cets_journal_commit(j), 0);
    assert_int_equal(q.data_syncs, 1); /* 100 appends + 1 commit = 1 fdatasync */
    assert_int_equal(q.dir_syncs, 1);  /* the new segment's name */
    cets_journal_stats st;
    cets_journal_get_stats(j, &st);
    assert_int_equal(st.commits, 1);
    assert_int_equal(st.records, 100);
    assert_int_equal(st.syncs, 2);
    assert_int_equal(st.last_seq, 100);
    assert_int_equal(st.bytes, file_size(seg_path(f, 1)));
    assert_true(st.sync_ns_max <= st.sync_ns_total);
    assert_true(st.write_ns_max <= st.write_ns_total && st.write_ns_total > 0);
    assert_true(st.roll_ns_total > 0); /* the first commit made the segment */
    uint64_t roll = st.roll_ns_total, written = st.write_ns_total;

    assert_int_equal(cets_journal_commit(j), 0); /* nothing buffered: no sync */
    assert_int_equal(q.data_syncs, 1);
    feed(e, j, &s, 50, 1000);
    cets_journal_get_stats(j, &st);
    assert_int_equal(q.data_syncs, 2);
    assert_int_equal(q.dir_syncs, 1);
    assert_int_equal(st.commits, 2);
    assert_int_equal(st.records, 150);
    assert_int_equal(st.last_seq, 150);
    assert_int_equal(st.roll_ns_total, roll); /* no new segment: the same */
    assert_true(st.write_ns_total > written);
    assert_int_equal(cets_journal_next_seq(j), 151);
    cets_journal_close(j);
    cets_engine_free(e);
}

static void test_short_writes_and_eintr(void **state)
{
    fx *f = *state;
    cets_recovery rep;
    cets_engine *e = recover_ok(f, &rep);
    cets_journal *j = open_ok(f, 1);
    faults q = {.dribble = true};
    cets_journal_io io = {.write = fault_write, .ctx = &q};
    cets_journal_set_io(j, &io);
    tstream s;
    ts_init(&s, SEED, DAY);
    feed(e, j, &s, 300, 40);
    assert_true(q.writes > 1000);
    cets_journal_close(j);
    cets_engine *r = recover_ok(f, &rep);
    assert_int_equal(rep.replayed, 300);
    assert_int_equal(cets_state_hash(r), cets_state_hash(e));
    cets_engine_free(r);
    cets_engine_free(e);
}

/* A failed commit: -1, a message, nothing more accepted, and recovery finds
 * exactly what was durable before it. */
static void fault_run(const fx *f, bool sync_fails, const char *what)
{
    faults qq = {0}, *q = &qq;
    cets_recovery rep;
    cets_engine *e = recover_ok(f, &rep);
    cets_journal *j = open_ok(f, 1);
    cets_journal_io io = {.write = fault_write, .sync = fault_sync, .ctx = q};
    cets_journal_set_io(j, &io);
    tstream s;
    ts_init(&s, SEED, DAY);
    feed(e, j, &s, 200, 50);
    cets_journal_stats st;
    cets_journal_get_stats(j, &st);
    assert_int_equal(st.last_seq, 200);

    if (sync_fails)
        q->fail_sync = EIO;
    else
        q->fail_write_at = (int)q->written + 1;
    cets_cmd c;
    for (int i = 0; i < 30; i++) {
        ts_next(&s, e, &c);
        assert_int_equal(cets_journal_append(j, &c), 0);
    }
    assert_int_equal(cets_journal_commit(j), -1);
    expect_in(cets_journal_error(j), what);
    expect_in(cets_journal_error(j), "seq 201..230 not durable");
    cets_journal_get_stats(j, &st);
    assert_int_equal(st.last_seq, 200);
    assert_int_equal(st.commits, 4);
    ts_next(&s, e, &c);
    assert_int_equal(cets_journal_append(j, &c), -1); /* refused from now on */
    assert_int_equal(cets_journal_commit(j), -1);
    cets_journal_close(j);

    cets_engine *r = recover_ok(f, &rep);
    assert_int_equal(rep.last_seq, 200);
    assert_int_equal(rep.truncated_bytes, 0); /* cut back already */
    assert_int_equal(cets_state_hash(r), ref_hash(f, 200));
    cets_engine_free(r);
    cets_engine_free(e);
}

static void test_sync_failure(void **state)
{
    fault_run(*state, true, "fdatasync failed: Input/output error");
}

static void test_write_failure(void **state)
{
    fault_run(*state, false, "write failed: No space left on device");
}

/* ---- direct writes -------------------------------------------------------- */

/* Whether the test directory's filesystem takes O_DIRECT (tmpfs does not). */
static bool direct_supported(const fx *f)
{
    char p[700];
    snprintf(p, sizeof p, "%s", f->dir);
    *strrchr(p, '/') = 0; /* beside the data directory, which recovery creates */
    strcat(p, "/direct-probe");
    int fd = open(p, O_WRONLY | O_CREAT | O_DIRECT, 0644);
    if (fd >= 0) close(fd);
    unlink(p);
    return fd >= 0;
}

/* The bytes of a commit of n record bytes at offset `at` that go direct: its
 * whole blocks, when they come to JDIO_MIN. */
static uint64_t direct_part(uint64_t at, uint64_t n)
{
    uint64_t d0 = (at + JDIO_ALIGN - 1) / JDIO_ALIGN * JDIO_ALIGN;
    uint64_t d1 = (at + n) / JDIO_ALIGN * JDIO_ALIGN;
    return d1 >= d0 + JDIO_MIN ? d1 - d0 : 0;
}

/* Append stream commands to j, applying them to e, for a commit at offset
 * `at`: with reach false, as many as keep the bytes it sends direct below
 * `want` (the command that would reach it is kept in *k for the next call);
 * with reach true, until they reach `want`. A carried command goes first.
 * Returns the record bytes appended. */
typedef struct carry {
    cets_cmd c;
    bool held;
} carry;

static uint64_t append_to(cets_engine *e, cets_journal *j, tstream *s, uint64_t at, uint64_t want,
                          bool reach, carry *k)
{
    uint64_t n = 0;
    for (;;) {
        cets_cmd c;
        if (k->held)
            c = k->c;
        else
            ts_next(s, e, &c);
        k->held = false;
        unsigned char enc[JREC3_ROOM];
        uint64_t r = JREC_HDR + jrec_encode(enc, &c);
        if (!reach && direct_part(at, n + r) >= want) {
            k->c = c;
            k->held = true;
            return n;
        }
        assert_int_equal(cets_journal_append(j, &c), 0);
        cets_result res;
        cets_apply(e, &c, &res);
        ts_result(s, &c, &res);
        n += r;
        if (reach && direct_part(at, n) >= want) return n;
    }
}

static uint64_t direct_bytes(const cets_journal *j)
{
    cets_journal_stats st;
    cets_journal_get_stats(j, &st);
    return st.direct_bytes;
}

#define SKIP_WITHOUT_DIRECT(f)                                                                     \
    do {                                                                                           \
        if (!direct_supported(f)) {                                                                \
            print_message("O_DIRECT not supported under %s: skipped\n", (f)->dir);                 \
            skip();                                                                                \
        }                                                                                          \
    } while (0)

/* The set-up of the direct-write tests: an engine recovered from the fresh
 * directory, a journal from seq 1 whose writes and syncs go through the
 * fault hooks (q, none armed), and the test stream. */
typedef struct dio {
    cets_engine *e;
    cets_journal *j;
    faults q;
    cets_journal_io io;
    tstream s;
} dio;

static void dio_open(const fx *f, dio *d)
{
    cets_recovery rep;
    d->e = recover_ok(f, &rep);
    d->j = open_ok(f, 1);
    d->q = (faults){0};
    d->io = (cets_journal_io){.write = fault_write, .sync = fault_sync, .ctx = &d->q};
    cets_journal_set_io(d->j, &d->io);
    ts_init(&d->s, SEED, DAY);
}

/* Commits whose whole blocks come to JDIO_MIN go direct, one block fewer
 * does not; either way the segment holds exactly the records, which a
 * follower reading beside the writer and recovery both find, and reopening
 * the journal in the middle of a block goes on the same way. */
static void test_direct_commits(void **state)
{
    fx *f = *state;
    SKIP_WITHOUT_DIRECT(f);
    dio d;
    dio_open(f, &d);
    cets_engine *e = d.e;
    cets_journal *j = d.j;
    faults *q = &d.q;
    char err[512];
    cets_journal_reader *rd = cets_journal_reader_open(f->dir, 1, err, sizeof err);
    assert_non_null(rd);
    uint64_t got = 0; /* the last seq the follower has read */
    carry k = {0};
    feed(e, j, &d.s, 7, 7); /* a segment whose end is in the middle of a block */
    const char *seg = seg_path(f, 1);
    for (int round = 0; round < 6; round++) {
        if (round == 3) { /* reopen: appends resume in the segment, mid-block */
            cets_journal_close(j);
            j = open_ok(f, cets_last_seq(e) + 1 + k.held);
            cets_journal_set_io(j, &d.io);
        }
        uint64_t at = (uint64_t)file_size(seg), before = direct_bytes(j);
        size_t dw = q->direct_written;
        uint64_t n = append_to(e, j, &d.s, at, JDIO_MIN, false, &k);
        assert_int_equal(direct_part(at, n), 0);
        assert_int_equal(direct_part(at, n + JDIO_ALIGN), JDIO_MIN); /* one block short */
        assert_int_equal(cets_journal_commit(j), 0);
        assert_int_equal(direct_bytes(j), before); /* all through the page cache */
        assert_int_equal(q->direct_written, dw);
        assert_int_equal(file_size(seg), at + n);

        at += n;
        n = append_to(e, j, &d.s, at, JDIO_MIN, true, &k);
        assert_int_equal(direct_part(at, n), JDIO_MIN); /* at the limit */
        assert_int_equal(cets_journal_commit(j), 0);
        assert_int_equal(direct_bytes(j) - before, JDIO_MIN);
        assert_int_equal(q->direct_written - dw, JDIO_MIN);
        assert_int_equal(file_size(seg), at + n);

        cets_cmd c;
        int rc;
        while ((rc = cets_journal_reader_next(rd, cets_last_seq(e), &c, err, sizeof err)) == 1) {
            assert_int_equal(c.seq, got + 1);
            got = c.seq;
        }
        assert_int_equal(rc, 0);
        assert_int_equal(got, cets_last_seq(e));
    }
    assert_int_equal(direct_bytes(j), 3 * JDIO_MIN); /* since it was reopened */
    assert_int_equal(q->direct_written, 6 * JDIO_MIN);
    cets_journal_reader_close(rd);
    cets_journal_close(j);
    cets_recovery rep;
    cets_engine *r = recover_ok(f, &rep);
    assert_int_equal(rep.last_seq, cets_last_seq(e));
    assert_int_equal(rep.truncated_bytes, 0);
    assert_int_equal(cets_state_hash(r), cets_state_hash(e));
    cets_engine_free(r);
    cets_engine_free(e);
}

/* A large commit whose direct write is refused (EINVAL), or done in part,
 * is finished through the page cache: committed whole, and after a refusal
 * no more direct writes are tried. Segments roll on the way. */
static void direct_fallback(const fx *f, bool refuse)
{
    dio d;
    dio_open(f, &d);
    cets_engine *e = d.e;
    cets_journal *j = d.j;
    faults *q = &d.q;
    cets_journal_set_segment_limit(j, 1u << 20);
    q->fail_direct = refuse ? EINVAL : 0;
    q->short_direct = !refuse;
    feed(e, j, &d.s, 120000, 12000); /* ten commits of about 460 kB, over several segments */
    cets_journal_stats st;
    cets_journal_get_stats(j, &st);
    assert_int_equal(st.commits, 10);
    assert_true(count_files(f, "journal-") >= 3);
    if (refuse) {
        assert_int_equal(q->direct_writes, 1); /* refused once, never tried again */
        assert_int_equal(st.direct_bytes, 0);
    } else {
        assert_true(q->direct_writes >= 10);
        assert_int_equal(st.direct_bytes, q->direct_written);
        assert_true(st.direct_bytes > 0 && st.direct_bytes < st.bytes);
    }
    uint64_t segs[64], total = 0;
    int n = segments(f, segs, 64);
    for (int i = 0; i < n; i++) total += (uint64_t)file_size(seg_path(f, segs[i]));
    assert_int_equal(total, st.bytes);
    cets_journal_close(j);
    cets_recovery rep;
    cets_engine *r = recover_ok(f, &rep);
    assert_int_equal(rep.replayed, 120000);
    assert_int_equal(rep.truncated_bytes, 0);
    assert_int_equal(cets_state_hash(r), cets_state_hash(e));
    cets_engine_free(r);
    cets_engine_free(e);
}

static void test_direct_refused(void **state)
{
    SKIP_WITHOUT_DIRECT((fx *)*state);
    direct_fallback(*state, true);
}

static void test_direct_short(void **state)
{
    SKIP_WITHOUT_DIRECT((fx *)*state);
    direct_fallback(*state, false);
}

/* A direct write that fails (EIO) fails the commit like any write: a message,
 * nothing more accepted, the segment cut back to what was durable. */
static void test_direct_failure(void **state)
{
    fx *f = *state;
    SKIP_WITHOUT_DIRECT(f);
    dio d;
    dio_open(f, &d);
    cets_engine *e = d.e;
    cets_journal *j = d.j;
    feed(e, j, &d.s, 24000, 12000);
    assert_true(direct_bytes(j) > 0);
    off_t size = file_size(seg_path(f, 1));
    d.q.fail_direct = EIO;
    for (int i = 0; i < 12000; i++) {
        cets_cmd c;
        ts_next(&d.s, e, &c);
        assert_int_equal(cets_journal_append(j, &c), 0);
    }
    assert_int_equal(cets_journal_commit(j), -1);
    expect_in(cets_journal_error(j), "write failed: Input/output error");
    expect_in(cets_journal_error(j), "seq 24001..36000 not durable");
    assert_int_equal(file_size(seg_path(f, 1)), size);
    cets_cmd c;
    ts_next(&d.s, e, &c);
    assert_int_equal(cets_journal_append(j, &c), -1);
    cets_journal_close(j);
    cets_recovery rep;
    cets_engine *r = recover_ok(f, &rep);
    assert_int_equal(rep.last_seq, 24000);
    assert_int_equal(rep.truncated_bytes, 0);
    assert_int_equal(cets_state_hash(r), ref_hash(f, 24000));
    cets_engine_free(r);
    cets_engine_free(e);
}

/* ---- scan ------------------------------------------------------------------ */

typedef struct seen {
    uint64_t first, last;
    long n, stop_after;
    bool contiguous;
} seen;

static int see(void *ctx, const cets_cmd *c)
{
    seen *v = ctx;
    if (v->n == 0)
        v->first = c->seq;
    else if (c->seq != v->last + 1)
        v->contiguous = false;
    v->last = c->seq;
    v->n++;
    return v->stop_after && v->n == v->stop_after;
}

static void test_scan(void **state)
{
    fx *f = *state;
    tstream s;
    cets_engine *e = journaled(f, 1000, 32, 8192, &s);
    char err[512] = "x";
    seen v = {.contiguous = true};
    assert_int_equal(cets_journal_scan(f->dir, 1, see, &v, err, sizeof err), 1000);
    assert_string_equal(err, "");
    assert_true(v.contiguous);
    assert_int_equal(v.first, 1);
    assert_int_equal(v.last, 1000);

    v = (seen){.contiguous = true};
    assert_int_equal(cets_journal_scan(f->dir, 900, see, &v, err, sizeof err), 101);
    assert_int_equal(v.first, 900);

    v = (seen){.contiguous = true, .stop_after = 10};
    assert_int_equal(cets_journal_scan(f->dir, 1, see, &v, err, sizeof err), 10);

    uint64_t segs[64];
    int n = segments(f, segs, 64);
    const char *last = seg_path(f, segs[n - 1]);
    off_t size = file_size(last);
    append_bytes(last, "torn", 4);
    v = (seen){.contiguous = true};
    assert_int_equal(cets_journal_scan(f->dir, 1, see, &v, err, sizeof err), 1000);
    expect_in(err, "at offset");
    assert_int_equal(file_size(last), size + 4); /* read-only */
    cets_engine_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_roundtrip, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_fresh_and_empty, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_segments_roll, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_snapshot_then_replay, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_snapshot_ahead_of_journal, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_snapshot_corrupt_fallback, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_torn_short_record, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_torn_header_only, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_torn_garbage, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_torn_flipped_byte, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_torn_hole, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_middle_of_last_segment, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_bad_record_middle_segment, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_sequence_gap, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_config_damage_refused, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_incomplete_segment_removed, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_open_refusals, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_group_commit_stats, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_short_writes_and_eintr, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_sync_failure, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_write_failure, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_scan, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_direct_commits, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_direct_refused, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_direct_short, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_direct_failure, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests_name("journal", tests, NULL, NULL);
}
