/* md.c -- market data (MarketDataRequest V -> snapshot W, incremental X,
 * reject Y) and trading session status (g -> h), docs/fix.md.
 *
 * The gateway keeps, per instrument, the last best five levels and today's
 * statistics as the engine's events told them. They are read from the
 * engine once, when the first subscription arrives, with the engine's last
 * sequence number; market events of that command or older are already in
 * the copy and are skipped, so the events that follow continue exactly
 * where the read left off. Snapshots are made
 * from this copy, never from the engine, so a snapshot and the increments
 * after it always agree.
 *
 * Depth increments are by position (MDEntryPositionNo 1-5): a level whose
 * price, size or order count changed is sent as Change (or New when the
 * position was empty), a position that emptied as Delete.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gw.h"

enum {
    MD_BID = 1 << 0,
    MD_OFFER = 1 << 1,
    MD_TRADE = 1 << 2,
    MD_OPEN = 1 << 3,
    MD_CLOSE = 1 << 4,
    MD_HIGH = 1 << 5,
    MD_LOW = 1 << 6,
    MD_VWAP = 1 << 7,
    MD_VOLUME = 1 << 8,
};
static const char md_chars[] = "01245789B"; /* index = bit number */
#define MD_BITS 9
#define MD_STATS (MD_OPEN | MD_CLOSE | MD_HIGH | MD_LOW | MD_VWAP | MD_VOLUME)

typedef struct md_entry {
    char type, action; /* action 0 new, 1 change, 2 delete; -1 in a snapshot */
    int64_t px, qty;
    int pos, count;
    bool has_px, has_qty;
} md_entry;

#define MD_MAX_ENTRIES (4 * CETS_DEPTH + 16)

static int type_bit(char ch)
{
    for (int i = 0; i < MD_BITS; i++)
        if (md_chars[i] == ch) return 1 << i;
    return 0;
}

/* ---- the copy of the market ------------------------------------------------- */

static void md_init(gw *g)
{
    if (g->md_ready) return;
    const cets_engine *e = core_read_begin(g->core);
    gw_instruments_load(g, e);
    for (uint32_t i = 0; i < g->ninst; i++) {
        cets_instrument_info in;
        cets_depth_get(e, i, &g->depth[i]);
        if (cets_instrument_get(e, i, &in) != 0) continue;
        const cets_day_stats *d = &in.today;
        g->stats[i] = (md_stats){.prev_close = in.prev_close,
                                 .last_px = in.last,
                                 .volume = d->volume[CETS_METHOD_LISTING],
                                 .value = d->value[CETS_METHOD_LISTING]};
        if (d->traded) {
            g->stats[i].open = d->open;
            g->stats[i].high = d->high;
            g->stats[i].low = d->low;
        }
    }
    g->md_seq = cets_last_seq(e); /* what the copy already holds */
    gw_md_enable(g);
    core_read_end(g->core);
    g->md_ready = true;
}

static int64_t vwap(const md_stats *st)
{
    return st->volume ? (st->value + st->volume / 2) / st->volume : 0;
}

/* The statistics entries a subscriber asked for (those that exist). */
static int stat_entries(const md_stats *st, uint32_t types, char action, md_entry *e)
{
    int n = 0;
    bool traded = st->volume > 0;
    struct {
        uint32_t bit;
        char type;
        int64_t px;
        bool ok;
    } s[] = {
        {MD_OPEN, '4', st->open, traded}, {MD_CLOSE, '5', st->prev_close, true},
        {MD_HIGH, '7', st->high, traded}, {MD_LOW, '8', st->low, traded},
        {MD_VWAP, '9', vwap(st), traded},
    };
    for (size_t k = 0; k < sizeof s / sizeof s[0]; k++)
        if ((types & s[k].bit) && s[k].ok)
            e[n++] = (md_entry){.type = s[k].type, .action = action, .px = s[k].px, .has_px = true};
    if (types & MD_VOLUME)
        e[n++] = (md_entry){.type = 'B', .action = action, .qty = st->volume, .has_qty = true};
    return n;
}

static int snapshot_entries(gw *g, const md_sub *sub, md_entry *e)
{
    const cets_depth *d = &g->depth[sub->instrument];
    const md_stats *st = &g->stats[sub->instrument];
    int n = 0;
    for (int side = 0; side < 2; side++) {
        if (!(sub->types & (side ? MD_OFFER : MD_BID))) continue;
        const cets_level *lv = side ? d->asks : d->bids;
        uint32_t cnt = side ? d->nasks : d->nbids;
        for (uint32_t k = 0; k < cnt && (int)k < sub->depth; k++)
            e[n++] = (md_entry){.type = side ? '1' : '0',
                                .action = -1,
                                .px = lv[k].price,
                                .qty = lv[k].qty,
                                .pos = (int)k + 1,
                                .count = (int)lv[k].count,
                                .has_px = true,
                                .has_qty = true};
    }
    if ((sub->types & MD_TRADE) && st->last_qty)
        e[n++] = (md_entry){.type = '2',
                            .action = -1,
                            .px = st->last_px,
                            .qty = st->last_qty,
                            .has_px = true,
                            .has_qty = true};
    return n + stat_entries(st, sub->types, -1, e + n);
}

/* W (snapshot, action < 0 everywhere) or X (incremental). */
static void md_send(gw *g, sess *s, const char *reqid, uint32_t instrument, const md_entry *e,
                    int n, bool snapshot)
{
    fix_builder *b = &g->b;
    const char *sym = g->inst[instrument].code;
    sess_begin(s, snapshot ? "W" : "X");
    fix_add_str(b, TAG_MDReqID, reqid);
    if (snapshot) fix_add_str(b, TAG_Symbol, sym);
    fix_add_int(b, TAG_NoMDEntries, n);
    for (int k = 0; k < n; k++) {
        if (!snapshot) fix_add_int(b, TAG_MDUpdateAction, e[k].action);
        fix_add_raw(b, TAG_MDEntryType, &e[k].type, 1);
        if (!snapshot) fix_add_str(b, TAG_Symbol, sym);
        if (e[k].has_px) fix_add_price(b, TAG_MDEntryPx, e[k].px);
        if (e[k].has_qty) fix_add_int(b, TAG_MDEntrySize, e[k].qty);
        if (e[k].pos) {
            fix_add_int(b, TAG_MDEntryPositionNo, e[k].pos);
            if (e[k].action != 2) fix_add_int(b, TAG_NumberOfOrders, e[k].count);
        }
    }
    sess_end(s);
}

/* ---- requests --------------------------------------------------------------- */

static void md_reject(gw *g, sess *s, const char *reqid, int reason, const char *text)
{
    sess_begin(s, "Y");
    fix_add_str(&g->b, TAG_MDReqID, reqid);
    fix_add_int(&g->b, TAG_MDReqRejReason, reason);
    fix_add_str(&g->b, TAG_Text, text);
    sess_end(s);
}

static void subs_remove(gw *g, sess *s, const char *reqid)
{
    for (int i = 0; i < g->nsubs;)
        if (g->subs[i].s == s && (!reqid || strcmp(g->subs[i].reqid, reqid) == 0))
            g->subs[i] = g->subs[--g->nsubs];
        else
            i++;
}

static bool subs_add(gw *g, const md_sub *sub)
{
    if (g->nsubs == g->capsubs) {
        int cap = g->capsubs ? 2 * g->capsubs : 16;
        md_sub *p = realloc(g->subs, (size_t)cap * sizeof *p);
        if (!p) return false;
        g->subs = p;
        g->capsubs = cap;
    }
    g->subs[g->nsubs++] = *sub;
    return true;
}

void md_on_request(gw *g, sess *s, const fix_msg *m)
{
    char reqid[GW_ID_MAX + 1]; /* the dictionary has checked what is required and each value */
    if (app_get_id(s, m, TAG_MDReqID, reqid, true)) return;
    const fix_field *t = fix_get(m, TAG_SubscriptionRequestType),
                    *ut = fix_get(m, TAG_MDUpdateType);
    int64_t depth;
    if (t->val[0] == '2') {
        subs_remove(g, s, reqid);
        return;
    }
    if (fix_get_int(m, TAG_MarketDepth, &depth) != 0 || depth < 0) {
        sess_reject(s, m, TAG_MarketDepth, FIX_REJ_VALUE,
                    "Value is incorrect (out of range) for this tag");
        return;
    }
    if (ut && (ut->len != 1 || ut->val[0] != '1')) {
        md_reject(g, s, reqid, 6, "only MDUpdateType=1 (incremental) is supported");
        return;
    }
    md_sub sub = {.s = s, .depth = depth == 0 || depth > CETS_DEPTH ? CETS_DEPTH : (int)depth};
    snprintf(sub.reqid, sizeof sub.reqid, "%s", reqid);
    for (int i = fix_find(m, TAG_MDEntryType, 0); i >= 0; i = fix_find(m, TAG_MDEntryType, i + 1)) {
        int bit = m->f[i].len == 1 ? type_bit(m->f[i].val[0]) : 0;
        if (!bit) {
            md_reject(g, s, reqid, 8, "MDEntryType: 0 1 2 4 5 7 8 9 B are supported");
            return;
        }
        sub.types |= (uint32_t)bit;
    }
    for (int i = 0; i < g->nsubs; i++)
        if (t->val[0] == '1' && g->subs[i].s == s && strcmp(g->subs[i].reqid, reqid) == 0) {
            md_reject(g, s, reqid, 1, "duplicate MDReqID");
            return;
        }
    uint32_t insts[CETS_MAX_INSTRUMENTS];
    int ni = 0;
    for (int i = fix_find(m, TAG_Symbol, 0); i >= 0; i = fix_find(m, TAG_Symbol, i + 1)) {
        int k = gw_instrument_find(g, m->f[i].val, m->f[i].len);
        if (k < 0 || ni == CETS_MAX_INSTRUMENTS) {
            md_reject(g, s, reqid, 0, "unknown symbol");
            return;
        }
        insts[ni++] = (uint32_t)k;
    }
    if (!ni) {
        sess_reject(s, m, TAG_NoRelatedSym, FIX_REJ_VALUE,
                    "Value is incorrect: at least one symbol");
        return;
    }
    md_init(g);
    for (int k = 0; k < ni; k++) {
        md_entry e[MD_MAX_ENTRIES];
        sub.instrument = insts[k];
        md_send(g, s, reqid, insts[k], e, snapshot_entries(g, &sub, e), true);
        if (t->val[0] == '1' && !subs_add(g, &sub)) md_reject(g, s, reqid, 0, "out of memory");
    }
}

void md_on_disconnect(gw *g, sess *s)
{
    subs_remove(g, s, NULL);
}

/* ---- events ----------------------------------------------------------------- */

/* Position-wise changes of one side from old to new, up to depth. */
static int depth_diff(const cets_level *o, uint32_t no, const cets_level *n, uint32_t nn, char type,
                      int depth, md_entry *e)
{
    int k = 0;
    for (int p = 0; p < depth; p++) {
        bool had = (uint32_t)p < no, has = (uint32_t)p < nn;
        if (has &&
            (!had || o[p].price != n[p].price || o[p].qty != n[p].qty || o[p].count != n[p].count))
            e[k++] = (md_entry){.type = type,
                                .action = had ? 1 : 0,
                                .px = n[p].price,
                                .qty = n[p].qty,
                                .pos = p + 1,
                                .count = (int)n[p].count,
                                .has_px = true,
                                .has_qty = true};
        else if (had && !has)
            e[k++] = (md_entry){
                .type = type, .action = 2, .px = o[p].price, .pos = p + 1, .has_px = true};
    }
    return k;
}

static void on_depth(gw *g, const cets_depth *d)
{
    if (d->instrument >= CETS_MAX_INSTRUMENTS) return;
    cets_depth *old = &g->depth[d->instrument];
    for (int i = 0; i < g->nsubs; i++) {
        md_sub *sub = &g->subs[i];
        if (sub->instrument != d->instrument || !(sub->types & (MD_BID | MD_OFFER))) continue;
        md_entry e[MD_MAX_ENTRIES];
        int n = 0;
        if (sub->types & MD_BID)
            n += depth_diff(old->bids, old->nbids, d->bids, d->nbids, '0', sub->depth, e + n);
        if (sub->types & MD_OFFER)
            n += depth_diff(old->asks, old->nasks, d->asks, d->nasks, '1', sub->depth, e + n);
        if (n) md_send(g, sub->s, sub->reqid, d->instrument, e, n, false);
    }
    *old = *d;
}

static void on_trade(gw *g, const cets_trade *t)
{
    if (t->method != CETS_METHOD_LISTING || t->instrument >= CETS_MAX_INSTRUMENTS) return;
    md_stats *st = &g->stats[t->instrument];
    bool first = st->volume == 0;
    if (first || t->price > st->high) st->high = t->price;
    if (first || t->price < st->low) st->low = t->price;
    if (first) st->open = t->price;
    st->last_px = t->price;
    st->last_qty = t->qty;
    st->volume += t->qty;
    st->value += t->value;
    for (int i = 0; i < g->nsubs; i++) {
        md_sub *sub = &g->subs[i];
        if (sub->instrument != t->instrument || !(sub->types & (MD_TRADE | MD_STATS))) continue;
        md_entry e[MD_MAX_ENTRIES];
        int n = 0;
        if (sub->types & MD_TRADE)
            e[n++] = (md_entry){.type = '2',
                                .action = 0,
                                .px = t->price,
                                .qty = t->qty,
                                .has_px = true,
                                .has_qty = true};
        n += stat_entries(st, sub->types & ~(uint32_t)MD_CLOSE, first ? 0 : 1, e + n);
        if (n) md_send(g, sub->s, sub->reqid, t->instrument, e, n, false);
    }
}

/* End of day: the close becomes tomorrow's reference; today starts empty. */
static void on_day_stats(gw *g, const cets_day_stats *d)
{
    if (d->instrument >= CETS_MAX_INSTRUMENTS) return;
    g->stats[d->instrument] = (md_stats){.prev_close = d->close};
    for (int i = 0; i < g->nsubs; i++) {
        md_sub *sub = &g->subs[i];
        if (sub->instrument != d->instrument || !(sub->types & MD_CLOSE)) continue;
        md_entry e = {.type = '5', .action = 1, .px = d->close, .has_px = true};
        md_send(g, sub->s, sub->reqid, d->instrument, &e, 1, false);
    }
}

void md_on_event(gw *g, const cets_event *ev)
{
    if (!g->md_ready || ev->seq <= g->md_seq) return;
    if (ev->type == CETS_EV_DEPTH)
        on_depth(g, &ev->u.depth);
    else if (ev->type == CETS_EV_TRADE)
        on_trade(g, &ev->u.trade);
    else if (ev->type == CETS_EV_DAY_STATS)
        on_day_stats(g, &ev->u.stats);
}

/* ---- trading session status ------------------------------------------------- */

/* 2 open, 3 closed, 1 halted: the same test as the HTTP API's "session". */
static int session_status(gw *g)
{
    const cets_engine *e = core_read_begin(g->core);
    const cets_config *cfg = cets_engine_config(e);
    int status = 3;
    if (cets_market_halted(e)) {
        core_read_end(g->core);
        return 1;
    }
    int32_t date = cets_trading_date(e);
    if (!cfg->enforce_sessions) {
        status = 2;
    } else if (cets_date_of(g->wall, cfg->tz_offset_min) == date && cets_is_trading_day(e, date)) {
        for (int i = 0; i < 4; i += 2) {
            int64_t from = cets_time_at(date, cfg->sessions[i] / 60, cfg->sessions[i] % 60,
                                        cfg->tz_offset_min);
            int64_t to = cets_time_at(date, cfg->sessions[i + 1] / 60, cfg->sessions[i + 1] % 60,
                                      cfg->tz_offset_min);
            if (g->wall >= from && g->wall < to) status = 2;
        }
    }
    core_read_end(g->core);
    return status;
}

static void send_status(gw *g, sess *s, const char *reqid, int status, bool unsolicited)
{
    sess_begin(s, "h");
    if (reqid && reqid[0]) fix_add_str(&g->b, TAG_TradSesReqID, reqid);
    fix_add_str(&g->b, TAG_TradingSessionID, GW_COMP_ID);
    if (unsolicited) fix_add_str(&g->b, TAG_UnsolicitedIndicator, "Y");
    fix_add_int(&g->b, TAG_TradSesStatus, status);
    sess_end(s);
}

void md_on_status_request(gw *g, sess *s, const fix_msg *m)
{
    char reqid[GW_ID_MAX + 1]; /* the dictionary has checked 263 and 336 (only CETS) */
    if (app_get_id(s, m, TAG_TradSesReqID, reqid, true)) return;
    const fix_field *t = fix_get(m, TAG_SubscriptionRequestType);
    if (t->val[0] == '2') {
        s->tss_sub = false;
        return;
    }
    int status = session_status(g);
    g->tss_status = status;
    send_status(g, s, reqid, status, false);
    if (t->val[0] == '1') {
        s->tss_sub = true;
        snprintf(s->tss_reqid, sizeof s->tss_reqid, "%s", reqid);
    }
}

/* Once a second: push a changed status to the subscribed sessions. */
void md_tick(gw *g)
{
    bool any = false;
    for (int i = 0; i < g->nsess && !any; i++) any = g->sess[i]->tss_sub && g->sess[i]->c;
    if (!any || g->mono < g->next_tss) return;
    g->next_tss = g->mono + 1000000000;
    int status = session_status(g);
    if (status == g->tss_status) return;
    g->tss_status = status;
    for (int i = 0; i < g->nsess; i++)
        if (g->sess[i]->tss_sub && g->sess[i]->c)
            send_status(g, g->sess[i], g->sess[i]->tss_reqid, status, true);
}
