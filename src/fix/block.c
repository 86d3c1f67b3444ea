/* block.c -- block agreements (大宗协议) as TradeCaptureReport (docs/fix.md,
 * "Block agreements").
 *
 * Inbound TradeCaptureReport (AE), by TradeReportType (856):
 *   0 Submit   a proposal to a counterparty (NoPartyIDs: PartyID = its
 *              participant id, PartyRole 17), or a counter-proposal to an
 *              open proposal or board quote named by SecondaryTradeReportID
 *   2 Accept   confirm proposal 818 with the same terms
 *   3 Decline  proposal 818
 *   6 Cancel   withdraw one's own proposal 818
 * Each is one engine command (BLOCK_PROPOSE, _ACCEPT, _DECLINE, _WITHDRAW),
 * answered by TradeCaptureReportAck (AR) when it completes. What happens to
 * a proposal afterwards comes from the engine's BLOCK events: the
 * counterparty's sessions get it as Alleged (1), and both sides learn of
 * acceptance (2), decline (3) and withdrawal, counter or lapse (6), with
 * the engine's status in CetsBlockStatus (20031).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "gw.h"

static void block_ack(gw *g, sess *s, const inflight *f, int code, uint64_t block_id)
{
    fix_builder *b = &g->b;
    sess_begin(s, "AR");
    fix_add_str(b, TAG_TradeReportID, f->id);
    fix_add_int(b, TAG_TradeReportType, f->trtype);
    fix_add_int(b, TAG_TrdRptStatus, code == CETS_OK ? 0 : 1);
    if (code != CETS_OK)
        fix_add_int(b, TAG_TradeReportRejectReason,
                    code == CETS_UNKNOWN_INSTRUMENT                                  ? 2
                    : code == CETS_UNKNOWN_PARTICIPANT || code == CETS_NOT_ADDRESSEE ? 1
                                                                                     : 99);
    if (block_id) fix_add_int(b, TAG_SecondaryTradeReportID, (int64_t)block_id);
    if (f->cmd.instrument < g->ninst && f->trtype != 3 && f->trtype != 6)
        fix_add_str(b, TAG_Symbol, g->inst[f->cmd.instrument].code);
    if (code != CETS_OK) app_add_reason(g, b, &f->cmd, code);
    sess_end(s);
}

/* The counterparty of a Submit: PartyID (448) with PartyRole (452) 17. */
static uint32_t contra_party(const fix_msg *m)
{
    for (int i = fix_find(m, TAG_PartyID, 0); i >= 0; i = fix_find(m, TAG_PartyID, i + 1)) {
        int r = fix_find(m, TAG_PartyRole, i + 1);
        int next = fix_find(m, TAG_PartyID, i + 1);
        if (r < 0 || (next >= 0 && r > next)) continue;
        const fix_field *role = &m->f[r], *id = &m->f[i];
        if (role->len != 2 || memcmp(role->val, "17", 2) != 0 || id->len > 9) continue;
        uint32_t p = 0;
        for (uint32_t k = 0; k < id->len; k++) {
            if (id->val[k] < '0' || id->val[k] > '9') return 0;
            p = p * 10 + (uint32_t)(id->val[k] - '0');
        }
        return p;
    }
    return 0;
}

/* Terms of a Submit or Accept: symbol, quantity, price, side. 0, -1 after
 * a session Reject, or an engine reason for the Ack. */
static int block_terms(gw *g, sess *s, const fix_msg *m, cets_cmd *c)
{
    static const uint32_t req[] = {TAG_Symbol, TAG_LastQty, TAG_LastPx, TAG_NoSides, TAG_Side, 0};
    int64_t n;
    if (!sess_require(s, m, req)) return -1;
    if (fix_get_int(m, TAG_NoSides, &n) != 0 || n != 1) {
        sess_reject(s, m, TAG_NoSides, FIX_REJ_VALUE, "Value is incorrect: NoSides must be 1");
        return -1;
    }
    int prc;
    if (app_get_qty(s, m, TAG_LastQty, &c->qty) || app_get_side(s, m, TAG_Side, &c->side) ||
        (prc = app_get_price(s, m, TAG_LastPx, &c->price)) < 0)
        return -1;
    if (app_get_symbol(g, s, m, &c->instrument) != 0) return CETS_UNKNOWN_INSTRUMENT;
    return prc == 1 ? CETS_PRICE_TICK : 0;
}

void block_on_message(gw *g, sess *s, const fix_msg *m)
{
    if (!(s->roles & ROLE_TRADE)) {
        sess_business_reject(s, m, 6, "Not authorized: the user has no trade role");
        return;
    }
    inflight *f = calloc(1, sizeof *f);
    if (!f) return;
    f->kind = IF_BLOCK;
    f->s = s;
    f->in_seq = s->cur_seq;
    cets_cmd *c = &f->cmd;
    c->actor = c->participant = s->participant;
    c->instrument = UINT32_MAX;
    const fix_field *t = fix_get(m, TAG_TradeReportType);
    int64_t ref = 0;
    int rc = 0;
    if (app_get_id(s, m, TAG_TradeReportID, f->id, true)) goto drop;
    if (t->len != 1 || !strchr("0236", t->val[0])) {
        sess_reject(s, m, TAG_TradeReportType, FIX_REJ_VALUE,
                    "Value is incorrect: TradeReportType 0, 2, 3 or 6");
        goto drop;
    }
    f->trtype = (uint8_t)(t->val[0] - '0');
    if (fix_get(m, TAG_SecondaryTradeReportID) &&
        (fix_get_int(m, TAG_SecondaryTradeReportID, &ref) != 0 || ref < 1)) {
        sess_reject(s, m, TAG_SecondaryTradeReportID, FIX_REJ_FORMAT,
                    "Incorrect data format for value: a block id");
        goto drop;
    }
    if (f->trtype != 0 && !ref) {
        static const uint32_t rreq[] = {TAG_SecondaryTradeReportID, 0};
        sess_require(s, m, rreq);
        goto drop;
    }
    c->order_id = (uint64_t)ref;
    switch (f->trtype) {
    case 0:
        c->type = CETS_CMD_BLOCK_PROPOSE;
        if ((rc = block_terms(g, s, m, c)) < 0) goto drop;
        if (!rc && !ref && !(c->counterparty = contra_party(m))) rc = CETS_UNKNOWN_PARTICIPANT;
        break;
    case 2:
        c->type = CETS_CMD_BLOCK_ACCEPT;
        if ((rc = block_terms(g, s, m, c)) < 0) goto drop;
        break;
    case 3: c->type = CETS_CMD_BLOCK_DECLINE; break;
    case 6: c->type = CETS_CMD_BLOCK_WITHDRAW; break;
    }
    if (rc) {
        block_ack(g, s, f, rc, (uint64_t)ref);
        goto drop;
    }
    if (!gw_submit(g, f))
        sess_business_reject(s, m, 4, "Application not available: the exchange is stopping");
    return;
drop:
    free(f);
}

void block_on_done(gw *g, inflight *f, int code, const cets_result *res)
{
    uint64_t id =
        f->cmd.type == CETS_CMD_BLOCK_PROPOSE && code == CETS_OK ? res->order_id : f->cmd.order_id;
    block_ack(g, f->s, f, code, id);
}

/* One TradeCaptureReport about block b to a session of participant `to`. */
static void block_report(gw *g, sess *s, const cets_block_info *b, int type, uint32_t to,
                         int64_t ts)
{
    fix_builder *fb = &g->b;
    bool owner = b->owner == to;
    char id[48];
    snprintf(id, sizeof id, "B%" PRIu64 "-%u", b->id, b->status);
    sess_begin(s, "AE");
    fix_add_str(fb, TAG_TradeReportID, id);
    fix_add_int(fb, TAG_TradeReportType, type);
    fix_add_int(fb, TAG_SecondaryTradeReportID, (int64_t)b->id);
    if (b->trade_id) fix_add_int(fb, TAG_TrdMatchID, (int64_t)b->trade_id);
    fix_add_str(fb, TAG_Symbol, b->instrument < g->ninst ? g->inst[b->instrument].code : "?");
    fix_add_int(fb, TAG_LastQty, b->qty);
    fix_add_price(fb, TAG_LastPx, b->price);
    fix_add_time(fb, TAG_TransactTime, ts);
    fix_add_int(fb, TAG_NoSides, 1);
    fix_add_int(fb, TAG_Side, owner ? b->side : (b->side == CETS_BUY ? CETS_SELL : CETS_BUY));
    fix_add_int(fb, TAG_NoPartyIDs, 1);
    fix_add_int(fb, TAG_PartyID, owner ? b->counterparty : b->owner);
    fix_add_int(fb, TAG_PartyRole, 17);
    fix_add_int(fb, TAG_CetsBlockStatus, b->status);
    sess_end(s);
}

static void report_to(gw *g, uint32_t participant, const cets_block_info *b, int type, int64_t ts)
{
    for (int i = 0; i < g->nsess; i++)
        if (g->sess[i]->participant == participant)
            block_report(g, g->sess[i], b, type, participant, ts);
}

void block_on_event(gw *g, const cets_event *ev)
{
    if (ev->type != CETS_EV_BLOCK || ev->u.block.is_quote) return;
    const cets_block_info *b = &ev->u.block;
    switch (b->status) {
    case CETS_BLOCK_OPEN: report_to(g, b->counterparty, b, 1, ev->ts); return;
    case CETS_BLOCK_ACCEPTED:
        report_to(g, b->owner, b, 2, ev->ts);
        report_to(g, b->counterparty, b, 2, ev->ts);
        return;
    case CETS_BLOCK_DECLINED:
        report_to(g, b->owner, b, 3, ev->ts);
        report_to(g, b->counterparty, b, 3, ev->ts);
        return;
    default: /* withdrawn, countered, lapsed */
        report_to(g, b->owner, b, 6, ev->ts);
        report_to(g, b->counterparty, b, 6, ev->ts);
    }
}
