/* params.c -- the market's parameters as journaled, dated settings.
 *
 * Every number a rule uses that the regulator or the exchange changes by
 * announcement (fees, bands, sizes, the tick, the CCER cap, the penalty
 * multiple, the composite's vintages, session and block hours) has an entry
 * in one table: a stable id (cets_param_id, journaled), a name, a unit, the
 * range a change may have and whether it may apply at once. The engine keeps
 * the values in force (pv), its defaults (pdef: what cets_engine_new() was
 * given) and every accepted change (pchg), pending or applied, for good.
 *
 * A change (CETS_CMD_PARAM_SET) names a trading date after today and applies
 * from the first open on or after it: END_OF_DAY applies what has come due
 * before it builds the next day's ladders, so bands and the tick of the new
 * day follow the new values. An urgent change applies at once, and only
 * parameters whose rule reads them afresh on every command may be urgent:
 * not the fees (resting orders reserved at the old rate), not the listing
 * band or the tick (today's ladders are built on them), not the hours (the
 * day's session bounds are cached). A pending auction fee waits while an
 * auction is open, since its bids reserved their fee at the old rate.
 *
 * The values that cets_config also has are mirrored into e->cfg, so the
 * rules that read the configuration read the values in force; the others
 * are read from pv by their rule's file. Both change only in cets_apply(),
 * on the engine thread, which the core runs under its write lock: gateways
 * that format a rejection under the read lock see a consistent table.
 *
 * Validation projects the table onto the change's date and every later
 * pending date, so that no combination that will ever be in force is
 * inconsistent (a listing minimum over its maximum, a session that ends
 * before it starts).
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

#define PARAM_PENDING_MAX 64 /* changes waiting for their date at once */

static const cets_param_info table[CETS_PARAM_COUNT] = {
    [CETS_PARAM_FEE_LISTING_BUY] = {"fee.listing.buy", "ppm", "listing fee, buyer", 0, 100000,
                                    false},
    [CETS_PARAM_FEE_LISTING_SELL] = {"fee.listing.sell", "ppm", "listing fee, seller", 0, 100000,
                                     false},
    [CETS_PARAM_FEE_BLOCK_BUY] = {"fee.block.buy", "ppm", "block fee, buyer", 0, 100000, false},
    [CETS_PARAM_FEE_BLOCK_SELL] = {"fee.block.sell", "ppm", "block fee, seller", 0, 100000, false},
    [CETS_PARAM_FEE_AUCTION_BUY] = {"fee.auction.buy", "ppm", "auction fee, buyer", 0, 100000,
                                    false},
    [CETS_PARAM_FEE_AUCTION_SELL] = {"fee.auction.sell", "ppm", "auction fee, seller", 0, 100000,
                                     false},
    [CETS_PARAM_BAND_LISTING] = {"band.listing", "bp", "listing band around the previous close", 0,
                                 9999, false},
    [CETS_PARAM_BAND_BLOCK] = {"band.block", "bp", "block band around the previous close", 0, 9999,
                               true},
    [CETS_PARAM_BAND_AUCTION] = {"band.auction", "bp", "auction limits around the previous close",
                                 0, 9999, true},
    [CETS_PARAM_LISTING_MIN_QTY] = {"size.listing.min", "t", "smallest listing", 1, 2147483647,
                                    true},
    [CETS_PARAM_LISTING_MAX_QTY] = {"size.listing.max", "t", "largest listing", 1, 2147483647,
                                    true},
    [CETS_PARAM_BLOCK_MIN_QTY] = {"size.block.min", "t", "smallest block trade and auction lot", 1,
                                  1000000000, true},
    [CETS_PARAM_BLOCK_MAX_QTY] = {"size.block.max", "t", "largest block trade", 1, 1000000000,
                                  true},
    [CETS_PARAM_AUCTION_MAX_LOT] = {"size.auction.max", "t", "largest auction lot", 1,
                                    10000000000LL, true},
    [CETS_PARAM_TICK] = {"tick", "fen", "price tick", 1, 1000000, false},
    [CETS_PARAM_CCER_CAP] = {"ccer.cap", "bp", "CCER share of an obligation", 0, 10000, true},
    [CETS_PARAM_PENALTY_MULTIPLE] = {"penalty.multiple", "bp",
                                     "penalty: shortfall x composite x this", 0, 1000000, true},
    [CETS_PARAM_COMPOSITE] = {"composite.vintages", "mask",
                              "instruments in the composite price (bit = id; 0 = every CEA)", 0,
                              INT64_MAX, true},
    [CETS_PARAM_AM_OPEN] = {"session.am.open", "min", "morning session opens", 0, 1440, false},
    [CETS_PARAM_AM_CLOSE] = {"session.am.close", "min", "morning session closes", 0, 1440, false},
    [CETS_PARAM_PM_OPEN] = {"session.pm.open", "min", "afternoon session opens", 0, 1440, false},
    [CETS_PARAM_PM_CLOSE] = {"session.pm.close", "min", "afternoon session closes", 0, 1440, false},
    [CETS_PARAM_BLOCK_OPEN] = {"block.open", "min", "block agreements open", 0, 1440, false},
    [CETS_PARAM_BLOCK_CLOSE] = {"block.close", "min", "block agreements close", 0, 1440, false},
    [CETS_PARAM_LIMIT_ENTITY_CEA] = {"limit.entity.cea", "t",
                                     "most an entity may hold of all CEA (0 = none)", 0,
                                     1000000000000LL, true},
    [CETS_PARAM_LIMIT_ENTITY_CCER] = {"limit.entity.ccer", "t",
                                      "most an entity may hold of CCER (0 = none)", 0,
                                      1000000000000LL, true},
    [CETS_PARAM_LIMIT_INSTITUTION_CEA] = {"limit.institution.cea", "t",
                                          "most an institution may hold of all CEA (0 = none)", 0,
                                          1000000000000LL, true},
    [CETS_PARAM_LIMIT_INSTITUTION_CCER] = {"limit.institution.ccer", "t",
                                           "most an institution may hold of CCER (0 = none)", 0,
                                           1000000000000LL, true},
    [CETS_PARAM_LIMIT_INDIVIDUAL_CCER] = {"limit.individual.ccer", "t",
                                          "most an individual may hold of CCER (0 = none)", 0,
                                          1000000000000LL, true},
    [CETS_PARAM_LIMIT_VINTAGE] = {"limit.vintage", "t",
                                  "most anyone may hold of one CEA vintage (0 = none)", 0,
                                  1000000000000LL, true},
    [CETS_PARAM_LARGE_SHARE] = {"large.share", "bp",
                                "large holder: above this share of the issuance (0 = off)", 0,
                                10000, true},
    [CETS_PARAM_LARGE_TONNES] = {"large.tonnes", "t",
                                 "large holder: above this many tonnes (0 = off)", 0,
                                 1000000000000LL, true},
    [CETS_PARAM_SURV_SELF_TRADE] = {"surv.self_trade", "count",
                                    "alert: self-trade attempts in a day (0 = off)", 0, 1000000,
                                    true},
    [CETS_PARAM_SURV_OTR_RATIO] = {"surv.otr.ratio", "count",
                                   "alert: orders per trade in a day (0 = off)", 0, 1000000, true},
    [CETS_PARAM_SURV_OTR_MIN] = {"surv.otr.min", "count",
                                 "alert: orders in a day before the ratio counts", 1, 1000000,
                                 true},
    [CETS_PARAM_SURV_VOLUME_SHARE] = {"surv.volume_share", "bp",
                                      "alert: share of an instrument's day volume (0 = off)", 0,
                                      10000, true},
    [CETS_PARAM_SURV_FAR] = {"surv.far", "bp",
                             "alert: order this far from the last price (0 = off)", 0, 10000, true},
    [CETS_PARAM_SURV_CANCEL_RATIO] = {"surv.cancel.ratio", "bp",
                                      "alert: quick cancels over posts in a day (0 = off)", 0,
                                      10000, true},
    [CETS_PARAM_SURV_CANCEL_MIN] = {"surv.cancel.min", "count",
                                    "alert: posts in a day before the cancel ratio counts", 1,
                                    1000000, true},
    [CETS_PARAM_SURV_CANCEL_WINDOW] = {"surv.cancel.window", "s",
                                       "alert: a cancel this soon after its post is quick", 1,
                                       86400, true},
    [CETS_PARAM_SURV_RAMP_MINUTES] = {"surv.ramp.minutes", "minutes",
                                      "alert: ramping window before the close (0 = off)", 0, 240,
                                      true},
    [CETS_PARAM_SURV_RAMP_MOVE] = {"surv.ramp.move", "bp",
                                   "alert: ramping, the close moved more than this", 1, 10000,
                                   true},
    [CETS_PARAM_SURV_RAMP_SHARE] = {"surv.ramp.share", "bp",
                                    "alert: ramping, above this share of the window's volume", 0,
                                    9999, true},
    [CETS_PARAM_SURV_RELATED] = {"surv.related", "flag",
                                 "alert: trades between declared related parties (0 = off)", 0, 1,
                                 true},
};

const cets_param_info *cets_param_info_get(int id)
{
    return id >= 0 && id < CETS_PARAM_COUNT ? &table[id] : NULL;
}

int cets_param_find(const char *name)
{
    for (int i = 0; name && i < CETS_PARAM_COUNT; i++)
        if (strcmp(table[i].name, name) == 0) return i;
    return -1;
}

int64_t cets_param_value(const cets_engine *e, int id)
{
    return id >= 0 && id < CETS_PARAM_COUNT ? e->pv[id] : 0;
}

int64_t cets_param_default(const cets_engine *e, int id)
{
    return id >= 0 && id < CETS_PARAM_COUNT ? e->pdef[id] : 0;
}

uint32_t cets_param_changes(const cets_engine *e, uint32_t from, cets_param_change *out,
                            uint32_t cap)
{
    for (uint32_t i = 0; out && i < cap && from + i < e->npchg; i++) out[i] = e->pchg[from + i];
    return e->npchg;
}

/* ---- the table and cets_config ---------------------------------------- */

static const int fee_ids[CETS_METHOD_COUNT][2] = {
    {CETS_PARAM_FEE_LISTING_BUY, CETS_PARAM_FEE_LISTING_SELL},
    {CETS_PARAM_FEE_BLOCK_BUY, CETS_PARAM_FEE_BLOCK_SELL},
    {CETS_PARAM_FEE_AUCTION_BUY, CETS_PARAM_FEE_AUCTION_SELL},
};

void params_init(cets_engine *e)
{
    const cets_config *c = &e->cfg;
    int64_t *d = e->pdef;
    for (int m = 0; m < CETS_METHOD_COUNT; m++)
        for (int s = 0; s < 2; s++) d[fee_ids[m][s]] = c->fee_ppm[m][s];
    d[CETS_PARAM_BAND_LISTING] = c->listing_band_bp;
    d[CETS_PARAM_BAND_BLOCK] = c->block_band_bp;
    d[CETS_PARAM_BAND_AUCTION] = c->listing_band_bp;
    d[CETS_PARAM_LISTING_MIN_QTY] = c->listing_min_qty;
    d[CETS_PARAM_LISTING_MAX_QTY] = c->listing_max_qty;
    d[CETS_PARAM_BLOCK_MIN_QTY] = c->block_min_qty;
    d[CETS_PARAM_BLOCK_MAX_QTY] = 1000000000LL;
    d[CETS_PARAM_AUCTION_MAX_LOT] = 10000000000LL;
    d[CETS_PARAM_TICK] = c->tick;
    d[CETS_PARAM_CCER_CAP] = c->ccer_cap_bp;
    d[CETS_PARAM_PENALTY_MULTIPLE] = c->penalty_multiple_bp;
    d[CETS_PARAM_COMPOSITE] = 0;
    for (int i = 0; i < 4; i++) d[CETS_PARAM_AM_OPEN + i] = c->sessions[i];
    d[CETS_PARAM_BLOCK_OPEN] = c->sessions[2];
    d[CETS_PARAM_BLOCK_CLOSE] = c->sessions[3];
    d[CETS_PARAM_LARGE_SHARE] = 500;
    d[CETS_PARAM_SURV_SELF_TRADE] = 3;
    d[CETS_PARAM_SURV_OTR_RATIO] = 20;
    d[CETS_PARAM_SURV_OTR_MIN] = 50;
    d[CETS_PARAM_SURV_VOLUME_SHARE] = 3000;
    d[CETS_PARAM_SURV_FAR] = 500;
    d[CETS_PARAM_SURV_CANCEL_RATIO] = 9000;
    d[CETS_PARAM_SURV_CANCEL_MIN] = 50;
    d[CETS_PARAM_SURV_CANCEL_WINDOW] = 10;
    d[CETS_PARAM_SURV_RAMP_MINUTES] = 10;
    d[CETS_PARAM_SURV_RAMP_MOVE] = 200;
    d[CETS_PARAM_SURV_RAMP_SHARE] = 5000;
    d[CETS_PARAM_SURV_RELATED] = 1;
    memcpy(e->pv, e->pdef, sizeof e->pv);
}

/* Mirror the values in force into cets_config and the instruments' tick. */
static void params_to_cfg(cets_engine *e)
{
    cets_config *c = &e->cfg;
    const int64_t *v = e->pv;
    for (int m = 0; m < CETS_METHOD_COUNT; m++)
        for (int s = 0; s < 2; s++) c->fee_ppm[m][s] = (int32_t)v[fee_ids[m][s]];
    c->listing_band_bp = (int32_t)v[CETS_PARAM_BAND_LISTING];
    c->block_band_bp = (int32_t)v[CETS_PARAM_BAND_BLOCK];
    c->listing_min_qty = v[CETS_PARAM_LISTING_MIN_QTY];
    c->listing_max_qty = v[CETS_PARAM_LISTING_MAX_QTY];
    c->block_min_qty = v[CETS_PARAM_BLOCK_MIN_QTY];
    c->tick = v[CETS_PARAM_TICK];
    c->ccer_cap_bp = (int32_t)v[CETS_PARAM_CCER_CAP];
    c->penalty_multiple_bp = (int32_t)v[CETS_PARAM_PENALTY_MULTIPLE];
    for (int i = 0; i < 4; i++) c->sessions[i] = (int32_t)v[CETS_PARAM_AM_OPEN + i];
    for (uint32_t i = 0; i < e->ninst; i++) e->inst[i].tick = c->tick;
}

bool params_in_composite(const cets_engine *e, uint32_t iid)
{
    uint64_t mask = (uint64_t)e->pv[CETS_PARAM_COMPOSITE];
    if (e->inst[iid].product != CETS_PRODUCT_CEA) return false;
    return mask == 0 || (iid < 64 && (mask >> iid & 1));
}

/* ---- validation --------------------------------------------------------- */

static bool is_fee_auction(int id)
{
    return id == CETS_PARAM_FEE_AUCTION_BUY || id == CETS_PARAM_FEE_AUCTION_SELL;
}

/* The values in force from date's open: today's, with every pending change
 * dated on or before it applied in order, and `extra` (the change being
 * checked) last. */
static void project(const cets_engine *e, int32_t date, const cets_param_change *extra, int64_t *v)
{
    memcpy(v, e->pv, sizeof e->pv);
    for (uint32_t i = 0; i < e->npchg; i++) {
        const cets_param_change *p = &e->pchg[i];
        if (p->status == CETS_PARAM_PENDING && p->effective <= date) v[p->id] = p->value;
    }
    if (extra && extra->effective <= date) v[extra->id] = extra->value;
}

static const char *hhmm(int64_t min, char *buf, size_t len)
{
    snprintf(buf, len, "%02lld:%02lld", (long long)(min / 60), (long long)(min % 60));
    return buf;
}

static const char *show(int id, int64_t v, char *buf, size_t len)
{
    if (strcmp(table[id].unit, "min") == 0) return hhmm(v, buf, len);
    char n[32];
    snprintf(buf, len, "%s %s", fmt_thousands(v, n, sizeof n), table[id].unit);
    return buf;
}

/* a must be below b (strict) or not above it; 0 when it holds. */
static int order_rule(const int64_t *v, int a, int b, bool strict, int32_t date, char *msg,
                      size_t len)
{
    if (strict ? v[a] < v[b] : v[a] <= v[b]) return 0;
    char x[40], y[40];
    if (msg)
        snprintf(msg, len, "%s (%s) must be %s %s (%s) from %d", table[a].name,
                 show(a, v[a], x, sizeof x), strict ? "before" : "at most", table[b].name,
                 show(b, v[b], y, sizeof y), date);
    return CETS_BAD_PARAM;
}

static int consistent(const int64_t *v, int32_t date, char *msg, size_t len)
{
    static const struct {
        int a, b;
        bool strict;
    } rules[] = {
        {CETS_PARAM_LISTING_MIN_QTY, CETS_PARAM_LISTING_MAX_QTY, false},
        {CETS_PARAM_BLOCK_MIN_QTY, CETS_PARAM_BLOCK_MAX_QTY, false},
        {CETS_PARAM_BLOCK_MIN_QTY, CETS_PARAM_AUCTION_MAX_LOT, false},
        {CETS_PARAM_AM_OPEN, CETS_PARAM_AM_CLOSE, true},
        {CETS_PARAM_AM_CLOSE, CETS_PARAM_PM_OPEN, false},
        {CETS_PARAM_PM_OPEN, CETS_PARAM_PM_CLOSE, true},
        {CETS_PARAM_BLOCK_OPEN, CETS_PARAM_BLOCK_CLOSE, true},
    };
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
        int rc = order_rule(v, rules[i].a, rules[i].b, rules[i].strict, date, msg, len);
        if (rc) return rc;
    }
    return 0;
}

/* The reason a PARAM_SET is refused (0 when it is not), and its words. */
static int param_validate(const cets_engine *e, const cets_cmd *c, char *msg, size_t len)
{
    char a[40], b[40], x[40];
    if (msg && len) msg[0] = 0;
    if (c->aux < 0 || c->aux >= CETS_PARAM_COUNT) {
        if (msg) snprintf(msg, len, "no market parameter has the number %lld", (long long)c->aux);
        return CETS_BAD_PARAM;
    }
    int id = (int)c->aux;
    const cets_param_info *pi = &table[id];
    if (c->flags & ~CETS_PARAM_URGENT) return CETS_BAD_ARGUMENT;
    bool urgent = c->flags & CETS_PARAM_URGENT;
    if (urgent && !pi->urgent) {
        if (msg)
            snprintf(msg, len, "%s changes only from a later trading day's open, not at once",
                     pi->name);
        return CETS_PARAM_NOT_URGENT;
    }
    if (urgent ? c->price != 0
               : (c->price > INT32_MAX || !cets_date_valid((int32_t)c->price) ||
                  c->price <= e->date)) {
        if (msg)
            snprintf(msg, len,
                     "the date a change applies from must be after the trading date %d "
                     "(or the change marked urgent)",
                     e->date);
        return CETS_BAD_PARAM;
    }
    if (c->qty < pi->min || c->qty > pi->max) {
        if (msg)
            snprintf(msg, len, "%s must be from %s to %s, not %s", pi->name,
                     show(id, pi->min, a, sizeof a), show(id, pi->max, b, sizeof b),
                     show(id, c->qty, x, sizeof x));
        return CETS_BAD_PARAM;
    }
    if (id == CETS_PARAM_COMPOSITE)
        for (uint32_t i = 0; i < 64; i++)
            if ((c->qty >> i & 1) && (i >= e->ninst || e->inst[i].product != CETS_PRODUCT_CEA)) {
                if (msg)
                    snprintf(msg, len,
                             "composite.vintages names instrument %u, which is not a "
                             "CEA vintage",
                             i);
                return CETS_BAD_PARAM;
            }
    uint32_t pending = 0;
    for (uint32_t i = 0; i < e->npchg; i++) pending += e->pchg[i].status == CETS_PARAM_PENDING;
    if (!urgent && pending >= PARAM_PENDING_MAX) {
        if (msg)
            snprintf(msg, len, "at most %d changes may wait for their date", PARAM_PENDING_MAX);
        return CETS_CAPACITY;
    }
    cets_param_change nc = {
        .id = id, .value = c->qty, .effective = urgent ? e->date : (int32_t)c->price};
    int64_t v[CETS_PARAM_COUNT];
    project(e, nc.effective, &nc, v);
    int rc = consistent(v, nc.effective, msg, len);
    for (uint32_t i = 0; !rc && i < e->npchg; i++) {
        const cets_param_change *p = &e->pchg[i];
        if (p->status == CETS_PARAM_PENDING && p->effective > nc.effective) {
            project(e, p->effective, &nc, v);
            rc = consistent(v, p->effective, msg, len);
        }
    }
    return rc;
}

const char *cets_param_check(const cets_engine *e, const cets_cmd *cmd, char *buf, size_t len)
{
    if (!buf || !len) return "";
    buf[0] = 0;
    if (e && cmd && cmd->type == CETS_CMD_PARAM_SET && param_validate(e, cmd, buf, len) && !buf[0])
        snprintf(buf, len, "%s", cets_reason_message(param_validate(e, cmd, NULL, 0)));
    return buf;
}

bool params_message(const cets_engine *e, const cets_cmd *c, int code, char *buf, size_t len)
{
    if (!c || c->type != CETS_CMD_PARAM_SET || param_validate(e, c, buf, len) != code) return false;
    return buf[0] != 0;
}

/* ---- changes ------------------------------------------------------------ */

static void apply_one(cets_engine *e, cets_param_change *p, int32_t date)
{
    p->old = e->pv[p->id];
    p->applied = date;
    p->status = CETS_PARAM_APPLIED;
    e->pv[p->id] = p->value;
}

int params_set(cets_engine *e, const cets_cmd *c)
{
    int rc = param_validate(e, c, NULL, 0);
    if (rc) return rc;
    if (!engine_vec_grow((void **)&e->pchg, &e->cappchg, e->npchg + 1, sizeof *e->pchg))
        return CETS_CAPACITY;
    bool urgent = c->flags & CETS_PARAM_URGENT;
    cets_param_change nc = {.seq = c->seq,
                            .ts = c->ts,
                            .id = (int32_t)c->aux,
                            .value = c->qty,
                            .user = c->user,
                            .urgent = urgent,
                            .effective = urgent ? e->date : (int32_t)c->price,
                            .status = CETS_PARAM_PENDING};
    for (uint32_t i = 0; i < e->npchg; i++) { /* the same parameter and date: replaced */
        cets_param_change *p = &e->pchg[i];
        if (p->status == CETS_PARAM_PENDING && p->id == nc.id && p->effective == nc.effective)
            p->status = CETS_PARAM_SUPERSEDED;
    }
    e->pchg[e->npchg] = nc;
    if (urgent) {
        apply_one(e, &e->pchg[e->npchg], e->date);
        params_to_cfg(e);
    }
    e->npchg++;
    return CETS_OK;
}

static bool auction_open(const cets_engine *e)
{
    for (uint32_t i = 0; i < e->nauctions; i++)
        if (e->auctions[i].status == CETS_AUCTION_OPEN) return true;
    return false;
}

int params_roll(cets_engine *e, int32_t date, int64_t *saved)
{
    memcpy(saved, e->pv, sizeof e->pv);
    bool hold_auction_fees = auction_open(e);
    int n = 0;
    for (uint32_t i = 0; i < e->npchg; i++) {
        cets_param_change *p = &e->pchg[i];
        if (p->status != CETS_PARAM_PENDING || p->effective > date ||
            (hold_auction_fees && is_fee_auction(p->id)))
            continue;
        apply_one(e, p, date);
        n++;
    }
    if (n) params_to_cfg(e);
    return n;
}

void params_roll_undo(cets_engine *e, int32_t date, const int64_t *saved)
{
    for (uint32_t i = 0; i < e->npchg; i++) {
        cets_param_change *p = &e->pchg[i];
        if (p->status == CETS_PARAM_APPLIED && !p->urgent && p->applied == date) {
            p->status = CETS_PARAM_PENDING;
            p->applied = 0;
            p->old = 0;
        }
    }
    memcpy(e->pv, saved, sizeof e->pv);
    params_to_cfg(e);
}

const char *params_loaded(cets_engine *e)
{
    for (int i = 0; i < CETS_PARAM_COUNT; i++)
        if (e->pv[i] < table[i].min || e->pv[i] > table[i].max || e->pdef[i] < table[i].min ||
            e->pdef[i] > table[i].max)
            return "snapshot parameters are corrupt";
    for (uint32_t i = 0; i < e->npchg; i++) {
        const cets_param_change *p = &e->pchg[i];
        if (p->id < 0 || p->id >= CETS_PARAM_COUNT || p->status < CETS_PARAM_PENDING ||
            p->status > CETS_PARAM_SUPERSEDED || p->value < table[p->id].min ||
            p->value > table[p->id].max || !cets_date_valid(p->effective))
            return "snapshot parameters are corrupt";
    }
    for (uint32_t i = 0; i < e->nexempt; i++)
        if (e->exempt[i].participant < 1 || e->exempt[i].participant > e->nparts ||
            e->exempt[i].exempt > 1)
            return "snapshot parameters are corrupt";
    for (uint32_t i = 0; i < e->nrelated; i++)
        if (e->related[i].a < 1 || e->related[i].a >= e->related[i].b ||
            e->related[i].b > e->nparts || e->related[i].related > 1)
            return "snapshot parameters are corrupt";
    if (consistent(e->pv, e->date, NULL, 0)) return "snapshot parameters are corrupt";
    params_to_cfg(e);
    return NULL;
}
