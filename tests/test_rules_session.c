/* test_rules_session.c -- trading sessions, the calendar and the end-of-day
 * time rule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "tmarket.h"
#include "trules.h"

typedef struct sm {
    tmarket m;
    uint32_t cea, s, b;
} sm;

/* Setup runs at 08:00 on the trading date, before the first session. */
static void sm_init_cfg(sm *k, const cets_config *cfg)
{
    tm_init(&k->m, cfg);
    tm_at_date(&k->m, cfg ? cfg->start_date : TM_DATE, 8, 0);
    k->cea = tm_instrument(&k->m, "CEA21", CETS_PRODUCT_CEA, CETS_MATCH_LISTING, 5000);
    k->s = tm_participant(&k->m, CETS_PK_ENTITY, "s", 100000000);
    k->b = tm_participant(&k->m, CETS_PK_ENTITY, "b", 100000000);
    tm_credit(&k->m, k->s, k->cea, 100000);
    tm_credit(&k->m, k->b, k->cea, 100000);
}

static void sm_init(sm *k)
{
    sm_init_cfg(k, NULL);
}

static int sell(sm *k, int64_t price, cets_result *r)
{
    return tm_post(&k->m, k->s, k->cea, CETS_SELL, price, 1, r);
}

static void test_session_bounds(void **state)
{
    (void)state;
    sm k;
    sm_init(&k);
    tmarket *m = &k.m;
    cets_result r;
    tm_at(m, 9, 29);
    TR_REJECT(m, CETS_SESSION_CLOSED, sell(&k, 5100, NULL));
    TR_REJECT(m, CETS_SESSION_CLOSED, tm_take_limit(m, k.b, k.cea, CETS_BUY, 1, 5100, NULL));
    tm_at(m, 9, 30);
    TR_OK(m, sell(&k, 5100, NULL));
    tm_at(m, 11, 29);
    TR_OK(m, sell(&k, 5101, &r));
    uint64_t id = r.order_id;
    TR_OK(m, tm_take_limit(m, k.b, k.cea, CETS_BUY, 1, 5101, &r));
    assert_int_equal(r.filled_value, 5100);
    tm_at(m, 11, 30);
    TR_REJECT(m, CETS_SESSION_CLOSED, sell(&k, 5102, NULL));
    TR_REJECT(m, CETS_SESSION_CLOSED, tm_take_limit(m, k.b, k.cea, CETS_BUY, 1, 5101, NULL));
    cets_target t = {id, 1};
    TR_REJECT(m, CETS_SESSION_CLOSED, tm_take_targets(m, k.b, k.cea, CETS_BUY, 1, &t, NULL));
    tm_at(m, 12, 0);
    TR_REJECT(m, CETS_SESSION_CLOSED, tm_modify(m, k.s, id, 5105, 1, NULL));
    tm_at(m, 12, 59);
    TR_REJECT(m, CETS_SESSION_CLOSED, sell(&k, 5102, NULL));
    tm_at(m, 13, 0);
    TR_OK(m, sell(&k, 5102, &r));
    uint64_t id2 = r.order_id;
    TR_OK(m, tm_modify(m, k.s, id2, 5103, 1, &r));
    id2 = r.order_id;
    tm_at(m, 14, 59);
    TR_OK(m, sell(&k, 5104, NULL));
    tm_at(m, 15, 0);
    TR_REJECT(m, CETS_SESSION_CLOSED, sell(&k, 5105, NULL));
    TR_REJECT(m, CETS_SESSION_CLOSED, tm_modify(m, k.s, id2, 5110, 1, NULL));
    /* cancels at any time */
    tm_at(m, 15, 10);
    TR_OK(m, tm_cancel(m, k.s, id2));
    TR_OK(m, tm_cancel(m, k.s, id));
    tm_free(m);
}

static void test_cancel_during_lunch(void **state)
{
    (void)state;
    sm k;
    sm_init(&k);
    tmarket *m = &k.m;
    cets_result r;
    tm_at(m, 10, 0);
    TR_OK(m, tm_post(m, k.b, k.cea, CETS_BUY, 4900, 10, &r));
    tm_at(m, 12, 15);
    TR_OK(m, tm_cancel(m, k.b, r.order_id));
    assert_int_equal(tm_frozen(m, k.b), 0);
    tm_free(m);
}

static void test_end_of_day_time(void **state)
{
    (void)state;
    sm k;
    sm_init(&k);
    tmarket *m = &k.m;
    tm_at(m, 14, 59);
    TR_REJECT(m, CETS_SESSION_OPEN, tr_eod_now(m));
    assert_int_equal(cets_trading_date(m->e), 20261130);
    tm_at(m, 15, 0);
    tm_clear_events(m);
    TR_OK(m, tr_eod_now(m));
    const cets_event *ev = tm_last_event(m, CETS_EV_DAY_CLOSED);
    assert_non_null(ev);
    assert_int_equal(ev->u.day.closed_date, 20261130);
    assert_int_equal(ev->u.day.next_date, 20261201);
    assert_int_equal(cets_trading_date(m->e), 20261201);
    /* the next day's end of day is not due on the evening of the old date */
    tm_at_date(m, 20261130, 23, 0);
    TR_REJECT(m, CETS_SESSION_OPEN, tr_eod_now(m));
    /* nor in the morning of the new trading date */
    tm_at_date(m, 20261201, 9, 0);
    TR_REJECT(m, CETS_SESSION_OPEN, tr_eod_now(m));
    /* a later date is always fine */
    tm_at_date(m, 20261202, 9, 0);
    TR_OK(m, tr_eod_now(m));
    assert_int_equal(cets_trading_date(m->e), 20261202);
    tm_free(m);
}

static void test_orders_only_on_the_trading_date(void **state)
{
    (void)state;
    sm k;
    sm_init(&k);
    tmarket *m = &k.m;
    /* Tuesday is a trading day but not yet the engine's trading date */
    tm_at_date(m, 20261201, 10, 0);
    TR_REJECT(m, CETS_SESSION_CLOSED, sell(&k, 5100, NULL));
    TR_OK(m, tr_eod_now(m));
    assert_int_equal(cets_trading_date(m->e), 20261201);
    tm_at_date(m, 20261201, 10, 1);
    TR_OK(m, sell(&k, 5100, NULL));
    tm_free(m);
}

static void test_weekend(void **state)
{
    (void)state;
    sm k;
    sm_init(&k);
    tmarket *m = &k.m;
    assert_false(cets_is_trading_day(m->e, 20261205));
    assert_false(cets_is_trading_day(m->e, 20261206));
    const int32_t week[] = {20261130, 20261201, 20261202, 20261203, 20261204};
    for (int i = 0; i < 5; i++) assert_true(cets_is_trading_day(m->e, week[i]));
    for (int i = 0; i < 4; i++) TR_OK(m, tm_eod(m));
    assert_int_equal(cets_trading_date(m->e), 20261204); /* Friday */
    tm_at(m, 10, 0);
    cets_result r;
    TR_OK(m, sell(&k, 5100, &r));
    tm_at_date(m, 20261205, 10, 0); /* Saturday */
    TR_REJECT(m, CETS_SESSION_CLOSED, sell(&k, 5101, NULL));
    TR_REJECT(m, CETS_SESSION_CLOSED, tm_take_limit(m, k.b, k.cea, CETS_BUY, 1, 5100, NULL));
    TR_OK(m, tm_cancel(m, k.s, r.order_id));
    TR_OK(m, tr_eod_now(m));
    assert_int_equal(cets_trading_date(m->e), 20261207); /* Monday */
    tm_free(m);
}

static void test_start_on_a_saturday(void **state)
{
    (void)state;
    cets_config cfg;
    cets_config_default(&cfg);
    cfg.start_date = 20261205;
    sm k;
    sm_init_cfg(&k, &cfg);
    tmarket *m = &k.m;
    tm_at_date(m, 20261205, 10, 0);
    TR_REJECT(m, CETS_SESSION_CLOSED, sell(&k, 5100, NULL));
    tm_free(m);
}

static void test_holiday(void **state)
{
    (void)state;
    sm k;
    sm_init(&k);
    tmarket *m = &k.m;
    TR_OK(m, tm_admin(m, CETS_CMD_HOLIDAY_ADD, 0, 0, 0, 20261201));
    assert_false(cets_is_trading_day(m->e, 20261201));
    TR_OK(m, tm_admin(m, CETS_CMD_HOLIDAY_ADD, 0, 0, 0, 20261203));
    assert_false(cets_is_trading_day(m->e, 20261203));
    TR_OK(m, tm_admin(m, CETS_CMD_HOLIDAY_REMOVE, 0, 0, 0, 20261203));
    assert_true(cets_is_trading_day(m->e, 20261203));
    TR_OK(m, tm_eod(m));
    assert_int_equal(cets_trading_date(m->e), 20261202);
    tm_at_date(m, 20261201, 10, 0); /* the holiday */
    TR_REJECT(m, CETS_SESSION_CLOSED, sell(&k, 5100, NULL));
    tm_at_date(m, 20261202, 10, 0);
    TR_OK(m, sell(&k, 5100, NULL));
    tm_free(m);
}

static void test_holiday_on_the_trading_date(void **state)
{
    (void)state;
    sm k;
    sm_init(&k);
    tmarket *m = &k.m;
    TR_OK(m, tm_admin(m, CETS_CMD_HOLIDAY_ADD, 0, 0, 0, 20261130));
    tm_at(m, 10, 0);
    TR_REJECT(m, CETS_SESSION_CLOSED, sell(&k, 5100, NULL));
    tm_free(m);
}

static void test_holiday_bad_date(void **state)
{
    (void)state;
    sm k;
    sm_init(&k);
    tmarket *m = &k.m;
    TR_REJECT(m, CETS_BAD_ARGUMENT, tm_admin(m, CETS_CMD_HOLIDAY_ADD, 0, 0, 0, 20261332));
    TR_REJECT(m, CETS_BAD_ARGUMENT, tm_admin(m, CETS_CMD_HOLIDAY_ADD, 0, 0, 0, 20260230));
    TR_REJECT(m, CETS_BAD_ARGUMENT, tm_admin(m, CETS_CMD_HOLIDAY_ADD, 0, 0, 0, 0));
    tm_free(m);
}

static void test_sessions_not_enforced_for_embedders(void **state)
{
    (void)state;
    cets_config cfg;
    cets_config_default(&cfg);
    cfg.start_date = TM_DATE;
    cfg.enforce_sessions = false;
    sm k;
    sm_init_cfg(&k, &cfg);
    tmarket *m = &k.m;
    tm_at(m, 8, 1);
    TR_OK(m, sell(&k, 5100, NULL));
    tm_at(m, 12, 0);
    TR_OK(m, sell(&k, 5100, NULL));
    tm_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_session_bounds),
        cmocka_unit_test(test_cancel_during_lunch),
        cmocka_unit_test(test_end_of_day_time),
        cmocka_unit_test(test_orders_only_on_the_trading_date),
        cmocka_unit_test(test_weekend),
        cmocka_unit_test(test_start_on_a_saturday),
        cmocka_unit_test(test_holiday),
        cmocka_unit_test(test_holiday_on_the_trading_date),
        cmocka_unit_test(test_holiday_bad_date),
        cmocka_unit_test(test_sessions_not_enforced_for_embedders),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
