/* tmarket.c -- see tmarket.h. */
#include "tmarket.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static void record(void *ctx, const cets_event *ev)
{
    tmarket *m = ctx;
    if (m->nev == m->capev) {
        m->capev = m->capev ? m->capev * 2 : 256;
        m->ev = realloc(m->ev, m->capev * sizeof *m->ev);
        assert_non_null(m->ev);
    }
    m->ev[m->nev++] = *ev;
    if (ev->type == CETS_EV_STATEMENT) {
        if (m->nstmts == m->capstmts) {
            m->capstmts = m->capstmts ? m->capstmts * 2 : 16;
            m->stmts = realloc(m->stmts, m->capstmts * sizeof *m->stmts);
            assert_non_null(m->stmts);
        }
        m->stmts[m->nstmts++] = *ev->u.statement;
        m->ev[m->nev - 1].u.statement = NULL; /* only valid during the callback */
    }
}

void tm_init(tmarket *m, const cets_config *cfg)
{
    memset(m, 0, sizeof *m);
    cets_config c;
    if (cfg) {
        c = *cfg;
    } else {
        cets_config_default(&c);
        c.start_date = TM_DATE;
    }
    m->e = cets_engine_new(&c);
    assert_non_null(m->e);
    cets_engine_set_listener(m->e, record, m);
    tm_at(m, 10, 0);
}

void tm_free(tmarket *m)
{
    cets_engine_free(m->e);
    free(m->ev);
    free(m->stmts);
    memset(m, 0, sizeof *m);
}

void tm_at_date(tmarket *m, int32_t date, int hh, int mm)
{
    m->now = cets_time_at(date, hh, mm, cets_engine_config(m->e)->tz_offset_min);
}

void tm_at(tmarket *m, int hh, int mm) { tm_at_date(m, cets_trading_date(m->e), hh, mm); }

int tm_apply(tmarket *m, cets_cmd *c, cets_result *r)
{
    cets_result tmp;
    c->seq = ++m->seq;
    c->ts = m->now;
    if (m->journal)
        m->journal(m->journal_ctx, c);
    return cets_apply(m->e, c, r ? r : &tmp);
}

void tm_clear_events(tmarket *m)
{
    m->nev = 0;
    m->nstmts = 0;
}

size_t tm_count_events(const tmarket *m, int type)
{
    size_t n = 0;
    for (size_t i = 0; i < m->nev; i++)
        n += m->ev[i].type == type;
    return n;
}

const cets_event *tm_last_event(const tmarket *m, int type)
{
    for (size_t i = m->nev; i-- > 0;)
        if (m->ev[i].type == type)
            return &m->ev[i];
    return NULL;
}

uint32_t tm_instrument(tmarket *m, const char *code, int product, int matching,
                       int64_t prev_close)
{
    cets_cmd c = {.type = CETS_CMD_INSTRUMENT_ADD, .actor = CETS_EXCHANGE_ID,
                  .aux = product, .flags = (uint8_t)matching, .price = prev_close};
    snprintf(c.u.text, sizeof c.u.text, "%s", code);
    cets_result r;
    int rc = tm_apply(m, &c, &r);
    if (rc != CETS_OK)
        fail_msg("instrument %s: %s", code, cets_reason_name(rc));
    return r.id;
}

uint32_t tm_participant(tmarket *m, int kind, const char *name, int64_t funds)
{
    cets_cmd c = {.type = CETS_CMD_PARTICIPANT_ADD, .actor = CETS_EXCHANGE_ID, .aux = kind};
    snprintf(c.u.text, sizeof c.u.text, "%s", name);
    cets_result r;
    int rc = tm_apply(m, &c, &r);
    if (rc != CETS_OK)
        fail_msg("participant %s: %s", name, cets_reason_name(rc));
    if (funds > 0) {
        rc = tm_admin(m, CETS_CMD_DEPOSIT, r.id, 0, funds, 0);
        if (rc != CETS_OK)
            fail_msg("deposit %s: %s", name, cets_reason_name(rc));
    }
    return r.id;
}

void tm_credit(tmarket *m, uint32_t pid, uint32_t iid, int64_t qty)
{
    int rc = tm_admin(m, CETS_CMD_HOLDING_CREDIT, pid, iid, qty, 0);
    if (rc != CETS_OK)
        fail_msg("credit: %s", cets_reason_name(rc));
}

int tm_admin(tmarket *m, int type, uint32_t pid, uint32_t iid, int64_t qty, int64_t aux)
{
    cets_cmd c = {.type = (uint8_t)type, .actor = CETS_EXCHANGE_ID, .participant = pid,
                  .instrument = iid, .qty = qty, .aux = aux};
    return tm_apply(m, &c, NULL);
}

int tm_post_tif(tmarket *m, uint32_t pid, uint32_t iid, int side, int64_t price, int64_t qty,
                int tif, cets_result *r)
{
    cets_cmd c = {.type = CETS_CMD_POST, .actor = pid, .participant = pid, .instrument = iid,
                  .side = (uint8_t)side, .price = price, .qty = qty, .flags = (uint8_t)tif};
    return tm_apply(m, &c, r);
}

int tm_post(tmarket *m, uint32_t pid, uint32_t iid, int side, int64_t price, int64_t qty,
            cets_result *r)
{
    return tm_post_tif(m, pid, iid, side, price, qty, CETS_TIF_DAY, r);
}

int tm_take_limit(tmarket *m, uint32_t pid, uint32_t iid, int side, int64_t qty, int64_t limit,
                  cets_result *r)
{
    cets_cmd c = {.type = CETS_CMD_TAKE, .actor = pid, .participant = pid, .instrument = iid,
                  .side = (uint8_t)side, .price = limit, .qty = qty};
    return tm_apply(m, &c, r);
}

int tm_take_targets(tmarket *m, uint32_t pid, uint32_t iid, int side, int n,
                    const cets_target *t, cets_result *r)
{
    cets_cmd c = {.type = CETS_CMD_TAKE, .actor = pid, .participant = pid, .instrument = iid,
                  .side = (uint8_t)side, .ntargets = (uint8_t)n};
    for (int i = 0; i < n && i < CETS_MAX_TARGETS; i++) {
        c.u.targets[i] = t[i];
        c.qty += t[i].qty;
    }
    return tm_apply(m, &c, r);
}

int tm_cancel(tmarket *m, uint32_t pid, uint64_t order_id)
{
    cets_cmd c = {.type = CETS_CMD_CANCEL, .actor = pid, .participant = pid,
                  .order_id = order_id};
    return tm_apply(m, &c, NULL);
}

int tm_modify(tmarket *m, uint32_t pid, uint64_t order_id, int64_t price, int64_t qty,
              cets_result *r)
{
    cets_cmd c = {.type = CETS_CMD_MODIFY, .actor = pid, .participant = pid,
                  .order_id = order_id, .price = price, .qty = qty};
    return tm_apply(m, &c, r);
}

int tm_eod(tmarket *m)
{
    tm_at(m, 15, 30);
    cets_cmd c = {.type = CETS_CMD_END_OF_DAY, .actor = CETS_EXCHANGE_ID};
    return tm_apply(m, &c, NULL);
}

/* Sum the reservations of live orders per participant, through the public API. */
typedef struct resv {
    int64_t *funds;               /* per participant */
    int64_t *qty;                 /* per participant x instrument */
    uint32_t ninst;
} resv;

static void add_resv(void *ctx, const cets_order_info *o)
{
    resv *r = ctx;
    if (o->side == CETS_BUY)
        r->funds[o->participant] += o->reserved;
    else
        r->qty[(size_t)o->participant * CETS_MAX_INSTRUMENTS + o->instrument] += o->reserved;
}

static void add_block_resv(void *ctx, const cets_block_info *b)
{
    resv *r = ctx;
    if (b->side == CETS_BUY)
        r->funds[b->owner] += b->reserved;
    else
        r->qty[(size_t)b->owner * CETS_MAX_INSTRUMENTS + b->instrument] += b->reserved;
}

typedef struct resv_ctx {
    resv *r;
    const cets_engine *e;
} resv_ctx;

static void add_auction_resv(void *ctx, const cets_auction_info *a)
{
    resv *r = ((resv_ctx *)ctx)->r;
    if (a->side == CETS_BUY)
        r->funds[a->initiator] += a->reserved;
    else
        r->qty[(size_t)a->initiator * CETS_MAX_INSTRUMENTS + a->instrument] += a->reserved;
}

static void add_bid_resv(void *ctx, const cets_bid_info *b)
{
    resv_ctx *rc = ctx;
    cets_auction_info a;
    cets_auction_get(rc->e, b->auction, &a);
    if (a.side == CETS_SELL)
        rc->r->funds[b->participant] += b->reserved;
    else
        rc->r->qty[(size_t)b->participant * CETS_MAX_INSTRUMENTS + a.instrument] += b->reserved;
}

static void add_transfer_resv(void *ctx, const cets_transfer_info *t)
{
    resv *r = ctx;
    if (t->status == 1)
        r->qty[(size_t)t->from * CETS_MAX_INSTRUMENTS + t->instrument] += t->qty;
}

const char *tm_invariants(const cets_engine *e)
{
    static char msg[256];
    uint32_t np = cets_participant_count(e), ni = cets_instrument_count(e);
    resv r = {calloc(np + 1, sizeof(int64_t)),
              calloc((size_t)(np + 1) * CETS_MAX_INSTRUMENTS, sizeof(int64_t)), ni};
    cets_orders_foreach(e, 0, add_resv, &r);
    cets_blocks_foreach(e, 0, add_block_resv, &r);
    resv_ctx rc = {&r, e};
    cets_auctions_foreach(e, add_auction_resv, &rc);
    cets_bids_foreach(e, 0, add_bid_resv, &rc);
    cets_transfers_foreach(e, 0, add_transfer_resv, &r);
    int64_t funds = 0, held[CETS_MAX_INSTRUMENTS] = {0};
    const char *bad = NULL;
    for (uint32_t p = 1; p <= np && !bad; p++) {
        cets_participant_info pi;
        cets_participant_get(e, p, &pi);
        if (pi.available < 0 || pi.frozen < 0 || pi.unsettled < 0) {
            snprintf(msg, sizeof msg, "participant %u: negative funds", p);
            bad = msg;
        } else if (pi.frozen != r.funds[p]) {
            snprintf(msg, sizeof msg, "participant %u: frozen funds %lld != reserved %lld", p,
                     (long long)pi.frozen, (long long)r.funds[p]);
            bad = msg;
        }
        funds += pi.available + pi.frozen;
        for (uint32_t i = 0; i < ni && !bad; i++) {
            cets_holding h;
            cets_holding_get(e, p, i, &h);
            if (h.available < 0 || h.frozen < 0 || h.locked < 0) {
                snprintf(msg, sizeof msg, "participant %u instrument %u: negative holding", p, i);
                bad = msg;
            } else if (h.frozen != r.qty[(size_t)p * CETS_MAX_INSTRUMENTS + i]) {
                snprintf(msg, sizeof msg, "participant %u instrument %u: frozen %lld != reserved",
                         p, i, (long long)h.frozen);
                bad = msg;
            }
            held[i] += h.available + h.frozen + h.locked;
        }
    }
    free(r.funds);
    free(r.qty);
    if (bad)
        return bad;
    cets_totals t;
    cets_totals_get(e, &t);
    if (funds != t.deposits - t.withdrawals) {
        snprintf(msg, sizeof msg, "funds %lld != deposits - withdrawals %lld", (long long)funds,
                 (long long)(t.deposits - t.withdrawals));
        return msg;
    }
    for (uint32_t i = 0; i < ni; i++) {
        if (held[i] != t.issued[i] - t.retired[i]) {
            snprintf(msg, sizeof msg, "instrument %u: held %lld != issued - retired %lld", i,
                     (long long)held[i], (long long)(t.issued[i] - t.retired[i]));
            return msg;
        }
        cets_depth d;
        cets_depth_get(e, i, &d);
        if (d.nbids && d.nasks && d.bids[0].price >= d.asks[0].price) {
            snprintf(msg, sizeof msg, "instrument %u: book crossed", i);
            return msg;
        }
    }
    return NULL;
}

int64_t tm_avail(const tmarket *m, uint32_t pid)
{
    cets_participant_info pi;
    cets_participant_get(m->e, pid, &pi);
    return pi.available;
}

int64_t tm_frozen(const tmarket *m, uint32_t pid)
{
    cets_participant_info pi;
    cets_participant_get(m->e, pid, &pi);
    return pi.frozen;
}

cets_holding tm_hold(const tmarket *m, uint32_t pid, uint32_t iid)
{
    cets_holding h = {0};
    cets_holding_get(m->e, pid, iid, &h);
    return h;
}
