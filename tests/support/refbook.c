/* refbook.c -- see refbook.h. Every function is a plain scan on purpose. */
#include "refbook.h"

#include <stdlib.h>
#include <string.h>

static int other(int side)
{
    return side == CETS_BUY ? CETS_SELL : CETS_BUY;
}

/* For a side, is price p better than q? (bids: higher; asks: lower) */
static bool better(int side, int64_t p, int64_t q)
{
    return side == CETS_BUY ? p > q : p < q;
}

void rb_init(rb_book *b)
{
    memset(b, 0, sizeof *b);
}

void rb_free(rb_book *b)
{
    free(b->o);
    memset(b, 0, sizeof *b);
}

void rb_clear(rb_book *b)
{
    b->n = 0;
}

void rb_add_prio(rb_book *b, const rb_order *o)
{
    if (b->n == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 64;
        b->o = realloc(b->o, b->cap * sizeof *b->o);
        if (!b->o) abort();
    }
    b->o[b->n++] = *o;
}

void rb_add(rb_book *b, uint64_t id, uint32_t owner, int side, int64_t price, int64_t qty)
{
    rb_order o = {
        .id = id, .owner = owner, .side = side, .price = price, .qty = qty, .prio = ++b->clock};
    rb_add_prio(b, &o);
}

rb_order *rb_find(rb_book *b, uint64_t id)
{
    for (size_t i = 0; i < b->n; i++)
        if (b->o[i].id == id) return &b->o[i];
    return NULL;
}

bool rb_remove(rb_book *b, uint64_t id)
{
    for (size_t i = 0; i < b->n; i++) {
        if (b->o[i].id == id) {
            /* keep the array in insertion order: nothing depends on it, but
             * it keeps the book easy to read in a debugger */
            memmove(&b->o[i], &b->o[i + 1], (b->n - i - 1) * sizeof *b->o);
            b->n--;
            return true;
        }
    }
    return false;
}

size_t rb_count(const rb_book *b)
{
    return b->n;
}

int64_t rb_level_price(const rb_book *b, int side, int k)
{
    int64_t prev = 0; /* price of the previous level found */
    for (int level = 0; level <= k; level++) {
        int64_t best = 0;
        bool found = false;
        for (size_t i = 0; i < b->n; i++) {
            const rb_order *o = &b->o[i];
            if (o->side != side) continue;
            if (level > 0 && !better(side, prev, o->price))
                continue; /* not strictly worse than the previous level */
            if (!found || better(side, o->price, best)) {
                best = o->price;
                found = true;
            }
        }
        if (!found) return 0;
        prev = best;
    }
    return prev;
}

int64_t rb_fee(int64_t value, int32_t ppm)
{
    return (value * ppm + 500000) / 1000000;
}

void rb_plan_match(const rb_book *b, int side, int64_t limit, int64_t qty, uint32_t owner,
                   int max_levels, int64_t taker_cum, int32_t taker_ppm, int32_t maker_ppm,
                   rb_plan *out)
{
    out->self_trade = false;
    out->n = 0;
    out->qty = 0;
    out->value = 0;
    int opp = other(side);
    int64_t bound = 0; /* worst price allowed by max_levels, 0 = no bound */
    if (max_levels > 0) bound = rb_level_price(b, opp, max_levels - 1);
    bool *used = calloc(b->n + 1, sizeof *used);
    if (!used) abort();
    int64_t left = qty;
    while (left > 0) {
        size_t pick = b->n;
        for (size_t i = 0; i < b->n; i++) {
            const rb_order *o = &b->o[i];
            if (used[i] || o->side != opp) continue;
            /* the incoming buy takes asks at or below its limit, a sell bids at or above */
            if (side == CETS_BUY ? o->price > limit : o->price < limit) continue;
            if (bound && better(opp, bound, o->price)) continue; /* beyond the allowed levels */
            if (pick == b->n || better(opp, o->price, b->o[pick].price) ||
                (o->price == b->o[pick].price && o->prio < b->o[pick].prio))
                pick = i;
        }
        if (pick == b->n) break;
        const rb_order *m = &b->o[pick];
        if (m->owner == owner) {
            out->self_trade = true;
            break;
        }
        used[pick] = true;
        int64_t q = left < m->qty ? left : m->qty;
        int64_t v = q * m->price;
        if (out->n == RB_MAX_FILLS) abort();
        rb_fill *f = &out->f[out->n++];
        f->maker_id = m->id;
        f->maker_owner = m->owner;
        f->price = m->price;
        f->qty = q;
        f->maker_fee = rb_fee(m->filled_value + v, maker_ppm) - rb_fee(m->filled_value, maker_ppm);
        f->taker_fee = rb_fee(taker_cum + v, taker_ppm) - rb_fee(taker_cum, taker_ppm);
        taker_cum += v;
        out->qty += q;
        out->value += v;
        left -= q;
    }
    free(used);
}

void rb_apply(rb_book *b, const rb_plan *p)
{
    for (size_t i = 0; i < p->n; i++) {
        rb_order *m = rb_find(b, p->f[i].maker_id);
        if (!m) abort();
        m->qty -= p->f[i].qty;
        m->filled_qty += p->f[i].qty;
        m->filled_value += p->f[i].price * p->f[i].qty;
        if (m->qty == 0) rb_remove(b, m->id);
    }
}

static void depth_side(const rb_book *b, int side, cets_level *lv, uint32_t *n)
{
    *n = 0;
    for (int k = 0; k < CETS_DEPTH; k++) {
        int64_t p = rb_level_price(b, side, k);
        if (!p) break;
        cets_level l = {.price = p};
        for (size_t i = 0; i < b->n; i++) {
            if (b->o[i].side == side && b->o[i].price == p) {
                l.qty += b->o[i].qty;
                l.count++;
            }
        }
        lv[(*n)++] = l;
    }
}

void rb_depth(const rb_book *b, cets_depth *out)
{
    memset(out, 0, sizeof *out);
    depth_side(b, CETS_BUY, out->bids, &out->nbids);
    depth_side(b, CETS_SELL, out->asks, &out->nasks);
}
