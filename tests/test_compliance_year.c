/* test_compliance_year.c -- a whole compliance year as one test.
 *
 * 2,000 compliance entities, 50 institutions and 10 individuals go through:
 * last year's deadline (shortfalls to withhold), the year's pre-allocation
 * and true-up (CSV files through the loader), a trading day with all three
 * methods (listing posts and takes, named and by quantity, in CEA and CCER;
 * block proposals, a negotiation and lapses; one auction), the end of day,
 * verified emissions (CSV), surrenders (complete, with CCER up to 5%, short,
 * none), the deadline, the compliance report, and next year's allocation with
 * the shortfalls withheld.
 *
 * Beside the engine runs a model: plain arrays of funds, holdings, owed
 * tonnes and compliance figures, updated from what each command should do
 * (prices, quantities, fees half-up, ranking, current vintage first) and
 * never from the engine's answers, except the ids it hands out. At the end
 * every balance of every participant, the day's statistics and the report
 * must equal the model's, to the fen and the tonne. After every command the
 * engine's own invariants are checked too.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cets/registry.h"
#include "tmethods.h"

#define NENT 2000
#define NINST 50
#define NIND 10
#define AU 2
#define E0 3 /* first entity id */
#define I0 (E0 + NENT)
#define D0 (I0 + NINST)
#define NP (D0 + NIND - 1) /* highest participant id */
#define NV 8               /* CEA1920 .. CEA25, CCER, CEA26 */
#define C25 5
#define CCER 6
#define C26 7
#define YEAR 2025
#define FEE_PPM 500
#define INST_FUNDS 5000000000LL

/* Apply a command that must be accepted; check the invariants after it. */
#define OK(m, call)                                                                                \
    do {                                                                                           \
        tm_clear_events(m);                                                                        \
        int ok_rc_ = (call);                                                                       \
        if (ok_rc_ != CETS_OK)                                                                     \
            fail_msg("%s:%d: %s rejected: %s", __FILE__, __LINE__, #call,                          \
                     cets_reason_name(ok_rc_));                                                    \
        TG_INV(m);                                                                                 \
    } while (0)

/* ---- the model ------------------------------------------------------------------ */

typedef struct model {
    int64_t funds[NP + 1];
    int64_t held[NP + 1][NV];
    int64_t owed[NP + 1];
    int64_t issued[NV], retired[NV];
    int64_t fees; /* the exchange's account */
    int64_t obligation[NP + 1], s_cea[NP + 1], s_ccer[NP + 1], shortfall[NP + 1], penalty[NP + 1];
    bool has_record[NP + 1];
    /* the day's screen trades per instrument, and block and auction totals */
    int64_t open[NV], high[NV], low[NV], lvol[NV], lval[NV], bvol, bval, avol, aval;
    uint64_t btrades, atrades;
} model;

static int64_t fee(int64_t value)
{
    return tg_fee(value, FEE_PPM);
}

static void model_trade(model *md, uint32_t iid, int method, uint32_t buyer, uint32_t seller,
                        int64_t price, int64_t qty, int64_t bfee, int64_t sfee)
{
    int64_t value = price * qty;
    md->funds[buyer] -= value + bfee;
    md->funds[seller] += value - sfee;
    md->fees += bfee + sfee;
    md->held[buyer][iid] += qty;
    md->held[seller][iid] -= qty;
    if (method == CETS_METHOD_LISTING) {
        if (!md->lvol[iid]) md->open[iid] = md->high[iid] = md->low[iid] = price;
        md->high[iid] = price > md->high[iid] ? price : md->high[iid];
        md->low[iid] = price < md->low[iid] ? price : md->low[iid];
        md->lvol[iid] += qty;
        md->lval[iid] += value;
    } else if (method == CETS_METHOD_BLOCK) {
        md->bvol += qty, md->bval += value, md->btrades++;
    } else {
        md->avol += qty, md->aval += value, md->atrades++;
    }
}

/* Allocation as the rules say: owed tonnes are withheld first. */
static void model_allocate(model *md, uint32_t e, uint32_t iid, int64_t qty)
{
    int64_t d = qty > 0 ? (md->owed[e] < qty ? md->owed[e] : qty) : 0;
    md->owed[e] -= d;
    md->held[e][iid] += qty - d;
    md->issued[iid] += qty - d;
}

static void model_retire(model *md, uint32_t e, uint32_t iid, int64_t qty)
{
    md->held[e][iid] -= qty;
    md->retired[iid] += qty;
    *(iid == CCER ? &md->s_ccer[e] : &md->s_cea[e]) += qty;
}

/* Surrender by quantity: the year's vintage first, then the others oldest first. */
static void model_surrender(model *md, uint32_t e, int64_t qty)
{
    static const int order[] = {C25, 0, 1, 2, 3, 4};
    for (int k = 0; k < 6 && qty > 0; k++) {
        int64_t q = md->held[e][order[k]] < qty ? md->held[e][order[k]] : qty;
        model_retire(md, e, (uint32_t)order[k], q);
        qty -= q;
    }
    assert_int_equal(qty, 0);
}

static int64_t model_cea(const model *md, uint32_t e)
{
    int64_t n = 0;
    for (int i = 0; i <= C25; i++) n += md->held[e][i];
    return n;
}

/* Deadline: composite x 5 per tonne short, and the shortfall is owed. */
static void model_deadline(model *md, uint32_t e, int64_t composite)
{
    int64_t s = md->obligation[e] - md->s_cea[e] - md->s_ccer[e];
    md->shortfall[e] = s;
    md->penalty[e] = s * composite * 5;
    md->owed[e] += s;
}

/* ---- the world ------------------------------------------------------------------ */

typedef struct world {
    tmarket m;
    model *md;
    uint64_t rng;
    char dir[600];
    int64_t base_output[NP + 1], benchmark[NP + 1];
} world;

static uint64_t rnd(world *w)
{
    uint64_t z = (w->rng += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static int64_t rnd_in(world *w, int64_t lo, int64_t hi)
{
    return lo + (int64_t)(rnd(w) % (uint64_t)(hi - lo + 1));
}

static uint32_t ent(int i)
{
    return (uint32_t)(E0 + i);
}
static uint32_t inst(int i)
{
    return (uint32_t)(I0 + i);
}
static uint32_t indiv(int i)
{
    return (uint32_t)(D0 + i);
}
static bool big(int i)
{
    return i % 80 == 5;
} /* 25 large emitters: auction and block sellers */

static const char *const codes[NV] = {"CEA1920", "CEA21", "CEA22", "CEA23",
                                      "CEA24",   "CEA25", "CCER",  "CEA26"};
static const int64_t closes[NV] = {4000, 4200, 4400, 4600, 4800, 5000, 3000, 5000};

static void world_setup(world *w)
{
    for (int i = 0; i < C26; i++)
        OK(&w->m, tr_add_instrument(&w->m, CETS_EXCHANGE_ID, codes[i],
                                    i == CCER ? CETS_PRODUCT_CCER : CETS_PRODUCT_CEA,
                                    CETS_MATCH_LISTING, closes[i], NULL));
    cets_result r;
    OK(&w->m, tr_add_participant(&w->m, CETS_EXCHANGE_ID, CETS_PK_AUTHORITY, "MEE", &r));
    assert_int_equal(r.id, AU);
    for (uint32_t p = E0; p <= NP; p++) {
        char name[32];
        int kind = p < I0 ? CETS_PK_ENTITY : p < D0 ? CETS_PK_INSTITUTION : CETS_PK_INDIVIDUAL;
        snprintf(name, sizeof name, "%s-%04u", p < I0 ? "entity" : p < D0 ? "inst" : "person", p);
        OK(&w->m, tr_add_participant(&w->m, CETS_EXCHANGE_ID, kind, name, &r));
        assert_int_equal(r.id, p);
        int64_t funds = p < I0 ? rnd_in(w, 50000000, 100000000) : p < D0 ? INST_FUNDS : 1000000;
        OK(&w->m, tm_admin(&w->m, CETS_CMD_DEPOSIT, p, 0, funds, 0));
        w->md->funds[p] += funds;
    }
    /* older vintages held from earlier years, and individuals' CCER */
    for (int i = 0; i < NENT; i++) {
        int64_t q24 = i % 3 == 0 ? rnd_in(w, 1, 5000) : 0,
                q23 = i % 5 == 0 ? rnd_in(w, 1, 3000) : 0;
        if (q24) OK(&w->m, tm_admin(&w->m, CETS_CMD_HOLDING_CREDIT, ent(i), 4, q24, 0));
        if (q23) OK(&w->m, tm_admin(&w->m, CETS_CMD_HOLDING_CREDIT, ent(i), 3, q23, 0));
        w->md->held[ent(i)][4] += q24, w->md->issued[4] += q24;
        w->md->held[ent(i)][3] += q23, w->md->issued[3] += q23;
    }
    for (int i = 0; i < NIND; i++) {
        OK(&w->m, tm_admin(&w->m, CETS_CMD_HOLDING_CREDIT, indiv(i), CCER, 2000, 0));
        w->md->held[indiv(i)][CCER] += 2000, w->md->issued[CCER] += 2000;
    }
}

/* ---- CSV files through the loader ------------------------------------------------------ */

static FILE *csv_open(world *w, const char *name, const char *header, char *path, size_t cap)
{
    snprintf(path, cap, "%s/%s", w->dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "%s\n", header);
    return f;
}

static void csv_apply(world *w, const char *path, bool allocations, size_t expect)
{
    cets_load l;
    int rc = allocations ? cets_load_allocations(w->m.e, path, AU, &l)
                         : cets_load_emissions(w->m.e, path, AU, &l);
    if (rc != 0) fail_msg("%s: %s", path, l.nerrors ? l.errors[0] : "?");
    assert_int_equal(l.ncmds, expect);
    for (size_t i = 0; i < l.ncmds; i++) OK(&w->m, tm_apply(&w->m, &l.cmds[i], NULL));
    cets_load_free(&l);
}

/* Last year's deadline: 100 entities owe what they did not surrender. */
static void last_year(world *w)
{
    char path[700];
    FILE *f = csv_open(w, "emissions2024.csv", "entity,year,tonnes", path, sizeof path);
    for (int i = 0; i < NENT; i += 20) {
        int64_t t = rnd_in(w, 1000, 5000);
        fprintf(f, "%u,2024,%lld\n", ent(i), (long long)t);
        w->md->owed[ent(i)] += t; /* nothing surrendered: all of it short */
    }
    fclose(f);
    csv_apply(w, path, false, NENT / 20);
    OK(&w->m, tg_deadline(&w->m, AU, 2024));
    cets_compliance c;
    assert_int_equal(cets_compliance_get(w->m.e, ent(20), 2024, &c), CETS_OK);
    assert_int_equal(c.penalty, w->md->owed[ent(20)] * 4500 * 5); /* composite 45.00 */
}

static void allocations(world *w)
{
    char path[700];
    FILE *f =
        csv_open(w, "pre2025.csv", "entity,vintage,kind,qty,output,benchmark", path, sizeof path);
    for (int i = 0; i < NENT; i++) {
        uint32_t e = ent(i);
        w->base_output[e] = big(i) ? rnd_in(w, 40000, 50000) : rnd_in(w, 1000, 20000);
        w->benchmark[e] = big(i) ? 10 : rnd_in(w, 5, 12);
        int64_t pre = w->base_output[e] * w->benchmark[e] * 7 / 10;
        fprintf(f, "%u,CEA25,pre,%lld,%lld,%lld\n", e, (long long)pre, (long long)w->base_output[e],
                (long long)w->benchmark[e]);
        model_allocate(w->md, e, C25, pre);
    }
    fclose(f);
    csv_apply(w, path, true, NENT);
    f = csv_open(w, "trueup2025.csv", "entity,vintage,kind,qty,output,benchmark", path,
                 sizeof path);
    size_t rows = 0;
    for (int i = 0; i < NENT; i++) {
        uint32_t e = ent(i);
        int64_t out = w->base_output[e] * rnd_in(w, 90, 110) / 100;
        int64_t pre = w->base_output[e] * w->benchmark[e] * 7 / 10;
        int64_t q = out * w->benchmark[e] - pre;
        if (i % 7 == 3) /* the final figures came in lower: take back */
            q = -(pre / 10);
        if (q < -w->md->held[e][C25]) q = -w->md->held[e][C25];
        if (q == 0) continue;
        fprintf(f, "%u,CEA25,trueup,%lld,%lld,%lld\n", e, (long long)q, (long long)out,
                (long long)w->benchmark[e]);
        model_allocate(w->md, e, C25, q);
        rows++;
    }
    fclose(f);
    csv_apply(w, path, true, rows);
}

/* ---- the trading day ---------------------------------------------------------------- */

typedef struct listing {
    uint64_t id;
    uint32_t owner, iid;
    int64_t price, left, cum, cum_fee;
    int seq;
} listing;

/* A fill of a resting sell listing by a buyer whose order has cum/cum_fee. */
static void fill(model *md, listing *l, uint32_t buyer, int64_t q, int64_t *bcum, int64_t *bfee)
{
    int64_t v = l->price * q;
    int64_t bf = fee(*bcum + v) - *bfee, sf = fee(l->cum + v) - l->cum_fee;
    *bcum += v, *bfee += bf;
    l->cum += v, l->cum_fee += sf, l->left -= q;
    model_trade(md, l->iid, CETS_METHOD_LISTING, buyer, l->owner, l->price, q, bf, sf);
}

static void listing_day(world *w, listing *ls, int *nls, listing *cc)
{
    model *md = w->md;
    cets_result r;
    /* 200 sellers post CEA25 at five prices, 50.00 .. 50.40 */
    *nls = 0;
    for (int i = 1; i < NENT; i += 10) {
        uint32_t e = ent(i);
        int64_t q = rnd_in(w, 1000, 4000);
        if (q > md->held[e][C25] / 2) q = md->held[e][C25] / 2;
        if (q < 100) continue;
        listing *l = &ls[(*nls)++];
        *l = (listing){
            .owner = e, .iid = C25, .price = 5000 + 10 * (*nls % 5), .left = q, .seq = *nls};
        OK(&w->m, tm_post(&w->m, e, C25, CETS_SELL, l->price, q, &r));
        l->id = r.order_id;
    }
    /* 200 takers name a listing each (the first 100 listings are taken twice) */
    for (int k = 0, i = 2; i < NENT; i += 10, k++) {
        listing *l = &ls[k % 100];
        int64_t q = l->left / 3 > 0 ? l->left / 3 : l->left, cum = 0, cf = 0;
        cets_target t = {l->id, q};
        OK(&w->m, tm_take_targets(&w->m, ent(i), C25, CETS_BUY, 1, &t, NULL));
        fill(md, l, ent(i), q, &cum, &cf);
    }
    /* 10 institutions take 5,000 t by quantity, limit 50.40: best price, then oldest */
    for (int j = 0; j < 10; j++) {
        int64_t want = 5000, cum = 0, cf = 0;
        listing *todo[400];
        int n = 0;
        for (int a = 0; a < *nls; a++)
            if (ls[a].left) todo[n++] = &ls[a];
        for (int a = 1; a < n; a++) /* insertion sort by (price, seq) */
            for (int b = a; b > 0 && (todo[b - 1]->price > todo[b]->price ||
                                      (todo[b - 1]->price == todo[b]->price &&
                                       todo[b - 1]->seq > todo[b]->seq));
                 b--) {
                listing *t = todo[b];
                todo[b] = todo[b - 1];
                todo[b - 1] = t;
            }
        OK(&w->m, tm_take_limit(&w->m, inst(j), C25, CETS_BUY, want, 5040, NULL));
        for (int a = 0; a < n && want; a++) {
            int64_t q = todo[a]->left < want ? todo[a]->left : want;
            fill(md, todo[a], inst(j), q, &cum, &cf);
            want -= q;
        }
    }
    /* 10 institutions rest bids below the offers; they lapse tonight */
    for (int j = 10; j < 20; j++)
        OK(&w->m, tm_post(&w->m, inst(j), C25, CETS_BUY, 4900, 1000, NULL));
    /* CCER: 10 individuals sell 2,000 t each; 200 entities take 100 t each */
    for (int d = 0; d < NIND; d++) {
        cc[d] =
            (listing){.owner = indiv(d), .iid = CCER, .price = 3000 + 10 * (d % 3), .left = 2000};
        OK(&w->m, tm_post(&w->m, indiv(d), CCER, CETS_SELL, cc[d].price, 2000, &r));
        cc[d].id = r.order_id;
    }
    for (int k = 0, i = 3; i < NENT; i += 10, k++) {
        int64_t cum = 0, cf = 0;
        cets_target t = {cc[k % NIND].id, 100};
        OK(&w->m, tm_take_targets(&w->m, ent(i), CCER, CETS_BUY, 1, &t, NULL));
        fill(md, &cc[k % NIND], ent(i), 100, &cum, &cf);
    }
}

/* One auction: the first large emitter sells 200,000 t, floor close -10%,
 * uniform price; eight institutions bid 45,000 t each. */
static uint64_t auction_open(world *w, uint32_t seller)
{
    cets_result r;
    int64_t end = cets_time_at(TM_DATE, 14, 0, 480);
    OK(&w->m, tg_auction(&w->m, CETS_EXCHANGE_ID, seller, C25, CETS_SELL, 200000, w->m.now, end, 0,
                         1, 0, &r));
    uint64_t a = r.order_id;
    tm_at(&w->m, 10, 5);
    static const int64_t price[8] = {5200, 4800, 5100, 4800, 5000, 4900, 4600, 4500};
    for (int j = 0; j < 8; j++) OK(&w->m, tg_bid(&w->m, inst(20 + j), a, price[j], 45000, NULL));
    return a;
}

static void auction_clear(world *w, uint64_t a, uint32_t seller)
{
    static const int64_t price[8] = {5200, 4800, 5100, 4800, 5000, 4900, 4600, 4500};
    int rank[8];
    for (int j = 0; j < 8; j++) rank[j] = j;
    for (int x = 1; x < 8; x++) /* price high first, then earlier */
        for (int y = x; y > 0 && price[rank[y]] > price[rank[y - 1]]; y--) {
            int t = rank[y];
            rank[y] = rank[y - 1];
            rank[y - 1] = t;
        }
    int64_t left = 200000, marginal = 0, take[8] = {0};
    for (int k = 0; k < 8 && left; k++) {
        take[k] = left < 45000 ? left : 45000;
        left -= take[k];
        marginal = price[rank[k]];
    }
    tm_at(&w->m, 14, 0);
    OK(&w->m, tg_auction_cmd(&w->m, CETS_CMD_AUCTION_CLOSE, CETS_EXCHANGE_ID, a));
    int64_t cum = 0, cf = 0;
    for (int k = 0; k < 8 && take[k]; k++) {
        int64_t v = marginal * take[k], sf = fee(cum + v) - cf;
        cum += v, cf += sf;
        model_trade(w->md, C25, CETS_METHOD_AUCTION, inst(20 + rank[k]), seller, marginal, take[k],
                    fee(v), sf);
    }
    assert_int_equal(marginal, 4800);
}

/* Blocks: 20 direct deals, 4 negotiations from a board quote, 4 lapses. */
static void block_day(world *w, const uint32_t *sellers)
{
    cets_result r;
    tm_at(&w->m, 13, 30);
    for (int k = 0; k < 20; k++) {
        int64_t price = 5000 + 50 * (k % 7), qty = 100000 + 1000 * k;
        uint32_t s = sellers[k], b = inst(30 + k);
        OK(&w->m, tg_block(&w->m, CETS_CMD_BLOCK_PROPOSE, s, C25, CETS_SELL, price, qty, 0, b, &r));
        OK(&w->m, tg_block(&w->m, CETS_CMD_BLOCK_ACCEPT, b, C25, CETS_BUY, price, qty, r.order_id,
                           0, NULL));
        int64_t v = price * qty;
        model_trade(w->md, C25, CETS_METHOD_BLOCK, b, s, price, qty, fee(v), fee(v));
    }
    for (int k = 0; k < 4; k++) {
        uint32_t s = sellers[20 + k], b = inst(30 + k);
        OK(&w->m, tg_block(&w->m, CETS_CMD_BLOCK_QUOTE, b, C25, CETS_BUY, 5000, 120000, 0, 0, &r));
        OK(&w->m, tg_block(&w->m, CETS_CMD_BLOCK_PROPOSE, s, C25, CETS_SELL, 5300, 120000,
                           r.order_id, 0, &r));
        OK(&w->m, tg_block(&w->m, CETS_CMD_BLOCK_PROPOSE, b, C25, CETS_BUY, 5150, 120000,
                           r.order_id, 0, &r));
        OK(&w->m, tg_block(&w->m, CETS_CMD_BLOCK_ACCEPT, s, C25, CETS_SELL, 5150, 120000,
                           r.order_id, 0, NULL));
        int64_t v = 5150LL * 120000;
        model_trade(w->md, C25, CETS_METHOD_BLOCK, b, s, 5150, 120000, fee(v), fee(v));
        OK(&w->m, tg_block(&w->m, CETS_CMD_BLOCK_PROPOSE, s, C25, CETS_SELL, 5000, 100000, 0,
                           inst(45 + k), NULL)); /* never answered */
    }
}

static void check_day_stats(world *w)
{
    cets_day_stats st[NV];
    assert_int_equal(cets_last_day_stats(w->m.e, st, NV, NULL, NULL), C26);
    const model *md = w->md;
    for (int i = 0; i < C26; i++) {
        bool traded = md->lvol[i] > 0;
        int64_t close = traded ? (md->lval[i] + md->lvol[i] / 2) / md->lvol[i] : closes[i];
        assert_int_equal(st[i].traded, traded);
        assert_int_equal(st[i].close, close);
        assert_int_equal(st[i].open, traded ? md->open[i] : closes[i]);
        assert_int_equal(st[i].high, traded ? md->high[i] : closes[i]);
        assert_int_equal(st[i].low, traded ? md->low[i] : closes[i]);
        assert_int_equal(st[i].volume[CETS_METHOD_LISTING], md->lvol[i]);
        assert_int_equal(st[i].value[CETS_METHOD_LISTING], md->lval[i]);
    }
    assert_int_equal(st[C25].volume[CETS_METHOD_BLOCK], md->bvol);
    assert_int_equal(st[C25].value[CETS_METHOD_BLOCK], md->bval);
    assert_int_equal(st[C25].trades[CETS_METHOD_BLOCK], md->btrades);
    assert_int_equal(st[C25].volume[CETS_METHOD_AUCTION], md->avol);
    assert_int_equal(st[C25].value[CETS_METHOD_AUCTION], md->aval);
    assert_int_equal(st[C25].trades[CETS_METHOD_AUCTION], md->atrades);
    assert_int_equal(st[C25].total_volume, md->lvol[C25] + md->bvol + md->avol);
}

static void trading_day(world *w)
{
    static listing ls[400], cc[NIND];
    int nls;
    uint32_t bigs[25];
    for (int i = 0, n = 0; i < NENT; i++)
        if (big(i)) bigs[n++] = ent(i);
    tm_at(&w->m, 10, 0);
    uint64_t a = auction_open(w, bigs[0]);
    listing_day(w, ls, &nls, cc);
    block_day(w, bigs + 1);
    auction_clear(w, a, bigs[0]);
    OK(&w->m, tm_eod(&w->m));
    check_day_stats(w);
}

/* ---- verified emissions, surrender, deadline --------------------------------------- */

enum { G_FULL, G_CCER, G_SHORT, G_NONE, G_NOREC };

static int group(int i)
{
    if (i % 250 == 7) return G_NOREC;
    if (i % 10 == 3) return G_CCER;
    return i % 4 == 2 ? G_SHORT : i % 4 == 3 ? G_NONE : G_FULL;
}

static void emissions(world *w)
{
    char path[700];
    FILE *f = csv_open(w, "emissions2025.csv", "entity,year,tonnes", path, sizeof path);
    size_t rows = 0;
    for (int i = 0; i < NENT; i++) {
        uint32_t e = ent(i);
        int64_t cea = model_cea(w->md, e), t;
        switch (group(i)) {
        case G_FULL: t = cea * rnd_in(w, 80, 100) / 100; break;
        case G_CCER:
            t = i % 20 == 3 ? 2000 : rnd_in(w, 2000, 5000);
            break; /* 100 t = 5% at 2,000 */
        case G_SHORT: t = cea + rnd_in(w, 1000, 6000); break;
        case G_NONE: t = rnd_in(w, 500, 3500); break;
        default: continue;
        }
        fprintf(f, "%u,%d,%lld\n", e, YEAR, (long long)t);
        w->md->obligation[e] = t;
        w->md->has_record[e] = true;
        rows++;
    }
    fclose(f);
    csv_apply(w, path, false, rows);
}

static void surrenders(world *w)
{
    model *md = w->md;
    for (int i = 0; i < NENT; i++) {
        uint32_t e = ent(i), actor = i % 8 == 0 ? AU : e; /* some compulsory */
        int64_t ob = md->obligation[e], q;
        switch (group(i)) {
        case G_FULL:
            if (ob) OK(&w->m, tg_surrender(&w->m, actor, e, YEAR, ob, NULL));
            if (ob) model_surrender(md, e, ob);
            break;
        case G_CCER: {
            cets_target t = {CCER, md->held[e][CCER]};
            OK(&w->m, tg_surrender_named(&w->m, actor, e, YEAR, 1, &t, NULL));
            model_retire(md, e, CCER, t.qty);
            q = ob - t.qty < model_cea(md, e) ? ob - t.qty : model_cea(md, e);
            if (q > 0) OK(&w->m, tg_surrender(&w->m, actor, e, YEAR, q, NULL));
            if (q > 0) model_surrender(md, e, q);
            break;
        }
        case G_SHORT:
            q = model_cea(md, e);
            if (q > 0) OK(&w->m, tg_surrender(&w->m, actor, e, YEAR, q, NULL));
            if (q > 0) model_surrender(md, e, q);
            break;
        }
    }
}

static void deadline(world *w)
{
    int64_t sum = 0;
    for (int i = 0; i <= C25; i++) /* tonight's closes of the six CEA vintages */
        sum += i == C25 ? (w->md->lval[i] + w->md->lvol[i] / 2) / w->md->lvol[i] : closes[i];
    int64_t composite = (sum + 3) / 6;
    assert_int_equal(cets_composite_price(w->m.e), composite);
    OK(&w->m, tg_deadline(&w->m, AU, YEAR));
    for (uint32_t e = E0; e < I0; e++)
        if (w->md->has_record[e]) model_deadline(w->md, e, composite);
}

/* The report, line by line from the model. */
static void check_report(world *w)
{
    char *got = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&got, &len);
    assert_int_equal(cets_report_compliance_csv(w->m.e, YEAR, f), 0);
    fclose(f);
    char *want = NULL;
    size_t wlen = 0;
    f = open_memstream(&want, &wlen);
    fprintf(f, "entity,name,year,obligation,surrendered_cea,surrendered_ccer,outstanding,"
               "shortfall,penalty,status,withheld,surrendered_late,settled_on\n");
    const model *md = w->md;
    int64_t total_short = 0;
    for (uint32_t e = E0; e < I0; e++) {
        int64_t s = md->shortfall[e], p = md->penalty[e];
        const char *status = !md->has_record[e] ? "no_emissions" : s ? "shortfall" : "compliant";
        /* right after the deadline: nothing withheld or surrendered late yet */
        fprintf(f, "%u,entity-%04u,%d,%lld,%lld,%lld,%lld,%lld,%lld.%02lld,%s,0,0,\n", e, e, YEAR,
                (long long)md->obligation[e], (long long)md->s_cea[e], (long long)md->s_ccer[e],
                (long long)s, (long long)s, (long long)(p / 100), (long long)(p % 100), status);
        total_short += s;
    }
    fclose(f);
    if (strcmp(got, want)) {
        size_t k = 0;
        while (got[k] == want[k]) k++;
        fail_msg("report differs at byte %zu:\n got: %.120s\nwant: %.120s", k, got + k, want + k);
    }
    free(got);
    free(want);
    f = open_memstream(&got, &len);
    assert_int_equal(cets_report_compliance_json(w->m.e, YEAR, f), 0);
    fclose(f);
    json_error_t err;
    json_t *root = json_loads(got, 0, &err);
    assert_non_null(root);
    json_t *tot = json_object_get(root, "totals");
    assert_int_equal(json_integer_value(json_object_get(tot, "entities")), NENT);
    assert_int_equal(json_integer_value(json_object_get(tot, "shortfall")), total_short);
    json_decref(root);
    free(got);
    assert_true(total_short > 0);
}

/* Next year's pre-allocation, in a vintage of its own: shortfalls are withheld. */
static void next_year(world *w)
{
    OK(&w->m, tr_add_instrument(&w->m, CETS_EXCHANGE_ID, "CEA26", CETS_PRODUCT_CEA,
                                CETS_MATCH_LISTING, closes[C26], NULL));
    char path[700];
    FILE *f =
        csv_open(w, "pre2026.csv", "entity,vintage,kind,qty,output,benchmark", path, sizeof path);
    for (int i = 0; i < NENT; i++) {
        int64_t q = 1000 + (i % 500) * 10;
        fprintf(f, "%u,CEA26,pre,%lld,%lld,%d\n", ent(i), (long long)q, (long long)(q / 10), 10);
        model_allocate(w->md, ent(i), C26, q);
    }
    fclose(f);
    csv_apply(w, path, true, NENT);
}

/* ---- every balance -------------------------------------------------------------------------- */

static void check_balances(world *w)
{
    const model *md = w->md;
    int64_t bad = 0;
    for (uint32_t p = 1; p <= NP; p++) {
        cets_participant_info pi;
        assert_int_equal(cets_participant_get(w->m.e, p, &pi), CETS_OK);
        int64_t want = p == CETS_EXCHANGE_ID ? md->fees : md->funds[p];
        if (pi.available != want || pi.frozen || pi.unsettled)
            fail_msg("participant %u: funds %lld (frozen %lld), model %lld", p,
                     (long long)pi.available, (long long)pi.frozen, (long long)want);
        for (uint32_t i = 0; i < NV; i++) {
            cets_holding h = tm_hold(&w->m, p, i);
            if (h.available != md->held[p][i] || h.frozen || h.locked)
                fail_msg("participant %u %s: %lld/%lld/%lld, model %lld", p, codes[i],
                         (long long)h.available, (long long)h.frozen, (long long)h.locked,
                         (long long)md->held[p][i]);
        }
        if (cets_deduction_owed(w->m.e, p) != md->owed[p])
            fail_msg("participant %u: owes %lld t, model %lld", p,
                     (long long)cets_deduction_owed(w->m.e, p), (long long)md->owed[p]);
        bad += pi.available < 0;
    }
    cets_totals t;
    cets_totals_get(w->m.e, &t);
    for (int i = 0; i < NV; i++) {
        assert_int_equal(t.issued[i], md->issued[i]);
        assert_int_equal(t.retired[i], md->retired[i]);
    }
    assert_int_equal(bad, 0);
}

static void rm_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    while (d && (de = readdir(d))) {
        char p[900];
        if (de->d_name[0] == '.') continue;
        snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
        unlink(p);
    }
    if (d) closedir(d);
    rmdir(dir);
}

static void test_whole_compliance_year(void **state)
{
    (void)state;
    world *w = calloc(1, sizeof *w);
    assert_non_null(w);
    w->md = calloc(1, sizeof *w->md);
    assert_non_null(w->md);
    w->rng = 2025;
    const char *base = getenv("CETS_TEST_TMP");
    if (!base || !*base) base = "/tmp";
    mkdir(base, 0755);
    snprintf(w->dir, sizeof w->dir, "%s/year-XXXXXX", base);
    assert_non_null(mkdtemp(w->dir));
    tm_init(&w->m, NULL);
    world_setup(w);
    last_year(w);
    allocations(w);
    trading_day(w);
    tm_at(&w->m, 10, 0); /* the next trading day */
    emissions(w);
    surrenders(w);
    deadline(w);
    check_report(w);
    next_year(w);
    check_balances(w);
    tm_free(&w->m);
    rm_dir(w->dir);
    free(w->md);
    free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_whole_compliance_year),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
