/* orderflow.c -- the participants' orders in a simulated trading day.
 *
 * A seeded generator plays two thousand or so traders. Each command comes
 * from one participant who looks at the market through the engine's queries
 * -- best five, its funds and holdings, the listings it may name -- on the
 * participants' picture of the market (pipeline.h: an engine fed each command
 * as it is sequenced). That picture is current: in the real market data is
 * milliseconds old, while a simulated group commit spans a minute of market
 * time, and deciding on minute-old prices would turn most takes into misses.
 * Listings to name or cancel come from a list of the live orders refreshed
 * once per batch (cets_orders_foreach) and are checked against the picture
 * before use (cets_order_get, cets_depth_get).
 *
 * Rejections still happen as they do in a real market: a few participants
 * are careless (they post through the other side, sell what they bought
 * today, overspend, name their own listings or more than is left, cancel
 * what has just been filled), and funds run short as buy listings reserve
 * them. Prices follow a random walk per instrument around its previous close
 * (or towards the scenario's drift), pulled back when it strays more than
 * 1.5%; bids sit below it and offers above, so trades come from takes, as in
 * the listing market. Sizes come from the scenario (scenario.c): hundreds to
 * tens of thousands of tonnes, with a tail up to the 99,999 t listing limit.
 */
#include <stdlib.h>
#include <string.h>

#include "sim.h"

typedef struct vorder { /* a live listing at the last refresh */
    uint64_t id;
    uint32_t participant;
    uint8_t book; /* sim instrument index * 2 + side - 1 */
    int64_t price;
} vorder;

#define NBOOKS (SIM_INSTRUMENTS * 2)

struct flow {
    const sim_market *m;
    rng r;
    uint64_t client_ref;
    int total_weight;
    int64_t fair[SIM_INSTRUMENTS], prev[SIM_INSTRUMENTS];
    int64_t lower[SIM_INSTRUMENTS], upper[SIM_INSTRUMENTS];
    int sim_index[CETS_MAX_INSTRUMENTS]; /* engine id -> sim index, -1 */
    vorder *all, *sorted;                /* in priority order per book */
    size_t nall, cap;
    size_t start[NBOOKS + 1];
    uint32_t *own;     /* indices into sorted, grouped by participant */
    size_t *own_start; /* per participant id, into own; maxpid + 2 entries */
    uint32_t maxpid;
};

flow *flow_new(const sim_market *m, uint64_t seed)
{
    flow *f = calloc(1, sizeof *f);
    if (!f) return NULL;
    f->m = m;
    f->r.s = seed;
    for (int i = 0; i < CETS_MAX_INSTRUMENTS; i++) f->sim_index[i] = -1;
    for (uint32_t k = 0; k < m->ninstr; k++) {
        f->total_weight += m->weight[k];
        f->sim_index[m->instr[k]] = (int)k;
    }
    for (uint32_t i = 0; i < m->nparts; i++)
        if (m->pid[i] > f->maxpid) f->maxpid = m->pid[i];
    f->own_start = calloc((size_t)f->maxpid + 2, sizeof *f->own_start);
    if (!f->own_start) {
        free(f);
        return NULL;
    }
    return f;
}

void flow_free(flow *f)
{
    if (!f) return;
    free(f->all);
    free(f->sorted);
    free(f->own);
    free(f->own_start);
    free(f);
}

/* ---- the list of live listings --------------------------------------------- */

static void view_collect(void *ctx, const cets_order_info *o)
{
    flow *f = ctx;
    if (o->instrument >= CETS_MAX_INSTRUMENTS || f->sim_index[o->instrument] < 0) return;
    if (f->nall == f->cap) {
        f->cap = f->cap ? f->cap * 2 : 4096;
        f->all = realloc(f->all, f->cap * sizeof *f->all);
        f->sorted = realloc(f->sorted, f->cap * sizeof *f->sorted);
        f->own = realloc(f->own, f->cap * sizeof *f->own);
        if (!f->all || !f->sorted || !f->own) {
            fputs("cets: out of memory\n", stderr);
            exit(CLI_FAIL);
        }
    }
    f->all[f->nall++] =
        (vorder){.id = o->order_id,
                 .participant = o->participant,
                 .price = o->price,
                 .book = (uint8_t)(f->sim_index[o->instrument] * 2 + (o->side == CETS_SELL))};
}

void flow_refresh(flow *f, const cets_engine *e)
{
    for (uint32_t k = 0; k < f->m->ninstr; k++) {
        cets_instrument_info ii;
        if (cets_instrument_get(e, f->m->instr[k], &ii) != 0) continue;
        if (f->prev[k] != ii.prev_close) f->fair[k] = ii.prev_close; /* a new day */
        f->prev[k] = ii.prev_close;
        f->lower[k] = ii.lower;
        f->upper[k] = ii.upper;
    }
    f->nall = 0;
    cets_orders_foreach(e, 0, view_collect, f);
    /* Stable counting sort by book keeps each book's priority order. */
    size_t count[NBOOKS] = {0};
    for (size_t i = 0; i < f->nall; i++) count[f->all[i].book]++;
    f->start[0] = 0;
    for (int b = 0; b < NBOOKS; b++) f->start[b + 1] = f->start[b] + count[b];
    size_t pos[NBOOKS];
    memcpy(pos, f->start, sizeof pos);
    for (size_t i = 0; i < f->nall; i++) f->sorted[pos[f->all[i].book]++] = f->all[i];
    /* And by participant, for those who look for their own listings. */
    size_t *ps = f->own_start;
    memset(ps, 0, ((size_t)f->maxpid + 2) * sizeof *ps);
    for (size_t i = 0; i < f->nall; i++)
        if (f->sorted[i].participant <= f->maxpid) ps[f->sorted[i].participant + 1]++;
    for (uint32_t p = 0; p <= f->maxpid; p++) ps[p + 1] += ps[p];
    for (size_t i = 0; i < f->nall; i++) {
        uint32_t p = f->sorted[i].participant;
        if (p <= f->maxpid) f->own[ps[p]++] = (uint32_t)i;
    }
    for (uint32_t p = f->maxpid + 1; p > 0; p--) ps[p] = ps[p - 1]; /* back to starts */
    ps[0] = 0;
}

/* A random listing of the list, still live now (*now filled), or NULL. */
static const vorder *view_pick(flow *f, const cets_engine *e, cets_order_info *now)
{
    for (int tries = 0; tries < 8 && f->nall; tries++) {
        const vorder *o = &f->sorted[rng_below(&f->r, f->nall)];
        if (cets_order_get(e, o->id, now) == CETS_OK) return o;
    }
    return NULL;
}

/* ---- choices ------------------------------------------------------------------- */

static uint32_t pick_participant(flow *f)
{
    const sim_market *m = f->m;
    uint64_t u = rng_below(&f->r, 100); /* institutions trade far more than their number */
    int kind = u < 60 ? CETS_PK_ENTITY : u < 90 ? CETS_PK_INSTITUTION : CETS_PK_INDIVIDUAL;
    if (!m->nkind[kind]) kind = m->nkind[CETS_PK_ENTITY] ? CETS_PK_ENTITY : CETS_PK_INSTITUTION;
    return m->by_kind[kind][rng_below(&f->r, m->nkind[kind] ? m->nkind[kind] : 1)];
}

static uint32_t pick_instrument(flow *f, int kind)
{
    const sim_market *m = f->m;
    if (kind == CETS_PK_INDIVIDUAL && !rng_chance(&f->r, 30)) /* 3% try CEA anyway */
        for (uint32_t k = 0; k < m->ninstr; k++)
            if (m->product[k] == CETS_PRODUCT_CCER) return k;
    int w = (int)rng_below(&f->r, (uint64_t)f->total_weight);
    for (uint32_t k = 0; k < m->ninstr; k++)
        if ((w -= m->weight[k]) < 0) return k;
    return 0;
}

/* One step of the instrument's random walk: a unit of about 0.1% of the
 * price (at least a fen), pulled towards the scenario's target (the
 * previous close moved by its drift) when it strays more than 1.5% from it,
 * so a day with a drift trends and one without wanders around the close. */
static int64_t fair_step(flow *f, uint32_t k)
{
    int64_t prev = f->prev[k], unit = prev / 1000 > 0 ? prev / 1000 : 1;
    int64_t target = prev + prev * f->m->sc->drift_bp / 10000;
    int64_t dev = f->fair[k] - target, zone = prev * 15 / 1000;
    int64_t u = (int64_t)rng_below(&f->r, 20); /* down 5/20, still 10/20, up 5/20 */
    int64_t step = u < 5 ? -1 : u < 15 ? 0 : 1;
    if (dev < -zone && u >= 5 && u < 9) step = 1; /* up 9/20, down 5/20 */
    if (dev > zone && u >= 11 && u < 15) step = -1;
    f->fair[k] += step * unit;
    return f->fair[k];
}

static int64_t clamp(int64_t v, int64_t lo, int64_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* A listing order's size from the scenario's buckets, in round hundreds
 * mostly; one in ten is an odd number of tonnes. */
static int64_t draw_qty(flow *f)
{
    const sim_size *b = f->m->sc->sizes;
    int u = (int)rng_below(&f->r, 100), i = 0;
    while (i < 3 && (u -= b[i].per_cent) >= 0) i++;
    int64_t q = rng_range(&f->r, b[i].lo / 100, b[i].hi / 100) * 100;
    if (q < b[i].lo || q > b[i].hi) q = b[i].lo;
    if (rng_chance(&f->r, 100)) q = clamp(q + rng_range(&f->r, -99, 99), 1, 99999);
    return clamp(q, 1, 99999);
}

/* Most buyers size their order to their funds: fee 0.05%, with margin. */
static int64_t affordable(const cets_engine *e, uint32_t pid, int64_t price, int64_t qty)
{
    cets_participant_info pi;
    if (price <= 0 || cets_participant_get(e, pid, &pi) != 0) return qty;
    int64_t max = pi.available / (price + price / 1000 + 1);
    return qty < max ? qty : max;
}

static cets_holding holding(const cets_engine *e, uint32_t pid, uint32_t iid)
{
    cets_holding h = {0};
    cets_holding_get(e, pid, iid, &h);
    return h;
}

static void trader_cmd(flow *f, cets_cmd *c, int type, int side, uint32_t pid, uint32_t iid)
{
    c->type = (uint8_t)type;
    c->side = (uint8_t)side;
    c->actor = pid;
    c->participant = pid;
    c->instrument = iid;
    c->client_ref = ++f->client_ref;
}

/* Buy, unless the participant has something to sell and the coin says sell
 * (or its funds are spent); a careless one sells what it bought today (T+1)
 * or what it lacks. */
static int choose_side(flow *f, const cets_engine *e, uint32_t pid, uint32_t iid, bool careful)
{
    cets_holding h = holding(e, pid, iid);
    cets_participant_info pi = {0};
    cets_participant_get(e, pid, &pi);
    bool broke = pi.available < 100 * f->prev[f->sim_index[iid]]; /* not even 100 t */
    if (rng_chance(&f->r, f->m->sc->buy_per_mille) && !(careful && broke && h.available > 0))
        return CETS_BUY;
    if (h.available > 0 || !careful) return CETS_SELL;
    return CETS_BUY;
}

/* Size a sell: the careful sell what is available, the careless also what
 * is locked today. */
static int64_t sell_qty(const cets_engine *e, uint32_t pid, uint32_t iid, int64_t qty, bool careful)
{
    cets_holding h = holding(e, pid, iid);
    int64_t have = careful ? h.available : h.available + h.locked;
    return have > 0 && qty > have ? have : qty;
}

/* Size a buy at price: the careful buy what their funds cover. */
static int64_t buy_qty(const cets_engine *e, uint32_t pid, int64_t price, int64_t qty, bool careful)
{
    int64_t can = careful ? affordable(e, pid, price, qty) : qty;
    return can > 0 ? can : qty; /* nothing affordable: ask anyway */
}

/* ---- the commands --------------------------------------------------------------- */

static void make_post(flow *f, const cets_engine *e, cets_cmd *c, uint32_t pid, uint32_t k)
{
    uint32_t iid = f->m->instr[k];
    bool careful = !rng_chance(&f->r, 40);
    int side = choose_side(f, e, pid, iid, careful);
    int64_t fair = fair_step(f, k), off = (int64_t)(rng_below(&f->r, 6) * rng_below(&f->r, 6));
    cets_depth d = {0};
    cets_depth_get(e, iid, &d);
    int64_t price;
    if (side == CETS_BUY) {
        price = fair - off;
        if (d.nasks && price >= d.asks[0].price && careful)
            price = d.asks[0].price - 1 - (int64_t)rng_below(&f->r, 3);
    } else {
        price = fair + off;
        if (d.nbids && price <= d.bids[0].price && careful)
            price = d.bids[0].price + 1 + (int64_t)rng_below(&f->r, 3);
    }
    price = clamp(price, f->lower[k], f->upper[k]);
    if (rng_chance(&f->r, 3)) /* yesterday's price, outside today's band */
        price = side == CETS_BUY ? f->upper[k] + rng_range(&f->r, 1, 50)
                                 : f->lower[k] - rng_range(&f->r, 1, 50);
    int64_t qty = draw_qty(f);
    qty = side == CETS_SELL ? sell_qty(e, pid, iid, qty, careful)
                            : buy_qty(e, pid, price, qty, careful);
    if (rng_chance(&f->r, 1)) qty = rng_range(&f->r, 100000, 149999); /* a block, on the screen */
    trader_cmd(f, c, CETS_CMD_POST, side, pid, iid);
    c->price = price;
    c->qty = qty;
    c->flags = CETS_TIF_DAY;
}

static void make_take_limit(flow *f, const cets_engine *e, cets_cmd *c, uint32_t pid, uint32_t k)
{
    uint32_t iid = f->m->instr[k];
    bool careful = !rng_chance(&f->r, 40);
    int side = choose_side(f, e, pid, iid, careful);
    fair_step(f, k);
    cets_depth d = {0};
    cets_depth_get(e, iid, &d);
    uint32_t levels = side == CETS_BUY ? d.nasks : d.nbids;
    if (levels == 0 && !rng_chance(&f->r, 50)) {
        make_post(f, e, c, pid, k); /* nothing to take: most post instead */
        return;
    }
    int64_t best = levels ? (side == CETS_BUY ? d.asks[0].price : d.bids[0].price) : f->fair[k];
    int64_t slip = (int64_t)(rng_below(&f->r, 4) * rng_below(&f->r, 4));
    if (!careful && rng_chance(&f->r, 250)) slip = -slip - 1; /* a limit short of the market */
    int64_t limit = clamp(side == CETS_BUY ? best + slip : best - slip, f->lower[k], f->upper[k]);
    int64_t qty = draw_qty(f);
    qty = side == CETS_SELL ? sell_qty(e, pid, iid, qty, careful)
                            : buy_qty(e, pid, limit, qty, careful);
    trader_cmd(f, c, CETS_CMD_TAKE, side, pid, iid);
    c->price = limit;
    c->qty = qty;
}

/* Candidates for a named take: listings of the other side, live now and
 * within its best five price levels now; the careful skip their own. */
static int named_candidates(flow *f, const cets_engine *e, uint32_t k, int side, uint32_t pid,
                            bool careful, cets_order_info *cand, int cap)
{
    int book = (int)k * 2 + (side == CETS_BUY); /* the other side's book */
    cets_depth d = {0};
    cets_depth_get(e, f->m->instr[k], &d);
    const cets_level *lv = side == CETS_BUY ? d.asks : d.bids;
    uint32_t nlv = side == CETS_BUY ? d.nasks : d.nbids;
    if (nlv == 0) return 0;
    int64_t fifth = lv[nlv - 1].price;
    int n = 0;
    for (size_t i = f->start[book]; i < f->start[book + 1] && n < cap; i++) {
        const vorder *o = &f->sorted[i];
        bool beyond = side == CETS_BUY ? o->price > fifth : o->price < fifth;
        if (nlv == CETS_DEPTH && beyond && careful) break; /* priority order: all beyond */
        if (careful && o->participant == pid) continue;
        if (cets_order_get(e, o->id, &cand[n]) == CETS_OK) n++;
    }
    return n;
}

static void make_take_named(flow *f, const cets_engine *e, cets_cmd *c, uint32_t pid, uint32_t k)
{
    uint32_t iid = f->m->instr[k];
    bool careful = !rng_chance(&f->r, 20);
    int side = choose_side(f, e, pid, iid, careful);
    cets_order_info cand[32];
    int n = named_candidates(f, e, k, side, pid, careful, cand, 32);
    if (n == 0) {
        make_take_limit(f, e, c, pid, k);
        return;
    }
    int want = 1 + (int)(rng_chance(&f->r, 100) ? rng_below(&f->r, CETS_MAX_TARGETS)
                                                : rng_below(&f->r, 3));
    if (want > n) want = n;
    int64_t total = 0, budget = 99999, cost = 0;
    if (side == CETS_SELL && careful) budget = sell_qty(e, pid, iid, 99999, true);
    trader_cmd(f, c, CETS_CMD_TAKE, side, pid, iid);
    for (int t = 0; t < want; t++) {
        int j = t + (int)rng_below(&f->r, (uint64_t)(n - t)); /* partial shuffle */
        cets_order_info o = cand[j];
        cand[j] = cand[t];
        cand[t] = o;
        int64_t q = rng_chance(&f->r, 600) ? o.qty : rng_range(&f->r, 1, o.qty);
        if (!careful && rng_chance(&f->r, 300)) q = o.qty + rng_range(&f->r, 1, 100); /* too much */
        if (careful) q = clamp(q, 0, budget - total);
        if (careful && side == CETS_BUY)
            q = clamp(q, 0, affordable(e, pid, o.price, cost / o.price + q) - cost / o.price);
        if (q <= 0) break;
        c->u.targets[c->ntargets++] = (cets_target){o.order_id, q};
        total += q;
        cost += q * o.price;
    }
    if (c->ntargets == 0) { /* could afford none: ask for one anyway */
        c->u.targets[c->ntargets++] = (cets_target){cand[0].order_id, cand[0].qty};
        total = cand[0].qty;
    }
    c->qty = total; /* for the record: the engine sums the targets */
}

/* A participant whose funds are all promised to its buy listings cancels
 * one of them (to post a better one later), as people do. */
static bool make_cancel_own(flow *f, const cets_engine *e, cets_cmd *c, uint32_t pid)
{
    if (pid > f->maxpid) return false;
    size_t from = f->own_start[pid], n = f->own_start[pid + 1] - from;
    for (size_t tries = 0; tries < 4 && n; tries++) {
        const vorder *o = &f->sorted[f->own[from + rng_below(&f->r, n)]];
        cets_order_info now;
        if (o->book % 2 == 1 || cets_order_get(e, o->id, &now) != CETS_OK) continue;
        trader_cmd(f, c, CETS_CMD_CANCEL, 0, pid, 0);
        c->order_id = o->id;
        return true;
    }
    return false;
}

static bool make_cancel(flow *f, const cets_engine *e, cets_cmd *c)
{
    cets_order_info now;
    const vorder *o = NULL;
    if (f->nall && rng_chance(&f->r, 20)) /* unchecked: it may have just filled, a real race */
        o = &f->sorted[rng_below(&f->r, f->nall)];
    else
        o = view_pick(f, e, &now);
    if (!o) return false;
    trader_cmd(f, c, CETS_CMD_CANCEL, 0, o->participant, 0);
    c->order_id = o->id;
    return true;
}

/* Cancel-replace (quantity = the new remainder): a smaller quantity keeps
 * the listing's priority, or a price a few fen away. */
static bool make_modify(flow *f, const cets_engine *e, cets_cmd *c)
{
    cets_order_info o;
    if (!view_pick(f, e, &o)) return false;
    int k = f->sim_index[o.instrument];
    int64_t price = o.price, qty = o.qty;
    if (qty > 1 && rng_chance(&f->r, 500))
        qty = rng_range(&f->r, 1, qty - 1);
    else
        price = clamp(price + rng_range(&f->r, -3, 3), f->lower[k], f->upper[k]);
    trader_cmd(f, c, CETS_CMD_MODIFY, o.side, o.participant, o.instrument);
    c->order_id = o.order_id;
    c->price = price;
    c->qty = qty;
    c->flags = CETS_TIF_DAY;
    return true;
}

/* A participant takes money out: usually a little of what is withdrawable;
 * some who sold today reach for the proceeds before settlement. */
static void make_withdraw(flow *f, const cets_engine *e, cets_cmd *c, uint32_t pid)
{
    cets_participant_info pi = {0};
    cets_participant_get(e, pid, &pi);
    int64_t free_funds = pi.available - pi.unsettled, amount;
    if (pi.unsettled > 0 && rng_chance(&f->r, 200))
        amount = (free_funds > 0 ? free_funds : 0) + rng_range(&f->r, 1, pi.unsettled);
    else if (free_funds >= 10)
        amount = rng_range(&f->r, 1, free_funds / 10);
    else
        amount = rng_range(&f->r, 100, 1000000);
    trader_cmd(f, c, CETS_CMD_WITHDRAW, 0, pid, 0);
    c->qty = amount;
}

static void make_deposit(flow *f, cets_cmd *c, uint32_t pid)
{
    c->type = CETS_CMD_DEPOSIT;
    c->actor = CETS_EXCHANGE_ID;
    c->participant = pid;
    c->qty = rng_range(&f->r, 1000, 50000) * 10000; /* 100 thousand to 5 million CNY */
}

void flow_next(flow *f, const cets_engine *e, cets_cmd *c, bool lunch)
{
    memset(c, 0, sizeof *c);
    if (lunch) { /* closed: only cancels, which are accepted at any time */
        if (!make_cancel(f, e, c)) trader_cmd(f, c, CETS_CMD_CANCEL, 0, f->m->pid[0], 0);
        return;
    }
    uint32_t p = pick_participant(f);
    uint32_t pid = f->m->pid[p];
    uint32_t k = pick_instrument(f, f->m->kind[p]);
    uint64_t u = rng_below(&f->r, 1000);
    cets_participant_info pi = {0};
    cets_participant_get(e, pid, &pi);
    if (pi.available < 100 * f->prev[k] && !rng_chance(&f->r, 50) && make_cancel_own(f, e, c, pid))
        return;
    if (u < 500)
        make_post(f, e, c, pid, k);
    else if (u < 680)
        make_take_limit(f, e, c, pid, k);
    else if (u < 840)
        make_take_named(f, e, c, pid, k);
    else if (u < 955) {
        if (!make_cancel(f, e, c)) make_post(f, e, c, pid, k);
    } else if (u < 985) {
        if (!make_modify(f, e, c)) make_post(f, e, c, pid, k);
    } else if (u < 992)
        make_withdraw(f, e, c, pid);
    else if (u < 995)
        make_deposit(f, c, pid);
    else
        make_post(f, e, c, pid, k);
}
