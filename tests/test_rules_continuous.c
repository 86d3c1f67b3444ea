/* test_rules_continuous.c -- continuous price-time matching. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "tmarket.h"
#include "trules.h"

#define FUNDS 100000000000LL

typedef struct cm {
    tmarket m;
    uint32_t cea;
    uint32_t p[6];
} cm;

static void cm_init(cm *c)
{
    tm_init(&c->m, NULL);
    c->cea = tm_instrument(&c->m, "CEA21", CETS_PRODUCT_CEA, CETS_MATCH_CONTINUOUS, 5000);
    char name[8];
    for (int i = 0; i < 6; i++) {
        snprintf(name, sizeof name, "p%d", i);
        c->p[i] = tm_participant(&c->m, CETS_PK_ENTITY, name, FUNDS);
        tm_credit(&c->m, c->p[i], c->cea, 100000);
    }
    tm_clear_events(&c->m);
}

static uint64_t post_ok(cm *c, int who, int side, int64_t price, int64_t qty, int tif,
                        cets_result *r)
{
    cets_result tmp;
    if (!r) r = &tmp;
    int rc = tm_post_tif(&c->m, c->p[who], c->cea, side, price, qty, tif, r);
    if (rc != CETS_OK)
        fail_msg("post %lld x %lld: %s", (long long)price, (long long)qty, cets_reason_name(rc));
    return r->order_id;
}

static uint64_t maker_of(const cets_trade *t)
{
    return t->aggressor == CETS_BUY ? t->sell_order : t->buy_order;
}

static void check_trade(const cets_trade *t, uint64_t maker, int64_t price, int64_t qty)
{
    assert_int_equal(maker_of(t), maker);
    assert_int_equal(t->price, price);
    assert_int_equal(t->qty, qty);
    assert_int_equal(t->value, price * qty);
}

static void test_cross_trades_at_resting_price_rest_rests(void **state)
{
    (void)state;
    cm c;
    cm_init(&c);
    tmarket *m = &c.m;
    uint64_t s = post_ok(&c, 0, CETS_SELL, 5000, 10, CETS_TIF_DAY, NULL);
    cets_result r;
    tm_clear_events(m);
    TR_OK(m, tm_post(m, c.p[1], c.cea, CETS_BUY, 5010, 15, &r));
    assert_int_equal(r.filled_qty, 10);
    assert_int_equal(r.filled_value, 50000);
    assert_int_equal(r.resting_qty, 5);
    assert_int_equal(r.ntrades, 1);
    cets_trade tr[4];
    assert_int_equal(tr_trades(m, tr, 4), 1);
    check_trade(&tr[0], s, 5000, 10);
    assert_int_equal(tr[0].buy_order, r.order_id);
    assert_int_equal(tr[0].buyer, c.p[1]);
    assert_int_equal(tr[0].seller, c.p[0]);
    assert_int_equal(tr[0].aggressor, CETS_BUY);
    assert_int_equal(tr[0].method, CETS_METHOD_LISTING);
    const cets_event *done = tr_done(m, s);
    assert_non_null(done);
    assert_int_equal(done->u.done.why, CETS_DONE_FILLED);
    assert_true(tr_live(m, r.order_id));
    int64_t p;
    assert_int_equal(tr_level(m, c.cea, CETS_BUY, 0, &p, NULL), 5);
    assert_int_equal(p, 5010);
    assert_int_equal(tr_level(m, c.cea, CETS_SELL, 0, NULL, NULL), 0);
    /* the buyer paid 10 x 50.00 + fee, and 5 x 50.10 + fee(5 x 50.10) stays reserved */
    int64_t paid = 50000 + tr_fee(50000, 500);
    assert_int_equal(tr_funds(m, c.p[1]), FUNDS - paid);
    cets_order_info oi;
    assert_int_equal(cets_order_get(m->e, r.order_id, &oi), 0);
    assert_int_equal(tm_frozen(m, c.p[1]), oi.reserved);
    assert_true(oi.reserved >= 5010 * 5 + tr_fee(5010 * 5, 500));
    /* a cancel gives back exactly what remains */
    TR_OK(m, tm_cancel(m, c.p[1], r.order_id));
    assert_int_equal(tm_frozen(m, c.p[1]), 0);
    assert_int_equal(tm_avail(m, c.p[1]), FUNDS - paid);
    assert_int_equal(tm_hold(m, c.p[1], c.cea).locked, 10);
    tm_free(m);
}

static void test_price_time_priority_sweep(void **state)
{
    (void)state;
    cm c;
    cm_init(&c);
    tmarket *m = &c.m;
    uint64_t a = post_ok(&c, 0, CETS_SELL, 5002, 10, CETS_TIF_DAY, NULL); /* oldest */
    uint64_t b = post_ok(&c, 1, CETS_SELL, 5001, 10, CETS_TIF_DAY, NULL);
    uint64_t d = post_ok(&c, 2, CETS_SELL, 5001, 10, CETS_TIF_DAY, NULL);
    uint64_t ids[6];
    for (int i = 0; i < 6; i++) /* 5003 .. 5008: eight levels in all */
        ids[i] = post_ok(&c, 3, CETS_SELL, 5003 + i, 1, CETS_TIF_DAY, NULL);
    cets_result r;
    tm_clear_events(m);
    TR_OK(m, tm_post(m, c.p[4], c.cea, CETS_BUY, 5008, 36, &r));
    cets_trade tr[16];
    assert_int_equal(tr_trades(m, tr, 16), 9);
    check_trade(&tr[0], b, 5001, 10);
    check_trade(&tr[1], d, 5001, 10);
    check_trade(&tr[2], a, 5002, 10);
    for (int i = 0; i < 6; i++) check_trade(&tr[3 + i], ids[i], 5003 + i, 1);
    assert_int_equal(r.filled_qty, 36);
    assert_int_equal(r.resting_qty, 0);
    cets_depth dp;
    cets_depth_get(m->e, c.cea, &dp);
    assert_int_equal(dp.nbids + dp.nasks, 0);
    tm_free(m);
}

static void test_partial_fill_keeps_priority(void **state)
{
    (void)state;
    cm c;
    cm_init(&c);
    tmarket *m = &c.m;
    uint64_t a = post_ok(&c, 0, CETS_BUY, 4990, 10, CETS_TIF_DAY, NULL);
    uint64_t b = post_ok(&c, 1, CETS_BUY, 4990, 10, CETS_TIF_DAY, NULL);
    post_ok(&c, 2, CETS_SELL, 4990, 4, CETS_TIF_DAY, NULL);
    cets_trade tr[4];
    tm_clear_events(m);
    post_ok(&c, 3, CETS_SELL, 4980, 8, CETS_TIF_DAY, NULL);
    assert_int_equal(tr_trades(m, tr, 4), 2);
    check_trade(&tr[0], a, 4990, 6);
    check_trade(&tr[1], b, 4990, 2);
    assert_int_equal(tr[0].aggressor, CETS_SELL);
    assert_int_equal(tr_level(m, c.cea, CETS_BUY, 0, NULL, NULL), 8);
    tm_free(m);
}

static void test_ioc_remainder_cancelled(void **state)
{
    (void)state;
    cm c;
    cm_init(&c);
    tmarket *m = &c.m;
    uint64_t s = post_ok(&c, 0, CETS_SELL, 5000, 10, CETS_TIF_DAY, NULL);
    cets_result r;
    tm_clear_events(m);
    TR_OK(m, tm_post_tif(m, c.p[1], c.cea, CETS_BUY, 5005, 25, CETS_TIF_IOC, &r));
    assert_int_equal(r.filled_qty, 10);
    assert_int_equal(r.resting_qty, 0);
    cets_trade tr[4];
    assert_int_equal(tr_trades(m, tr, 4), 1);
    check_trade(&tr[0], s, 5000, 10);
    const cets_event *done = tr_done(m, r.order_id);
    assert_non_null(done);
    assert_int_equal(done->u.done.why, CETS_DONE_UNFILLED);
    assert_int_equal(done->u.done.left_qty, 15);
    assert_false(tr_live(m, r.order_id));
    assert_int_equal(tr_level(m, c.cea, CETS_BUY, 0, NULL, NULL), 0);
    assert_int_equal(tm_frozen(m, c.p[1]), 0);
    assert_int_equal(tm_avail(m, c.p[1]), FUNDS - 50000 - tr_fee(50000, 500));
    /* an IOC that crosses nothing leaves nothing behind */
    tm_clear_events(m);
    TR_OK(m, tm_post_tif(m, c.p[2], c.cea, CETS_SELL, 5100, 5, CETS_TIF_IOC, &r));
    assert_int_equal(r.filled_qty, 0);
    assert_int_equal(r.resting_qty, 0);
    assert_int_equal(tm_hold(m, c.p[2], c.cea).frozen, 0);
    assert_int_equal(tr_level(m, c.cea, CETS_SELL, 0, NULL, NULL), 0);
    tm_free(m);
}

static void test_take_is_ioc(void **state)
{
    (void)state;
    cm c;
    cm_init(&c);
    tmarket *m = &c.m;
    uint64_t s = post_ok(&c, 0, CETS_SELL, 5000, 10, CETS_TIF_DAY, NULL);
    post_ok(&c, 0, CETS_SELL, 5003, 10, CETS_TIF_DAY, NULL);
    cets_result r;
    tm_clear_events(m);
    TR_OK(m, tm_take_limit(m, c.p[1], c.cea, CETS_BUY, 12, 5002, &r));
    assert_int_equal(r.filled_qty, 10);
    assert_int_equal(r.resting_qty, 0);
    cets_trade tr[4];
    assert_int_equal(tr_trades(m, tr, 4), 1);
    check_trade(&tr[0], s, 5000, 10);
    assert_int_equal(tr_level(m, c.cea, CETS_BUY, 0, NULL, NULL), 0);
    assert_int_equal(tm_frozen(m, c.p[1]), 0);
    cets_target t = {s, 1};
    TR_REJECT(m, CETS_WRONG_MODE, tm_take_targets(m, c.p[1], c.cea, CETS_BUY, 1, &t, NULL));
    tm_free(m);
}

static void test_no_crossing_post_rule(void **state)
{
    (void)state;
    cm c;
    cm_init(&c);
    tmarket *m = &c.m;
    post_ok(&c, 0, CETS_BUY, 5000, 10, CETS_TIF_DAY, NULL);
    cets_result r;
    TR_OK(m, tm_post(m, c.p[1], c.cea, CETS_SELL, 4990, 4, &r));
    assert_int_equal(r.filled_qty, 4);
    assert_int_equal(r.filled_value, 20000);
    tm_free(m);
}

static void test_self_trade(void **state)
{
    (void)state;
    cm c;
    cm_init(&c);
    tmarket *m = &c.m;
    post_ok(&c, 0, CETS_SELL, 5000, 5, CETS_TIF_DAY, NULL);
    uint64_t own = post_ok(&c, 1, CETS_SELL, 5001, 5, CETS_TIF_DAY, NULL);
    /* would trade 5 with p0, then with its own listing: rejected whole */
    TR_REJECT(m, CETS_SELF_TRADE, tm_post(m, c.p[1], c.cea, CETS_BUY, 5001, 6, NULL));
    TR_REJECT(m, CETS_SELF_TRADE,
              tm_post_tif(m, c.p[1], c.cea, CETS_BUY, 5005, 20, CETS_TIF_IOC, NULL));
    TR_REJECT(m, CETS_SELF_TRADE, tm_take_limit(m, c.p[1], c.cea, CETS_BUY, 6, 5001, NULL));
    assert_int_equal(tr_level(m, c.cea, CETS_SELL, 0, NULL, NULL), 5);
    /* directly against the own order */
    cets_result r;
    TR_OK(m, tm_take_limit(m, c.p[2], c.cea, CETS_BUY, 5, 5000, NULL));
    TR_REJECT(m, CETS_SELF_TRADE, tm_post(m, c.p[1], c.cea, CETS_BUY, 5001, 1, NULL));
    /* not crossing the own order is fine */
    TR_OK(m, tm_post(m, c.p[1], c.cea, CETS_BUY, 5000, 1, &r));
    assert_int_equal(r.resting_qty, 1);
    assert_true(tr_live(m, own));
    /* a modify moved onto the own order on the other side: rejected */
    TR_REJECT(m, CETS_SELF_TRADE, tm_modify(m, c.p[1], r.order_id, 5001, 1, NULL));
    /* a participant whose only order on a book is the one moved: it trades */
    uint64_t lone = post_ok(&c, 3, CETS_BUY, 4999, 2, CETS_TIF_DAY, NULL);
    TR_OK(m, tm_modify(m, c.p[3], lone, 5001, 2, &r));
    assert_int_equal(r.filled_qty, 2);
    assert_int_equal(tr_level(m, c.cea, CETS_SELL, 0, NULL, NULL), 3);
    /* and one with no order on any book crossing another's: it trades */
    TR_OK(m, tm_post(m, c.p[2], c.cea, CETS_BUY, 5001, 1, &r));
    assert_int_equal(r.filled_qty, 1);
    tm_free(m);
}

static void test_modify_priority(void **state)
{
    (void)state;
    cm c;
    cm_init(&c);
    tmarket *m = &c.m;
    cets_result r;
    cets_trade tr[4];
    uint64_t a = post_ok(&c, 0, CETS_SELL, 5010, 10, CETS_TIF_DAY, NULL);
    uint64_t b = post_ok(&c, 1, CETS_SELL, 5010, 10, CETS_TIF_DAY, NULL);
    TR_OK(m, tm_modify(m, c.p[0], a, 5010, 9, &r)); /* down: keeps priority */
    a = r.order_id;
    tm_clear_events(m);
    TR_OK(m, tm_post(m, c.p[2], c.cea, CETS_BUY, 5010, 1, NULL));
    assert_int_equal(tr_trades(m, tr, 4), 1);
    check_trade(&tr[0], a, 5010, 1);
    TR_OK(m, tm_modify(m, c.p[0], a, 5010, 30, &r)); /* up: loses it */
    a = r.order_id;
    tm_clear_events(m);
    TR_OK(m, tm_post(m, c.p[2], c.cea, CETS_BUY, 5010, 1, NULL));
    assert_int_equal(tr_trades(m, tr, 4), 1);
    check_trade(&tr[0], b, 5010, 1);
    /* a price change (and back) loses it too */
    uint64_t x = post_ok(&c, 3, CETS_BUY, 4990, 10, CETS_TIF_DAY, NULL);
    uint64_t y = post_ok(&c, 4, CETS_BUY, 4990, 10, CETS_TIF_DAY, NULL);
    TR_OK(m, tm_modify(m, c.p[3], x, 4989, 10, &r));
    TR_OK(m, tm_modify(m, c.p[3], r.order_id, 4990, 10, &r));
    x = r.order_id;
    tm_clear_events(m);
    TR_OK(m, tm_post(m, c.p[5], c.cea, CETS_SELL, 4990, 1, NULL));
    assert_int_equal(tr_trades(m, tr, 4), 1);
    check_trade(&tr[0], y, 4990, 1);
    TR_REJECT(m, CETS_NOTHING_CHANGED, tm_modify(m, c.p[3], x, 4990, 10, NULL));
    tm_free(m);
}

static void test_size_and_band_limits_apply(void **state)
{
    (void)state;
    cm c;
    cm_init(&c);
    tmarket *m = &c.m;
    TR_REJECT(m, CETS_QTY_OUT_OF_RANGE, tm_post(m, c.p[0], c.cea, CETS_BUY, 5000, 0, NULL));
    TR_REJECT(m, CETS_QTY_OUT_OF_RANGE, tm_post(m, c.p[0], c.cea, CETS_BUY, 5000, 100000, NULL));
    TR_REJECT(m, CETS_PRICE_OUT_OF_BAND, tm_post(m, c.p[0], c.cea, CETS_BUY, 5501, 1, NULL));
    TR_REJECT(m, CETS_PRICE_OUT_OF_BAND, tm_post(m, c.p[0], c.cea, CETS_SELL, 4499, 1, NULL));
    TR_REJECT(m, CETS_PRICE_OUT_OF_BAND,
              tm_post_tif(m, c.p[0], c.cea, CETS_BUY, 5501, 1, CETS_TIF_IOC, NULL));
    TR_OK(m, tm_post(m, c.p[0], c.cea, CETS_BUY, 4500, 99999, NULL));
    TR_OK(m, tm_post(m, c.p[1], c.cea, CETS_SELL, 5500, 1, NULL));
    tm_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cross_trades_at_resting_price_rest_rests),
        cmocka_unit_test(test_price_time_priority_sweep),
        cmocka_unit_test(test_partial_fill_keeps_priority),
        cmocka_unit_test(test_ioc_remainder_cancelled),
        cmocka_unit_test(test_take_is_ioc),
        cmocka_unit_test(test_no_crossing_post_rule),
        cmocka_unit_test(test_self_trade),
        cmocka_unit_test(test_modify_priority),
        cmocka_unit_test(test_size_and_band_limits_apply),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
