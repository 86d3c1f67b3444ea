/* trules.c -- see trules.h. */
#include "trules.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

static uint64_t hash_before;

void tr_begin(tmarket *m)
{
    hash_before = cets_state_hash(m->e);
    tm_clear_events(m);
}

void tr_end_reject(tmarket *m, int rc, int code, const char *file, int line)
{
    if (rc != code) {
        print_error("%s:%d: expected %s (%d), got %s (%d)\n", file, line, cets_reason_name(code),
                    code, cets_reason_name(rc), rc);
        _fail(file, line);
    }
    if (cets_state_hash(m->e) != hash_before) {
        print_error("%s:%d: rejected command (%s) changed the state hash\n", file, line,
                    cets_reason_name(code));
        _fail(file, line);
    }
    if (tm_count_events(m, CETS_EV_REJECTED) != 1 || m->nev != 1) {
        print_error("%s:%d: expected exactly one event (REJECTED), got %zu events, %zu REJECTED\n",
                    file, line, m->nev, tm_count_events(m, CETS_EV_REJECTED));
        _fail(file, line);
    }
    const cets_event *ev = tm_last_event(m, CETS_EV_REJECTED);
    if (ev->u.reject.code != code) {
        print_error("%s:%d: REJECTED event carries %s, expected %s\n", file, line,
                    cets_reason_name(ev->u.reject.code), cets_reason_name(code));
        _fail(file, line);
    }
    const char *bad = tm_invariants(m->e);
    if (bad) {
        print_error("%s:%d: invariant broken: %s\n", file, line, bad);
        _fail(file, line);
    }
}

void tr_end_ok(tmarket *m, int rc, const char *file, int line)
{
    if (rc != CETS_OK) {
        print_error("%s:%d: expected ok, got %s (%d)\n", file, line, cets_reason_name(rc), rc);
        _fail(file, line);
    }
    if (tm_count_events(m, CETS_EV_REJECTED) != 0) {
        print_error("%s:%d: accepted command emitted a REJECTED event\n", file, line);
        _fail(file, line);
    }
    const char *bad = tm_invariants(m->e);
    if (bad) {
        print_error("%s:%d: invariant broken: %s\n", file, line, bad);
        _fail(file, line);
    }
}

size_t tr_trades(const tmarket *m, cets_trade *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < m->nev; i++) {
        if (m->ev[i].type != CETS_EV_TRADE) continue;
        if (n < cap) out[n] = m->ev[i].u.trade;
        n++;
    }
    return n;
}

const cets_event *tr_done(const tmarket *m, uint64_t order_id)
{
    for (size_t i = m->nev; i-- > 0;)
        if (m->ev[i].type == CETS_EV_ORDER_DONE && m->ev[i].u.done.order.order_id == order_id)
            return &m->ev[i];
    return NULL;
}

bool tr_live(const tmarket *m, uint64_t order_id)
{
    cets_order_info o;
    return cets_order_get(m->e, order_id, &o) == 0;
}

int64_t tr_level(const tmarket *m, uint32_t iid, int side, int k, int64_t *price, uint32_t *count)
{
    cets_depth d;
    memset(&d, 0, sizeof d);
    assert_int_equal(cets_depth_get(m->e, iid, &d), 0);
    uint32_t n = side == CETS_BUY ? d.nbids : d.nasks;
    const cets_level *l = side == CETS_BUY ? d.bids : d.asks;
    if (k < 0 || (uint32_t)k >= n) {
        if (price) *price = 0;
        if (count) *count = 0;
        return 0;
    }
    if (price) *price = l[k].price;
    if (count) *count = l[k].count;
    return l[k].qty;
}

int64_t tr_funds(const tmarket *m, uint32_t pid)
{
    return tm_avail(m, pid) + tm_frozen(m, pid);
}

int64_t tr_fee(int64_t value, int32_t ppm)
{
    return (value * ppm + 500000) / 1000000;
}

int tr_cmd(tmarket *m, int type, uint32_t actor, uint32_t pid, uint32_t iid, int64_t qty,
           int64_t aux)
{
    cets_cmd c = {.type = (uint8_t)type,
                  .actor = actor,
                  .participant = pid,
                  .instrument = iid,
                  .qty = qty,
                  .aux = aux};
    return tm_apply(m, &c, NULL);
}

int tr_add_instrument(tmarket *m, uint32_t actor, const char *code, int product, int matching,
                      int64_t prev_close, cets_result *r)
{
    cets_cmd c = {.type = CETS_CMD_INSTRUMENT_ADD,
                  .actor = actor,
                  .aux = product,
                  .flags = (uint8_t)matching,
                  .price = prev_close};
    snprintf(c.u.text, sizeof c.u.text, "%s", code);
    return tm_apply(m, &c, r);
}

int tr_add_participant(tmarket *m, uint32_t actor, int kind, const char *name, cets_result *r)
{
    cets_cmd c = {.type = CETS_CMD_PARTICIPANT_ADD, .actor = actor, .aux = kind};
    snprintf(c.u.text, sizeof c.u.text, "%s", name);
    return tm_apply(m, &c, r);
}

int tr_post_as(tmarket *m, uint32_t actor, uint32_t pid, uint32_t iid, int side, int64_t price,
               int64_t qty)
{
    cets_cmd c = {.type = CETS_CMD_POST,
                  .actor = actor,
                  .participant = pid,
                  .instrument = iid,
                  .side = (uint8_t)side,
                  .price = price,
                  .qty = qty};
    return tm_apply(m, &c, NULL);
}

int tr_eod_now(tmarket *m)
{
    cets_cmd c = {.type = CETS_CMD_END_OF_DAY, .actor = CETS_EXCHANGE_ID};
    return tm_apply(m, &c, NULL);
}
