/* test_golden.c -- the golden data directory of tests/golden/ keeps loading.
 *
 * The files were written once (tests/golden/make_golden.c, README.md there)
 * and are committed: a journal of every command type, a snapshot in the
 * middle of a trading day with business open, and the engine configuration.
 * Today's code must read them to the state hashes recorded then, three ways:
 * the journal alone from the first record, the snapshot file alone, and
 * recovery (snapshot, then the records after it). The journal stores
 * cets_cmd as it is in memory, engine.config stores cets_config, and a
 * snapshot the engine's state structs: if one of them changes shape, or the
 * engine reads them differently, these hashes change and the test fails.
 * Such a change must bump CETS_JOURNAL_VERSION and convert
 * (docs/operations.md), then regenerate the files.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cets/journal.h"
#include "tmarket.h"

#ifndef CETS_SOURCE_DIR
#error "CETS_SOURCE_DIR must name the source tree (CMakeLists.txt defines it for every test)"
#endif

typedef struct golden {
    uint64_t records, accepted, rejected, snapshot_seq, snapshot_hash, last_seq, hash;
    int64_t journal_version, trading_date;
    char src[1024], dir[1024]; /* the committed data directory; a private copy */
} golden;

static golden G;

static uint64_t field(const char *text, const char *key, int base)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\n%s=", key);
    const char *p = strstr(text, pat);
    if (!p) fail_msg("golden.txt has no %s", key);
    return strtoull(p + strlen(pat), NULL, base);
}

static void copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    assert_non_null(in);
    assert_non_null(out);
    char buf[8192];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0) assert_int_equal(fwrite(buf, 1, n, out), n);
    fclose(in);
    assert_int_equal(fclose(out), 0);
}

static int setup(void **state)
{
    (void)state;
    char path[1200], text[4096];
    snprintf(path, sizeof path, "%s/tests/golden/golden.txt", CETS_SOURCE_DIR);
    FILE *f = fopen(path, "r");
    if (!f) fail_msg("%s: missing (CETS_SOURCE_DIR=%s)", path, CETS_SOURCE_DIR);
    text[0] = '\n';
    size_t n = fread(text + 1, 1, sizeof text - 2, f);
    text[n + 1] = 0;
    fclose(f);
    G.journal_version = (int64_t)field(text, "journal_version", 10);
    G.records = field(text, "records", 10);
    G.accepted = field(text, "accepted", 10);
    G.rejected = field(text, "rejected", 10);
    G.snapshot_seq = field(text, "snapshot_seq", 10);
    G.snapshot_hash = field(text, "snapshot_state_hash", 16);
    G.last_seq = field(text, "last_seq", 10);
    G.trading_date = (int64_t)field(text, "trading_date", 10);
    G.hash = field(text, "state_hash", 16);
    snprintf(G.src, sizeof G.src, "%s/tests/golden/data", CETS_SOURCE_DIR);

    /* recovery may cut a torn tail in place: it works on a copy */
    const char *base = getenv("CETS_TEST_TMP");
    if (!base || !*base) base = "/tmp";
    mkdir(base, 0755);
    snprintf(G.dir, sizeof G.dir, "%s/golden-XXXXXX", base);
    assert_non_null(mkdtemp(G.dir));
    DIR *d = opendir(G.src);
    assert_non_null(d);
    for (struct dirent *de; (de = readdir(d));) {
        if (de->d_name[0] == '.') continue;
        char from[2400], to[2400];
        snprintf(from, sizeof from, "%s/%s", G.src, de->d_name);
        snprintf(to, sizeof to, "%s/%s", G.dir, de->d_name);
        copy_file(from, to);
    }
    closedir(d);
    return 0;
}

/* Remove dir and the files in it: 0, or -1 (rmdir's). */
static int remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    for (struct dirent *de; d && (de = readdir(d));) {
        char p[2400];
        if (de->d_name[0] == '.') continue;
        snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
        unlink(p);
    }
    if (d) closedir(d);
    return rmdir(dir);
}

static int teardown(void **state)
{
    (void)state;
    remove_dir(G.dir);
    return 0;
}

/* The files were written by this version of the format. */
static void test_version(void **state)
{
    (void)state;
    assert_int_equal(G.journal_version, CETS_JOURNAL_VERSION);
    assert_int_equal(G.records, G.accepted + G.rejected);
}

/* engine.config holds the configuration the market ran with. */
static void test_config(void **state)
{
    (void)state;
    cets_config stored, want;
    char err[512] = "";
    assert_int_equal(cets_data_config(G.src, &stored, err, sizeof err), 1);
    cets_config_default(&want);
    want.start_date = 20261130;
    assert_memory_equal(&stored, &want, sizeof want);
}

typedef struct replay {
    cets_engine *e;
    uint64_t n, accepted, rejected, hash_at_snapshot;
} replay;

static int apply_one(void *ctx, const cets_cmd *c)
{
    replay *r = ctx;
    cets_result res;
    if (cets_apply(r->e, c, &res) == CETS_OK)
        r->accepted++;
    else
        r->rejected++;
    if (++r->n == G.snapshot_seq) r->hash_at_snapshot = cets_state_hash(r->e);
    return 0;
}

/* The journal alone, from its first record, into a fresh engine. */
static void test_journal_from_scratch(void **state)
{
    (void)state;
    char err[512] = "";
    cets_config cfg;
    assert_int_equal(cets_data_config(G.src, &cfg, err, sizeof err), 1);
    replay r = {.e = cets_engine_new(&cfg)};
    assert_non_null(r.e);
    long n = cets_journal_scan(G.src, 1, apply_one, &r, err, sizeof err);
    if (n < 0 || err[0]) fail_msg("scan: %s", err);
    assert_int_equal(n, G.records);
    assert_int_equal(r.accepted, G.accepted);
    assert_int_equal(r.rejected, G.rejected);
    assert_int_equal(cets_last_seq(r.e), G.last_seq);
    assert_int_equal(cets_trading_date(r.e), G.trading_date);
    if (r.hash_at_snapshot != G.snapshot_hash)
        fail_msg("state hash after seq %" PRIu64 ": %016" PRIx64 ", recorded %016" PRIx64,
                 G.snapshot_seq, r.hash_at_snapshot, G.snapshot_hash);
    if (cets_state_hash(r.e) != G.hash)
        fail_msg("state hash: %016" PRIx64 ", recorded %016" PRIx64, cets_state_hash(r.e), G.hash);
    assert_null(tm_invariants(r.e));
    cets_engine_free(r.e);
}

/* The snapshot file alone. */
static void test_snapshot(void **state)
{
    (void)state;
    char path[1200], err[512] = "";
    snprintf(path, sizeof path, "%s/snapshot-%020" PRIu64 ".snap", G.src, G.snapshot_seq);
    uint64_t seq = 0;
    cets_engine *e = cets_snapshot_read(path, &seq, err, sizeof err);
    if (!e) fail_msg("%s", err);
    assert_int_equal(seq, G.snapshot_seq);
    assert_int_equal(cets_last_seq(e), G.snapshot_seq);
    if (cets_state_hash(e) != G.snapshot_hash)
        fail_msg("snapshot state hash %016" PRIx64 ", recorded %016" PRIx64, cets_state_hash(e),
                 G.snapshot_hash);
    assert_null(tm_invariants(e));
    cets_engine_free(e);
}

/* Recovery as cetsd does it: the snapshot, then the records after it. */
static void test_recover(void **state)
{
    (void)state;
    char err[512] = "";
    cets_recovery rep;
    cets_engine *e = cets_recover(G.dir, NULL, NULL, NULL, &rep, err, sizeof err);
    if (!e) fail_msg("recover: %s", err);
    assert_int_equal(rep.snapshot_seq, G.snapshot_seq);
    assert_int_equal(rep.replayed, G.records - G.snapshot_seq);
    assert_int_equal(rep.truncated_bytes, 0);
    assert_int_equal(rep.last_seq, G.last_seq);
    if (cets_state_hash(e) != G.hash)
        fail_msg("recovered state hash %016" PRIx64 ", recorded %016" PRIx64, cets_state_hash(e),
                 G.hash);
    cets_engine_free(e);
}

typedef struct cmds {
    cets_cmd c[256];
    size_t n;
} cmds;

static int collect(void *ctx, const cets_cmd *c)
{
    cmds *l = ctx;
    assert_true(l->n < 256);
    l->c[l->n++] = *c;
    return 0;
}

static long file_bytes(const char *dir, const char *name)
{
    char p[2400];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    struct stat st;
    assert_int_equal(stat(p, &st), 0);
    return (long)st.st_size;
}

/* The golden commands (version 1 records: the raw structs) written again by
 * today's journal (version 3: encoded) read back as the very same structs,
 * every byte, and replay to the recorded state: every command type and every
 * part of cets_cmd the journal stores survives the encoding. */
static void test_rewritten(void **state)
{
    (void)state;
    char err[512] = "", dir[1100];
    static cmds old, now;
    old.n = now.n = 0;
    assert_int_equal(cets_journal_scan(G.src, 1, collect, &old, err, sizeof err), G.records);
    snprintf(dir, sizeof dir, "%s-v3", G.dir);
    assert_int_equal(mkdir(dir, 0755), 0);
    cets_config cfg;
    assert_int_equal(cets_data_config(G.src, &cfg, err, sizeof err), 1);
    cets_engine *e = cets_recover(dir, &cfg, NULL, NULL, NULL, err, sizeof err);
    if (!e) fail_msg("recover: %s", err);
    cets_engine_free(e);
    cets_journal *j = cets_journal_open(dir, 1, err, sizeof err);
    if (!j) fail_msg("open: %s", err);
    for (size_t i = 0; i < old.n; i++) assert_int_equal(cets_journal_append(j, &old.c[i]), 0);
    assert_int_equal(cets_journal_commit(j), 0);
    cets_journal_close(j);

    assert_int_equal(cets_journal_scan(dir, 1, collect, &now, err, sizeof err), G.records);
    for (size_t i = 0; i < old.n; i++)
        if (memcmp(&old.c[i], &now.c[i], sizeof old.c[i]) != 0)
            fail_msg("seq %" PRIu64 " (%s) reads back changed", old.c[i].seq,
                     cets_cmd_name(old.c[i].type));
    cets_recovery rep;
    e = cets_recover(dir, NULL, NULL, NULL, &rep, err, sizeof err);
    if (!e) fail_msg("recover: %s", err);
    assert_int_equal(rep.replayed, G.records);
    if (cets_state_hash(e) != G.hash)
        fail_msg("state hash %016" PRIx64 ", recorded %016" PRIx64, cets_state_hash(e), G.hash);
    cets_engine_free(e);

    const char *seg = "journal-00000000000000000001.log";
    char p[2400];
    snprintf(p, sizeof p, "%s/%s", dir, seg);
    FILE *f = fopen(p, "rb");
    assert_non_null(f);
    unsigned char hdr[12];
    assert_int_equal(fread(hdr, 1, sizeof hdr, f), sizeof hdr);
    fclose(f);
    assert_int_equal(hdr[8], 3); /* the version this build writes */
    long was = file_bytes(G.src, seg), is = file_bytes(dir, seg);
    print_message("golden journal: %ld bytes in version 1, %ld in version 3\n", was, is);
    assert_true(is < was);
    assert_int_equal(remove_dir(dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_version),
        cmocka_unit_test(test_config),
        cmocka_unit_test(test_journal_from_scratch),
        cmocka_unit_test(test_snapshot),
        cmocka_unit_test(test_recover),
        cmocka_unit_test(test_rewritten),
    };
    return cmocka_run_group_tests_name("golden", tests, setup, teardown);
}
