/* test_lob.c -- the embedder API (lob.h): add, cross, trades through the
 * callback, cancel, self-trade, best bid and ask; and a seeded random run
 * checked against the naive reference book. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cets/lob.h"
#include "refbook.h"

typedef struct fill {
    uint64_t maker, taker;
    int64_t price, qty;
} fill;

typedef struct rec {
    fill f[4096];
    size_t n;
} rec;

static void on_trade(void *ctx, uint64_t maker, uint64_t taker, int64_t price, int64_t qty)
{
    rec *r = ctx;
    assert_true(r->n < 4096);
    r->f[r->n++] = (fill){maker, taker, price, qty};
}

static void best_is(const cets_lob *lob, int64_t bid, int64_t ask)
{
    int64_t b = -1, a = -1;
    cets_lob_best(lob, &b, &a);
    assert_int_equal(b, bid);
    assert_int_equal(a, ask);
}

static void test_add_rest_best(void **state)
{
    (void)state;
    rec r = {.n = 0};
    cets_lob *lob = cets_lob_new(1, 100000, on_trade, &r);
    assert_non_null(lob);
    best_is(lob, 0, 0);
    uint64_t s = cets_lob_add(lob, 2, 100, 10, 1);
    assert_true(s > 0);
    best_is(lob, 0, 100);
    uint64_t b = cets_lob_add(lob, 1, 90, 5, 2);
    assert_true(b > 0);
    assert_int_not_equal(b, s);
    best_is(lob, 90, 100);
    assert_int_equal(r.n, 0);
    cets_lob_free(lob);
}

static void test_cross_trades_at_maker_price(void **state)
{
    (void)state;
    rec r = {.n = 0};
    cets_lob *lob = cets_lob_new(1, 100000, on_trade, &r);
    uint64_t s1 = cets_lob_add(lob, 2, 101, 10, 1);
    uint64_t s2 = cets_lob_add(lob, 2, 100, 4, 2);
    uint64_t s3 = cets_lob_add(lob, 2, 100, 6, 3);
    uint64_t t = cets_lob_add(lob, 1, 105, 25, 4);
    assert_true(t > 0);
    assert_int_equal(r.n, 3);
    assert_int_equal(r.f[0].maker, s2);
    assert_int_equal(r.f[0].taker, t);
    assert_int_equal(r.f[0].price, 100);
    assert_int_equal(r.f[0].qty, 4);
    assert_int_equal(r.f[1].maker, s3);
    assert_int_equal(r.f[1].price, 100);
    assert_int_equal(r.f[1].qty, 6);
    assert_int_equal(r.f[2].maker, s1);
    assert_int_equal(r.f[2].price, 101);
    assert_int_equal(r.f[2].qty, 10);
    /* 5 t rest at 105 */
    best_is(lob, 105, 0);
    r.n = 0;
    uint64_t t2 = cets_lob_add(lob, 2, 103, 2, 5);
    assert_true(t2 > 0);
    assert_int_equal(r.n, 1);
    assert_int_equal(r.f[0].maker, t);
    assert_int_equal(r.f[0].taker, t2);
    assert_int_equal(r.f[0].price, 105);
    assert_int_equal(r.f[0].qty, 2);
    best_is(lob, 105, 0);
    cets_lob_free(lob);
}

static void test_cancel(void **state)
{
    (void)state;
    rec r = {.n = 0};
    cets_lob *lob = cets_lob_new(1, 1000, on_trade, &r);
    uint64_t a = cets_lob_add(lob, 2, 100, 10, 1);
    uint64_t b = cets_lob_add(lob, 2, 110, 10, 1);
    best_is(lob, 0, 100);
    assert_int_equal(cets_lob_cancel(lob, a), 0);
    best_is(lob, 0, 110);
    assert_int_equal(cets_lob_cancel(lob, a), CETS_UNKNOWN_ORDER);
    assert_int_equal(cets_lob_cancel(lob, 987654), CETS_UNKNOWN_ORDER);
    assert_int_equal(cets_lob_last_error(lob), CETS_UNKNOWN_ORDER);
    assert_int_equal(cets_lob_cancel(lob, 0), CETS_UNKNOWN_ORDER);
    assert_int_equal(cets_lob_cancel(lob, UINT64_MAX), CETS_UNKNOWN_ORDER);
    best_is(lob, 0, 110); /* refusals change nothing */
    /* a cancelled order does not trade */
    uint64_t t = cets_lob_add(lob, 1, 110, 3, 2);
    assert_true(t > 0);
    assert_int_equal(r.n, 1);
    assert_int_equal(r.f[0].maker, b);
    assert_int_equal(cets_lob_cancel(lob, b), 0);
    best_is(lob, 0, 0);
    cets_lob_free(lob);
}

static void test_self_trade_rejected(void **state)
{
    (void)state;
    rec r = {.n = 0};
    cets_lob *lob = cets_lob_new(1, 1000, on_trade, &r);
    cets_lob_add(lob, 2, 100, 5, 1);
    cets_lob_add(lob, 2, 101, 5, 7);
    assert_int_equal(cets_lob_add(lob, 1, 101, 8, 7), 0); /* would reach its own 101 */
    assert_int_equal(cets_lob_last_error(lob), CETS_SELF_TRADE);
    assert_int_equal(r.n, 0);
    best_is(lob, 0, 100);
    assert_true(cets_lob_add(lob, 1, 101, 5, 7) > 0); /* stops before its own order */
    assert_int_equal(r.n, 1);
    assert_int_equal(cets_lob_add(lob, 1, 101, 1, 7), 0);
    assert_int_equal(cets_lob_last_error(lob), CETS_SELF_TRADE);
    cets_lob_free(lob);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    rec r = {.n = 0};
    assert_null(cets_lob_new(10, 5, on_trade, &r));
    assert_null(cets_lob_new(0, 5, on_trade, &r));
    cets_lob *lob = cets_lob_new(10, 1000, on_trade, &r);
    assert_non_null(lob);
    assert_int_equal(cets_lob_add(lob, 1, 9, 1, 1), 0);
    assert_int_not_equal(cets_lob_last_error(lob), 0);
    assert_int_equal(cets_lob_add(lob, 1, 1001, 1, 1), 0);
    assert_int_not_equal(cets_lob_last_error(lob), 0);
    assert_int_equal(cets_lob_add(lob, 3, 100, 1, 1), 0);
    assert_int_equal(cets_lob_last_error(lob), CETS_BAD_SIDE);
    assert_int_equal(cets_lob_add(lob, 1, 100, 0, 1), 0);
    assert_int_not_equal(cets_lob_last_error(lob), 0);
    assert_int_equal(cets_lob_add(lob, 1, 100, 1, 0), 0); /* owner must be >= 1 */
    assert_int_not_equal(cets_lob_last_error(lob), 0);
    /* the edges of the range are fine */
    assert_true(cets_lob_add(lob, 1, 10, 1, 1) > 0);
    assert_true(cets_lob_add(lob, 2, 1000, 1, 2) > 0);
    best_is(lob, 10, 1000);
    cets_lob_free(lob);
}

/* Random adds and cancels, every trade and the best prices checked against
 * the reference book. */
static void test_random_against_reference(void **state)
{
    (void)state;
    static rec r;
    r.n = 0;
    cets_lob *lob = cets_lob_new(900, 1100, on_trade, &r);
    assert_non_null(lob);
    rb_book rb;
    rb_init(&rb);
    static rb_plan plan;
    uint64_t *live = malloc(100000 * sizeof *live);
    size_t nlive = 0;
    srand(12345);
    unsigned long trades = 0, selfs = 0;
    for (int i = 0; i < 50000; i++) {
        if (nlive > 0 && rand() % 3 == 0) {
            size_t k = (size_t)rand() % nlive;
            uint64_t id = live[k];
            bool there = rb_find(&rb, id) != NULL;
            int rc = cets_lob_cancel(lob, id);
            assert_int_equal(rc, there ? 0 : CETS_UNKNOWN_ORDER);
            rb_remove(&rb, id);
            live[k] = live[--nlive];
        } else {
            int side = 1 + rand() % 2;
            int64_t price = 980 + rand() % 41;
            int64_t qty = 1 + rand() % 50;
            uint32_t owner = 1 + (uint32_t)(rand() % 12);
            rb_plan_match(&rb, side, price, qty, owner, 0, 0, 0, 0, &plan);
            r.n = 0;
            uint64_t id = cets_lob_add(lob, side, price, qty, owner);
            if (plan.self_trade) {
                assert_int_equal(id, 0);
                assert_int_equal(cets_lob_last_error(lob), CETS_SELF_TRADE);
                assert_int_equal(r.n, 0);
                selfs++;
                continue;
            }
            assert_true(id > 0);
            assert_int_equal(r.n, plan.n);
            for (size_t k = 0; k < plan.n; k++) {
                assert_int_equal(r.f[k].maker, plan.f[k].maker_id);
                assert_int_equal(r.f[k].taker, id);
                assert_int_equal(r.f[k].price, plan.f[k].price);
                assert_int_equal(r.f[k].qty, plan.f[k].qty);
            }
            trades += plan.n;
            rb_apply(&rb, &plan);
            if (plan.qty < qty) {
                rb_add(&rb, id, owner, side, price, qty - plan.qty);
                live[nlive++] = id;
            }
            assert_true(nlive < 100000);
        }
        int64_t bid, ask;
        cets_lob_best(lob, &bid, &ask);
        assert_int_equal(bid, rb_level_price(&rb, CETS_BUY, 0));
        assert_int_equal(ask, rb_level_price(&rb, CETS_SELL, 0));
    }
    print_message("lob random: %lu trades, %lu self-trade rejections\n", trades, selfs);
    assert_true(trades > 1000);
    assert_true(selfs > 10);
    free(live);
    rb_free(&rb);
    cets_lob_free(lob);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_rest_best), cmocka_unit_test(test_cross_trades_at_maker_price),
        cmocka_unit_test(test_cancel),        cmocka_unit_test(test_self_trade_rejected),
        cmocka_unit_test(test_bad_arguments), cmocka_unit_test(test_random_against_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
