/* lob.c -- the plain limit-order-book entry point (lob.h) on the full engine.
 *
 * One continuous instrument whose band is set to the caller's price range,
 * sessions, pre-funding and fees off, depth events off. Owners map to participants
 * created on first use, so "never trade with yourself" is the engine's own
 * self-trade rule.
 */
#include <stdlib.h>
#include <string.h>

#include "cets/lob.h"
#include "internal.h"

struct cets_lob {
    cets_engine *e;
    cets_lob_trade_fn fn;
    void *ctx;
    uint32_t *owner_pid; /* owner -> participant */
    uint32_t nowners;
    uint64_t seq;
    int last_error;
    /* The commands of cets_lob_add and cets_lob_cancel, zeroed once: each
     * call writes only the fields it sets (a 208-byte command is not zeroed
     * per call). */
    cets_cmd post, cancel;
};

static void lob_listen(void *ctx, const cets_event *ev)
{
    cets_lob *lob = ctx;
    if (ev->type != CETS_EV_TRADE || !lob->fn) return;
    const cets_trade *t = &ev->u.trade;
    uint64_t taker = t->aggressor == CETS_BUY ? t->buy_order : t->sell_order;
    uint64_t maker = t->aggressor == CETS_BUY ? t->sell_order : t->buy_order;
    lob->fn(lob->ctx, maker, taker, t->price, t->qty);
}

cets_lob *cets_lob_new(int64_t min_price, int64_t max_price, cets_lob_trade_fn fn, void *ctx)
{
    if (min_price < 1 || max_price < min_price || max_price - min_price > 50000000) return NULL;
    cets_config cfg;
    cets_config_default(&cfg);
    cfg.enforce_sessions = false;
    cfg.enforce_risk = false;
    cfg.emit_depth = false;
    cfg.keep_trades = false;
    cfg.listing_max_qty = INT32_MAX;
    /* No fees: lob.h has no funds to charge them to (pre-funding is off) and
     * tells no one of them, so working them out per fill would be wasted. */
    memset(cfg.fee_ppm, 0, sizeof cfg.fee_ppm);
    cets_lob *lob = calloc(1, sizeof *lob);
    if (!lob || !(lob->e = cets_engine_new(&cfg))) {
        free(lob);
        return NULL;
    }
    lob->fn = fn;
    lob->ctx = ctx;
    /* any valid reference price: the band is set to the caller's range below */
    cets_cmd c = {.seq = ++lob->seq,
                  .type = CETS_CMD_INSTRUMENT_ADD,
                  .actor = CETS_EXCHANGE_ID,
                  .flags = CETS_MATCH_CONTINUOUS,
                  .price = 100};
    memcpy(c.u.text, "LOB", 4);
    if (cets_apply(lob->e, &c, NULL) != CETS_OK) {
        cets_lob_free(lob);
        return NULL;
    }
    instrument *in = &lob->e->inst[0];
    if (!book_init(&in->bk, min_price, max_price, 1)) {
        cets_lob_free(lob);
        return NULL;
    }
    band_set(in, min_price, max_price);
    cets_engine_set_listener(lob->e, lob_listen, lob);
    cets_engine_set_event_mask(lob->e, 1u << CETS_EV_TRADE); /* the only events it reads */
    lob->post.type = CETS_CMD_POST;
    lob->cancel.type = CETS_CMD_CANCEL;
    lob->cancel.actor = CETS_EXCHANGE_ID;
    return lob;
}

void cets_lob_free(cets_lob *lob)
{
    if (!lob) return;
    cets_engine_free(lob->e);
    free(lob->owner_pid);
    free(lob);
}

/* The first use of an owner: its participant made (0 when it cannot be).
 * Out of line, so that the calls for owners already known stay lean. */
__attribute__((noinline, cold)) static uint32_t owner_new(cets_lob *lob, uint32_t owner)
{
    if (owner == 0 || owner > 10000000) return 0;
    if (owner >= lob->nowners) {
        uint32_t n = lob->nowners ? lob->nowners : 64;
        while (n <= owner) n *= 2;
        uint32_t *p = realloc(lob->owner_pid, n * sizeof *p);
        if (!p) return 0;
        memset(p + lob->nowners, 0, (n - lob->nowners) * sizeof *p);
        lob->owner_pid = p;
        lob->nowners = n;
    }
    if (!lob->owner_pid[owner]) {
        cets_cmd c = {.seq = ++lob->seq,
                      .type = CETS_CMD_PARTICIPANT_ADD,
                      .actor = CETS_EXCHANGE_ID,
                      .aux = CETS_PK_INSTITUTION};
        cets_result r;
        if (cets_apply(lob->e, &c, &r) != CETS_OK) return 0;
        lob->owner_pid[owner] = r.id;
    }
    return lob->owner_pid[owner];
}

static inline uint32_t owner_participant(cets_lob *lob, uint32_t owner)
{
    uint32_t pid = owner < lob->nowners ? lob->owner_pid[owner] : 0;
    return pid ? pid : owner_new(lob, owner);
}

uint64_t cets_lob_add(cets_lob *lob, int side, int64_t price, int64_t qty, uint32_t owner)
{
    uint32_t pid = owner_participant(lob, owner);
    if (!pid) {
        lob->last_error = CETS_UNKNOWN_PARTICIPANT;
        return 0;
    }
    cets_cmd *c = &lob->post;
    c->seq = ++lob->seq;
    c->side = (uint8_t)side;
    c->actor = c->participant = pid;
    c->price = price;
    c->qty = qty;
    cets_result r;
    lob->last_error = engine_apply(lob->e, c, &r);
    return lob->last_error == CETS_OK ? r.order_id : 0;
}

int cets_lob_cancel(cets_lob *lob, uint64_t order_id)
{
    /* An order already gone (or never given) is refused after one lookup:
     * the answer cets_apply would give (its cancel, by the exchange, fails
     * on that lookup and changes nothing), without the command around it. */
    if (!orders_find(lob->e, order_id)) return lob->last_error = CETS_UNKNOWN_ORDER;
    cets_cmd *c = &lob->cancel;
    c->seq = ++lob->seq;
    c->order_id = order_id;
    lob->last_error = engine_apply(lob->e, c, NULL);
    return lob->last_error;
}

int cets_lob_last_error(const cets_lob *lob)
{
    return lob->last_error;
}

void cets_lob_best(const cets_lob *lob, int64_t *bid, int64_t *ask)
{
    const book *b = &lob->e->inst[0].bk;
    *bid = b->bid.best >= 0 ? book_price(b, b->bid.best) : 0;
    *ask = b->ask.best >= 0 ? book_price(b, b->ask.best) : 0;
}
