/* app.c -- orders over FIX: NewOrderSingle, OrderCancelRequest,
 * OrderCancelReplaceRequest and OrderMassCancelRequest become engine
 * commands; ExecutionReport and OrderCancelReject come back (docs/fix.md).
 *
 * Reports are made from the engine's events, not from command results, so
 * they are the same whoever caused them: the fill of a resting order is
 * reported to the session that entered it when another participant's take
 * hits it. An in-flight record, keyed by the command's client_ref (a hash
 * of SenderCompID and ClOrdID), tells which session an ACCEPTED event
 * answers; from then on the order is known by its id (ordrec). Only a
 * rejection, which changes nothing in the engine, is reported from the
 * command's completion.
 *
 * Business problems (funds, price band, unknown symbol) are rejected with
 * the engine's reason in Text ("name: message") and CetsReasonCode (20030);
 * malformed messages get a session-level Reject instead (session.c).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "core/log.h"
#include "gw.h"

/* ---- field readers ---------------------------------------------------------- */

int app_get_id(sess *s, const fix_msg *m, uint32_t tag, char out[GW_ID_MAX + 1], bool required)
{
    const fix_field *f = fix_get(m, tag);
    out[0] = 0;
    if (!f) {
        if (!required) return 0;
        char t[64];
        snprintf(t, sizeof t, "Required tag missing: %u", tag);
        sess_reject(s, m, tag, FIX_REJ_REQUIRED, t);
        return -1;
    }
    bool ok = f->len >= 1 && f->len <= GW_ID_MAX;
    for (uint32_t i = 0; ok && i < f->len; i++) ok = f->val[i] > ' ' && f->val[i] < 127;
    if (!ok) {
        sess_reject(s, m, tag, FIX_REJ_VALUE, "Value is incorrect: 1-40 printable characters");
        return -1;
    }
    memcpy(out, f->val, f->len);
    out[f->len] = 0;
    return 0;
}

/* Quantities are whole tonnes: "100" or "100.00". */
int app_get_qty(sess *s, const fix_msg *m, uint32_t tag, int64_t *qty)
{
    const fix_field *f = fix_get(m, tag);
    int64_t v = 0;
    uint32_t i = 0;
    bool ok = f && f->len > 0 && f->len <= 15;
    for (; ok && i < f->len && f->val[i] != '.'; i++)
        ok = f->val[i] >= '0' && f->val[i] <= '9' ? (v = v * 10 + (f->val[i] - '0'), true) : false;
    ok = ok && i > 0;
    if (ok && i < f->len)
        for (i++; ok && i < f->len; i++) ok = f->val[i] == '0';
    if (!ok) {
        sess_reject(s, m, tag, FIX_REJ_FORMAT, "Incorrect data format: whole tonnes expected");
        return -1;
    }
    *qty = v;
    return 0;
}

int app_get_side(sess *s, const fix_msg *m, uint32_t tag, uint8_t *side)
{
    const fix_field *f = fix_get(m, tag);
    if (f && f->len == 1 && (f->val[0] == '1' || f->val[0] == '2')) {
        *side = f->val[0] == '1' ? CETS_BUY : CETS_SELL;
        return 0;
    }
    sess_reject(s, m, tag, FIX_REJ_VALUE, "Value is incorrect (out of range) for this tag");
    return -1;
}

int app_get_symbol(gw *g, sess *s, const fix_msg *m, uint32_t *instrument)
{
    (void)s;
    const fix_field *f = fix_get(m, TAG_Symbol);
    int i = f ? gw_instrument_find(g, f->val, f->len) : -1;
    if (i < 0) return 1;
    *instrument = (uint32_t)i;
    return 0;
}

int app_get_price(sess *s, const fix_msg *m, uint32_t tag, int64_t *fen)
{
    if (fix_get_price(m, tag, fen) == 0) return 0;
    const fix_field *f = fix_get(m, tag);
    uint32_t i = 0, digits = 0;
    while (f && i < f->len && f->val[i] >= '0' && f->val[i] <= '9') i++, digits++;
    if (f && digits && i < f->len && f->val[i] == '.' && i + 1 < f->len) {
        for (i++; i < f->len && f->val[i] >= '0' && f->val[i] <= '9'; i++)
            ;
        if (i == f->len && f->len <= 15) return 1; /* a price, but not in whole fen */
    }
    sess_reject(s, m, tag, FIX_REJ_FORMAT, "Incorrect data format for value: price");
    return -1;
}

void app_add_reason(gw *g, fix_builder *b, const cets_cmd *cmd, int code)
{
    /* the message names the refusing rule's configured numbers (cets.h) */
    char msg[256], t[300];
    const cets_engine *e = cmd ? core_read_begin(g->core) : NULL;
    cets_reject_message(e, cmd, code, msg, sizeof msg);
    if (e) core_read_end(g->core);
    snprintf(t, sizeof t, "%s: %s", cets_reason_name(code), msg);
    fix_add_str(b, TAG_Text, t);
    fix_add_int(b, TAG_CetsReasonCode, code);
}

static uint64_t id_hash(const char *id)
{
    uint64_t h = XXH3_64bits(id, strlen(id));
    return h ? h : 1;
}

/* ---- execution reports ------------------------------------------------------ */

/* What an ExecutionReport says; built by er_send(). */
typedef struct er {
    uint64_t order_id; /* 0: "NONE" */
    const char *clordid, *orig;
    char exec_type, status;
    uint32_t instrument;
    const char *symbol; /* when instrument is not known */
    uint8_t side, ordtype, tif;
    int64_t order_qty, price;
    int64_t last_qty, last_px; /* a fill when last_qty > 0 */
    uint64_t trade_id;
    int64_t leaves, cum, cum_value, ts;
    int code;            /* engine reason of a rejection */
    const cets_cmd *cmd; /* the command rejected, when known */
    const char *text;
} er;

static int ord_rej_reason(int code)
{
    switch (code) {
    case CETS_UNKNOWN_INSTRUMENT: return 1;
    case CETS_SESSION_CLOSED:
    case CETS_MARKET_HALTED:
    case CETS_INSTRUMENT_HALTED:
    case CETS_NOT_TRADING_DAY: return 2;
    case CETS_INSUFFICIENT_FUNDS:
    case CETS_INSUFFICIENT_HOLDINGS:
    case CETS_T1_LOCKED: return 3;
    case CETS_UNKNOWN_ORDER: return 5;
    case CETS_DUPLICATE_REQUEST: return 6;
    case CETS_WRONG_MODE:
    case CETS_BAD_ARGUMENT: return 11;
    case CETS_QTY_OUT_OF_RANGE:
    case CETS_TARGET_QTY: return 13;
    case CETS_UNKNOWN_PARTICIPANT: return 15;
    }
    return 99;
}

static void add_avg(fix_builder *b, int64_t value, int64_t qty)
{
    if (qty <= 0) {
        fix_add_str(b, TAG_AvgPx, "0");
        return;
    }
    int64_t x = (value * 100 + qty / 2) / qty; /* 1/10000 CNY */
    char t[32];
    int n = snprintf(t, sizeof t, "%lld.%04lld", (long long)(x / 10000), (long long)(x % 10000));
    fix_add_raw(b, TAG_AvgPx, t, (size_t)n);
}

static void er_send(gw *g, sess *s, const er *r)
{
    fix_builder *b = &g->b;
    char t[48];
    sess_begin(s, "8");
    uint64_t seq = s->st ? fix_store_next_out(s->st) : 0; /* this report's own */
    if (r->order_id)
        fix_add_int(b, TAG_OrderID, (int64_t)r->order_id);
    else
        fix_add_str(b, TAG_OrderID, "NONE");
    fix_add_str(b, TAG_ClOrdID, r->clordid);
    if (r->orig && r->orig[0]) fix_add_str(b, TAG_OrigClOrdID, r->orig);
    snprintf(t, sizeof t, "%" PRIu64 "-%" PRIu64, r->order_id, seq);
    fix_add_str(b, TAG_ExecID, t);
    fix_add_raw(b, TAG_ExecType, &r->exec_type, 1);
    fix_add_raw(b, TAG_OrdStatus, &r->status, 1);
    if (r->exec_type == '8') fix_add_int(b, TAG_OrdRejReason, ord_rej_reason(r->code));
    fix_add_str(b, TAG_Symbol, r->symbol ? r->symbol : g->inst[r->instrument].code);
    fix_add_int(b, TAG_Side, r->side);
    fix_add_int(b, TAG_OrderQty, r->order_qty);
    fix_add_int(b, TAG_OrdType, r->ordtype);
    if (r->ordtype == 2) fix_add_price(b, TAG_Price, r->price);
    fix_add_int(b, TAG_TimeInForce, r->tif == CETS_TIF_IOC ? 3 : 0);
    if (r->last_qty > 0) {
        fix_add_int(b, TAG_LastQty, r->last_qty);
        fix_add_price(b, TAG_LastPx, r->last_px);
        fix_add_int(b, TAG_TrdMatchID, (int64_t)r->trade_id);
    }
    fix_add_int(b, TAG_LeavesQty, r->leaves);
    fix_add_int(b, TAG_CumQty, r->cum);
    add_avg(b, r->cum_value, r->cum);
    fix_add_time(b, TAG_TransactTime, r->ts);
    if (r->code && r->text) {
        fix_add_str(b, TAG_Text, r->text);
        fix_add_int(b, TAG_CetsReasonCode, r->code);
    } else if (r->code) {
        app_add_reason(g, b, r->cmd, r->code);
    } else if (r->text) {
        fix_add_str(b, TAG_Text, r->text);
    }
    sess_end(s);
}

static er er_of(const ordrec *o, char exec_type, char status, int64_t ts)
{
    return (er){.order_id = o->order_id,
                .clordid = o->clordid,
                .exec_type = exec_type,
                .status = status,
                .instrument = o->instrument,
                .side = o->side,
                .ordtype = o->ordtype,
                .tif = o->tif,
                .order_qty = o->order_qty,
                .price = o->price,
                .leaves = o->leaves,
                .cum = o->cum_qty,
                .cum_value = o->cum_value,
                .ts = ts};
}

/* A NewOrderSingle refused before or by the engine. */
static void er_reject(gw *g, sess *s, const inflight *f, const char *symbol, int code,
                      const char *text)
{
    er r = {.clordid = f->id,
            .exec_type = '8',
            .status = '8',
            .instrument = f->cmd.instrument,
            .symbol = symbol,
            .side = f->cmd.side,
            .ordtype = f->ordtype,
            .tif = f->tif,
            .order_qty = f->order_qty,
            .price = f->cmd.price,
            .ts = g->wall,
            .code = code,
            .cmd = &f->cmd,
            .text = text};
    er_send(g, s, &r);
}

static void cancel_reject(gw *g, sess *s, const inflight *f, const ordrec *o, int code,
                          const char *text)
{
    fix_builder *b = &g->b;
    sess_begin(s, "9");
    if (o || f->cmd.order_id)
        fix_add_int(b, TAG_OrderID, (int64_t)(o ? o->order_id : f->cmd.order_id));
    else
        fix_add_str(b, TAG_OrderID, "NONE");
    fix_add_str(b, TAG_ClOrdID, f->id);
    fix_add_str(b, TAG_OrigClOrdID, f->orig);
    fix_add_str(b, TAG_OrdStatus, !o ? "8" : o->cum_qty ? "1" : "0");
    fix_add_int(b, TAG_CxlRejResponseTo, f->kind == IF_REPLACE ? 2 : 1);
    fix_add_int(b, TAG_CxlRejReason,
                code == CETS_UNKNOWN_ORDER       ? 1
                : code == CETS_DUPLICATE_REQUEST ? 6
                                                 : 99);
    if (text) {
        fix_add_str(b, TAG_Text, text);
        fix_add_int(b, TAG_CetsReasonCode, code);
    } else {
        app_add_reason(g, b, &f->cmd, code);
    }
    sess_end(s);
}

/* ---- the order table -------------------------------------------------------- */

static ordrec *order_by_clordid(sess *s, const char *id)
{
    ordrec *o = fix_map_get(&s->clord, id_hash(id));
    return o && strcmp(o->clordid, id) == 0 ? o : NULL;
}

static bool id_in_use(gw *g, sess *s, const char *id)
{
    return order_by_clordid(s, id) || fix_map_get(&g->inflight, gw_client_ref(s, id));
}

static ordrec *order_add(gw *g, sess *s, uint64_t order_id, const char *clordid)
{
    ordrec *o = calloc(1, sizeof *o);
    if (!o) return NULL;
    o->order_id = order_id;
    o->s = s;
    snprintf(o->clordid, sizeof o->clordid, "%s", clordid);
    if (!fix_map_put(&g->orders, order_id, o)) {
        free(o);
        return NULL;
    }
    fix_map_put(&s->clord, id_hash(o->clordid), o);
    return o;
}

static void order_drop(gw *g, ordrec *o)
{
    fix_map_del(&g->orders, o->order_id);
    if (fix_map_get(&o->s->clord, id_hash(o->clordid)) == o)
        fix_map_del(&o->s->clord, id_hash(o->clordid));
    gw_order_note(o->s, 'D', o->order_id, NULL);
    free(o);
}

static void order_fill_from(ordrec *o, const cets_order_info *in)
{
    o->instrument = in->instrument;
    o->side = in->side;
    o->tif = in->tif;
    o->ordtype = in->price ? 2 : 1;
    o->price = in->price;
    o->leaves = in->qty;
    o->cum_qty = in->filled_qty;
    o->cum_value = in->filled_value;
    o->order_qty = in->qty + in->filled_qty;
}

/* An order this session names by OrderID(37) but that we do not track
 * (entered before a restart that lost the .orders file, or over HTTP). */
static ordrec *order_adopt(gw *g, sess *s, uint64_t order_id, const char *clordid)
{
    cets_order_info in;
    const cets_engine *e = core_read_begin(g->core);
    int rc = cets_order_get(e, order_id, &in);
    core_read_end(g->core);
    if (rc != 0 || in.participant != s->participant) return NULL;
    ordrec *o = order_add(g, s, order_id, clordid);
    if (o) {
        order_fill_from(o, &in);
        gw_order_note(s, 'A', order_id, clordid);
    }
    return o;
}

typedef struct restore_ctx {
    fix_map ids; /* order id -> malloc'd ClOrdID */
} restore_ctx;

static void restore_line(void *ctx, char op, uint64_t id, const char *clordid)
{
    restore_ctx *r = ctx;
    free(fix_map_del(&r->ids, id));
    if (op == 'A' || op == 'R') {
        char *c = strdup(clordid);
        if (c && !fix_map_put(&r->ids, id, c)) free(c);
    }
}

void app_restore_orders(gw *g, sess *s, const cets_engine *e)
{
    restore_ctx r;
    fix_map_init(&r.ids);
    fix_store_orders_load(s->st, restore_line, &r);
    fix_store_orders_clear(s->st);
    size_t it = 0;
    uint64_t id;
    void *v;
    int n = 0;
    while (fix_map_next(&r.ids, &it, &id, &v)) {
        cets_order_info in;
        if (cets_order_get(e, id, &in) == 0 && in.participant == s->participant) {
            ordrec *o = order_add(g, s, id, v);
            if (o) {
                order_fill_from(o, &in);
                fix_store_order_note(s->st, 'A', id, o->clordid);
                n++;
            }
        }
        free(v);
    }
    fix_map_free(&r.ids);
    fix_store_flush(s->st);
    if (n) log_info("fix", "msg=\"live orders restored\" compid=%s orders=%d", log_q(s->comp), n);
}

/* After missed events (gw_resync): every tracked order as the engine has it
 * now; those no longer live are forgotten (their reports were missed). */
void app_resync(gw *g, const cets_engine *e)
{
    size_t it = 0;
    uint64_t id;
    void *v;
    ordrec **gone = NULL;
    size_t ngone = 0, cap = 0;
    while (fix_map_next(&g->orders, &it, &id, &v)) {
        ordrec *o = v;
        cets_order_info in;
        if (cets_order_get(e, id, &in) == 0 && in.participant == o->s->participant) {
            order_fill_from(o, &in);
            continue;
        }
        if (ngone == cap) { /* not dropped while iterating the map */
            size_t nc = cap ? 2 * cap : 64;
            ordrec **ng = realloc(gone, nc * sizeof *ng);
            if (!ng) break;
            gone = ng;
            cap = nc;
        }
        gone[ngone++] = o;
    }
    for (size_t i = 0; i < ngone; i++) order_drop(g, gone[i]);
    free(gone);
}

/* ---- inbound ---------------------------------------------------------------- */

static inflight *inflight_new(sess *s, inflight_kind kind, uint8_t type)
{
    inflight *f = calloc(1, sizeof *f);
    if (!f) return NULL;
    f->kind = kind;
    f->s = s;
    f->in_seq = s->cur_seq;
    f->cmd.type = type;
    f->cmd.actor = f->cmd.participant = s->participant;
    return f;
}

static bool may_trade(sess *s, const fix_msg *m)
{
    if (s->roles & ROLE_TRADE) return true;
    sess_business_reject(s, m, 6, "Not authorized: the user has no trade role");
    return false;
}

static void submit_or_refuse(gw *g, sess *s, const fix_msg *m, inflight *f)
{
    if (gw_submit(g, f)) return;
    if (core_get_role(g->core) == CORE_STANDBY) /* the cluster changed leader */
        sess_business_reject(s, m, 4,
                             "Application not available: this node is now a standby; "
                             "log on to the leader");
    else
        sess_business_reject(s, m, 4, "Application not available: the exchange is stopping");
}

/* NoTakeTargets(20001) with TakeOrderID(20002) and TakeQty(20003): the
 * dictionary has checked the entries (two fields each, in order, as many as
 * the count says); here, what they mean. */
static int take_targets(sess *s, const fix_msg *m, cets_cmd *c, int64_t *total)
{
    int64_t n;
    int at = fix_find(m, TAG_NoTakeTargets, 0);
    fix_get_int(m, TAG_NoTakeTargets, &n);
    if (n > CETS_MAX_TARGETS) {
        sess_reject(s, m, TAG_NoTakeTargets, FIX_REJ_VALUE,
                    "Value is incorrect (out of range) for this tag: 1-8 targets");
        return -1;
    }
    *total = 0;
    for (int k = 0; k < n; k++) {
        int a = at + 1 + 2 * k, q = a + 1;
        if (q >= m->n || m->f[a].tag != TAG_TakeOrderID || m->f[q].tag != TAG_TakeQty) {
            sess_reject(s, m, TAG_NoTakeTargets, FIX_REJ_GROUP_COUNT,
                        "Incorrect NumInGroup count or group fields out of order");
            return -1;
        }
        uint64_t id = 0, qty = 0;
        for (uint32_t i = 0; i < m->f[a].len && id < UINT64_MAX / 10; i++)
            id = m->f[a].val[i] >= '0' && m->f[a].val[i] <= '9'
                     ? id * 10 + (uint64_t)(m->f[a].val[i] - '0')
                     : 0;
        for (uint32_t i = 0; i < m->f[q].len && qty < 1000000000000ULL; i++)
            qty = m->f[q].val[i] >= '0' && m->f[q].val[i] <= '9'
                      ? qty * 10 + (uint64_t)(m->f[q].val[i] - '0')
                      : 0;
        if (!id || !qty) {
            sess_reject(s, m, id ? TAG_TakeQty : TAG_TakeOrderID, FIX_REJ_FORMAT,
                        "Incorrect data format for value");
            return -1;
        }
        c->u.targets[k] = (cets_target){.order_id = id, .qty = (int64_t)qty};
        *total += (int64_t)qty;
    }
    c->ntargets = (uint8_t)n;
    return 0;
}

/* PossResend=Y on a message whose ClOrdID this session already uses: the
 * peer may be sending it again, and it has been seen (test case 19.a). */
static bool seen_again(sess *s, const fix_msg *m, const char *id)
{
    const fix_field *f = fix_get(m, TAG_PossResend);
    if (!f || f->len != 1 || f->val[0] != 'Y') return false;
    log_info("fix",
             "msg=\"possible resend of a message already seen: ignored\" compid=%s "
             "clordid=%s",
             s->comp, id);
    return true;
}

static void on_new_order(gw *g, sess *s, const fix_msg *m)
{
    if (!may_trade(s, m)) return;
    inflight *f = inflight_new(s, IF_NEW, CETS_CMD_POST);
    if (!f) return;
    cets_cmd *c = &f->cmd;
    const fix_field *ot = fix_get(m, TAG_OrdType), *tif = fix_get(m, TAG_TimeInForce);
    int64_t price = 0, qty, total = 0;
    int prc = 0;
    if (app_get_id(s, m, TAG_ClOrdID, f->id, true) || app_get_side(s, m, TAG_Side, &c->side) ||
        app_get_qty(s, m, TAG_OrderQty, &qty))
        goto drop;
    f->ordtype = (uint8_t)(ot->val[0] - '0');
    f->tif = tif && tif->val[0] == '3' ? CETS_TIF_IOC : CETS_TIF_DAY;
    f->order_qty = qty;
    if (f->ordtype == 2) {
        static const uint32_t preq[] = {TAG_Price, 0};
        if (!sess_require(s, m, preq) || (prc = app_get_price(s, m, TAG_Price, &price)) < 0)
            goto drop;
    }
    int64_t ntargets = 0;
    if (fix_get_int(m, TAG_NoTakeTargets, &ntargets) == 0 && ntargets > 0 &&
        take_targets(s, m, c, &total) != 0)
        goto drop;
    c->price = price;
    c->qty = qty;
    c->flags = f->tif;
    char sym[CETS_CODE_LEN] = "";
    fix_get_str(m, TAG_Symbol, sym, sizeof sym);
    if (app_get_symbol(g, s, m, &c->instrument) != 0) {
        er_reject(g, s, f, sym, CETS_UNKNOWN_INSTRUMENT, NULL);
        goto drop;
    }
    if (id_in_use(g, s, f->id)) {
        if (!seen_again(s, m, f->id)) er_reject(g, s, f, NULL, CETS_DUPLICATE_REQUEST, NULL);
        goto drop;
    }
    if (prc == 1) {
        er_reject(g, s, f, NULL, CETS_PRICE_TICK, NULL);
        goto drop;
    }
    if (f->ordtype == 1) { /* a take naming listings */
        if (!c->ntargets || f->tif != CETS_TIF_IOC || total != qty) {
            er_reject(g, s, f, NULL, CETS_BAD_ARGUMENT,
                      "bad_argument: OrdType=1 is a take naming listings: NoTakeTargets(20001), "
                      "TimeInForce=3 and OrderQty = the sum of TakeQty(20003)");
            goto drop;
        }
        c->type = CETS_CMD_TAKE;
        c->qty = c->price = 0;
    } else if (c->ntargets) {
        er_reject(g, s, f, NULL, CETS_BAD_ARGUMENT,
                  "bad_argument: NoTakeTargets(20001) needs OrdType=1");
        goto drop;
    } else if (f->tif == CETS_TIF_IOC && g->inst[c->instrument].matching == CETS_MATCH_LISTING) {
        c->type = CETS_CMD_TAKE; /* a take by quantity and limit */
        c->flags = 0;
    }
    f->client_ref = c->client_ref = gw_client_ref(s, f->id);
    submit_or_refuse(g, s, m, f);
    return;
drop:
    free(f);
}

/* What OrderCancelRequest and OrderCancelReplaceRequest share: find the
 * order (OrderID(37), else OrigClOrdID(41)); NULL after answering. */
static ordrec *cancel_target(gw *g, sess *s, const fix_msg *m, inflight *f)
{
    if (app_get_id(s, m, TAG_ClOrdID, f->id, true) ||
        app_get_id(s, m, TAG_OrigClOrdID, f->orig, true))
        return NULL;
    int64_t oid = 0;
    const fix_field *of = fix_get(m, TAG_OrderID);
    if (of && fix_get_int(m, TAG_OrderID, &oid) != 0) oid = -1;
    ordrec *o = oid > 0 ? fix_map_get(&g->orders, (uint64_t)oid) : order_by_clordid(s, f->orig);
    if (o && o->s->participant != s->participant) o = NULL;
    if (!o && oid > 0) o = order_adopt(g, s, (uint64_t)oid, f->orig);
    if (!o) {
        cancel_reject(g, s, f, NULL, CETS_UNKNOWN_ORDER, NULL);
        return NULL;
    }
    if (id_in_use(g, s, f->id)) {
        if (!seen_again(s, m, f->id)) cancel_reject(g, s, f, o, CETS_DUPLICATE_REQUEST, NULL);
        return NULL;
    }
    if (o->pend_kind) {
        cancel_reject(g, s, f, o, CETS_BAD_ARGUMENT,
                      "a cancel or replace of this order is already pending");
        return NULL;
    }
    return o;
}

static void on_cancel(gw *g, sess *s, const fix_msg *m)
{
    if (!may_trade(s, m)) return;
    inflight *f = inflight_new(s, IF_CANCEL, CETS_CMD_CANCEL);
    uint8_t side;
    ordrec *o;
    if (!f || app_get_side(s, m, TAG_Side, &side) || !(o = cancel_target(g, s, m, f))) {
        free(f);
        return;
    }
    f->cmd.order_id = o->order_id;
    f->cmd.instrument = o->instrument;
    f->client_ref = f->cmd.client_ref = gw_client_ref(s, f->id);
    o->pend_kind = 'C';
    snprintf(o->pend_id, sizeof o->pend_id, "%s", f->id);
    submit_or_refuse(g, s, m, f);
}

static void on_replace(gw *g, sess *s, const fix_msg *m)
{
    if (!may_trade(s, m)) return;
    inflight *f = inflight_new(s, IF_REPLACE, CETS_CMD_MODIFY);
    uint8_t side;
    int64_t qty, price;
    int prc;
    ordrec *o;
    if (!f) return;
    if (app_get_side(s, m, TAG_Side, &side) || app_get_qty(s, m, TAG_OrderQty, &qty) ||
        (prc = app_get_price(s, m, TAG_Price, &price)) < 0)
        goto drop;
    if (fix_get(m, TAG_OrdType)->val[0] != '2') {
        sess_reject(s, m, TAG_OrdType, FIX_REJ_VALUE,
                    "Value is incorrect: only limit orders (2) are replaced");
        goto drop;
    }
    if (!(o = cancel_target(g, s, m, f))) goto drop;
    if (prc == 1 || qty <= o->cum_qty) {
        cancel_reject(g, s, f, o, prc == 1 ? CETS_PRICE_TICK : CETS_QTY_OUT_OF_RANGE,
                      prc == 1 ? NULL : "OrderQty(38) must exceed the quantity already filled");
        goto drop;
    }
    f->cmd.order_id = o->order_id;
    f->cmd.instrument = o->instrument;
    f->cmd.price = price;
    f->cmd.qty = qty - o->cum_qty; /* the engine takes the new remaining quantity */
    f->order_qty = qty;
    f->client_ref = f->cmd.client_ref = gw_client_ref(s, f->id);
    o->pend_kind = 'R';
    snprintf(o->pend_id, sizeof o->pend_id, "%s", f->id);
    submit_or_refuse(g, s, m, f);
    return;
drop:
    free(f);
}

/* ---- mass cancel ------------------------------------------------------------ */

static void mass_report(gw *g, sess *s, const mass_cancel *mc, int response, int reject_reason)
{
    fix_builder *b = &g->b;
    char oid[48];
    snprintf(oid, sizeof oid, "MC-%s", mc->clordid);
    sess_begin(s, "r");
    fix_add_str(b, TAG_ClOrdID, mc->clordid);
    fix_add_str(b, TAG_OrderID, oid);
    fix_add_int(b, TAG_MassCancelRequestType, mc->req_type);
    fix_add_int(b, TAG_MassCancelResponse, response);
    if (!response) fix_add_int(b, TAG_MassCancelRejectReason, reject_reason);
    fix_add_int(b, TAG_TotalAffectedOrders, mc->affected);
    if (mc->symbol[0]) fix_add_str(b, TAG_Symbol, mc->symbol);
    sess_end(s);
}

typedef struct collect {
    uint64_t *ids;
    size_t n, cap;
    int instrument; /* -1: all */
} collect;

static void collect_order(void *ctx, const cets_order_info *o)
{
    collect *c = ctx;
    if (c->instrument >= 0 && o->instrument != (uint32_t)c->instrument) return;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 256;
        uint64_t *p = realloc(c->ids, cap * sizeof *p);
        if (!p) return;
        c->ids = p;
        c->cap = cap;
    }
    c->ids[c->n++] = o->order_id;
}

static void on_mass_cancel(gw *g, sess *s, const fix_msg *m)
{
    if (!may_trade(s, m)) return;
    mass_cancel *mc = calloc(1, sizeof *mc);
    if (!mc) return;
    mc->s = s;
    const fix_field *t = fix_get(m, TAG_MassCancelRequestType);
    collect col = {.instrument = -1};
    if (app_get_id(s, m, TAG_ClOrdID, mc->clordid, true)) goto done;
    mc->req_type = t->val[0] - '0';
    if (mc->req_type == 1) {
        uint32_t inst;
        fix_get_str(m, TAG_Symbol, mc->symbol, sizeof mc->symbol);
        if (app_get_symbol(g, s, m, &inst) != 0) {
            mass_report(g, s, mc, 0, 1); /* unknown security */
            goto done;
        }
        col.instrument = (int)inst;
    }
    const cets_engine *e = core_read_begin(g->core);
    cets_orders_foreach(e, s->participant, collect_order, &col);
    core_read_end(g->core);
    if (!col.n) {
        mass_report(g, s, mc, mc->req_type, 0);
        goto done;
    }
    mc->remaining = (uint32_t)col.n;
    for (size_t i = 0; i < col.n; i++) {
        inflight *f = inflight_new(s, IF_MASS, CETS_CMD_CANCEL);
        ordrec *o = fix_map_get(&g->orders, col.ids[i]);
        if (f) {
            f->cmd.order_id = col.ids[i];
            f->mass = mc;
            snprintf(f->id, sizeof f->id, "%s", mc->clordid);
        }
        if (f && o && !o->pend_kind) {
            o->pend_kind = 'C';
            snprintf(o->pend_id, sizeof o->pend_id, "%s", mc->clordid);
        }
        if (!f || !gw_submit(g, f)) mc->remaining--;
    }
    free(col.ids);
    col.ids = NULL;
    if (mc->remaining) return; /* reported when the last cancel completes */
    mass_report(g, s, mc, mc->req_type, 0);
done:
    free(col.ids);
    free(mc);
}

bool app_accepts(const char *t)
{
    static const char *const types[] = {"D", "F", "G", "q", "AE", "V", "g"};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (!strcmp(t, types[i])) return true;
    return false;
}

/* A message the session layer has checked: a type app_accepts(), valid by
 * the dictionary. */
void app_on_message(gw *g, sess *s, const fix_msg *m)
{
    const char *t = m->type;
    if (!strcmp(t, "D"))
        on_new_order(g, s, m);
    else if (!strcmp(t, "F"))
        on_cancel(g, s, m);
    else if (!strcmp(t, "G"))
        on_replace(g, s, m);
    else if (!strcmp(t, "q"))
        on_mass_cancel(g, s, m);
    else if (!strcmp(t, "AE"))
        block_on_message(g, s, m);
    else if (!strcmp(t, "V"))
        md_on_request(g, s, m);
    else if (!strcmp(t, "g"))
        md_on_status_request(g, s, m);
}

/* ---- events and completions ------------------------------------------------- */

static void on_accepted(gw *g, const cets_order_info *in, int64_t ts)
{
    inflight *f = fix_map_get(&g->inflight, in->client_ref);
    if (!f || f->kind != IF_NEW || f->cmd.participant != in->participant) return;
    ordrec *o = order_add(g, f->s, in->order_id, f->id);
    if (!o) {
        log_error("fix", "msg=\"out of memory: order not tracked\" order=%" PRIu64, in->order_id);
        return;
    }
    order_fill_from(o, in);
    o->ordtype = f->ordtype;
    o->tif = f->tif;
    o->price = f->ordtype == 2 ? f->cmd.price : 0;
    gw_order_note(f->s, 'A', o->order_id, o->clordid);
    er r = er_of(o, '0', '0', ts);
    er_send(g, f->s, &r);
}

static void on_trade(gw *g, const cets_trade *t)
{
    uint64_t ids[2] = {t->buy_order, t->sell_order};
    for (int k = 0; k < 2; k++) {
        ordrec *o = fix_map_get(&g->orders, ids[k]);
        if (!o) continue;
        o->cum_qty += t->qty;
        o->cum_value += t->value;
        o->leaves -= t->qty;
        er r = er_of(o, 'F', o->leaves > 0 ? '1' : '2', t->ts);
        r.last_qty = t->qty;
        r.last_px = t->price;
        r.trade_id = t->trade_id;
        er_send(g, o->s, &r);
    }
}

static void on_order_done(gw *g, const cets_order_info *in, int why, int64_t ts)
{
    ordrec *o = fix_map_get(&g->orders, in->order_id);
    if (!o) return;
    o->leaves = 0;
    er r = er_of(o, '4', '4', ts);
    if (why == CETS_DONE_CANCELLED && o->pend_kind == 'C') {
        r.clordid = o->pend_id;
        r.orig = o->clordid;
    } else if (why == CETS_DONE_EXPIRED) {
        r.exec_type = r.status = 'C';
        r.text = "expired at the end of the trading day";
    } else if (why == CETS_DONE_UNFILLED) {
        r.text = "the unfilled rest of an immediate order is cancelled";
    } else if (why == CETS_DONE_CANCELLED) {
        r.text = "cancelled outside this session";
    }
    if (why != CETS_DONE_FILLED) /* the last fill said Filled already */
        er_send(g, o->s, &r);
    order_drop(g, o);
}

static void on_replaced(gw *g, const cets_order_info *in, int64_t ts)
{
    ordrec *o = fix_map_get(&g->orders, in->order_id);
    if (!o) return;
    char old[GW_ID_MAX + 1];
    snprintf(old, sizeof old, "%s", o->clordid);
    if (o->pend_kind == 'R') {
        if (fix_map_get(&o->s->clord, id_hash(o->clordid)) == o)
            fix_map_del(&o->s->clord, id_hash(o->clordid));
        snprintf(o->clordid, sizeof o->clordid, "%s", o->pend_id);
        fix_map_put(&o->s->clord, id_hash(o->clordid), o);
        gw_order_note(o->s, 'R', o->order_id, o->clordid);
        o->pend_kind = 0;
    }
    o->price = in->price;
    o->leaves = in->qty;
    o->order_qty = o->cum_qty + o->leaves;
    er r = er_of(o, '5', o->cum_qty ? '1' : '0', ts);
    r.orig = old;
    er_send(g, o->s, &r);
}

void app_on_event(gw *g, const cets_event *ev)
{
    switch (ev->type) {
    case CETS_EV_ACCEPTED: on_accepted(g, &ev->u.order, ev->ts); break;
    case CETS_EV_TRADE:
        if (ev->u.trade.method == CETS_METHOD_LISTING) on_trade(g, &ev->u.trade);
        break;
    case CETS_EV_ORDER_DONE: on_order_done(g, &ev->u.done.order, ev->u.done.why, ev->ts); break;
    case CETS_EV_REPLACED: on_replaced(g, &ev->u.order, ev->ts); break;
    case CETS_EV_ADMIN:
        if (ev->u.admin.cmd_type == CETS_CMD_INSTRUMENT_ADD ||
            ev->u.admin.cmd_type == CETS_CMD_INSTRUMENT_MODE) {
            const cets_engine *e = core_read_begin(g->core);
            gw_instruments_load(g, e);
            core_read_end(g->core);
        }
        break;
    }
}

void app_on_done(gw *g, inflight *f, int code, const cets_result *res)
{
    (void)res;
    ordrec *o = f->cmd.order_id ? fix_map_get(&g->orders, f->cmd.order_id) : NULL;
    switch (f->kind) {
    case IF_NEW:
        if (code != CETS_OK) er_reject(g, f->s, f, NULL, code, NULL);
        break;
    case IF_CANCEL:
    case IF_REPLACE:
        if (o && o->pend_kind && strcmp(o->pend_id, f->id) == 0) o->pend_kind = 0;
        if (code != CETS_OK) cancel_reject(g, f->s, f, o, code, NULL);
        break;
    case IF_MASS:
        if (o && o->pend_kind == 'C' && strcmp(o->pend_id, f->id) == 0) o->pend_kind = 0;
        f->mass->affected += code == CETS_OK;
        if (--f->mass->remaining == 0) {
            mass_report(g, f->s, f->mass, f->mass->req_type, 0);
            free(f->mass);
        }
        break;
    case IF_COD:
        if (code != CETS_OK && code != CETS_UNKNOWN_ORDER)
            log_warn("fix",
                     "msg=\"cancel on disconnect failed\" compid=%s order=%" PRIu64 " reason=%s",
                     log_q(f->s->comp), f->cmd.order_id, log_q(cets_reason_name(code)));
        break;
    case IF_BLOCK: break;
    }
}

/* Cancel on disconnect: every live order this session entered. */
void app_on_disconnect(gw *g, sess *s)
{
    if (!s->cod || !s->clord.n) return;
    size_t it = 0, n = 0;
    uint64_t k;
    void *v;
    while (fix_map_next(&s->clord, &it, &k, &v)) {
        ordrec *o = v;
        inflight *f = inflight_new(s, IF_COD, CETS_CMD_CANCEL);
        if (!f) break;
        f->cmd.order_id = o->order_id;
        n += gw_submit(g, f);
    }
    log_info("fix", "msg=\"cancel on disconnect\" compid=%s orders=%zu", log_q(s->comp), n);
}
