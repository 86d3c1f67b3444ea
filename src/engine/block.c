/* block.c -- block agreements (大宗协议): quotes on the block board, proposals
 * to a named counterparty, counter-proposals, and a trade only when both
 * sides have confirmed the same terms.
 *
 * A board quote is an invitation and reserves nothing. A proposal is its
 * proposer's confirmation of its terms, so it reserves funds (buyer: value +
 * fee) or tonnes (seller) at once; accepting it is the counterparty's
 * confirmation, reserves the other side, and settles the trade in the same
 * command. Everything open lapses at the end of the day. Every step is an
 * event, and the commands themselves are journaled: that is the audit trail.
 */
#include <string.h>

#include "internal.h"

static cets_block_info *block_find(cets_engine *e, uint64_t id)
{
    uint32_t lo = 0, hi = e->nblocks;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (e->blocks[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < e->nblocks && e->blocks[lo].id == id ? &e->blocks[lo] : NULL;
}

static void emit_block(cets_engine *e, const cets_block_info *b)
{
    cets_event ev = {.type = CETS_EV_BLOCK};
    ev.u.block = *b;
    engine_emit(e, &ev);
}

/* The block hours only (block.open to block.close, the afternoon session by
 * default); then the block band and size (band.c). */
static int check_terms(const cets_engine *e, const cets_cmd *c, uint32_t iid)
{
    if (e->cfg.enforce_sessions && !(c->ts >= e->bsess[0] && c->ts < e->bsess[1]))
        return CETS_SESSION_CLOSED;
    if (c->side != CETS_BUY && c->side != CETS_SELL) return CETS_BAD_SIDE;
    return band_check_block(e, &e->inst[iid], c->price, c->qty);
}

/* A proposal's reservation: a buyer's value + fee, a seller's tonnes. */
static int64_t block_need(const cets_engine *e, int side, int64_t price, int64_t qty)
{
    return side == CETS_BUY ? fee_buy_reserve(e, CETS_METHOD_BLOCK, 0, 0, price * qty) : qty;
}

static cets_block_info *block_push(cets_engine *e)
{
    if (!engine_vec_grow((void **)&e->blocks, &e->capblocks, e->nblocks + 1, sizeof *e->blocks))
        return NULL;
    cets_block_info *b = &e->blocks[e->nblocks++];
    memset(b, 0, sizeof *b);
    b->id = e->next_block_id++;
    return b;
}

static void block_release(cets_engine *e, cets_block_info *b, int status)
{
    if (b->reserved && e->cfg.enforce_risk)
        risk_hold(e, b->owner, b->instrument, b->side, -b->reserved);
    b->reserved = 0;
    b->status = (uint8_t)status;
    emit_block(e, b);
}

int block_quote(cets_engine *e, const cets_cmd *c)
{
    int rc;
    if ((rc = risk_check_trader(e, c)) || (rc = risk_check_market(e, c, c->instrument)) ||
        (rc = check_terms(e, c, c->instrument)))
        return rc;
    cets_block_info *b = block_push(e);
    if (!b) return CETS_CAPACITY;
    b->instrument = c->instrument;
    b->owner = c->participant;
    b->side = c->side;
    b->is_quote = 1;
    b->status = CETS_BLOCK_OPEN;
    b->price = c->price;
    b->qty = c->qty;
    b->ts = c->ts;
    e->res->order_id = b->id;
    emit_block(e, b);
    return CETS_OK;
}

/* Who a proposal goes to: a named participant, the owner of the quote it
 * answers, or the proposer of the proposal it counters. */
static int propose_target(cets_engine *e, const cets_cmd *c, uint32_t *to,
                          cets_block_info **answered)
{
    *answered = NULL;
    if (!c->order_id) {
        if (c->counterparty < 2 || c->counterparty > e->nparts) return CETS_UNKNOWN_PARTICIPANT;
        if (c->counterparty == c->participant) return CETS_SELF_TRADE;
        if (!risk_may_deal(e, c->counterparty, c->instrument)) return CETS_KIND_NOT_ALLOWED;
        *to = c->counterparty;
        return CETS_OK;
    }
    cets_block_info *a = block_find(e, c->order_id);
    if (!a || a->status != CETS_BLOCK_OPEN) return CETS_UNKNOWN_BLOCK;
    if (a->instrument != c->instrument || a->side == c->side) return CETS_TERMS_MISMATCH;
    if (a->owner == c->participant) return CETS_SELF_TRADE;
    if (!a->is_quote && a->counterparty != c->participant) return CETS_NOT_ADDRESSEE;
    *to = a->owner;
    *answered = a;
    return CETS_OK;
}

int block_propose(cets_engine *e, const cets_cmd *c)
{
    int rc;
    if ((rc = risk_check_trader(e, c)) || (rc = risk_check_market(e, c, c->instrument)) ||
        (rc = check_terms(e, c, c->instrument)))
        return rc;
    uint32_t to;
    cets_block_info *answered;
    if ((rc = propose_target(e, c, &to, &answered))) return rc;
    int64_t need = block_need(e, c->side, c->price, c->qty);
    if ((rc = risk_check_cover(e, c->participant, c->instrument, c->side, need)) ||
        (c->side == CETS_BUY && (rc = limits_check(e, c->participant, c->instrument, c->qty))))
        return rc;
    uint64_t answered_id = answered ? answered->id : 0;
    cets_block_info *b = block_push(e); /* may move the array: find `answered` again */
    if (!b) return CETS_CAPACITY;
    b->answers = answered_id;
    b->instrument = c->instrument;
    b->owner = c->participant;
    b->counterparty = to;
    b->side = c->side;
    b->status = CETS_BLOCK_OPEN;
    b->price = c->price;
    b->qty = c->qty;
    b->ts = c->ts;
    if (e->cfg.enforce_risk) {
        b->reserved = need;
        risk_hold(e, c->participant, c->instrument, c->side, need);
    }
    e->res->order_id = b->id;
    uint64_t id = b->id;
    if (answered_id && !(answered = block_find(e, answered_id))->is_quote)
        block_release(e, answered, CETS_BLOCK_COUNTERED);
    emit_block(e, block_find(e, id));
    return CETS_OK;
}

int block_accept(cets_engine *e, const cets_cmd *c)
{
    int rc;
    if ((rc = risk_check_trader(e, c))) return rc;
    cets_block_info *p = block_find(e, c->order_id);
    if (!p || p->is_quote || p->status != CETS_BLOCK_OPEN) return CETS_UNKNOWN_BLOCK;
    if (p->counterparty != c->participant) return CETS_NOT_ADDRESSEE;
    if (c->instrument != p->instrument || c->price != p->price || c->qty != p->qty ||
        c->side == p->side || (c->side != CETS_BUY && c->side != CETS_SELL))
        return CETS_TERMS_MISMATCH;
    if ((rc = risk_check_market(e, c, p->instrument)) || (rc = check_terms(e, c, p->instrument)))
        return rc;
    int64_t need = block_need(e, c->side, c->price, c->qty);
    /* the buyer, whichever side accepts: its holding may have grown since the proposal */
    uint32_t receiver = c->side == CETS_BUY ? c->participant : p->owner;
    if ((rc = risk_check_cover(e, c->participant, c->instrument, c->side, need)) ||
        (rc = limits_check(e, receiver, c->instrument, c->qty)))
        return rc;
    /* act: both sides are now confirmed and reserved; settle */
    uint32_t iid = p->instrument;
    int64_t value = p->price * p->qty;
    bool buyer_is_proposer = p->side == CETS_BUY;
    uint32_t buyer = buyer_is_proposer ? p->owner : c->participant;
    uint32_t seller = buyer_is_proposer ? c->participant : p->owner;
    int64_t bfee = fee_of(e, CETS_METHOD_BLOCK, CETS_BUY, value);
    int64_t sfee = fee_of(e, CETS_METHOD_BLOCK, CETS_SELL, value);
    if (e->cfg.enforce_risk) {
        risk_hold(e, c->participant, iid, c->side, need);
        trading_settle(e, iid, buyer, seller, p->qty, value, bfee, sfee);
    }
    p->reserved = 0;
    cets_trade tr = {.instrument = iid,
                     .method = CETS_METHOD_BLOCK,
                     .aggressor = c->side,
                     .buyer = buyer,
                     .seller = seller,
                     .buy_order = buyer_is_proposer ? p->id : 0,
                     .sell_order = buyer_is_proposer ? 0 : p->id,
                     .price = p->price,
                     .qty = p->qty,
                     .value = value,
                     .buyer_fee = bfee,
                     .seller_fee = sfee};
    trading_record(e, &tr);
    p->trade_id = tr.trade_id;
    p->status = CETS_BLOCK_ACCEPTED;
    e->res->order_id = p->id;
    emit_block(e, p);
    /* the negotiation started from a board quote? it is done now */
    cets_block_info *q = p->answers ? block_find(e, p->answers) : NULL;
    while (q && !q->is_quote) q = q->answers ? block_find(e, q->answers) : NULL;
    if (q && q->status == CETS_BLOCK_OPEN) {
        q->status = CETS_BLOCK_CLOSED;
        emit_block(e, q);
    }
    return CETS_OK;
}

int block_decline(cets_engine *e, const cets_cmd *c)
{
    if (c->participant < 1 || c->participant > e->nparts || c->actor != c->participant)
        return c->actor != c->participant ? CETS_NOT_AUTHORISED : CETS_UNKNOWN_PARTICIPANT;
    cets_block_info *p = block_find(e, c->order_id);
    if (!p || p->is_quote || p->status != CETS_BLOCK_OPEN) return CETS_UNKNOWN_BLOCK;
    if (p->counterparty != c->participant) return CETS_NOT_ADDRESSEE;
    block_release(e, p, CETS_BLOCK_DECLINED);
    return CETS_OK;
}

int block_withdraw(cets_engine *e, const cets_cmd *c)
{
    if (c->participant < 1 || c->participant > e->nparts || c->actor != c->participant)
        return c->actor != c->participant ? CETS_NOT_AUTHORISED : CETS_UNKNOWN_PARTICIPANT;
    cets_block_info *b = block_find(e, c->order_id);
    if (!b || b->status != CETS_BLOCK_OPEN) return CETS_UNKNOWN_BLOCK;
    if (b->owner != c->participant) return CETS_NOT_OWNER;
    block_release(e, b, CETS_BLOCK_WITHDRAWN);
    return CETS_OK;
}

/* A judicial freeze: everything the participant has open is withdrawn, and
 * proposals addressed to it are declined (it could not confirm them). */
void block_withdraw_all(cets_engine *e, uint32_t pid)
{
    for (uint32_t i = 0; i < e->nblocks; i++) {
        cets_block_info *b = &e->blocks[i];
        if (b->status != CETS_BLOCK_OPEN) continue;
        if (b->owner == pid)
            block_release(e, b, CETS_BLOCK_WITHDRAWN);
        else if (b->counterparty == pid)
            block_release(e, b, CETS_BLOCK_DECLINED);
    }
}

/* End of day: unconfirmed quotes and proposals lapse; the board starts empty. */
void block_lapse_all(cets_engine *e)
{
    for (uint32_t i = 0; i < e->nblocks; i++)
        if (e->blocks[i].status == CETS_BLOCK_OPEN)
            block_release(e, &e->blocks[i], CETS_BLOCK_LAPSED);
    e->nblocks = 0;
}

int cets_block_get(const cets_engine *e, uint64_t id, cets_block_info *out)
{
    const cets_block_info *b = block_find((cets_engine *)e, id);
    if (!b) return CETS_UNKNOWN_BLOCK;
    *out = *b;
    return CETS_OK;
}

void cets_blocks_foreach(const cets_engine *e, uint32_t pid,
                         void (*fn)(void *ctx, const cets_block_info *b), void *ctx)
{
    for (uint32_t i = 0; i < e->nblocks; i++) {
        const cets_block_info *b = &e->blocks[i];
        if (!pid || b->is_quote || b->owner == pid || b->counterparty == pid) fn(ctx, b);
    }
}
