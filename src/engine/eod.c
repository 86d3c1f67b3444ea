/* eod.c -- end of day: lapse, statistics, next day's bands, composite price,
 * statements, T+1 release, and the move to the next trading day.
 *
 * The only step that can fail (allocating the next day's ladders) runs first,
 * so END_OF_DAY is either rejected whole or done whole.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

void eod_day_stats(const cets_engine *e, uint32_t iid, cets_day_stats *out)
{
    const instrument *in = &e->inst[iid];
    const day_acc *d = &in->day;
    memset(out, 0, sizeof *out);
    out->date = e->date;
    out->instrument = iid;
    memcpy(out->code, in->code, CETS_CODE_LEN);
    out->prev_close = in->prev_close;
    out->traded = d->trades[CETS_METHOD_LISTING] > 0 && d->volume[CETS_METHOD_LISTING] > 0;
    if (out->traded) {
        out->open = d->open;
        out->high = d->high;
        out->low = d->low;
        out->close = div_half_up(d->value[CETS_METHOD_LISTING], d->volume[CETS_METHOD_LISTING]);
    } else {
        out->open = out->high = out->low = out->close = in->prev_close;
    }
    out->change_bp = div_half_up((out->close - in->prev_close) * 10000, in->prev_close);
    for (int m = 0; m < CETS_METHOD_COUNT; m++) {
        out->volume[m] = d->volume[m];
        out->value[m] = d->value[m];
        out->trades[m] = d->trades[m];
        out->total_volume += d->volume[m];
        out->total_value += d->value[m];
        out->cum_volume[m] = in->cum_volume[m] + d->volume[m];
        out->cum_value[m] = in->cum_value[m] + d->value[m];
    }
    band_listing(&e->cfg, out->close, in->tick, &out->next_lower, &out->next_upper);
}

/* Start-of-day balances for the statements. */
void eod_open_day(cets_engine *e)
{
    for (uint32_t p = 1; p <= e->nparts; p++) {
        participant *pp = &e->parts[p];
        memset(&pp->cur, 0, sizeof pp->cur);
        pp->cur.funds_open = pp->avail + pp->frozen;
        for (uint32_t i = 0; i < e->ninst; i++) {
            holding *h = engine_holding(e, p, i);
            hday *d = engine_hday(e, p, i);
            memset(d, 0, sizeof *d);
            d->open_qty = h->avail + h->frozen + h->locked;
            h->bought_qty = h->bought_value = h->sold_qty = h->sold_value = 0;
        }
    }
}

static void lapse_all(cets_engine *e)
{
    for (uint32_t i = 0; i < e->ninst; i++) {
        book *b = &e->inst[i].bk;
        side_book *sides[2] = {&b->bid, &b->ask};
        for (int s = 0; s < 2; s++)
            while (sides[s]->best >= 0)
                trading_end_order(e, sides[s]->levels[sides[s]->best].head, CETS_DONE_EXPIRED,
                                  true);
    }
}

static void close_instruments(cets_engine *e, book *fresh)
{
    int64_t sum = 0, n = 0;
    for (uint32_t i = 0; i < e->ninst; i++) {
        instrument *in = &e->inst[i];
        cets_day_stats *st = &e->last_stats[i];
        eod_day_stats(e, i, st);
        cets_event ev = {.type = CETS_EV_DAY_STATS};
        ev.u.stats = *st;
        engine_emit(e, &ev);
        memcpy(in->cum_volume, st->cum_volume, sizeof in->cum_volume);
        memcpy(in->cum_value, st->cum_value, sizeof in->cum_value);
        in->prev_close = st->close;
        band_set(in, st->next_lower, st->next_upper);
        book_free(&in->bk);
        in->bk = fresh[i];
        memset(&in->day, 0, sizeof in->day);
        if (params_in_composite(e, i)) {
            sum += st->close;
            n++;
        }
    }
    e->nlast_stats = e->ninst;
    e->last_composite = n ? div_half_up(sum, n) : 0;
}

static void close_accounts(cets_engine *e)
{
    cets_statement *st = malloc(sizeof *st);
    for (uint32_t p = 1; p <= e->nparts; p++) {
        participant *pp = &e->parts[p];
        pp->cur.funds_close = pp->avail + pp->frozen;
        for (uint32_t i = 0; i < e->ninst; i++) {
            holding *h = engine_holding(e, p, i);
            hday *d = engine_hday(e, p, i);
            d->close_qty = h->avail + h->frozen + h->locked;
            d->bought_qty = h->bought_qty;
            d->bought_value = h->bought_value;
            d->sold_qty = h->sold_qty;
            d->sold_value = h->sold_value;
            h->avail += h->locked; /* T+1: bought today, sellable tomorrow */
            h->locked = 0;
        }
        pp->unsettled = 0;
        pp->last = pp->cur;
        memcpy(&e->hlast[(size_t)p * e->stride], &e->hcur[(size_t)p * e->stride],
               e->stride * sizeof(hday));
    }
    e->last_date = e->date;
    for (uint32_t p = 1; st && p <= e->nparts; p++) {
        cets_statement_get(e, p, st);
        cets_event ev = {.type = CETS_EV_STATEMENT};
        ev.u.statement = st;
        engine_emit(e, &ev);
    }
    free(st);
}

int eod_run(cets_engine *e, const cets_cmd *c)
{
    if (e->cfg.enforce_sessions && c->ts < e->eod_from) return CETS_SESSION_OPEN;
    /* the next day's parameters first: its bands and tick follow them */
    int32_t next = calendar_next_trading_day(e, e->date);
    int64_t saved[CETS_PARAM_COUNT];
    params_roll(e, next, saved);
    book fresh[CETS_MAX_INSTRUMENTS];
    memset(fresh, 0, sizeof fresh);
    for (uint32_t i = 0; i < e->ninst; i++) {
        cets_day_stats st;
        eod_day_stats(e, i, &st);
        if (!book_init(&fresh[i], st.next_lower, st.next_upper, e->inst[i].tick)) {
            for (uint32_t j = 0; j <= i; j++) book_free(&fresh[j]);
            params_roll_undo(e, next, saved);
            return CETS_CAPACITY;
        }
    }
    /* act */
    block_lapse_all(e);
    lapse_all(e);
    e->touched = e->ninst >= 64 ? ~0ULL : (1ULL << e->ninst) - 1; /* every book is empty now */
    close_instruments(e, fresh);
    close_accounts(e);
    holders_day_end(e);
    trade_log tmp = e->lastday;
    e->lastday = e->today;
    e->today = tmp;
    e->today.n = 0;
    int32_t closed = e->date;
    calendar_set_date(e, next);
    eod_open_day(e);
    cets_event ev = {.type = CETS_EV_DAY_CLOSED};
    ev.u.day.closed_date = closed;
    ev.u.day.next_date = e->date;
    ev.u.day.composite = e->last_composite;
    engine_emit(e, &ev);
    return CETS_OK;
}
