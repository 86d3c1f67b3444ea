/* floor.c -- see floor.h. */
#include "floor.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { FLOOR_REJECT = 1 };

typedef struct flevel {
    uint32_t head, tail;
} flevel;

typedef struct fside {
    flevel *lv;
    uint64_t *bits;
    int32_t best; /* -1 when empty */
} fside;

typedef struct finst {
    int64_t base, tick;
    int32_t nlevels;
    bool used;
    fside bid, ask;
} finst;

typedef struct forder {
    uint32_t next, prev;
    uint32_t id, participant;
    int32_t qty, idx;
    uint8_t is_bid, inst;
} forder;

struct floor_book {
    finst inst[CETS_MAX_INSTRUMENTS];
    forder *pool; /* [0] unused */
    uint32_t cap, free_head, nlive;
    uint32_t *slot_of; /* id -> slot, 0 = not live */
    uint64_t nids, next_id;
};

/* ---- the ladder ----------------------------------------------------------- */

/* Bids: the highest non-empty level <= from; asks: the lowest >= from. */
static int32_t next_level(const fside *s, int32_t nlevels, bool is_bid, int32_t from)
{
    if (from < 0 || from >= nlevels) return -1;
    int32_t w = from >> 6;
    if (is_bid) {
        uint64_t word = s->bits[w] & (~0ULL >> (63 - (from & 63)));
        while (!word) {
            if (--w < 0) return -1;
            word = s->bits[w];
        }
        return (w << 6) + 63 - __builtin_clzll(word);
    }
    int32_t nwords = (nlevels + 63) >> 6;
    uint64_t word = s->bits[w] & (~0ULL << (from & 63));
    while (!word) {
        if (++w >= nwords) return -1;
        word = s->bits[w];
    }
    return (w << 6) + __builtin_ctzll(word);
}

static void level_push(floor_book *f, finst *in, uint32_t slot)
{
    forder *o = &f->pool[slot];
    fside *s = o->is_bid ? &in->bid : &in->ask;
    flevel *l = &s->lv[o->idx];
    o->next = 0;
    o->prev = l->tail;
    if (l->tail)
        f->pool[l->tail].next = slot;
    else
        l->head = slot;
    l->tail = slot;
    s->bits[o->idx >> 6] |= 1ULL << (o->idx & 63);
    if (s->best < 0 || (o->is_bid ? o->idx > s->best : o->idx < s->best)) s->best = o->idx;
}

static void level_unlink(floor_book *f, finst *in, uint32_t slot)
{
    forder *o = &f->pool[slot];
    fside *s = o->is_bid ? &in->bid : &in->ask;
    flevel *l = &s->lv[o->idx];
    if (o->prev)
        f->pool[o->prev].next = o->next;
    else
        l->head = o->next;
    if (o->next)
        f->pool[o->next].prev = o->prev;
    else
        l->tail = o->prev;
    if (!l->head) {
        s->bits[o->idx >> 6] &= ~(1ULL << (o->idx & 63));
        if (s->best == o->idx)
            s->best = next_level(s, in->nlevels, o->is_bid, o->is_bid ? o->idx - 1 : o->idx + 1);
    }
}

/* ---- orders ---------------------------------------------------------------- */

static uint32_t order_alloc(floor_book *f)
{
    if (!f->free_head) {
        uint32_t cap = f->cap * 2;
        forder *p = realloc(f->pool, (size_t)cap * sizeof *p);
        if (!p) return 0;
        for (uint32_t i = cap - 1; i >= f->cap; i--) {
            p[i].next = f->free_head;
            f->free_head = i;
        }
        f->pool = p;
        f->cap = cap;
    }
    uint32_t slot = f->free_head;
    f->free_head = f->pool[slot].next;
    return slot;
}

static void order_end(floor_book *f, uint32_t slot)
{
    f->slot_of[f->pool[slot].id] = 0;
    f->pool[slot].next = f->free_head;
    f->free_head = slot;
    f->nlive--;
}

/* ---- matching --------------------------------------------------------------- */

typedef struct fills {
    uint32_t n;
    int64_t qty, value;
} fills;

/* Would an order of pid at idx for qty trade with pid's own orders? */
static bool self_trade(const floor_book *f, const finst *in, bool is_bid, int32_t idx, int64_t qty,
                       uint32_t pid)
{
    const fside *opp = is_bid ? &in->ask : &in->bid;
    for (int32_t i = opp->best; i >= 0 && qty > 0 && (is_bid ? i <= idx : i >= idx);
         i = next_level(opp, in->nlevels, !is_bid, is_bid ? i + 1 : i - 1)) {
        for (uint32_t s = opp->lv[i].head; s && qty > 0; s = f->pool[s].next) {
            if (f->pool[s].participant == pid) return true;
            qty -= f->pool[s].qty;
        }
    }
    return false;
}

/* Fill the order in slot t against the other side at prices up to its own. */
static void sweep(floor_book *f, finst *in, uint32_t t, fills *fl)
{
    forder *o = &f->pool[t];
    fside *opp = o->is_bid ? &in->ask : &in->bid;
    while (o->qty > 0 && opp->best >= 0 &&
           (o->is_bid ? opp->best <= o->idx : opp->best >= o->idx)) {
        int32_t idx = opp->best;
        int64_t px = in->base + idx * in->tick;
        flevel *l = &opp->lv[idx];
        while (o->qty > 0 && l->head) {
            uint32_t ms = l->head;
            forder *m = &f->pool[ms];
            int32_t q = m->qty < o->qty ? m->qty : o->qty;
            m->qty -= q;
            o->qty -= q;
            fl->n++;
            fl->qty += q;
            fl->value += q * px;
            if (m->qty == 0) {
                level_unlink(f, in, ms);
                order_end(f, ms);
            }
        }
    }
}

static int post(floor_book *f, const cets_cmd *c, fills *fl)
{
    finst *in = &f->inst[c->instrument];
    bool is_bid = c->side == CETS_BUY;
    int32_t idx = (int32_t)((c->price - in->base) / in->tick);
    const fside *opp = is_bid ? &in->ask : &in->bid;
    bool cross = opp->best >= 0 && (is_bid ? opp->best <= idx : opp->best >= idx);
    if (cross && self_trade(f, in, is_bid, idx, c->qty, c->participant)) return FLOOR_REJECT;
    uint32_t slot = order_alloc(f);
    uint64_t id = f->next_id++;
    forder *o = &f->pool[slot];
    *o = (forder){.id = (uint32_t)id,
                  .participant = c->participant,
                  .qty = (int32_t)c->qty,
                  .idx = idx,
                  .is_bid = is_bid,
                  .inst = (uint8_t)c->instrument};
    f->slot_of[id] = slot;
    f->nlive++;
    if (cross) sweep(f, in, slot, fl);
    if (o->qty > 0 && c->flags == CETS_TIF_DAY)
        level_push(f, in, slot);
    else
        order_end(f, slot);
    return 0;
}

static uint32_t own_order(const floor_book *f, const cets_cmd *c)
{
    uint32_t slot = c->order_id < f->nids ? f->slot_of[c->order_id] : 0;
    return slot && f->pool[slot].participant == c->participant ? slot : 0;
}

static int cancel(floor_book *f, const cets_cmd *c)
{
    uint32_t slot = own_order(f, c);
    if (!slot) return FLOOR_REJECT;
    level_unlink(f, &f->inst[f->pool[slot].inst], slot);
    order_end(f, slot);
    return 0;
}

static int modify(floor_book *f, const cets_cmd *c, fills *fl)
{
    uint32_t slot = own_order(f, c);
    if (!slot) return FLOOR_REJECT;
    forder *o = &f->pool[slot];
    finst *in = &f->inst[o->inst];
    int32_t idx = (int32_t)((c->price - in->base) / in->tick);
    if (idx == o->idx && c->qty == o->qty) return FLOOR_REJECT;
    if (idx == o->idx && c->qty < o->qty) { /* keeps its place */
        o->qty = (int32_t)c->qty;
        return 0;
    }
    const fside *opp = o->is_bid ? &in->ask : &in->bid;
    bool cross = opp->best >= 0 && (o->is_bid ? opp->best <= idx : opp->best >= idx);
    if (cross && self_trade(f, in, o->is_bid, idx, c->qty, o->participant)) return FLOOR_REJECT;
    level_unlink(f, in, slot);
    o->idx = idx;
    o->qty = (int32_t)c->qty;
    if (cross) sweep(f, in, slot, fl);
    if (o->qty > 0)
        level_push(f, in, slot);
    else
        order_end(f, slot);
    return 0;
}

static int apply(floor_book *f, const cets_cmd *c, fills *fl)
{
    switch (c->type) {
    case CETS_CMD_POST: return post(f, c, fl);
    case CETS_CMD_CANCEL: return cancel(f, c);
    case CETS_CMD_MODIFY: return modify(f, c, fl);
    default: return FLOOR_REJECT;
    }
}

void floor_run(floor_book *f, const cets_cmd *cmds, size_t n, fill_digest *d)
{
    for (size_t i = 0; i < n; i++) {
        fills fl = {0, 0, 0};
        int code = apply(f, &cmds[i], &fl);
        fill_digest_add(d, i, code, fl.n, fl.qty, fl.value);
    }
}

/* ---- set-up ------------------------------------------------------------------ */

static bool side_alloc(fside *s, int32_t nlevels)
{
    s->lv = calloc((size_t)nlevels, sizeof *s->lv);
    s->bits = calloc(((size_t)nlevels + 63) / 64, sizeof *s->bits);
    s->best = -1;
    return s->lv && s->bits;
}

floor_book *floor_new(const workload *w)
{
    floor_book *f = calloc(1, sizeof *f);
    if (!f) return NULL;
    uint64_t posts = 0;
    for (size_t i = 0; i < w->nsetup; i++) posts += w->setup[i].type == CETS_CMD_POST;
    for (size_t i = 0; i < w->ncmds; i++) posts += w->cmds[i].type == CETS_CMD_POST;
    f->nids = posts + 2;
    f->next_id = 1;
    f->cap = 1024;
    f->pool = malloc(f->cap * sizeof *f->pool);
    f->slot_of = calloc(f->nids, sizeof *f->slot_of);
    bool ok = f->pool && f->slot_of && f->nids < UINT32_MAX;
    for (uint32_t i = f->cap - 1; ok && i >= 1; i--) {
        f->pool[i].next = f->free_head;
        f->free_head = i;
    }
    /* The bands are the engine's (a fresh engine with the setup tells them);
     * then the setup's orders go onto the floor as onto the engine. */
    cets_engine *e = ok ? workload_engine(w, false, NULL, NULL) : NULL;
    uint32_t ninst = e ? cets_instrument_count(e) : 0;
    for (uint32_t k = 0; e && k < ninst && k < CETS_MAX_INSTRUMENTS; k++) {
        cets_instrument_info info;
        finst *in = &f->inst[k];
        if (cets_instrument_get(e, k, &info) != 0) {
            ok = false;
            break;
        }
        in->base = info.lower;
        in->tick = cets_engine_config(e)->tick;
        in->nlevels = (int32_t)((info.upper - info.lower) / in->tick + 1);
        in->used = true;
        ok &= side_alloc(&in->bid, in->nlevels) && side_alloc(&in->ask, in->nlevels);
    }
    ok &= e != NULL;
    cets_engine_free(e);
    for (size_t i = 0; ok && i < w->nsetup; i++) {
        fills fl = {0, 0, 0};
        if (w->setup[i].type == CETS_CMD_POST && apply(f, &w->setup[i], &fl) != 0) ok = false;
    }
    if (!ok) {
        fprintf(stderr, "floor: set-up failed\n");
        floor_free(f);
        return NULL;
    }
    return f;
}

void floor_free(floor_book *f)
{
    if (!f) return;
    for (int k = 0; k < CETS_MAX_INSTRUMENTS; k++) {
        free(f->inst[k].bid.lv);
        free(f->inst[k].bid.bits);
        free(f->inst[k].ask.lv);
        free(f->inst[k].ask.bits);
    }
    free(f->pool);
    free(f->slot_of);
    free(f);
}

uint64_t floor_live(const floor_book *f)
{
    return f->nlive;
}
