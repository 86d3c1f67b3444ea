/* band.c -- what a price and a quantity must be, per trading method: the
 * listing band and size, the block band and size, the auction's price limits
 * and lot; and the rejection messages that name those numbers.
 *
 * Every band is a share of the previous close (basis points; the parameters
 * in force, params.c),
 * rounded inwards so that it is never wider than its percentage:
 * upper = floor(close x (1 + b)), lower = ceil(close x (1 - b)). The listing
 * band is then moved onto the tick, because listings rest on a ladder with
 * one level per tick across it; block and auction bounds are compared as they
 * are (docs/rules.md). A price must be positive (price_out_of_band), a
 * multiple of the tick (price_tick) and inside its bounds (price_out_of_band),
 * checked in that order for every method.
 */
#include <stdio.h>

#include "internal.h"

/* A band of bp basis points around close, rounded inwards. */
static void band_limits(int64_t close, int64_t bp, int64_t *lower, int64_t *upper)
{
    *upper = close * (10000 + bp) / 10000;
    *lower = (close * (10000 - bp) + 9999) / 10000;
}

void band_listing(const cets_config *cfg, int64_t close, int64_t tick, int64_t *lower,
                  int64_t *upper)
{
    int64_t lo, up;
    band_limits(close, cfg->listing_band_bp, &lo, &up);
    up -= up % tick; /* stay inside: round to the tick inwards */
    lo += (tick - lo % tick) % tick;
    if (lo < tick) lo = tick;
    if (up < lo) up = lo;
    *lower = lo;
    *upper = up;
}

void band_set(instrument *in, int64_t lower, int64_t upper)
{
    in->lower = lower;
    in->upper = upper;
}

static int check_price(int64_t price, int64_t tick, int64_t lower, int64_t upper)
{
    if (price <= 0 || (tick != 1 && price % tick)) /* tick 1: no 64-bit division */
        return price <= 0 ? CETS_PRICE_OUT_OF_BAND : CETS_PRICE_TICK;
    if (price < lower || price > upper) return CETS_PRICE_OUT_OF_BAND;
    return CETS_OK;
}

int band_check_listing_qty(const cets_engine *e, int64_t qty)
{
    return qty < e->cfg.listing_min_qty || qty > e->cfg.listing_max_qty ? CETS_QTY_OUT_OF_RANGE
                                                                        : CETS_OK;
}

int band_check_listing(const cets_engine *e, const instrument *in, int64_t price, int64_t qty)
{
    int rc = band_check_listing_qty(e, qty);
    return rc ? rc : check_price(price, in->tick, in->lower, in->upper);
}

int band_check_block(const cets_engine *e, const instrument *in, int64_t price, int64_t qty)
{
    if (qty < e->cfg.block_min_qty || qty > e->pv[CETS_PARAM_BLOCK_MAX_QTY])
        return CETS_QTY_OUT_OF_RANGE;
    int64_t lower, upper;
    band_limits(in->prev_close, e->cfg.block_band_bp, &lower, &upper);
    return check_price(price, in->tick, lower, upper);
}

int band_check_lot(const cets_engine *e, int64_t qty)
{
    return qty < e->cfg.block_min_qty || qty > e->pv[CETS_PARAM_AUCTION_MAX_LOT]
               ? CETS_QTY_OUT_OF_RANGE
               : CETS_OK;
}

/* From the previous close with the auction band (band.auction, the listing
 * band's 10% by default): a seller's floor is the close (limit 0) or close
 * -10% (limit 1) and buyers bid at most close +10%;
 * mirrored for a buyer's auction. */
void band_auction(const cets_engine *e, const instrument *in, int side, int64_t limit,
                  int64_t *reserve_price, int64_t *bid_limit)
{
    int64_t prev = in->prev_close, up, down;
    band_limits(prev, e->pv[CETS_PARAM_BAND_AUCTION], &down, &up);
    if (side == CETS_SELL) {
        *reserve_price = limit ? down : prev;
        *bid_limit = up;
    } else {
        *reserve_price = limit ? up : prev;
        *bid_limit = down;
    }
}

int band_check_bid(const cets_engine *e, const cets_auction_info *au, int64_t price, int64_t qty)
{
    if (qty < 1 || qty > au->lot) return CETS_QTY_OUT_OF_RANGE;
    int64_t lo = au->side == CETS_SELL ? au->reserve_price : au->bid_limit;
    int64_t hi = au->side == CETS_SELL ? au->bid_limit : au->reserve_price;
    return check_price(price, e->inst[au->instrument].tick, lo, hi);
}

/* ---- messages ------------------------------------------------------------ */

typedef enum rule { RULE_LISTING, RULE_BLOCK, RULE_LOT, RULE_BID, RULE_NONE } rule;

static rule rule_of(int cmd_type)
{
    switch (cmd_type) {
    case CETS_CMD_POST:
    case CETS_CMD_TAKE:
    case CETS_CMD_MODIFY: return RULE_LISTING;
    case CETS_CMD_BLOCK_QUOTE:
    case CETS_CMD_BLOCK_PROPOSE:
    case CETS_CMD_BLOCK_ACCEPT: return RULE_BLOCK;
    case CETS_CMD_AUCTION_CREATE: return RULE_LOT;
    case CETS_CMD_AUCTION_BID: return RULE_BID;
    }
    return RULE_NONE;
}

bool band_message(const cets_engine *e, int cmd_type, int code, char *buf, size_t len)
{
    const cets_config *cfg = &e->cfg;
    char a[32], b[32], p[16];
    rule r = rule_of(cmd_type);
    if (code == CETS_PRICE_TICK) { /* one tick for every method */
        cets_fmt_money(cfg->tick, a);
        snprintf(buf, len, "price is not a multiple of the tick (%s CNY)", a);
        return true;
    }
    if (code == CETS_PRICE_OUT_OF_BAND && r == RULE_LISTING) {
        snprintf(buf, len, "price is outside today's band (previous close +/-%s)",
                 fmt_percent(cfg->listing_band_bp, p, sizeof p));
        return true;
    }
    if (code == CETS_PRICE_OUT_OF_BAND && r == RULE_BLOCK) {
        snprintf(buf, len, "price is outside the block band (previous close +/-%s)",
                 fmt_percent(cfg->block_band_bp, p, sizeof p));
        return true;
    }
    if (code == CETS_PRICE_OUT_OF_BAND && r == RULE_BID) {
        snprintf(buf, len,
                 "price is outside the auction's limits (from its reserve price to the previous "
                 "close +/-%s)",
                 fmt_percent(e->pv[CETS_PARAM_BAND_AUCTION], p, sizeof p));
        return true;
    }
    if (code != CETS_QTY_OUT_OF_RANGE || r == RULE_NONE) return false;
    switch (r) {
    case RULE_LISTING:
        snprintf(buf, len, "quantity is outside the limits (listing: %s to %s t)",
                 fmt_thousands(cfg->listing_min_qty, a, sizeof a),
                 fmt_thousands(cfg->listing_max_qty, b, sizeof b));
        break;
    case RULE_BLOCK:
        snprintf(buf, len, "quantity is outside the limits (block: %s to %s t)",
                 fmt_thousands(cfg->block_min_qty, a, sizeof a),
                 fmt_thousands(e->pv[CETS_PARAM_BLOCK_MAX_QTY], b, sizeof b));
        break;
    case RULE_LOT:
        snprintf(buf, len, "quantity is outside the limits (auction lot: %s to %s t)",
                 fmt_thousands(cfg->block_min_qty, a, sizeof a),
                 fmt_thousands(e->pv[CETS_PARAM_AUCTION_MAX_LOT], b, sizeof b));
        break;
    default:
        snprintf(buf, len, "quantity is outside the limits (auction bid: 1 t to the lot)");
        break;
    }
    return true;
}
