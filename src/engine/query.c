/* query.c -- read-only views of the engine's state for gateways, reports
 * and tests. None of these change anything. */
#include <string.h>

#include "internal.h"

uint32_t cets_instrument_count(const cets_engine *e)
{
    return e->ninst;
}
uint32_t cets_participant_count(const cets_engine *e)
{
    return e->nparts;
}

int cets_instrument_find(const cets_engine *e, const char *code)
{
    for (uint32_t i = 0; i < e->ninst; i++)
        if (strncmp(e->inst[i].code, code, CETS_CODE_LEN) == 0) return (int)i;
    return -1;
}

int cets_instrument_get(const cets_engine *e, uint32_t id, cets_instrument_info *out)
{
    if (id >= e->ninst) return CETS_UNKNOWN_INSTRUMENT;
    const instrument *in = &e->inst[id];
    memset(out, 0, sizeof *out);
    out->id = id;
    memcpy(out->code, in->code, CETS_CODE_LEN);
    out->product = in->product;
    out->matching = in->matching;
    out->status = in->status;
    out->prev_close = in->prev_close;
    out->lower = in->lower;
    out->upper = in->upper;
    out->tick = in->tick;
    out->last = in->day.last;
    eod_day_stats(e, id, &out->today);
    return CETS_OK;
}

int cets_participant_get(const cets_engine *e, uint32_t id, cets_participant_info *out)
{
    if (id < 1 || id > e->nparts) return CETS_UNKNOWN_PARTICIPANT;
    const participant *p = &e->parts[id];
    memset(out, 0, sizeof *out);
    out->id = id;
    const pgate *g = &e->gates[id];
    out->kind = g->kind;
    out->status = g->status;
    memcpy(out->name, p->name, CETS_NAME_LEN);
    out->available = p->avail;
    out->frozen = p->frozen;
    out->unsettled = p->unsettled;
    out->open_orders = g->open_orders;
    return CETS_OK;
}

int cets_holding_get(const cets_engine *e, uint32_t pid, uint32_t iid, cets_holding *out)
{
    if (pid < 1 || pid > e->nparts) return CETS_UNKNOWN_PARTICIPANT;
    if (iid >= e->ninst) return CETS_UNKNOWN_INSTRUMENT;
    const holding *h = &e->hold[(size_t)pid * e->stride + iid];
    out->available = h->avail;
    out->frozen = h->frozen;
    out->locked = h->locked;
    return CETS_OK;
}

int cets_depth_get(const cets_engine *e, uint32_t iid, cets_depth *out)
{
    memset(out, 0, sizeof *out);
    if (iid >= e->ninst) return CETS_UNKNOWN_INSTRUMENT;
    const book *b = &e->inst[iid].bk;
    out->instrument = iid;
    book_depth(b, 1, out->bids, &out->nbids);
    book_depth(b, 0, out->asks, &out->nasks);
    return CETS_OK;
}

int cets_order_get(const cets_engine *e, uint64_t order_id, cets_order_info *out)
{
    uint32_t slot = orders_find(e, order_id);
    if (!slot) return CETS_UNKNOWN_ORDER;
    engine_order_info(e, &e->orders[slot], out);
    return CETS_OK;
}

void cets_orders_foreach(const cets_engine *e, uint32_t pid,
                         void (*fn)(void *ctx, const cets_order_info *o), void *ctx)
{
    for (uint32_t i = 0; i < e->ninst; i++) {
        const book *b = &e->inst[i].bk;
        for (int is_bid = 1; is_bid >= 0; is_bid--) {
            const side_book *s = is_bid ? &b->bid : &b->ask;
            for (int32_t idx = s->best; idx >= 0;
                 idx = book_next(s, b->nlevels, is_bid, is_bid ? idx - 1 : idx + 1)) {
                for (uint32_t k = s->levels[idx].head; k; k = e->orders[k].next) {
                    if (pid && e->orders[k].participant != pid) continue;
                    cets_order_info info;
                    engine_order_info(e, &e->orders[k], &info);
                    fn(ctx, &info);
                }
            }
        }
    }
}

void cets_trades_foreach(const cets_engine *e, bool last_day,
                         void (*fn)(void *ctx, const cets_trade *t), void *ctx)
{
    const trade_log *l = last_day ? &e->lastday : &e->today;
    for (size_t i = 0; i < l->n; i++) fn(ctx, trade_at(l, i));
}

static void add_reservation(void *ctx, const cets_order_info *o)
{
    cets_totals *t = ctx;
    t->live_orders++;
    if (o->side == CETS_BUY)
        t->reserved_funds += o->reserved;
    else
        t->reserved_qty[o->instrument] += o->reserved;
}

void cets_totals_get(const cets_engine *e, cets_totals *out)
{
    memset(out, 0, sizeof *out);
    out->deposits = e->deposits;
    out->withdrawals = e->withdrawals;
    for (uint32_t p = 1; p <= e->nparts; p++) {
        const participant *pp = &e->parts[p];
        out->funds += pp->avail + pp->frozen;
        out->frozen_funds += pp->frozen;
        for (uint32_t i = 0; i < e->ninst; i++) {
            const holding *h = &e->hold[(size_t)p * e->stride + i];
            out->held[i] += h->avail + h->frozen + h->locked;
            out->frozen_qty[i] += h->frozen;
        }
    }
    for (uint32_t i = 0; i < e->ninst; i++) {
        out->issued[i] = e->inst[i].issued;
        out->retired[i] = e->inst[i].retired;
    }
    cets_orders_foreach(e, 0, add_reservation, out);
    /* reservations outside the books: proposals, bids, auction lots, transfers */
    for (uint32_t i = 0; i < e->nblocks; i++) {
        const cets_block_info *b = &e->blocks[i];
        if (b->side == CETS_BUY)
            out->reserved_funds += b->reserved;
        else
            out->reserved_qty[b->instrument] += b->reserved;
    }
    for (uint32_t i = 0; i < e->nauctions; i++) {
        const cets_auction_info *a = &e->auctions[i];
        if (a->side == CETS_BUY)
            out->reserved_funds += a->reserved;
        else
            out->reserved_qty[a->instrument] += a->reserved;
    }
    for (uint32_t i = 0; i < e->nbids; i++) {
        const cets_bid_info *b = &e->bids[i];
        const cets_auction_info *a = &e->auctions[b->auction - 1];
        if (a->side == CETS_SELL) /* bidders buy */
            out->reserved_funds += b->reserved;
        else
            out->reserved_qty[a->instrument] += b->reserved;
    }
    for (uint32_t i = 0; i < e->ntransfers; i++)
        if (e->transfers[i].status == 1)
            out->reserved_qty[e->transfers[i].instrument] += e->transfers[i].qty;
}

uint32_t cets_last_day_stats(const cets_engine *e, cets_day_stats *out, uint32_t cap,
                             int64_t *composite, int32_t *date)
{
    uint32_t n = e->nlast_stats < cap ? e->nlast_stats : cap;
    memcpy(out, e->last_stats, n * sizeof *out);
    if (composite) *composite = e->last_composite;
    if (date) *date = e->last_date;
    return n;
}

int cets_statement_get(const cets_engine *e, uint32_t pid, cets_statement *out)
{
    if (pid < 1 || pid > e->nparts) return CETS_UNKNOWN_PARTICIPANT;
    const participant *p = &e->parts[pid];
    memset(out, 0, sizeof *out);
    out->date = e->last_date;
    out->participant = pid;
    out->funds_open = p->last.funds_open;
    out->funds_close = p->last.funds_close;
    out->deposits = p->last.deposits;
    out->withdrawals = p->last.withdrawals;
    out->bought_value = p->last.bought;
    out->sold_value = p->last.sold;
    out->fees = p->last.fees;
    out->fee_income = p->last.fee_income;
    out->ntrades = p->last.ntrades;
    for (uint32_t i = 0; i < e->nlast_stats; i++) {
        const hday *d = &e->hlast[(size_t)pid * e->stride + i];
        if (!d->open_qty && !d->close_qty && !d->bought_qty && !d->sold_qty) continue;
        cets_statement_line *l = &out->lines[out->nlines++];
        l->instrument = i;
        l->open_qty = d->open_qty;
        l->close_qty = d->close_qty;
        l->bought_qty = d->bought_qty;
        l->bought_value = d->bought_value;
        l->sold_qty = d->sold_qty;
        l->sold_value = d->sold_value;
    }
    return CETS_OK;
}

int64_t cets_composite_price(const cets_engine *e)
{
    int64_t sum = 0, n = 0;
    for (uint32_t i = 0; i < e->ninst; i++) {
        if (!params_in_composite(e, i)) continue;
        sum += e->inst[i].prev_close;
        n++;
    }
    return n ? (sum + n / 2) / n : 0;
}
