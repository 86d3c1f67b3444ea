/* test_journal_reader.c -- following a journal beside its writer
 * (src/journal/reader.c): every committed record comes out once, in order,
 * across segments; nothing above `upto` is read; bytes of a batch whose commit
 * failed are never handed out, even when the reader had read them ahead; a
 * bad committed record is an error, a torn tail of a finished journal its
 * end; cets_journal_engine_at() rebuilds the state after any seq.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cets/journal.h"
#include "tmarket.h"
#include "tstream.h"

#define N 3000

typedef struct fx {
    char dir[600];
    cets_config cfg;
    cets_cmd *cmds; /* what was journaled, cmds[i].seq == i + 1 */
    uint64_t hash_at[N + 1];
} fx;

static int fx_setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    const char *base = getenv("CETS_TEST_TMP");
    if (!base || !*base) base = "/tmp";
    mkdir(base, 0755);
    snprintf(f->dir, sizeof f->dir, "%s/jreader-XXXXXX", base);
    assert_non_null(mkdtemp(f->dir));
    cets_config_default(&f->cfg);
    f->cfg.start_date = TM_DATE;
    f->cmds = calloc(N + 1, sizeof *f->cmds);
    *state = f;
    return 0;
}

static int fx_teardown(void **state)
{
    fx *f = *state;
    DIR *d = opendir(f->dir);
    struct dirent *de;
    while (d && (de = readdir(d))) {
        char p[1200];
        snprintf(p, sizeof p, "%s/%s", f->dir, de->d_name);
        if (de->d_name[0] != '.') unlink(p);
    }
    if (d) closedir(d);
    rmdir(f->dir);
    free(f->cmds);
    free(f);
    return 0;
}

/* A fresh journal directory and its writer at seq 1 (small segments). */
static cets_journal *journal_new(fx *f, cets_engine **e)
{
    char err[512];
    *e = cets_recover(f->dir, &f->cfg, NULL, NULL, NULL, err, sizeof err);
    assert_non_null(*e);
    cets_journal *j = cets_journal_open(f->dir, 1, err, sizeof err);
    assert_non_null(j);
    cets_journal_set_segment_limit(j, 4096);
    return j;
}

/* Journal n more commands of the stream (one commit per `batch`), applying them. */
static void write_stream(fx *f, cets_journal *j, cets_engine *e, tstream *s, int n, int batch)
{
    for (int i = 0; i < n; i++) {
        cets_cmd c;
        ts_next(s, e, &c);
        assert_int_equal(cets_journal_append(j, &c), 0);
        cets_result r;
        cets_apply(e, &c, &r);
        ts_result(s, &c, &r);
        f->cmds[c.seq] = c;
        f->hash_at[c.seq] = cets_state_hash(e);
        if ((i + 1) % batch == 0) assert_int_equal(cets_journal_commit(j), 0);
    }
    assert_int_equal(cets_journal_commit(j), 0);
}

static void assert_same_cmd(const cets_cmd *a, const cets_cmd *b)
{
    assert_int_equal(a->seq, b->seq);
    size_t n = cets_cmd_size(a);
    assert_int_equal(n, cets_cmd_size(b));
    assert_memory_equal(a, b, n);
}

static int segments(const char *dir)
{
    int n = 0;
    DIR *d = opendir(dir);
    struct dirent *de;
    while ((de = readdir(d))) n += strncmp(de->d_name, "journal-", 8) == 0;
    closedir(d);
    return n;
}

/* Everything, in order, across segments; from the middle; nothing above upto;
 * records committed after the reader reached the end come out next. */
static void test_follow(void **state)
{
    fx *f = *state;
    cets_engine *e;
    cets_journal *j = journal_new(f, &e);
    tstream s;
    ts_init(&s, 11, 250);
    write_stream(f, j, e, &s, 2000, 37);
    assert_true(segments(f->dir) > 10);
    char err[512];
    cets_journal_reader *r = cets_journal_reader_open(f->dir, 1, err, sizeof err);
    assert_non_null(r);
    cets_cmd c;
    for (uint64_t q = 1; q <= 1500; q++) {
        assert_int_equal(cets_journal_reader_next(r, 1500, &c, err, sizeof err), 1);
        assert_same_cmd(&c, &f->cmds[q]);
    }
    /* the limit: 1501 is durable, but the caller did not say so */
    assert_int_equal(cets_journal_reader_next(r, 1500, &c, err, sizeof err), 0);
    assert_int_equal(cets_journal_reader_position(r), 1501);
    for (uint64_t q = 1501; q <= 2000; q++) {
        assert_int_equal(cets_journal_reader_next(r, UINT64_MAX, &c, err, sizeof err), 1);
        assert_same_cmd(&c, &f->cmds[q]);
    }
    assert_int_equal(cets_journal_reader_next(r, UINT64_MAX, &c, err, sizeof err), 0);
    assert_int_equal(cets_journal_reader_next(r, 2000, &c, err, sizeof err), 0);
    /* the writer goes on (new segments too): the reader sees it */
    write_stream(f, j, e, &s, 500, 11);
    for (uint64_t q = 2001; q <= 2500; q++) {
        assert_int_equal(cets_journal_reader_next(r, 2500, &c, err, sizeof err), 1);
        assert_same_cmd(&c, &f->cmds[q]);
    }
    cets_journal_reader_close(r);

    /* from the middle of a segment */
    r = cets_journal_reader_open(f->dir, 1234, err, sizeof err);
    assert_non_null(r);
    for (uint64_t q = 1234; q <= 1300; q++) {
        assert_int_equal(cets_journal_reader_next(r, 2500, &c, err, sizeof err), 1);
        assert_same_cmd(&c, &f->cmds[q]);
    }
    cets_journal_reader_close(r);
    cets_journal_close(j);
    cets_engine_free(e);
}

/* A reader on an empty directory waits for the first segment. */
static void test_empty_then_written(void **state)
{
    fx *f = *state;
    cets_engine *e;
    cets_journal *j = journal_new(f, &e);
    char err[512];
    cets_journal_reader *r = cets_journal_reader_open(f->dir, 1, err, sizeof err);
    assert_non_null(r);
    cets_cmd c;
    assert_int_equal(cets_journal_reader_next(r, 10, &c, err, sizeof err), 0);
    tstream s;
    ts_init(&s, 3, 100);
    write_stream(f, j, e, &s, 10, 10);
    for (uint64_t q = 1; q <= 10; q++) {
        assert_int_equal(cets_journal_reader_next(r, 10, &c, err, sizeof err), 1);
        assert_same_cmd(&c, &f->cmds[q]);
    }
    cets_journal_reader_close(r);
    cets_journal_close(j);
    cets_engine_free(e);
}

/* ---- a failed commit whose bytes the reader had read ahead ----------------- */

typedef struct fail_io {
    cets_journal_reader *r;
    fx *f;
    bool fail;
    int read_during_sync;
} fail_io;

/* The segment's fdatasync: the batch's bytes are in the file now. Let the
 * reader read ahead (it may read only what is durable: up to 20), then fail. */
static int sync_then_fail(void *ctx, int fd, int is_dir)
{
    fail_io *io = ctx;
    if (!io->fail || is_dir) return fdatasync(fd);
    char err[512];
    cets_cmd c;
    int rc;
    while ((rc = cets_journal_reader_next(io->r, 20, &c, err, sizeof err)) == 1) {
        assert_same_cmd(&c, &io->f->cmds[c.seq]);
        io->read_during_sync++;
    }
    assert_int_equal(rc, 0);
    errno = EIO;
    return -1;
}

static void test_failed_commit_not_read(void **state)
{
    fx *f = *state;
    cets_engine *e;
    cets_journal *j = journal_new(f, &e);
    cets_journal_set_segment_limit(j, 1 << 20);
    tstream s;
    ts_init(&s, 5, 200);
    write_stream(f, j, e, &s, 20, 20); /* durable: 1..20 */
    char err[512];
    fail_io io = {.f = f, .fail = true};
    io.r = cets_journal_reader_open(f->dir, 1, err, sizeof err);
    assert_non_null(io.r);
    cets_journal_io hooks = {.sync = sync_then_fail, .ctx = &io};
    cets_journal_set_io(j, &hooks);
    /* 21..30 are written, then their fdatasync fails: never durable */
    cets_engine *lost = cets_journal_engine_at(f->dir, 20, NULL, err, sizeof err);
    assert_non_null(lost);
    tstream s_lost = s;
    for (int i = 0; i < 10; i++) {
        cets_cmd c;
        ts_next(&s_lost, lost, &c);
        c.qty += 1; /* unlike what will be written in their place */
        assert_int_equal(cets_journal_append(j, &c), 0);
        cets_apply(lost, &c, NULL);
    }
    assert_int_equal(cets_journal_commit(j), -1);
    assert_int_equal(io.read_during_sync, 20);
    cets_engine_free(lost);
    cets_journal_close(j);
    /* the writer starts again at 21 with other commands */
    j = cets_journal_open(f->dir, 21, err, sizeof err);
    assert_non_null(j);
    write_stream(f, j, e, &s, 10, 10);
    cets_cmd c;
    for (uint64_t q = 21; q <= 30; q++) {
        assert_int_equal(cets_journal_reader_next(io.r, 30, &c, err, sizeof err), 1);
        assert_same_cmd(&c, &f->cmds[q]);
    }
    cets_journal_reader_close(io.r);
    cets_journal_close(j);
    cets_engine_free(e);
}

/* A damaged committed record stops the reader with a message; the same tail of
 * a journal nobody writes is its end. */
static void test_bad_record(void **state)
{
    fx *f = *state;
    cets_engine *e;
    cets_journal *j = journal_new(f, &e);
    cets_journal_set_segment_limit(j, 1 << 20);
    tstream s;
    ts_init(&s, 9, 200);
    write_stream(f, j, e, &s, 50, 50);
    cets_journal_close(j);
    char path[800];
    snprintf(path, sizeof path, "%s/journal-00000000000000000001.log", f->dir);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(truncate(path, st.st_size - 5), 0); /* seq 50 torn */
    char err[512];
    cets_journal_reader *r = cets_journal_reader_open(f->dir, 45, err, sizeof err);
    cets_cmd c;
    for (uint64_t q = 45; q <= 49; q++)
        assert_int_equal(cets_journal_reader_next(r, UINT64_MAX, &c, err, sizeof err), 1);
    assert_int_equal(cets_journal_reader_next(r, UINT64_MAX, &c, err, sizeof err), 0);
    assert_int_equal(cets_journal_reader_next(r, 50, &c, err, sizeof err), -1);
    assert_non_null(strstr(err, "seq 50"));
    assert_non_null(strstr(err, "short record"));
    assert_int_equal(cets_journal_reader_next(r, 50, &c, err, sizeof err), -1); /* stuck */
    cets_journal_reader_close(r);
    /* a journal that starts after the seq asked for */
    char later[800];
    snprintf(later, sizeof later, "%s/journal-00000000000000000100.log", f->dir);
    unsigned char hdr[32] = {0};
    FILE *w = fopen(later, "w");
    fwrite(hdr, 1, sizeof hdr, w);
    fclose(w);
    unlink(path);
    assert_null(cets_journal_reader_open(f->dir, 5, err, sizeof err));
    assert_non_null(strstr(err, "starts at seq 100"));
    cets_engine_free(e);
}

/* The state after any seq, with or without a snapshot before it. */
static void test_engine_at(void **state)
{
    fx *f = *state;
    cets_engine *e;
    cets_journal *j = journal_new(f, &e);
    tstream s;
    ts_init(&s, 21, 300);
    write_stream(f, j, e, &s, 1000, 50);
    char err[512];
    assert_int_equal(cets_snapshot_write(f->dir, e, 3, err, sizeof err), 0); /* at 1000 */
    write_stream(f, j, e, &s, 1000, 50);
    static const uint64_t at[] = {0, 1, 777, 1000, 1001, 1999, 2000};
    static const uint64_t snap[] = {0, 0, 0, 1000, 1000, 1000, 1000};
    for (size_t i = 0; i < sizeof at / sizeof at[0]; i++) {
        uint64_t from = 99;
        cets_engine *x = cets_journal_engine_at(f->dir, at[i], &from, err, sizeof err);
        assert_non_null(x);
        assert_int_equal(cets_last_seq(x), at[i]);
        assert_int_equal(from, snap[i]);
        if (at[i]) assert_int_equal(cets_state_hash(x), f->hash_at[at[i]]);
        cets_engine_free(x);
    }
    assert_null(cets_journal_engine_at(f->dir, 2001, NULL, err, sizeof err));
    assert_non_null(strstr(err, "ends at seq 2000"));
    cets_journal_close(j);
    cets_engine_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_follow, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_empty_then_written, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_failed_commit_not_read, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_bad_record, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_engine_at, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
