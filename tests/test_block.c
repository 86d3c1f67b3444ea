/* test_block.c -- block agreements (大宗协议): every rule and every rejection.
 *
 * Each command goes through TR_OK or TR_REJECT: a rejection must carry its
 * code, emit exactly one REJECTED event and leave the state hash where it
 * was; every command, accepted or not, must leave the conservation and
 * reservation invariants intact. Amounts are computed here from the terms
 * (value = price x qty, fee = 0.05% half-up), never read back from the engine.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "tmethods.h"

#define FEE_PPM 500
#define FUNDS 10000000000LL /* 100 million CNY, in fen */

typedef struct fx {
    tmarket m;
    uint32_t cea, ccer;
    uint32_t au, s, b, c, ind, ind2; /* authority, entity seller, institution buyer, third */
} fx;

static void fx_init(fx *f, const cets_config *cfg, int64_t close)
{
    tm_init(&f->m, cfg);
    f->cea = tg_instrument(&f->m, "CEA25", CETS_PRODUCT_CEA, close);
    f->ccer = tg_instrument(&f->m, "CCER", CETS_PRODUCT_CCER, close);
    f->au = tg_party(&f->m, CETS_PK_AUTHORITY, "MEE", 0);
    f->s = tg_party(&f->m, CETS_PK_ENTITY, "power plant", FUNDS);
    f->b = tg_party(&f->m, CETS_PK_INSTITUTION, "fund", FUNDS);
    f->c = tg_party(&f->m, CETS_PK_INSTITUTION, "broker", FUNDS);
    f->ind = tg_party(&f->m, CETS_PK_INDIVIDUAL, "zhang", FUNDS);
    f->ind2 = tg_party(&f->m, CETS_PK_INDIVIDUAL, "li", FUNDS);
    tg_credit(&f->m, f->s, f->cea, 1000000);
    tg_credit(&f->m, f->c, f->cea, 1000000);
    tg_credit(&f->m, f->ind, f->ccer, 500000);
    tm_at(&f->m, 13, 30);
}

static int quote(fx *f, uint32_t pid, int side, int64_t price, int64_t qty, cets_result *r)
{
    return tg_block(&f->m, CETS_CMD_BLOCK_QUOTE, pid, f->cea, side, price, qty, 0, 0, r);
}

static int propose(fx *f, uint32_t pid, int side, int64_t price, int64_t qty, uint64_t ref,
                   uint32_t to, cets_result *r)
{
    return tg_block(&f->m, CETS_CMD_BLOCK_PROPOSE, pid, f->cea, side, price, qty, ref, to, r);
}

static int accept(fx *f, uint32_t pid, int side, int64_t price, int64_t qty, uint64_t id,
                  cets_result *r)
{
    return tg_block(&f->m, CETS_CMD_BLOCK_ACCEPT, pid, f->cea, side, price, qty, id, 0, r);
}

static int answer(fx *f, int type, uint32_t pid, uint64_t id)
{
    return tg_block(&f->m, type, pid, 0, 0, 0, 0, id, 0, NULL);
}

static cets_block_info block(const fx *f, uint64_t id)
{
    cets_block_info b;
    memset(&b, 0, sizeof b);
    assert_int_equal(cets_block_get(f->m.e, id, &b), CETS_OK);
    return b;
}

/* The last BLOCK event about block id. */
static const cets_block_info *block_event(const fx *f, uint64_t id)
{
    for (size_t i = f->m.nev; i-- > 0;)
        if (f->m.ev[i].type == CETS_EV_BLOCK && f->m.ev[i].u.block.id == id)
            return &f->m.ev[i].u.block;
    return NULL;
}

/* ---- size, band, tick, session --------------------------------------------- */

static void test_block_minimum_size(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, NULL, 5000);
    cets_result r;
    TR_REJECT(&f.m, CETS_QTY_OUT_OF_RANGE, quote(&f, f.s, CETS_SELL, 5000, 99999, NULL));
    TR_REJECT(&f.m, CETS_QTY_OUT_OF_RANGE, quote(&f, f.s, CETS_SELL, 5000, 0, NULL));
    TR_REJECT(&f.m, CETS_QTY_OUT_OF_RANGE, quote(&f, f.s, CETS_SELL, 5000, 1000000001, NULL));
    TR_REJECT(&f.m, CETS_QTY_OUT_OF_RANGE, propose(&f, f.s, CETS_SELL, 5000, 99999, 0, f.b, NULL));
    TR_OK(&f.m, quote(&f, f.s, CETS_SELL, 5000, 100000, &r));
    assert_true(block(&f, r.order_id).is_quote);
    TR_OK(&f.m, propose(&f, f.s, CETS_SELL, 5000, 100000, 0, f.b, &r));
    assert_int_equal(tm_hold(&f.m, f.s, f.cea).frozen, 100000);
    tm_free(&f.m);
}

/* ±30% of the previous close, rounded inwards like the listing band:
 * 51.23 gives upper floor(66.599) = 66.59 and lower ceil(35.861) = 35.87. */
static void test_block_band_edges(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, NULL, 5123);
    TR_OK(&f.m, quote(&f, f.s, CETS_SELL, 6659, 100000, NULL));
    TR_REJECT(&f.m, CETS_PRICE_OUT_OF_BAND, quote(&f, f.s, CETS_SELL, 6660, 100000, NULL));
    TR_OK(&f.m, quote(&f, f.b, CETS_BUY, 3587, 100000, NULL));
    TR_REJECT(&f.m, CETS_PRICE_OUT_OF_BAND, quote(&f, f.b, CETS_BUY, 3586, 100000, NULL));
    TR_REJECT(&f.m, CETS_PRICE_OUT_OF_BAND, quote(&f, f.b, CETS_BUY, 0, 100000, NULL));
    TR_REJECT(&f.m, CETS_PRICE_OUT_OF_BAND, quote(&f, f.b, CETS_BUY, -5000, 100000, NULL));
    TR_REJECT(&f.m, CETS_PRICE_OUT_OF_BAND,
              propose(&f, f.s, CETS_SELL, 6660, 100000, 0, f.b, NULL));
    TR_REJECT(&f.m, CETS_PRICE_OUT_OF_BAND, propose(&f, f.b, CETS_BUY, 3586, 100000, 0, f.s, NULL));
    TR_OK(&f.m, propose(&f, f.s, CETS_SELL, 6659, 100000, 0, f.b, NULL));
    TR_OK(&f.m, propose(&f, f.b, CETS_BUY, 3587, 100000, 0, f.s, NULL));
    tm_free(&f.m);
}

/* A rejected block command's message names the block rule with the
 * configured numbers, not the listing defaults (issue 9): the band +/-30%,
 * the sizes 100,000 to 1,000,000,000 t; a listing command's names the
 * listing rule. A market configured otherwise says its own numbers. */
static void test_block_reject_messages(void **state)
{
    (void)state;
    char buf[256];
    cets_cmd c = {.type = CETS_CMD_BLOCK_QUOTE};
    fx f;
    fx_init(&f, NULL, 5000);
    TR_REJECT(&f.m, CETS_PRICE_OUT_OF_BAND, quote(&f, f.s, CETS_SELL, 6501, 100000, NULL));
    assert_string_equal(cets_reject_message(f.m.e, &c, CETS_PRICE_OUT_OF_BAND, buf, sizeof buf),
                        "price is outside the block band (previous close +/-30%)");
    TR_REJECT(&f.m, CETS_QTY_OUT_OF_RANGE, quote(&f, f.s, CETS_SELL, 5000, 5000, NULL));
    assert_string_equal(cets_reject_message(f.m.e, &c, CETS_QTY_OUT_OF_RANGE, buf, sizeof buf),
                        "quantity is outside the limits (block: 100,000 to 1,000,000,000 t)");
    c.type = CETS_CMD_BLOCK_ACCEPT;
    assert_string_equal(cets_reject_message(f.m.e, &c, CETS_PRICE_OUT_OF_BAND, buf, sizeof buf),
                        "price is outside the block band (previous close +/-30%)");
    c.type = CETS_CMD_POST;
    assert_string_equal(cets_reject_message(f.m.e, &c, CETS_PRICE_OUT_OF_BAND, buf, sizeof buf),
                        "price is outside today's band (previous close +/-10%)");
    assert_string_equal(cets_reject_message(f.m.e, &c, CETS_QTY_OUT_OF_RANGE, buf, sizeof buf),
                        "quantity is outside the limits (listing: 1 to 99,999 t)");
    tm_free(&f.m);

    cets_config cfg;
    cets_config_default(&cfg);
    cfg.start_date = TM_DATE;
    cfg.block_band_bp = 2250;
    cfg.block_min_qty = 50000;
    cfg.listing_band_bp = 500;
    cfg.listing_max_qty = 1000000;
    fx_init(&f, &cfg, 5000);
    TR_REJECT(&f.m, CETS_PRICE_OUT_OF_BAND, quote(&f, f.s, CETS_SELL, 6200, 100000, NULL));
    c.type = CETS_CMD_BLOCK_PROPOSE;
    assert_string_equal(cets_reject_message(f.m.e, &c, CETS_PRICE_OUT_OF_BAND, buf, sizeof buf),
                        "price is outside the block band (previous close +/-22.5%)");
    TR_REJECT(&f.m, CETS_QTY_OUT_OF_RANGE, quote(&f, f.s, CETS_SELL, 5000, 49999, NULL));
    assert_string_equal(cets_reject_message(f.m.e, &c, CETS_QTY_OUT_OF_RANGE, buf, sizeof buf),
                        "quantity is outside the limits (block: 50,000 to 1,000,000,000 t)");
    c.type = CETS_CMD_TAKE;
    assert_string_equal(cets_reject_message(f.m.e, &c, CETS_PRICE_OUT_OF_BAND, buf, sizeof buf),
                        "price is outside today's band (previous close +/-5%)");
    assert_string_equal(cets_reject_message(f.m.e, &c, CETS_QTY_OUT_OF_RANGE, buf, sizeof buf),
                        "quantity is outside the limits (listing: 1 to 1,000,000 t)");
    tm_free(&f.m);
}

/* The band follows the previous close: a listing trade at 52.00 makes
 * tomorrow's block band 36.40 .. 67.60. */
static void test_block_band_follows_close(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, NULL, 5000);
    cets_result r;
    tm_at(&f.m, 10, 0);
    TR_OK(&f.m, tm_post(&f.m, f.c, f.cea, CETS_SELL, 5200, 1000, &r));
    cets_target t = {r.order_id, 1000};
    TR_OK(&f.m, tm_take_targets(&f.m, f.b, f.cea, CETS_BUY, 1, &t, NULL));
    TR_OK(&f.m, tm_eod(&f.m));
    tm_at(&f.m, 13, 0);
    TR_OK(&f.m, quote(&f, f.s, CETS_SELL, 6760, 100000, NULL));
    TR_REJECT(&f.m, CETS_PRICE_OUT_OF_BAND, quote(&f, f.s, CETS_SELL, 6761, 100000, NULL));
    TR_OK(&f.m, quote(&f, f.s, CETS_SELL, 3640, 100000, NULL));
    TR_REJECT(&f.m, CETS_PRICE_OUT_OF_BAND, quote(&f, f.s, CETS_SELL, 3639, 100000, NULL));
    tm_free(&f.m);
}

static void test_block_price_tick(void **state)
{
    (void)state;
    cets_config cfg;
    cets_config_default(&cfg);
    cfg.start_date = TM_DATE;
    cfg.tick = 10;
    fx f;
    fx_init(&f, &cfg, 5120);
    TR_REJECT(&f.m, CETS_PRICE_TICK, quote(&f, f.s, CETS_SELL, 6651, 100000, NULL));
    TR_REJECT(&f.m, CETS_PRICE_TICK, propose(&f, f.s, CETS_SELL, 5005, 100000, 0, f.b, NULL));
    TR_OK(&f.m, quote(&f, f.s, CETS_SELL, 6650, 100000, NULL)); /* upper: floor(66.56) */
    TR_REJECT(&f.m, CETS_PRICE_OUT_OF_BAND, quote(&f, f.s, CETS_SELL, 6660, 100000, NULL));
    tm_free(&f.m);
}

/* 13:00 inclusive to 15:00 exclusive; the morning session does not count. */
static void test_block_afternoon_only(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, NULL, 5000);
    cets_result r;
    TR_OK(&f.m, tm_eod(&f.m)); /* start the next day in the morning */
    int hm[][2] = {{9, 30}, {10, 0}, {11, 29}, {12, 0}, {12, 59}};
    for (size_t i = 0; i < sizeof hm / sizeof hm[0]; i++) {
        tm_at(&f.m, hm[i][0], hm[i][1]);
        TR_REJECT(&f.m, CETS_SESSION_CLOSED, quote(&f, f.s, CETS_SELL, 5000, 100000, NULL));
        TR_REJECT(&f.m, CETS_SESSION_CLOSED,
                  propose(&f, f.s, CETS_SELL, 5000, 100000, 0, f.b, NULL));
    }
    tm_at(&f.m, 13, 0);
    TR_OK(&f.m, quote(&f, f.s, CETS_SELL, 5000, 100000, NULL));
    tm_at(&f.m, 14, 59);
    TR_OK(&f.m, propose(&f, f.s, CETS_SELL, 5000, 100000, 0, f.b, &r));
    uint64_t late = r.order_id;
    TR_OK(&f.m, propose(&f, f.s, CETS_SELL, 5000, 100000, 0, f.c, &r));
    uint64_t other = r.order_id;
    /* confirming is trading too: not after 15:00 */
    tm_at(&f.m, 15, 0);
    TR_REJECT(&f.m, CETS_SESSION_CLOSED, accept(&f, f.b, CETS_BUY, 5000, 100000, late, NULL));
    TR_REJECT(&f.m, CETS_SESSION_CLOSED, quote(&f, f.s, CETS_SELL, 5000, 100000, NULL));
    TR_REJECT(&f.m, CETS_SESSION_CLOSED, propose(&f, f.s, CETS_SELL, 5000, 100000, 0, f.b, NULL));
    /* declining and withdrawing free reservations: allowed at any time */
    TR_OK(&f.m, answer(&f, CETS_CMD_BLOCK_DECLINE, f.b, late));
    tm_at(&f.m, 16, 0);
    TR_OK(&f.m, answer(&f, CETS_CMD_BLOCK_WITHDRAW, f.s, other));
    assert_int_equal(tm_hold(&f.m, f.s, f.cea).frozen, 0);
    TR_REJECT(&f.m, CETS_SESSION_CLOSED, quote(&f, f.s, CETS_SELL, 5000, 100000, NULL));
    tm_free(&f.m);
}

/* ---- who may propose to whom ------------------------------------------------ */

static void test_block_parties(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, NULL, 5000);
    TR_REJECT(&f.m, CETS_UNKNOWN_PARTICIPANT,
              propose(&f, f.s, CETS_SELL, 5000, 100000, 0, 0, NULL));
    TR_REJECT(&f.m, CETS_UNKNOWN_PARTICIPANT,
              propose(&f, f.s, CETS_SELL, 5000, 100000, 0, CETS_EXCHANGE_ID, NULL));
    TR_REJECT(&f.m, CETS_UNKNOWN_PARTICIPANT,
              propose(&f, f.s, CETS_SELL, 5000, 100000, 0, 999, NULL));
    TR_REJECT(&f.m, CETS_SELF_TRADE, propose(&f, f.s, CETS_SELL, 5000, 100000, 0, f.s, NULL));
    TR_REJECT(&f.m, CETS_KIND_NOT_ALLOWED,
              propose(&f, f.s, CETS_SELL, 5000, 100000, 0, f.au, NULL));
    TR_REJECT(&f.m, CETS_KIND_NOT_ALLOWED,
              propose(&f, f.s, CETS_SELL, 5000, 100000, 0, f.ind, NULL));
    TR_REJECT(&f.m, CETS_KIND_NOT_ALLOWED,
              propose(&f, f.ind, CETS_BUY, 5000, 100000, 0, f.s, NULL));
    TR_REJECT(&f.m, CETS_KIND_NOT_ALLOWED, quote(&f, f.au, CETS_BUY, 5000, 100000, NULL));
    TR_REJECT(&f.m, CETS_KIND_NOT_ALLOWED,
              quote(&f, CETS_EXCHANGE_ID, CETS_BUY, 5000, 100000, NULL));
    TR_REJECT(&f.m, CETS_UNKNOWN_PARTICIPANT, quote(&f, 999, CETS_BUY, 5000, 100000, NULL));
    TR_REJECT(&f.m, CETS_NOT_AUTHORISED,
              tg_block_as(&f.m, CETS_CMD_BLOCK_PROPOSE, f.c, f.s, f.cea, CETS_SELL, 5000, 100000, 0,
                          f.b, NULL));
    TR_REJECT(&f.m, CETS_BAD_SIDE, quote(&f, f.s, 0, 5000, 100000, NULL));
    TR_REJECT(&f.m, CETS_BAD_SIDE, propose(&f, f.s, 3, 5000, 100000, 0, f.b, NULL));
    TR_REJECT(&f.m, CETS_UNKNOWN_INSTRUMENT,
              tg_block(&f.m, CETS_CMD_BLOCK_QUOTE, f.s, 9, CETS_SELL, 5000, 100000, 0, 0, NULL));
    /* individuals deal in CCER, also by block */
    TR_OK(&f.m, tg_block(&f.m, CETS_CMD_BLOCK_PROPOSE, f.ind, f.ccer, CETS_SELL, 5000, 100000, 0,
                         f.ind2, NULL));
    /* status and halts */
    TR_OK(&f.m, tr_cmd(&f.m, CETS_CMD_PARTICIPANT_STATUS, CETS_EXCHANGE_ID, f.s, 0, 0,
                       CETS_PS_SUSPENDED));
    TR_REJECT(&f.m, CETS_PARTICIPANT_SUSPENDED,
              propose(&f, f.s, CETS_SELL, 5000, 100000, 0, f.b, NULL));
    TR_OK(&f.m, tg_judicial(&f.m, f.au, f.s, 1));
    TR_REJECT(&f.m, CETS_PARTICIPANT_FROZEN, quote(&f, f.s, CETS_SELL, 5000, 100000, NULL));
    TR_OK(&f.m, tg_judicial(&f.m, f.au, f.s, 0));
    TR_OK(&f.m, tr_cmd(&f.m, CETS_CMD_INSTRUMENT_HALT, CETS_EXCHANGE_ID, 0, f.cea, 0, 1));
    TR_REJECT(&f.m, CETS_INSTRUMENT_HALTED,
              propose(&f, f.s, CETS_SELL, 5000, 100000, 0, f.b, NULL));
    TR_OK(&f.m, tr_cmd(&f.m, CETS_CMD_INSTRUMENT_HALT, CETS_EXCHANGE_ID, 0, f.cea, 0, 0));
    TR_OK(&f.m, tr_cmd(&f.m, CETS_CMD_MARKET_HALT, CETS_EXCHANGE_ID, 0, 0, 0, 1));
    TR_REJECT(&f.m, CETS_MARKET_HALTED, quote(&f, f.s, CETS_SELL, 5000, 100000, NULL));
    TR_OK(&f.m, tr_cmd(&f.m, CETS_CMD_MARKET_HALT, CETS_EXCHANGE_ID, 0, 0, 0, 0));
    TR_OK(&f.m, propose(&f, f.s, CETS_SELL, 5000, 100000, 0, f.b, NULL));
    tm_free(&f.m);
}

/* ---- a direct proposal, accepted: delivery versus payment ------------------- */

static void test_block_direct_sell_proposal(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, NULL, 5000);
    cets_result r;
    TR_OK(&f.m, propose(&f, f.s, CETS_SELL, 5100, 200000, 0, f.b, &r));
    uint64_t id = r.order_id;
    /* the proposal is the seller's confirmation: its tonnes are frozen now */
    assert_int_equal(tm_hold(&f.m, f.s, f.cea).frozen, 200000);
    assert_int_equal(tm_hold(&f.m, f.s, f.cea).available, 800000);
    const cets_block_info *ev = block_event(&f, id);
    assert_non_null(ev);
    assert_int_equal(ev->status, CETS_BLOCK_OPEN);
    assert_int_equal(ev->owner, f.s);
    assert_int_equal(ev->counterparty, f.b);
    assert_int_equal(ev->reserved, 200000);
    assert_false(ev->is_quote);
    int64_t value = 5100LL * 200000, fee = tg_fee(value, FEE_PPM);
    int64_t exch = tm_avail(&f.m, CETS_EXCHANGE_ID);
    TR_OK(&f.m, accept(&f, f.b, CETS_BUY, 5100, 200000, id, &r));
    assert_int_equal(r.filled_qty, 200000);
    assert_int_equal(r.filled_value, value);
    assert_int_equal(r.ntrades, 1);
    cets_trade t[2];
    assert_int_equal(tr_trades(&f.m, t, 2), 1);
    assert_int_equal(t[0].method, CETS_METHOD_BLOCK);
    assert_int_equal(t[0].buyer, f.b);
    assert_int_equal(t[0].seller, f.s);
    assert_int_equal(t[0].sell_order, id);
    assert_int_equal(t[0].buy_order, 0);
    assert_int_equal(t[0].price, 5100);
    assert_int_equal(t[0].qty, 200000);
    assert_int_equal(t[0].buyer_fee, fee);
    assert_int_equal(t[0].seller_fee, fee);
    assert_int_equal(tm_avail(&f.m, f.b), FUNDS - value - fee);
    assert_int_equal(tm_frozen(&f.m, f.b), 0);
    assert_int_equal(tm_hold(&f.m, f.b, f.cea).locked, 200000); /* T+1 */
    assert_int_equal(tm_avail(&f.m, f.s), FUNDS + value - fee);
    assert_int_equal(tm_hold(&f.m, f.s, f.cea).frozen, 0);
    assert_int_equal(tm_hold(&f.m, f.s, f.cea).available, 800000);
    assert_int_equal(tm_avail(&f.m, CETS_EXCHANGE_ID), exch + 2 * fee);
    cets_block_info bi = block(&f, id);
    assert_int_equal(bi.status, CETS_BLOCK_ACCEPTED);
    assert_int_equal(bi.trade_id, t[0].trade_id);
    assert_int_equal(bi.reserved, 0);
    /* accepted once: a second confirmation finds nothing open */
    TR_REJECT(&f.m, CETS_UNKNOWN_BLOCK, accept(&f, f.b, CETS_BUY, 5100, 200000, id, NULL));
    tm_free(&f.m);
}

/* A buy proposal freezes value + fee (half-up), accepted by the seller. */
static void test_block_direct_buy_proposal(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, NULL, 5000);
    cets_result r;
    int64_t value = 5000LL * 150001; /* 750,005,000 fen: fee 375,002.5 -> 375,003 */
    int64_t fee = tg_fee(value, FEE_PPM);
    assert_int_equal(fee, 375003);
    TR_OK(&f.m, propose(&f, f.b, CETS_BUY, 5000, 150001, 0, f.s, &r));
    uint64_t id = r.order_id;
    assert_int_equal(tm_frozen(&f.m, f.b), value + fee);
    assert_int_equal(tm_avail(&f.m, f.b), FUNDS - value - fee);
    assert_int_equal(block(&f, id).reserved, value + fee);
    TR_OK(&f.m, accept(&f, f.s, CETS_SELL, 5000, 150001, id, NULL));
    assert_int_equal(tm_frozen(&f.m, f.b), 0);
    assert_int_equal(tm_avail(&f.m, f.b), FUNDS - value - fee);
    assert_int_equal(tm_avail(&f.m, f.s), FUNDS + value - fee);
    assert_int_equal(tm_hold(&f.m, f.b, f.cea).locked, 150001);
    assert_int_equal(tm_hold(&f.m, f.s, f.cea).available, 1000000 - 150001);
    tm_free(&f.m);
}

/* ---- quotes on the board, answered ------------------------------------------ */

static void test_block_answer_to_quote(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, NULL, 5000);
    cets_result r;
    /* a board quote reserves nothing, not even funds of a buyer */
    uint32_t poor = tg_party(&f.m, CETS_PK_INSTITUTION, "poor", 0);
    TR_OK(&f.m, quote(&f, poor, CETS_BUY, 5000, 100000, NULL));
    assert_int_equal(tm_frozen(&f.m, poor), 0);
    TR_OK(&f.m, quote(&f, f.b, CETS_BUY, 5200, 300000, &r));
    uint64_t q = r.order_id;
    assert_int_equal(tm_frozen(&f.m, f.b), 0);
    TR_REJECT(&f.m, CETS_TERMS_MISMATCH, propose(&f, f.c, CETS_BUY, 5200, 300000, q, 0, NULL));
    TR_REJECT(
        &f.m, CETS_TERMS_MISMATCH,
        tg_block(&f.m, CETS_CMD_BLOCK_PROPOSE, f.ind, f.ccer, CETS_SELL, 5200, 300000, q, 0, NULL));
    TR_REJECT(&f.m, CETS_SELF_TRADE, propose(&f, f.b, CETS_SELL, 5200, 300000, q, 0, NULL));
    TR_REJECT(&f.m, CETS_UNKNOWN_BLOCK, propose(&f, f.s, CETS_SELL, 5200, 300000, 999, 0, NULL));
    /* the answer may change the terms; it goes to the quote's owner */
    TR_OK(&f.m, propose(&f, f.s, CETS_SELL, 5300, 250000, q, 0, &r));
    uint64_t p = r.order_id;
    cets_block_info bi = block(&f, p);
    assert_int_equal(bi.counterparty, f.b);
    assert_int_equal(bi.answers, q);
    assert_int_equal(tm_hold(&f.m, f.s, f.cea).frozen, 250000);
    /* another seller answers too; the quote stays open until a trade */
    TR_OK(&f.m, propose(&f, f.c, CETS_SELL, 5250, 300000, q, 0, NULL));
    assert_int_equal(block(&f, q).status, CETS_BLOCK_OPEN);
    /* a quote is no proposal: it cannot be accepted or declined */
    TR_REJECT(&f.m, CETS_UNKNOWN_BLOCK, accept(&f, f.s, CETS_SELL, 5200, 300000, q, NULL));
    TR_REJECT(&f.m, CETS_UNKNOWN_BLOCK, answer(&f, CETS_CMD_BLOCK_DECLINE, f.s, q));
    TR_OK(&f.m, accept(&f, f.b, CETS_BUY, 5300, 250000, p, NULL));
    assert_int_equal(block(&f, q).status, CETS_BLOCK_CLOSED);
    const cets_block_info *ev = block_event(&f, q);
    assert_non_null(ev);
    assert_int_equal(ev->status, CETS_BLOCK_CLOSED);
    /* a closed quote can no longer be answered */
    TR_REJECT(&f.m, CETS_UNKNOWN_BLOCK, propose(&f, f.s, CETS_SELL, 5200, 100000, q, 0, NULL));
    tm_free(&f.m);
}

/* ---- negotiation: counter-proposals ------------------------------------------ */

static void test_block_counter_proposals(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, NULL, 5000);
    cets_result r;
    TR_OK(&f.m, quote(&f, f.s, CETS_SELL, 5500, 200000, &r));
    uint64_t q = r.order_id;
    TR_OK(&f.m, propose(&f, f.b, CETS_BUY, 5000, 200000, q, 0, &r));
    uint64_t p1 = r.order_id;
    int64_t need1 = 5000LL * 200000 + tg_fee(5000LL * 200000, FEE_PPM);
    assert_int_equal(tm_frozen(&f.m, f.b), need1);
    /* only the addressee may counter, not a third party, not the proposer */
    TR_REJECT(&f.m, CETS_NOT_ADDRESSEE, propose(&f, f.c, CETS_SELL, 5200, 200000, p1, 0, NULL));
    TR_REJECT(&f.m, CETS_SELF_TRADE, propose(&f, f.b, CETS_SELL, 5200, 200000, p1, 0, NULL));
    TR_REJECT(&f.m, CETS_TERMS_MISMATCH, propose(&f, f.s, CETS_BUY, 5200, 200000, p1, 0, NULL));
    /* the seller counters: the buyer's confirmation is released, exactly */
    TR_OK(&f.m, propose(&f, f.s, CETS_SELL, 5300, 200000, p1, 0, &r));
    uint64_t p2 = r.order_id;
    assert_int_equal(block(&f, p1).status, CETS_BLOCK_COUNTERED);
    assert_int_equal(block(&f, p1).reserved, 0);
    assert_int_equal(tm_frozen(&f.m, f.b), 0);
    assert_int_equal(tm_avail(&f.m, f.b), FUNDS);
    assert_int_equal(tm_hold(&f.m, f.s, f.cea).frozen, 200000);
    assert_int_equal(block(&f, p2).counterparty, f.b);
    /* a countered proposal is closed */
    TR_REJECT(&f.m, CETS_UNKNOWN_BLOCK, accept(&f, f.s, CETS_SELL, 5000, 200000, p1, NULL));
    TR_REJECT(&f.m, CETS_UNKNOWN_BLOCK, propose(&f, f.s, CETS_SELL, 5100, 200000, p1, 0, NULL));
    /* the buyer counters back; then the seller accepts */
    TR_OK(&f.m, propose(&f, f.b, CETS_BUY, 5150, 200000, p2, 0, &r));
    uint64_t p3 = r.order_id;
    assert_int_equal(tm_hold(&f.m, f.s, f.cea).frozen, 0);
    int64_t value = 5150LL * 200000, fee = tg_fee(value, FEE_PPM);
    assert_int_equal(tm_frozen(&f.m, f.b), value + fee);
    TR_OK(&f.m, accept(&f, f.s, CETS_SELL, 5150, 200000, p3, NULL));
    assert_int_equal(tm_avail(&f.m, f.b), FUNDS - value - fee);
    assert_int_equal(tm_avail(&f.m, f.s), FUNDS + value - fee);
    /* the negotiation began on the board: its quote is closed by the trade */
    assert_int_equal(block(&f, q).status, CETS_BLOCK_CLOSED);
    assert_int_equal(block(&f, p2).status, CETS_BLOCK_COUNTERED);
    assert_int_equal(block(&f, p3).status, CETS_BLOCK_ACCEPTED);
    tm_free(&f.m);
}

/* ---- confirmation must repeat the terms --------------------------------------- */

static void test_block_accept_terms(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, NULL, 5000);
    cets_result r;
    TR_OK(&f.m, propose(&f, f.s, CETS_SELL, 5100, 200000, 0, f.b, &r));
    uint64_t id = r.order_id;
    TR_REJECT(&f.m, CETS_TERMS_MISMATCH, accept(&f, f.b, CETS_BUY, 5101, 200000, id, NULL));
    TR_REJECT(&f.m, CETS_TERMS_MISMATCH, accept(&f, f.b, CETS_BUY, 5100, 199999, id, NULL));
    TR_REJECT(&f.m, CETS_TERMS_MISMATCH, accept(&f, f.b, CETS_BUY, 5100, 200001, id, NULL));
    TR_REJECT(&f.m, CETS_TERMS_MISMATCH, accept(&f, f.b, CETS_SELL, 5100, 200000, id, NULL));
    TR_REJECT(&f.m, CETS_TERMS_MISMATCH, accept(&f, f.b, 0, 5100, 200000, id, NULL));
    TR_REJECT(
        &f.m, CETS_TERMS_MISMATCH,
        tg_block(&f.m, CETS_CMD_BLOCK_ACCEPT, f.b, f.ccer, CETS_BUY, 5100, 200000, id, 0, NULL));
    TR_REJECT(&f.m, CETS_NOT_ADDRESSEE, accept(&f, f.c, CETS_BUY, 5100, 200000, id, NULL));
    TR_REJECT(&f.m, CETS_NOT_ADDRESSEE, accept(&f, f.s, CETS_BUY, 5100, 200000, id, NULL));
    TR_REJECT(&f.m, CETS_UNKNOWN_BLOCK, accept(&f, f.b, CETS_BUY, 5100, 200000, 999, NULL));
    TR_REJECT(&f.m, CETS_NOT_AUTHORISED,
              tg_block_as(&f.m, CETS_CMD_BLOCK_ACCEPT, f.c, f.b, f.cea, CETS_BUY, 5100, 200000, id,
                          0, NULL));
    TR_OK(&f.m, accept(&f, f.b, CETS_BUY, 5100, 200000, id, NULL));
    tm_free(&f.m);
}

/* ---- decline and withdraw ------------------------------------------------------ */

static void test_block_decline(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, NULL, 5000);
    cets_result r;
    TR_OK(&f.m, propose(&f, f.b, CETS_BUY, 5000, 100001, 0, f.s, &r));
    uint64_t id = r.order_id;
    TR_REJECT(&f.m, CETS_NOT_ADDRESSEE, answer(&f, CETS_CMD_BLOCK_DECLINE, f.c, id));
    TR_REJECT(&f.m, CETS_NOT_ADDRESSEE, answer(&f, CETS_CMD_BLOCK_DECLINE, f.b, id));
    TR_REJECT(&f.m, CETS_NOT_AUTHORISED,
              tg_block_as(&f.m, CETS_CMD_BLOCK_DECLINE, f.c, f.s, 0, 0, 0, 0, id, 0, NULL));
    TR_REJECT(&f.m, CETS_UNKNOWN_PARTICIPANT, answer(&f, CETS_CMD_BLOCK_DECLINE, 999, id));
    TR_REJECT(&f.m, CETS_UNKNOWN_BLOCK, answer(&f, CETS_CMD_BLOCK_DECLINE, f.s, 999));
    TR_OK(&f.m, answer(&f, CETS_CMD_BLOCK_DECLINE, f.s, id));
    assert_int_equal(block(&f, id).status, CETS_BLOCK_DECLINED);
    assert_int_equal(tm_frozen(&f.m, f.b), 0);
    assert_int_equal(tm_avail(&f.m, f.b), FUNDS);
    const cets_block_info *ev = block_event(&f, id);
    assert_non_null(ev);
    assert_int_equal(ev->status, CETS_BLOCK_DECLINED);
    TR_REJECT(&f.m, CETS_UNKNOWN_BLOCK, answer(&f, CETS_CMD_BLOCK_DECLINE, f.s, id));
    TR_REJECT(&f.m, CETS_UNKNOWN_BLOCK, accept(&f, f.s, CETS_SELL, 5000, 100001, id, NULL));
    tm_free(&f.m);
}

static void test_block_withdraw(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, NULL, 5000);
    cets_result r;
    TR_OK(&f.m, quote(&f, f.s, CETS_SELL, 5000, 100000, &r));
    uint64_t q = r.order_id;
    TR_OK(&f.m, propose(&f, f.s, CETS_SELL, 5000, 300000, 0, f.b, &r));
    uint64_t p = r.order_id;
    TR_REJECT(&f.m, CETS_NOT_OWNER, answer(&f, CETS_CMD_BLOCK_WITHDRAW, f.b, p));
    TR_REJECT(&f.m, CETS_NOT_OWNER, answer(&f, CETS_CMD_BLOCK_WITHDRAW, f.c, q));
    TR_REJECT(&f.m, CETS_NOT_AUTHORISED,
              tg_block_as(&f.m, CETS_CMD_BLOCK_WITHDRAW, f.b, f.s, 0, 0, 0, 0, p, 0, NULL));
    TR_REJECT(&f.m, CETS_UNKNOWN_BLOCK, answer(&f, CETS_CMD_BLOCK_WITHDRAW, f.s, 999));
    TR_OK(&f.m, answer(&f, CETS_CMD_BLOCK_WITHDRAW, f.s, q));
    TR_OK(&f.m, answer(&f, CETS_CMD_BLOCK_WITHDRAW, f.s, p));
    assert_int_equal(block(&f, q).status, CETS_BLOCK_WITHDRAWN);
    assert_int_equal(block(&f, p).status, CETS_BLOCK_WITHDRAWN);
    assert_int_equal(tm_hold(&f.m, f.s, f.cea).frozen, 0);
    assert_int_equal(tm_hold(&f.m, f.s, f.cea).available, 1000000);
    TR_REJECT(&f.m, CETS_UNKNOWN_BLOCK, answer(&f, CETS_CMD_BLOCK_WITHDRAW, f.s, p));
    TR_REJECT(&f.m, CETS_UNKNOWN_BLOCK, accept(&f, f.b, CETS_BUY, 5000, 300000, p, NULL));
    TR_REJECT(&f.m, CETS_UNKNOWN_BLOCK, propose(&f, f.b, CETS_BUY, 5000, 100000, q, 0, NULL));
    tm_free(&f.m);
}

/* ---- pre-funding on each confirmation -------------------------------------------- */

static void test_block_prefunding(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, NULL, 5000);
    cets_result r;
    int64_t value = 5001LL * 100001, fee = tg_fee(value, FEE_PPM);
    uint32_t buyer = tg_party(&f.m, CETS_PK_INSTITUTION, "exact", value + fee - 1);
    /* the proposer's confirmation needs value + fee available */
    TR_REJECT(&f.m, CETS_INSUFFICIENT_FUNDS,
              propose(&f, buyer, CETS_BUY, 5001, 100001, 0, f.s, NULL));
    TR_OK(&f.m, tm_admin(&f.m, CETS_CMD_DEPOSIT, buyer, 0, 1, 0));
    TR_OK(&f.m, propose(&f, buyer, CETS_BUY, 5001, 100001, 0, f.s, &r));
    assert_int_equal(tm_avail(&f.m, buyer), 0);
    TR_OK(&f.m, answer(&f, CETS_CMD_BLOCK_WITHDRAW, buyer, r.order_id));
    /* the acceptor's confirmation too */
    TR_OK(&f.m, propose(&f, f.s, CETS_SELL, 5001, 100001, 0, buyer, &r));
    uint64_t id = r.order_id;
    TR_OK(&f.m, tm_admin(&f.m, CETS_CMD_WITHDRAW, buyer, 0, 1, 0));
    TR_REJECT(&f.m, CETS_INSUFFICIENT_FUNDS, accept(&f, buyer, CETS_BUY, 5001, 100001, id, NULL));
    TR_OK(&f.m, tm_admin(&f.m, CETS_CMD_DEPOSIT, buyer, 0, 1, 0));
    TR_OK(&f.m, accept(&f, buyer, CETS_BUY, 5001, 100001, id, NULL));
    assert_int_equal(tm_avail(&f.m, buyer), 0);
    assert_int_equal(tm_frozen(&f.m, buyer), 0);
    /* a seller needs available tonnes; bought today is T+1 locked */
    TR_REJECT(&f.m, CETS_T1_LOCKED, propose(&f, buyer, CETS_SELL, 5000, 100001, 0, f.c, NULL));
    TR_OK(&f.m, propose(&f, f.c, CETS_BUY, 5000, 100001, 0, buyer, &r));
    TR_REJECT(&f.m, CETS_T1_LOCKED, accept(&f, buyer, CETS_SELL, 5000, 100001, r.order_id, NULL));
    uint32_t empty = tg_party(&f.m, CETS_PK_ENTITY, "empty", 0);
    TR_REJECT(&f.m, CETS_INSUFFICIENT_HOLDINGS,
              propose(&f, empty, CETS_SELL, 5000, 100000, 0, f.c, NULL));
    TR_OK(&f.m, propose(&f, f.c, CETS_BUY, 5000, 100000, 0, empty, &r));
    TR_REJECT(&f.m, CETS_INSUFFICIENT_HOLDINGS,
              accept(&f, empty, CETS_SELL, 5000, 100000, r.order_id, NULL));
    /* tonnes frozen by a proposal cannot be offered twice */
    assert_int_equal(tm_hold(&f.m, f.s, f.cea).available, 1000000 - 100001);
    TR_OK(&f.m, propose(&f, f.s, CETS_SELL, 5000, 1000000 - 100001, 0, f.c, NULL));
    TR_REJECT(&f.m, CETS_INSUFFICIENT_HOLDINGS,
              propose(&f, f.s, CETS_SELL, 5000, 100000, 0, f.b, NULL));
    tm_free(&f.m);
}

/* ---- end of day: lapse with exact release ------------------------------------------- */

static void count_block(void *ctx, const cets_block_info *b)
{
    (void)b;
    ++*(int *)ctx;
}

static void test_block_lapse_at_end_of_day(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, NULL, 5000);
    cets_result r;
    uint64_t ids[4];
    TR_OK(&f.m, propose(&f, f.s, CETS_SELL, 5000, 300000, 0, f.b, &r));
    ids[0] = r.order_id;
    TR_OK(&f.m, propose(&f, f.b, CETS_BUY, 5001, 100001, 0, f.c, &r));
    ids[1] = r.order_id;
    TR_OK(&f.m, quote(&f, f.c, CETS_SELL, 5000, 100000, &r));
    ids[2] = r.order_id;
    TR_OK(&f.m, quote(&f, f.s, CETS_BUY, 5000, 100000, &r));
    ids[3] = r.order_id;
    assert_int_equal(tm_frozen(&f.m, f.b), 5001LL * 100001 + tg_fee(5001LL * 100001, FEE_PPM));
    TR_OK(&f.m, tm_eod(&f.m));
    for (int i = 0; i < 4; i++) {
        const cets_block_info *ev = block_event(&f, ids[i]);
        assert_non_null(ev);
        assert_int_equal(ev->status, CETS_BLOCK_LAPSED);
        assert_int_equal(ev->reserved, 0);
    }
    assert_int_equal(tm_count_events(&f.m, CETS_EV_BLOCK), 4);
    assert_int_equal(tm_avail(&f.m, f.b), FUNDS);
    assert_int_equal(tm_frozen(&f.m, f.b), 0);
    assert_int_equal(tm_hold(&f.m, f.s, f.cea).available, 1000000);
    assert_int_equal(tm_hold(&f.m, f.s, f.cea).frozen, 0);
    /* the board starts the next day empty */
    int n = 0;
    cets_blocks_foreach(f.m.e, 0, count_block, &n);
    assert_int_equal(n, 0);
    cets_block_info bi;
    assert_int_equal(cets_block_get(f.m.e, ids[0], &bi), CETS_UNKNOWN_BLOCK);
    tm_at(&f.m, 13, 30);
    TR_REJECT(&f.m, CETS_UNKNOWN_BLOCK, accept(&f, f.b, CETS_BUY, 5000, 300000, ids[0], NULL));
    TR_REJECT(&f.m, CETS_UNKNOWN_BLOCK, propose(&f, f.b, CETS_BUY, 5000, 100000, ids[2], 0, NULL));
    tm_free(&f.m);
}

/* The board as a participant sees it: its own, those addressed to it, all quotes. */
static void test_block_board_view(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, NULL, 5000);
    TR_OK(&f.m, quote(&f, f.c, CETS_SELL, 5000, 100000, NULL));
    TR_OK(&f.m, propose(&f, f.s, CETS_SELL, 5000, 100000, 0, f.b, NULL));
    TR_OK(&f.m, propose(&f, f.c, CETS_SELL, 5000, 100000, 0, f.s, NULL));
    int all = 0, b = 0, s = 0;
    cets_blocks_foreach(f.m.e, 0, count_block, &all);
    cets_blocks_foreach(f.m.e, f.b, count_block, &b);
    cets_blocks_foreach(f.m.e, f.s, count_block, &s);
    assert_int_equal(all, 3);
    assert_int_equal(b, 2); /* the quote, the proposal to it */
    assert_int_equal(s, 3);
    tm_free(&f.m);
}

/* ---- statistics: volume and turnover, never prices ------------------------------------ */

static void test_block_statistics(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, NULL, 5000);
    cets_result r;
    tm_at(&f.m, 10, 0);
    TR_OK(&f.m, tm_post(&f.m, f.c, f.cea, CETS_SELL, 5050, 1000, &r));
    cets_target t = {r.order_id, 1000};
    TR_OK(&f.m, tm_take_targets(&f.m, f.b, f.cea, CETS_BUY, 1, &t, NULL));
    tm_at(&f.m, 13, 30);
    TR_OK(&f.m, propose(&f, f.s, CETS_SELL, 6500, 200000, 0, f.b, &r)); /* upper edge */
    TR_OK(&f.m, accept(&f, f.b, CETS_BUY, 6500, 200000, r.order_id, NULL));
    TR_OK(&f.m, propose(&f, f.s, CETS_SELL, 3500, 100000, 0, f.c, &r)); /* lower edge */
    TR_OK(&f.m, accept(&f, f.c, CETS_BUY, 3500, 100000, r.order_id, NULL));
    cets_instrument_info ii;
    assert_int_equal(cets_instrument_get(f.m.e, f.cea, &ii), CETS_OK);
    assert_int_equal(ii.last, 5050);
    assert_int_equal(ii.today.high, 5050);
    assert_int_equal(ii.today.volume[CETS_METHOD_BLOCK], 300000);
    TR_OK(&f.m, tm_eod(&f.m));
    cets_day_stats st[2];
    assert_int_equal(cets_last_day_stats(f.m.e, st, 2, NULL, NULL), 2);
    int64_t bvalue = 6500LL * 200000 + 3500LL * 100000;
    assert_true(st[0].traded);
    assert_int_equal(st[0].open, 5050);
    assert_int_equal(st[0].high, 5050);
    assert_int_equal(st[0].low, 5050);
    assert_int_equal(st[0].close, 5050);
    assert_int_equal(st[0].volume[CETS_METHOD_LISTING], 1000);
    assert_int_equal(st[0].value[CETS_METHOD_LISTING], 5050000);
    assert_int_equal(st[0].volume[CETS_METHOD_BLOCK], 300000);
    assert_int_equal(st[0].value[CETS_METHOD_BLOCK], bvalue);
    assert_int_equal(st[0].trades[CETS_METHOD_BLOCK], 2);
    assert_int_equal(st[0].total_volume, 301000);
    assert_int_equal(st[0].total_value, 5050000 + bvalue);
    assert_int_equal(st[0].cum_volume[CETS_METHOD_BLOCK], 300000);
    assert_int_equal(st[0].next_upper, 5555);
    assert_int_equal(st[0].next_lower, 4545);
    /* a day of block trades only: the close carries over */
    tm_at(&f.m, 13, 30);
    TR_OK(&f.m, propose(&f, f.s, CETS_SELL, 6000, 100000, 0, f.c, &r));
    TR_OK(&f.m, accept(&f, f.c, CETS_BUY, 6000, 100000, r.order_id, NULL));
    TR_OK(&f.m, tm_eod(&f.m));
    assert_int_equal(cets_last_day_stats(f.m.e, st, 2, NULL, NULL), 2);
    assert_false(st[0].traded);
    assert_int_equal(st[0].close, 5050);
    assert_int_equal(st[0].open, 5050);
    assert_int_equal(st[0].change_bp, 0);
    assert_int_equal(st[0].volume[CETS_METHOD_BLOCK], 100000);
    assert_int_equal(st[0].cum_volume[CETS_METHOD_BLOCK], 400000);
    assert_int_equal(st[0].cum_value[CETS_METHOD_BLOCK], bvalue + 600000000);
    assert_int_equal(st[0].cum_volume[CETS_METHOD_LISTING], 1000);
    tm_free(&f.m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_block_minimum_size),
        cmocka_unit_test(test_block_band_edges),
        cmocka_unit_test(test_block_reject_messages),
        cmocka_unit_test(test_block_band_follows_close),
        cmocka_unit_test(test_block_price_tick),
        cmocka_unit_test(test_block_afternoon_only),
        cmocka_unit_test(test_block_parties),
        cmocka_unit_test(test_block_direct_sell_proposal),
        cmocka_unit_test(test_block_direct_buy_proposal),
        cmocka_unit_test(test_block_answer_to_quote),
        cmocka_unit_test(test_block_counter_proposals),
        cmocka_unit_test(test_block_accept_terms),
        cmocka_unit_test(test_block_decline),
        cmocka_unit_test(test_block_withdraw),
        cmocka_unit_test(test_block_prefunding),
        cmocka_unit_test(test_block_lapse_at_end_of_day),
        cmocka_unit_test(test_block_board_view),
        cmocka_unit_test(test_block_statistics),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
