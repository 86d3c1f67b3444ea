/* tmethods.c -- see tmethods.h. */
#include "tmethods.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

void tg_inv(tmarket *m, const char *file, int line)
{
    const char *bad = tm_invariants(m->e);
    if (bad) {
        print_error("%s:%d: invariant broken: %s\n", file, line, bad);
        _fail(file, line);
    }
}

uint32_t tg_party(tmarket *m, int kind, const char *name, int64_t funds)
{
    cets_result r;
    TR_OK(m, tr_add_participant(m, CETS_EXCHANGE_ID, kind, name, &r));
    if (funds > 0) TR_OK(m, tm_admin(m, CETS_CMD_DEPOSIT, r.id, 0, funds, 0));
    return r.id;
}

uint32_t tg_instrument(tmarket *m, const char *code, int product, int64_t prev_close)
{
    cets_result r;
    TR_OK(m, tr_add_instrument(m, CETS_EXCHANGE_ID, code, product, CETS_MATCH_LISTING, prev_close,
                               &r));
    return r.id;
}

void tg_credit(tmarket *m, uint32_t pid, uint32_t iid, int64_t qty)
{
    TR_OK(m, tm_admin(m, CETS_CMD_HOLDING_CREDIT, pid, iid, qty, 0));
}

int tg_block_as(tmarket *m, int type, uint32_t actor, uint32_t pid, uint32_t iid, int side,
                int64_t price, int64_t qty, uint64_t ref, uint32_t cpty, cets_result *r)
{
    cets_cmd c = {.type = (uint8_t)type,
                  .actor = actor,
                  .participant = pid,
                  .instrument = iid,
                  .side = (uint8_t)side,
                  .price = price,
                  .qty = qty,
                  .order_id = ref,
                  .counterparty = cpty};
    return tm_apply(m, &c, r);
}

int tg_block(tmarket *m, int type, uint32_t pid, uint32_t iid, int side, int64_t price, int64_t qty,
             uint64_t ref, uint32_t cpty, cets_result *r)
{
    return tg_block_as(m, type, pid, pid, iid, side, price, qty, ref, cpty, r);
}

int tg_auction(tmarket *m, uint32_t actor, uint32_t pid, uint32_t iid, int side, int64_t lot,
               int64_t start, int64_t end, int mode, int limit, int64_t min_fill_bp, cets_result *r)
{
    cets_cmd c = {.type = CETS_CMD_AUCTION_CREATE,
                  .actor = actor,
                  .participant = pid,
                  .instrument = iid,
                  .side = (uint8_t)side,
                  .qty = lot};
    c.u.args[CETS_AUCTION_ARG_START] = start;
    c.u.args[CETS_AUCTION_ARG_END] = end;
    c.u.args[CETS_AUCTION_ARG_MODE] = mode;
    c.u.args[CETS_AUCTION_ARG_LIMIT] = limit;
    c.u.args[CETS_AUCTION_ARG_MIN_FILL] = min_fill_bp;
    return tm_apply(m, &c, r);
}

int tg_bid(tmarket *m, uint32_t pid, uint64_t auction, int64_t price, int64_t qty, cets_result *r)
{
    cets_cmd c = {.type = CETS_CMD_AUCTION_BID,
                  .actor = pid,
                  .participant = pid,
                  .order_id = auction,
                  .price = price,
                  .qty = qty};
    return tm_apply(m, &c, r);
}

int tg_auction_cmd(tmarket *m, int type, uint32_t actor, uint64_t auction)
{
    cets_cmd c = {.type = (uint8_t)type, .actor = actor, .order_id = auction};
    return tm_apply(m, &c, NULL);
}

int tg_allocate(tmarket *m, uint32_t actor, uint32_t pid, uint32_t iid, int64_t qty, int trueup,
                int64_t output, int64_t benchmark)
{
    cets_cmd c = {.type = CETS_CMD_ALLOCATE,
                  .actor = actor,
                  .participant = pid,
                  .instrument = iid,
                  .qty = qty,
                  .aux = trueup};
    c.u.args[0] = output;
    c.u.args[1] = benchmark;
    return tm_apply(m, &c, NULL);
}

int tg_emissions(tmarket *m, uint32_t actor, uint32_t pid, int32_t year, int64_t tonnes)
{
    cets_cmd c = {
        .type = CETS_CMD_EMISSIONS, .actor = actor, .participant = pid, .aux = year, .qty = tonnes};
    return tm_apply(m, &c, NULL);
}

int tg_surrender(tmarket *m, uint32_t actor, uint32_t pid, int32_t year, int64_t qty,
                 cets_result *r)
{
    cets_cmd c = {
        .type = CETS_CMD_SURRENDER, .actor = actor, .participant = pid, .aux = year, .qty = qty};
    return tm_apply(m, &c, r);
}

int tg_surrender_named(tmarket *m, uint32_t actor, uint32_t pid, int32_t year, int n,
                       const cets_target *t, cets_result *r)
{
    cets_cmd c = {.type = CETS_CMD_SURRENDER,
                  .actor = actor,
                  .participant = pid,
                  .aux = year,
                  .ntargets = (uint8_t)n};
    for (int i = 0; i < n && i < CETS_MAX_TARGETS; i++) c.u.targets[i] = t[i];
    return tm_apply(m, &c, r);
}

int tg_retire(tmarket *m, uint32_t actor, uint32_t pid, uint32_t iid, int64_t qty, const char *text)
{
    cets_cmd c = {
        .type = CETS_CMD_RETIRE, .actor = actor, .participant = pid, .instrument = iid, .qty = qty};
    snprintf(c.u.text, sizeof c.u.text, "%s", text);
    return tm_apply(m, &c, NULL);
}

int tg_transfer(tmarket *m, uint32_t actor, uint32_t from, uint32_t to, uint32_t iid, int64_t qty,
                uint32_t user, cets_result *r)
{
    cets_cmd c = {.type = CETS_CMD_TRANSFER,
                  .actor = actor,
                  .participant = from,
                  .counterparty = to,
                  .instrument = iid,
                  .qty = qty,
                  .user = user};
    return tm_apply(m, &c, r);
}

int tg_transfer_decide(tmarket *m, int type, uint32_t actor, uint64_t id, uint32_t user)
{
    cets_cmd c = {
        .type = (uint8_t)type, .actor = actor, .participant = actor, .order_id = id, .user = user};
    return tm_apply(m, &c, NULL);
}

int tg_judicial(tmarket *m, uint32_t actor, uint32_t pid, int freeze)
{
    cets_cmd c = {.type = CETS_CMD_JUDICIAL, .actor = actor, .participant = pid, .aux = freeze};
    return tm_apply(m, &c, NULL);
}

int tg_deadline(tmarket *m, uint32_t actor, int32_t year)
{
    cets_cmd c = {.type = CETS_CMD_DEADLINE, .actor = actor, .aux = year};
    return tm_apply(m, &c, NULL);
}

size_t tg_moves(const tmarket *m, cets_registry_move *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < m->nev; i++) {
        if (m->ev[i].type != CETS_EV_REGISTRY) continue;
        if (n < cap) out[n] = m->ev[i].u.reg;
        n++;
    }
    return n;
}

int64_t tg_fee(int64_t value, int64_t ppm)
{
    /* value * ppm fits: values in the tests stay below 10^13 fen */
    return (value * ppm + 500000) / 1000000;
}

int64_t tg_held(const tmarket *m, uint32_t pid, uint32_t iid)
{
    cets_holding h = tm_hold(m, pid, iid);
    return h.available + h.frozen + h.locked;
}
