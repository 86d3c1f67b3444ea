/* views.c -- see views.h. Everything here is formatting: no decisions about
 * who may see what (the handlers make those) and no engine calls that
 * change anything. */
#include "views.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

const char *const view_sides[] = {"", "buy", "sell", NULL};
const char *const view_products[] = {"CEA", "CCER", NULL};
const char *const view_matchings[] = {"listing", "continuous", NULL};
const char *const view_kinds[] = {"",           "exchange", "authority", "entity", "institution",
                                  "individual", NULL};
const char *const view_pstatuses[] = {"active", "suspended", "frozen", NULL};
const char *const view_tifs[] = {"day", "ioc", NULL};
const char *const view_methods[] = {"listing", "block", "auction", NULL};

/* names[i] of a NULL-terminated table, "unknown" past its end or for "". */
static const char *pick(const char *const names[], unsigned i)
{
    for (unsigned k = 0; names[k]; k++)
        if (k == i) return names[k][0] ? names[k] : "unknown";
    return "unknown";
}
#define PICK(tab, i) pick(tab, (unsigned)(i))

json_t *view_money(int64_t fen)
{
    char buf[32];
    return json_string(cets_fmt_money(fen, buf));
}

json_t *view_time(int64_t ts)
{
    time_t sec = (time_t)(ts / 1000000000);
    struct tm tm;
    gmtime_r(&sec, &tm);
    char buf[96];
    snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
             (int)(ts % 1000000000 / 1000000));
    return json_string(buf);
}

json_t *view_date(int32_t d)
{
    if (d <= 0) return json_null();
    char buf[16];
    snprintf(buf, sizeof buf, "%04d-%02d-%02d", d / 10000, d / 100 % 100, d % 100);
    return json_string(buf);
}

json_t *view_pct_bp(int64_t bp)
{
    char buf[32];
    uint64_t a = bp < 0 ? (uint64_t)0 - (uint64_t)bp : (uint64_t)bp;
    snprintf(buf, sizeof buf, "%s%llu.%02llu", bp < 0 ? "-" : "", (unsigned long long)(a / 100),
             (unsigned long long)(a % 100));
    return json_string(buf);
}

/* Change in basis points, half-up away from zero, as the engine rounds. */
static int64_t change_bp(int64_t close, int64_t prev)
{
    if (prev <= 0) return 0;
    int64_t num = (close - prev) * 10000;
    return num >= 0 ? (num + prev / 2) / prev : -((-num + prev / 2) / prev);
}

json_t *view_instrument(const cets_instrument_info *in)
{
    const cets_day_stats *t = &in->today;
    uint64_t trades = 0;
    for (int m = 0; m < CETS_METHOD_COUNT; m++) trades += t->trades[m];
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(in->id));
    json_object_set_new(o, "code", json_string(in->code));
    json_object_set_new(o, "product", json_string(PICK(view_products, in->product)));
    json_object_set_new(o, "matching", json_string(PICK(view_matchings, in->matching)));
    json_object_set_new(o, "status", json_string(in->status == CETS_IS_HALTED ? "halted" : "open"));
    json_object_set_new(o, "prev_close", view_money(in->prev_close));
    json_object_set_new(o, "lower", view_money(in->lower));
    json_object_set_new(o, "upper", view_money(in->upper));
    json_object_set_new(o, "tick", view_money(in->tick));
    json_object_set_new(o, "last", in->last ? view_money(in->last) : json_null());
    json_object_set_new(o, "traded", json_boolean(t->traded));
    json_object_set_new(o, "open", view_money(t->open));
    json_object_set_new(o, "high", view_money(t->high));
    json_object_set_new(o, "low", view_money(t->low));
    json_object_set_new(o, "close", view_money(t->close));
    /* The market's display convention: the last price against the previous
     * close (the day's VWAP becomes the close only at the end of day). */
    json_object_set_new(o, "change_pct",
                        in->last ? view_pct_bp(change_bp(in->last, in->prev_close)) : json_null());
    json_object_set_new(o, "volume", json_integer(t->volume[CETS_METHOD_LISTING]));
    json_object_set_new(o, "turnover", view_money(t->value[CETS_METHOD_LISTING]));
    json_object_set_new(o, "block_volume", json_integer(t->volume[CETS_METHOD_BLOCK]));
    json_object_set_new(o, "block_turnover", view_money(t->value[CETS_METHOD_BLOCK]));
    json_object_set_new(o, "auction_volume", json_integer(t->volume[CETS_METHOD_AUCTION]));
    json_object_set_new(o, "auction_turnover", view_money(t->value[CETS_METHOD_AUCTION]));
    json_object_set_new(o, "trades", json_integer((json_int_t)trades));
    return o;
}

/* ---- depth ------------------------------------------------------------- */

typedef struct depth_walk {
    uint32_t instrument;
    const cets_depth *d;
    json_t *bids, *asks; /* arrays of levels; each level has "orders" */
} depth_walk;

#define ORDERS_PER_LEVEL 50 /* enough to take from; the level's count says how many there are */

static void depth_add_order(void *ctx, const cets_order_info *o)
{
    depth_walk *w = ctx;
    if (o->instrument != w->instrument) return;
    bool bid = o->side == CETS_BUY;
    const cets_level *lv = bid ? w->d->bids : w->d->asks;
    uint32_t n = bid ? w->d->nbids : w->d->nasks;
    for (uint32_t i = 0; i < n; i++) {
        if (lv[i].price != o->price) continue;
        json_t *orders = json_object_get(json_array_get(bid ? w->bids : w->asks, i), "orders");
        if (json_array_size(orders) < ORDERS_PER_LEVEL)
            json_array_append_new(orders,
                                  json_pack("{s:I, s:I}", "order_id", (json_int_t)o->order_id,
                                            "qty", (json_int_t)o->qty));
        return;
    }
}

static json_t *depth_side(const cets_level *lv, uint32_t n)
{
    json_t *a = json_array();
    for (uint32_t i = 0; i < n; i++)
        json_array_append_new(a, json_pack("{s:o, s:I, s:i, s:[]}", "price",
                                           view_money(lv[i].price), "qty", (json_int_t)lv[i].qty,
                                           "count", (int)lv[i].count, "orders"));
    return a;
}

json_t *view_depth(const cets_engine *e, uint32_t instrument)
{
    cets_depth d;
    cets_instrument_info in;
    if (cets_instrument_get(e, instrument, &in) != 0 || cets_depth_get(e, instrument, &d) != 0)
        return NULL;
    depth_walk w = {instrument, &d, depth_side(d.bids, d.nbids), depth_side(d.asks, d.nasks)};
    /* The engine walks every live order book by book; the levels above say
     * which of them are in the best five. */
    cets_orders_foreach(e, 0, depth_add_order, &w);
    return json_pack("{s:s, s:o, s:o}", "code", in.code, "bids", w.bids, "asks", w.asks);
}

/* ---- trades and orders ---------------------------------------------------- */

json_t *view_trade_public(const cets_trade *t)
{
    return json_pack("{s:I, s:o, s:I, s:o, s:I, s:o, s:s, s:s}", "trade_id",
                     (json_int_t)t->trade_id, "ts", view_time(t->ts), "ts_ns", (json_int_t)t->ts,
                     "price", view_money(t->price), "qty", (json_int_t)t->qty, "value",
                     view_money(t->value), "aggressor", PICK(view_sides, t->aggressor), "method",
                     PICK(view_methods, t->method));
}

json_t *view_fill(const cets_engine *e, const cets_trade *t, uint32_t participant)
{
    cets_instrument_info in;
    bool buyer = t->buyer == participant;
    json_t *o = view_trade_public(t);
    if (cets_instrument_get(e, t->instrument, &in) == 0)
        json_object_set_new(o, "code", json_string(in.code));
    json_object_set_new(o, "side", json_string(buyer ? "buy" : "sell"));
    json_object_set_new(o, "order_id",
                        json_integer((json_int_t)(buyer ? t->buy_order : t->sell_order)));
    json_object_set_new(o, "fee", view_money(buyer ? t->buyer_fee : t->seller_fee));
    json_object_set_new(
        o, "liquidity",
        json_string(t->aggressor == (buyer ? CETS_BUY : CETS_SELL) ? "taker" : "maker"));
    return o;
}

json_t *view_order(const cets_engine *e, const cets_order_info *o, const char *client_order_id)
{
    cets_instrument_info in;
    const char *code = cets_instrument_get(e, o->instrument, &in) == 0 ? in.code : "";
    json_t *j = json_object();
    json_object_set_new(j, "order_id", json_integer((json_int_t)o->order_id));
    json_object_set_new(j, "client_order_id",
                        client_order_id ? json_string(client_order_id) : json_null());
    json_object_set_new(j, "participant", json_integer(o->participant));
    json_object_set_new(j, "code", json_string(code));
    json_object_set_new(j, "side", json_string(PICK(view_sides, o->side)));
    json_object_set_new(j, "price", view_money(o->price));
    json_object_set_new(j, "qty", json_integer(o->qty));
    json_object_set_new(j, "filled_qty", json_integer(o->filled_qty));
    json_object_set_new(j, "filled_value", view_money(o->filled_value));
    json_object_set_new(j, "tif", json_string(PICK(view_tifs, o->tif)));
    json_object_set_new(j, "ts", view_time(o->ts));
    return j;
}

/* ---- accounts ------------------------------------------------------------------ */

json_t *view_participant(const cets_participant_info *p)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(p->id));
    json_object_set_new(o, "name", json_string(p->name));
    json_object_set_new(o, "kind", json_string(PICK(view_kinds, p->kind)));
    json_object_set_new(o, "status", json_string(PICK(view_pstatuses, p->status)));
    json_object_set_new(o, "available", view_money(p->available));
    json_object_set_new(o, "frozen", view_money(p->frozen));
    json_object_set_new(o, "unsettled", view_money(p->unsettled));
    /* today's proceeds may already be spent (T+0), so available can be below
     * unsettled: then nothing is withdrawable, not a negative amount */
    int64_t withdrawable = p->available > p->unsettled ? p->available - p->unsettled : 0;
    json_object_set_new(o, "withdrawable", view_money(withdrawable));
    json_object_set_new(o, "open_orders", json_integer(p->open_orders));
    return o;
}

json_t *view_account(const cets_engine *e, uint32_t participant)
{
    cets_participant_info p;
    if (cets_participant_get(e, participant, &p) != 0) return NULL;
    json_t *o = view_participant(&p);
    json_object_set_new(o, "participant", json_integer(p.id));
    json_object_del(o, "id");
    json_t *hs = json_array();
    for (uint32_t i = 0; i < cets_instrument_count(e); i++) {
        cets_instrument_info in;
        cets_holding h;
        if (cets_instrument_get(e, i, &in) != 0 || cets_holding_get(e, participant, i, &h) != 0)
            continue;
        json_array_append_new(hs, json_pack("{s:s, s:I, s:I, s:I}", "code", in.code, "available",
                                            (json_int_t)h.available, "frozen", (json_int_t)h.frozen,
                                            "locked", (json_int_t)h.locked));
    }
    json_object_set_new(o, "holdings", hs);
    return o;
}

/* ---- end of day ---------------------------------------------------------------- */

json_t *view_day_stats(const cets_day_stats *st)
{
    json_t *o = json_object();
    json_object_set_new(o, "code", json_string(st->code));
    json_object_set_new(o, "date", view_date(st->date));
    json_object_set_new(o, "prev_close", view_money(st->prev_close));
    json_object_set_new(o, "open", view_money(st->open));
    json_object_set_new(o, "high", view_money(st->high));
    json_object_set_new(o, "low", view_money(st->low));
    json_object_set_new(o, "close", view_money(st->close));
    json_object_set_new(o, "change_pct", view_pct_bp(st->change_bp));
    json_object_set_new(o, "traded", json_boolean(st->traded));
    for (int m = 0; m < CETS_METHOD_COUNT; m++) {
        char k[32];
        snprintf(k, sizeof k, "%s_volume", view_methods[m]);
        json_object_set_new(o, k, json_integer(st->volume[m]));
        snprintf(k, sizeof k, "%s_value", view_methods[m]);
        json_object_set_new(o, k, view_money(st->value[m]));
        snprintf(k, sizeof k, "%s_trades", view_methods[m]);
        json_object_set_new(o, k, json_integer((json_int_t)st->trades[m]));
    }
    json_object_set_new(o, "total_volume", json_integer(st->total_volume));
    json_object_set_new(o, "total_value", view_money(st->total_value));
    int64_t cv = 0, cval = 0;
    for (int m = 0; m < CETS_METHOD_COUNT; m++) cv += st->cum_volume[m], cval += st->cum_value[m];
    json_object_set_new(o, "cum_volume", json_integer(cv));
    json_object_set_new(o, "cum_value", view_money(cval));
    for (int m = 0; m < CETS_METHOD_COUNT; m++) {
        char k[40];
        snprintf(k, sizeof k, "cum_%s_volume", view_methods[m]);
        json_object_set_new(o, k, json_integer(st->cum_volume[m]));
        snprintf(k, sizeof k, "cum_%s_value", view_methods[m]);
        json_object_set_new(o, k, view_money(st->cum_value[m]));
    }
    json_object_set_new(o, "next_lower", view_money(st->next_lower));
    json_object_set_new(o, "next_upper", view_money(st->next_upper));
    return o;
}

json_t *view_report(int32_t date, int64_t composite, const cets_day_stats *st, uint32_t n)
{
    json_t *a = json_array();
    int64_t vol[CETS_METHOD_COUNT] = {0}, val[CETS_METHOD_COUNT] = {0};
    uint64_t trades = 0;
    for (uint32_t i = 0; i < n; i++) {
        json_array_append_new(a, view_day_stats(&st[i]));
        for (int m = 0; m < CETS_METHOD_COUNT; m++) {
            vol[m] += st[i].volume[m];
            val[m] += st[i].value[m];
            trades += st[i].trades[m];
        }
    }
    json_t *tot = json_object();
    for (int m = 0; m < CETS_METHOD_COUNT; m++) {
        char k[32];
        snprintf(k, sizeof k, "%s_volume", view_methods[m]);
        json_object_set_new(tot, k, json_integer(vol[m]));
        snprintf(k, sizeof k, "%s_value", view_methods[m]);
        json_object_set_new(tot, k, view_money(val[m]));
    }
    json_object_set_new(tot, "volume", json_integer(vol[0] + vol[1] + vol[2]));
    json_object_set_new(tot, "value", view_money(val[0] + val[1] + val[2]));
    json_object_set_new(tot, "trades", json_integer((json_int_t)trades));
    return json_pack("{s:o, s:o, s:o, s:o}", "date", view_date(date), "composite",
                     view_money(composite), "instruments", a, "totals", tot);
}

json_t *view_statement(const cets_engine *e, const cets_statement *st)
{
    json_t *lines = json_array();
    for (uint32_t i = 0; i < st->nlines; i++) {
        const cets_statement_line *l = &st->lines[i];
        cets_instrument_info in;
        const char *code = cets_instrument_get(e, l->instrument, &in) == 0 ? in.code : "";
        /* What trading does not explain: issuance, allocations, surrenders,
         * retirements, transfers -- so that the line adds up. */
        int64_t other = l->close_qty - l->open_qty - l->bought_qty + l->sold_qty;
        json_array_append_new(
            lines,
            json_pack("{s:s, s:I, s:I, s:I, s:o, s:I, s:o, s:I}", "code", code, "open_qty",
                      (json_int_t)l->open_qty, "close_qty", (json_int_t)l->close_qty, "bought_qty",
                      (json_int_t)l->bought_qty, "bought_value", view_money(l->bought_value),
                      "sold_qty", (json_int_t)l->sold_qty, "sold_value", view_money(l->sold_value),
                      "registry_qty", (json_int_t)other));
    }
    json_t *o = json_object();
    json_object_set_new(o, "date", view_date(st->date));
    json_object_set_new(o, "participant", json_integer(st->participant));
    json_object_set_new(o, "funds_open", view_money(st->funds_open));
    json_object_set_new(o, "funds_close", view_money(st->funds_close));
    json_object_set_new(o, "deposits", view_money(st->deposits));
    json_object_set_new(o, "withdrawals", view_money(st->withdrawals));
    json_object_set_new(o, "bought_value", view_money(st->bought_value));
    json_object_set_new(o, "sold_value", view_money(st->sold_value));
    json_object_set_new(o, "fees", view_money(st->fees));
    json_object_set_new(o, "trades", json_integer(st->ntrades));
    json_object_set_new(o, "lines", lines);
    return o;
}

/* ---- block agreements, auctions, the registry -------------------------------------- */

static const char *const block_statuses[] = {
    "", "open", "accepted", "declined", "withdrawn", "countered", "lapsed", "closed", NULL};
static const char *const auction_statuses[] = {"", "open", "closed", "cancelled", "failed", NULL};
static const char *const transfer_statuses[] = {"", "pending", "approved", "rejected", NULL};
static const char *const move_kinds[] = {
    "",           "allocation", "emissions",         "surrender",
    "retirement", "transfer",   "transfer_approved", "transfer_rejected",
    "freeze",     "unfreeze",   "deadline",          NULL};

static const char *instrument_code(const cets_engine *e, uint32_t id, char *buf)
{
    cets_instrument_info in;
    if (cets_instrument_get(e, id, &in) == 0)
        snprintf(buf, CETS_CODE_LEN, "%s", in.code);
    else
        snprintf(buf, CETS_CODE_LEN, "?");
    return buf;
}

static json_t *id_or_null(uint64_t id)
{
    return id ? json_integer((json_int_t)id) : json_null();
}

json_t *view_block(const cets_engine *e, const cets_block_info *b)
{
    char code[CETS_CODE_LEN];
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer((json_int_t)b->id));
    json_object_set_new(o, "type", json_string(b->is_quote ? "quote" : "proposal"));
    json_object_set_new(o, "code", json_string(instrument_code(e, b->instrument, code)));
    json_object_set_new(o, "side", json_string(PICK(view_sides, b->side)));
    json_object_set_new(o, "price", view_money(b->price));
    json_object_set_new(o, "qty", json_integer(b->qty));
    json_object_set_new(o, "owner", json_integer(b->owner));
    json_object_set_new(o, "counterparty", id_or_null(b->counterparty));
    json_object_set_new(o, "answers", id_or_null(b->answers));
    json_object_set_new(o, "status", json_string(PICK(block_statuses, b->status)));
    json_object_set_new(o, "reserved", json_integer(b->reserved));
    json_object_set_new(o, "ts", view_time(b->ts));
    json_object_set_new(o, "trade_id", id_or_null(b->trade_id));
    return o;
}

json_t *view_auction(const cets_engine *e, const cets_auction_info *a)
{
    char code[CETS_CODE_LEN];
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer((json_int_t)a->id));
    json_object_set_new(o, "code", json_string(instrument_code(e, a->instrument, code)));
    json_object_set_new(o, "initiator", json_integer(a->initiator));
    json_object_set_new(o, "side", json_string(PICK(view_sides, a->side)));
    json_object_set_new(o, "mode", json_string(a->mode ? "pay_as_bid" : "uniform"));
    json_object_set_new(o, "status", json_string(PICK(auction_statuses, a->status)));
    json_object_set_new(o, "lot", json_integer(a->lot));
    json_object_set_new(o, "start", view_time(a->start));
    json_object_set_new(o, "end", view_time(a->end));
    json_object_set_new(o, "start_ns", json_integer(a->start));
    json_object_set_new(o, "end_ns", json_integer(a->end));
    json_object_set_new(o, "reserve_price", view_money(a->reserve_price));
    json_object_set_new(o, "bid_limit", view_money(a->bid_limit));
    json_object_set_new(o, "min_fill_pct", view_pct_bp(a->min_fill_bp));
    json_object_set_new(o, "filled", json_integer(a->filled));
    json_object_set_new(o, "clearing_price", view_money(a->clearing_price));
    json_object_set_new(o, "value", view_money(a->value));
    json_object_set_new(o, "bids", json_integer(a->nbids));
    json_object_set_new(o, "winners", json_integer(a->nwinners));
    return o;
}

json_t *view_transfer(const cets_engine *e, const cets_transfer_info *t)
{
    char code[CETS_CODE_LEN];
    return json_pack("{s:I, s:I, s:I, s:s, s:I, s:s, s:I, s:o}", "id", (json_int_t)t->id, "from",
                     (json_int_t)t->from, "to", (json_int_t)t->to, "code",
                     instrument_code(e, t->instrument, code), "qty", (json_int_t)t->qty, "status",
                     PICK(transfer_statuses, t->status), "requested_by_user", (json_int_t)t->user,
                     "ts", view_time(t->ts));
}

json_t *view_move(const cets_engine *e, const cets_registry_move *m, int64_t ts)
{
    char code[CETS_CODE_LEN];
    json_t *o = json_object();
    json_object_set_new(o, "kind", json_string(PICK(move_kinds, m->kind)));
    json_object_set_new(o, "participant", json_integer(m->participant));
    json_object_set_new(o, "counterparty", id_or_null(m->counterparty));
    bool has_code = m->kind != CETS_REG_EMISSIONS && m->kind != CETS_REG_DEADLINE &&
                    m->kind != CETS_REG_FREEZE && m->kind != CETS_REG_UNFREEZE;
    json_object_set_new(
        o, "code", has_code ? json_string(instrument_code(e, m->instrument, code)) : json_null());
    json_object_set_new(o, "qty", json_integer(m->qty));
    json_object_set_new(o, "year", m->year ? json_integer(m->year) : json_null());
    json_object_set_new(o, "compulsory", json_boolean(m->compulsory));
    json_object_set_new(o, "ref", id_or_null(m->ref));
    if (m->kind == CETS_REG_ALLOCATE) {
        json_object_set_new(o, "deducted", json_integer(m->deducted));
        json_object_set_new(o, "output", json_integer(m->output));
        json_object_set_new(o, "benchmark", json_integer(m->benchmark));
    }
    if (m->kind == CETS_REG_DEADLINE) {
        json_object_set_new(o, "obligation", json_integer(m->obligation));
        json_object_set_new(o, "shortfall", json_integer(m->shortfall));
        json_object_set_new(o, "penalty", view_money(m->penalty));
    }
    if (m->kind == CETS_REG_RETIRE) {
        char text[CETS_NAME_LEN];
        memcpy(text, m->text, sizeof text);
        text[CETS_NAME_LEN - 1] = 0;
        char *bar = strchr(text, '|');
        if (bar) *bar++ = 0;
        json_object_set_new(o, "beneficiary", json_string(text));
        json_object_set_new(o, "reason", json_string(bar ? bar : ""));
    }
    json_object_set_new(o, "ts", view_time(ts));
    return o;
}
