/* auction.c -- one-way bidding (单向竞价): an initiator sells (or buys) a lot;
 * the other side bids within a window, fully pre-funded; at the close bids
 * rank by price, then time, the marginal bid may be partly filled, and every
 * winner pays the marginal price (uniform) or its own (pay-as-bid).
 *
 * The initiator's lot is reserved when the auction is created, each bid when
 * it is placed; the close settles every winning bid trade by trade and
 * releases everything unfilled, exactly. The initiator's fees are computed on
 * its cumulative value, like an order's, so they never exceed its
 * reservation. The same mechanism serves the authority's paid allocation.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static cets_auction_info *auction_find(cets_engine *e, uint64_t id)
{
    return id >= 1 && id <= e->nauctions ? &e->auctions[id - 1] : NULL;
}

static void emit_auction(cets_engine *e, const cets_auction_info *a, const cets_bid_info *bid)
{
    cets_event ev = {.type = CETS_EV_AUCTION};
    ev.u.auction.auction = *a;
    if (bid) ev.u.auction.bid = *bid;
    engine_emit(e, &ev);
}

static int opposite(int side)
{
    return side == CETS_BUY ? CETS_SELL : CETS_BUY;
}

static bool may_initiate(const cets_engine *e, const cets_cmd *c)
{
    if (c->actor == CETS_EXCHANGE_ID) return true;
    return c->actor >= 1 && c->actor <= e->nparts && c->actor == c->participant &&
           e->gates[c->actor].kind == CETS_PK_AUTHORITY;
}

int auction_create(cets_engine *e, const cets_cmd *c)
{
    if (!may_initiate(e, c)) return CETS_NOT_AUTHORISED;
    if (c->participant < 2 || c->participant > e->nparts) return CETS_UNKNOWN_PARTICIPANT;
    if (e->gates[c->participant].kind == CETS_PK_EXCHANGE) return CETS_KIND_NOT_ALLOWED;
    if (c->instrument >= e->ninst) return CETS_UNKNOWN_INSTRUMENT;
    int rc;
    if ((rc = risk_check_status(e, c->participant)) ||
        (rc = risk_check_product(e, c->participant, c->instrument)) ||
        (rc = risk_check_halts(e, c->instrument)))
        return rc;
    if (c->side != CETS_BUY && c->side != CETS_SELL) return CETS_BAD_SIDE;
    if ((rc = band_check_lot(e, c->qty))) return rc;
    const int64_t *a = c->u.args;
    if (a[CETS_AUCTION_ARG_END] <= a[CETS_AUCTION_ARG_START] || a[CETS_AUCTION_ARG_END] <= c->ts)
        return CETS_BAD_WINDOW;
    if ((a[CETS_AUCTION_ARG_MODE] != 0 && a[CETS_AUCTION_ARG_MODE] != 1) ||
        (a[CETS_AUCTION_ARG_LIMIT] != 0 && a[CETS_AUCTION_ARG_LIMIT] != 1) ||
        a[CETS_AUCTION_ARG_MIN_FILL] < 0 || a[CETS_AUCTION_ARG_MIN_FILL] > 10000)
        return CETS_BAD_ARGUMENT;
    int64_t reserve_price, bid_limit;
    band_auction(e, &e->inst[c->instrument], c->side, a[CETS_AUCTION_ARG_LIMIT], &reserve_price,
                 &bid_limit);
    int64_t value = reserve_price * c->qty;
    int64_t need =
        c->side == CETS_SELL ? c->qty : fee_buy_reserve(e, CETS_METHOD_AUCTION, 0, 0, value);
    if ((rc = risk_check_cover(e, c->participant, c->instrument, c->side, need)) ||
        (c->side == CETS_BUY && (rc = limits_check(e, c->participant, c->instrument, c->qty))))
        return rc;
    if (!engine_vec_grow((void **)&e->auctions, &e->capauctions, e->nauctions + 1,
                         sizeof *e->auctions))
        return CETS_CAPACITY;
    cets_auction_info *au = &e->auctions[e->nauctions++];
    memset(au, 0, sizeof *au);
    au->id = e->nauctions;
    au->instrument = c->instrument;
    au->initiator = c->participant;
    au->side = c->side;
    au->mode = (uint8_t)a[CETS_AUCTION_ARG_MODE];
    au->status = CETS_AUCTION_OPEN;
    au->lot = c->qty;
    au->start = a[CETS_AUCTION_ARG_START];
    au->end = a[CETS_AUCTION_ARG_END];
    au->reserve_price = reserve_price;
    au->bid_limit = bid_limit;
    au->min_fill_bp = a[CETS_AUCTION_ARG_MIN_FILL];
    if (e->cfg.enforce_risk) {
        au->reserved = need;
        risk_hold(e, c->participant, c->instrument, c->side, need);
    }
    e->res->order_id = au->id;
    emit_auction(e, au, NULL);
    return CETS_OK;
}

int auction_bid(cets_engine *e, const cets_cmd *c)
{
    int rc;
    cets_auction_info *au = auction_find(e, c->order_id);
    if (!au) return CETS_UNKNOWN_AUCTION;
    if ((rc = risk_check_trader(e, c))) return rc;
    if (au->status != CETS_AUCTION_OPEN || c->ts < au->start || c->ts >= au->end)
        return CETS_AUCTION_NOT_OPEN;
    if (c->participant == au->initiator) return CETS_SELF_TRADE;
    if ((rc = risk_check_product(e, c->participant, au->instrument)) ||
        (rc = risk_check_halts(e, au->instrument)) ||
        (rc = band_check_bid(e, au, c->price, c->qty)))
        return rc;
    int bside = opposite(au->side);
    int64_t value = c->price * c->qty;
    int64_t need =
        bside == CETS_BUY ? fee_buy_reserve(e, CETS_METHOD_AUCTION, 0, 0, value) : c->qty;
    if ((rc = risk_check_cover(e, c->participant, au->instrument, bside, need)) ||
        (bside == CETS_BUY && (rc = limits_check(e, c->participant, au->instrument, c->qty))))
        return rc;
    if (!engine_vec_grow((void **)&e->bids, &e->capbids, e->nbids + 1, sizeof *e->bids))
        return CETS_CAPACITY;
    cets_bid_info *b = &e->bids[e->nbids++];
    memset(b, 0, sizeof *b);
    b->id = e->nbids;
    b->auction = au->id;
    b->participant = c->participant;
    b->price = c->price;
    b->qty = c->qty;
    b->ts = c->ts;
    if (e->cfg.enforce_risk) {
        b->reserved = need;
        risk_hold(e, c->participant, au->instrument, bside, need);
    }
    au->nbids++;
    e->res->order_id = b->id;
    emit_auction(e, au, b);
    return CETS_OK;
}

static void release_bid(cets_engine *e, const cets_auction_info *au, cets_bid_info *b)
{
    if (b->reserved && e->cfg.enforce_risk)
        risk_hold(e, b->participant, au->instrument, opposite(au->side), -b->reserved);
    b->reserved = 0;
}

static void release_initiator(cets_engine *e, cets_auction_info *au)
{
    if (au->reserved && e->cfg.enforce_risk)
        risk_hold(e, au->initiator, au->instrument, au->side, -au->reserved);
    au->reserved = 0;
}

/* Ranking: best price first (highest bid when selling the lot, lowest offer
 * when buying it), then the earlier bid (lower id). */
static int rank_cmp(const void *pa, const void *pb, void *ctx)
{
    const cets_bid_info *a = *(cets_bid_info *const *)pa, *b = *(cets_bid_info *const *)pb;
    int side = *(const int *)ctx;
    if (a->price != b->price) return (side == CETS_SELL) == (a->price > b->price) ? -1 : 1;
    return a->id < b->id ? -1 : 1;
}

/* One winning bid: trade `take` at `price` between the bidder and the
 * initiator; cum_value and cum_fee carry the initiator's running fee base. */
static void settle_win(cets_engine *e, cets_auction_info *au, cets_bid_info *b, int64_t take,
                       int64_t price, int64_t *cum_value, int64_t *cum_fee)
{
    int64_t value = price * take;
    int64_t init_fee = fee_charge(e, CETS_METHOD_AUCTION, au->side, *cum_value + value, *cum_fee);
    *cum_value += value;
    *cum_fee += init_fee;
    int64_t bid_fee = fee_of(e, CETS_METHOD_AUCTION, opposite(au->side), value);
    bool init_sells = au->side == CETS_SELL;
    uint32_t buyer = init_sells ? b->participant : au->initiator;
    uint32_t seller = init_sells ? au->initiator : b->participant;
    int64_t bfee = init_sells ? bid_fee : init_fee, sfee = init_sells ? init_fee : bid_fee;
    if (e->cfg.enforce_risk) {
        trading_settle(e, au->instrument, buyer, seller, take, value, bfee, sfee);
        b->reserved -= init_sells ? value + bfee : take;
        au->reserved -= init_sells ? take : value + bfee;
    }
    b->filled = take;
    cets_trade tr = {.instrument = au->instrument,
                     .method = CETS_METHOD_AUCTION,
                     .aggressor = (uint8_t)opposite(au->side),
                     .buyer = buyer,
                     .seller = seller,
                     .buy_order = init_sells ? b->id : au->id,
                     .sell_order = init_sells ? au->id : b->id,
                     .price = price,
                     .qty = take,
                     .value = value,
                     .buyer_fee = bfee,
                     .seller_fee = sfee};
    trading_record(e, &tr);
    au->value += value;
}

int auction_close(cets_engine *e, const cets_cmd *c)
{
    cets_auction_info *au = auction_find(e, c->order_id);
    if (!au) return CETS_UNKNOWN_AUCTION;
    if (c->actor != CETS_EXCHANGE_ID &&
        !(c->actor == au->initiator && e->gates[c->actor].kind == CETS_PK_AUTHORITY))
        return CETS_NOT_AUTHORISED;
    if (au->status != CETS_AUCTION_OPEN) return CETS_AUCTION_NOT_OPEN;
    if (c->ts < au->end) return CETS_AUCTION_RUNNING;
    cets_bid_info **rank = malloc((au->nbids ? au->nbids : 1) * sizeof *rank);
    if (!rank) return CETS_CAPACITY;
    /* act */
    uint32_t n = 0;
    for (uint32_t i = 0; i < e->nbids; i++)
        if (e->bids[i].auction == au->id && e->bids[i].qty > 0) /* qty 0: dropped */
            rank[n++] = &e->bids[i];
    int side = au->side;
    qsort_r(rank, n, sizeof *rank, rank_cmp, &side);
    int64_t left = au->lot, marginal = 0;
    uint32_t winners = 0;
    for (uint32_t i = 0; i < n && left > 0; i++, winners++) {
        int64_t take = rank[i]->qty < left ? rank[i]->qty : left;
        left -= take;
        marginal = rank[i]->price;
    }
    int64_t filled = au->lot - left;
    bool enough = filled * 10000 >= au->min_fill_bp * au->lot && filled > 0;
    int64_t cum_value = 0, cum_fee = 0;
    left = au->lot;
    for (uint32_t i = 0; enough && i < winners; i++) {
        int64_t take = rank[i]->qty < left ? rank[i]->qty : left;
        left -= take;
        settle_win(e, au, rank[i], take, au->mode == 0 ? marginal : rank[i]->price, &cum_value,
                   &cum_fee);
    }
    for (uint32_t i = 0; i < n; i++) release_bid(e, au, rank[i]);
    release_initiator(e, au);
    free(rank);
    au->status = enough ? CETS_AUCTION_CLOSED : CETS_AUCTION_FAILED;
    au->filled = enough ? filled : 0;
    au->clearing_price = enough ? marginal : 0;
    au->nwinners = enough ? winners : 0;
    e->res->order_id = au->id;
    emit_auction(e, au, NULL);
    return CETS_OK;
}

int auction_cancel(cets_engine *e, const cets_cmd *c)
{
    cets_auction_info *au = auction_find(e, c->order_id);
    if (!au) return CETS_UNKNOWN_AUCTION;
    if (c->actor != CETS_EXCHANGE_ID) return CETS_NOT_AUTHORISED;
    if (au->status != CETS_AUCTION_OPEN) return CETS_AUCTION_NOT_OPEN;
    for (uint32_t i = 0; i < e->nbids; i++)
        if (e->bids[i].auction == au->id) release_bid(e, au, &e->bids[i]);
    release_initiator(e, au);
    au->status = CETS_AUCTION_CANCELLED;
    emit_auction(e, au, NULL);
    return CETS_OK;
}

/* A judicial freeze: the participant's bids in open auctions are dropped
 * (quantity 0, reservation released) and auctions it initiated are cancelled. */
void auction_drop_participant(cets_engine *e, uint32_t pid)
{
    for (uint32_t i = 0; i < e->nbids; i++) {
        cets_bid_info *b = &e->bids[i];
        cets_auction_info *au = &e->auctions[b->auction - 1];
        if (b->participant != pid || au->status != CETS_AUCTION_OPEN || !b->qty) continue;
        release_bid(e, au, b);
        b->qty = 0;
        au->nbids--;
        emit_auction(e, au, b);
    }
    for (uint32_t i = 0; i < e->nauctions; i++) {
        cets_auction_info *au = &e->auctions[i];
        if (au->initiator != pid || au->status != CETS_AUCTION_OPEN) continue;
        for (uint32_t k = 0; k < e->nbids; k++)
            if (e->bids[k].auction == au->id) release_bid(e, au, &e->bids[k]);
        release_initiator(e, au);
        au->status = CETS_AUCTION_CANCELLED;
        emit_auction(e, au, NULL);
    }
}

int cets_auction_get(const cets_engine *e, uint64_t id, cets_auction_info *out)
{
    const cets_auction_info *a = auction_find((cets_engine *)e, id);
    if (!a) return CETS_UNKNOWN_AUCTION;
    *out = *a;
    return CETS_OK;
}

void cets_auctions_foreach(const cets_engine *e, void (*fn)(void *ctx, const cets_auction_info *a),
                           void *ctx)
{
    for (uint32_t i = 0; i < e->nauctions; i++) fn(ctx, &e->auctions[i]);
}

void cets_bids_foreach(const cets_engine *e, uint64_t auction,
                       void (*fn)(void *ctx, const cets_bid_info *b), void *ctx)
{
    for (uint32_t i = 0; i < e->nbids; i++)
        if (!auction || e->bids[i].auction == auction) fn(ctx, &e->bids[i]);
}
