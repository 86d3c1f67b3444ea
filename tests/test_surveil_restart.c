/* test_surveil_restart.c -- the alerts survive a restart: the snapshot holds
 * the surveillance's state and core_start restores it, fed only the journal
 * after the snapshot (or, when the snapshot holds none, feeds it the journal
 * from its start), so a new cets_surveil after a restart lists the same
 * alerts with the same ids as a run that never stopped, and the day's
 * counters go on from where they were -- also when the journal before the
 * snapshot is gone. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/core.h"
#include "core/log.h"

#define P 2 /* the participant */

static core *start(const char *dir, cets_surveil *s)
{
    core_options o;
    core_options_default(&o);
    o.data_dir = dir;
    o.cfg.enforce_sessions = false;
    o.cfg.start_date = 20261130;
    o.surveil = s;
    core *c = core_open(&o);
    assert_non_null(c);
    char err[256];
    assert_int_equal(core_start(c, err, sizeof err), 0);
    return c;
}

static void submit(core *c, cets_cmd *cmd, cets_result *r)
{
    assert_int_equal(core_submit(c, cmd, r), CETS_OK);
}

static uint64_t post(core *c, int64_t price)
{
    cets_cmd p = {.type = CETS_CMD_POST,
                  .actor = P,
                  .participant = P,
                  .side = CETS_BUY,
                  .qty = 1,
                  .price = price};
    cets_result r;
    submit(c, &p, &r);
    return r.order_id;
}

/* n posts, each cancelled at once; the first far from the market */
static void quick_cancels(core *c, int n)
{
    for (int i = 0; i < n; i++) {
        cets_cmd x = {
            .type = CETS_CMD_CANCEL, .actor = P, .participant = P, .order_id = post(c, 4600 + i)};
        submit(c, &x, NULL);
    }
}

static void eod(core *c)
{
    cets_cmd x = {.type = CETS_CMD_END_OF_DAY, .actor = CETS_EXCHANGE_ID};
    submit(c, &x, NULL);
}

static uint32_t all_alerts(cets_surveil *s, cets_alert *out, uint32_t cap)
{
    uint32_t n = cets_surveil_alerts(s, 0, out, cap);
    assert_true(n <= cap);
    return n;
}

static void tmpdir(char *dir, size_t len, const char *name)
{
    const char *base = getenv("CETS_TEST_TMP");
    mkdir(base ? base : "/tmp", 0755);
    snprintf(dir, len, "%s/%s-XXXXXX", base ? base : "/tmp", name);
    assert_non_null(mkdtemp(dir));
}

static void rmdir_all(const char *dir)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

/* Remove the files of dir whose names start with prefix: all of them, or
 * (newest) the last in name order. Returns how many. */
static int remove_files(const char *dir, const char *prefix, bool newest)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    char last[256] = "", path[600];
    int n = 0;
    for (struct dirent *de; (de = readdir(d));) {
        if (strncmp(de->d_name, prefix, strlen(prefix)) != 0) continue;
        if (newest) {
            if (strcmp(de->d_name, last) > 0) snprintf(last, sizeof last, "%s", de->d_name);
            continue;
        }
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        assert_int_equal(unlink(path), 0);
        n++;
    }
    closedir(d);
    if (newest && last[0]) {
        snprintf(path, sizeof path, "%s/%s", dir, last);
        assert_int_equal(unlink(path), 0);
        n++;
    }
    return n;
}

/* The market, and a participant whose posts cancelled at once count from 10 */
static void setup(core *c)
{
    cets_cmd add = {.type = CETS_CMD_INSTRUMENT_ADD,
                    .actor = CETS_EXCHANGE_ID,
                    .price = 5000,
                    .flags = CETS_MATCH_CONTINUOUS};
    snprintf(add.u.text, sizeof add.u.text, "CEA25");
    submit(c, &add, NULL);
    cets_cmd p = {
        .type = CETS_CMD_PARTICIPANT_ADD, .actor = CETS_EXCHANGE_ID, .aux = CETS_PK_INSTITUTION};
    snprintf(p.u.text, sizeof p.u.text, "p");
    submit(c, &p, NULL);
    cets_cmd dep = {
        .type = CETS_CMD_DEPOSIT, .actor = CETS_EXCHANGE_ID, .participant = P, .qty = 1000000000};
    submit(c, &dep, NULL);
    cets_cmd pm = {.type = CETS_CMD_PARAM_SET,
                   .actor = CETS_EXCHANGE_ID,
                   .aux = CETS_PARAM_SURV_CANCEL_MIN,
                   .qty = 10,
                   .flags = CETS_PARAM_URGENT};
    submit(c, &pm, NULL);
}

/* A start on a fresh dir and the first day: a far order (alert 1), ten quick
 * cancels (alert 2 at the end of the day). */
static core *first_day(const char *dir, cets_surveil *s)
{
    core *c = start(dir, s);
    setup(c);
    quick_cancels(c, 10);
    eod(c);
    return c;
}

static void stop(core *c)
{
    core_stop(c);
    core_close(c);
}

/* The alerts a and b are the same but for the time (the core's clock). */
static void same_alerts(const cets_alert *a, const cets_alert *b, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        cets_alert x = a[i], y = b[i];
        x.ts = y.ts = 0;
        assert_memory_equal(&x, &y, sizeof x);
    }
}

/* What the restarts below must give: the same commands in one run (made
 * once, by the group's setup). */
static cets_alert once[8];
static uint32_t nonce;

static int no_restart(void **state)
{
    (void)state;
    log_setup(NULL, LOG_ERROR);
    char dir[256];
    tmpdir(dir, sizeof dir, "surveil-once");
    cets_surveil *s = cets_surveil_new();
    core *c = first_day(dir, s);
    quick_cancels(c, 10);
    eod(c);
    nonce = all_alerts(s, once, 8);
    stop(c);
    cets_surveil_free(s);
    rmdir_all(dir);
    return 0;
}

static void test_restart(void **state)
{
    (void)state;
    assert_int_equal(nonce, 4);
    char dir[256];
    tmpdir(dir, sizeof dir, "surveil-restart");

    cets_surveil *s1 = cets_surveil_new();
    core *c = first_day(dir, s1);
    /* a snapshot, then day 2: a far order (alert 3) and six quick cancels so far */
    uint64_t snap;
    char err[256];
    assert_int_equal(core_snapshot(c, &snap, err, sizeof err), 0);
    quick_cancels(c, 6);
    cets_alert before[8];
    uint32_t n = all_alerts(s1, before, 8);
    assert_int_equal(n, 3);
    assert_int_equal(before[0].rule, CETS_ALERT_FAR);
    assert_int_equal(before[1].rule, CETS_ALERT_POST_CANCEL);
    assert_int_equal(before[2].rule, CETS_ALERT_FAR);
    stop(c);
    /* as after a crash: not the snapshot of the stop, the one before it and the
       journal's commands after it (alert 3 and the six cancels) */
    assert_int_equal(remove_files(dir, "snapshot-", true), 1);

    /* the restart: recovery from the snapshot, a new cets_surveil */
    cets_surveil *s2 = cets_surveil_new();
    c = start(dir, s2);
    cets_alert after[8];
    assert_int_equal(all_alerts(s2, after, 8), n);
    assert_memory_equal(before, after, n * sizeof before[0]);
    /* the day's counters went on: 6 + 4 quick cancels reach the minimum of 10 */
    quick_cancels(c, 4);
    eod(c);
    assert_int_equal(all_alerts(s2, after, 8), n + 1);
    assert_int_equal(after[n].rule, CETS_ALERT_POST_CANCEL);
    assert_int_equal(after[n].count[1], 10);
    assert_int_equal(after[n].id, n + 1);
    same_alerts(after, once, nonce);
    stop(c);

    /* once more, a third start (from the snapshot of the stop): the same again */
    cets_surveil *s3 = cets_surveil_new();
    c = start(dir, s3);
    cets_alert third[8];
    assert_int_equal(all_alerts(s3, third, 8), n + 1);
    assert_memory_equal(after, third, (n + 1) * sizeof after[0]);
    stop(c);
    cets_surveil_free(s1);
    cets_surveil_free(s2);
    cets_surveil_free(s3);
    rmdir_all(dir);
}

/* The journal up to the snapshot archived (its segments deleted): the alerts
 * and the day's counters come from the snapshot, the commands after it from
 * the journal that is left. */
static void test_journal_archived(void **state)
{
    (void)state;
    char dir[256];
    tmpdir(dir, sizeof dir, "surveil-archived");
    cets_surveil *s = cets_surveil_new();
    core *c = first_day(dir, s);
    quick_cancels(c, 3);
    stop(c); /* a snapshot of all of it */
    assert_true(remove_files(dir, "journal-", false) >= 1);

    /* a start from the snapshot alone, then three quick cancels more in a new segment */
    cets_surveil *s2 = cets_surveil_new();
    c = start(dir, s2);
    cets_alert a[8];
    assert_int_equal(all_alerts(s2, a, 8), 3);
    quick_cancels(c, 3);
    stop(c);
    /* recovery from the first snapshot and the new segment: seq 1 is gone */
    assert_int_equal(remove_files(dir, "snapshot-", true), 1);
    cets_surveil *s3 = cets_surveil_new();
    c = start(dir, s3);
    assert_int_equal(all_alerts(s3, a, 8), 3);
    quick_cancels(c, 4); /* 3 + 3 + 4: the minimum */
    eod(c);
    assert_int_equal(all_alerts(s3, a, 8), nonce);
    same_alerts(a, once, nonce);
    stop(c);
    cets_surveil_free(s);
    cets_surveil_free(s2);
    cets_surveil_free(s3);
    rmdir_all(dir);
}

/* Snapshots without the surveillance (a server that ran without it, like one
 * of version 5): the start replays the journal from seq 1 for the alerts. */
static void test_snapshot_without(void **state)
{
    (void)state;
    char dir[256];
    tmpdir(dir, sizeof dir, "surveil-without");
    core *c = first_day(dir, NULL);
    quick_cancels(c, 6);
    uint64_t snap;
    char err[256];
    assert_int_equal(core_snapshot(c, &snap, err, sizeof err), 0);
    stop(c);
    cets_surveil *s = cets_surveil_new();
    c = start(dir, s);
    cets_alert a[8];
    assert_int_equal(all_alerts(s, a, 8), 3);
    quick_cancels(c, 4);
    eod(c);
    assert_int_equal(all_alerts(s, a, 8), nonce);
    same_alerts(a, once, nonce);
    stop(c);
    cets_surveil_free(s);
    rmdir_all(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_restart),
                                       cmocka_unit_test(test_journal_archived),
                                       cmocka_unit_test(test_snapshot_without)};
    return cmocka_run_group_tests(tests, no_restart, NULL);
}
