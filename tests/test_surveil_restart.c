/* test_surveil_restart.c -- the alerts survive a restart: core_start feeds
 * the surveillance the journal from its start before it attaches it, so a
 * new cets_surveil after a restart (with or without a snapshot) lists the
 * same alerts with the same ids, and the day's counters go on from where
 * they were. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

static void test_restart(void **state)
{
    (void)state;
    log_setup(NULL, LOG_ERROR);
    char dir[256];
    const char *base = getenv("CETS_TEST_TMP");
    mkdir(base ? base : "/tmp", 0755);
    snprintf(dir, sizeof dir, "%s/surveil-restart-XXXXXX", base ? base : "/tmp");
    assert_non_null(mkdtemp(dir));

    cets_surveil *s1 = cets_surveil_new();
    core *c = start(dir, s1);
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
    /* day 1: a far order (alert 1), ten quick cancels (alert 2 at the end of the day) */
    quick_cancels(c, 10);
    eod(c);
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
    core_stop(c);
    core_close(c);

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
    core_stop(c);
    core_close(c);

    /* once more, a third start: the same again, the last one included */
    cets_surveil *s3 = cets_surveil_new();
    c = start(dir, s3);
    cets_alert third[8];
    assert_int_equal(all_alerts(s3, third, 8), n + 1);
    assert_memory_equal(after, third, (n + 1) * sizeof after[0]);
    core_stop(c);
    core_close(c);
    cets_surveil_free(s1);
    cets_surveil_free(s2);
    cets_surveil_free(s3);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_restart)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
