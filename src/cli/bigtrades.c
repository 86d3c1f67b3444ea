/* bigtrades.c -- the day's large trades: block agreements and auctions.
 *
 * Beside the screen's listings, a trading day has trades of 100,000 t and
 * more, which never set prices but carry most of the national market's
 * volume (scenario.c):
 *  - one-way bidding: the operator runs the scenario's auctions (none, one or
 *    two), in which the entity holding the most of a vintage sells part of
 *    its allowances -- the newest vintage at a uniform price, 10:00-10:30
 *    (floor: the previous close), and the one before it pay-as-bid,
 *    13:30-14:00 (floor: the previous close -10%); buyers bid during the
 *    window, fully pre-funded, and the operator closes each auction when its
 *    window ends;
 *  - block agreements (afternoon only): a participant proposes a trade to a
 *    named counterparty, which accepts (most often), declines, or lets the
 *    proposal lapse, minutes later; as many proposals as the scenario says,
 *    on the vintages the flow trades most.
 * The operator's commands are scheduled by time (bigtrades_due); the
 * participants' commands take a share of the order flow's slots sized so that
 * the scenario's counts come out whatever the number of orders
 * (bigtrades_next). Ids of new auctions and proposals come from the
 * participants' view of the market (bigtrades_seen).
 */
#include <stdlib.h>
#include <string.h>

#include "sim.h"

#define MINUTE (60LL * 1000000000LL)
#define PENDING_MAX 64

typedef struct sim_auction {
    uint32_t k;                      /* sim instrument index */
    int mode, limit;                 /* cets AUCTION_ARG_MODE, AUCTION_ARG_LIMIT */
    int create_hm, start_hm, end_hm; /* local times, hhmm */
    int64_t create, start, end;
    uint64_t id; /* 0 until created */
    bool created, closed;
} sim_auction;

typedef struct proposal { /* waiting for its counterparty's answer */
    uint64_t id;
    int64_t due;
    cets_cmd answer; /* the terms, repeated; type set when due */
} proposal;

struct bigtrades {
    const sim_market *m;
    rng r;
    int bid_chance, block_chance; /* per 100,000 slots */
    sim_auction auctions[2];
    int64_t block_open, block_close;
    proposal pending[PENDING_MAX];
    int npending;
    bool awaiting; /* the last command was a proposal: its id comes next */
};

/* The newest CEA vintage listed (skip: how many newer to pass over), or -1. */
static int newest_cea(const sim_market *m, int skip)
{
    for (int k = (int)m->ninstr - 1; k >= 0; k--)
        if (m->product[k] == CETS_PRODUCT_CEA && skip-- == 0) return k;
    return -1;
}

/* per 100,000 slots, so that want of them happen in slots slots */
static int chance_of(int64_t want, int64_t slots)
{
    if (want <= 0 || slots <= 0) return 0;
    int64_t c = want * 100000 / slots;
    return c > 100000 ? 100000 : c < 1 ? 1 : (int)c;
}

bigtrades *bigtrades_new(const sim_market *m, uint64_t seed, uint64_t orders)
{
    bigtrades *b = calloc(1, sizeof *b);
    if (!b) return NULL;
    b->m = m;
    b->r.s = seed ^ 0xB10C4A11C7105ULL;
    const sim_auction plan[2] = {
        {.k = 0, .mode = 0, .limit = 0, .create_hm = 945, .start_hm = 1000, .end_hm = 1030},
        {.k = 0, .mode = 1, .limit = 1, .create_hm = 1315, .start_hm = 1330, .end_hm = 1400},
    };
    for (int i = 0; i < 2; i++) {
        sim_auction *a = &b->auctions[i];
        *a = plan[i];
        int k = newest_cea(m, i);
        a->k = k < 0 ? 0 : (uint32_t)k;
        a->create = cets_time_at(m->date, a->create_hm / 100, a->create_hm % 100, m->tz);
        a->start = cets_time_at(m->date, a->start_hm / 100, a->start_hm % 100, m->tz);
        a->end = cets_time_at(m->date, a->end_hm / 100, a->end_hm % 100, m->tz);
        a->closed = k < 0 || i >= m->sc->auctions; /* none planned, or no such vintage */
    }
    /* A session holds half the day's orders over two hours: an auction's
     * half-hour window an eighth of them, the afternoon's blocks half. */
    b->bid_chance = chance_of(m->sc->auction_bids, (int64_t)orders / 8);
    b->block_chance = chance_of(m->sc->blocks, (int64_t)orders / 2);
    b->block_open = cets_time_at(m->date, 13, 0, m->tz);
    b->block_close = cets_time_at(m->date, 15, 0, m->tz);
    return b;
}

void bigtrades_free(bigtrades *b)
{
    free(b);
}

/* ---- whom to ask ----------------------------------------------------------- */

static int64_t funds_of(const cets_engine *e, uint32_t pid)
{
    cets_participant_info pi;
    return cets_participant_get(e, pid, &pi) == 0 ? pi.available : 0;
}

static int64_t tonnes_of(const cets_engine *e, uint32_t pid, uint32_t iid)
{
    cets_holding h;
    return cets_holding_get(e, pid, iid, &h) == 0 ? h.available : 0;
}

/* A random entity or institution (the big players), or 0. */
static uint32_t big_player(bigtrades *b)
{
    const sim_market *m = b->m;
    int kind = rng_chance(&b->r, 600) ? CETS_PK_ENTITY : CETS_PK_INSTITUTION;
    if (!m->nkind[kind]) kind = kind == CETS_PK_ENTITY ? CETS_PK_INSTITUTION : CETS_PK_ENTITY;
    if (!m->nkind[kind]) return 0;
    return m->pid[m->by_kind[kind][rng_below(&b->r, m->nkind[kind])]];
}

/* One who can sell qty of iid (tonnes) or pay for it (funds), in a few tries. */
static uint32_t find_able(bigtrades *b, const cets_engine *e, uint32_t iid, int side, int64_t qty,
                          int64_t price, uint32_t not )
{
    for (int tries = 0; tries < 12; tries++) {
        uint32_t pid = big_player(b);
        if (!pid || pid == not ) continue;
        bool able = side == CETS_SELL ? tonnes_of(e, pid, iid) >= qty
                                      : funds_of(e, pid) >= price * qty + price * qty / 1000;
        if (able) return pid;
    }
    return 0;
}

/* ---- the operator's auctions -------------------------------------------------- */

/* The entity holding the most of the instrument sells up to half of it. */
static bool auction_create(bigtrades *b, const cets_engine *e, sim_auction *a, cets_cmd *c)
{
    uint32_t iid = b->m->instr[a->k], seller = 0;
    int64_t most = 0;
    for (uint32_t i = 0; i < b->m->nparts; i++) {
        int64_t t = b->m->kind[i] == CETS_PK_ENTITY ? tonnes_of(e, b->m->pid[i], iid) : 0;
        if (t > most) {
            most = t;
            seller = b->m->pid[i];
        }
    }
    int64_t lot = most / 2 < 300000 ? most / 2 / 1000 * 1000 : 300000;
    if (lot < 100000) return false;
    c->type = CETS_CMD_AUCTION_CREATE;
    c->actor = CETS_EXCHANGE_ID;
    c->participant = seller;
    c->side = CETS_SELL;
    c->instrument = iid;
    c->qty = lot;
    c->u.args[CETS_AUCTION_ARG_START] = a->start;
    c->u.args[CETS_AUCTION_ARG_END] = a->end;
    c->u.args[CETS_AUCTION_ARG_MODE] = a->mode;
    c->u.args[CETS_AUCTION_ARG_LIMIT] = a->limit;
    c->u.args[CETS_AUCTION_ARG_MIN_FILL] = 0;
    return true;
}

bool bigtrades_due(bigtrades *b, const cets_engine *e, int64_t ts, cets_cmd *c, int64_t *at)
{
    memset(c, 0, sizeof *c);
    for (int i = 0; i < 2; i++) {
        sim_auction *a = &b->auctions[i];
        if (a->closed) continue;
        if (!a->created && ts >= a->create) {
            a->created = true;
            a->closed = ts >= a->start || !auction_create(b, e, a, c); /* too late, or no lot */
            if (a->closed) continue;
            *at = a->create;
            return true;
        }
        if (a->created && a->id && ts >= a->end) {
            a->closed = true;
            c->type = CETS_CMD_AUCTION_CLOSE;
            c->actor = CETS_EXCHANGE_ID;
            c->order_id = a->id;
            *at = a->end;
            return true;
        }
        if (a->created && !a->id) a->closed = true; /* its creation was rejected */
    }
    return false;
}

/* ---- the participants' side ------------------------------------------------------ */

/* A bid around the market's price (-2% to +1.5%), within the floor and cap. */
static bool auction_bid(bigtrades *b, const cets_engine *e, const sim_auction *a, cets_cmd *c)
{
    cets_auction_info ai;
    cets_instrument_info ii;
    if (cets_auction_get(e, a->id, &ai) != 0 || cets_instrument_get(e, ai.instrument, &ii) != 0)
        return false;
    int64_t price = ii.prev_close + ii.prev_close * rng_range(&b->r, -200, 150) / 10000;
    price = price < ai.reserve_price ? ai.reserve_price
            : price > ai.bid_limit   ? ai.bid_limit
                                     : price;
    int64_t qty = rng_range(&b->r, 10, 80) * 1000;
    uint32_t pid = find_able(b, e, ai.instrument, CETS_BUY, qty, price, ai.initiator);
    if (!pid) return false;
    c->type = CETS_CMD_AUCTION_BID;
    c->actor = c->participant = pid;
    c->side = CETS_BUY;
    c->instrument = ai.instrument;
    c->order_id = a->id;
    c->price = price;
    c->qty = qty < ai.lot ? qty : ai.lot;
    return true;
}

/* A proposal to a named counterparty that can take the other side. */
static bool block_propose(bigtrades *b, const cets_engine *e, int64_t ts, cets_cmd *c)
{
    if (b->npending == PENDING_MAX) return false;
    const sim_market *m = b->m;
    int total = 0;
    for (uint32_t i = 0; i < m->ninstr; i++) total += m->weight[i];
    int w = (int)rng_below(&b->r, (uint64_t)(total > 0 ? total : 1));
    uint32_t k = 0;
    while (k + 1 < m->ninstr && (w -= m->weight[k]) >= 0) k++;
    uint32_t iid = m->instr[k];
    cets_instrument_info ii;
    if (cets_instrument_get(e, iid, &ii) != 0) return false;
    /* negotiated around the previous close, moved as the day's market is */
    int64_t price =
        ii.prev_close + ii.prev_close * (m->sc->drift_bp / 2 + rng_range(&b->r, -200, 200)) / 10000;
    int64_t qty = rng_range(&b->r, m->sc->block_qty.lo / 1000, m->sc->block_qty.hi / 1000) * 1000;
    int side = rng_chance(&b->r, 500) ? CETS_SELL : CETS_BUY;
    int other = side == CETS_SELL ? CETS_BUY : CETS_SELL;
    uint32_t from = find_able(b, e, iid, side, qty, price, 0);
    uint32_t to = from ? find_able(b, e, iid, other, qty, price, from) : 0;
    if (!to) return false;
    c->type = CETS_CMD_BLOCK_PROPOSE;
    c->actor = c->participant = from;
    c->counterparty = to;
    c->side = (uint8_t)side;
    c->instrument = iid;
    c->price = price;
    c->qty = qty;
    proposal *p = &b->pending[b->npending];
    memset(p, 0, sizeof *p);
    p->due = ts + rng_range(&b->r, 1, 20) * MINUTE;
    p->answer = (cets_cmd){.actor = to,
                           .participant = to,
                           .side = (uint8_t)other,
                           .instrument = iid,
                           .price = price,
                           .qty = qty};
    b->awaiting = true;
    return true;
}

/* The counterparty of a proposal now due answers: mostly yes. */
static bool block_answer(bigtrades *b, int64_t ts, cets_cmd *c)
{
    for (int i = 0; i < b->npending; i++) {
        if (b->pending[i].due > ts) continue;
        proposal p = b->pending[i];
        b->pending[i] = b->pending[--b->npending];
        uint64_t u = rng_below(&b->r, 100);
        if (u >= 95) return false; /* ignored: it lapses at the end of the day */
        *c = p.answer;
        c->type = u < 85 ? CETS_CMD_BLOCK_ACCEPT : CETS_CMD_BLOCK_DECLINE;
        c->order_id = p.id;
        return true;
    }
    return false;
}

bool bigtrades_next(bigtrades *b, const cets_engine *e, int64_t ts, cets_cmd *c)
{
    memset(c, 0, sizeof *c);
    for (int i = 0; i < 2; i++) {
        const sim_auction *a = &b->auctions[i];
        if (a->id && !a->closed && ts >= a->start && ts < a->end &&
            (int)rng_below(&b->r, 100000) < b->bid_chance && auction_bid(b, e, a, c))
            return true;
    }
    if (ts < b->block_open || ts >= b->block_close) return false;
    if (block_answer(b, ts, c)) return true;
    return (int)rng_below(&b->r, 100000) < b->block_chance && block_propose(b, e, ts, c);
}

void bigtrades_seen(bigtrades *b, const cets_cmd *c, const cets_result *r)
{
    if (c->type == CETS_CMD_AUCTION_CREATE)
        for (int i = 0; i < 2; i++)
            if (b->auctions[i].created && !b->auctions[i].id && !b->auctions[i].closed &&
                b->m->instr[b->auctions[i].k] == c->instrument)
                b->auctions[i].id = r->code == CETS_OK ? r->order_id : 0;
    if (c->type == CETS_CMD_BLOCK_PROPOSE && b->awaiting) {
        b->awaiting = false;
        if (r->code == CETS_OK) b->pending[b->npending++].id = r->order_id;
    }
}
