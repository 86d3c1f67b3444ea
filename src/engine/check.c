/* check.c -- the invariants of the whole state, checked in one place.
 *
 * What must hold after every command (docs/rules.md, "Conservation"):
 * - nothing is negative: funds, holdings, reservations, what is owed;
 * - the books are consistent: every resting order is found by its id in the
 *   index and sits on the level of its price, in a FIFO whose links agree,
 *   level counts and quantities are the sums of their orders, the best level
 *   is the best non-empty one, each participant's open order count is its
 *   orders on the books, and the index holds nothing else;
 * - no book is crossed (best bid below best ask);
 * - frozen equals reserved: a participant's frozen funds are the sum of its
 *   live buy reservations (orders, block proposals, auction lots and bids),
 *   its frozen tonnes of an instrument the sum of its sell reservations and
 *   pending transfers of it;
 * - funds are conserved: the sum of available + frozen is deposits -
 *   withdrawals (fees move money to the exchange's account, never out);
 * - holdings are conserved: per instrument the sum of available + frozen +
 *   locked is issued - retired (surrendered and cancelled tonnes are retired).
 *
 * The tests call it after every command, the snapshot loader refuses a state
 * that fails it, and `cets replay --verify` reports it. It walks the whole
 * state (O(participants x instruments + orders + levels in use)) and only
 * reads. Sums are overflow-checked, so it can judge any loaded state.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

typedef struct checker {
    const cets_engine *e;
    cets_check_report *rep;
    int64_t *funds; /* reserved funds per participant */
    int64_t *qty;   /* reserved tonnes per participant x instrument */
    uint32_t *open; /* orders on the books per participant */
    bool failed;
} checker;

/* Record the first violation: rule is a stable phrase, fmt the details. */
__attribute__((format(printf, 3, 4))) static bool violated(checker *k, const char *rule,
                                                           const char *fmt, ...)
{
    if (k->failed) return false;
    k->failed = true;
    if (k->rep) {
        k->rep->rule = rule;
        char *m = k->rep->message;
        size_t len = sizeof k->rep->message;
        int n = snprintf(m, len, "%s: ", rule);
        va_list ap;
        va_start(ap, fmt);
        if (n > 0 && (size_t)n < len) vsnprintf(m + n, len - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return false;
}

static bool add(int64_t *sum, int64_t v)
{
    return !__builtin_add_overflow(*sum, v, sum);
}

static int64_t *resv_qty(checker *k, uint32_t pid, uint32_t iid)
{
    return &k->qty[(size_t)pid * k->e->ninst + iid];
}

/* A reservation of pid: funds for a buyer, tonnes of iid for a seller. */
static bool reserve(checker *k, uint32_t pid, uint32_t iid, int side, int64_t amount,
                    const char *what, uint64_t id)
{
    if (amount < 0)
        return violated(k, "a reservation is negative", "%s %llu reserves %lld", what,
                        (unsigned long long)id, (long long)amount);
    if (pid < 1 || pid > k->e->nparts || iid >= k->e->ninst)
        return violated(k, "a reservation belongs to no one",
                        "%s %llu: participant %u, "
                        "instrument %u",
                        what, (unsigned long long)id, pid, iid);
    if (!add(side == CETS_BUY ? &k->funds[pid] : resv_qty(k, pid, iid), amount))
        return violated(k, "reservations overflow", "participant %u", pid);
    return true;
}

/* One side of a book: levels, FIFOs, the index, reservations. */
static bool check_side(checker *k, uint32_t iid, int is_bid, uint32_t *counted)
{
    const cets_engine *e = k->e;
    const book *b = &e->inst[iid].bk;
    const side_book *s = is_bid ? &b->bid : &b->ask;
    const char *name = is_bid ? "bid" : "ask";
    int32_t first = book_next(s, b->nlevels, is_bid, is_bid ? b->nlevels - 1 : 0);
    if (s->best != first)
        return violated(k, "a book's best level is not its best non-empty level",
                        "instrument %u %s: best level %d, first non-empty %d", iid, name, s->best,
                        first);
    uint32_t norders = 0;
    for (int32_t idx = s->best; idx >= 0;
         idx = book_next(s, b->nlevels, is_bid, is_bid ? idx - 1 : idx + 1)) {
        const level *l = &s->levels[idx];
        uint32_t n = 0, prev = 0;
        int64_t qty = 0;
        for (uint32_t slot = l->head; slot; prev = slot, slot = e->orders[slot].next) {
            if (slot >= e->capord || n > e->capord)
                return violated(k, "a book links outside the order pool",
                                "instrument %u %s level %d: slot %u", iid, name, idx, slot);
            const order *o = &e->orders[slot];
            if (o->prev != prev)
                return violated(k, "a book's FIFO links disagree",
                                "instrument %u %s level %d: order %llu", iid, name, idx,
                                (unsigned long long)o->id);
            if (!o->id || orders_find(e, o->id) != slot)
                return violated(k, "a resting order is not in the order index",
                                "order %llu (instrument %u, slot %u)", (unsigned long long)o->id,
                                iid, slot);
            if (o->instrument != iid || (o->side == CETS_BUY) != is_bid ||
                o->price != book_price(b, idx))
                return violated(k, "a resting order is not on the level of its price",
                                "order %llu: instrument %u side %u price %lld, on instrument %u "
                                "%s level %lld",
                                (unsigned long long)o->id, o->instrument, o->side,
                                (long long)o->price, iid, name, (long long)book_price(b, idx));
            if (o->qty <= 0 || o->filled_qty < 0 || o->filled_value < 0 || o->fees < 0)
                return violated(k, "a resting order has a negative or zero quantity",
                                "order %llu: qty %lld, filled %lld", (unsigned long long)o->id,
                                (long long)o->qty, (long long)o->filled_qty);
            if (o->id >= e->next_order_id)
                return violated(k, "an order id was never given", "order %llu, next id %llu",
                                (unsigned long long)o->id, (unsigned long long)e->next_order_id);
            if (!reserve(k, o->participant, iid, o->side, o->reserved, "order", o->id))
                return false;
            k->open[o->participant]++;
            n++;
            qty += o->qty;
        }
        if (prev != l->tail || n != l->count || n == 0 || qty != l->qty)
            return violated(k, "a book level disagrees with its orders",
                            "instrument %u %s level %lld: count %u qty %lld, orders %u qty %lld",
                            iid, name, (long long)book_price(b, idx), l->count, (long long)l->qty,
                            n, (long long)qty);
        norders += n;
    }
    if (norders != s->norders)
        return violated(k, "a book's order count disagrees with its levels",
                        "instrument %u %s: %u orders counted, %u recorded", iid, name, norders,
                        s->norders);
    *counted += norders;
    return true;
}

static bool check_books(checker *k)
{
    const cets_engine *e = k->e;
    uint32_t booked = 0;
    for (uint32_t i = 0; i < e->ninst; i++) {
        const book *b = &e->inst[i].bk;
        if (!check_side(k, i, 1, &booked) || !check_side(k, i, 0, &booked)) return false;
        if (b->bid.best >= 0 && b->ask.best >= 0 && b->bid.best >= b->ask.best)
            return violated(k, "a book is crossed", "instrument %u: best bid %lld >= best ask %lld",
                            i, (long long)book_price(b, b->bid.best),
                            (long long)book_price(b, b->ask.best));
    }
    if (booked != e->nlive)
        return violated(k, "the order index holds orders that are on no book",
                        "%u orders indexed, %u on the books", e->nlive, booked);
    for (uint32_t p = 1; p <= e->nparts; p++)
        if (k->open[p] != e->gates[p].open_orders)
            return violated(k, "a participant's open orders disagree with the books",
                            "participant %u: %u open orders recorded, %u on the books", p,
                            e->gates[p].open_orders, k->open[p]);
    return true;
}

/* Reservations outside the books: block proposals, auction lots and bids,
 * pending transfers. What is no longer open reserves nothing. */
static bool check_other_reservations(checker *k)
{
    const cets_engine *e = k->e;
    for (uint32_t i = 0; i < e->nblocks; i++) {
        const cets_block_info *b = &e->blocks[i];
        if (b->status != CETS_BLOCK_OPEN && b->reserved)
            return violated(k, "a closed block still reserves", "block %llu reserves %lld",
                            (unsigned long long)b->id, (long long)b->reserved);
        if (!reserve(k, b->owner, b->instrument, b->side, b->reserved, "block", b->id))
            return false;
    }
    for (uint32_t i = 0; i < e->nauctions; i++) {
        const cets_auction_info *a = &e->auctions[i];
        if (a->status != CETS_AUCTION_OPEN && a->reserved)
            return violated(k, "a closed auction still reserves", "auction %llu reserves %lld",
                            (unsigned long long)a->id, (long long)a->reserved);
        if (!reserve(k, a->initiator, a->instrument, a->side, a->reserved, "auction", a->id))
            return false;
    }
    for (uint32_t i = 0; i < e->nbids; i++) {
        const cets_bid_info *b = &e->bids[i];
        if (b->auction < 1 || b->auction > e->nauctions)
            return violated(k, "a bid belongs to no auction", "bid %llu: auction %llu",
                            (unsigned long long)b->id, (unsigned long long)b->auction);
        const cets_auction_info *a = &e->auctions[b->auction - 1];
        if (a->status != CETS_AUCTION_OPEN && b->reserved)
            return violated(k, "a bid of a closed auction still reserves", "bid %llu reserves %lld",
                            (unsigned long long)b->id, (long long)b->reserved);
        int side = a->side == CETS_SELL ? CETS_BUY : CETS_SELL; /* bidders take the other side */
        if (!reserve(k, b->participant, a->instrument, side, b->reserved, "bid", b->id))
            return false;
    }
    for (uint32_t i = 0; i < e->ntransfers; i++) {
        const cets_transfer_info *t = &e->transfers[i];
        if (t->status == 1 &&
            !reserve(k, t->from, t->instrument, CETS_SELL, t->qty, "transfer", t->id))
            return false;
    }
    return true;
}

/* Balances: nothing negative, frozen = reserved, and the two sums. */
static bool check_accounts(checker *k)
{
    const cets_engine *e = k->e;
    int64_t funds = 0, held[CETS_MAX_INSTRUMENTS] = {0};
    for (uint32_t p = 1; p <= e->nparts; p++) {
        const participant *pp = &e->parts[p];
        if (pp->avail < 0 || pp->frozen < 0 || pp->unsettled < 0 || pp->owed < 0)
            return violated(k, "a participant's funds are negative",
                            "participant %u: available %lld, frozen %lld, unsettled %lld, owed "
                            "%lld",
                            p, (long long)pp->avail, (long long)pp->frozen,
                            (long long)pp->unsettled, (long long)pp->owed);
        if (pp->frozen != k->funds[p])
            return violated(k, "frozen funds differ from the live reservations",
                            "participant %u: frozen funds %lld, reserved %lld", p,
                            (long long)pp->frozen, (long long)k->funds[p]);
        if (!add(&funds, pp->avail) || !add(&funds, pp->frozen))
            return violated(k, "funds overflow", "participant %u", p);
        for (uint32_t i = 0; i < e->ninst; i++) {
            const holding *h = &e->hold[(size_t)p * e->stride + i];
            if (h->avail < 0 || h->frozen < 0 || h->locked < 0)
                return violated(k, "a holding is negative",
                                "participant %u instrument %u: available %lld, frozen %lld, "
                                "locked %lld",
                                p, i, (long long)h->avail, (long long)h->frozen,
                                (long long)h->locked);
            if (h->frozen != *resv_qty(k, p, i))
                return violated(k, "frozen holdings differ from the live reservations",
                                "participant %u instrument %u: frozen %lld, reserved %lld", p, i,
                                (long long)h->frozen, (long long)*resv_qty(k, p, i));
            if (!add(&held[i], h->avail) || !add(&held[i], h->frozen) || !add(&held[i], h->locked))
                return violated(k, "holdings overflow", "instrument %u", i);
        }
    }
    int64_t net;
    if (e->deposits < 0 || e->withdrawals < 0 ||
        __builtin_sub_overflow(e->deposits, e->withdrawals, &net) || funds != net)
        return violated(k, "funds are not conserved",
                        "available + frozen %lld, deposits - withdrawals %lld - %lld",
                        (long long)funds, (long long)e->deposits, (long long)e->withdrawals);
    for (uint32_t i = 0; i < e->ninst; i++) {
        const instrument *in = &e->inst[i];
        if (in->issued < 0 || in->retired < 0 || in->retired > in->issued)
            return violated(k, "issued and retired tonnes are inconsistent",
                            "instrument %u: issued %lld, retired %lld", i, (long long)in->issued,
                            (long long)in->retired);
        if (held[i] != in->issued - in->retired)
            return violated(k, "holdings are not conserved",
                            "instrument %u: held %lld, issued %lld - retired %lld", i,
                            (long long)held[i], (long long)in->issued, (long long)in->retired);
    }
    return true;
}

int cets_check(const cets_engine *e, cets_check_report *rep)
{
    if (rep) memset(rep, 0, sizeof *rep);
    checker k = {.e = e, .rep = rep};
    size_t np = (size_t)e->nparts + 1;
    k.funds = calloc(np, sizeof *k.funds);
    k.qty = calloc(np * (e->ninst ? e->ninst : 1), sizeof *k.qty);
    k.open = calloc(np, sizeof *k.open);
    if (!k.funds || !k.qty || !k.open)
        violated(&k, "out of memory", "the check could not allocate its sums");
    else if (check_books(&k) && check_other_reservations(&k))
        check_accounts(&k);
    free(k.funds);
    free(k.qty);
    free(k.open);
    return k.failed ? -1 : 0;
}
