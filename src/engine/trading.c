/* trading.c -- listing post and take, continuous limit orders, cancel, modify,
 * and trade-by-trade settlement.
 *
 * Every handler runs in two phases: check (nothing changes; any failure is a
 * rejection) and act (nothing can fail). A take or a crossing order is first
 * walked without touching the book ("plan") to find self-trades and the exact
 * cost; the act phase then walks the same path for real.
 *
 * Reservation arithmetic (docs/rules.md): a buy order keeps
 *   reserved = price*qty + fee(filled_value + price*qty) - fees
 * frozen for its remaining quantity; fills consume value + fee increment from
 * it; whatever is left when the order ends goes back to available.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static inline void event_head(cets_event *ev, int type)
{
    ev->type = (uint8_t)type;
    memset(ev->pad, 0, sizeof ev->pad);
}

void engine_order_info(const cets_engine *e, const order *o, cets_order_info *out)
{
    (void)e;
    memset(out, 0, sizeof *out);
    out->order_id = o->id;
    out->client_ref = o->client_ref;
    out->participant = o->participant;
    out->instrument = o->instrument;
    out->side = o->side;
    out->tif = o->tif;
    out->price = o->price;
    out->qty = o->qty;
    out->filled_qty = o->filled_qty;
    out->filled_value = o->filled_value;
    out->reserved = o->reserved;
    out->ts = o->ts;
}

/* What a buy order at price for qty more must hold: value + fee on its
 * cumulative value (fee.c), less the fees already charged. */
static int64_t funds_needed(const cets_engine *e, const order *o, int64_t price, int64_t qty)
{
    return fee_buy_reserve(e, CETS_METHOD_LISTING, o->filled_value, o->fees, price * qty);
}

/* ---- checks: who and when (risk.c), price and size (band.c) ------------ */

/* Would a listing at price cross the other side? */
static bool crosses(const instrument *in, int side, int64_t price)
{
    const book *b = &in->bk;
    if (side == CETS_BUY) return b->ask.best >= 0 && price >= book_price(b, b->ask.best);
    return b->bid.best >= 0 && price <= book_price(b, b->bid.best);
}

/* ---- plan: walk what an order would fill, without changing anything --- */

typedef struct plan {
    int64_t qty, cost; /* fill quantity and value */
    bool self;         /* would trade with its own participant */
} plan;

static plan plan_fills(const cets_engine *e, const instrument *in, int side, int64_t limit,
                       int64_t qty, uint32_t pid, int max_levels)
{
    plan pl = {0, 0, false};
    const book *b = &in->bk;
    int opp_bid = side == CETS_SELL;
    const side_book *opp = opp_bid ? &b->bid : &b->ask;
    int32_t idx = opp->best;
    for (int lv = 0; idx >= 0 && qty > 0 && lv < max_levels; lv++) {
        int64_t px = book_price(b, idx);
        if (side == CETS_BUY ? px > limit : px < limit) break;
        for (uint32_t s = opp->levels[idx].head; s && qty > 0; s = e->orders[s].next) {
            const order *m = &e->orders[s];
            if (m->participant == pid) {
                pl.self = true;
                return pl;
            }
            int64_t q = m->qty < qty ? m->qty : qty;
            pl.qty += q;
            pl.cost += q * px;
            qty -= q;
        }
        idx = book_next(opp, b->nlevels, opp_bid, opp_bid ? idx - 1 : idx + 1);
    }
    return pl;
}

/* ---- act ---------------------------------------------------------------- */

_Static_assert(sizeof(order) == 88, "order_new writes every field of an order: a new one too");
HOT_INLINE uint32_t order_new(cets_engine *e, const cets_cmd *c, uint32_t iid, int side,
                              int64_t price, int64_t qty, int tif)
{
    uint32_t slot = orders_alloc(e);
    if (!slot) return 0;
    if (!orders_index(e, e->next_order_id, slot)) {
        orders_release(e, slot);
        return 0;
    }
    order *o = &e->orders[slot]; /* every field: the slot is as its last order left it */
    o->id = e->next_order_id++;
    o->client_ref = c->client_ref;
    o->price = price;
    o->qty = qty;
    o->filled_qty = o->filled_value = o->fees = o->reserved = 0;
    o->ts = c->ts;
    o->participant = c->participant;
    o->next = o->prev = 0;
    o->instrument = (uint16_t)iid;
    o->side = (uint8_t)side;
    o->tif = (uint8_t)tif;
    return slot;
}

/* Move `amount` from available to frozen for the order (funds or holding). */
static void reserve(cets_engine *e, order *o, int64_t amount)
{
    if (!e->cfg.enforce_risk) return;
    o->reserved += amount;
    risk_hold(e, o->participant, o->instrument, o->side, amount);
}

/* Out of line, as emit_done below. */
__attribute__((noinline)) static void emit_order_info(cets_engine *e, int type, const order *o)
{
    cets_event ev; /* only the header and the member in use are written: the hot path */
    event_head(&ev, type);
    engine_order_info(e, o, &ev.u.order);
    engine_emit(e, &ev);
}

static inline void emit_order(cets_engine *e, int type, const order *o)
{
    if (engine_wants(e, type)) emit_order_info(e, type, o);
}

/* Out of line: its event's 280 bytes would otherwise be in the frame of
 * every order's end, listened to or not. */
__attribute__((noinline)) static void emit_done(cets_engine *e, const order *o, int why)
{
    cets_event ev;
    event_head(&ev, CETS_EV_ORDER_DONE);
    engine_order_info(e, o, &ev.u.done.order);
    ev.u.done.why = (uint8_t)why;
    memset(ev.u.done.pad, 0, sizeof ev.u.done.pad);
    ev.u.done.left_qty = o->qty;
    engine_emit(e, &ev);
}

/* End an order: off the book if it rests, release what it still reserves.
 * Inline into this file's callers (a cancel, a fill that ends the maker);
 * trading_end_order is it for the others (the day's end, the registry). */
HOT_INLINE void end_order(cets_engine *e, uint32_t slot, int why, bool on_book)
{
    order *o = &e->orders[slot];
    if (on_book) {
        const book *b = &e->inst[o->instrument].bk;
        engine_touch(e, o->instrument, o->side == CETS_BUY, book_index(b, o->price));
        book_remove(&e->inst[o->instrument].bk, e->orders, slot);
        e->gates[o->participant].open_orders--;
    }
    reserve(e, o, -o->reserved);
    assert(!e->cfg.enforce_risk || o->reserved == 0);
    if (engine_wants(e, CETS_EV_ORDER_DONE)) emit_done(e, o, why);
    orders_unindex(e, o->id);
    orders_release(e, slot);
}

void trading_end_order(cets_engine *e, uint32_t slot, int why, bool on_book)
{
    end_order(e, slot, why, on_book);
}

HOT_INLINE void log_trade(cets_engine *e, const cets_trade *t)
{
    cets_trade *slot = trade_log_push(&e->today);
    if (slot) /* the tape is a convenience copy; events carry every trade */
        *slot = *t;
}

/* Delivery versus payment between two participants whose funds and tonnes
 * are already frozen: the buyer's frozen funds pay value + fee, the seller's
 * frozen tonnes go to the buyer (locked until tomorrow: T+1), the seller gets
 * value - fee at once (spendable, withdrawable after the day), the exchange
 * both fees. */
void trading_settle(cets_engine *e, uint32_t iid, uint32_t buyer, uint32_t seller, int64_t q,
                    int64_t value, int64_t bfee, int64_t sfee)
{
    participant *pb = &e->parts[buyer], *ps = &e->parts[seller];
    int64_t cost = value + bfee, net = value - sfee;
    pb->frozen -= cost;
    engine_holding(e, seller, iid)->frozen -= q;
    engine_holding(e, buyer, iid)->locked += q; /* T+1 */
    ps->avail += net;
    ps->unsettled += net;
    e->parts[CETS_EXCHANGE_ID].avail += bfee + sfee;
    e->parts[CETS_EXCHANGE_ID].cur.fee_income += bfee + sfee;
    pb->cur.bought += value;
    pb->cur.fees += bfee;
    pb->cur.ntrades++;
    ps->cur.sold += value;
    ps->cur.fees += sfee;
    ps->cur.ntrades++;
    holding *hb = engine_holding(e, buyer, iid), *hs = engine_holding(e, seller, iid);
    hb->bought_qty += q;
    hb->bought_value += value;
    hs->sold_qty += q;
    hs->sold_value += value;
}

/* Count a settled trade in the day's statistics, the tape and the command's
 * result, and tell the listeners. Only listing (and continuous) trades set
 * open, high, low and close. Inlined into execute, where *tr is a local the
 * compiler keeps in registers: copied from memory just after it was written
 * field by field, each 16-byte load of the copies to the tape and the event
 * would wait for the narrower stores it spans (a store-forwarding stall). */
HOT_INLINE void record_trade(cets_engine *e, cets_trade *tr)
{
    day_acc *d = &e->inst[tr->instrument].day;
    int m = tr->method;
    if (m == CETS_METHOD_LISTING) {
        if (!d->trades[m]) {
            d->open = d->high = d->low = tr->price;
        } else {
            d->high = tr->price > d->high ? tr->price : d->high;
            d->low = tr->price < d->low ? tr->price : d->low;
        }
        d->last = tr->price;
    }
    d->volume[m] += tr->qty;
    d->value[m] += tr->value;
    d->trades[m]++;
    e->res->filled_qty += tr->qty;
    e->res->filled_value += tr->value;
    e->res->ntrades++;
    tr->trade_id = e->next_trade_id++;
    tr->seq = e->cmd->seq;
    tr->ts = e->cmd->ts;
    if (e->cfg.keep_trades) log_trade(e, tr);
    if (engine_wants(e, CETS_EV_TRADE)) {
        cets_event ev;
        event_head(&ev, CETS_EV_TRADE);
        ev.u.trade = *tr;
        engine_emit(e, &ev);
    }
}

void trading_record(cets_engine *e, cets_trade *tr)
{
    record_trade(e, tr);
}

/* One trade between the incoming order t and the resting order m (whose
 * level is l), at the resting price. */
HOT_INLINE void execute(cets_engine *e, uint32_t iid, order *t, order *m, level *l, int64_t price,
                        int64_t q)
{
    order *b = t->side == CETS_BUY ? t : m, *s = t->side == CETS_BUY ? m : t;
    int64_t value = price * q;
    int64_t bfee = fee_charge(e, CETS_METHOD_LISTING, CETS_BUY, b->filled_value + value, b->fees);
    int64_t sfee = fee_charge(e, CETS_METHOD_LISTING, CETS_SELL, s->filled_value + value, s->fees);
    b->filled_value += value;
    b->fees += bfee;
    b->filled_qty += q;
    b->qty -= q;
    s->filled_value += value;
    s->fees += sfee;
    s->filled_qty += q;
    s->qty -= q;
    l->qty -= q;
    if (e->cfg.enforce_risk) {
        b->reserved -= value + bfee;
        s->reserved -= q;
        assert(b->reserved >= 0 && s->reserved >= 0); /* a fill never costs more than reserved */
        trading_settle(e, iid, b->participant, s->participant, q, value, bfee, sfee);
    }
    cets_trade tr = {.instrument = iid,
                     .method = CETS_METHOD_LISTING,
                     .aggressor = t->side,
                     .buyer = b->participant,
                     .seller = s->participant,
                     .buy_order = b->id,
                     .sell_order = s->id,
                     .price = price,
                     .qty = q,
                     .value = value,
                     .buyer_fee = bfee,
                     .seller_fee = sfee};
    record_trade(e, &tr);
    e->touched |= 1ULL << iid;
}

/* Fill order t against the other side, best price first and oldest first,
 * at prices no worse than t->price, across at most max_levels levels. */
HOT_INLINE void sweep(cets_engine *e, uint32_t iid, uint32_t tslot, int max_levels)
{
    book *b = &e->inst[iid].bk;
    order *t = &e->orders[tslot];
    int opp_bid = t->side == CETS_SELL;
    side_book *opp = opp_bid ? &b->bid : &b->ask;
    for (int lv = 0; t->qty > 0 && opp->best >= 0 && lv < max_levels; lv++) {
        int32_t idx = opp->best;
        int64_t px = book_price(b, idx);
        if (t->side == CETS_BUY ? px > t->price : px < t->price) break;
        level *l = &opp->levels[idx];
        while (t->qty > 0 && l->head) {
            uint32_t ms = l->head;
            order *m = &e->orders[ms];
            if (m->next) __builtin_prefetch(&e->orders[m->next], 1); /* the next to fill, if any */
            execute(e, iid, t, m, l, px, m->qty < t->qty ? m->qty : t->qty);
            if (m->qty == 0) end_order(e, ms, CETS_DONE_FILLED, true);
        }
    }
}

HOT_INLINE void rest(cets_engine *e, uint32_t slot)
{
    order *o = &e->orders[slot];
    book *b = &e->inst[o->instrument].bk;
    book_insert(b, e->orders, slot);
    engine_touch(e, o->instrument, o->side == CETS_BUY, book_index(b, o->price));
    e->gates[o->participant].open_orders++;
    e->res->resting_qty = o->qty;
}

/* After matching: rest what is left of a day order, end anything else. */
HOT_INLINE void finish(cets_engine *e, uint32_t slot)
{
    order *o = &e->orders[slot];
    if (o->qty > 0 && o->tif == CETS_TIF_DAY)
        rest(e, slot);
    else
        end_order(e, slot, o->qty ? CETS_DONE_UNFILLED : CETS_DONE_FILLED, false);
}

/* ---- commands ----------------------------------------------------------- */

/* A post of time in force tif (c->flags for a post; a take in continuous
 * mode is an IOC post of the command as it is, not of a 208-byte copy). */
HOT_INLINE int post_tif(cets_engine *e, const cets_cmd *c, int tif)
{
    int rc;
    if ((rc = risk_check_trader(e, c)) || (rc = risk_check_market(e, c, c->instrument))) return rc;
    instrument *in = &e->inst[c->instrument];
    if (c->side != CETS_BUY && c->side != CETS_SELL) return CETS_BAD_SIDE;
    if ((rc = band_check_listing(e, in, c->price, c->qty))) return rc;
    if (tif > CETS_TIF_IOC) return CETS_BAD_ARGUMENT;
    /* A crossing post that would meet its own order is refused. With none of
     * its orders on any book (open_orders counts them; check.c holds it to
     * the books) it cannot, and the other side is not walked for it. */
    if (in->matching == CETS_MATCH_LISTING) {
        if (tif != CETS_TIF_DAY) return CETS_WRONG_MODE;
        if (crosses(in, c->side, c->price)) return CETS_CROSSING_POST;
    } else if (e->gates[c->participant].open_orders && crosses(in, c->side, c->price) &&
               plan_fills(e, in, c->side, c->price, c->qty, c->participant, INT32_MAX).self) {
        return CETS_SELF_TRADE;
    }
    order proto = {0}; /* what a buy reserves only matters with pre-funding on */
    int64_t need = c->side != CETS_BUY   ? c->qty
                   : e->cfg.enforce_risk ? funds_needed(e, &proto, c->price, c->qty)
                                         : 0;
    if (c->side == CETS_BUY ? (rc = risk_check_buy(e, c->participant, c->instrument, need, c->qty))
                            : (rc = risk_check_holding(e, c->participant, c->instrument, c->qty)))
        return rc;
    uint32_t slot = order_new(e, c, c->instrument, c->side, c->price, c->qty, tif);
    if (!slot) return CETS_CAPACITY;
    /* act */
    order *o = &e->orders[slot];
    reserve(e, o, need);
    e->res->order_id = o->id;
    emit_order(e, CETS_EV_ACCEPTED, o);
    if (in->matching == CETS_MATCH_CONTINUOUS) sweep(e, c->instrument, slot, INT32_MAX);
    finish(e, slot);
    return CETS_OK;
}

int trading_post(cets_engine *e, const cets_cmd *c)
{
    return post_tif(e, c, c->flags);
}

/* Check named targets; on success fill *qty and *cost. */
static int check_targets(const cets_engine *e, const cets_cmd *c, const instrument *in,
                         int64_t *qty, int64_t *cost)
{
    const book *b = &in->bk;
    int opp_bid = c->side == CETS_SELL;
    int32_t fifth = book_nth_level(b, opp_bid, CETS_DEPTH);
    *qty = *cost = 0;
    for (int i = 0; i < c->ntargets; i++) {
        const cets_target *t = &c->u.targets[i];
        uint32_t slot = orders_find(e, t->order_id);
        if (!slot || e->orders[slot].instrument != c->instrument) return CETS_UNKNOWN_ORDER;
        const order *m = &e->orders[slot];
        if (m->side == c->side) return CETS_TARGET_SIDE;
        int32_t idx = book_index(b, m->price);
        if (fifth >= 0 && (opp_bid ? idx < fifth : idx > fifth)) return CETS_NOT_IN_BEST_FIVE;
        if (t->qty < 1 || t->qty > m->qty) return CETS_TARGET_QTY;
        for (int j = 0; j < i; j++)
            if (c->u.targets[j].order_id == t->order_id) return CETS_DUPLICATE_TARGET;
        if (m->participant == c->participant) return CETS_SELF_TRADE;
        *qty += t->qty;
        *cost += t->qty * m->price;
    }
    return band_check_listing_qty(e, *qty);
}

static void take_targets(cets_engine *e, const cets_cmd *c, uint32_t tslot)
{
    book *b = &e->inst[c->instrument].bk;
    for (int i = 0; i < c->ntargets; i++) {
        uint32_t ms = orders_find(e, c->u.targets[i].order_id);
        order *m = &e->orders[ms];
        side_book *sb = m->side == CETS_BUY ? &b->bid : &b->ask;
        level *l = &sb->levels[book_index(b, m->price)];
        execute(e, c->instrument, &e->orders[tslot], m, l, m->price, c->u.targets[i].qty);
        if (m->qty == 0) end_order(e, ms, CETS_DONE_FILLED, true);
    }
}

int trading_take(cets_engine *e, const cets_cmd *c)
{
    int rc;
    if ((rc = risk_check_trader(e, c)) || (rc = risk_check_market(e, c, c->instrument))) return rc;
    instrument *in = &e->inst[c->instrument];
    if (c->side != CETS_BUY && c->side != CETS_SELL) return CETS_BAD_SIDE;
    if (in->matching == CETS_MATCH_CONTINUOUS) {
        if (c->ntargets) return CETS_WRONG_MODE;
        return post_tif(e, c, CETS_TIF_IOC);
    }
    if (c->ntargets > CETS_MAX_TARGETS) return CETS_TOO_MANY_TARGETS;
    int64_t qty, cost, limit = 0;
    if (c->ntargets) {
        if ((rc = check_targets(e, c, in, &qty, &cost))) return rc;
    } else {
        if ((rc = band_check_listing(e, in, c->price, c->qty))) return rc;
        limit = c->price;
        plan pl = plan_fills(e, in, c->side, limit, c->qty, c->participant, CETS_DEPTH);
        if (pl.self) return CETS_SELF_TRADE;
        if (!pl.qty) return CETS_NO_LIQUIDITY;
        qty = pl.qty;
        cost = pl.cost;
    }
    int64_t need = c->side == CETS_BUY ? fee_buy_reserve(e, CETS_METHOD_LISTING, 0, 0, cost) : qty;
    if (c->side == CETS_BUY ? (rc = risk_check_buy(e, c->participant, c->instrument, need, qty))
                            : (rc = risk_check_holding(e, c->participant, c->instrument, qty)))
        return rc;
    uint32_t slot =
        order_new(e, c, c->instrument, c->side, limit, c->ntargets ? qty : c->qty, CETS_TIF_IOC);
    if (!slot) return CETS_CAPACITY;
    /* act */
    order *o = &e->orders[slot];
    reserve(e, o, need);
    e->res->order_id = o->id;
    emit_order(e, CETS_EV_ACCEPTED, o);
    if (c->ntargets)
        take_targets(e, c, slot);
    else
        sweep(e, c->instrument, slot, CETS_DEPTH);
    finish(e, slot);
    return CETS_OK;
}

static int find_own_order(const cets_engine *e, const cets_cmd *c, uint32_t *slot)
{
    bool operator= c->actor == CETS_EXCHANGE_ID;
    if (!operator&&(c->participant<1 || c->participant> e->nparts)) return CETS_UNKNOWN_PARTICIPANT;
    if (!operator&& c->actor != c->participant) return CETS_NOT_AUTHORISED;
    *slot = orders_find(e, c->order_id);
    if (!*slot) return CETS_UNKNOWN_ORDER;
    if (!operator&& e->orders[*slot].participant != c->participant) return CETS_NOT_OWNER;
    return CETS_OK;
}

int trading_cancel(cets_engine *e, const cets_cmd *c)
{
    uint32_t slot;
    int rc = find_own_order(e, c, &slot);
    if (rc) return rc;
    end_order(e, slot, CETS_DONE_CANCELLED, true);
    return CETS_OK;
}

int trading_modify(cets_engine *e, const cets_cmd *c)
{
    uint32_t slot;
    int rc;
    if ((rc = find_own_order(e, c, &slot)) || (rc = risk_check_trader(e, c))) return rc;
    order *o = &e->orders[slot];
    uint32_t iid = o->instrument;
    instrument *in = &e->inst[iid];
    if ((rc = risk_check_market(e, c, iid)) || (rc = band_check_listing(e, in, c->price, c->qty)))
        return rc;
    if (c->price == o->price && c->qty == o->qty) return CETS_NOTHING_CHANGED;
    bool keep = c->price == o->price && c->qty < o->qty;
    if (!keep && in->matching == CETS_MATCH_LISTING && crosses(in, o->side, c->price))
        return CETS_CROSSING_POST;
    /* as in trading_post; o itself is on a book, on its own side */
    if (!keep && in->matching == CETS_MATCH_CONTINUOUS &&
        e->gates[o->participant].open_orders > 1 && crosses(in, o->side, c->price) &&
        plan_fills(e, in, o->side, c->price, c->qty, o->participant, INT32_MAX).self)
        return CETS_SELF_TRADE;
    int64_t need = o->side == CETS_BUY ? funds_needed(e, o, c->price, c->qty) : c->qty;
    int64_t delta = need - o->reserved;
    if (delta > 0 &&
        (o->side == CETS_BUY ? (rc = risk_check_buy(e, o->participant, iid, delta, c->qty))
                             : (rc = risk_check_holding(e, o->participant, iid, delta))))
        return rc;
    /* act */
    engine_touch(e, iid, o->side == CETS_BUY, book_index(&in->bk, o->price));
    if (keep) {
        side_book *sb = o->side == CETS_BUY ? &in->bk.bid : &in->bk.ask;
        sb->levels[book_index(&in->bk, o->price)].qty -= o->qty - c->qty;
        o->qty = c->qty;
    } else {
        book_remove(&in->bk, e->orders, slot);
        e->gates[o->participant].open_orders--;
        o->price = c->price;
        o->qty = c->qty;
        o->ts = c->ts;
    }
    reserve(e, o, e->cfg.enforce_risk ? delta : 0);
    e->res->order_id = o->id;
    emit_order(e, CETS_EV_REPLACED, o);
    if (keep) {
        e->res->resting_qty = o->qty;
    } else {
        if (in->matching == CETS_MATCH_CONTINUOUS) sweep(e, iid, slot, INT32_MAX);
        finish(e, slot);
    }
    return CETS_OK;
}
