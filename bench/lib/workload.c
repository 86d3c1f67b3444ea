/* workload.c -- see workload.h.
 *
 * The generator keeps the set of live resting order ids (liveset.h). An order
 * enters the set when a POST or MODIFY result says it rests and leaves on
 * its ORDER_DONE event. Before naming an order the generator still asks the
 * pre-pass engine for it (cets_order_get): that gives owner, side, price and
 * size, and catches any drift between model and engine (`stale`, reported;
 * it should stay 0).
 *
 * Prices: passive orders go to the middle of the book minus (buy) or plus
 * (sell) a distance d = U(0, U(0, half)), which is dense near the touch and
 * thins out to `book_half_ticks`. Crossing orders go 0-2 ticks through the
 * best opposite price. Which side crosses leans against the distance of the
 * middle from the previous close, so the price wanders but stays well inside
 * the +/-10% band however long the run.
 */
#include "workload.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "liveset.h"
#include "rng.h"
#include "timing.h"

#define PREV_CLOSE 5000        /* 50.00 CNY */
#define DEPOSIT 100000000000LL /* 1e9 CNY per account: buys never run out */
#define HOLDING 10000000LL     /* 10 Mt per account and instrument */
#define MAX_QTY 100            /* order sizes 1..100 t */
#define MAX_CODE 1000

typedef struct gen {
    workload *w;
    const workload_opts *o;
    cets_engine *e;
    rng r;
    uint64_t seq;
    int64_t ts, ts_step;
    uint32_t instr[CETS_MAX_INSTRUMENTS];
    int64_t lower[CETS_MAX_INSTRUMENTS], upper[CETS_MAX_INSTRUMENTS];
    uint32_t first_acct;
    liveset live;
    uint64_t trades, stale;
    uint64_t rejects_by_code[MAX_CODE];
} gen;

void workload_opts_default(workload_opts *o)
{
    memset(o, 0, sizeof *o);
    o->seed = 1;
    o->commands = 5000000;
    o->instruments = 1;
    o->accounts = 10000;
    o->book_orders = 1000;
    o->book_half_ticks = 375;
    o->pct[WL_LIMIT] = 40;
    o->pct[WL_IOC] = 20;
    o->pct[WL_CANCEL] = 25;
    o->pct[WL_MODIFY] = 15;
    o->limit_cross_pct = 10;
    o->ioc_market_pct = 75;
    o->date = 20240603; /* a Monday */
}

void workload_code(uint32_t k, char out[CETS_CODE_LEN])
{
    snprintf(out, CETS_CODE_LEN, "CEAB%u", k + 1);
}

void workload_config(const workload_opts *o, bool emit_depth, cets_config *cfg)
{
    cets_config_default(cfg);
    cfg->start_date = o->date;
    cfg->enforce_sessions = true;
    cfg->enforce_risk = true;
    cfg->emit_depth = emit_depth;
}

static void gen_listener(void *ctx, const cets_event *ev)
{
    gen *g = ctx;
    if (ev->type == CETS_EV_ORDER_DONE)
        liveset_remove(&g->live, ev->u.done.order.order_id);
    else if (ev->type == CETS_EV_TRADE)
        g->trades++;
}

/* ---- applying to the pre-pass ------------------------------------------ */

/* Number, time and apply one command, and bring the model up to date. */
static int gen_apply(gen *g, cets_cmd *cmd, cets_result *res)
{
    cmd->seq = ++g->seq;
    cmd->ts = g->ts;
    g->ts += g->ts_step;
    cets_apply(g->e, cmd, res);
    if (res->code != CETS_OK) return res->code;
    bool order = cmd->type == CETS_CMD_POST || cmd->type == CETS_CMD_MODIFY;
    if (order && res->resting_qty > 0 && liveset_add(&g->live, res->order_id) != 0) return -1;
    if (cmd->type == CETS_CMD_MODIFY && res->order_id != cmd->order_id) {
        cets_order_info info;
        if (cets_order_get(g->e, cmd->order_id, &info) != 0)
            liveset_remove(&g->live, cmd->order_id);
    }
    return CETS_OK;
}

/* Setup commands must all succeed: anything else is a broken benchmark. */
static int gen_setup_cmd(gen *g, cets_cmd *cmd, cets_result *res)
{
    int rc = gen_apply(g, cmd, res);
    if (rc != CETS_OK) {
        fprintf(stderr, "workload: setup %s (seq %llu) rejected: %s\n", cets_cmd_name(cmd->type),
                (unsigned long long)cmd->seq, rc < 0 ? "out of memory" : cets_reason_name(rc));
        return -1;
    }
    g->w->setup[g->w->nsetup++] = *cmd;
    return 0;
}

/* ---- prices -------------------------------------------------------------- */

static void book_best(gen *g, uint32_t instr, int64_t *bid, int64_t *ask)
{
    cets_depth d;
    cets_depth_get(g->e, instr, &d);
    *bid = d.nbids ? d.bids[0].price : 0;
    *ask = d.nasks ? d.asks[0].price : 0;
}

static int64_t book_middle(int64_t bid, int64_t ask)
{
    if (bid && ask) return (bid + ask) / 2;
    if (bid) return bid + 1;
    if (ask) return ask - 1;
    return PREV_CLOSE;
}

static int64_t clamp(int64_t v, int64_t lo, int64_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

static int64_t price_passive(gen *g, int k, int side, int64_t bid, int64_t ask)
{
    int64_t mid = book_middle(bid, ask);
    int64_t d = (int64_t)rng_below(&g->r, 1 + rng_below(&g->r, g->o->book_half_ticks + 1));
    int64_t p;
    if (side == CETS_BUY) {
        p = mid - d;
        if (ask && p >= ask) p = ask - 1;
    } else {
        p = mid + 1 + d;
        if (bid && p <= bid) p = bid + 1;
    }
    return clamp(p, g->lower[k], g->upper[k]);
}

/* The side of a crossing order: leans against the middle's drift. */
static int side_crossing(gen *g, int64_t bid, int64_t ask)
{
    int64_t lean = clamp((book_middle(bid, ask) - PREV_CLOSE) / 5, -40, 40);
    return rng_pct(&g->r, (int)(50 - lean)) ? CETS_BUY : CETS_SELL;
}

/* ---- commands ------------------------------------------------------------ */

static uint32_t pick_account(gen *g)
{
    return g->first_acct + (uint32_t)rng_below(&g->r, g->o->accounts);
}

static void make_post(gen *g, cets_cmd *cmd, int tif, bool crossing)
{
    int k = (int)rng_below(&g->r, g->o->instruments);
    int64_t bid, ask;
    book_best(g, g->instr[k], &bid, &ask);
    int side = crossing ? side_crossing(g, bid, ask) : (int)rng_range(&g->r, 1, 2);
    int64_t opp = side == CETS_BUY ? ask : bid;
    int64_t price;
    if (crossing && opp) {
        int64_t through = (int64_t)rng_below(&g->r, 3);
        price = clamp(side == CETS_BUY ? opp + through : opp - through, g->lower[k], g->upper[k]);
    } else {
        price = price_passive(g, k, side, bid, ask);
    }
    uint32_t acct = pick_account(g);
    cmd->type = CETS_CMD_POST;
    cmd->side = (uint8_t)side;
    cmd->flags = (uint8_t)tif;
    cmd->actor = cmd->participant = acct;
    cmd->instrument = g->instr[k];
    cmd->price = price;
    cmd->qty = rng_range(&g->r, 1, MAX_QTY);
    cmd->client_ref = g->seq + 1;
}

/* A live order, chosen uniformly; false when there is none. */
static bool pick_live(gen *g, cets_order_info *info)
{
    while (g->live.n > 0) {
        uint64_t id = g->live.ids[rng_below(&g->r, g->live.n)];
        if (cets_order_get(g->e, id, info) == 0) return true;
        g->stale++;
        liveset_remove(&g->live, id);
    }
    return false;
}

static bool make_cancel(gen *g, cets_cmd *cmd)
{
    cets_order_info o;
    if (!pick_live(g, &o)) return false;
    cmd->type = CETS_CMD_CANCEL;
    cmd->side = o.side;
    cmd->actor = cmd->participant = o.participant;
    cmd->instrument = o.instrument;
    cmd->order_id = o.order_id;
    cmd->client_ref = g->seq + 1;
    return true;
}

/* Half of the modifies only shrink the order (it keeps its place in the
 * queue), half move it to a new passive price with a new size. */
static bool make_modify(gen *g, cets_cmd *cmd)
{
    cets_order_info o;
    if (!pick_live(g, &o)) return false;
    int64_t left = o.qty; /* cets_order_info.qty is what remains */
    int64_t price = o.price, qty;
    if (left > 1 && rng_pct(&g->r, 50)) {
        qty = rng_range(&g->r, 1, left - 1);
    } else {
        int k = 0;
        while (g->instr[k] != o.instrument) k++;
        int64_t bid, ask;
        book_best(g, o.instrument, &bid, &ask);
        price = price_passive(g, k, o.side, bid, ask);
        qty = rng_range(&g->r, 1, MAX_QTY);
        if (price == o.price && qty == left) qty = left == MAX_QTY ? left - 1 : left + 1;
    }
    cmd->type = CETS_CMD_MODIFY;
    cmd->side = o.side;
    cmd->flags = CETS_TIF_DAY;
    cmd->actor = cmd->participant = o.participant;
    cmd->instrument = o.instrument;
    cmd->order_id = o.order_id;
    cmd->price = price;
    cmd->qty = qty;
    cmd->client_ref = g->seq + 1;
    return true;
}

/* The kind of the next command: the mix, nudged so the book stays within
 * 10% of its target size (a limit becomes a cancel when the book is too
 * deep, a cancel a limit when it is too thin). */
static wl_kind pick_kind(gen *g)
{
    int x = (int)rng_below(&g->r, 100), k = 0;
    while (k < WL_KINDS - 1 && x >= g->o->pct[k]) x -= g->o->pct[k++];
    uint64_t target = (uint64_t)g->o->book_orders * g->o->instruments;
    if (k == WL_LIMIT && g->live.n * 10 > target * 11) return WL_CANCEL;
    if (k == WL_CANCEL && g->live.n * 10 < target * 9) return WL_LIMIT;
    return (wl_kind)k;
}

static bool make_next(gen *g, wl_kind kind, cets_cmd *cmd)
{
    switch (kind) {
    case WL_LIMIT:
        make_post(g, cmd, CETS_TIF_DAY, rng_pct(&g->r, g->o->limit_cross_pct));
        return true;
    case WL_IOC: make_post(g, cmd, CETS_TIF_IOC, rng_pct(&g->r, g->o->ioc_market_pct)); return true;
    case WL_CANCEL: return make_cancel(g, cmd);
    default: return make_modify(g, cmd);
    }
}

/* ---- setup ----------------------------------------------------------------- */

static int setup_instruments(gen *g)
{
    cets_cmd c;
    cets_result res;
    for (uint32_t k = 0; k < g->o->instruments; k++) {
        memset(&c, 0, sizeof c);
        c.type = CETS_CMD_INSTRUMENT_ADD;
        c.actor = CETS_EXCHANGE_ID;
        c.aux = CETS_PRODUCT_CEA;
        c.flags = CETS_MATCH_CONTINUOUS;
        c.price = PREV_CLOSE;
        workload_code(k, c.u.text);
        if (gen_setup_cmd(g, &c, &res) != 0) return -1;
        cets_instrument_info info;
        if (cets_instrument_get(g->e, res.id, &info) != 0) return -1;
        g->instr[k] = res.id;
        g->lower[k] = info.lower;
        g->upper[k] = info.upper;
    }
    return 0;
}

static int setup_accounts(gen *g)
{
    cets_cmd c;
    cets_result res;
    for (uint32_t a = 0; a < g->o->accounts; a++) {
        memset(&c, 0, sizeof c);
        c.type = CETS_CMD_PARTICIPANT_ADD;
        c.actor = CETS_EXCHANGE_ID;
        c.aux = CETS_PK_INSTITUTION;
        snprintf(c.u.text, sizeof c.u.text, "bench account %u", a + 1);
        if (gen_setup_cmd(g, &c, &res) != 0) return -1;
        if (a == 0) g->first_acct = res.id;
        if (res.id != g->first_acct + a) {
            fprintf(stderr, "workload: participant ids are not consecutive\n");
            return -1;
        }
        uint32_t id = res.id;
        memset(&c, 0, sizeof c);
        c.type = CETS_CMD_DEPOSIT;
        c.actor = CETS_EXCHANGE_ID;
        c.participant = id;
        c.qty = DEPOSIT;
        if (gen_setup_cmd(g, &c, &res) != 0) return -1;
        for (uint32_t k = 0; k < g->o->instruments; k++) {
            memset(&c, 0, sizeof c);
            c.type = CETS_CMD_HOLDING_CREDIT;
            c.actor = CETS_EXCHANGE_ID;
            c.participant = id;
            c.instrument = g->instr[k];
            c.qty = HOLDING;
            if (gen_setup_cmd(g, &c, &res) != 0) return -1;
        }
    }
    return 0;
}

/* The first book: passive orders until each instrument has its share. */
static int setup_book(gen *g)
{
    uint64_t target = (uint64_t)g->o->book_orders * g->o->instruments;
    cets_cmd c;
    cets_result res;
    for (uint64_t tries = 0; g->live.n < target && tries < 4 * target; tries++) {
        memset(&c, 0, sizeof c);
        make_post(g, &c, CETS_TIF_DAY, false);
        if (gen_setup_cmd(g, &c, &res) != 0) return -1;
    }
    return 0;
}

static int gen_setup(gen *g)
{
    const workload_opts *o = g->o;
    size_t cap = o->instruments + (size_t)o->accounts * (2 + o->instruments) +
                 4 * (size_t)o->book_orders * o->instruments;
    g->w->setup = malloc(cap * sizeof *g->w->setup);
    if (!g->w->setup) return -1;
    const cets_config *cfg = cets_engine_config(g->e);
    g->ts = cets_time_at(o->date, 9, 30, cfg->tz_offset_min);
    g->ts_step = 1000;
    if (setup_instruments(g) || setup_accounts(g) || setup_book(g)) return -1;
    return 0;
}

/* ---- the measured commands ------------------------------------------------ */

static void gen_note(gen *g, const cets_result *res)
{
    workload *w = g->w;
    if (res->code != CETS_OK) {
        w->rejects++;
        g->rejects_by_code[res->code > 0 && res->code < MAX_CODE ? res->code : 0]++;
    }
    if (g->live.n < w->live_min) w->live_min = g->live.n;
    if (g->live.n > w->live_max) w->live_max = g->live.n;
}

static int gen_commands(gen *g)
{
    workload *w = g->w;
    const workload_opts *o = g->o;
    const cets_config *cfg = cets_engine_config(g->e);
    w->cmds = malloc((o->commands ? o->commands : 1) * sizeof *w->cmds);
    if (!w->cmds) return -1;
    /* The whole run fits in 10:00-11:30 of the start date. */
    g->ts = cets_time_at(o->date, 10, 0, cfg->tz_offset_min);
    g->ts_step = (int64_t)(5400000000000LL / (int64_t)(o->commands + 1));
    if (g->ts_step < 1) g->ts_step = 1;
    uint64_t trades0 = g->trades;
    w->live_min = w->live_max = g->live.n;
    cets_result res;
    for (size_t i = 0; i < o->commands; i++) {
        cets_cmd *c = &w->cmds[i];
        memset(c, 0, sizeof *c);
        wl_kind kind = pick_kind(g);
        if (!make_next(g, kind, c)) {
            kind = WL_LIMIT;
            make_next(g, kind, c);
        }
        if (gen_apply(g, c, &res) < 0) return -1;
        w->made[kind]++;
        gen_note(g, &res);
    }
    w->ncmds = o->commands;
    w->trades = g->trades - trades0;
    w->live_end = g->live.n;
    return 0;
}

static void gen_report(const gen *g, double secs)
{
    const workload *w = g->w;
    double n = w->ncmds ? (double)w->ncmds : 1;
    fprintf(stderr,
            "workload: seed %llu, %zu setup + %zu commands in %.2f s; mix limit %.1f%% ioc "
            "%.1f%% cancel %.1f%% modify %.1f%%; %llu trades (%.3f per command); %llu rejects; "
            "resting %llu..%llu (end %llu); stale picks %llu\n",
            (unsigned long long)g->o->seed, w->nsetup, w->ncmds, secs,
            100.0 * (double)w->made[WL_LIMIT] / n, 100.0 * (double)w->made[WL_IOC] / n,
            100.0 * (double)w->made[WL_CANCEL] / n, 100.0 * (double)w->made[WL_MODIFY] / n,
            (unsigned long long)w->trades, (double)w->trades / n, (unsigned long long)w->rejects,
            (unsigned long long)w->live_min, (unsigned long long)w->live_max,
            (unsigned long long)w->live_end, (unsigned long long)g->stale);
    for (int code = 0; code < MAX_CODE; code++)
        if (g->rejects_by_code[code])
            fprintf(stderr, "workload:   rejected %s: %llu\n", cets_reason_name(code),
                    (unsigned long long)g->rejects_by_code[code]);
}

int workload_build(workload *w, const workload_opts *o)
{
    memset(w, 0, sizeof *w);
    w->opts = *o;
    if (o->instruments < 1 || o->instruments > CETS_MAX_INSTRUMENTS - 1 || o->accounts < 1) {
        fprintf(stderr, "workload: bad instrument or account count\n");
        return -1;
    }
    gen *g = calloc(1, sizeof *g);
    if (!g) return -1;
    g->w = w;
    g->o = &w->opts;
    rng_seed(&g->r, o->seed);
    cets_config cfg;
    workload_config(o, false, &cfg);
    g->e = cets_engine_new(&cfg);
    int rc = -1;
    int64_t t0 = timing_now_ns();
    if (g->e) {
        cets_engine_set_listener(g->e, gen_listener, g);
        if (gen_setup(g) == 0 && gen_commands(g) == 0) rc = 0;
    }
    if (rc == 0) {
        w->hash = cets_state_hash(g->e);
        gen_report(g, (double)(timing_now_ns() - t0) / 1e9);
    }
    cets_engine_free(g->e);
    liveset_free(&g->live);
    free(g);
    if (rc != 0) workload_free(w);
    return rc;
}

void workload_free(workload *w)
{
    free(w->setup);
    free(w->cmds);
    w->setup = w->cmds = NULL;
    w->nsetup = w->ncmds = 0;
}

int workload_setup(const workload *w, cets_engine *e, cets_listener fn, void *ctx)
{
    cets_result res;
    for (size_t i = 0; i < w->nsetup; i++) {
        if (cets_apply(e, &w->setup[i], &res) != CETS_OK) {
            fprintf(stderr, "workload: setup seq %llu rejected on replay: %s\n",
                    (unsigned long long)w->setup[i].seq, cets_reason_name(res.code));
            return -1;
        }
    }
    cets_engine_set_listener(e, fn, ctx);
    return 0;
}

cets_engine *workload_engine(const workload *w, bool emit_depth, cets_listener fn, void *ctx)
{
    cets_config cfg;
    workload_config(&w->opts, emit_depth, &cfg);
    cets_engine *e = cets_engine_new(&cfg);
    if (e && workload_setup(w, e, fn, ctx) != 0) {
        cets_engine_free(e);
        e = NULL;
    }
    return e;
}

size_t workload_warm(const workload *w)
{
    size_t bytes = (size_t)w->trades * sizeof(cets_trade) + ((size_t)32 << 20);
    timing_warm_memory(bytes);
    return bytes >> 20;
}

int workload_hash_depth(workload *w)
{
    if (w->hash_depth) return 0;
    cets_engine *e = workload_engine(w, true, NULL, NULL);
    if (!e) return -1;
    for (size_t i = 0; i < w->ncmds; i++) cets_apply(e, &w->cmds[i], NULL);
    w->hash_depth = cets_state_hash(e);
    cets_engine_free(e);
    if (w->hash_depth != w->hash)
        fprintf(stderr, "workload: note: the state hash differs with emit_depth on "
                        "(the engine hashes its configuration)\n");
    return 0;
}

static bool conserved_check(bool ok, const char *what)
{
    if (!ok) fprintf(stderr, "workload: conservation failed: %s\n", what);
    return ok;
}

bool workload_conserved(const workload *w, const cets_engine *e)
{
    cets_totals t;
    cets_totals_get(e, &t);
    bool ok = conserved_check(t.funds == t.deposits - t.withdrawals, "funds") &
              conserved_check(t.frozen_funds == t.reserved_funds, "frozen funds") &
              conserved_check(t.live_orders == w->live_end, "live orders");
    for (uint32_t i = 0; i < cets_instrument_count(e) && i < CETS_MAX_INSTRUMENTS; i++)
        ok &= conserved_check(t.held[i] == t.issued[i], "holdings") &
              conserved_check(t.frozen_qty[i] == t.reserved_qty[i], "frozen holdings");
    return ok;
}

void ev_count_listener(void *ctx, const cets_event *ev)
{
    ev_count *c = ctx;
    c->n[ev->type & 15]++;
}

uint64_t ev_count_total(const ev_count *c)
{
    uint64_t t = 0;
    for (int i = 0; i < 16; i++) t += c->n[i];
    return t;
}
