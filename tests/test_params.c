/* test_params.c -- the market's parameters as journaled, dated settings
 * (params.c): each change applies from its date's open and not before, an
 * urgent one at once where the rule allows it, a bad value is refused with
 * its reason and changes nothing, and replay and snapshots give the same
 * state, parameters and history included. */
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
#define TUE 20261201 /* the trading day after TM_DATE */
#define WED 20261202

static int pset(tmarket *m, int id, int64_t value, int32_t date, bool urgent)
{
    cets_cmd c = {.type = CETS_CMD_PARAM_SET,
                  .actor = CETS_EXCHANGE_ID,
                  .aux = id,
                  .qty = value,
                  .price = urgent ? 0 : date,
                  .flags = urgent ? CETS_PARAM_URGENT : 0};
    return tm_apply(m, &c, NULL);
}

/* The refusal's words, as a gateway would give them. */
static const char *pwhy(tmarket *m, int id, int64_t value, int32_t date, bool urgent)
{
    static char buf[256];
    cets_cmd c = {.type = CETS_CMD_PARAM_SET,
                  .actor = CETS_EXCHANGE_ID,
                  .aux = id,
                  .qty = value,
                  .price = urgent ? 0 : date,
                  .flags = urgent ? CETS_PARAM_URGENT : 0};
    return cets_param_check(m->e, &c, buf, sizeof buf);
}

typedef struct pm {
    tmarket m;
    uint32_t a, s, k;
} pm;

static void pm_init(pm *x)
{
    tm_init(&x->m, NULL);
    x->a = tm_instrument(&x->m, "CEA25", CETS_PRODUCT_CEA, CETS_MATCH_LISTING, 5000);
    x->s = tm_participant(&x->m, CETS_PK_ENTITY, "seller", RICH);
    x->k = tm_participant(&x->m, CETS_PK_INSTITUTION, "buyer", RICH);
    tm_credit(&x->m, x->s, x->a, 1000000);
}

/* A trade of qty at price: the seller posts, the buyer takes; returns the
 * buyer's fee. */
static int64_t trade(pm *x, int64_t price, int64_t qty)
{
    cets_result r;
    assert_int_equal(tm_post(&x->m, x->s, x->a, CETS_SELL, price, qty, &r), CETS_OK);
    cets_target t = {r.order_id, qty};
    tm_clear_events(&x->m);
    assert_int_equal(tm_take_targets(&x->m, x->k, x->a, CETS_BUY, 1, &t, &r), CETS_OK);
    const cets_event *ev = tm_last_event(&x->m, CETS_EV_TRADE);
    assert_non_null(ev);
    return ev->u.trade.buyer_fee;
}

static void test_table(void **state)
{
    (void)state;
    tmarket m;
    tm_init(&m, NULL);
    cets_config d;
    cets_config_default(&d);
    for (int i = 0; i < CETS_PARAM_COUNT; i++) {
        const cets_param_info *pi = cets_param_info_get(i);
        assert_non_null(pi);
        assert_int_equal(cets_param_find(pi->name), i);
        int64_t v = cets_param_value(m.e, i);
        assert_int_equal(v, cets_param_default(m.e, i));
        assert_true(v >= pi->min && v <= pi->max);
    }
    assert_null(cets_param_info_get(CETS_PARAM_COUNT));
    assert_null(cets_param_info_get(-1));
    assert_int_equal(cets_param_find("no.such"), -1);
    assert_int_equal(cets_param_value(m.e, CETS_PARAM_FEE_BLOCK_SELL), d.fee_ppm[1][1]);
    assert_int_equal(cets_param_value(m.e, CETS_PARAM_BAND_BLOCK), 3000);
    assert_int_equal(cets_param_value(m.e, CETS_PARAM_BLOCK_OPEN), 13 * 60);
    assert_int_equal(cets_param_value(m.e, CETS_PARAM_AUCTION_MAX_LOT), 10000000000LL);
    assert_int_equal(cets_param_changes(m.e, 0, NULL, 0), 0);
    tm_free(&m);
}

/* A fee change dated Tuesday: Monday's trades pay the old rate, Tuesday's the
 * new one; the history says when it applied and what it replaced. */
static void test_fee_from_its_date(void **state)
{
    (void)state;
    pm x;
    pm_init(&x);
    TR_OK(&x.m, pset(&x.m, CETS_PARAM_FEE_LISTING_BUY, 1000, TUE, false));
    assert_int_equal(cets_param_value(x.m.e, CETS_PARAM_FEE_LISTING_BUY), 500);
    assert_int_equal(trade(&x, 5000, 100), tg_fee(500000, 500));
    assert_int_equal(tm_eod(&x.m), CETS_OK);
    assert_int_equal(cets_trading_date(x.m.e), TUE);
    assert_int_equal(cets_param_value(x.m.e, CETS_PARAM_FEE_LISTING_BUY), 1000);
    tm_at(&x.m, 10, 0);
    assert_int_equal(trade(&x, 5000, 100), tg_fee(500000, 1000));
    cets_param_change ch[2];
    assert_int_equal(cets_param_changes(x.m.e, 0, ch, 2), 1);
    assert_int_equal(ch[0].status, CETS_PARAM_APPLIED);
    assert_int_equal(ch[0].applied, TUE);
    assert_int_equal(ch[0].old, 500);
    assert_int_equal(ch[0].effective, TUE);
    assert_null(tm_invariants(x.m.e));
    tm_free(&x.m);
}

/* Dated Wednesday: Tuesday still has the old band; Wednesday's band is the new one. */
static void test_band_waits_for_its_date(void **state)
{
    (void)state;
    pm x;
    pm_init(&x);
    TR_OK(&x.m, pset(&x.m, CETS_PARAM_BAND_LISTING, 500, WED, false));
    assert_int_equal(tm_eod(&x.m), CETS_OK);
    cets_instrument_info ii;
    cets_instrument_get(x.m.e, x.a, &ii);
    assert_int_equal(ii.upper, 5500); /* Tuesday: +/-10% */
    tm_at(&x.m, 10, 0);
    cets_result r;
    assert_int_equal(tm_post(&x.m, x.s, x.a, CETS_SELL, 5400, 1, &r), CETS_OK);
    assert_int_equal(tm_eod(&x.m), CETS_OK);
    cets_instrument_get(x.m.e, x.a, &ii);
    assert_int_equal(ii.upper, 5250); /* Wednesday: +/-5% */
    assert_int_equal(ii.lower, 4750);
    tm_at(&x.m, 10, 0);
    TR_REJECT(&x.m, CETS_PRICE_OUT_OF_BAND, tm_post(&x.m, x.s, x.a, CETS_SELL, 5300, 1, &r));
    char msg[200];
    cets_cmd post = {.type = CETS_CMD_POST};
    cets_reject_message(x.m.e, &post, CETS_PRICE_OUT_OF_BAND, msg, sizeof msg);
    assert_string_equal(msg, "price is outside today's band (previous close +/-5%)");
    assert_int_equal(tm_post(&x.m, x.s, x.a, CETS_SELL, 5250, 1, &r), CETS_OK);
    tm_free(&x.m);
}

/* The tick from Tuesday: the band and every price follow it. */
static void test_tick(void **state)
{
    (void)state;
    pm x;
    pm_init(&x);
    TR_REJECT(&x.m, CETS_PARAM_NOT_URGENT, pset(&x.m, CETS_PARAM_TICK, 5, 0, true));
    TR_OK(&x.m, pset(&x.m, CETS_PARAM_TICK, 5, TUE, false));
    cets_result r;
    assert_int_equal(tm_post(&x.m, x.s, x.a, CETS_SELL, 5001, 1, &r), CETS_OK);
    assert_int_equal(tm_eod(&x.m), CETS_OK);
    tm_at(&x.m, 10, 0);
    TR_REJECT(&x.m, CETS_PRICE_TICK, tm_post(&x.m, x.s, x.a, CETS_SELL, 5001, 1, &r));
    char msg[200];
    cets_cmd post = {.type = CETS_CMD_POST};
    cets_reject_message(x.m.e, &post, CETS_PRICE_TICK, msg, sizeof msg);
    assert_string_equal(msg, "price is not a multiple of the tick (0.05 CNY)");
    assert_int_equal(tm_post(&x.m, x.s, x.a, CETS_SELL, 5005, 1, &r), CETS_OK);
    assert_null(tm_invariants(x.m.e));
    tm_free(&x.m);
}

/* Urgent: at once, for the parameters whose rule reads them afresh. */
static void test_urgent(void **state)
{
    (void)state;
    pm x;
    pm_init(&x);
    tm_credit(&x.m, x.s, x.a, 10000000);
    tm_at(&x.m, 13, 30);
    cets_result r;
    assert_int_equal(
        tg_block(&x.m, CETS_CMD_BLOCK_QUOTE, x.s, x.a, CETS_SELL, 5000, 600000, 0, 0, &r), CETS_OK);
    TR_OK(&x.m, pset(&x.m, CETS_PARAM_BLOCK_MAX_QTY, 500000, 0, true));
    TR_REJECT(&x.m, CETS_QTY_OUT_OF_RANGE,
              tg_block(&x.m, CETS_CMD_BLOCK_QUOTE, x.s, x.a, CETS_SELL, 5000, 500001, 0, 0, &r));
    char msg[200];
    cets_cmd q = {.type = CETS_CMD_BLOCK_QUOTE};
    cets_reject_message(x.m.e, &q, CETS_QTY_OUT_OF_RANGE, msg, sizeof msg);
    assert_string_equal(msg, "quantity is outside the limits (block: 100,000 to 500,000 t)");
    assert_int_equal(
        tg_block(&x.m, CETS_CMD_BLOCK_QUOTE, x.s, x.a, CETS_SELL, 5000, 500000, 0, 0, &r), CETS_OK);
    TR_OK(&x.m, pset(&x.m, CETS_PARAM_BAND_BLOCK, 1000, 0, true));
    TR_REJECT(&x.m, CETS_PRICE_OUT_OF_BAND,
              tg_block(&x.m, CETS_CMD_BLOCK_QUOTE, x.s, x.a, CETS_SELL, 5501, 100000, 0, 0, &r));
    cets_reject_message(x.m.e, &q, CETS_PRICE_OUT_OF_BAND, msg, sizeof msg);
    assert_string_equal(msg, "price is outside the block band (previous close +/-10%)");
    cets_param_change ch[4];
    assert_int_equal(cets_param_changes(x.m.e, 0, ch, 4), 2);
    assert_int_equal(ch[1].status, CETS_PARAM_APPLIED);
    assert_int_equal(ch[1].applied, TM_DATE);
    assert_int_equal(ch[1].urgent, 1);
    assert_int_equal(ch[1].old, 3000);
    /* never at once: fees (resting orders reserved at the old rate), hours */
    TR_REJECT(&x.m, CETS_PARAM_NOT_URGENT, pset(&x.m, CETS_PARAM_FEE_LISTING_SELL, 0, 0, true));
    TR_REJECT(&x.m, CETS_PARAM_NOT_URGENT, pset(&x.m, CETS_PARAM_PM_CLOSE, 960, 0, true));
    TR_REJECT(&x.m, CETS_PARAM_NOT_URGENT, pset(&x.m, CETS_PARAM_BAND_LISTING, 500, 0, true));
    assert_string_equal(pwhy(&x.m, CETS_PARAM_PM_CLOSE, 960, 0, true),
                        "session.pm.close changes only from a later trading day's open, not at "
                        "once");
    assert_null(tm_invariants(x.m.e));
    tm_free(&x.m);
}

/* Bad values: refused with the reason and its numbers, nothing changes. */
static void test_bad_values(void **state)
{
    (void)state;
    pm x;
    pm_init(&x);
    tmarket *m = &x.m;
    TR_REJECT(m, CETS_BAD_PARAM, pset(m, CETS_PARAM_FEE_LISTING_BUY, -5, TUE, false));
    assert_string_equal(pwhy(m, CETS_PARAM_FEE_LISTING_BUY, -5, TUE, false),
                        "fee.listing.buy must be from 0 ppm to 100,000 ppm, not -5 ppm");
    TR_REJECT(m, CETS_BAD_PARAM, pset(m, CETS_PARAM_BAND_BLOCK, 10000, TUE, false));
    assert_string_equal(pwhy(m, CETS_PARAM_BAND_BLOCK, 10000, TUE, false),
                        "band.block must be from 0 bp to 9,999 bp, not 10,000 bp");
    /* the limits themselves are accepted */
    TR_OK(m, pset(m, CETS_PARAM_BAND_BLOCK, 9999, TUE, false));
    TR_OK(m, pset(m, CETS_PARAM_FEE_LISTING_BUY, 0, TUE, false));
    TR_OK(m, pset(m, CETS_PARAM_FEE_LISTING_BUY, 100000, TUE, false));
    TR_REJECT(m, CETS_BAD_PARAM, pset(m, CETS_PARAM_FEE_LISTING_BUY, 100001, TUE, false));
    /* end before start */
    TR_REJECT(m, CETS_BAD_PARAM, pset(m, CETS_PARAM_AM_CLOSE, 9 * 60, TUE, false));
    assert_string_equal(pwhy(m, CETS_PARAM_AM_CLOSE, 9 * 60, TUE, false),
                        "session.am.open (09:30) must be before session.am.close (09:00) from "
                        "20261201");
    TR_REJECT(m, CETS_BAD_PARAM, pset(m, CETS_PARAM_BLOCK_CLOSE, 13 * 60, TUE, false));
    TR_REJECT(m, CETS_BAD_PARAM, pset(m, CETS_PARAM_LISTING_MIN_QTY, 100000, TUE, false));
    /* the date: after today, a real date */
    TR_REJECT(m, CETS_BAD_PARAM, pset(m, CETS_PARAM_CCER_CAP, 1000, TM_DATE, false));
    assert_string_equal(pwhy(m, CETS_PARAM_CCER_CAP, 1000, TM_DATE, false),
                        "the date a change applies from must be after the trading date 20261130 "
                        "(or the change marked urgent)");
    TR_REJECT(m, CETS_BAD_PARAM, pset(m, CETS_PARAM_CCER_CAP, 1000, 20261232, false));
    TR_REJECT(m, CETS_BAD_PARAM, pset(m, CETS_PARAM_CCER_CAP, 1000, 0, false));
    /* unknown parameter, unknown flag, not the operator */
    TR_REJECT(m, CETS_BAD_PARAM, pset(m, CETS_PARAM_COUNT, 1, TUE, false));
    char want[64];
    snprintf(want, sizeof want, "no market parameter has the number %d", CETS_PARAM_COUNT);
    assert_string_equal(pwhy(m, CETS_PARAM_COUNT, 1, TUE, false), want);
    cets_cmd c = {.type = CETS_CMD_PARAM_SET,
                  .actor = CETS_EXCHANGE_ID,
                  .aux = 0,
                  .qty = 1,
                  .price = TUE,
                  .flags = 2};
    TR_REJECT(m, CETS_BAD_ARGUMENT, tm_apply(m, &c, NULL));
    c.flags = 0;
    c.actor = x.s;
    TR_REJECT(m, CETS_NOT_AUTHORISED, tm_apply(m, &c, NULL));
    /* composite: only CEA instruments that exist */
    uint32_t ccer = tm_instrument(m, "CCER", CETS_PRODUCT_CCER, CETS_MATCH_LISTING, 3000);
    TR_REJECT(m, CETS_BAD_PARAM, pset(m, CETS_PARAM_COMPOSITE, 1LL << ccer, 0, true));
    TR_REJECT(m, CETS_BAD_PARAM, pset(m, CETS_PARAM_COMPOSITE, 1LL << 9, 0, true));
    TR_OK(m, pset(m, CETS_PARAM_COMPOSITE, 1LL << x.a, 0, true));
    tm_free(m);
}

/* A change is checked against what will be in force on its date and on
 * every later pending date. */
static void test_pending_consistency(void **state)
{
    (void)state;
    pm x;
    pm_init(&x);
    tmarket *m = &x.m;
    TR_OK(m, pset(m, CETS_PARAM_LISTING_MAX_QTY, 300000, TUE, false));
    TR_REJECT(m, CETS_BAD_PARAM, pset(m, CETS_PARAM_LISTING_MIN_QTY, 200000, 0, true));
    TR_OK(m, pset(m, CETS_PARAM_LISTING_MIN_QTY, 200000, WED, false));
    /* Tuesday's maximum may not go under Wednesday's minimum any more */
    TR_REJECT(m, CETS_BAD_PARAM, pset(m, CETS_PARAM_LISTING_MAX_QTY, 150000, TUE, false));
    assert_string_equal(pwhy(m, CETS_PARAM_LISTING_MAX_QTY, 150000, TUE, false),
                        "size.listing.min (200,000 t) must be at most size.listing.max (150,000 t) "
                        "from 20261202");
    /* the same parameter and date again: the later change replaces the earlier */
    TR_OK(m, pset(m, CETS_PARAM_LISTING_MAX_QTY, 250000, TUE, false));
    cets_param_change ch[4];
    assert_int_equal(cets_param_changes(m->e, 0, ch, 4), 3);
    assert_int_equal(ch[0].status, CETS_PARAM_SUPERSEDED);
    assert_int_equal(tm_eod(m), CETS_OK);
    assert_int_equal(cets_param_value(m->e, CETS_PARAM_LISTING_MAX_QTY), 250000);
    assert_int_equal(cets_param_value(m->e, CETS_PARAM_LISTING_MIN_QTY), 1);
    assert_int_equal(tm_eod(m), CETS_OK);
    assert_int_equal(cets_param_value(m->e, CETS_PARAM_LISTING_MIN_QTY), 200000);
    cets_param_changes(m->e, 0, ch, 4);
    assert_int_equal(ch[0].status, CETS_PARAM_SUPERSEDED);
    assert_int_equal(ch[0].applied, 0);
    assert_int_equal(ch[2].applied, TUE);
    assert_int_equal(ch[1].applied, WED);
    tm_free(m);
}

/* At most 64 changes wait at once: the 64th is accepted, the 65th refused. */
static void test_pending_limit(void **state)
{
    (void)state;
    pm x;
    pm_init(&x);
    tmarket *m = &x.m;
    for (int i = 0; i < 64; i++)
        assert_int_equal(pset(m, CETS_PARAM_CCER_CAP, i, cets_date_add(TUE, i), false), CETS_OK);
    TR_REJECT(m, CETS_CAPACITY, pset(m, CETS_PARAM_CCER_CAP, 99, cets_date_add(TUE, 64), false));
    char buf[200];
    cets_cmd c = {.type = CETS_CMD_PARAM_SET,
                  .actor = CETS_EXCHANGE_ID,
                  .aux = CETS_PARAM_CCER_CAP,
                  .qty = 99,
                  .price = cets_date_add(TUE, 64)};
    assert_string_equal(cets_reject_message(m->e, &c, CETS_CAPACITY, buf, sizeof buf),
                        "at most 64 changes may wait for their date");
    /* urgent changes do not wait: still accepted */
    TR_OK(m, pset(m, CETS_PARAM_CCER_CAP, 700, 0, true));
    tm_free(m);
}

/* Block hours and sessions from their date. */
static void test_hours(void **state)
{
    (void)state;
    pm x;
    pm_init(&x);
    tmarket *m = &x.m;
    tm_credit(m, x.s, x.a, 1000000);
    TR_OK(m, pset(m, CETS_PARAM_BLOCK_OPEN, 14 * 60, TUE, false));
    TR_OK(m, pset(m, CETS_PARAM_PM_CLOSE, 16 * 60, TUE, false));
    cets_result r;
    tm_at(m, 13, 30);
    assert_int_equal(tg_block(m, CETS_CMD_BLOCK_QUOTE, x.s, x.a, CETS_SELL, 5000, 100000, 0, 0, &r),
                     CETS_OK);
    assert_int_equal(tm_eod(m), CETS_OK); /* 15:30: Monday still closes at 15:00 */
    tm_at(m, 13, 30);
    TR_REJECT(m, CETS_SESSION_CLOSED,
              tg_block(m, CETS_CMD_BLOCK_QUOTE, x.s, x.a, CETS_SELL, 5000, 100000, 0, 0, &r));
    tm_at(m, 14, 0);
    assert_int_equal(tg_block(m, CETS_CMD_BLOCK_QUOTE, x.s, x.a, CETS_SELL, 5000, 100000, 0, 0, &r),
                     CETS_OK);
    tm_at(m, 15, 30); /* the afternoon goes on to 16:00 now; blocks still end at 15:00 */
    assert_int_equal(tm_post(m, x.s, x.a, CETS_SELL, 5000, 1, &r), CETS_OK);
    TR_REJECT(m, CETS_SESSION_CLOSED,
              tg_block(m, CETS_CMD_BLOCK_QUOTE, x.s, x.a, CETS_SELL, 5000, 100000, 0, 0, &r));
    TR_REJECT(m, CETS_SESSION_OPEN, tm_eod(m)); /* tm_eod runs at 15:30 */
    tm_free(m);
}

/* The composite price from the chosen vintages only. */
static void test_composite(void **state)
{
    (void)state;
    pm x;
    pm_init(&x);
    tmarket *m = &x.m;
    uint32_t b = tm_instrument(m, "CEA24", CETS_PRODUCT_CEA, CETS_MATCH_LISTING, 3000);
    assert_int_equal(cets_composite_price(m->e), 4000);
    TR_OK(m, pset(m, CETS_PARAM_COMPOSITE, 1LL << b, 0, true));
    assert_int_equal(cets_composite_price(m->e), 3000);
    assert_int_equal(tm_eod(m), CETS_OK);
    int64_t comp;
    cets_day_stats st[4];
    cets_last_day_stats(m->e, st, 4, &comp, NULL);
    assert_int_equal(comp, 3000);
    tm_free(m);
}

/* A pending auction fee waits while an auction is open (its bids reserved
 * their fee at the old rate), and applies at the first open after it closed. */
static void test_auction_fee_waits(void **state)
{
    (void)state;
    pm x;
    pm_init(&x);
    tmarket *m = &x.m;
    tm_credit(m, x.s, x.a, 1000000);
    cets_result r;
    int64_t start = cets_time_at(TM_DATE, 10, 0, 480), end = cets_time_at(TUE, 11, 0, 480);
    assert_int_equal(
        tg_auction(m, CETS_EXCHANGE_ID, x.s, x.a, CETS_SELL, 100000, start, end, 0, 0, 0, &r),
        CETS_OK);
    uint64_t au = r.order_id ? r.order_id : r.id;
    assert_int_equal(tg_bid(m, x.k, au, 5000, 100000, &r), CETS_OK);
    TR_OK(m, pset(m, CETS_PARAM_FEE_AUCTION_BUY, 2000, TUE, false));
    assert_int_equal(tm_eod(m), CETS_OK);
    assert_int_equal(cets_param_value(m->e, CETS_PARAM_FEE_AUCTION_BUY), 500);
    tm_at(m, 11, 0);
    assert_int_equal(tg_auction_cmd(m, CETS_CMD_AUCTION_CLOSE, CETS_EXCHANGE_ID, au), CETS_OK);
    assert_null(tm_invariants(m->e));
    assert_int_equal(tm_eod(m), CETS_OK);
    assert_int_equal(cets_param_value(m->e, CETS_PARAM_FEE_AUCTION_BUY), 2000);
    cets_param_change ch[1];
    cets_param_changes(m->e, 0, ch, 1);
    assert_int_equal(ch[0].applied, WED);
    tm_free(m);
}

/* Journal the commands, replay them into a fresh engine: the same state hash,
 * values and history; and a snapshot round trip gives the same again. */
typedef struct rec {
    cets_cmd *c;
    size_t n, cap;
} rec;

static void record(void *ctx, const cets_cmd *c)
{
    rec *r = ctx;
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 64;
        r->c = realloc(r->c, r->cap * sizeof *r->c);
    }
    r->c[r->n++] = *c;
}

static void test_replay_and_snapshot(void **state)
{
    (void)state;
    rec log = {0};
    tmarket m;
    tm_init(&m, NULL);
    m.journal = record;
    m.journal_ctx = &log;
    uint32_t a = tm_instrument(&m, "CEA25", CETS_PRODUCT_CEA, CETS_MATCH_LISTING, 5000);
    uint32_t s = tm_participant(&m, CETS_PK_ENTITY, "seller", RICH);
    uint32_t k = tm_participant(&m, CETS_PK_INSTITUTION, "buyer", RICH);
    tm_credit(&m, s, a, 100000);
    uint64_t before = cets_state_hash(m.e);
    assert_int_equal(pset(&m, CETS_PARAM_FEE_LISTING_SELL, 800, TUE, false), CETS_OK);
    assert_int_not_equal(cets_state_hash(m.e), before); /* a pending change is state */
    assert_int_equal(pset(&m, CETS_PARAM_BAND_LISTING, 2000, WED, false), CETS_OK);
    assert_int_equal(pset(&m, CETS_PARAM_BLOCK_MIN_QTY, 50000, 0, true), CETS_OK);
    assert_int_equal(tm_eod(&m), CETS_OK);
    tm_at(&m, 10, 0);
    cets_result r;
    assert_int_equal(tm_post(&m, s, a, CETS_SELL, 5100, 10, &r), CETS_OK);
    cets_target t = {r.order_id, 10};
    assert_int_equal(tm_take_targets(&m, k, a, CETS_BUY, 1, &t, &r), CETS_OK);
    /* a snapshot with one change applied and one pending */
    void *buf;
    size_t len;
    assert_int_equal(cets_snapshot_save(m.e, &buf, &len), 0);
    const char *err = NULL;
    cets_engine *copy = cets_snapshot_load(buf, len, &err);
    assert_non_null(copy);
    assert_int_equal(cets_state_hash(copy), cets_state_hash(m.e));
    assert_int_equal(cets_param_value(copy, CETS_PARAM_FEE_LISTING_SELL), 800);
    assert_int_equal(cets_param_value(copy, CETS_PARAM_BAND_LISTING), 1000);
    assert_int_equal(cets_param_default(copy, CETS_PARAM_FEE_LISTING_SELL), 500);
    assert_int_equal(cets_param_changes(copy, 0, NULL, 0), 3);
    free(buf);
    assert_int_equal(tm_eod(&m), CETS_OK);
    /* the copy applies the pending change on its own END_OF_DAY */
    cets_cmd eod = {
        .type = CETS_CMD_END_OF_DAY, .actor = CETS_EXCHANGE_ID, .seq = m.seq, .ts = m.now};
    assert_int_equal(cets_apply(copy, &eod, NULL), CETS_OK);
    assert_int_equal(cets_param_value(copy, CETS_PARAM_BAND_LISTING), 2000);
    assert_int_equal(cets_state_hash(copy), cets_state_hash(m.e));
    cets_engine_free(copy);
    /* replay from the journal */
    cets_config cfg;
    cets_config_default(&cfg);
    cfg.start_date = TM_DATE;
    cets_engine *re = cets_engine_new(&cfg);
    for (size_t i = 0; i < log.n; i++) cets_apply(re, &log.c[i], NULL);
    assert_int_equal(cets_state_hash(re), cets_state_hash(m.e));
    cets_param_change x1[3], x2[3];
    assert_int_equal(cets_param_changes(re, 0, x1, 3), 3);
    cets_param_changes(m.e, 0, x2, 3);
    assert_memory_equal(x1, x2, sizeof x1);
    cets_engine_free(re);
    free(log.c);
    tm_free(&m);
}

/* A snapshot whose parameters are out of range is refused, not loaded. */
static void test_snapshot_corrupt_params(void **state)
{
    (void)state;
    pm x;
    pm_init(&x);
    assert_int_equal(pset(&x.m, CETS_PARAM_CCER_CAP, 700, 0, true), CETS_OK);
    void *buf;
    size_t len;
    assert_int_equal(cets_snapshot_save(x.m.e, &buf, &len), 0);
    /* the tail: ..., changes (count, 1 x 56), n, pv[n], pdef[n] */
    unsigned char *b = buf;
    size_t pv = len - 2 * 8 * CETS_PARAM_COUNT;
    int64_t bad = -1;
    memcpy(b + pv + 8 * CETS_PARAM_CCER_CAP, &bad, 8);
    const char *err = NULL;
    assert_null(cets_snapshot_load(buf, len, &err));
    assert_string_equal(err, "snapshot parameters are corrupt");
    free(buf);
    tm_free(&x.m);
}

/* A version-4 snapshot (37 parameters) loads with the later ones at their
 * defaults; a version-5 (or later) one must hold them all. */
static void test_snapshot_v4_params(void **state)
{
    (void)state;
    pm x;
    pm_init(&x);
    assert_int_equal(pset(&x.m, CETS_PARAM_CCER_CAP, 700, 0, true), CETS_OK);
    assert_int_equal(pset(&x.m, CETS_PARAM_SURV_RAMP_MOVE, 300, 0, true), CETS_OK);
    void *buf;
    size_t len;
    assert_int_equal(cets_snapshot_save(x.m.e, &buf, &len), 0);
    /* the tail: ..., related (count 0), n, pv[n], pdef[n]; rewritten as version 4 would
       have it: no related declarations, 37 values */
    const uint32_t n4 = 37;
    size_t tail = 4 + 2 * 8 * CETS_PARAM_COUNT, head = len - tail - 4;
    unsigned char *b = buf, *v4 = malloc(head + 4 + 2 * 8 * n4);
    assert_non_null(v4);
    memcpy(v4, b, head);
    b += 4; /* past the related count */
    uint32_t version = 4;
    memcpy(v4 + 8, &version, 4);
    memcpy(v4 + head, &n4, 4);
    memcpy(v4 + head + 4, b + head + 4, 8 * n4);
    memcpy(v4 + head + 4 + 8 * n4, b + head + 4 + 8 * CETS_PARAM_COUNT, 8 * n4);
    const char *err = NULL;
    cets_engine *e = cets_snapshot_load(v4, head + 4 + 2 * 8 * n4, &err);
    assert_non_null(e);
    assert_int_equal(cets_param_value(e, CETS_PARAM_CCER_CAP), 700);
    for (int i = (int)n4; i < CETS_PARAM_COUNT; i++)
        assert_int_equal(cets_param_value(e, i), cets_param_default(x.m.e, i));
    cets_engine_free(e);
    /* the same bytes under version 5 (no related declarations, 37 values): refused */
    version = 5;
    memcpy(v4 + 8, &version, 4);
    err = NULL;
    assert_null(cets_snapshot_load(v4, head + 4 + 2 * 8 * n4, &err));
    assert_non_null(err);
    /* and the current one keeps the new value */
    e = cets_snapshot_load(buf, len, &err);
    assert_non_null(e);
    assert_int_equal(cets_param_value(e, CETS_PARAM_SURV_RAMP_MOVE), 300);
    cets_engine_free(e);
    free(v4);
    free(buf);
    tm_free(&x.m);
}

/* docs/rules.md's table of parameters is the table the engine has, with
 * cets_engine_new()'s defaults: row for row, in id order. */
static void fmt_num(int64_t v, char *buf, size_t len)
{
    char d[32];
    int n = snprintf(d, sizeof d, "%lld", (long long)v);
    size_t o = 0;
    for (int i = 0; i < n && o + 2 < len; i++) {
        if (i && d[0] != '-' && (n - i) % 3 == 0) buf[o++] = ',';
        buf[o++] = d[i];
    }
    buf[o] = 0;
}

static void test_docs_table(void **state)
{
    (void)state;
    cets_engine *e = cets_engine_new(NULL);
    char expect[8192] = "| parameter | default | unit | changes to | at once | what |\n"
                        "|---|---|---|---|---|---|\n";
    for (int i = 0; i < CETS_PARAM_COUNT; i++) {
        const cets_param_info *pi = cets_param_info_get(i);
        char d[32], lo[32], hi[32], row[256];
        fmt_num(cets_param_default(e, i), d, sizeof d);
        fmt_num(pi->min, lo, sizeof lo);
        if (pi->max == INT64_MAX)
            snprintf(hi, sizeof hi, "any");
        else
            fmt_num(pi->max, hi, sizeof hi);
        snprintf(row, sizeof row, "| `%s` | %s | %s | %s to %s | %s | %s |\n", pi->name, d,
                 pi->unit, lo, hi, pi->urgent ? "yes" : "no", pi->what);
        strcat(expect, row);
    }
    cets_engine_free(e);
    char path[1024];
    snprintf(path, sizeof path, "%s/docs/rules.md", CETS_SOURCE_DIR);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    static char doc[1 << 20];
    size_t n = fread(doc, 1, sizeof doc - 1, f);
    fclose(f);
    doc[n] = 0;
    if (!strstr(doc, expect)) fail_msg("docs/rules.md does not hold this table:\n%s", expect);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_fee_from_its_date),
        cmocka_unit_test(test_band_waits_for_its_date),
        cmocka_unit_test(test_tick),
        cmocka_unit_test(test_urgent),
        cmocka_unit_test(test_bad_values),
        cmocka_unit_test(test_pending_consistency),
        cmocka_unit_test(test_pending_limit),
        cmocka_unit_test(test_hours),
        cmocka_unit_test(test_composite),
        cmocka_unit_test(test_auction_fee_waits),
        cmocka_unit_test(test_replay_and_snapshot),
        cmocka_unit_test(test_snapshot_corrupt_params),
        cmocka_unit_test(test_snapshot_v4_params),
        cmocka_unit_test(test_docs_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
