/* limits.c -- position limits: the most one participant may hold.
 *
 * A limit per participant kind and product (an entity's or an institution's
 * CEA of all vintages together, its CCER; an individual's CCER) and one per
 * CEA vintage for every kind, all market parameters (params.c, 0 = none).
 * What counts is the whole holding: available, frozen (reserved by its sells,
 * proposals, bids and transfers) and bought today (T+1 locked). The check
 * runs before everything that would bring tonnes in: a buy listing or order,
 * a take, a modification that buys more, a block proposal or acceptance on
 * the buying side, an auction bid (and a buyer's own auction), a transfer's
 * request and approval; a refusal is position_limit, whose message names
 * the limits (cets_reject_message). It counts what is held when the command
 * arrives plus what the command would bring: a resting buy's later fills are
 * not checked again, so the sum of open buys may pass the limit (docs/rules.md).
 * Allocations and issuance by the authority are not trading and not checked.
 *
 * The authority may exempt a participant (LIMIT_EXEMPT, journaled, with a
 * reason); the exemptions are kept in their own table, never in the
 * participant record, the last one of a participant in force. With every
 * limit 0 (the default) the check is one test per command.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

static int64_t product_limit(const cets_engine *e, uint8_t kind, uint8_t product)
{
    bool cea = product == CETS_PRODUCT_CEA;
    switch (kind) {
    case CETS_PK_ENTITY:
        return e->pv[cea ? CETS_PARAM_LIMIT_ENTITY_CEA : CETS_PARAM_LIMIT_ENTITY_CCER];
    case CETS_PK_INSTITUTION:
        return e->pv[cea ? CETS_PARAM_LIMIT_INSTITUTION_CEA : CETS_PARAM_LIMIT_INSTITUTION_CCER];
    case CETS_PK_INDIVIDUAL: return cea ? 0 : e->pv[CETS_PARAM_LIMIT_INDIVIDUAL_CCER];
    }
    return 0;
}

void cets_position_limits(const cets_engine *e, uint32_t pid, uint32_t iid, int64_t *product,
                          int64_t *vintage)
{
    int64_t p = 0, v = 0;
    if (pid >= 1 && pid <= e->nparts && iid < e->ninst) {
        p = product_limit(e, e->gates[pid].kind, e->inst[iid].product);
        v = e->inst[iid].product == CETS_PRODUCT_CEA ? e->pv[CETS_PARAM_LIMIT_VINTAGE] : 0;
    }
    if (product) *product = p;
    if (vintage) *vintage = v;
}

bool cets_limit_exempt(const cets_engine *e, uint32_t pid)
{
    for (uint32_t i = e->nexempt; i-- > 0;)
        if (e->exempt[i].participant == pid) return e->exempt[i].exempt != 0;
    return false;
}

uint32_t cets_limit_exemptions(const cets_engine *e, uint32_t from, cets_limit_exemption *out,
                               uint32_t cap)
{
    for (uint32_t i = 0; out && i < cap && from + i < e->nexempt; i++) out[i] = e->exempt[from + i];
    return e->nexempt;
}

static int64_t held(const cets_engine *e, uint32_t pid, uint32_t iid)
{
    const holding *h = &e->hold[(size_t)pid * e->stride + iid];
    return h->avail + h->frozen + h->locked;
}

int limits_check(const cets_engine *e, uint32_t pid, uint32_t iid, int64_t qty)
{
    if (qty <= 0 || !limits_any(e)) return CETS_OK;
    int64_t lp, lv;
    cets_position_limits(e, pid, iid, &lp, &lv);
    if (!lp && !lv) return CETS_OK;
    bool over = lv && held(e, pid, iid) + qty > lv;
    if (!over && lp) {
        int64_t sum = qty;
        uint8_t product = e->inst[iid].product;
        for (uint32_t i = 0; i < e->ninst; i++)
            if (e->inst[i].product == product) sum += held(e, pid, i);
        over = sum > lp;
    }
    return over && !cets_limit_exempt(e, pid) ? CETS_POSITION_LIMIT : CETS_OK;
}

int limits_exempt_set(cets_engine *e, const cets_cmd *c)
{
    if (c->actor < 1 || c->actor > e->nparts || e->gates[c->actor].kind != CETS_PK_AUTHORITY)
        return CETS_NOT_AUTHORISED;
    if (c->participant < 1 || c->participant > e->nparts) return CETS_UNKNOWN_PARTICIPANT;
    if (c->aux != 0 && c->aux != 1) return CETS_BAD_ARGUMENT;
    size_t n = strnlen(c->u.text, CETS_NAME_LEN);
    if (n == 0 || n == CETS_NAME_LEN) return CETS_BAD_TEXT;
    if (!engine_vec_grow((void **)&e->exempt, &e->capexempt, e->nexempt + 1, sizeof *e->exempt))
        return CETS_CAPACITY;
    cets_limit_exemption *x = &e->exempt[e->nexempt++];
    memset(x, 0, sizeof *x);
    x->seq = c->seq;
    x->ts = c->ts;
    x->participant = c->participant;
    x->user = c->user;
    x->exempt = (uint8_t)c->aux;
    memcpy(x->reason, c->u.text, n);
    return CETS_OK;
}

/* The participant and instrument a refused command would have brought
 * tonnes to; false when the command is not one the limits check. */
static bool limited(const cets_engine *e, const cets_cmd *c, uint32_t *pid, uint32_t *iid)
{
    *pid = c->participant;
    *iid = c->instrument;
    switch (c->type) {
    case CETS_CMD_MODIFY: {
        cets_order_info o;
        if (cets_order_get(e, c->order_id, &o) != 0) return false;
        *iid = o.instrument;
        return true;
    }
    case CETS_CMD_AUCTION_BID: {
        cets_auction_info a;
        if (cets_auction_get(e, c->order_id, &a) != 0) return false;
        *iid = a.instrument;
        return true;
    }
    case CETS_CMD_TRANSFER: *pid = c->counterparty; return true;
    case CETS_CMD_TRANSFER_APPROVE: {
        cets_transfer_info t;
        if (cets_transfer_get(e, c->order_id, &t) != 0) return false;
        *pid = t.to;
        *iid = t.instrument;
        return true;
    }
    default: return true;
    }
}

bool limits_message(const cets_engine *e, const cets_cmd *c, int code, char *buf, size_t len)
{
    uint32_t pid, iid;
    if (code != CETS_POSITION_LIMIT || !c || !limited(e, c, &pid, &iid)) return false;
    int64_t lp, lv;
    cets_position_limits(e, pid, iid, &lp, &lv);
    if (!lp && !lv) return false;
    char a[32], b[32];
    const char *product = e->inst[iid].product == CETS_PRODUCT_CEA ? "CEA" : "CCER";
    if (lp && lv)
        snprintf(buf, len,
                 "the holding would exceed the position limit (%s t of %s in all, %s t of one "
                 "vintage)",
                 fmt_thousands(lp, a, sizeof a), product, fmt_thousands(lv, b, sizeof b));
    else if (lp)
        snprintf(buf, len, "the holding would exceed the position limit (%s t of %s in all)",
                 fmt_thousands(lp, a, sizeof a), product);
    else
        snprintf(buf, len, "the holding would exceed the position limit (%s t of one vintage)",
                 fmt_thousands(lv, b, sizeof b));
    return true;
}
