/* test_recovery.c -- recovery never drops acknowledged commands silently
 * (issue 10, finding 3), and the operator's check and repair.
 *
 * A torn tail is only the incomplete last commit. Damage with whole records
 * of later commits after it, an emptied segment, or damage reaching past the
 * snapshot is refused, naming the segment, the offset and the seq range at
 * risk, and nothing is changed; cets_journal_repair() then cuts, explicitly
 * and keeping the bytes. Damage that the snapshot covers is left as it is:
 * recovery goes on after it, and the journal continues in a new segment.
 * States are compared with a fresh engine fed the same prefix of the stream.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

#include "../src/journal/journal_int.h" /* the record layout, for crafted records */
#include "core/core.h"
#include "core/log.h"
#include "cets/journal.h"
#include "tjournal.h"

static int setup(void **state)
{
    tjdir *d = malloc(sizeof *d);
    tj_init(d, "recovery");
    *state = d;
    return 0;
}

static int teardown(void **state)
{
    tj_free(*state);
    free(*state);
    return 0;
}

static void expect_in(const char *hay, const char *needle)
{
    if (!strstr(hay, needle)) fail_msg("expected \"%s\" in \"%s\"", needle, hay);
}

/* Recovery must refuse, naming what it names, and change no segment. */
static void expect_refused(const tjdir *d, const char *seg, const char *what)
{
    uint64_t before = tj_digest(seg);
    char err[1024] = "";
    cets_recovery rep;
    assert_null(cets_recover(d->dir, &d->cfg, NULL, NULL, &rep, err, sizeof err));
    expect_in(err, what);
    expect_in(err, "nothing was changed");
    assert_int_equal(tj_digest(seg), before);
}

/* The case: a page of zeros in the middle of the last segment, with
 * many commits after it and no snapshot. Before, recovery took it for a torn
 * write, cut half the journal (acknowledged commands) and started. */
static void zero_page_mid_segment_refused(void **state)
{
    tjdir *d = *state;
    tstream s;
    cets_engine *e = tj_journaled(d, 4000, 64, 0, &s);
    const char *seg = tj_seg(d, 1);
    off_t offs[5000];
    assert_int_equal(tj_records(seg, offs, 5000), 4000);
    int g = 2000; /* 4 KiB of zeros from the start of seq 2001 on */
    tj_zero(seg, offs[g], 4096);
    char want[200];
    snprintf(want, sizeof want,
             "journal-00000000000000000001.log: bad length 0 at offset %lld (after seq %d), "
             "but whole records of later commits follow",
             (long long)offs[g], g);
    expect_refused(d, seg, want);
    snprintf(want, sizeof want, "acknowledged commands seq %d..4000 are at risk", g + 1);
    expect_refused(d, seg, want);
    char err[1024] = "";
    assert_int_equal(cets_journal_scan(d->dir, 1, NULL, NULL, err, sizeof err), -1);
    expect_in(err, "not a torn write");
    cets_engine_free(e);
}

/* Damage inside the last commit, with whole records of that same commit
 * after it, is what a power cut leaves: the commit was never acknowledged.
 * It is cut, and the report says how much and that it is a warning. */
static void torn_last_commit_cut_with_counts(void **state)
{
    tjdir *d = *state;
    tstream s;
    cets_engine *e = tj_journaled(d, 200, 50, 0, &s); /* commits of 50 */
    cets_recovery rep;
    cets_engine *r = tj_recover(d, &rep);
    cets_journal *j = tj_open(d, 201);
    tj_feed(r, j, &s, 300, 1000); /* one last commit of 300 */
    cets_journal_close(j);
    const char *seg = tj_seg(d, 1);
    off_t offs[600];
    assert_int_equal(tj_records(seg, offs, 600), 500);
    off_t size = tj_size(seg), page = (offs[300] + 4095) / 4096 * 4096;
    tj_zero(seg, page, 4096);
    int g = 0;
    while (offs[g + 1] <= page) g++;
    int after = 0; /* whole records of the commit after the page */
    for (int k = g + 1; k < 500; k++) after += offs[k] >= page + 4096;
    assert_true(after > 20);
    assert_true(offs[g] < page); /* the damaged record's checksum is intact: it is bad */
    cets_engine *c = tj_recover(d, &rep);
    assert_int_equal(rep.last_seq, g);
    assert_int_equal(rep.truncated_bytes, size - offs[g]);
    assert_int_equal(rep.truncated_records, after);
    assert_int_equal(rep.warn, 1);
    char want[200];
    snprintf(want, sizeof want,
             "with it went seq %d..500, %d of them whole records after the damage, of the same "
             "unacknowledged commit",
             g + 1, after);
    expect_in(rep.message, want);
    assert_int_equal(cets_state_hash(c), tj_ref_hash(d, g));
    cets_engine_free(c);
    cets_engine_free(r);
    cets_engine_free(e);
}

/* Truncating the only segment must not start an empty market at seq 0: its
 * name says its first commit was durable. */
static void truncated_only_segment_refused(void **state)
{
    tjdir *d = *state;
    tstream s;
    cets_engine *e = tj_journaled(d, 300, 64, 0, &s);
    const char *seg = tj_seg(d, 1);
    const off_t lens[] = {32, 20, 0};
    for (int i = 0; i < 3; i++) {
        tj_truncate(seg, lens[i]);
        expect_refused(d, seg, "journal-00000000000000000001.log: ");
        expect_refused(d, seg, "acknowledged commands from seq 1 on are lost or at risk");
        assert_int_equal(tj_size(seg), lens[i]);
        char err[1024] = "";
        cets_journal *j = cets_journal_open(d->dir, 1, err, sizeof err);
        assert_null(j);
        expect_in(err, "recover the directory first");
    }
    cets_engine_free(e);
}

/* Only a directory whose journal was never written starts empty: a crash in
 * its first commit leaves a .tmp file, which recovery removes. */
static void unfinished_first_segment_starts_empty(void **state)
{
    tjdir *d = *state;
    cets_recovery rep;
    cets_engine *e = tj_recover(d, &rep);
    cets_engine_free(e);
    char tmp[1300];
    snprintf(tmp, sizeof tmp, "%s.tmp", tj_seg(d, 1));
    FILE *f = fopen(tmp, "wb");
    assert_non_null(f);
    fputs("CETSJNL1 and a partial header", f);
    fclose(f);
    e = tj_recover(d, &rep);
    assert_int_equal(rep.last_seq, 0);
    assert_int_equal(rep.warn, 1);
    expect_in(rep.message, "journal-00000000000000000001.log.tmp: a segment whose first "
                           "commit never completed: removed");
    assert_int_equal(access(tmp, F_OK), -1);
    cets_engine_free(e);
}

/* The last record is damaged, but a snapshot holds it (snapshots are of
 * committed state, so it was acknowledged: not a torn write). Recovery
 * starts from the snapshot without cutting anything, the next commands go to
 * a new segment, and later recoveries work. Before, the record was cut,
 * leaving the journal with a permanent hole at that seq. */
static void damaged_last_record_covered_by_snapshot(void **state)
{
    tjdir *d = *state;
    tstream s;
    cets_engine *e = tj_journaled(d, 500, 64, 0, &s);
    char err[1024] = "";
    assert_int_equal(cets_snapshot_write(d->dir, e, 2, err, sizeof err), 0);
    const char *seg = tj_seg(d, 1);
    off_t offs[600];
    assert_int_equal(tj_records(seg, offs, 600), 500);
    tj_flip(seg, offs[499] + 12 + 20);
    uint64_t damaged = tj_digest(seg);

    cets_recovery rep;
    cets_engine *r = tj_recover(d, &rep);
    assert_int_equal(rep.snapshot_seq, 500);
    assert_int_equal(rep.last_seq, 500);
    assert_int_equal(rep.truncated_bytes, 0);
    assert_int_equal(rep.warn, 1);
    expect_in(rep.message, "journal-00000000000000000001.log: checksum mismatch at offset");
    expect_in(rep.message, "are in snapshot 500");
    assert_int_equal(tj_digest(seg), damaged); /* nothing cut: no hole at seq 500 */

    cets_journal *j = tj_open(d, 501);
    tj_feed(r, j, &s, 100, 16);
    cets_journal_close(j);
    uint64_t segs[4];
    assert_int_equal(tj_segments(d, segs, 4), 2);
    assert_int_equal(segs[1], 501);
    assert_int_equal(tj_digest(seg), damaged);

    cets_engine *r2 = tj_recover(d, &rep);
    assert_int_equal(rep.last_seq, 600);
    assert_int_equal(rep.replayed, 100);
    assert_int_equal(cets_state_hash(r2), cets_state_hash(r));
    assert_int_equal(cets_state_hash(r2), tj_ref_hash(d, 600));
    assert_int_equal(cets_journal_scan(d->dir, 501, NULL, NULL, err, sizeof err), 100);
    assert_string_equal(err, "");
    /* the journal alone cannot rebuild seq 500, and says where */
    assert_int_equal(cets_journal_scan(d->dir, 1, NULL, NULL, err, sizeof err), -1);
    expect_in(err, "journal-00000000000000000001.log: checksum mismatch at offset");
    cets_engine_free(r2);
    cets_engine_free(r);
    cets_engine_free(e);
}

/* A page of zeros in the middle of the last segment, before the snapshot,
 * with acknowledged commands after the snapshot in the same segment: they
 * are whole, and recovery must replay them. Before, the zeros passed for a
 * torn write and everything after them was cut, the commands after the
 * snapshot included. */
static void damage_before_snapshot_in_last_segment(void **state)
{
    tjdir *d = *state;
    tstream s;
    cets_engine *e = tj_journaled(d, 2000, 16, 0, &s);
    char err[1024] = "";
    assert_int_equal(cets_snapshot_write(d->dir, e, 2, err, sizeof err), 0);
    cets_recovery rep;
    cets_engine *r = tj_recover(d, &rep);
    cets_journal *j = tj_open(d, 2001);
    tj_feed(r, j, &s, 80, 16);
    cets_journal_close(j);
    const char *seg = tj_seg(d, 1);
    uint64_t segs[4];
    assert_int_equal(tj_segments(d, segs, 4), 1);
    off_t offs[2100];
    assert_int_equal(tj_records(seg, offs, 2100), 2080);
    off_t page = offs[1000] / 4096 * 4096;
    tj_zero(seg, page, 4096);
    uint64_t damaged = tj_digest(seg);

    cets_engine *c = tj_recover(d, &rep);
    assert_int_equal(rep.snapshot_seq, 2000);
    assert_int_equal(rep.last_seq, 2080);
    assert_int_equal(rep.replayed, 80);
    assert_int_equal(rep.warn, 1);
    expect_in(rep.message, "are in snapshot 2000");
    assert_int_equal(cets_state_hash(c), cets_state_hash(r));
    assert_int_equal(tj_digest(seg), damaged);
    /* and the journal goes on after it, in a new segment */
    j = tj_open(d, 2081);
    tj_feed(c, j, &s, 20, 8);
    cets_journal_close(j);
    assert_int_equal(tj_segments(d, segs, 4), 2);
    assert_int_equal(segs[1], 2081);
    cets_engine *c2 = tj_recover(d, &rep);
    assert_int_equal(rep.last_seq, 2100);
    assert_int_equal(cets_state_hash(c2), tj_ref_hash(d, 2100));
    cets_engine_free(c2);
    cets_engine_free(c);
    cets_engine_free(r);
    cets_engine_free(e);
}

/* Damage past the snapshot in the same place is refused: the commands
 * after the snapshot that it took are acknowledged. */
static void damage_across_snapshot_refused(void **state)
{
    tjdir *d = *state;
    tstream s;
    cets_engine *e = tj_journaled(d, 1000, 16, 0, &s);
    char err[1024] = "";
    assert_int_equal(cets_snapshot_write(d->dir, e, 2, err, sizeof err), 0);
    cets_recovery rep;
    cets_engine *r = tj_recover(d, &rep);
    cets_journal *j = tj_open(d, 1001);
    tj_feed(r, j, &s, 200, 16);
    cets_journal_close(j);
    const char *seg = tj_seg(d, 1);
    off_t offs[1300];
    assert_int_equal(tj_records(seg, offs, 1300), 1200);
    tj_zero(seg, offs[995], (size_t)(offs[1010] - offs[995])); /* seq 996..1010 */
    expect_refused(d, seg, "at offset");
    expect_refused(d, seg, "commands seq 1001..1200 are at risk");
    cets_engine_free(r);
    cets_engine_free(e);
}

/* Bytes between two consecutive records (found by fuzzing): whatever they
 * are, no command is missing, so recovery goes on after them, says so, and
 * leaves the file alone; the journal continues in a new segment. */
static void garbage_between_records_accepted(void **state)
{
    tjdir *d = *state;
    tstream s;
    cets_engine *e = tj_journaled(d, 300, 16, 0, &s);
    const char *seg = tj_seg(d, 1);
    off_t offs[400];
    assert_int_equal(tj_records(seg, offs, 400), 300);
    off_t size = tj_size(seg);
    /* the file again with 100 bytes of junk before seq 101 */
    unsigned char *b = malloc((size_t)size + 100);
    FILE *f = fopen(seg, "rb");
    assert_int_equal(fread(b, 1, (size_t)size, f), size);
    fclose(f);
    memmove(b + offs[100] + 100, b + offs[100], (size_t)(size - offs[100]));
    memset(b + offs[100], 0x5a, 100);
    f = fopen(seg, "wb");
    assert_int_equal(fwrite(b, 1, (size_t)size + 100, f), size + 100);
    fclose(f);
    free(b);
    uint64_t before = tj_digest(seg);
    cets_recovery rep;
    cets_engine *r = tj_recover(d, &rep);
    assert_int_equal(rep.last_seq, 300);
    assert_int_equal(rep.warn, 1);
    expect_in(rep.message, "(after seq 100): damaged bytes, but seq 101 follows whole, so no "
                           "command is missing");
    assert_int_equal(cets_state_hash(r), cets_state_hash(e));
    assert_int_equal(tj_digest(seg), before);
    cets_journal *j = tj_open(d, 301);
    tj_feed(r, j, &s, 10, 4);
    cets_journal_close(j);
    uint64_t segs[4];
    assert_int_equal(tj_segments(d, segs, 4), 2);
    assert_int_equal(segs[1], 301);
    cets_engine *r2 = tj_recover(d, &rep);
    assert_int_equal(rep.last_seq, 310);
    assert_int_equal(cets_state_hash(r2), tj_ref_hash(d, 310));
    cets_engine_free(r2);
    cets_engine_free(r);
    cets_engine_free(e);
}

/* A second recovery judges the directory as the first did (found by
 * fuzzing): junk between seq 25 and 26 loses nothing; the last commit (31..40)
 * lost its first record, so it is a torn tail and is cut, and with it the
 * records of a later commit that had followed the junk. The junk must not
 * become a torn tail then, or the second recovery would cut 26..30, which
 * the first one replayed. */
static void judgement_stable_across_recoveries(void **state)
{
    tjdir *d = *state;
    tstream s;
    cets_engine *e = tj_journaled(d, 40, 10, 0, &s);
    const char *seg = tj_seg(d, 1);
    off_t offs[50];
    assert_int_equal(tj_records(seg, offs, 50), 40);
    off_t size = tj_size(seg);
    tj_zero(seg, offs[30], 12); /* seq 31's record header */
    unsigned char *b = malloc((size_t)size + 50);
    FILE *f = fopen(seg, "rb");
    assert_int_equal(fread(b, 1, (size_t)size, f), size);
    fclose(f);
    memmove(b + offs[25] + 50, b + offs[25], (size_t)(size - offs[25]));
    memset(b + offs[25], 0x33, 50); /* junk before seq 26 */
    f = fopen(seg, "wb");
    assert_int_equal(fwrite(b, 1, (size_t)size + 50, f), size + 50);
    fclose(f);
    free(b);
    cets_recovery rep;
    cets_engine *r1 = tj_recover(d, &rep);
    assert_int_equal(rep.last_seq, 30);
    assert_int_equal(rep.truncated_bytes, size - offs[30]);
    expect_in(rep.message, "(after seq 25): damaged bytes, but seq 26 follows whole");
    cets_engine *r2 = tj_recover(d, &rep);
    assert_int_equal(rep.last_seq, 30);
    assert_int_equal(rep.truncated_bytes, 0);
    assert_int_equal(cets_state_hash(r2), cets_state_hash(r1));
    assert_int_equal(cets_state_hash(r2), tj_ref_hash(d, 30));
    cets_engine_free(r2);
    cets_engine_free(r1);
    cets_engine_free(e);
}

/* A segment wholly covered by the snapshot is not read at all: here it is
 * not even there to read (a dangling link). */
static void covered_segment_not_read(void **state)
{
    tjdir *d = *state;
    tstream s;
    cets_engine *e = tj_journaled(d, 1500, 32, 8192, &s);
    char err[1024] = "";
    assert_int_equal(cets_snapshot_write(d->dir, e, 1, err, sizeof err), 0);
    uint64_t segs[64];
    int n = tj_segments(d, segs, 64);
    assert_true(n >= 4);
    assert_int_equal(unlink(tj_seg(d, segs[1])), 0);
    assert_int_equal(symlink("/nonexistent/journal", tj_seg(d, segs[1])), 0);
    cets_recovery rep;
    cets_engine *r = tj_recover(d, &rep);
    assert_int_equal(rep.last_seq, 1500);
    assert_int_equal(rep.warn, 0);
    assert_int_equal(cets_state_hash(r), cets_state_hash(e));
    cets_engine_free(r);
    cets_engine_free(e);
}

/* Set record k's index in its commit (the length word's high bits) and fix
 * its checksum: records as a writer with other commits would have made them. */
static void set_index(const char *seg, off_t off, uint64_t idx)
{
    FILE *f = fopen(seg, "r+b");
    assert_non_null(f);
    unsigned char rec[12 + JREC_MAX];
    fseek(f, off, SEEK_SET);
    assert_int_equal(fread(rec, 1, 12, f), 12);
    uint32_t len = jget32(rec + 8) & JREC_LEN_MASK;
    assert_int_equal(fread(rec + 12, 1, len, f), len);
    jput32(rec + 8, jrec_word(len, idx));
    jput64(rec, XXH3_64bits(rec + 8, 4 + len));
    fseek(f, off, SEEK_SET);
    assert_int_equal(fwrite(rec, 1, 12 + len, f), 12 + len);
    fclose(f);
}

/* The index in the commit saturates at JREC_IDX_MAX (a commit of a million
 * records or more); a saturated index, or one past the record's own seq,
 * proves nothing, a small one does. */
static void index_in_commit_limit(void **state)
{
    tjdir *d = *state;
    assert_int_equal(jrec_word(100, JREC_IDX_MAX - 1) >> JREC_LEN_BITS, JREC_IDX_MAX - 1);
    assert_int_equal(jrec_word(100, JREC_IDX_MAX) >> JREC_LEN_BITS, JREC_IDX_MAX);
    assert_int_equal(jrec_word(100, JREC_IDX_MAX + 1) >> JREC_LEN_BITS, JREC_IDX_MAX);
    assert_int_equal(jrec_word(100, UINT64_MAX) & JREC_LEN_MASK, 100);
    tstream s;
    cets_engine *e = tj_journaled(d, 60, 1000, 0, &s); /* one commit of 60 */
    const char *seg = tj_seg(d, 1);
    off_t offs[70];
    assert_int_equal(tj_records(seg, offs, 70), 60);
    tj_flip(seg, offs[14] + 30); /* seq 15 */
    char err[1024] = "";
    /* all one commit: a torn tail to the reader */
    assert_int_equal(cets_journal_scan(d->dir, 1, NULL, NULL, err, sizeof err), 14);
    expect_in(err, "a torn tail");
    /* seq 40 at index JREC_IDX_MAX - 1 or more, or at 40 and more: still */
    const uint64_t says_nothing[] = {JREC_IDX_MAX - 1, JREC_IDX_MAX, 40, 41};
    for (int i = 0; i < 4; i++) {
        set_index(seg, offs[39], says_nothing[i]);
        assert_int_equal(cets_journal_scan(d->dir, 1, NULL, NULL, err, sizeof err), 14);
    }
    /* seq 40 at index 24: its commit began at seq 16, after the damage */
    set_index(seg, offs[39], 24);
    assert_int_equal(cets_journal_scan(d->dir, 1, NULL, NULL, err, sizeof err), -1);
    expect_in(err, "whole records of later commits follow");
    /* at index 25 it began at seq 15, the damaged record's own commit */
    set_index(seg, offs[39], 25);
    assert_int_equal(cets_journal_scan(d->dir, 1, NULL, NULL, err, sizeof err), 14);
    cets_engine_free(e);
}

/* ---- the log: a cut is a warning -------------------------------------- */

/* cetsd's core logs what recovery did at warn when something was cut. */
static void torn_tail_logged_at_warn(void **state)
{
    tjdir *d = *state;
    tstream s;
    cets_engine *e = tj_journaled(d, 120, 40, 0, &s);
    tj_append(tj_seg(d, 1), "torn", 4);
    char logpath[1300];
    snprintf(logpath, sizeof logpath, "%s.log", d->dir);
    FILE *log = fopen(logpath, "w+");
    assert_non_null(log);
    log_setup(log, LOG_INFO);
    core_options o;
    core_options_default(&o);
    o.data_dir = d->dir;
    o.snapshot_every = 0;
    core *c = core_open(&o);
    assert_non_null(c);
    char err[1024] = "";
    if (core_start(c, err, sizeof err) != 0) fail_msg("core_start: %s", err);
    core_close(c);
    log_setup(NULL, LOG_ERROR);
    rewind(log);
    char line[4096];
    bool warned = false;
    while (fgets(line, sizeof line, log))
        if (strstr(line, "comp=recovery") && strstr(line, "torn record"))
            warned = strstr(line, "level=warn") != NULL;
    fclose(log);
    unlink(logpath);
    assert_true(warned);
    cets_engine_free(e);
}

/* ---- check and repair ---------------------------------------------------- */

/* The directory, checked: what recovery would refuse and what a
 * repair would cut, and nothing changed. */
static void check_names_the_cut(void **state)
{
    tjdir *d = *state;
    tstream s;
    cets_engine *e = tj_journaled(d, 3000, 64, 0, &s);
    const char *seg = tj_seg(d, 1);
    off_t offs[3100];
    assert_int_equal(tj_records(seg, offs, 3100), 3000);
    off_t size = tj_size(seg);
    cets_recovery rep;
    cets_journal_cut cut;
    char err[1024] = "";
    assert_int_equal(cets_journal_check(d->dir, &rep, &cut, err, sizeof err), 0);
    assert_string_equal(cut.segment, "");
    assert_int_equal(rep.last_seq, 3000);
    assert_int_equal(rep.warn, 0);

    int g = 90;
    tj_zero(seg, offs[g], 4096);
    int after = 0;
    for (int k = g + 1; k < 3000; k++) after += offs[k] >= offs[g] + 4096;
    uint64_t damaged = tj_digest(seg);
    assert_int_equal(cets_journal_check(d->dir, &rep, &cut, err, sizeof err), 1);
    expect_in(err, "whole records of later commits follow");
    assert_string_equal(cut.segment, "journal-00000000000000000001.log");
    assert_int_equal(cut.offset, offs[g]);
    assert_int_equal(cut.bytes, size - offs[g]);
    assert_int_equal(cut.first_seq, g + 1);
    assert_int_equal(cut.last_seq, 3000);
    assert_int_equal(cut.records, after);
    assert_int_equal(cut.later_segments, 0);
    assert_int_equal(tj_digest(seg), damaged);

    /* a torn tail: recovery would cut it, and check says so without cutting */
    tj_truncate(seg, offs[g] + 2000);
    assert_int_equal(cets_journal_check(d->dir, &rep, &cut, err, sizeof err), 0);
    assert_int_equal(rep.warn, 1);
    assert_int_equal(rep.truncated_bytes, 2000);
    assert_int_equal(rep.last_seq, g);
    expect_in(rep.message, "recovery would cut");
    assert_int_equal(tj_size(seg), offs[g] + 2000);

    /* in use: refused */
    cets_engine *r = tj_recover(d, &rep);
    cets_journal *j = tj_open(d, rep.last_seq + 1);
    assert_int_equal(cets_journal_check(d->dir, &rep, &cut, err, sizeof err), -1);
    expect_in(err, "in use");
    cets_journal_close(j);
    cets_engine_free(r);
    cets_engine_free(e);
}

/* The repair cuts where check said, keeps the bytes, and recovery starts at
 * the last whole record before the damage. */
static void repair_cuts_and_keeps_the_bytes(void **state)
{
    tjdir *d = *state;
    tstream s;
    cets_engine *e = tj_journaled(d, 2000, 64, 0, &s);
    const char *seg = tj_seg(d, 1);
    off_t offs[2100];
    assert_int_equal(tj_records(seg, offs, 2100), 2000);
    off_t size = tj_size(seg);
    tj_flip(seg, offs[700] + 30);
    cets_recovery rep;
    cets_journal_cut want, cut;
    char err[1024] = "";
    assert_int_equal(cets_journal_check(d->dir, &rep, &want, err, sizeof err), 1);
    unsigned char *tail = malloc((size_t)(size - offs[700]));
    FILE *f = fopen(seg, "rb");
    assert_non_null(f);
    fseek(f, offs[700], SEEK_SET);
    assert_int_equal(fread(tail, 1, (size_t)(size - offs[700]), f), size - offs[700]);
    fclose(f);

    assert_int_equal(cets_journal_repair(d->dir, &cut, err, sizeof err), 0);
    assert_memory_equal(&cut, &want, sizeof cut); /* what check said, exactly */
    char saved[80];
    snprintf(saved, sizeof saved, "journal-00000000000000000001.log.cut-%lld",
             (long long)offs[700]);
    assert_string_equal(cut.saved, saved);
    assert_int_equal(cut.offset, offs[700]);
    assert_int_equal(cut.bytes, size - offs[700]);
    assert_int_equal(cut.first_seq, 701);
    assert_int_equal(cut.last_seq, 2000);
    assert_int_equal(cut.records, 2000 - 701);
    assert_int_equal(tj_size(seg), offs[700]);
    f = fopen(tj_path(d, saved), "rb");
    assert_non_null(f);
    unsigned char *kept = malloc((size_t)(size - offs[700]) + 1);
    assert_int_equal(fread(kept, 1, (size_t)(size - offs[700]) + 1, f), size - offs[700]);
    fclose(f);
    assert_memory_equal(kept, tail, (size_t)(size - offs[700]));
    free(kept);
    free(tail);

    cets_engine *r = tj_recover(d, &rep);
    assert_int_equal(rep.last_seq, 700);
    assert_int_equal(rep.truncated_bytes, 0);
    assert_int_equal(cets_state_hash(r), tj_ref_hash(d, 700));
    cets_engine_free(r);
    /* done: a second repair finds nothing to cut */
    assert_int_equal(cets_journal_repair(d->dir, &cut, err, sizeof err), 0);
    assert_string_equal(cut.segment, "");
    cets_engine_free(e);
}

/* A repair interrupted after it saved the bytes finishes when run again; a
 * different file in the way is not overwritten. */
static void repair_resumes_after_interruption(void **state)
{
    tjdir *d = *state;
    tstream s;
    cets_engine *e = tj_journaled(d, 600, 32, 0, &s);
    const char *seg = tj_seg(d, 1);
    off_t offs[700];
    assert_int_equal(tj_records(seg, offs, 700), 600);
    off_t size = tj_size(seg);
    tj_flip(seg, offs[100] + 30);
    char saved[1400];
    snprintf(saved, sizeof saved, "%s.cut-%lld", seg, (long long)offs[100]);
    FILE *f = fopen(saved, "wb");
    fputs("something else", f);
    fclose(f);
    cets_journal_cut cut;
    char err[1024] = "";
    assert_int_equal(cets_journal_repair(d->dir, &cut, err, sizeof err), -1);
    expect_in(err, "already exists; move it away and repair again");
    assert_int_equal(tj_size(seg), size);
    /* the bytes it would have saved, as an interrupted repair leaves them */
    unsigned char *tail = malloc((size_t)(size - offs[100]));
    f = fopen(seg, "rb");
    fseek(f, offs[100], SEEK_SET);
    assert_int_equal(fread(tail, 1, (size_t)(size - offs[100]), f), size - offs[100]);
    fclose(f);
    f = fopen(saved, "wb");
    assert_int_equal(fwrite(tail, 1, (size_t)(size - offs[100]), f), size - offs[100]);
    fclose(f);
    free(tail);
    assert_int_equal(cets_journal_repair(d->dir, &cut, err, sizeof err), 0);
    assert_int_equal(cut.offset, offs[100]);
    assert_int_equal(tj_size(seg), offs[100]);
    assert_int_equal(tj_size(saved), size - offs[100]);
    cets_recovery rep;
    cets_engine *r = tj_recover(d, &rep);
    assert_int_equal(rep.last_seq, 100);
    cets_engine_free(r);
    cets_engine_free(e);
}

/* Damage in a segment that is not the last: the repair cuts there and sets
 * the later segments aside. */
static void repair_sets_later_segments_aside(void **state)
{
    tjdir *d = *state;
    tstream s;
    cets_engine *e = tj_journaled(d, 1500, 32, 8192, &s);
    uint64_t segs[64];
    int n = tj_segments(d, segs, 64);
    assert_true(n >= 4);
    const char *seg = tj_seg(d, segs[1]);
    off_t offs[400];
    int nr = tj_records(seg, offs, 400);
    assert_true(nr > 10);
    tj_flip(seg, offs[5] + 30);
    uint64_t g = segs[1] + 4;
    char err[1024] = "";
    expect_refused(d, seg, "not the last: refusing to recover; nothing was changed");
    cets_journal_cut cut;
    assert_int_equal(cets_journal_repair(d->dir, &cut, err, sizeof err), 0);
    assert_int_equal(cut.offset, offs[5]);
    assert_int_equal(cut.first_seq, g + 1);
    assert_int_equal(cut.last_seq, 1500);
    assert_int_equal(cut.later_segments, n - 2);
    assert_int_equal(cut.records, 1500 - g - 1);
    assert_int_equal(tj_segments(d, segs, 64), 2);
    assert_int_equal(tj_count(d, "journal-"), n + 1); /* the cut bytes kept, the rest renamed */
    cets_recovery rep;
    cets_engine *r = tj_recover(d, &rep);
    assert_int_equal(rep.last_seq, g);
    assert_int_equal(cets_state_hash(r), tj_ref_hash(d, (int)g));
    cets_engine_free(r);
    cets_engine_free(e);
}

/* The emptied only segment: the repair sets it aside, and only then does the
 * market start empty, by the operator's decision. */
static void repair_emptied_segment(void **state)
{
    tjdir *d = *state;
    tstream s;
    cets_engine *e = tj_journaled(d, 100, 10, 0, &s);
    tj_truncate(tj_seg(d, 1), 20);
    cets_journal_cut cut;
    char err[1024] = "";
    assert_int_equal(cets_journal_repair(d->dir, &cut, err, sizeof err), 0);
    assert_string_equal(cut.segment, "journal-00000000000000000001.log");
    assert_int_equal(cut.offset, 0);
    assert_int_equal(cut.bytes, 20);
    assert_int_equal(cut.first_seq, 1);
    assert_string_equal(cut.saved, "journal-00000000000000000001.log.cut-0");
    assert_int_equal(tj_size(tj_path(d, cut.saved)), 20);
    cets_recovery rep;
    cets_engine *r = tj_recover(d, &rep);
    assert_int_equal(rep.last_seq, 0);
    cets_engine_free(r);
    /* nothing more to repair */
    assert_int_equal(cets_journal_repair(d->dir, &cut, err, sizeof err), 0);
    assert_string_equal(cut.segment, "");
    cets_engine_free(e);
}

/* A refusal a cut cannot help: nothing is changed. */
static void repair_cannot_invent_a_config(void **state)
{
    tjdir *d = *state;
    tstream s;
    cets_engine *e = tj_journaled(d, 50, 10, 0, &s);
    assert_int_equal(unlink(tj_path(d, "engine.config")), 0);
    uint64_t before = tj_digest(tj_seg(d, 1));
    cets_journal_cut cut;
    char err[1024] = "";
    assert_int_equal(cets_journal_repair(d->dir, &cut, err, sizeof err), -1);
    expect_in(err, "a repair cannot help");
    expect_in(err, "engine.config is missing");
    assert_int_equal(tj_digest(tj_seg(d, 1)), before);
    cets_engine_free(e);
}

/* Replay reads on a second thread and applies on the caller's: the engine,
 * the report, every event (on the caller's thread, in order) and a refusal
 * are what one thread gives. 4096 commands fill the ring's batches exactly;
 * 10,000 wrap it twice and end in a part batch; 3 segments. */
typedef struct ev_trace {
    pthread_t caller;
    bool other_thread;
    uint64_t n, digest; /* events, and a digest of their types and seqs in order */
} ev_trace;

static void trace_event(void *ctx, const cets_event *ev)
{
    ev_trace *t = ctx;
    if (!pthread_equal(pthread_self(), t->caller)) t->other_thread = true;
    t->n++;
    t->digest = t->digest * 1099511628211u ^ ((uint64_t)ev->type << 56 ^ ev->seq);
}

static cets_engine *recover_with(const tjdir *d, bool threads, ev_trace *t, cets_recovery *rep,
                                 char *err, size_t errlen)
{
    jreplay_threads = threads;
    memset(t, 0, sizeof *t);
    t->caller = pthread_self();
    cets_engine *e = cets_recover(d->dir, &d->cfg, trace_event, t, rep, err, errlen);
    jreplay_threads = true;
    return e;
}

static void replay_threads_same_engine(void **state)
{
    tjdir *d = *state;
    static const int counts[] = {4096, 10000};
    for (size_t k = 0; k < sizeof counts / sizeof *counts; k++) {
        int n = counts[k];
        tj_free(d);
        tj_init(d, "recovery");
        tstream s;
        cets_engine *live = tj_journaled(d, n, 64, (uint64_t)n * 12, &s);
        assert_true(tj_segments(d, (uint64_t[8]){0}, 8) >= 3);
        cets_recovery r1, r2;
        ev_trace t1, t2;
        char err[1024] = "";
        assert_int_equal(cets_tape_reserve(0), 0);
        cets_engine *one = recover_with(d, false, &t1, &r1, err, sizeof err);
        if (!one) fail_msg("one thread: %s", err);
        assert_int_equal(cets_tape_reserved(), 0); /* one thread: nobody to clear ahead */
        cets_engine *two = recover_with(d, true, &t2, &r2, err, sizeof err);
        if (!two) fail_msg("two threads: %s", err);
        /* the reader cleared the tape's next chunks as it handed batches over */
        assert_int_equal(cets_tape_reserved(), 4); /* REPLAY_TAPE_RESERVE */
        assert_int_equal(cets_tape_reserve(0), 0);
        assert_int_equal(r2.replayed, (uint64_t)n);
        assert_int_equal(r2.last_seq, (uint64_t)n);
        assert_int_equal(r1.replayed, r2.replayed);
        assert_string_equal(r1.message, r2.message);
        /* the CPU split is the two threads' only: none on one thread */
        assert_true(r1.read_cpu_s == 0 && r1.apply_cpu_s == 0);
        assert_true(r2.read_cpu_s > 0 && r2.apply_cpu_s > 0);
        assert_true(r2.read_cpu_s < 60 && r2.apply_cpu_s < 60);
        assert_int_equal(cets_state_hash(two), tj_ref_hash(d, n));
        assert_int_equal(cets_state_hash(one), cets_state_hash(two));
        assert_int_equal(cets_state_hash(live), cets_state_hash(two));
        assert_true(t2.n > (uint64_t)n);
        assert_int_equal(t1.n, t2.n);
        assert_int_equal(t1.digest, t2.digest);
        assert_false(t1.other_thread);
        assert_false(t2.other_thread);
        cets_engine_free(one);
        cets_engine_free(two);
        cets_engine_free(live);
    }
    /* Damage the walk refuses after it has handed batches over: the same
     * refusal, no engine, nothing changed. */
    const char *seg = tj_seg(d, 1);
    off_t offs[1000];
    assert_int_equal(tj_records(seg, offs, 1000), 1000);
    tj_zero(seg, offs[600], 512);
    uint64_t before = tj_digest(seg);
    char e1[1024] = "", e2[1024] = "";
    cets_recovery r1, r2;
    ev_trace t1, t2;
    assert_null(recover_with(d, false, &t1, &r1, e1, sizeof e1));
    assert_null(recover_with(d, true, &t2, &r2, e2, sizeof e2));
    expect_in(e2, "refusing to recover");
    assert_string_equal(e1, e2);
    assert_int_equal(t1.n, t2.n);
    assert_false(t2.other_thread);
    assert_int_equal(tj_digest(seg), before);
}

/* The reader thread starts while the caller is still setting up: many
 * recoveries in a row, each of which must end (a reader that started before
 * it was told it was one applied the batches itself and never said it was
 * done, and recovery waited for ever: seen under load in cluster_failover). */
static void replay_threads_many_starts(void **state)
{
    tjdir *d = *state;
    tstream s;
    cets_engine *live = tj_journaled(d, 2500, 100, 0, &s);
    uint64_t want = cets_state_hash(live);
    for (int i = 0; i < 300; i++) {
        cets_recovery rep;
        cets_engine *e = tj_recover(d, &rep);
        assert_int_equal(rep.replayed, 2500);
        assert_int_equal(cets_state_hash(e), want);
        cets_engine_free(e);
    }
    cets_engine_free(live);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(zero_page_mid_segment_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(torn_last_commit_cut_with_counts, setup, teardown),
        cmocka_unit_test_setup_teardown(truncated_only_segment_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(unfinished_first_segment_starts_empty, setup, teardown),
        cmocka_unit_test_setup_teardown(damaged_last_record_covered_by_snapshot, setup, teardown),
        cmocka_unit_test_setup_teardown(damage_before_snapshot_in_last_segment, setup, teardown),
        cmocka_unit_test_setup_teardown(damage_across_snapshot_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(garbage_between_records_accepted, setup, teardown),
        cmocka_unit_test_setup_teardown(judgement_stable_across_recoveries, setup, teardown),
        cmocka_unit_test_setup_teardown(covered_segment_not_read, setup, teardown),
        cmocka_unit_test_setup_teardown(index_in_commit_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(torn_tail_logged_at_warn, setup, teardown),
        cmocka_unit_test_setup_teardown(check_names_the_cut, setup, teardown),
        cmocka_unit_test_setup_teardown(repair_cuts_and_keeps_the_bytes, setup, teardown),
        cmocka_unit_test_setup_teardown(repair_resumes_after_interruption, setup, teardown),
        cmocka_unit_test_setup_teardown(repair_sets_later_segments_aside, setup, teardown),
        cmocka_unit_test_setup_teardown(repair_emptied_segment, setup, teardown),
        cmocka_unit_test_setup_teardown(repair_cannot_invent_a_config, setup, teardown),
        cmocka_unit_test_setup_teardown(replay_threads_same_engine, setup, teardown),
        cmocka_unit_test_setup_teardown(replay_threads_many_starts, setup, teardown),
    };
    return cmocka_run_group_tests_name("recovery", tests, NULL, NULL);
}
