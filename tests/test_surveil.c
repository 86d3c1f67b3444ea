/* test_surveil.c -- abnormal-trading alerts (surveil.c): each rule with a
 * seeded scenario that triggers it and a near miss that does not; alerts
 * never refuse anything; the same commands give the same alerts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tmarket.h"
#include "tmethods.h"
#include "trules.h"

#define RICH 100000000000LL

typedef struct sm {
    tmarket m;
    cets_surveil *s;
    uint32_t iid, a, b, c, d;
} sm;

static int pset(tmarket *m, int id, int64_t v)
{
    cets_cmd c = {.type = CETS_CMD_PARAM_SET,
                  .actor = CETS_EXCHANGE_ID,
                  .aux = id,
                  .qty = v,
                  .flags = CETS_PARAM_URGENT};
    return tm_apply(m, &c, NULL);
}

static void sm_init(sm *x)
{
    tm_init(&x->m, NULL);
    x->s = cets_surveil_new();
    cets_engine_set_surveil(x->m.e, x->s);
    x->iid = tm_instrument(&x->m, "CEA25", CETS_PRODUCT_CEA, CETS_MATCH_LISTING, 5000);
    x->a = tm_participant(&x->m, CETS_PK_ENTITY, "a", RICH);
    x->b = tm_participant(&x->m, CETS_PK_ENTITY, "b", RICH);
    x->c = tm_participant(&x->m, CETS_PK_INSTITUTION, "c", RICH);
    x->d = tm_participant(&x->m, CETS_PK_INSTITUTION, "d", RICH);
    uint32_t all[4] = {x->a, x->b, x->c, x->d};
    for (int i = 0; i < 4; i++) tm_credit(&x->m, all[i], x->iid, 100000);
}

static void sm_free(sm *x)
{
    cets_engine_set_surveil(x->m.e, NULL);
    cets_surveil_free(x->s);
    tm_free(&x->m);
}

static uint32_t alerts(sm *x, cets_alert *out, uint32_t cap)
{
    return cets_surveil_alerts(x->s, 0, out, cap);
}

/* seller posts, buyer takes qty at price */
static void trade(sm *x, uint32_t seller, uint32_t buyer, int64_t price, int64_t qty)
{
    cets_result r;
    assert_int_equal(tm_post(&x->m, seller, x->iid, CETS_SELL, price, qty, &r), CETS_OK);
    cets_target t = {r.order_id, qty};
    assert_int_equal(tm_take_targets(&x->m, buyer, x->iid, CETS_BUY, 1, &t, NULL), CETS_OK);
}

static void self_attempt(sm *x, uint32_t p, uint64_t listing)
{
    cets_target t = {listing, 1};
    assert_int_equal(tm_take_targets(&x->m, p, x->iid, CETS_BUY, 1, &t, NULL), CETS_SELF_TRADE);
}

static void test_self_trade(void **state)
{
    (void)state;
    sm x;
    sm_init(&x);
    cets_result ra, rb;
    assert_int_equal(tm_post(&x.m, x.a, x.iid, CETS_SELL, 5000, 10, &ra), CETS_OK);
    assert_int_equal(tm_post(&x.m, x.b, x.iid, CETS_SELL, 5010, 10, &rb), CETS_OK);
    self_attempt(&x, x.a, ra.order_id);
    self_attempt(&x, x.a, ra.order_id);
    self_attempt(&x, x.b, rb.order_id);
    self_attempt(&x, x.b, rb.order_id); /* b: two, a near miss */
    assert_int_equal(alerts(&x, NULL, 0), 0);
    uint64_t third = x.m.seq + 1;
    self_attempt(&x, x.a, ra.order_id);
    cets_alert al[4];
    assert_int_equal(alerts(&x, al, 4), 1);
    assert_int_equal(al[0].rule, CETS_ALERT_SELF_TRADE);
    assert_string_equal(cets_alert_rule_name(al[0].rule), "self_trade");
    assert_int_equal(al[0].participant, x.a);
    assert_int_equal(al[0].figure, 3);
    assert_int_equal(al[0].threshold, 3);
    assert_int_equal(al[0].nevidence, 3);
    assert_int_equal(al[0].evidence[2], third);
    assert_int_equal(al[0].seq, third);
    self_attempt(&x, x.a, ra.order_id); /* once a day */
    assert_int_equal(alerts(&x, NULL, 0), 1);
    /* the next day counts again; off when its parameter is 0 */
    assert_int_equal(tm_eod(&x.m), CETS_OK);
    tm_at(&x.m, 10, 0);
    assert_int_equal(tm_post(&x.m, x.a, x.iid, CETS_SELL, 5000, 10, &ra), CETS_OK);
    assert_int_equal(pset(&x.m, CETS_PARAM_SURV_SELF_TRADE, 0), CETS_OK);
    for (int i = 0; i < 5; i++) self_attempt(&x, x.a, ra.order_id);
    assert_int_equal(alerts(&x, NULL, 0), 1);
    sm_free(&x);
}

static void test_far_from_market(void **state)
{
    (void)state;
    sm x;
    sm_init(&x);
    cets_result r;
    /* 5% from the previous close 50.00 is not more than 5% */
    assert_int_equal(tm_post(&x.m, x.a, x.iid, CETS_BUY, 4750, 1, &r), CETS_OK);
    assert_int_equal(tm_post(&x.m, x.a, x.iid, CETS_SELL, 5250, 1, &r), CETS_OK);
    assert_int_equal(alerts(&x, NULL, 0), 0);
    assert_int_equal(tm_post(&x.m, x.a, x.iid, CETS_BUY, 4749, 1, &r), CETS_OK); /* accepted */
    cets_alert al[4];
    assert_int_equal(alerts(&x, al, 4), 1);
    assert_int_equal(al[0].rule, CETS_ALERT_FAR);
    assert_int_equal(al[0].evidence[0], r.order_id);
    assert_int_equal(al[0].count[0], 4749);
    assert_int_equal(al[0].count[1], 5000);
    assert_int_equal(al[0].figure, 502);
    /* after a trade at 52.00 the reference is the last price */
    trade(&x, x.b, x.c, 5200, 5);
    assert_int_equal(tm_post(&x.m, x.d, x.iid, CETS_BUY, 4940, 1, &r), CETS_OK); /* 5% below */
    assert_int_equal(alerts(&x, NULL, 0), 1);
    assert_int_equal(tm_post(&x.m, x.d, x.iid, CETS_SELL, 5461, 1, &r), CETS_OK);
    assert_int_equal(alerts(&x, al, 4), 2);
    assert_int_equal(al[1].count[1], 5200);
    assert_int_equal(al[1].participant, x.d);
    sm_free(&x);
}

static void test_order_trade(void **state)
{
    (void)state;
    sm x;
    sm_init(&x);
    assert_int_equal(pset(&x.m, CETS_PARAM_SURV_OTR_MIN, 10), CETS_OK);
    assert_int_equal(pset(&x.m, CETS_PARAM_SURV_OTR_RATIO, 5), CETS_OK);
    cets_result r;
    /* a: 10 orders (9 cancelled), 1 trade: 10 > 5 x 1 */
    for (int i = 0; i < 9; i++) {
        assert_int_equal(tm_post(&x.m, x.a, x.iid, CETS_SELL, 5100 + i, 1, &r), CETS_OK);
        assert_int_equal(tm_cancel(&x.m, x.a, r.order_id), CETS_OK);
    }
    trade(&x, x.a, x.d, 5000, 1);
    /* b: 10 orders, 2 trades: 10 is not more than 5 x 2 (a near miss) */
    for (int i = 0; i < 8; i++)
        assert_int_equal(tm_post(&x.m, x.b, x.iid, CETS_SELL, 5100 + i, 1, &r), CETS_OK);
    trade(&x, x.b, x.d, 5000, 1);
    trade(&x, x.b, x.d, 5000, 1);
    /* c: 9 orders, none traded: below the minimum */
    for (int i = 0; i < 9; i++)
        assert_int_equal(tm_post(&x.m, x.c, x.iid, CETS_SELL, 5200 + i, 1, &r), CETS_OK);
    assert_int_equal(alerts(&x, NULL, 0), 0);
    assert_int_equal(tm_eod(&x.m), CETS_OK);
    cets_alert al[4];
    assert_int_equal(alerts(&x, al, 4), 1);
    assert_int_equal(al[0].rule, CETS_ALERT_ORDER_TRADE);
    assert_int_equal(al[0].participant, x.a);
    assert_int_equal(al[0].count[0], 10);
    assert_int_equal(al[0].count[1], 1);
    assert_int_equal(al[0].date, TM_DATE);
    sm_free(&x);
}

static void test_volume_share(void **state)
{
    (void)state;
    sm x;
    sm_init(&x);
    /* a sells 60 to b, c sells 30 to d, d sells 10 to c: 100 t; a and b hold 60%,
       c and d 40% -- exactly the threshold when it is 40%: a near miss */
    assert_int_equal(pset(&x.m, CETS_PARAM_SURV_VOLUME_SHARE, 4000), CETS_OK);
    trade(&x, x.a, x.b, 5000, 60);
    trade(&x, x.c, x.d, 5000, 30);
    trade(&x, x.d, x.c, 5000, 10);
    assert_int_equal(tm_eod(&x.m), CETS_OK);
    cets_alert al[8];
    assert_int_equal(alerts(&x, al, 8), 2);
    assert_int_equal(al[0].rule, CETS_ALERT_VOLUME_SHARE);
    assert_int_equal(al[0].participant, x.a);
    assert_int_equal(al[1].participant, x.b);
    assert_int_equal(al[0].figure, 6000);
    assert_int_equal(al[0].count[0], 60);
    assert_int_equal(al[0].count[1], 100);
    /* a day under 100 t is not looked at */
    tm_at(&x.m, 10, 0);
    trade(&x, x.a, x.b, 5000, 99);
    assert_int_equal(tm_eod(&x.m), CETS_OK);
    assert_int_equal(alerts(&x, NULL, 0), 2);
    sm_free(&x);
}

/* The same commands, twice, from the start: the same alerts. */
static void run_day(sm *x)
{
    cets_result r;
    assert_int_equal(tm_post(&x->m, x->a, x->iid, CETS_SELL, 5000, 10, &r), CETS_OK);
    for (int i = 0; i < 3; i++) self_attempt(x, x->a, r.order_id);
    trade(x, x->b, x->c, 5000, 200);
    assert_int_equal(tm_post(&x->m, x->d, x->iid, CETS_BUY, 4600, 1, &r), CETS_OK);
    assert_int_equal(tm_eod(&x->m), CETS_OK);
}

static void test_deterministic(void **state)
{
    (void)state;
    sm x, y;
    sm_init(&x);
    sm_init(&y);
    run_day(&x);
    run_day(&y);
    cets_alert a[16], b[16];
    uint32_t n = alerts(&x, a, 16);
    assert_true(n >= 4);
    assert_int_equal(alerts(&y, b, 16), n);
    assert_memory_equal(a, b, n * sizeof a[0]);
    /* and the engine is as it would be without surveillance */
    tmarket plain;
    tm_init(&plain, NULL);
    assert_int_equal(cets_state_hash(x.m.e), cets_state_hash(y.m.e));
    tm_free(&plain);
    sm_free(&x);
    sm_free(&y);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_self_trade),    cmocka_unit_test(test_far_from_market),
        cmocka_unit_test(test_order_trade),   cmocka_unit_test(test_volume_share),
        cmocka_unit_test(test_deterministic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
