/* test_engine_methods.c -- first walk through block agreements, one-way
 * bidding and the registry: each flow end to end, with conservation checked
 * after every command. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "tmarket.h"

#define OK(x) assert_int_equal((x), CETS_OK)
#define INV(m) assert_null(tm_invariants((m)->e))

static int cmd(tmarket *m, int type, uint32_t actor, uint32_t pid, uint32_t iid, int side,
               int64_t price, int64_t qty, uint64_t ref, uint32_t cpty, int64_t aux, cets_result *r)
{
    cets_cmd c = {.type = (uint8_t)type,
                  .actor = actor,
                  .participant = pid,
                  .instrument = iid,
                  .side = (uint8_t)side,
                  .price = price,
                  .qty = qty,
                  .order_id = ref,
                  .counterparty = cpty,
                  .aux = aux,
                  .user = 1};
    return tm_apply(m, &c, r);
}

static void test_block_propose_counter_accept(void **state)
{
    (void)state;
    tmarket m;
    tm_init(&m, NULL);
    uint32_t cea = tm_instrument(&m, "CEA25", CETS_PRODUCT_CEA, CETS_MATCH_LISTING, 5000);
    uint32_t s = tm_participant(&m, CETS_PK_ENTITY, "seller", 0);
    uint32_t b = tm_participant(&m, CETS_PK_INSTITUTION, "buyer", 2000000000);
    tm_credit(&m, s, cea, 500000);
    cets_result r;
    tm_at(&m, 10, 0); /* block trading is afternoon only */
    assert_int_equal(cmd(&m, CETS_CMD_BLOCK_QUOTE, s, s, cea, CETS_SELL, 5200, 200000, 0, 0, 0, &r),
                     CETS_SESSION_CLOSED);
    tm_at(&m, 13, 30);
    assert_int_equal(cmd(&m, CETS_CMD_BLOCK_QUOTE, s, s, cea, CETS_SELL, 5200, 99999, 0, 0, 0, &r),
                     CETS_QTY_OUT_OF_RANGE);
    assert_int_equal(cmd(&m, CETS_CMD_BLOCK_QUOTE, s, s, cea, CETS_SELL, 6501, 200000, 0, 0, 0, &r),
                     CETS_PRICE_OUT_OF_BAND);
    OK(cmd(&m, CETS_CMD_BLOCK_QUOTE, s, s, cea, CETS_SELL, 6500, 200000, 0, 0, 0, &r));
    uint64_t quote = r.order_id;
    /* the buyer answers the quote with a lower price: its confirmation, funds reserved */
    OK(cmd(&m, CETS_CMD_BLOCK_PROPOSE, b, b, cea, CETS_BUY, 5000, 200000, quote, 0, 0, &r));
    uint64_t p1 = r.order_id;
    int64_t value = 5000LL * 200000;
    assert_int_equal(tm_frozen(&m, b), value + cets_fee(value, 500));
    INV(&m);
    /* the seller counters at 51.00: the first proposal is released */
    OK(cmd(&m, CETS_CMD_BLOCK_PROPOSE, s, s, cea, CETS_SELL, 5100, 200000, p1, 0, 0, &r));
    uint64_t p2 = r.order_id;
    assert_int_equal(tm_frozen(&m, b), 0);
    assert_int_equal(tm_hold(&m, s, cea).frozen, 200000);
    INV(&m);
    /* accepting with other terms is refused */
    assert_int_equal(
        cmd(&m, CETS_CMD_BLOCK_ACCEPT, b, b, cea, CETS_BUY, 5000, 200000, p2, 0, 0, &r),
        CETS_TERMS_MISMATCH);
    OK(cmd(&m, CETS_CMD_BLOCK_ACCEPT, b, b, cea, CETS_BUY, 5100, 200000, p2, 0, 0, &r));
    value = 5100LL * 200000;
    assert_int_equal(tm_hold(&m, b, cea).locked, 200000);
    assert_int_equal(tm_avail(&m, s), value - cets_fee(value, 500));
    assert_int_equal(tm_avail(&m, b), 2000000000 - value - cets_fee(value, 500));
    cets_block_info bi;
    OK(cets_block_get(m.e, quote, &bi));
    assert_int_equal(bi.status, CETS_BLOCK_CLOSED);
    INV(&m);
    /* block trades count in volume, never in the prices */
    assert_int_equal(tm_eod(&m), CETS_OK);
    cets_day_stats st[4];
    assert_int_equal(cets_last_day_stats(m.e, st, 4, NULL, NULL), 1);
    assert_int_equal(st[0].volume[CETS_METHOD_BLOCK], 200000);
    assert_int_equal(st[0].close, 5000);
    assert_false(st[0].traded);
    tm_free(&m);
}

static void test_block_lapse(void **state)
{
    (void)state;
    tmarket m;
    tm_init(&m, NULL);
    uint32_t cea = tm_instrument(&m, "CEA25", CETS_PRODUCT_CEA, CETS_MATCH_LISTING, 5000);
    uint32_t s = tm_participant(&m, CETS_PK_ENTITY, "seller", 0);
    uint32_t b = tm_participant(&m, CETS_PK_INSTITUTION, "buyer", 0);
    tm_credit(&m, s, cea, 500000);
    tm_at(&m, 14, 0);
    cets_result r;
    OK(cmd(&m, CETS_CMD_BLOCK_PROPOSE, s, s, cea, CETS_SELL, 5000, 300000, 0, b, 0, &r));
    assert_int_equal(tm_hold(&m, s, cea).frozen, 300000);
    /* a buyer without funds cannot confirm */
    assert_int_equal(
        cmd(&m, CETS_CMD_BLOCK_ACCEPT, b, b, cea, CETS_BUY, 5000, 300000, r.order_id, 0, 0, NULL),
        CETS_INSUFFICIENT_FUNDS);
    OK(tm_eod(&m));
    assert_int_equal(tm_hold(&m, s, cea).frozen, 0);
    assert_int_equal(tm_hold(&m, s, cea).available, 500000);
    INV(&m);
    tm_free(&m);
}

static int auction(tmarket *m, uint32_t pid, uint32_t iid, int side, int64_t lot, int mode,
                   int limit, int64_t min_fill, cets_result *r)
{
    cets_cmd c = {.type = CETS_CMD_AUCTION_CREATE,
                  .actor = CETS_EXCHANGE_ID,
                  .participant = pid,
                  .instrument = iid,
                  .side = (uint8_t)side,
                  .qty = lot};
    c.u.args[CETS_AUCTION_ARG_START] = m->now;
    c.u.args[CETS_AUCTION_ARG_END] = m->now + 3600LL * 1000000000;
    c.u.args[CETS_AUCTION_ARG_MODE] = mode;
    c.u.args[CETS_AUCTION_ARG_LIMIT] = limit;
    c.u.args[CETS_AUCTION_ARG_MIN_FILL] = min_fill;
    return tm_apply(m, &c, r);
}

static void run_auction(int mode)
{
    tmarket m;
    tm_init(&m, NULL);
    uint32_t cea = tm_instrument(&m, "CEA25", CETS_PRODUCT_CEA, CETS_MATCH_LISTING, 5000);
    uint32_t s = tm_participant(&m, CETS_PK_ENTITY, "seller", 0);
    uint32_t b[4];
    for (int i = 0; i < 4; i++)
        b[i] = tm_participant(&m, CETS_PK_INSTITUTION, "bidder", 1000000000);
    tm_credit(&m, s, cea, 1000000);
    tm_at(&m, 10, 0);
    cets_result r;
    OK(auction(&m, s, cea, CETS_SELL, 300000, mode, 0, 0, &r));
    uint64_t a = r.order_id;
    assert_int_equal(tm_hold(&m, s, cea).frozen, 300000);
    tm_at(&m, 10, 1);
    assert_int_equal(cmd(&m, CETS_CMD_AUCTION_BID, b[0], b[0], 0, 0, 4999, 1000, a, 0, 0, NULL),
                     CETS_PRICE_OUT_OF_BAND); /* below the floor (previous close) */
    assert_int_equal(cmd(&m, CETS_CMD_AUCTION_BID, b[0], b[0], 0, 0, 5501, 1000, a, 0, 0, NULL),
                     CETS_PRICE_OUT_OF_BAND); /* above close + 10% */
    OK(cmd(&m, CETS_CMD_AUCTION_BID, b[0], b[0], 0, 0, 5200, 100000, a, 0, 0, NULL));
    OK(cmd(&m, CETS_CMD_AUCTION_BID, b[1], b[1], 0, 0, 5300, 150000, a, 0, 0, NULL));
    OK(cmd(&m, CETS_CMD_AUCTION_BID, b[2], b[2], 0, 0, 5200, 100000, a, 0, 0, NULL)); /* later */
    OK(cmd(&m, CETS_CMD_AUCTION_BID, b[3], b[3], 0, 0, 5000, 100000, a, 0, 0, NULL));
    INV(&m);
    assert_int_equal(cmd(&m, CETS_CMD_AUCTION_CLOSE, 1, 0, 0, 0, 0, 0, a, 0, 0, NULL),
                     CETS_AUCTION_RUNNING);
    tm_at(&m, 11, 1);
    OK(cmd(&m, CETS_CMD_AUCTION_CLOSE, 1, 0, 0, 0, 0, 0, a, 0, 0, NULL));
    INV(&m);
    /* 150,000 @ 53.00, 100,000 @ 52.00 (b0, earlier), 50,000 of b2 @ 52.00; b3 nothing */
    int64_t p1 = mode == 0 ? 5200 : 5300;
    assert_int_equal(tm_hold(&m, b[1], cea).locked, 150000);
    assert_int_equal(tm_hold(&m, b[0], cea).locked, 100000);
    assert_int_equal(tm_hold(&m, b[2], cea).locked, 50000);
    assert_int_equal(tm_hold(&m, b[3], cea).locked, 0);
    int64_t v1 = p1 * 150000;
    assert_int_equal(tm_avail(&m, b[1]), 1000000000 - v1 - cets_fee(v1, 500));
    assert_int_equal(tm_frozen(&m, b[3]), 0);
    assert_int_equal(tm_avail(&m, b[3]), 1000000000);
    assert_int_equal(tm_hold(&m, s, cea).frozen, 0);
    assert_int_equal(tm_hold(&m, s, cea).available, 700000);
    cets_auction_info ai;
    OK(cets_auction_get(m.e, a, &ai));
    assert_int_equal(ai.status, CETS_AUCTION_CLOSED);
    assert_int_equal(ai.filled, 300000);
    assert_int_equal(ai.clearing_price, 5200);
    assert_int_equal(ai.nwinners, 3);
    tm_free(&m);
}

static void test_auction_uniform(void **state)
{
    (void)state;
    run_auction(0);
}

static void test_auction_pay_as_bid(void **state)
{
    (void)state;
    run_auction(1);
}

static void test_registry_year(void **state)
{
    (void)state;
    tmarket m;
    tm_init(&m, NULL);
    uint32_t c24 = tm_instrument(&m, "CEA24", CETS_PRODUCT_CEA, CETS_MATCH_LISTING, 5000);
    uint32_t c25 = tm_instrument(&m, "CEA25", CETS_PRODUCT_CEA, CETS_MATCH_LISTING, 6000);
    uint32_t ccer = tm_instrument(&m, "CCER", CETS_PRODUCT_CCER, CETS_MATCH_LISTING, 8000);
    uint32_t au = tm_participant(&m, CETS_PK_AUTHORITY, "MEE", 0);
    uint32_t ent = tm_participant(&m, CETS_PK_ENTITY, "plant", 0);
    cets_cmd c = {.type = CETS_CMD_ALLOCATE,
                  .actor = au,
                  .participant = ent,
                  .instrument = c25,
                  .qty = 90000};
    c.u.args[0] = 1000;
    c.u.args[1] = 90;
    OK(tm_apply(&m, &c, NULL));
    c.instrument = c24;
    c.qty = 20000;
    OK(tm_apply(&m, &c, NULL));
    tm_credit(&m, ent, ccer, 10000);
    OK(cmd(&m, CETS_CMD_EMISSIONS, au, ent, 0, 0, 0, 100000, 0, 0, 2025, NULL));
    /* CCER over 5% of 100,000 t */
    cets_cmd s = {
        .type = CETS_CMD_SURRENDER, .actor = ent, .participant = ent, .aux = 2025, .ntargets = 1};
    s.u.targets[0] = (cets_target){ccer, 5001};
    assert_int_equal(tm_apply(&m, &s, NULL), CETS_CCER_CAP);
    s.u.targets[0].qty = 5000;
    OK(tm_apply(&m, &s, NULL));
    /* current vintage first: 90,000 of CEA25, then 4,000 of CEA24 */
    OK(cmd(&m, CETS_CMD_SURRENDER, ent, ent, 0, 0, 0, 94000, 0, 0, 2025, NULL));
    assert_int_equal(tm_hold(&m, ent, c25).available, 0);
    assert_int_equal(tm_hold(&m, ent, c24).available, 16000);
    INV(&m);
    OK(cmd(&m, CETS_CMD_DEADLINE, au, 0, 0, 0, 0, 0, 0, 0, 2025, NULL));
    cets_compliance cc;
    OK(cets_compliance_get(m.e, ent, 2025, &cc));
    assert_int_equal(cc.shortfall, 1000);
    assert_int_equal(cc.status, CETS_COMPLIANCE_SHORTFALL);
    assert_int_equal(cets_deduction_owed(m.e, ent), 1000);
    /* the shortfall comes out of the next allocation */
    c.instrument = c25;
    c.qty = 50000;
    OK(tm_apply(&m, &c, NULL));
    assert_int_equal(tm_hold(&m, ent, c25).available, 49000);
    assert_int_equal(cets_deduction_owed(m.e, ent), 0);
    INV(&m);
    tm_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_block_propose_counter_accept),
        cmocka_unit_test(test_block_lapse),
        cmocka_unit_test(test_auction_uniform),
        cmocka_unit_test(test_auction_pay_as_bid),
        cmocka_unit_test(test_registry_year),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
