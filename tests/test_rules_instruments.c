/* test_rules_instruments.c -- instruments: add, codes, halts, mode switch. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "tmarket.h"
#include "trules.h"

static void test_add_gives_ids_in_order_and_band(void **state)
{
    (void)state;
    tmarket m;
    tm_init(&m, NULL);
    cets_result r;
    TR_OK(&m, tr_add_instrument(&m, CETS_EXCHANGE_ID, "CEA21", CETS_PRODUCT_CEA, CETS_MATCH_LISTING,
                                5123, &r));
    assert_int_equal(r.id, 0);
    const cets_event *ev = tm_last_event(&m, CETS_EV_ADMIN);
    assert_non_null(ev);
    assert_int_equal(ev->u.admin.cmd_type, CETS_CMD_INSTRUMENT_ADD);
    assert_int_equal(ev->u.admin.id, 0);
    TR_OK(&m, tr_add_instrument(&m, CETS_EXCHANGE_ID, "CCER", CETS_PRODUCT_CCER,
                                CETS_MATCH_CONTINUOUS, 3000, &r));
    assert_int_equal(r.id, 1);
    assert_int_equal(cets_instrument_count(m.e), 2);
    assert_int_equal(cets_instrument_find(m.e, "CEA21"), 0);
    assert_int_equal(cets_instrument_find(m.e, "CCER"), 1);
    assert_int_equal(cets_instrument_find(m.e, "CEA22"), -1);

    cets_instrument_info ii;
    assert_int_equal(cets_instrument_get(m.e, 0, &ii), 0);
    assert_string_equal(ii.code, "CEA21");
    assert_int_equal(ii.product, CETS_PRODUCT_CEA);
    assert_int_equal(ii.matching, CETS_MATCH_LISTING);
    assert_int_equal(ii.status, CETS_IS_OPEN);
    assert_int_equal(ii.prev_close, 5123);
    assert_int_equal(ii.tick, 1);
    /* floor(5123 * 1.1) = floor(5635.3); ceil(5123 * 0.9) = ceil(4610.7) */
    assert_int_equal(ii.upper, 5635);
    assert_int_equal(ii.lower, 4611);
    assert_int_equal(cets_instrument_get(m.e, 1, &ii), 0);
    assert_int_equal(ii.product, CETS_PRODUCT_CCER);
    assert_int_equal(ii.matching, CETS_MATCH_CONTINUOUS);
    assert_int_equal(ii.upper, 3300);
    assert_int_equal(ii.lower, 2700);
    assert_int_not_equal(cets_instrument_get(m.e, 2, &ii), 0);
    tm_free(&m);
}

static void test_add_duplicate_code(void **state)
{
    (void)state;
    tmarket m;
    tm_init(&m, NULL);
    tm_instrument(&m, "CEA21", CETS_PRODUCT_CEA, CETS_MATCH_LISTING, 5000);
    TR_REJECT(&m, CETS_DUPLICATE_INSTRUMENT,
              tr_add_instrument(&m, CETS_EXCHANGE_ID, "CEA21", CETS_PRODUCT_CEA, CETS_MATCH_LISTING,
                                4000, NULL));
    TR_REJECT(&m, CETS_DUPLICATE_INSTRUMENT,
              tr_add_instrument(&m, CETS_EXCHANGE_ID, "CEA21", CETS_PRODUCT_CCER,
                                CETS_MATCH_CONTINUOUS, 5000, NULL));
    assert_int_equal(cets_instrument_count(m.e), 1);
    tm_free(&m);
}

static void test_add_bad_code(void **state)
{
    (void)state;
    tmarket m;
    tm_init(&m, NULL);
    const char *bad[] = {"", "CEA-21", "CEA 21", "CEA_21", "CEA.21", "ABCDEFGHIJ123456"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        TR_REJECT(&m, CETS_BAD_CODE,
                  tr_add_instrument(&m, CETS_EXCHANGE_ID, bad[i], CETS_PRODUCT_CEA,
                                    CETS_MATCH_LISTING, 5000, NULL));
    /* 15 letters and digits is the longest code */
    TR_OK(&m, tr_add_instrument(&m, CETS_EXCHANGE_ID, "ABCDEFGHIJ12345", CETS_PRODUCT_CEA,
                                CETS_MATCH_LISTING, 5000, NULL));
    TR_OK(&m, tr_add_instrument(&m, CETS_EXCHANGE_ID, "X", CETS_PRODUCT_CEA, CETS_MATCH_LISTING,
                                5000, NULL));
    assert_int_equal(cets_instrument_count(m.e), 2);
    tm_free(&m);
}

static void test_add_bad_arguments(void **state)
{
    (void)state;
    tmarket m;
    tm_init(&m, NULL);
    TR_REJECT(&m, CETS_BAD_ARGUMENT,
              tr_add_instrument(&m, CETS_EXCHANGE_ID, "CEA21", CETS_PRODUCT_CEA, CETS_MATCH_LISTING,
                                0, NULL));
    TR_REJECT(&m, CETS_BAD_ARGUMENT,
              tr_add_instrument(&m, CETS_EXCHANGE_ID, "CEA21", CETS_PRODUCT_CEA, CETS_MATCH_LISTING,
                                -5000, NULL));
    TR_REJECT(&m, CETS_BAD_ARGUMENT,
              tr_add_instrument(&m, CETS_EXCHANGE_ID, "CEA21", 7, CETS_MATCH_LISTING, 5000, NULL));
    TR_REJECT(&m, CETS_BAD_ARGUMENT,
              tr_add_instrument(&m, CETS_EXCHANGE_ID, "CEA21", CETS_PRODUCT_CEA, 9, 5000, NULL));
    assert_int_equal(cets_instrument_count(m.e), 0);
    tm_free(&m);
}

static void test_add_needs_exchange(void **state)
{
    (void)state;
    tmarket m;
    tm_init(&m, NULL);
    uint32_t p = tm_participant(&m, CETS_PK_ENTITY, "ent", 0);
    TR_REJECT(&m, CETS_NOT_AUTHORISED,
              tr_add_instrument(&m, p, "CEA21", CETS_PRODUCT_CEA, CETS_MATCH_LISTING, 5000, NULL));
    assert_int_equal(cets_instrument_count(m.e), 0);
    tm_free(&m);
}

static void test_add_capacity_64(void **state)
{
    (void)state;
    tmarket m;
    tm_init(&m, NULL);
    char code[16];
    for (int i = 0; i < CETS_MAX_INSTRUMENTS; i++) {
        snprintf(code, sizeof code, "CEA%d", i);
        tm_instrument(&m, code, CETS_PRODUCT_CEA, CETS_MATCH_LISTING, 5000);
    }
    TR_REJECT(&m, CETS_CAPACITY,
              tr_add_instrument(&m, CETS_EXCHANGE_ID, "ONEMORE", CETS_PRODUCT_CEA,
                                CETS_MATCH_LISTING, 5000, NULL));
    assert_int_equal(cets_instrument_count(m.e), CETS_MAX_INSTRUMENTS);
    tm_free(&m);
}

/* A market with two listing instruments, a buyer and a seller. */
typedef struct two {
    tmarket m;
    uint32_t a, b; /* instruments */
    uint32_t buyer, seller;
} two;

static void two_init(two *t)
{
    tm_init(&t->m, NULL);
    t->a = tm_instrument(&t->m, "CEA21", CETS_PRODUCT_CEA, CETS_MATCH_LISTING, 5000);
    t->b = tm_instrument(&t->m, "CEA22", CETS_PRODUCT_CEA, CETS_MATCH_LISTING, 5000);
    t->buyer = tm_participant(&t->m, CETS_PK_ENTITY, "buyer", 100000000);
    t->seller = tm_participant(&t->m, CETS_PK_INSTITUTION, "seller", 0);
    tm_credit(&t->m, t->seller, t->a, 1000);
    tm_credit(&t->m, t->seller, t->b, 1000);
}

static void test_instrument_halt(void **state)
{
    (void)state;
    two t;
    two_init(&t);
    tmarket *m = &t.m;
    cets_result r;
    TR_OK(m, tm_post(m, t.seller, t.a, CETS_SELL, 5000, 10, &r));
    uint64_t sell = r.order_id;
    TR_OK(m, tm_post(m, t.buyer, t.a, CETS_BUY, 4900, 10, &r));
    uint64_t buy = r.order_id;

    TR_OK(m, tm_admin(m, CETS_CMD_INSTRUMENT_HALT, 0, t.a, 0, 1));
    cets_instrument_info ii;
    cets_instrument_get(m->e, t.a, &ii);
    assert_int_equal(ii.status, CETS_IS_HALTED);
    TR_REJECT(m, CETS_INSTRUMENT_HALTED, tm_post(m, t.seller, t.a, CETS_SELL, 5100, 5, NULL));
    TR_REJECT(m, CETS_INSTRUMENT_HALTED, tm_post(m, t.buyer, t.a, CETS_BUY, 4800, 5, NULL));
    TR_REJECT(m, CETS_INSTRUMENT_HALTED, tm_take_limit(m, t.buyer, t.a, CETS_BUY, 5, 5000, NULL));
    cets_target tg = {sell, 5};
    TR_REJECT(m, CETS_INSTRUMENT_HALTED, tm_take_targets(m, t.buyer, t.a, CETS_BUY, 1, &tg, NULL));
    /* the other instrument trades on */
    TR_OK(m, tm_post(m, t.seller, t.b, CETS_SELL, 5000, 5, NULL));
    /* cancels are allowed while halted */
    TR_OK(m, tm_cancel(m, t.buyer, buy));
    assert_false(tr_live(m, buy));
    assert_int_equal(tm_frozen(m, t.buyer), 0);

    TR_OK(m, tm_admin(m, CETS_CMD_INSTRUMENT_HALT, 0, t.a, 0, 0));
    cets_instrument_get(m->e, t.a, &ii);
    assert_int_equal(ii.status, CETS_IS_OPEN);
    TR_OK(m, tm_take_limit(m, t.buyer, t.a, CETS_BUY, 5, 5000, &r));
    assert_int_equal(r.filled_qty, 5);
    tm_free(m);
}

static void test_market_halt(void **state)
{
    (void)state;
    two t;
    two_init(&t);
    tmarket *m = &t.m;
    cets_result r;
    TR_OK(m, tm_post(m, t.seller, t.a, CETS_SELL, 5000, 10, &r));
    uint64_t sell = r.order_id;
    TR_OK(m, tm_admin(m, CETS_CMD_MARKET_HALT, 0, 0, 0, 1));
    TR_REJECT(m, CETS_MARKET_HALTED, tm_post(m, t.seller, t.a, CETS_SELL, 5100, 5, NULL));
    TR_REJECT(m, CETS_MARKET_HALTED, tm_post(m, t.seller, t.b, CETS_SELL, 5100, 5, NULL));
    TR_REJECT(m, CETS_MARKET_HALTED, tm_take_limit(m, t.buyer, t.a, CETS_BUY, 5, 5000, NULL));
    TR_OK(m, tm_cancel(m, t.seller, sell));
    assert_int_equal(tm_hold(m, t.seller, t.a).frozen, 0);
    assert_int_equal(tm_hold(m, t.seller, t.a).available, 1000);
    TR_OK(m, tm_admin(m, CETS_CMD_MARKET_HALT, 0, 0, 0, 0));
    TR_OK(m, tm_post(m, t.seller, t.a, CETS_SELL, 5100, 5, NULL));
    tm_free(m);
}

static void test_halt_needs_exchange_and_instrument(void **state)
{
    (void)state;
    two t;
    two_init(&t);
    tmarket *m = &t.m;
    TR_REJECT(m, CETS_NOT_AUTHORISED, tr_cmd(m, CETS_CMD_INSTRUMENT_HALT, t.buyer, 0, t.a, 0, 1));
    TR_REJECT(m, CETS_NOT_AUTHORISED, tr_cmd(m, CETS_CMD_MARKET_HALT, t.buyer, 0, 0, 0, 1));
    TR_REJECT(m, CETS_UNKNOWN_INSTRUMENT,
              tr_cmd(m, CETS_CMD_INSTRUMENT_HALT, CETS_EXCHANGE_ID, 0, 7, 0, 1));
    TR_REJECT(m, CETS_UNKNOWN_INSTRUMENT,
              tr_cmd(m, CETS_CMD_INSTRUMENT_MODE, CETS_EXCHANGE_ID, 0, 7, 0, 0));
    tm_free(m);
}

static int mode_cmd(tmarket *m, uint32_t actor, uint32_t iid, int matching)
{
    cets_cmd c = {.type = CETS_CMD_INSTRUMENT_MODE,
                  .actor = actor,
                  .instrument = iid,
                  .flags = (uint8_t)matching};
    return tm_apply(m, &c, NULL);
}

static void test_mode_switch_only_with_empty_book(void **state)
{
    (void)state;
    two t;
    two_init(&t);
    tmarket *m = &t.m;
    cets_result r;
    TR_OK(m, tm_post(m, t.seller, t.a, CETS_SELL, 5000, 10, &r));
    uint64_t sell = r.order_id;
    /* docs/rules.md: "while the instrument's book is empty" */
    TR_REJECT(m, CETS_BOOK_NOT_EMPTY, mode_cmd(m, CETS_EXCHANGE_ID, t.a, CETS_MATCH_CONTINUOUS));
    TR_REJECT(m, CETS_NOT_AUTHORISED, mode_cmd(m, t.buyer, t.b, CETS_MATCH_CONTINUOUS));
    /* in listing mode a crossing post is refused */
    TR_REJECT(m, CETS_CROSSING_POST, tm_post(m, t.buyer, t.a, CETS_BUY, 5000, 10, NULL));
    TR_OK(m, tm_cancel(m, t.seller, sell));
    TR_OK(m, mode_cmd(m, CETS_EXCHANGE_ID, t.a, CETS_MATCH_CONTINUOUS));
    cets_instrument_info ii;
    cets_instrument_get(m->e, t.a, &ii);
    assert_int_equal(ii.matching, CETS_MATCH_CONTINUOUS);
    /* now a crossing order trades */
    TR_OK(m, tm_post(m, t.seller, t.a, CETS_SELL, 5000, 10, NULL));
    TR_OK(m, tm_post(m, t.buyer, t.a, CETS_BUY, 5000, 10, &r));
    assert_int_equal(r.filled_qty, 10);
    assert_int_equal(r.ntrades, 1);
    /* book empty again: back to listing */
    TR_OK(m, mode_cmd(m, CETS_EXCHANGE_ID, t.a, CETS_MATCH_LISTING));
    cets_instrument_get(m->e, t.a, &ii);
    assert_int_equal(ii.matching, CETS_MATCH_LISTING);
    /* a resting buy also blocks the switch */
    TR_OK(m, tm_post(m, t.buyer, t.b, CETS_BUY, 4900, 1, NULL));
    TR_REJECT(m, CETS_BOOK_NOT_EMPTY, mode_cmd(m, CETS_EXCHANGE_ID, t.b, CETS_MATCH_CONTINUOUS));
    tm_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_gives_ids_in_order_and_band),
        cmocka_unit_test(test_add_duplicate_code),
        cmocka_unit_test(test_add_bad_code),
        cmocka_unit_test(test_add_bad_arguments),
        cmocka_unit_test(test_add_needs_exchange),
        cmocka_unit_test(test_add_capacity_64),
        cmocka_unit_test(test_instrument_halt),
        cmocka_unit_test(test_market_halt),
        cmocka_unit_test(test_halt_needs_exchange_and_instrument),
        cmocka_unit_test(test_mode_switch_only_with_empty_book),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
