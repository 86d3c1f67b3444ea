/* tstream.c -- see tstream.h. */
#include "tstream.h"

#include <stdio.h>
#include <string.h>

#define TS_SETUP 34 /* 2 instruments, 8 participants, 8 deposits, 16 credits */
#define TS_NPART 8
#define TS_FIRST_PID 2

static uint64_t ts_rand(tstream *s)
{
    /* xorshift64*: small, fast, and the same everywhere */
    s->rng ^= s->rng >> 12;
    s->rng ^= s->rng << 25;
    s->rng ^= s->rng >> 27;
    return s->rng * 2685821657736338717ull;
}

static int64_t ts_range(tstream *s, int64_t lo, int64_t hi)
{
    return lo + (int64_t)(ts_rand(s) % (uint64_t)(hi - lo + 1));
}

void ts_init(tstream *s, uint64_t seed, uint32_t day_len)
{
    memset(s, 0, sizeof *s);
    s->rng = seed * 0x9E3779B97F4A7C15ull + 1;
    s->day_len = day_len ? day_len : 400;
}

static void ts_setup(tstream *s, cets_cmd *c)
{
    uint32_t k = s->n;
    c->actor = CETS_EXCHANGE_ID;
    if (k < 2) {
        c->type = CETS_CMD_INSTRUMENT_ADD;
        c->aux = k == 0 ? CETS_PRODUCT_CEA : CETS_PRODUCT_CCER;
        c->flags = k == 0 ? CETS_MATCH_LISTING : CETS_MATCH_CONTINUOUS;
        c->price = k == 0 ? 5000 : 2000;
        snprintf(c->u.text, sizeof c->u.text, "%s", k == 0 ? "CEA26" : "CCER1");
    } else if (k < 2 + TS_NPART) {
        c->type = CETS_CMD_PARTICIPANT_ADD;
        c->aux = k % 2 ? CETS_PK_ENTITY : CETS_PK_INSTITUTION;
        snprintf(c->u.text, sizeof c->u.text, "participant %u", k - 2 + TS_FIRST_PID);
    } else if (k < 2 + 2 * TS_NPART) {
        c->type = CETS_CMD_DEPOSIT;
        c->participant = k - 2 - TS_NPART + TS_FIRST_PID;
        c->qty = 1000000000; /* 10 million CNY */
    } else {
        uint32_t i = k - 2 - 2 * TS_NPART;
        c->type = CETS_CMD_HOLDING_CREDIT;
        c->participant = i / 2 + TS_FIRST_PID;
        c->instrument = i % 2;
        c->qty = 20000;
    }
}

/* A resting order id remembered from earlier results, or 0. */
static uint64_t ts_recent(tstream *s, const cets_engine *e, cets_order_info *o)
{
    if (!s->norders) return 0;
    uint32_t n = s->norders < 32 ? s->norders : 32;
    uint64_t id = s->orders[ts_rand(s) % n];
    return cets_order_get(e, id, o) == 0 ? id : 0;
}

static void ts_order(tstream *s, const cets_engine *e, cets_cmd *c, uint32_t pid, int roll)
{
    cets_order_info o;
    uint64_t id = roll >= 55 ? ts_recent(s, e, &o) : 0;
    if (roll >= 55 && id && roll < 62 && o.instrument == 0) {
        c->type = CETS_CMD_TAKE; /* name the listing */
        c->instrument = 0;
        c->side = o.side == CETS_BUY ? CETS_SELL : CETS_BUY;
        c->ntargets = 1;
        c->u.targets[0].order_id = id;
        c->u.targets[0].qty = ts_range(s, 1, 50);
        c->qty = c->u.targets[0].qty;
        return;
    }
    if (roll >= 62 && id) {
        c->type = roll < 77 ? CETS_CMD_CANCEL : CETS_CMD_MODIFY;
        c->actor = c->participant = ts_range(s, 0, 9) ? o.participant : pid; /* some not_owner */
        c->order_id = id;
        c->price = o.price + ts_range(s, -3, 3);
        c->qty = ts_range(s, 1, o.qty);
        return;
    }
    cets_instrument_info ii = {0};
    c->instrument = (uint32_t)ts_range(s, 0, 1);
    cets_instrument_get(e, c->instrument, &ii);
    c->side = ts_range(s, 0, 1) ? CETS_BUY : CETS_SELL;
    c->qty = ts_range(s, 1, 500);
    c->price = ii.upper > ii.lower ? ts_range(s, ii.lower, ii.upper) : ii.prev_close;
    if (roll < 40 || roll >= 55) {
        c->type = CETS_CMD_POST;
        c->flags = c->instrument == 1 && ts_range(s, 0, 4) == 0 ? CETS_TIF_IOC : CETS_TIF_DAY;
    } else {
        c->type = CETS_CMD_TAKE;
        c->qty = ts_range(s, 1, 300);
    }
}

static void ts_trading(tstream *s, const cets_engine *e, cets_cmd *c)
{
    int roll = (int)ts_range(s, 0, 99);
    uint32_t pid = (uint32_t)ts_range(s, TS_FIRST_PID, TS_FIRST_PID + TS_NPART - 1);
    c->actor = c->participant = pid;
    if (roll < 85) {
        ts_order(s, e, c, pid, roll);
    } else if (roll < 92) {
        c->type = CETS_CMD_DEPOSIT;
        c->actor = CETS_EXCHANGE_ID;
        c->qty = ts_range(s, 1, 1000000);
    } else if (roll < 96) {
        c->type = CETS_CMD_WITHDRAW;
        c->qty = ts_range(s, 1, 100000);
    } else {
        c->type = CETS_CMD_HOLDING_CREDIT;
        c->actor = CETS_EXCHANGE_ID;
        c->instrument = (uint32_t)ts_range(s, 0, 1);
        c->qty = ts_range(s, 1, 1000);
    }
}

void ts_next(tstream *s, const cets_engine *e, cets_cmd *c)
{
    memset(c, 0, sizeof *c);
    int32_t tz = cets_engine_config(e)->tz_offset_min, date = cets_trading_date(e);
    int64_t ts;
    if (s->n < TS_SETUP) {
        ts_setup(s, c);
        ts = cets_time_at(date, 9, 0, tz) + s->n;
    } else if (s->in_day == s->day_len) {
        c->type = CETS_CMD_END_OF_DAY;
        c->actor = CETS_EXCHANGE_ID;
        ts = cets_time_at(date, 15, 30, tz);
        s->in_day = 0;
        s->norders = 0; /* everything lapses */
    } else {
        ts_trading(s, e, c);
        ts = cets_time_at(date, 9, 30, tz) + (int64_t)s->in_day * 10000000; /* 10 ms apart */
        s->in_day++;
    }
    s->n++;
    c->seq = ++s->seq;
    c->ts = s->now = ts > s->now ? ts : s->now;
}

void ts_result(tstream *s, const cets_cmd *c, const cets_result *r)
{
    if ((c->type == CETS_CMD_POST || c->type == CETS_CMD_MODIFY) && r->code == CETS_OK &&
        r->resting_qty > 0)
        s->orders[s->norders++ % 32] = r->order_id;
}

int ts_step(tstream *s, cets_engine *e, cets_cmd *c)
{
    cets_result r;
    memset(&r, 0, sizeof r);
    ts_next(s, e, c);
    cets_apply(e, c, &r);
    ts_result(s, c, &r);
    return r.code;
}
