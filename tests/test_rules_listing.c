/* test_rules_listing.c -- listing agreement (post and take): sizes, ticks,
 * bands, crossing posts, takes naming listings and takes by limit, cancels,
 * modifications, self-trade. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "tmarket.h"
#include "trules.h"

typedef struct lm {
    tmarket m;
    uint32_t cea;
    uint32_t s[8]; /* sellers, with holdings and funds */
    uint32_t b[3]; /* buyers, with funds and holdings */
} lm;

static void lm_init_cfg(lm *l, int64_t prev_close, const cets_config *cfg)
{
    tm_init(&l->m, cfg);
    l->cea = tm_instrument(&l->m, "CEA21", CETS_PRODUCT_CEA, CETS_MATCH_LISTING, prev_close);
    char name[16];
    for (int i = 0; i < 8; i++) {
        snprintf(name, sizeof name, "s%d", i);
        l->s[i] = tm_participant(&l->m, CETS_PK_ENTITY, name, 1000000000);
        tm_credit(&l->m, l->s[i], l->cea, 200000);
    }
    for (int i = 0; i < 3; i++) {
        snprintf(name, sizeof name, "b%d", i);
        l->b[i] = tm_participant(&l->m, CETS_PK_INSTITUTION, name, 100000000000LL);
        tm_credit(&l->m, l->b[i], l->cea, 200000);
    }
    tm_clear_events(&l->m);
}

static void lm_init(lm *l, int64_t prev_close)
{
    lm_init_cfg(l, prev_close, NULL);
}

static uint64_t post_ok(lm *l, uint32_t p, int side, int64_t price, int64_t qty)
{
    cets_result r;
    int rc = tm_post(&l->m, p, l->cea, side, price, qty, &r);
    if (rc != CETS_OK)
        fail_msg("post %lld x %lld: %s", (long long)price, (long long)qty, cets_reason_name(rc));
    assert_int_not_equal(r.order_id, 0);
    return r.order_id;
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
    assert_int_equal(t->method, CETS_METHOD_LISTING);
}

static void test_qty_limits(void **state)
{
    (void)state;
    lm l;
    lm_init(&l, 5000);
    tmarket *m = &l.m;
    TR_REJECT(m, CETS_QTY_OUT_OF_RANGE, tm_post(m, l.s[0], l.cea, CETS_SELL, 5100, 0, NULL));
    TR_REJECT(m, CETS_QTY_OUT_OF_RANGE, tm_post(m, l.s[0], l.cea, CETS_SELL, 5100, -1, NULL));
    TR_REJECT(m, CETS_QTY_OUT_OF_RANGE, tm_post(m, l.s[0], l.cea, CETS_SELL, 5100, 100000, NULL));
    TR_REJECT(m, CETS_QTY_OUT_OF_RANGE, tm_post(m, l.b[0], l.cea, CETS_BUY, 4900, 100000, NULL));
    TR_OK(m, tm_post(m, l.s[0], l.cea, CETS_SELL, 5100, 1, NULL));
    cets_result r;
    TR_OK(m, tm_post(m, l.s[1], l.cea, CETS_SELL, 5100, 99999, &r));
    assert_int_equal(r.resting_qty, 99999);
    TR_OK(m, tm_post(m, l.b[0], l.cea, CETS_BUY, 4900, 99999, NULL));
    TR_OK(m, tm_post(m, l.b[1], l.cea, CETS_BUY, 4900, 1, NULL));
    /* take limits */
    TR_REJECT(m, CETS_QTY_OUT_OF_RANGE, tm_take_limit(m, l.b[0], l.cea, CETS_BUY, 0, 5100, NULL));
    TR_REJECT(m, CETS_QTY_OUT_OF_RANGE,
              tm_take_limit(m, l.b[0], l.cea, CETS_BUY, 100000, 5100, NULL));
    TR_OK(m, tm_take_limit(m, l.b[0], l.cea, CETS_BUY, 99999, 5100, &r));
    assert_int_equal(r.filled_qty, 99999);
    tm_free(m);
}

static void test_modify_qty_limits(void **state)
{
    (void)state;
    lm l;
    lm_init(&l, 5000);
    tmarket *m = &l.m;
    uint64_t id = post_ok(&l, l.s[0], CETS_SELL, 5100, 10);
    TR_REJECT(m, CETS_QTY_OUT_OF_RANGE, tm_modify(m, l.s[0], id, 5100, 0, NULL));
    TR_REJECT(m, CETS_QTY_OUT_OF_RANGE, tm_modify(m, l.s[0], id, 5100, 100000, NULL));
    cets_result r;
    TR_OK(m, tm_modify(m, l.s[0], id, 5100, 99999, &r));
    TR_OK(m, tm_modify(m, l.s[0], r.order_id, 5100, 1, &r));
    assert_int_equal(tr_level(m, l.cea, CETS_SELL, 0, NULL, NULL), 1);
    tm_free(m);
}

static void test_price_tick(void **state)
{
    (void)state;
    cets_config cfg;
    cets_config_default(&cfg);
    cfg.start_date = TM_DATE;
    cfg.tick = 5;
    lm l;
    lm_init_cfg(&l, 5000, &cfg);
    tmarket *m = &l.m;
    TR_REJECT(m, CETS_PRICE_TICK, tm_post(m, l.s[0], l.cea, CETS_SELL, 5102, 1, NULL));
    TR_REJECT(m, CETS_PRICE_TICK, tm_post(m, l.b[0], l.cea, CETS_BUY, 4901, 1, NULL));
    uint64_t id = post_ok(&l, l.s[0], CETS_SELL, 5105, 1);
    post_ok(&l, l.b[0], CETS_BUY, 4900, 1);
    TR_REJECT(m, CETS_PRICE_TICK, tm_take_limit(m, l.b[1], l.cea, CETS_BUY, 1, 5107, NULL));
    TR_REJECT(m, CETS_PRICE_TICK, tm_modify(m, l.s[0], id, 5104, 1, NULL));
    TR_OK(m, tm_take_limit(m, l.b[1], l.cea, CETS_BUY, 1, 5110, NULL));
    tm_free(m);
}

static void test_band_edges(void **state)
{
    (void)state;
    lm l;
    lm_init(&l, 5123); /* upper floor(5635.3) = 5635, lower ceil(4610.7) = 4611 */
    tmarket *m = &l.m;
    cets_instrument_info ii;
    cets_instrument_get(m->e, l.cea, &ii);
    assert_int_equal(ii.upper, 5635);
    assert_int_equal(ii.lower, 4611);
    TR_REJECT(m, CETS_PRICE_OUT_OF_BAND, tm_post(m, l.s[0], l.cea, CETS_SELL, 5636, 1, NULL));
    TR_REJECT(m, CETS_PRICE_OUT_OF_BAND, tm_post(m, l.b[0], l.cea, CETS_BUY, 4610, 1, NULL));
    TR_REJECT(m, CETS_PRICE_OUT_OF_BAND, tm_post(m, l.s[0], l.cea, CETS_SELL, 4610, 1, NULL));
    TR_REJECT(m, CETS_PRICE_OUT_OF_BAND, tm_post(m, l.b[0], l.cea, CETS_BUY, 5636, 1, NULL));
    TR_REJECT(m, CETS_PRICE_OUT_OF_BAND, tm_post(m, l.b[0], l.cea, CETS_BUY, 0, 1, NULL));
    TR_REJECT(m, CETS_PRICE_OUT_OF_BAND, tm_post(m, l.b[0], l.cea, CETS_BUY, -4700, 1, NULL));
    uint64_t up = post_ok(&l, l.s[0], CETS_SELL, 5635, 1);
    uint64_t lo = post_ok(&l, l.b[0], CETS_BUY, 4611, 1);
    /* take limits are checked against the band too */
    TR_REJECT(m, CETS_PRICE_OUT_OF_BAND, tm_take_limit(m, l.b[1], l.cea, CETS_BUY, 1, 5636, NULL));
    TR_REJECT(m, CETS_PRICE_OUT_OF_BAND, tm_take_limit(m, l.s[1], l.cea, CETS_SELL, 1, 4610, NULL));
    /* and modifications */
    TR_REJECT(m, CETS_PRICE_OUT_OF_BAND, tm_modify(m, l.s[0], up, 5636, 1, NULL));
    TR_REJECT(m, CETS_PRICE_OUT_OF_BAND, tm_modify(m, l.b[0], lo, 4610, 1, NULL));
    cets_result r;
    TR_OK(m, tm_take_limit(m, l.b[1], l.cea, CETS_BUY, 1, 5635, &r));
    assert_int_equal(r.filled_value, 5635);
    TR_OK(m, tm_take_limit(m, l.s[1], l.cea, CETS_SELL, 1, 4611, &r));
    assert_int_equal(r.filled_value, 4611);
    tm_free(m);
}

static void test_post_rests_and_shows_in_depth(void **state)
{
    (void)state;
    lm l;
    lm_init(&l, 5000);
    tmarket *m = &l.m;
    cets_result r;
    tm_clear_events(m);
    TR_OK(m, tm_post(m, l.s[0], l.cea, CETS_SELL, 5010, 7, &r));
    assert_int_equal(r.resting_qty, 7);
    assert_int_equal(r.filled_qty, 0);
    assert_int_equal(r.ntrades, 0);
    const cets_event *ev = tm_last_event(m, CETS_EV_ACCEPTED);
    assert_non_null(ev);
    assert_int_equal(ev->u.order.order_id, r.order_id);
    assert_int_equal(ev->u.order.participant, l.s[0]);
    assert_int_equal(ev->u.order.price, 5010);
    post_ok(&l, l.s[1], CETS_SELL, 5010, 3);
    post_ok(&l, l.s[2], CETS_SELL, 5005, 2);
    post_ok(&l, l.b[0], CETS_BUY, 4990, 4);
    cets_depth d;
    assert_int_equal(cets_depth_get(m->e, l.cea, &d), 0);
    assert_int_equal(d.nasks, 2);
    assert_int_equal(d.nbids, 1);
    assert_int_equal(d.asks[0].price, 5005);
    assert_int_equal(d.asks[0].qty, 2);
    assert_int_equal(d.asks[0].count, 1);
    assert_int_equal(d.asks[1].price, 5010);
    assert_int_equal(d.asks[1].qty, 10);
    assert_int_equal(d.asks[1].count, 2);
    assert_int_equal(d.bids[0].price, 4990);
    assert_int_equal(d.bids[0].qty, 4);
    /* holdings and funds are reserved */
    assert_int_equal(tm_hold(m, l.s[0], l.cea).frozen, 7);
    assert_int_equal(tm_frozen(m, l.b[0]), 4990 * 4 + tr_fee(4990 * 4, 500));
    tm_free(m);
}

static void test_crossing_post(void **state)
{
    (void)state;
    lm l;
    lm_init(&l, 5000);
    tmarket *m = &l.m;
    post_ok(&l, l.s[0], CETS_SELL, 5000, 10);
    TR_REJECT(m, CETS_CROSSING_POST, tm_post(m, l.b[0], l.cea, CETS_BUY, 5000, 10, NULL));
    TR_REJECT(m, CETS_CROSSING_POST, tm_post(m, l.b[0], l.cea, CETS_BUY, 5200, 1, NULL));
    /* against one's own listing too */
    TR_REJECT(m, CETS_CROSSING_POST, tm_post(m, l.s[0], l.cea, CETS_BUY, 5000, 1, NULL));
    post_ok(&l, l.b[0], CETS_BUY, 4999, 10);
    TR_REJECT(m, CETS_CROSSING_POST, tm_post(m, l.s[1], l.cea, CETS_SELL, 4999, 10, NULL));
    TR_REJECT(m, CETS_CROSSING_POST, tm_post(m, l.s[1], l.cea, CETS_SELL, 4800, 10, NULL));
    post_ok(&l, l.s[1], CETS_SELL, 5000, 10); /* joins the best sell */
    post_ok(&l, l.b[1], CETS_BUY, 4999, 10);  /* joins the best buy */
    assert_int_equal(tr_level(m, l.cea, CETS_SELL, 0, NULL, NULL), 20);
    assert_int_equal(tr_level(m, l.cea, CETS_BUY, 0, NULL, NULL), 20);
    tm_free(m);
}

/* Seven sell levels: 5001 (two listings), 5002 .. 5007. */
static void seven_levels(lm *l, uint64_t ids[8])
{
    ids[0] = post_ok(l, l->s[0], CETS_SELL, 5001, 10);
    ids[1] = post_ok(l, l->s[1], CETS_SELL, 5001, 10);
    for (int i = 2; i < 8; i++) ids[i] = post_ok(l, l->s[i], CETS_SELL, 5000 + i, 10);
}

static void test_take_named_best_five(void **state)
{
    (void)state;
    lm l;
    lm_init(&l, 5000);
    tmarket *m = &l.m;
    uint64_t ids[8];
    seven_levels(&l, ids);         /* levels: 5001 5002 5003 5004 5005 | 5006 5007 */
    cets_target t6 = {ids[6], 10}; /* 5006: sixth level */
    TR_REJECT(m, CETS_NOT_IN_BEST_FIVE, tm_take_targets(m, l.b[0], l.cea, CETS_BUY, 1, &t6, NULL));
    cets_target mix[2] = {{ids[2], 1}, {ids[7], 1}};
    TR_REJECT(m, CETS_NOT_IN_BEST_FIVE, tm_take_targets(m, l.b[0], l.cea, CETS_BUY, 2, mix, NULL));
    /* the fifth level may be named; at a price, any listing (no time priority) */
    cets_result r;
    cets_target t5[2] = {{ids[5], 10}, {ids[1], 4}};
    tm_clear_events(m);
    TR_OK(m, tm_take_targets(m, l.b[0], l.cea, CETS_BUY, 2, t5, &r));
    assert_int_equal(r.filled_qty, 14);
    assert_int_equal(r.filled_value, 5005 * 10 + 5001 * 4);
    assert_int_equal(r.ntrades, 2);
    assert_int_equal(r.resting_qty, 0);
    cets_trade tr[4];
    assert_int_equal(tr_trades(m, tr, 4), 2);
    for (int i = 0; i < 2; i++) {
        if (maker_of(&tr[i]) == ids[5])
            check_trade(&tr[i], ids[5], 5005, 10);
        else
            check_trade(&tr[i], ids[1], 5001, 4);
        assert_int_equal(tr[i].buyer, l.b[0]);
        assert_int_equal(tr[i].aggressor, CETS_BUY);
    }
    assert_false(tr_live(m, ids[5]));
    assert_true(tr_live(m, ids[1]));
    assert_true(tr_live(m, ids[0]));
    assert_int_equal(tr_level(m, l.cea, CETS_SELL, 0, NULL, NULL), 16);
    /* with 5005 gone, 5006 is now the fifth level */
    TR_OK(m, tm_take_targets(m, l.b[0], l.cea, CETS_BUY, 1, &t6, &r));
    assert_int_equal(r.filled_value, 5006 * 10);
    tm_free(m);
}

static void test_take_named_rejections(void **state)
{
    (void)state;
    lm l;
    lm_init(&l, 5000);
    tmarket *m = &l.m;
    uint64_t ids[8];
    seven_levels(&l, ids);
    uint64_t bid = post_ok(&l, l.b[1], CETS_BUY, 4990, 10);
    cets_target t;
    t = (cets_target){ids[0], 11};
    TR_REJECT(m, CETS_TARGET_QTY, tm_take_targets(m, l.b[0], l.cea, CETS_BUY, 1, &t, NULL));
    t = (cets_target){bid, 1};
    TR_REJECT(m, CETS_TARGET_SIDE, tm_take_targets(m, l.b[0], l.cea, CETS_BUY, 1, &t, NULL));
    t = (cets_target){ids[0], 1};
    TR_REJECT(m, CETS_TARGET_SIDE, tm_take_targets(m, l.s[3], l.cea, CETS_SELL, 1, &t, NULL));
    cets_target dup[2] = {{ids[0], 2}, {ids[0], 3}};
    TR_REJECT(m, CETS_DUPLICATE_TARGET, tm_take_targets(m, l.b[0], l.cea, CETS_BUY, 2, dup, NULL));
    /* nine distinct listings, all within the best five levels */
    cets_target nine[9];
    for (int i = 0; i < 6; i++) nine[i] = (cets_target){ids[i], 1};
    for (int i = 6; i < 9; i++)
        nine[i] = (cets_target){post_ok(&l, l.s[i - 1], CETS_SELL, 5001, 1), 1};
    TR_REJECT(m, CETS_TOO_MANY_TARGETS, tm_take_targets(m, l.b[0], l.cea, CETS_BUY, 9, nine, NULL));
    t = (cets_target){999999, 1};
    TR_REJECT(m, CETS_UNKNOWN_ORDER, tm_take_targets(m, l.b[0], l.cea, CETS_BUY, 1, &t, NULL));
    /* a listing that is gone cannot be named */
    assert_int_equal(tm_cancel(m, l.s[2], ids[2]), CETS_OK);
    t = (cets_target){ids[2], 1};
    TR_REJECT(m, CETS_UNKNOWN_ORDER, tm_take_targets(m, l.b[0], l.cea, CETS_BUY, 1, &t, NULL));
    /* eight distinct targets are fine */
    cets_target eight[8];
    uint64_t in5[6] = {ids[0], ids[1], ids[3], ids[4], ids[5], ids[6]}; /* 5001..5006 now 5 lv */
    for (int i = 0; i < 6; i++) eight[i] = (cets_target){in5[i], 1};
    eight[6] = (cets_target){post_ok(&l, l.s[2], CETS_SELL, 5001, 5), 1};
    eight[7] = (cets_target){post_ok(&l, l.s[7], CETS_SELL, 5003, 5), 1};
    cets_result r;
    TR_OK(m, tm_take_targets(m, l.b[0], l.cea, CETS_BUY, 8, eight, &r));
    assert_int_equal(r.filled_qty, 8);
    assert_int_equal(r.ntrades, 8);
    tm_free(m);
}

static void test_take_named_total_size(void **state)
{
    (void)state;
    lm l;
    lm_init(&l, 5000);
    tmarket *m = &l.m;
    uint64_t a = post_ok(&l, l.s[0], CETS_SELL, 5001, 60000);
    uint64_t b = post_ok(&l, l.s[1], CETS_SELL, 5001, 60000);
    cets_target t[2] = {{a, 60000}, {b, 40000}}; /* 100,000 t in one take */
    TR_REJECT(m, CETS_QTY_OUT_OF_RANGE, tm_take_targets(m, l.b[0], l.cea, CETS_BUY, 2, t, NULL));
    t[1].qty = 39999;
    cets_result r;
    TR_OK(m, tm_take_targets(m, l.b[0], l.cea, CETS_BUY, 2, t, &r));
    assert_int_equal(r.filled_qty, 99999);
    tm_free(m);
}

static void test_take_limit_best_price_then_oldest_within_five(void **state)
{
    (void)state;
    lm l;
    lm_init(&l, 5000);
    tmarket *m = &l.m;
    /* posted out of price order: the 5002 listing is the oldest */
    uint64_t a = post_ok(&l, l.s[0], CETS_SELL, 5002, 10);
    uint64_t b = post_ok(&l, l.s[1], CETS_SELL, 5001, 10);
    uint64_t c = post_ok(&l, l.s[2], CETS_SELL, 5001, 10);
    uint64_t d = post_ok(&l, l.s[3], CETS_SELL, 5003, 10);
    uint64_t e = post_ok(&l, l.s[4], CETS_SELL, 5004, 10);
    uint64_t f = post_ok(&l, l.s[5], CETS_SELL, 5005, 10);
    uint64_t g = post_ok(&l, l.s[6], CETS_SELL, 5006, 10); /* sixth level */
    cets_result r;
    tm_clear_events(m);
    TR_OK(m, tm_take_limit(m, l.b[0], l.cea, CETS_BUY, 100, 5006, &r));
    assert_int_equal(r.filled_qty, 60);
    assert_int_equal(r.resting_qty, 0);
    assert_int_equal(r.ntrades, 6);
    cets_trade tr[8];
    assert_int_equal(tr_trades(m, tr, 8), 6);
    check_trade(&tr[0], b, 5001, 10);
    check_trade(&tr[1], c, 5001, 10);
    check_trade(&tr[2], a, 5002, 10);
    check_trade(&tr[3], d, 5003, 10);
    check_trade(&tr[4], e, 5004, 10);
    check_trade(&tr[5], f, 5005, 10);
    assert_int_equal(r.filled_value, 10 * (5001 * 2 + 5002 + 5003 + 5004 + 5005));
    assert_true(tr_live(m, g));
    /* the unfilled 40 t are not posted */
    cets_depth dp;
    cets_depth_get(m->e, l.cea, &dp);
    assert_int_equal(dp.nbids, 0);
    assert_int_equal(dp.nasks, 1);
    assert_int_equal(dp.asks[0].price, 5006);
    const cets_event *done = tr_done(m, r.order_id);
    assert_non_null(done);
    assert_int_equal(done->u.done.why, CETS_DONE_UNFILLED);
    assert_int_equal(done->u.done.left_qty, 40);
    assert_false(tr_live(m, r.order_id));
    /* nothing stays reserved for the take */
    assert_int_equal(tm_frozen(m, l.b[0]), 0);
    tm_free(m);
}

static void test_take_limit_stops_at_limit_partial_fill(void **state)
{
    (void)state;
    lm l;
    lm_init(&l, 5000);
    tmarket *m = &l.m;
    uint64_t a = post_ok(&l, l.s[0], CETS_SELL, 5001, 10);
    uint64_t b = post_ok(&l, l.s[1], CETS_SELL, 5002, 10);
    cets_result r;
    tm_clear_events(m);
    /* limit 5003 but only 4 t wanted: partial fill of a at its own price */
    TR_OK(m, tm_take_limit(m, l.b[0], l.cea, CETS_BUY, 4, 5003, &r));
    cets_trade tr[4];
    assert_int_equal(tr_trades(m, tr, 4), 1);
    check_trade(&tr[0], a, 5001, 4);
    assert_int_equal(tr_level(m, l.cea, CETS_SELL, 0, NULL, NULL), 6);
    const cets_event *done = tr_done(m, r.order_id);
    assert_non_null(done);
    assert_int_equal(done->u.done.why, CETS_DONE_FILLED);
    /* limit 5001: only what is at 5001 fills */
    tm_clear_events(m);
    TR_OK(m, tm_take_limit(m, l.b[1], l.cea, CETS_BUY, 30, 5001, &r));
    assert_int_equal(r.filled_qty, 6);
    assert_int_equal(tr_trades(m, tr, 4), 1);
    check_trade(&tr[0], a, 5001, 6);
    assert_true(tr_live(m, b));
    assert_int_equal(tr_level(m, l.cea, CETS_BUY, 0, NULL, NULL), 0);
    assert_int_equal(tm_frozen(m, l.b[1]), 0);
    /* a sell take goes to the highest bid first */
    uint64_t lo = post_ok(&l, l.b[0], CETS_BUY, 4990, 5);
    uint64_t hi = post_ok(&l, l.b[1], CETS_BUY, 4995, 5);
    tm_clear_events(m);
    TR_OK(m, tm_take_limit(m, l.s[2], l.cea, CETS_SELL, 7, 4990, &r));
    assert_int_equal(tr_trades(m, tr, 4), 2);
    check_trade(&tr[0], hi, 4995, 5);
    check_trade(&tr[1], lo, 4990, 2);
    assert_int_equal(tr[0].aggressor, CETS_SELL);
    assert_int_equal(tr[0].seller, l.s[2]);
    assert_int_equal(tr[0].buyer, l.b[1]);
    tm_free(m);
}

static void test_take_no_liquidity(void **state)
{
    (void)state;
    lm l;
    lm_init(&l, 5000);
    tmarket *m = &l.m;
    TR_REJECT(m, CETS_NO_LIQUIDITY, tm_take_limit(m, l.b[0], l.cea, CETS_BUY, 5, 5500, NULL));
    TR_REJECT(m, CETS_NO_LIQUIDITY, tm_take_limit(m, l.s[0], l.cea, CETS_SELL, 5, 4500, NULL));
    post_ok(&l, l.s[0], CETS_SELL, 5001, 10);
    post_ok(&l, l.b[0], CETS_BUY, 4999, 10);
    TR_REJECT(m, CETS_NO_LIQUIDITY, tm_take_limit(m, l.b[1], l.cea, CETS_BUY, 5, 5000, NULL));
    TR_REJECT(m, CETS_NO_LIQUIDITY, tm_take_limit(m, l.s[1], l.cea, CETS_SELL, 5, 5000, NULL));
    tm_free(m);
}

static void test_self_trade_named_and_best_first(void **state)
{
    (void)state;
    lm l;
    lm_init(&l, 5000);
    tmarket *m = &l.m;
    uint64_t other = post_ok(&l, l.s[0], CETS_SELL, 5001, 5);
    uint64_t own = post_ok(&l, l.b[0], CETS_SELL, 5002, 5);
    cets_target t = {own, 1};
    TR_REJECT(m, CETS_SELF_TRADE, tm_take_targets(m, l.b[0], l.cea, CETS_BUY, 1, &t, NULL));
    cets_target two[2] = {{other, 1}, {own, 1}};
    TR_REJECT(m, CETS_SELF_TRADE, tm_take_targets(m, l.b[0], l.cea, CETS_BUY, 2, two, NULL));
    /* best first reaches the own listing after the other one: rejected whole */
    TR_REJECT(m, CETS_SELF_TRADE, tm_take_limit(m, l.b[0], l.cea, CETS_BUY, 10, 5002, NULL));
    TR_REJECT(m, CETS_SELF_TRADE, tm_take_limit(m, l.b[0], l.cea, CETS_BUY, 6, 5002, NULL));
    assert_int_equal(tr_level(m, l.cea, CETS_SELL, 0, NULL, NULL), 5);
    /* a take that stops before the own listing never trades with it */
    cets_result r;
    TR_OK(m, tm_take_limit(m, l.b[0], l.cea, CETS_BUY, 5, 5002, &r));
    assert_int_equal(r.filled_qty, 5);
    TR_OK(m, tm_take_limit(m, l.b[1], l.cea, CETS_BUY, 5, 5002, &r));
    assert_int_equal(r.filled_value, 5002 * 5);
    tm_free(m);
}

static void test_cancel(void **state)
{
    (void)state;
    lm l;
    lm_init(&l, 5000);
    tmarket *m = &l.m;
    uint64_t s = post_ok(&l, l.s[0], CETS_SELL, 5010, 10);
    uint64_t b = post_ok(&l, l.b[0], CETS_BUY, 4990, 10);
    TR_REJECT(m, CETS_NOT_OWNER, tm_cancel(m, l.s[1], s));
    TR_REJECT(m, CETS_NOT_OWNER, tm_cancel(m, l.s[0], b));
    TR_REJECT(m, CETS_UNKNOWN_ORDER, tm_cancel(m, l.s[0], 123456789));
    TR_REJECT(m, CETS_UNKNOWN_ORDER, tm_cancel(m, l.s[0], 0));
    tm_clear_events(m);
    TR_OK(m, tm_cancel(m, l.s[0], s));
    const cets_event *done = tr_done(m, s);
    assert_non_null(done);
    assert_int_equal(done->u.done.why, CETS_DONE_CANCELLED);
    assert_int_equal(done->u.done.left_qty, 10);
    assert_false(tr_live(m, s));
    assert_int_equal(tm_hold(m, l.s[0], l.cea).frozen, 0);
    assert_int_equal(tm_hold(m, l.s[0], l.cea).available, 200000);
    TR_REJECT(m, CETS_UNKNOWN_ORDER, tm_cancel(m, l.s[0], s)); /* twice */
    TR_OK(m, tm_cancel(m, l.b[0], b));
    assert_int_equal(tm_frozen(m, l.b[0]), 0);
    assert_int_equal(tm_avail(m, l.b[0]), 100000000000LL);
    cets_depth d;
    cets_depth_get(m->e, l.cea, &d);
    assert_int_equal(d.nbids + d.nasks, 0);
    tm_free(m);
}

static void test_modify_checked_like_a_post(void **state)
{
    (void)state;
    lm l;
    lm_init(&l, 5000);
    tmarket *m = &l.m;
    uint64_t s = post_ok(&l, l.s[0], CETS_SELL, 5010, 10);
    uint64_t b = post_ok(&l, l.b[0], CETS_BUY, 4990, 10);
    TR_REJECT(m, CETS_NOTHING_CHANGED, tm_modify(m, l.s[0], s, 5010, 10, NULL));
    TR_REJECT(m, CETS_NOT_OWNER, tm_modify(m, l.s[1], s, 5011, 10, NULL));
    TR_REJECT(m, CETS_UNKNOWN_ORDER, tm_modify(m, l.s[0], 424242, 5011, 10, NULL));
    TR_REJECT(m, CETS_CROSSING_POST, tm_modify(m, l.s[0], s, 4990, 10, NULL));
    TR_REJECT(m, CETS_CROSSING_POST, tm_modify(m, l.b[0], b, 5010, 10, NULL));
    /* holdings: 200,000 t, of which 10 + 99,999 + 99,990 are listed: 1 t left */
    post_ok(&l, l.s[0], CETS_SELL, 5100, 99999);
    post_ok(&l, l.s[0], CETS_SELL, 5100, 99990);
    assert_int_equal(tm_hold(m, l.s[0], l.cea).available, 1);
    TR_REJECT(m, CETS_INSUFFICIENT_HOLDINGS, tm_modify(m, l.s[0], s, 5010, 12, NULL));
    cets_result r;
    tm_clear_events(m);
    TR_OK(m, tm_modify(m, l.s[0], s, 5020, 11, &r));
    assert_int_equal(tm_count_events(m, CETS_EV_REPLACED), 1);
    const cets_event *ev = tm_last_event(m, CETS_EV_REPLACED);
    assert_int_equal(ev->u.order.price, 5020);
    assert_int_equal(ev->u.order.order_id, r.order_id);
    assert_int_equal(tm_hold(m, l.s[0], l.cea).frozen, 11 + 99999 + 99990);
    assert_int_equal(tm_hold(m, l.s[0], l.cea).available, 0);
    int64_t p;
    assert_int_equal(tr_level(m, l.cea, CETS_SELL, 0, &p, NULL), 11);
    assert_int_equal(p, 5020);
    /* a buy's reservation follows its new price and quantity */
    TR_OK(m, tm_modify(m, l.b[0], b, 4980, 3, &r));
    assert_int_equal(tm_frozen(m, l.b[0]), 4980 * 3 + tr_fee(4980 * 3, 500));
    tm_free(m);
}

static void test_modify_priority(void **state)
{
    (void)state;
    lm l;
    lm_init(&l, 5000);
    tmarket *m = &l.m;
    cets_result r;
    cets_trade tr[4];
    /* quantity down at the same price: keeps its place */
    uint64_t a = post_ok(&l, l.s[0], CETS_SELL, 5000, 10);
    uint64_t b = post_ok(&l, l.s[1], CETS_SELL, 5000, 10);
    TR_OK(m, tm_modify(m, l.s[0], a, 5000, 8, &r));
    a = r.order_id;
    tm_clear_events(m);
    TR_OK(m, tm_take_limit(m, l.b[0], l.cea, CETS_BUY, 1, 5000, NULL));
    assert_int_equal(tr_trades(m, tr, 4), 1);
    check_trade(&tr[0], a, 5000, 1);
    /* quantity up: goes behind b */
    TR_OK(m, tm_modify(m, l.s[0], a, 5000, 20, &r));
    a = r.order_id;
    tm_clear_events(m);
    TR_OK(m, tm_take_limit(m, l.b[0], l.cea, CETS_BUY, 1, 5000, NULL));
    assert_int_equal(tr_trades(m, tr, 4), 1);
    check_trade(&tr[0], b, 5000, 1);
    /* price away and back: loses its place */
    uint64_t c = post_ok(&l, l.b[1], CETS_BUY, 4900, 10);
    uint64_t d = post_ok(&l, l.b[2], CETS_BUY, 4900, 10);
    TR_OK(m, tm_modify(m, l.b[1], c, 4901, 10, &r));
    TR_OK(m, tm_modify(m, l.b[1], r.order_id, 4900, 10, &r));
    c = r.order_id;
    tm_clear_events(m);
    TR_OK(m, tm_take_limit(m, l.s[2], l.cea, CETS_SELL, 1, 4900, NULL));
    assert_int_equal(tr_trades(m, tr, 4), 1);
    check_trade(&tr[0], d, 4900, 1);
    (void)c;
    tm_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_qty_limits),
        cmocka_unit_test(test_modify_qty_limits),
        cmocka_unit_test(test_price_tick),
        cmocka_unit_test(test_band_edges),
        cmocka_unit_test(test_post_rests_and_shows_in_depth),
        cmocka_unit_test(test_crossing_post),
        cmocka_unit_test(test_take_named_best_five),
        cmocka_unit_test(test_take_named_rejections),
        cmocka_unit_test(test_take_named_total_size),
        cmocka_unit_test(test_take_limit_best_price_then_oldest_within_five),
        cmocka_unit_test(test_take_limit_stops_at_limit_partial_fill),
        cmocka_unit_test(test_take_no_liquidity),
        cmocka_unit_test(test_self_trade_named_and_best_first),
        cmocka_unit_test(test_cancel),
        cmocka_unit_test(test_modify_checked_like_a_post),
        cmocka_unit_test(test_modify_priority),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
