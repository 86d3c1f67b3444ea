/* test_surveil.c -- abnormal-trading alerts (surveil.c): each rule with a
 * seeded scenario that triggers it and a near miss that does not; alerts
 * never refuse anything; the same commands give the same alerts; out of
 * memory, what could not be counted is counted as lost.
 *
 * Linked with -Wl,--wrap=realloc: every realloc of the engine library goes
 * through __wrap_realloc below, which fails while a test has armed it (the
 * surveillance grows its arrays with realloc only). */
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

void *__real_realloc(void *p, size_t n);
void *__wrap_realloc(void *p, size_t n);

static int fail_reallocs; /* while set, realloc fails */
static int failed;        /* reallocs refused so far */

void *__wrap_realloc(void *p, size_t n)
{
    if (fail_reallocs) {
        failed++;
        return NULL;
    }
    return __real_realloc(p, n);
}

typedef struct sm {
    tmarket m;
    cets_surveil *s;
    uint32_t iid, a, b, c, d;
} sm;

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
static void trade_in(sm *x, uint32_t iid, uint32_t seller, uint32_t buyer, int64_t price,
                     int64_t qty)
{
    cets_result r;
    assert_int_equal(tm_post(&x->m, seller, iid, CETS_SELL, price, qty, &r), CETS_OK);
    cets_target t = {r.order_id, qty};
    assert_int_equal(tm_take_targets(&x->m, buyer, iid, CETS_BUY, 1, &t, NULL), CETS_OK);
}

static void trade(sm *x, uint32_t seller, uint32_t buyer, int64_t price, int64_t qty)
{
    trade_in(x, x->iid, seller, buyer, price, qty);
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
    assert_int_equal(tm_param_now(&x.m, CETS_PARAM_SURV_SELF_TRADE, 0), CETS_OK);
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
    assert_int_equal(tm_param_now(&x.m, CETS_PARAM_SURV_OTR_MIN, 10), CETS_OK);
    assert_int_equal(tm_param_now(&x.m, CETS_PARAM_SURV_OTR_RATIO, 5), CETS_OK);
    tm_clear_events(&x.m);
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
    /* attached, the trades are the engine's count of the day's fills; fed by
       hand while detached, the surveillance's own: the same figures */
    cets_surveil *s2 = cets_surveil_new();
    for (size_t i = 0; i < x.m.nev; i++) cets_surveil_event(s2, x.m.e, &x.m.ev[i]);
    cets_alert a2[4];
    assert_int_equal(cets_surveil_alerts(s2, 0, a2, 4), 1);
    assert_int_equal(a2[0].participant, x.a);
    assert_int_equal(a2[0].count[0], 10);
    assert_int_equal(a2[0].count[1], 1);
    cets_surveil_free(s2);
    sm_free(&x);
}

static void test_volume_share(void **state)
{
    (void)state;
    sm x;
    sm_init(&x);
    /* a sells 60 to b, c sells 30 to d, d sells 10 to c: 100 t; a and b hold 60%,
       c and d 40% -- exactly the threshold when it is 40%: a near miss */
    assert_int_equal(tm_param_now(&x.m, CETS_PARAM_SURV_VOLUME_SHARE, 4000), CETS_OK);
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

/* far_from_market: one alert per participant, instrument and trading day;
 * the later far orders are added to it. */
static void test_far_once_a_day(void **state)
{
    (void)state;
    sm x;
    sm_init(&x);
    uint32_t i2 = tm_instrument(&x.m, "CEA26", CETS_PRODUCT_CEA, CETS_MATCH_LISTING, 5000);
    tm_credit(&x.m, x.a, i2, 1000);
    cets_result r1, r2, r3, r4;
    assert_int_equal(tm_post(&x.m, x.a, x.iid, CETS_BUY, 4700, 1, &r1), CETS_OK);  /* 600 bp */
    assert_int_equal(tm_post(&x.m, x.a, x.iid, CETS_BUY, 4600, 1, &r2), CETS_OK);  /* 800 bp */
    assert_int_equal(tm_post(&x.m, x.a, x.iid, CETS_SELL, 5300, 1, &r3), CETS_OK); /* 600 bp */
    assert_int_equal(tm_post(&x.m, x.a, x.iid, CETS_BUY, 4800, 1, &r4), CETS_OK);  /* not far */
    cets_alert al[8];
    assert_int_equal(alerts(&x, al, 8), 1);
    assert_int_equal(al[0].rule, CETS_ALERT_FAR);
    assert_int_equal(al[0].occurrences, 3);
    assert_int_equal(al[0].nevidence, 3);
    assert_int_equal(al[0].evidence[0], r1.order_id);
    assert_int_equal(al[0].evidence[1], r2.order_id);
    assert_int_equal(al[0].evidence[2], r3.order_id);
    assert_int_equal(al[0].figure, 800); /* the farthest, with its prices */
    assert_int_equal(al[0].count[0], 4600);
    assert_int_equal(al[0].count[1], 5000);
    for (int i = 0; i < 3; i++) /* more than four: counted, the first four listed */
        assert_int_equal(tm_post(&x.m, x.a, x.iid, CETS_BUY, 4700, 1, NULL), CETS_OK);
    assert_int_equal(alerts(&x, al, 8), 1);
    assert_int_equal(al[0].occurrences, 6);
    assert_int_equal(al[0].nevidence, 4);
    assert_int_equal(al[0].evidence[2], r3.order_id);
    /* another instrument, another participant: an alert each */
    assert_int_equal(tm_post(&x.m, x.a, i2, CETS_SELL, 5300, 1, NULL), CETS_OK);
    assert_int_equal(tm_post(&x.m, x.b, x.iid, CETS_SELL, 5300, 1, NULL), CETS_OK);
    assert_int_equal(alerts(&x, al, 8), 3);
    assert_int_equal(al[1].instrument, i2);
    assert_int_equal(al[2].participant, x.b);
    assert_int_equal(al[1].occurrences, 1);
    /* the next trading day: again */
    assert_int_equal(tm_eod(&x.m), CETS_OK);
    tm_at(&x.m, 10, 0);
    assert_int_equal(tm_post(&x.m, x.a, x.iid, CETS_BUY, 4700, 1, NULL), CETS_OK);
    assert_int_equal(alerts(&x, al, 8), 4);
    assert_int_equal(al[3].participant, x.a);
    assert_int_equal(al[3].occurrences, 1);
    assert_int_not_equal(al[3].date, al[0].date);
    sm_free(&x);
}

/* post_cancel: quick cancels of its own posts over its posts, from a minimum. */
static void posts(sm *x, uint32_t p, int n, uint64_t *ids)
{
    cets_result r;
    for (int i = 0; i < n; i++) {
        assert_int_equal(tm_post(&x->m, p, x->iid, CETS_SELL, 5100 + i, 1, &r), CETS_OK);
        ids[i] = r.order_id;
    }
}

static void test_post_cancel(void **state)
{
    (void)state;
    sm x;
    sm_init(&x);
    assert_int_equal(tm_param_now(&x.m, CETS_PARAM_SURV_CANCEL_MIN, 10), CETS_OK);
    assert_int_equal(tm_param_now(&x.m, CETS_PARAM_SURV_CANCEL_RATIO, 5000), CETS_OK);
    assert_int_equal(tm_param_now(&x.m, CETS_PARAM_SURV_CANCEL_WINDOW, 10), CETS_OK);
    uint64_t a[10], b[10], c[10], d[9];
    posts(&x, x.a, 10, a);
    posts(&x, x.b, 10, b);
    posts(&x, x.c, 10, c);
    posts(&x, x.d, 9, d);
    x.m.now += 10 * 1000000000LL; /* exactly the window: still quick */
    for (int i = 0; i < 6; i++) assert_int_equal(tm_cancel(&x.m, x.a, a[i]), CETS_OK); /* 60% */
    for (int i = 0; i < 5; i++) assert_int_equal(tm_cancel(&x.m, x.b, b[i]), CETS_OK); /* 50% */
    for (int i = 0; i < 5; i++) assert_int_equal(tm_cancel(&x.m, x.c, c[i]), CETS_OK);
    for (int i = 0; i < 9; i++) assert_int_equal(tm_cancel(&x.m, x.d, d[i]), CETS_OK); /* 9 posts */
    x.m.now += 1000000000LL; /* 11 s after the post: not quick */
    assert_int_equal(tm_cancel(&x.m, x.c, c[5]), CETS_OK);
    assert_int_equal(alerts(&x, NULL, 0), 0); /* at the day's end */
    assert_int_equal(tm_eod(&x.m), CETS_OK);
    cets_alert al[8];
    assert_int_equal(alerts(&x, al, 8), 1);
    assert_int_equal(al[0].rule, CETS_ALERT_POST_CANCEL);
    assert_string_equal(cets_alert_rule_name(al[0].rule), "post_cancel");
    assert_int_equal(al[0].participant, x.a);
    assert_int_equal(al[0].date, TM_DATE);
    assert_int_equal(al[0].figure, 6000);
    assert_int_equal(al[0].threshold, 5000);
    assert_int_equal(al[0].count[0], 6);
    assert_int_equal(al[0].count[1], 10);
    assert_int_equal(al[0].occurrences, 6);
    assert_int_equal(al[0].nevidence, 4);
    for (int i = 0; i < 4; i++) assert_int_equal(al[0].evidence[i], a[i]);
    /* off at 0; the day's counters started again */
    tm_at(&x.m, 10, 0);
    posts(&x, x.a, 10, a);
    for (int i = 0; i < 10; i++) assert_int_equal(tm_cancel(&x.m, x.a, a[i]), CETS_OK);
    assert_int_equal(tm_param_now(&x.m, CETS_PARAM_SURV_CANCEL_RATIO, 0), CETS_OK);
    assert_int_equal(tm_eod(&x.m), CETS_OK);
    assert_int_equal(alerts(&x, NULL, 0), 1);
    sm_free(&x);
}

/* ramping: trades in the last surv.ramp.minutes moving the close more than
 * surv.ramp.move while the participant has more than surv.ramp.share of the
 * window's volume. */
static void test_ramping(void **state)
{
    (void)state;
    sm x;
    sm_init(&x);
    uint32_t all[4] = {x.a, x.b, x.c, x.d}, in[4] = {x.iid};
    const char *codes[4] = {"", "CEA26", "CEA27", "CEA28"};
    for (int i = 1; i < 4; i++) {
        in[i] = tm_instrument(&x.m, codes[i], CETS_PRODUCT_CEA, CETS_MATCH_LISTING, 5000);
        for (int p = 0; p < 4; p++) tm_credit(&x.m, all[p], in[i], 100000);
    }
    assert_int_equal(tm_param_now(&x.m, CETS_PARAM_SURV_VOLUME_SHARE, 0), CETS_OK);
    /* before the window (14:50 to the 15:00 close): the reference prices */
    tm_at(&x.m, 14, 49);
    trade_in(&x, in[0], x.b, x.c, 5000, 10);
    trade_in(&x, in[3], x.b, x.c, 5200, 10); /* moved before the window: not ramping */
    tm_at(&x.m, 14, 50);
    /* CEA25: a buys from b, c, d, up to 52.00: the close (the day's VWAP) 51.13
       against 50.00 without the window, +2.26%; a has all the window's 30 t */
    trade_in(&x, in[0], x.b, x.a, 5100, 10);
    uint64_t first = tm_last_event(&x.m, CETS_EV_TRADE)->u.trade.trade_id;
    trade_in(&x, in[0], x.c, x.a, 5150, 10);
    trade_in(&x, in[0], x.d, x.a, 5200, 10);
    /* CEA26: +2.0% exactly, a has it all: a near miss */
    trade_in(&x, in[1], x.b, x.a, 5100, 10);
    /* CEA27: +4%, but nobody above half the window's volume: a near miss */
    trade_in(&x, in[2], x.b, x.a, 5200, 10);
    trade_in(&x, in[2], x.d, x.c, 5200, 10);
    /* CEA28: the window's trade at the price before it */
    trade_in(&x, in[3], x.d, x.a, 5200, 10);
    assert_int_equal(alerts(&x, NULL, 0), 0);
    assert_int_equal(tm_eod(&x.m), CETS_OK);
    cets_alert al[8];
    assert_int_equal(alerts(&x, al, 8), 1);
    assert_int_equal(al[0].rule, CETS_ALERT_RAMP);
    assert_string_equal(cets_alert_rule_name(al[0].rule), "ramping");
    assert_int_equal(al[0].participant, x.a);
    assert_int_equal(al[0].instrument, in[0]);
    assert_int_equal(al[0].date, TM_DATE);
    assert_int_equal(al[0].figure, 226);
    assert_int_equal(al[0].threshold, 200);
    assert_int_equal(al[0].count[0], 30);
    assert_int_equal(al[0].count[1], 30);
    assert_int_equal(al[0].occurrences, 3);
    assert_int_equal(al[0].nevidence, 3);
    for (int i = 0; i < 3; i++) assert_int_equal(al[0].evidence[i], first + (uint64_t)i);
    /* the same the next day with the window at 5 minutes: 14:50 is before it */
    assert_int_equal(tm_param_now(&x.m, CETS_PARAM_SURV_RAMP_MINUTES, 5), CETS_OK);
    tm_at(&x.m, 14, 50);
    trade_in(&x, in[0], x.b, x.a, 5300, 10);
    tm_at(&x.m, 14, 55);
    trade_in(&x, in[0], x.c, x.a, 5300, 10);
    assert_int_equal(tm_eod(&x.m), CETS_OK);
    assert_int_equal(alerts(&x, NULL, 0), 1);
    sm_free(&x);
}

/* Every surveillance parameter: accepted at its limits, refused just past them
 * with the reason, and the refusal changes nothing. */
static void test_params_limits(void **state)
{
    (void)state;
    sm x;
    sm_init(&x);
    static const int ids[] = {
        CETS_PARAM_SURV_SELF_TRADE,   CETS_PARAM_SURV_OTR_RATIO,     CETS_PARAM_SURV_OTR_MIN,
        CETS_PARAM_SURV_VOLUME_SHARE, CETS_PARAM_SURV_FAR,           CETS_PARAM_SURV_CANCEL_RATIO,
        CETS_PARAM_SURV_CANCEL_MIN,   CETS_PARAM_SURV_CANCEL_WINDOW, CETS_PARAM_SURV_RAMP_MINUTES,
        CETS_PARAM_SURV_RAMP_MOVE,    CETS_PARAM_SURV_RAMP_SHARE,    CETS_PARAM_SURV_RELATED};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        const cets_param_info *pi = cets_param_info_get(ids[i]);
        int64_t was = cets_param_value(x.m.e, ids[i]);
        int64_t bad[2] = {pi->min - 1, pi->max + 1};
        for (int k = 0; k < 2; k++) {
            cets_cmd c = {.type = CETS_CMD_PARAM_SET,
                          .actor = CETS_EXCHANGE_ID,
                          .aux = ids[i],
                          .qty = bad[k],
                          .flags = CETS_PARAM_URGENT};
            char why[256];
            assert_string_not_equal(cets_param_check(x.m.e, &c, why, sizeof why), "");
            assert_non_null(strstr(why, pi->name));
            assert_int_equal(tm_param_now(&x.m, ids[i], bad[k]), CETS_BAD_PARAM);
            assert_int_equal(cets_param_value(x.m.e, ids[i]), was);
        }
        assert_int_equal(tm_param_now(&x.m, ids[i], pi->min), CETS_OK);
        assert_int_equal(cets_param_value(x.m.e, ids[i]), pi->min);
        assert_int_equal(tm_param_now(&x.m, ids[i], pi->max), CETS_OK);
        assert_int_equal(cets_param_value(x.m.e, ids[i]), pi->max);
    }
    char why[256];
    cets_cmd c = {.type = CETS_CMD_PARAM_SET,
                  .actor = CETS_EXCHANGE_ID,
                  .aux = CETS_PARAM_SURV_CANCEL_WINDOW,
                  .qty = 0,
                  .flags = CETS_PARAM_URGENT};
    assert_string_equal(cets_param_check(x.m.e, &c, why, sizeof why),
                        "surv.cancel.window must be from 1 s to 86,400 s, not 0 s");
    sm_free(&x);
}

/* related: the operator declares (and revokes) that two participants share an
 * actual controller; their trades raise one alert per pair, instrument and day. */
static int relate(sm *x, uint32_t actor, uint32_t a, uint32_t b, int64_t on, const char *why)
{
    cets_cmd c = {.type = CETS_CMD_RELATED_SET,
                  .actor = actor,
                  .participant = a,
                  .counterparty = b,
                  .aux = on};
    snprintf(c.u.text, sizeof c.u.text, "%s", why);
    return tm_apply(&x->m, &c, NULL);
}

static void test_related(void **state)
{
    (void)state;
    sm x;
    sm_init(&x);
    /* bad declarations are refused and change nothing */
    uint64_t h = cets_state_hash(x.m.e);
    assert_int_equal(relate(&x, x.a, x.a, x.b, 1, "one group"), CETS_NOT_AUTHORISED);
    assert_int_equal(relate(&x, CETS_EXCHANGE_ID, x.a, x.a, 1, "one group"), CETS_BAD_ARGUMENT);
    assert_int_equal(relate(&x, CETS_EXCHANGE_ID, x.a, 99, 1, "one group"),
                     CETS_UNKNOWN_PARTICIPANT);
    assert_int_equal(relate(&x, CETS_EXCHANGE_ID, CETS_EXCHANGE_ID, x.a, 1, "one group"),
                     CETS_UNKNOWN_PARTICIPANT);
    assert_int_equal(relate(&x, CETS_EXCHANGE_ID, x.a, x.b, 2, "one group"), CETS_BAD_ARGUMENT);
    assert_int_equal(relate(&x, CETS_EXCHANGE_ID, x.a, x.b, 1, ""), CETS_BAD_TEXT);
    assert_int_equal(cets_state_hash(x.m.e), h);
    assert_int_equal(cets_related_decls(x.m.e, 0, NULL, 0), 0);
    /* declared b-a (either order): a and b are related, c and d are not */
    assert_int_equal(relate(&x, CETS_EXCHANGE_ID, x.b, x.a, 1, "same parent company"), CETS_OK);
    assert_true(cets_related(x.m.e, x.a, x.b));
    assert_true(cets_related(x.m.e, x.b, x.a));
    assert_false(cets_related(x.m.e, x.a, x.c));
    cets_related_decl d;
    assert_int_equal(cets_related_decls(x.m.e, 0, &d, 1), 1);
    assert_int_equal(d.a, x.a);
    assert_int_equal(d.b, x.b);
    assert_string_equal(d.reason, "same parent company");
    trade(&x, x.c, x.d, 5000, 7); /* a near miss: not declared */
    trade(&x, x.a, x.c, 5000, 7); /* only one of the pair */
    assert_int_equal(alerts(&x, NULL, 0), 0);
    trade(&x, x.a, x.b, 5000, 10);
    uint64_t t1 = tm_last_event(&x.m, CETS_EV_TRADE)->u.trade.trade_id;
    trade(&x, x.b, x.a, 5010, 5); /* the same pair, the other way: added */
    uint64_t t2 = tm_last_event(&x.m, CETS_EV_TRADE)->u.trade.trade_id;
    cets_alert al[4];
    assert_int_equal(alerts(&x, al, 4), 1);
    assert_int_equal(al[0].rule, CETS_ALERT_RELATED);
    assert_string_equal(cets_alert_rule_name(al[0].rule), "related");
    assert_int_equal(al[0].participant, x.a);
    assert_int_equal(al[0].counterparty, x.b);
    assert_int_equal(al[0].instrument, x.iid);
    assert_int_equal(al[0].figure, 15);
    assert_int_equal(al[0].count[0], 15);
    assert_int_equal(al[0].count[1], 10 * 5000 + 5 * 5010);
    assert_int_equal(al[0].occurrences, 2);
    assert_int_equal(al[0].nevidence, 2);
    assert_int_equal(al[0].evidence[0], t1);
    assert_int_equal(al[0].evidence[1], t2);
    /* a snapshot keeps the declarations */
    void *buf;
    size_t len;
    assert_int_equal(cets_snapshot_save(x.m.e, &buf, &len), 0);
    const char *err = NULL;
    cets_engine *e2 = cets_snapshot_load(buf, len, &err);
    assert_non_null(e2);
    assert_true(cets_related(e2, x.a, x.b));
    assert_int_equal(cets_state_hash(e2), cets_state_hash(x.m.e));
    cets_engine_free(e2);
    free(buf);
    /* off with surv.related 0; revoked: no more alerts */
    assert_int_equal(tm_param_now(&x.m, CETS_PARAM_SURV_RELATED, 0), CETS_OK);
    assert_int_equal(tm_eod(&x.m), CETS_OK);
    tm_at(&x.m, 10, 0);
    trade(&x, x.a, x.b, 5000, 1);
    assert_int_equal(alerts(&x, NULL, 0), 1);
    assert_int_equal(tm_param_now(&x.m, CETS_PARAM_SURV_RELATED, 1), CETS_OK);
    assert_int_equal(relate(&x, CETS_EXCHANGE_ID, x.a, x.b, 0, "sold the subsidiary"), CETS_OK);
    assert_false(cets_related(x.m.e, x.a, x.b));
    trade(&x, x.a, x.b, 5000, 1);
    assert_int_equal(alerts(&x, NULL, 0), 1);
    assert_int_equal(cets_related_decls(x.m.e, 0, NULL, 0), 2);
    sm_free(&x);
}

/* A day in two halves that leaves state in every rule between them: alerts
 * raised (far, related) that later orders and trades add to, counters short
 * of their thresholds (self-trade attempts, quick cancels, orders), today's
 * lists and the ramping window's figures. */
static void first_half(sm *x, uint64_t *listing, uint64_t *posted)
{
    assert_int_equal(tm_param_now(&x->m, CETS_PARAM_SURV_SELF_TRADE, 3), CETS_OK);
    assert_int_equal(tm_param_now(&x->m, CETS_PARAM_SURV_FAR, 500), CETS_OK);
    assert_int_equal(tm_param_now(&x->m, CETS_PARAM_SURV_CANCEL_MIN, 6), CETS_OK);
    assert_int_equal(tm_param_now(&x->m, CETS_PARAM_SURV_CANCEL_RATIO, 5000), CETS_OK);
    assert_int_equal(tm_param_now(&x->m, CETS_PARAM_SURV_OTR_RATIO, 3), CETS_OK);
    assert_int_equal(tm_param_now(&x->m, CETS_PARAM_SURV_OTR_MIN, 8), CETS_OK);
    assert_int_equal(relate(x, CETS_EXCHANGE_ID, x->a, x->b, 1, "one group"), CETS_OK);
    tm_at(&x->m, 14, 52); /* all of it in the ramping window */
    cets_result r;
    assert_int_equal(tm_post(&x->m, x->a, x->iid, CETS_SELL, 5000, 10, &r), CETS_OK);
    *listing = r.order_id;
    self_attempt(x, x->a, *listing);
    self_attempt(x, x->a, *listing);
    assert_int_equal(tm_post(&x->m, x->d, x->iid, CETS_BUY, 4700, 1, NULL), CETS_OK); /* far */
    trade(x, x->a, x->b, 5000, 10);                                                   /* related */
    posts(x, x->c, 8, posted);
    for (int i = 0; i < 3; i++) assert_int_equal(tm_cancel(&x->m, x->c, posted[i]), CETS_OK);
    trade(x, x->c, x->b, 5100, 10);
}

static void second_half(sm *x, uint64_t listing, const uint64_t *posted)
{
    self_attempt(x, x->a, listing); /* the third: an alert */
    assert_int_equal(tm_post(&x->m, x->d, x->iid, CETS_BUY, 4600, 1, NULL), CETS_OK);
    trade(x, x->b, x->a, 5010, 5);
    for (int i = 3; i < 5; i++) assert_int_equal(tm_cancel(&x->m, x->c, posted[i]), CETS_OK);
    trade(x, x->d, x->b, 5400, 20); /* the close 52.01, +4%: b has all the window's volume */
    assert_int_equal(tm_eod(&x->m), CETS_OK);
}

/* The surveillance's state rides in the snapshot (version 6) but not in the
 * state hash: restored, it goes on exactly as the one that never stopped. */
static void test_snapshot(void **state)
{
    (void)state;
    sm x, y;
    sm_init(&x);
    sm_init(&y);
    uint64_t lx, ly, px[8], py[8];
    first_half(&x, &lx, px);
    first_half(&y, &ly, py);
    assert_int_equal(alerts(&y, NULL, 0), 2); /* far and related so far */
    uint64_t h = cets_state_hash(y.m.e);
    void *buf, *bare;
    size_t len, barelen;
    assert_int_equal(cets_snapshot_save(y.m.e, &buf, &len), 0);
    cets_engine_set_surveil(y.m.e, NULL);
    assert_int_equal(cets_state_hash(y.m.e), h); /* the hash leaves the surveillance out */
    assert_int_equal(cets_snapshot_save(y.m.e, &bare, &barelen), 0);
    assert_true(len > barelen);
    assert_memory_equal((char *)buf + 12, (char *)bare + 12, barelen - 12);
    const char *err = NULL;
    cets_engine *e2 = cets_snapshot_load(buf, len, &err);
    assert_non_null(e2);
    assert_int_equal(cets_state_hash(e2), h);
    cets_surveil *restored = cets_engine_take_surveil(e2);
    assert_non_null(restored);
    assert_null(cets_engine_take_surveil(e2)); /* handed over once */
    cets_engine_free(e2);
    e2 = cets_snapshot_load(bare, barelen, &err); /* none attached: none saved */
    assert_non_null(e2);
    assert_null(cets_engine_take_surveil(e2));
    cets_engine_free(e2);
    /* y goes on with the restored surveillance, moved into a new one */
    cets_surveil_free(y.s);
    y.s = cets_surveil_new();
    cets_surveil_move(y.s, restored);
    assert_int_equal(cets_surveil_alerts(restored, 0, NULL, 0), 0); /* left empty */
    cets_surveil_free(restored);
    cets_engine_set_surveil(y.m.e, y.s);
    second_half(&x, lx, px);
    second_half(&y, ly, py);
    cets_alert a[16], b[16];
    uint32_t n = alerts(&x, a, 16);
    assert_int_equal(alerts(&y, b, 16), n);
    assert_memory_equal(a, b, n * sizeof a[0]);
    /* every rule with state across the halves raised or grew an alert */
    int rules = 0;
    for (uint32_t i = 0; i < n; i++) rules |= 1 << a[i].rule;
    int want = 1 << CETS_ALERT_SELF_TRADE | 1 << CETS_ALERT_FAR | 1 << CETS_ALERT_RELATED |
               1 << CETS_ALERT_POST_CANCEL | 1 << CETS_ALERT_ORDER_TRADE | 1 << CETS_ALERT_RAMP;
    assert_int_equal(rules & want, want);
    for (uint32_t i = 0; i < n; i++) {   /* grown after the restore */
        if (a[i].rule == CETS_ALERT_FAR) /* d's 47.00 and 46.00 bids, its 54.00 offer */
            assert_int_equal(a[i].occurrences, 3);
        if (a[i].rule == CETS_ALERT_RELATED) assert_int_equal(a[i].occurrences, 2);
    }
    assert_int_equal(cets_state_hash(x.m.e), cets_state_hash(y.m.e));
    free(buf);
    free(bare);
    sm_free(&x);
    sm_free(&y);
}

/* A surveillance section that is cut short or does not hold together is
 * refused with its reason; a version-5 snapshot (no section) loads with
 * none, and may not have one. */
static void test_snapshot_bad(void **state)
{
    (void)state;
    sm x;
    sm_init(&x);
    uint64_t listing, posted[8];
    first_half(&x, &listing, posted);
    void *buf, *bare;
    size_t len, barelen;
    assert_int_equal(cets_snapshot_save(x.m.e, &buf, &len), 0);
    cets_engine_set_surveil(x.m.e, NULL);
    assert_int_equal(cets_snapshot_save(x.m.e, &bare, &barelen), 0);
    cets_engine_set_surveil(x.m.e, x.s);
    unsigned char *b = malloc(len);
    assert_non_null(b);
    const char *err;
    /* cut anywhere in the section, the tag included */
    size_t cuts[] = {1, 2, 8, 100, len - barelen - 5, len - barelen - 4, len - barelen - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        err = NULL;
        assert_null(cets_snapshot_load(buf, len - cuts[i], &err));
        assert_string_equal(err, "snapshot surveillance section is truncated");
    }
    /* not a section */
    memcpy(b, buf, len);
    b[barelen] ^= 1;
    err = NULL;
    assert_null(cets_snapshot_load(b, len, &err));
    assert_string_equal(err, "snapshot has trailing bytes that are no surveillance section");
    /* the first alert's id (after the tag and the count), then its rule */
    memcpy(b, buf, len);
    b[barelen + 8] = 7;
    err = NULL;
    assert_null(cets_snapshot_load(b, len, &err));
    assert_string_equal(err, "snapshot surveillance alerts are corrupt");
    memcpy(b, buf, len);
    b[barelen + 8 + offsetof(cets_alert, rule)] = 99;
    err = NULL;
    assert_null(cets_snapshot_load(b, len, &err));
    assert_string_equal(err, "snapshot surveillance alerts are corrupt");
    /* the last instrument's ramping volume (the section's last 8 bytes) negative */
    memcpy(b, buf, len);
    memset(b + len - 8, 0xff, 8);
    err = NULL;
    assert_null(cets_snapshot_load(b, len, &err));
    assert_string_equal(err, "snapshot surveillance section is corrupt");
    /* a byte more */
    unsigned char *longer = malloc(len + 1);
    assert_non_null(longer);
    memcpy(longer, buf, len);
    longer[len] = 0;
    err = NULL;
    assert_null(cets_snapshot_load(longer, len + 1, &err));
    assert_string_equal(err, "snapshot has trailing bytes");
    free(longer);
    /* version 5: no section, and none allowed */
    uint32_t v5 = 5;
    memcpy(b, buf, len);
    memcpy(b + 8, &v5, 4);
    err = NULL;
    assert_null(cets_snapshot_load(b, len, &err));
    assert_string_equal(err, "snapshot has trailing bytes");
    cets_engine *e = cets_snapshot_load(b, barelen, &err);
    assert_non_null(e);
    assert_null(cets_engine_take_surveil(e));
    assert_int_equal(cets_state_hash(e), cets_state_hash(x.m.e));
    cets_engine_free(e);
    free(b);
    free(buf);
    free(bare);
    sm_free(&x);
}

/* While attached, the day's counters live beside the engine's participants:
 * detaching takes them back into the surveillance, attaching (to this engine
 * or another) puts them there again, and what happened in between is not
 * counted. */
static void test_detach_keeps_counts(void **state)
{
    (void)state;
    sm x;
    sm_init(&x);
    assert_int_equal(tm_param_now(&x.m, CETS_PARAM_SURV_CANCEL_MIN, 10), CETS_OK);
    assert_int_equal(tm_param_now(&x.m, CETS_PARAM_SURV_CANCEL_RATIO, 5000), CETS_OK);
    uint64_t a[12];
    posts(&x, x.a, 8, a);
    for (int i = 0; i < 5; i++) assert_int_equal(tm_cancel(&x.m, x.a, a[i]), CETS_OK);
    uint64_t h = cets_state_hash(x.m.e);
    cets_engine_set_surveil(x.m.e, NULL);
    assert_int_equal(cets_state_hash(x.m.e), h); /* the counters are no state */
    posts(&x, x.a, 4, a + 8);                    /* not seen */
    cets_engine_set_surveil(x.m.e, x.s);
    cets_engine_set_surveil(x.m.e, x.s); /* the same again: nothing moves */
    posts(&x, x.a, 2, a);                /* posts 10 with the 8 before */
    assert_int_equal(tm_cancel(&x.m, x.a, a[0]), CETS_OK);
    assert_int_equal(tm_eod(&x.m), CETS_OK);
    cets_alert al[4];
    assert_int_equal(alerts(&x, al, 4), 1);
    assert_int_equal(al[0].rule, CETS_ALERT_POST_CANCEL);
    assert_int_equal(al[0].count[0], 6);
    assert_int_equal(al[0].count[1], 10);
    /* fed by hand while detached, counted in the surveillance itself */
    cets_engine_set_surveil(x.m.e, NULL);
    cets_surveil *s2 = cets_surveil_new();
    tm_at(&x.m, 10, 0);
    tm_clear_events(&x.m);
    posts(&x, x.b, 10, a);
    for (int i = 0; i < 10; i++) assert_int_equal(tm_cancel(&x.m, x.b, a[i]), CETS_OK);
    assert_int_equal(tm_eod(&x.m), CETS_OK);
    for (size_t i = 0; i < x.m.nev; i++) cets_surveil_event(s2, x.m.e, &x.m.ev[i]);
    assert_int_equal(cets_surveil_alerts(s2, 0, al, 4), 1);
    assert_int_equal(al[0].participant, x.b);
    assert_int_equal(al[0].count[0], 10);
    /* attached to an engine without those participants: their counts stay with
       the surveillance, and its end of day still reads them */
    cets_surveil *s3 = cets_surveil_new();
    for (size_t i = 0; i < x.m.nev; i++)
        if (x.m.ev[i].type != CETS_EV_DAY_STATS && x.m.ev[i].type != CETS_EV_DAY_CLOSED)
            cets_surveil_event(s3, x.m.e, &x.m.ev[i]);
    tmarket small;
    tm_init(&small, NULL);
    assert_int_equal(tm_param_now(&small, CETS_PARAM_SURV_CANCEL_MIN, 10), CETS_OK);
    assert_int_equal(tm_param_now(&small, CETS_PARAM_SURV_CANCEL_RATIO, 5000), CETS_OK);
    cets_engine_set_surveil(small.e, s3);
    assert_int_equal(tm_eod(&small), CETS_OK);
    cets_engine_set_surveil(small.e, NULL);
    assert_int_equal(cets_surveil_alerts(s3, 0, al, 4), 1);
    assert_int_equal(al[0].participant, x.b);
    assert_int_equal(al[0].count[0], 10);
    tm_free(&small);
    cets_surveil_free(s3);
    cets_surveil_free(s2);
    cets_engine_set_surveil(x.m.e, x.s);
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

/* The alert the third self-trade attempt would raise finds no room: it is
 * counted as lost, and the next attempt raises it once memory is back. */
static void test_alert_without_room(void **state)
{
    (void)state;
    sm x;
    sm_init(&x);
    cets_result r;
    assert_int_equal(tm_post(&x.m, x.a, x.iid, CETS_SELL, 5000, 10, &r), CETS_OK);
    self_attempt(&x, x.a, r.order_id);
    self_attempt(&x, x.a, r.order_id);
    assert_int_equal(cets_surveil_lost(x.s), 0);
    uint64_t h = cets_state_hash(x.m.e);
    fail_reallocs = 1;
    failed = 0;
    self_attempt(&x, x.a, r.order_id); /* the third: the alert has no room */
    fail_reallocs = 0;
    assert_true(failed >= 1);
    assert_int_equal(alerts(&x, NULL, 0), 0);
    assert_int_equal(cets_surveil_lost(x.s), 1);
    assert_int_equal(cets_state_hash(x.m.e), h); /* the rejection is what it was */
    self_attempt(&x, x.a, r.order_id);
    cets_alert al[2];
    assert_int_equal(alerts(&x, al, 2), 1);
    assert_int_equal(al[0].rule, CETS_ALERT_SELF_TRADE);
    assert_int_equal(al[0].figure, 4);
    assert_int_equal(cets_surveil_lost(x.s), 1);
    sm_free(&x);
}

/* A participant the surveillance has no room to list: its event is lost. */
static void test_participant_without_room(void **state)
{
    (void)state;
    sm x;
    sm_init(&x);
    cets_surveil *d = cets_surveil_new(); /* detached: sized on first use */
    cets_event ev;
    memset(&ev, 0, sizeof ev);
    ev.type = CETS_EV_REJECTED;
    ev.seq = 7;
    ev.u.reject.code = CETS_SELF_TRADE;
    ev.u.reject.participant = 500;
    fail_reallocs = 1;
    assert_int_equal(cets_surveil_event(d, x.m.e, &ev), 0);
    fail_reallocs = 0;
    assert_int_equal(cets_surveil_lost(d), 1);
    assert_int_equal(cets_surveil_event(d, x.m.e, &ev), 0); /* counted now: one attempt */
    assert_int_equal(cets_surveil_lost(d), 1);
    cets_surveil_free(d);
    sm_free(&x);
}

/* far_from_market's first entry of the day finds no room: lost, and the
 * next far order raises the alert. */
static void test_entry_without_room(void **state)
{
    (void)state;
    sm x;
    sm_init(&x);
    assert_int_equal(tm_param_now(&x.m, CETS_PARAM_SURV_FAR, 100), CETS_OK); /* 1% */
    trade(&x, x.b, x.a, 5000, 10); /* the last price: 5000 */
    cets_result r;
    fail_reallocs = 1;
    assert_int_equal(tm_post(&x.m, x.a, x.iid, CETS_SELL, 5200, 10, &r), CETS_OK);
    fail_reallocs = 0;
    assert_int_equal(alerts(&x, NULL, 0), 0);
    assert_int_equal(cets_surveil_lost(x.s), 1);
    assert_int_equal(tm_post(&x.m, x.a, x.iid, CETS_SELL, 5300, 10, &r), CETS_OK);
    cets_alert al[2];
    assert_int_equal(alerts(&x, al, 2), 1);
    assert_int_equal(al[0].rule, CETS_ALERT_FAR);
    assert_int_equal(al[0].evidence[0], r.order_id);
    sm_free(&x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_self_trade),
        cmocka_unit_test(test_far_from_market),
        cmocka_unit_test(test_order_trade),
        cmocka_unit_test(test_volume_share),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_far_once_a_day),
        cmocka_unit_test(test_post_cancel),
        cmocka_unit_test(test_ramping),
        cmocka_unit_test(test_params_limits),
        cmocka_unit_test(test_related),
        cmocka_unit_test(test_snapshot),
        cmocka_unit_test(test_snapshot_bad),
        cmocka_unit_test(test_detach_keeps_counts),
        cmocka_unit_test(test_alert_without_room),
        cmocka_unit_test(test_participant_without_room),
        cmocka_unit_test(test_entry_without_room),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
