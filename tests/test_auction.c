/* test_auction.c -- one-way bidding (单向竞价): every rule and every rejection.
 *
 * Prices, quantities, amounts and fees are worked out here from the bids
 * (ranking by price then time, the marginal bid partly filled, uniform or
 * pay-as-bid, 0.05% fees half-up, the initiator's fee on its cumulative
 * value), and compared to the engine's balances to the fen.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "tmethods.h"

#define FEE_PPM 500
#define FUNDS 10000000000LL
#define HOUR 3600000000000LL
#define UNIFORM 0
#define PAY_AS_BID 1

typedef struct fx {
    tmarket m;
    uint32_t cea, ccer, au, s, ind;
    uint32_t b[5];
    int64_t start, end;
} fx;

static void fx_init(fx *f, const cets_config *cfg, int64_t close)
{
    tm_init(&f->m, cfg);
    f->cea = tg_instrument(&f->m, "CEA25", CETS_PRODUCT_CEA, close);
    f->ccer = tg_instrument(&f->m, "CCER", CETS_PRODUCT_CCER, close);
    f->au = tg_party(&f->m, CETS_PK_AUTHORITY, "MEE", 0);
    f->s = tg_party(&f->m, CETS_PK_ENTITY, "seller", FUNDS);
    f->ind = tg_party(&f->m, CETS_PK_INDIVIDUAL, "zhang", FUNDS);
    for (int i = 0; i < 5; i++) {
        f->b[i] = tg_party(&f->m, CETS_PK_INSTITUTION, "bidder", FUNDS);
        tg_credit(&f->m, f->b[i], f->cea, 200000);
    }
    tg_credit(&f->m, f->s, f->cea, 1000000);
    tg_credit(&f->m, f->au, f->cea, 500000);
    tm_at(&f->m, 10, 0);
    f->start = f->m.now;
    f->end = f->m.now + HOUR;
}

static int create(fx *f, uint32_t pid, int side, int64_t lot, int mode, int limit, int64_t min_fill,
                  cets_result *r)
{
    return tg_auction(&f->m, CETS_EXCHANGE_ID, pid, f->cea, side, lot, f->start, f->end, mode,
                      limit, min_fill, r);
}

static cets_auction_info auction(const fx *f, uint64_t id)
{
    cets_auction_info a;
    memset(&a, 0, sizeof a);
    assert_int_equal(cets_auction_get(f->m.e, id, &a), CETS_OK);
    return a;
}

static void close_at_end(fx *f, uint64_t id)
{
    f->m.now = f->end;
    TR_OK(&f->m, tg_auction_cmd(&f->m, CETS_CMD_AUCTION_CLOSE, CETS_EXCHANGE_ID, id));
}

typedef struct bid_list {
    cets_bid_info b[16];
    int n;
} bid_list;

static void collect_bid(void *ctx, const cets_bid_info *b)
{
    bid_list *l = ctx;
    if (l->n < 16) l->b[l->n++] = *b;
}

/* ---- creation ---------------------------------------------------------------- */

static void test_auction_create_rules(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, NULL, 5000);
    cets_result r;
    uint32_t s = f.s;
    /* who may announce: the exchange, or the authority for its own lot */
    TR_REJECT(&f.m, CETS_NOT_AUTHORISED,
              tg_auction(&f.m, s, s, f.cea, CETS_SELL, 100000, f.start, f.end, 0, 0, 0, NULL));
    TR_REJECT(&f.m, CETS_NOT_AUTHORISED,
              tg_auction(&f.m, f.au, s, f.cea, CETS_SELL, 100000, f.start, f.end, 0, 0, 0, NULL));
    TR_REJECT(&f.m, CETS_UNKNOWN_PARTICIPANT,
              create(&f, CETS_EXCHANGE_ID, CETS_SELL, 100000, 0, 0, 0, NULL));
    TR_REJECT(&f.m, CETS_UNKNOWN_PARTICIPANT, create(&f, 0, CETS_SELL, 100000, 0, 0, 0, NULL));
    TR_REJECT(&f.m, CETS_UNKNOWN_PARTICIPANT, create(&f, 999, CETS_SELL, 100000, 0, 0, 0, NULL));
    TR_REJECT(
        &f.m, CETS_UNKNOWN_INSTRUMENT,
        tg_auction(&f.m, CETS_EXCHANGE_ID, s, 7, CETS_SELL, 100000, f.start, f.end, 0, 0, 0, NULL));
    TR_REJECT(&f.m, CETS_BAD_SIDE, create(&f, s, 0, 100000, 0, 0, 0, NULL));
    /* the lot: at least 100,000 t */
    TR_REJECT(&f.m, CETS_QTY_OUT_OF_RANGE, create(&f, s, CETS_SELL, 99999, 0, 0, 0, NULL));
    TR_REJECT(&f.m, CETS_QTY_OUT_OF_RANGE, create(&f, s, CETS_SELL, 10000000001LL, 0, 0, 0, NULL));
    /* the window must end after it starts, and after now */
    TR_REJECT(&f.m, CETS_BAD_WINDOW,
              tg_auction(&f.m, CETS_EXCHANGE_ID, s, f.cea, CETS_SELL, 100000, f.end, f.end, 0, 0, 0,
                         NULL));
    TR_REJECT(&f.m, CETS_BAD_WINDOW,
              tg_auction(&f.m, CETS_EXCHANGE_ID, s, f.cea, CETS_SELL, 100000, f.start - HOUR,
                         f.m.now, 0, 0, 0, NULL));
    TR_REJECT(&f.m, CETS_BAD_ARGUMENT, create(&f, s, CETS_SELL, 100000, 2, 0, 0, NULL));
    TR_REJECT(&f.m, CETS_BAD_ARGUMENT, create(&f, s, CETS_SELL, 100000, 0, 2, 0, NULL));
    TR_REJECT(&f.m, CETS_BAD_ARGUMENT, create(&f, s, CETS_SELL, 100000, 0, 0, -1, NULL));
    TR_REJECT(&f.m, CETS_BAD_ARGUMENT, create(&f, s, CETS_SELL, 100000, 0, 0, 10001, NULL));
    /* the initiator's side is pre-funded like any other */
    TR_REJECT(&f.m, CETS_INSUFFICIENT_HOLDINGS, create(&f, s, CETS_SELL, 1000001, 0, 0, 0, NULL));
    int64_t value = 5000LL * 100001, need = value + tg_fee(value, FEE_PPM);
    uint32_t buyer = tg_party(&f.m, CETS_PK_INSTITUTION, "buyer", need - 1);
    TR_REJECT(&f.m, CETS_INSUFFICIENT_FUNDS, create(&f, buyer, CETS_BUY, 100001, 0, 0, 0, NULL));
    TR_OK(&f.m, tm_admin(&f.m, CETS_CMD_DEPOSIT, buyer, 0, 1, 0));
    TR_OK(&f.m, create(&f, buyer, CETS_BUY, 100001, 0, 0, 0, &r));
    assert_int_equal(tm_avail(&f.m, buyer), 0);
    assert_int_equal(tm_frozen(&f.m, buyer), need);
    TR_OK(&f.m, create(&f, s, CETS_SELL, 1000000, 1, 1, 2500, &r));
    cets_auction_info a = auction(&f, r.order_id);
    assert_int_equal(a.status, CETS_AUCTION_OPEN);
    assert_int_equal(a.initiator, s);
    assert_int_equal(a.side, CETS_SELL);
    assert_int_equal(a.mode, PAY_AS_BID);
    assert_int_equal(a.lot, 1000000);
    assert_int_equal(a.start, f.start);
    assert_int_equal(a.end, f.end);
    assert_int_equal(a.min_fill_bp, 2500);
    assert_int_equal(a.reserved, 1000000);
    assert_int_equal(tm_hold(&f.m, s, f.cea).frozen, 1000000);
    const cets_event *ev = tm_last_event(&f.m, CETS_EV_AUCTION);
    assert_non_null(ev);
    assert_int_equal(ev->u.auction.auction.id, r.order_id);
    assert_int_equal(ev->u.auction.bid.id, 0);
    /* the lot is reserved: nothing left to sell */
    TR_REJECT(&f.m, CETS_INSUFFICIENT_HOLDINGS, tm_post(&f.m, s, f.cea, CETS_SELL, 5000, 1, NULL));
    tm_free(&f.m);
}

/* ---- price limits -------------------------------------------------------------- */

/* previous close 51.23: close -10% = ceil(46.107) = 46.11, +10% = floor(56.353) = 56.35. */
static void test_auction_price_limits(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, NULL, 5123);
    cets_result r;
    uint32_t b = f.b[0];
    /* seller's floor = previous close */
    TR_OK(&f.m, create(&f, f.s, CETS_SELL, 100000, UNIFORM, 0, 0, &r));
    uint64_t a0 = r.order_id;
    assert_int_equal(auction(&f, a0).reserve_price, 5123);
    assert_int_equal(auction(&f, a0).bid_limit, 5635);
    TR_REJECT(&f.m, CETS_PRICE_OUT_OF_BAND, tg_bid(&f.m, b, a0, 5122, 1000, NULL));
    TR_OK(&f.m, tg_bid(&f.m, b, a0, 5123, 1000, NULL));
    TR_OK(&f.m, tg_bid(&f.m, b, a0, 5635, 1000, NULL));
    TR_REJECT(&f.m, CETS_PRICE_OUT_OF_BAND, tg_bid(&f.m, b, a0, 5636, 1000, NULL));
    TR_REJECT(&f.m, CETS_PRICE_OUT_OF_BAND, tg_bid(&f.m, b, a0, 0, 1000, NULL));
    TR_REJECT(&f.m, CETS_PRICE_OUT_OF_BAND, tg_bid(&f.m, b, a0, -1, 1000, NULL));
    /* seller's floor = previous close - 10% */
    TR_OK(&f.m, create(&f, f.s, CETS_SELL, 100000, UNIFORM, 1, 0, &r));
    uint64_t a1 = r.order_id;
    assert_int_equal(auction(&f, a1).reserve_price, 4611);
    TR_REJECT(&f.m, CETS_PRICE_OUT_OF_BAND, tg_bid(&f.m, b, a1, 4610, 1000, NULL));
    TR_OK(&f.m, tg_bid(&f.m, b, a1, 4611, 1000, NULL));
    TR_REJECT(&f.m, CETS_PRICE_OUT_OF_BAND, tg_bid(&f.m, b, a1, 5636, 1000, NULL));
    /* a buyer's auction, mirrored: cap = previous close (or +10%), offers >= close -10% */
    TR_OK(&f.m, create(&f, f.b[1], CETS_BUY, 100000, UNIFORM, 0, 0, &r));
    uint64_t a2 = r.order_id;
    assert_int_equal(auction(&f, a2).reserve_price, 5123);
    assert_int_equal(auction(&f, a2).bid_limit, 4611);
    TR_REJECT(&f.m, CETS_PRICE_OUT_OF_BAND, tg_bid(&f.m, f.s, a2, 4610, 1000, NULL));
    TR_OK(&f.m, tg_bid(&f.m, f.s, a2, 4611, 1000, NULL));
    TR_OK(&f.m, tg_bid(&f.m, f.s, a2, 5123, 1000, NULL));
    TR_REJECT(&f.m, CETS_PRICE_OUT_OF_BAND, tg_bid(&f.m, f.s, a2, 5124, 1000, NULL));
    TR_OK(&f.m, create(&f, f.b[2], CETS_BUY, 100000, UNIFORM, 1, 0, &r));
    uint64_t a3 = r.order_id;
    assert_int_equal(auction(&f, a3).reserve_price, 5635);
    TR_OK(&f.m, tg_bid(&f.m, f.s, a3, 5635, 1000, NULL));
    TR_REJECT(&f.m, CETS_PRICE_OUT_OF_BAND, tg_bid(&f.m, f.s, a3, 5636, 1000, NULL));
    /* the buyer's reservation is at its cap: 56.35 x 100,000 + fee */
    int64_t v = 5635LL * 100000;
    assert_int_equal(auction(&f, a3).reserved, v + tg_fee(v, FEE_PPM));
    tm_free(&f.m);
}

static void test_auction_price_tick(void **state)
{
    (void)state;
    cets_config cfg;
    cets_config_default(&cfg);
    cfg.start_date = TM_DATE;
    cfg.tick = 10;
    fx f;
    fx_init(&f, &cfg, 5000);
    cets_result r;
    TR_OK(&f.m, create(&f, f.s, CETS_SELL, 100000, UNIFORM, 0, 0, &r));
    TR_REJECT(&f.m, CETS_PRICE_TICK, tg_bid(&f.m, f.b[0], r.order_id, 5005, 1000, NULL));
    TR_OK(&f.m, tg_bid(&f.m, f.b[0], r.order_id, 5010, 1000, NULL));
    tm_free(&f.m);
}

/* ---- bids: window and who may bid ------------------------------------------------ */

static void test_auction_bid_rules(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, NULL, 5000);
    cets_result r;
    f.start = f.m.now + HOUR / 2; /* the window opens at 10:30 and ends at 11:00 */
    TR_OK(&f.m, create(&f, f.s, CETS_SELL, 200000, UNIFORM, 0, 0, &r));
    uint64_t a = r.order_id;
    uint32_t b = f.b[0];
    TR_REJECT(&f.m, CETS_AUCTION_NOT_OPEN, tg_bid(&f.m, b, a, 5000, 1000, NULL));
    f.m.now = f.start;
    TR_REJECT(&f.m, CETS_UNKNOWN_AUCTION, tg_bid(&f.m, b, 99, 5000, 1000, NULL));
    TR_REJECT(&f.m, CETS_UNKNOWN_AUCTION, tg_bid(&f.m, b, 0, 5000, 1000, NULL));
    TR_REJECT(&f.m, CETS_SELF_TRADE, tg_bid(&f.m, f.s, a, 5000, 1000, NULL));
    TR_REJECT(&f.m, CETS_KIND_NOT_ALLOWED, tg_bid(&f.m, f.ind, a, 5000, 1000, NULL));
    TR_REJECT(&f.m, CETS_KIND_NOT_ALLOWED, tg_bid(&f.m, f.au, a, 5000, 1000, NULL));
    TR_REJECT(&f.m, CETS_UNKNOWN_PARTICIPANT, tg_bid(&f.m, 999, a, 5000, 1000, NULL));
    cets_cmd c = {.type = CETS_CMD_AUCTION_BID,
                  .actor = f.b[1],
                  .participant = b,
                  .order_id = a,
                  .price = 5000,
                  .qty = 1000};
    TR_REJECT(&f.m, CETS_NOT_AUTHORISED, tm_apply(&f.m, &c, NULL));
    TR_REJECT(&f.m, CETS_QTY_OUT_OF_RANGE, tg_bid(&f.m, b, a, 5000, 0, NULL));
    TR_REJECT(&f.m, CETS_QTY_OUT_OF_RANGE, tg_bid(&f.m, b, a, 5000, 200001, NULL));
    TR_OK(&f.m, tg_bid(&f.m, b, a, 5000, 200000, NULL)); /* the whole lot */
    TR_OK(&f.m, tg_bid(&f.m, b, a, 5000, 1, NULL));      /* any size */
    /* fully pre-funded: value + fee, to the fen */
    int64_t value = 5001LL * 100001, need = value + tg_fee(value, FEE_PPM);
    uint32_t poor = tg_party(&f.m, CETS_PK_INSTITUTION, "poor", need - 1);
    TR_REJECT(&f.m, CETS_INSUFFICIENT_FUNDS, tg_bid(&f.m, poor, a, 5001, 100001, NULL));
    TR_OK(&f.m, tm_admin(&f.m, CETS_CMD_DEPOSIT, poor, 0, 1, 0));
    TR_OK(&f.m, tg_bid(&f.m, poor, a, 5001, 100001, &r));
    assert_int_equal(tm_avail(&f.m, poor), 0);
    assert_int_equal(tm_frozen(&f.m, poor), need);
    const cets_event *ev = tm_last_event(&f.m, CETS_EV_AUCTION);
    assert_non_null(ev);
    assert_int_equal(ev->u.auction.bid.id, r.order_id);
    assert_int_equal(ev->u.auction.bid.participant, poor);
    assert_int_equal(ev->u.auction.bid.reserved, need);
    /* status and halts */
    TR_OK(&f.m,
          tr_cmd(&f.m, CETS_CMD_PARTICIPANT_STATUS, CETS_EXCHANGE_ID, b, 0, 0, CETS_PS_SUSPENDED));
    TR_REJECT(&f.m, CETS_PARTICIPANT_SUSPENDED, tg_bid(&f.m, b, a, 5000, 1000, NULL));
    TR_OK(&f.m, tg_judicial(&f.m, f.au, f.b[1], 1));
    TR_REJECT(&f.m, CETS_PARTICIPANT_FROZEN, tg_bid(&f.m, f.b[1], a, 5000, 1000, NULL));
    TR_OK(&f.m, tr_cmd(&f.m, CETS_CMD_INSTRUMENT_HALT, CETS_EXCHANGE_ID, 0, f.cea, 0, 1));
    TR_REJECT(&f.m, CETS_INSTRUMENT_HALTED, tg_bid(&f.m, f.b[2], a, 5000, 1000, NULL));
    TR_OK(&f.m, tr_cmd(&f.m, CETS_CMD_INSTRUMENT_HALT, CETS_EXCHANGE_ID, 0, f.cea, 0, 0));
    TR_OK(&f.m, tr_cmd(&f.m, CETS_CMD_MARKET_HALT, CETS_EXCHANGE_ID, 0, 0, 0, 1));
    TR_REJECT(&f.m, CETS_MARKET_HALTED, tg_bid(&f.m, f.b[2], a, 5000, 1000, NULL));
    TR_OK(&f.m, tr_cmd(&f.m, CETS_CMD_MARKET_HALT, CETS_EXCHANGE_ID, 0, 0, 0, 0));
    /* the window ends: no bid at its end, no close before it */
    f.m.now = f.end - 1;
    TR_OK(&f.m, tg_bid(&f.m, f.b[2], a, 5000, 1000, NULL));
    TR_REJECT(&f.m, CETS_AUCTION_RUNNING,
              tg_auction_cmd(&f.m, CETS_CMD_AUCTION_CLOSE, CETS_EXCHANGE_ID, a));
    f.m.now = f.end;
    TR_REJECT(&f.m, CETS_AUCTION_NOT_OPEN, tg_bid(&f.m, f.b[2], a, 5000, 1000, NULL));
    TR_REJECT(&f.m, CETS_NOT_AUTHORISED, tg_auction_cmd(&f.m, CETS_CMD_AUCTION_CLOSE, f.s, a));
    TR_REJECT(&f.m, CETS_NOT_AUTHORISED, tg_auction_cmd(&f.m, CETS_CMD_AUCTION_CLOSE, f.au, a));
    TR_REJECT(&f.m, CETS_UNKNOWN_AUCTION,
              tg_auction_cmd(&f.m, CETS_CMD_AUCTION_CLOSE, CETS_EXCHANGE_ID, 99));
    TR_OK(&f.m, tg_auction_cmd(&f.m, CETS_CMD_AUCTION_CLOSE, CETS_EXCHANGE_ID, a));
    TR_REJECT(&f.m, CETS_AUCTION_NOT_OPEN,
              tg_auction_cmd(&f.m, CETS_CMD_AUCTION_CLOSE, CETS_EXCHANGE_ID, a));
    TR_REJECT(&f.m, CETS_AUCTION_NOT_OPEN, tg_bid(&f.m, f.b[2], a, 5000, 1000, NULL));
    tm_free(&f.m);
}

/* ---- clearing ------------------------------------------------------------------------ */

/* Lot 300,000; bids in time order:
 *   b0 51.00 x 100,000   b1 53.00 x 120,000   b2 51.00 x 100,000
 *   b3 52.00 x  50,000   b4 50.00 x 200,000
 * Ranking: b1, b3, b0, b2 (same price as b0, later), b4. Filled: b1 120,000,
 * b3 50,000, b0 100,000, b2 30,000 of 100,000 (marginal), b4 nothing.
 * Marginal price 51.00. */
static const int64_t rank_price[5] = {5100, 5300, 5100, 5200, 5000};
static const int64_t rank_qty[5] = {100000, 120000, 100000, 50000, 200000};
static const int64_t rank_fill[5] = {100000, 120000, 30000, 50000, 0};
static const int settle_order[4] = {1, 3, 0, 2};

static void run_ranked(int mode)
{
    fx f;
    fx_init(&f, NULL, 5000);
    cets_result r;
    TR_OK(&f.m, create(&f, f.s, CETS_SELL, 300000, mode, 0, 0, &r));
    uint64_t a = r.order_id;
    for (int i = 0; i < 5; i++) {
        f.m.now += 1000000000; /* a second apart */
        TR_OK(&f.m, tg_bid(&f.m, f.b[i], a, rank_price[i], rank_qty[i], NULL));
    }
    int64_t exch = tm_avail(&f.m, CETS_EXCHANGE_ID);
    close_at_end(&f, a);
    /* expected trades, in ranking order; the seller's fee on its cumulative value */
    cets_trade t[8];
    assert_int_equal(tr_trades(&f.m, t, 8), 4);
    int64_t cum = 0, cum_fee = 0, fees = 0;
    for (int k = 0; k < 4; k++) {
        int i = settle_order[k];
        int64_t px = mode == UNIFORM ? 5100 : rank_price[i];
        int64_t value = px * rank_fill[i], bfee = tg_fee(value, FEE_PPM);
        int64_t sfee = tg_fee(cum + value, FEE_PPM) - cum_fee;
        cum += value;
        cum_fee += sfee;
        fees += bfee + sfee;
        assert_int_equal(t[k].method, CETS_METHOD_AUCTION);
        assert_int_equal(t[k].buyer, f.b[i]);
        assert_int_equal(t[k].seller, f.s);
        assert_int_equal(t[k].sell_order, a);
        assert_int_equal(t[k].price, px);
        assert_int_equal(t[k].qty, rank_fill[i]);
        assert_int_equal(t[k].value, value);
        assert_int_equal(t[k].buyer_fee, bfee);
        assert_int_equal(t[k].seller_fee, sfee);
        assert_int_equal(tm_avail(&f.m, f.b[i]), FUNDS - value - bfee);
        assert_int_equal(tm_frozen(&f.m, f.b[i]), 0);
        assert_int_equal(tm_hold(&f.m, f.b[i], f.cea).locked, rank_fill[i]);
    }
    assert_int_equal(cum_fee, tg_fee(cum, FEE_PPM));
    assert_int_equal(tm_avail(&f.m, f.b[4]), FUNDS); /* released, to the fen */
    assert_int_equal(tm_frozen(&f.m, f.b[4]), 0);
    assert_int_equal(tm_avail(&f.m, f.s), FUNDS + cum - cum_fee);
    assert_int_equal(tm_hold(&f.m, f.s, f.cea).available, 700000);
    assert_int_equal(tm_hold(&f.m, f.s, f.cea).frozen, 0);
    assert_int_equal(tm_avail(&f.m, CETS_EXCHANGE_ID), exch + fees);
    cets_auction_info ai = auction(&f, a);
    assert_int_equal(ai.status, CETS_AUCTION_CLOSED);
    assert_int_equal(ai.filled, 300000);
    assert_int_equal(ai.clearing_price, 5100);
    assert_int_equal(ai.value, cum);
    assert_int_equal(ai.nbids, 5);
    assert_int_equal(ai.nwinners, 4);
    assert_int_equal(ai.reserved, 0);
    bid_list bl = {.n = 0};
    cets_bids_foreach(f.m.e, a, collect_bid, &bl);
    assert_int_equal(bl.n, 5);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(bl.b[i].participant, f.b[i]);
        assert_int_equal(bl.b[i].filled, rank_fill[i]);
        assert_int_equal(bl.b[i].reserved, 0);
    }
    /* auction volume and value are reported; prices are not set */
    TR_OK(&f.m, tm_eod(&f.m));
    cets_day_stats st[2];
    assert_int_equal(cets_last_day_stats(f.m.e, st, 2, NULL, NULL), 2);
    assert_false(st[0].traded);
    assert_int_equal(st[0].close, 5000);
    assert_int_equal(st[0].high, 5000);
    assert_int_equal(st[0].volume[CETS_METHOD_AUCTION], 300000);
    assert_int_equal(st[0].value[CETS_METHOD_AUCTION], cum);
    assert_int_equal(st[0].trades[CETS_METHOD_AUCTION], 4);
    assert_int_equal(st[0].volume[CETS_METHOD_LISTING], 0);
    assert_int_equal(st[0].total_volume, 300000);
    assert_int_equal(st[0].cum_value[CETS_METHOD_AUCTION], cum);
    tm_free(&f.m);
}

static void test_auction_uniform_ranking(void **state)
{
    (void)state;
    run_ranked(UNIFORM);
}

static void test_auction_pay_as_bid_ranking(void **state)
{
    (void)state;
    run_ranked(PAY_AS_BID);
}

/* Values of 500,005,000 fen: each trade's fee is 250,002.5 -> 250,003; the
 * seller's fee on its cumulative 1,000,010,000 is 500,005, not 500,006. */
static void test_auction_cumulative_fee(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, NULL, 5000);
    cets_result r;
    TR_OK(&f.m, create(&f, f.s, CETS_SELL, 200002, UNIFORM, 0, 0, &r));
    uint64_t a = r.order_id;
    TR_OK(&f.m, tg_bid(&f.m, f.b[0], a, 5000, 100001, NULL));
    TR_OK(&f.m, tg_bid(&f.m, f.b[1], a, 5000, 100001, NULL));
    int64_t exch = tm_avail(&f.m, CETS_EXCHANGE_ID);
    close_at_end(&f, a);
    cets_trade t[4];
    assert_int_equal(tr_trades(&f.m, t, 4), 2);
    assert_int_equal(t[0].buyer_fee, 250003);
    assert_int_equal(t[1].buyer_fee, 250003);
    assert_int_equal(t[0].seller_fee, 250003);
    assert_int_equal(t[1].seller_fee, 250002);
    assert_int_equal(tm_avail(&f.m, f.s), FUNDS + 1000010000 - 500005);
    assert_int_equal(tm_avail(&f.m, f.b[0]), FUNDS - 500005000 - 250003);
    assert_int_equal(tm_avail(&f.m, CETS_EXCHANGE_ID), exch + 500005 + 2 * 250003);
    tm_free(&f.m);
}

/* A buyer asks for the auction: sellers offer, lowest first, then time.
 * Lot 250,000, cap 50.00: s1 47.00 x 100,000, s0 48.00 x 100,000, s2 48.00 x
 * 50,000 of 100,000 (later than s0), s3 49.00 nothing. Marginal 48.00. */
static void run_buyer_initiated(int mode)
{
    fx f;
    fx_init(&f, NULL, 5000);
    cets_result r;
    uint32_t buyer = f.b[4];
    int64_t cap_need = 5000LL * 250000 + tg_fee(5000LL * 250000, FEE_PPM);
    TR_OK(&f.m, create(&f, buyer, CETS_BUY, 250000, mode, 0, 0, &r));
    uint64_t a = r.order_id;
    assert_int_equal(tm_frozen(&f.m, buyer), cap_need);
    const int64_t price[4] = {4800, 4700, 4800, 4900}, fill[4] = {100000, 100000, 50000, 0};
    const int order[3] = {1, 0, 2};
    TR_REJECT(&f.m, CETS_INSUFFICIENT_HOLDINGS, tg_bid(&f.m, f.b[0], a, 4800, 200001, NULL));
    for (int i = 0; i < 4; i++) {
        f.m.now += 1000000000;
        TR_OK(&f.m, tg_bid(&f.m, f.b[i], a, price[i], 100000, NULL));
        assert_int_equal(tm_hold(&f.m, f.b[i], f.cea).frozen, 100000);
    }
    close_at_end(&f, a);
    cets_trade t[8];
    assert_int_equal(tr_trades(&f.m, t, 8), 3);
    int64_t cum = 0, cum_fee = 0;
    for (int k = 0; k < 3; k++) {
        int i = order[k];
        int64_t px = mode == UNIFORM ? 4800 : price[i];
        int64_t value = px * fill[i], sfee = tg_fee(value, FEE_PPM);
        int64_t bfee = tg_fee(cum + value, FEE_PPM) - cum_fee;
        cum += value;
        cum_fee += bfee;
        assert_int_equal(t[k].buyer, buyer);
        assert_int_equal(t[k].seller, f.b[i]);
        assert_int_equal(t[k].buy_order, a);
        assert_int_equal(t[k].aggressor, CETS_SELL);
        assert_int_equal(t[k].price, px);
        assert_int_equal(t[k].buyer_fee, bfee);
        assert_int_equal(t[k].seller_fee, sfee);
        assert_int_equal(tm_avail(&f.m, f.b[i]), FUNDS + value - sfee);
    }
    for (int i = 0; i < 4; i++) {
        assert_int_equal(tm_hold(&f.m, f.b[i], f.cea).frozen, 0);
        assert_int_equal(tm_hold(&f.m, f.b[i], f.cea).available, 200000 - fill[i]);
    }
    assert_int_equal(tm_frozen(&f.m, buyer), 0);
    assert_int_equal(tm_avail(&f.m, buyer), FUNDS - cum - cum_fee);
    assert_int_equal(tm_hold(&f.m, buyer, f.cea).locked, 250000);
    assert_int_equal(auction(&f, a).clearing_price, 4800);
    assert_int_equal(auction(&f, a).value, cum);
    tm_free(&f.m);
}

static void test_auction_buyer_initiated_uniform(void **state)
{
    (void)state;
    run_buyer_initiated(UNIFORM);
}

static void test_auction_buyer_initiated_pay_as_bid(void **state)
{
    (void)state;
    run_buyer_initiated(PAY_AS_BID);
}

/* ---- minimum fill, failure and cancellation ------------------------------------------ */

static void test_auction_min_fill(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, NULL, 5000);
    cets_result r;
    /* 50% of 200,000 is 100,000: 99,999 is below, and the auction fails whole */
    TR_OK(&f.m, create(&f, f.s, CETS_SELL, 200000, UNIFORM, 0, 5000, &r));
    uint64_t a = r.order_id;
    TR_OK(&f.m, tg_bid(&f.m, f.b[0], a, 5200, 50000, NULL));
    TR_OK(&f.m, tg_bid(&f.m, f.b[1], a, 5100, 49999, NULL));
    close_at_end(&f, a);
    assert_int_equal(tm_count_events(&f.m, CETS_EV_TRADE), 0);
    cets_auction_info ai = auction(&f, a);
    assert_int_equal(ai.status, CETS_AUCTION_FAILED);
    assert_int_equal(ai.filled, 0);
    assert_int_equal(ai.clearing_price, 0);
    assert_int_equal(ai.nwinners, 0);
    assert_int_equal(ai.reserved, 0);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(tm_avail(&f.m, f.b[i]), FUNDS);
        assert_int_equal(tm_frozen(&f.m, f.b[i]), 0);
    }
    assert_int_equal(tm_hold(&f.m, f.s, f.cea).available, 1000000);
    assert_int_equal(tm_hold(&f.m, f.s, f.cea).frozen, 0);
    /* exactly 50%: cleared */
    f.start = f.m.now;
    f.end = f.m.now + HOUR;
    TR_OK(&f.m, create(&f, f.s, CETS_SELL, 200000, UNIFORM, 0, 5000, &r));
    a = r.order_id;
    TR_OK(&f.m, tg_bid(&f.m, f.b[0], a, 5200, 50000, NULL));
    TR_OK(&f.m, tg_bid(&f.m, f.b[1], a, 5100, 50000, NULL));
    close_at_end(&f, a);
    ai = auction(&f, a);
    assert_int_equal(ai.status, CETS_AUCTION_CLOSED);
    assert_int_equal(ai.filled, 100000);
    assert_int_equal(ai.clearing_price, 5100);
    assert_int_equal(tm_hold(&f.m, f.s, f.cea).available, 900000);
    /* no bid at all: nothing to clear, the auction fails even without a minimum */
    f.start = f.m.now;
    f.end = f.m.now + HOUR;
    TR_OK(&f.m, create(&f, f.s, CETS_SELL, 200000, UNIFORM, 0, 0, &r));
    close_at_end(&f, r.order_id);
    assert_int_equal(auction(&f, r.order_id).status, CETS_AUCTION_FAILED);
    assert_int_equal(tm_hold(&f.m, f.s, f.cea).frozen, 0);
    tm_free(&f.m);
}

static void test_auction_cancel(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, NULL, 5000);
    cets_result r;
    TR_OK(&f.m, create(&f, f.b[0], CETS_BUY, 100000, UNIFORM, 1, 0, &r));
    uint64_t a = r.order_id;
    TR_OK(&f.m, tg_bid(&f.m, f.s, a, 5000, 60000, NULL));
    TR_OK(&f.m, tg_bid(&f.m, f.b[1], a, 4900, 60000, NULL));
    TR_REJECT(&f.m, CETS_NOT_AUTHORISED, tg_auction_cmd(&f.m, CETS_CMD_AUCTION_CANCEL, f.au, a));
    TR_REJECT(&f.m, CETS_NOT_AUTHORISED, tg_auction_cmd(&f.m, CETS_CMD_AUCTION_CANCEL, f.b[0], a));
    TR_REJECT(&f.m, CETS_UNKNOWN_AUCTION,
              tg_auction_cmd(&f.m, CETS_CMD_AUCTION_CANCEL, CETS_EXCHANGE_ID, 99));
    TR_OK(&f.m, tg_auction_cmd(&f.m, CETS_CMD_AUCTION_CANCEL, CETS_EXCHANGE_ID, a));
    assert_int_equal(auction(&f, a).status, CETS_AUCTION_CANCELLED);
    assert_int_equal(tm_count_events(&f.m, CETS_EV_AUCTION), 1);
    assert_int_equal(tm_count_events(&f.m, CETS_EV_TRADE), 0);
    assert_int_equal(tm_avail(&f.m, f.b[0]), FUNDS);
    assert_int_equal(tm_frozen(&f.m, f.b[0]), 0);
    assert_int_equal(tm_hold(&f.m, f.s, f.cea).available, 1000000);
    assert_int_equal(tm_hold(&f.m, f.b[1], f.cea).available, 200000);
    TR_REJECT(&f.m, CETS_AUCTION_NOT_OPEN,
              tg_auction_cmd(&f.m, CETS_CMD_AUCTION_CANCEL, CETS_EXCHANGE_ID, a));
    TR_REJECT(&f.m, CETS_AUCTION_NOT_OPEN, tg_bid(&f.m, f.s, a, 5000, 1000, NULL));
    f.m.now = f.end;
    TR_REJECT(&f.m, CETS_AUCTION_NOT_OPEN,
              tg_auction_cmd(&f.m, CETS_CMD_AUCTION_CLOSE, CETS_EXCHANGE_ID, a));
    tm_free(&f.m);
}

/* ---- the authority's paid allocation --------------------------------------------------- */

static void test_auction_paid_allocation(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, NULL, 5000);
    cets_result r;
    TR_OK(&f.m, tg_auction(&f.m, f.au, f.au, f.cea, CETS_SELL, 400000, f.start, f.end, UNIFORM, 1,
                           0, &r));
    uint64_t a = r.order_id;
    assert_int_equal(auction(&f, a).reserve_price, 4500);
    TR_OK(&f.m, create(&f, f.s, CETS_SELL, 100000, UNIFORM, 0, 0, &r));
    uint64_t other = r.order_id;
    TR_OK(&f.m, tg_bid(&f.m, f.b[0], a, 4600, 300000, NULL));
    TR_OK(&f.m, tg_bid(&f.m, f.b[1], a, 4500, 300000, NULL));
    f.m.now = f.end;
    /* the authority closes its own auction, and no other */
    TR_REJECT(&f.m, CETS_NOT_AUTHORISED, tg_auction_cmd(&f.m, CETS_CMD_AUCTION_CLOSE, f.au, other));
    TR_OK(&f.m, tg_auction_cmd(&f.m, CETS_CMD_AUCTION_CLOSE, f.au, a));
    int64_t v0 = 4500LL * 300000, v1 = 4500LL * 100000;
    int64_t fee = tg_fee(v0 + v1, FEE_PPM);
    assert_int_equal(tm_avail(&f.m, f.au), v0 + v1 - fee);
    assert_int_equal(tm_hold(&f.m, f.au, f.cea).available, 100000);
    assert_int_equal(tm_hold(&f.m, f.b[0], f.cea).locked, 300000);
    assert_int_equal(tm_hold(&f.m, f.b[1], f.cea).locked, 100000);
    assert_int_equal(tm_avail(&f.m, f.b[1]), FUNDS - v1 - tg_fee(v1, FEE_PPM));
    tm_free(&f.m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_auction_create_rules),
        cmocka_unit_test(test_auction_price_limits),
        cmocka_unit_test(test_auction_price_tick),
        cmocka_unit_test(test_auction_bid_rules),
        cmocka_unit_test(test_auction_uniform_ranking),
        cmocka_unit_test(test_auction_pay_as_bid_ranking),
        cmocka_unit_test(test_auction_cumulative_fee),
        cmocka_unit_test(test_auction_buyer_initiated_uniform),
        cmocka_unit_test(test_auction_buyer_initiated_pay_as_bid),
        cmocka_unit_test(test_auction_min_fill),
        cmocka_unit_test(test_auction_cancel),
        cmocka_unit_test(test_auction_paid_allocation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
