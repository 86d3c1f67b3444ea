/* test_random.c -- a seeded randomized run of the whole engine.
 *
 * A small market (two continuous CEA vintages, one listing CCER, thirty
 * participants with finite funds and holdings) gets a long stream of mixed
 * commands: posts (day, IOC), takes by limit and by named listings, cancels,
 * modifications, deposits, withdrawals, holding credits, halts, and an end
 * of day every few thousand commands, with the clock moving
 * forward through the sessions, the lunch break and the calendar.
 *
 * After every command:
 *   - the engine's invariant check holds (cets_check() through tm_invariants:
 *     conservation counting retirements, frozen = reservations, nothing
 *     negative, no crossed book, the order index and the books agree);
 *   - a rejected command emitted exactly one REJECTED event with its code and
 *     changed nothing: every rejection is checked against a digest of all
 *     the public queries (funds, holdings, books, instruments, totals), and
 *     against cets_state_hash() while few trades are kept, then for one in
 *     HASH_SAMPLE (the hash walks the day's trades: O(trades));
 *   - the outcome agrees with a model: a naive reference book per instrument
 *     (tests/support/refbook.c) predicts each command's trades (maker, price,
 *     quantity, both fees), self-trades, crossing posts, no-liquidity and the
 *     named-take rejections; the model also knows the sessions, halts, kinds,
 *     size and band limits, and checks funds and holdings rejections against
 *     the balances read just before the command. A rejection must be one the
 *     model allows; a command the model says must fail must not be accepted;
 *   - the best five levels of every book (cets_depth_get, and the DEPTH
 *     events) equal the reference book's.
 * Every 64 commands the engine's live orders, in priority order, are
 * compared with the reference books'. At each end of day the lapses, the
 * day's statistics (volume, value, open, high, low, VWAP close), the next
 * band, the composite price and the next trading date are checked.
 *
 * CETS_RANDOM_COMMANDS sets the number of commands (default 1,000,000, or
 * 200,000 in a sanitizer build); CETS_RANDOM_SEED the seed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "refbook.h"
#include "tmarket.h"

#ifdef CETS_SANITIZED
#define DEFAULT_COMMANDS 200000
#else
#define DEFAULT_COMMANDS 1000000
#endif

#define NINST 3
#define NPART 30
#define FEE_PPM 500
#define MAXCODE 1000
#define HASH_ALL_BELOW 1000
#define HASH_SAMPLE 8

/* ---- random numbers (splitmix64: small, seedable, good enough) -------- */

static uint64_t rng_state;

static uint64_t rnd(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static int64_t rnd_in(int64_t lo, int64_t hi) /* inclusive */
{
    return lo + (int64_t)(rnd() % (uint64_t)(hi - lo + 1));
}

static bool chance(int per_mille)
{
    return (int)(rnd() % 1000) < per_mille;
}

/* ---- calendar ------------------------------------------------------------ */
/* Day arithmetic is the one calendar's (cets_days_from_civil, cets_date_add:
 * checked against known dates in test_engine_basics); which days trade is
 * the model's own rule below. */

static const int32_t holidays[] = {20261209, 20261225, 20270101, 20270211, 20270212};
#define NHOLIDAYS (sizeof holidays / sizeof holidays[0])

static bool is_trading_day(int32_t date)
{
    int64_t days = cets_days_from_civil(date);
    int64_t wd = (days % 7 + 7 + 4) % 7; /* 1970-01-01 was a Thursday (4); 0 = Sunday */
    if (wd == 0 || wd == 6) return false;
    for (size_t i = 0; i < NHOLIDAYS; i++)
        if (holidays[i] == date) return false;
    return true;
}

static int32_t next_trading_day(int32_t date)
{
    do date = cets_date_add(date, 1);
    while (!is_trading_day(date));
    return date;
}

/* ---- the model ---------------------------------------------------------- */

typedef struct inst_model {
    uint32_t id;
    int matching, product;
    int64_t prev_close, lower, upper;
    bool halted;
    rb_book book;
    /* today's trades */
    int64_t vol, val, open, high, low;
    uint64_t ntrades;
} inst_model;

typedef struct part_model {
    uint32_t id;
    int kind;
} part_model;

typedef struct stats {
    uint64_t commands, accepted, rejected, trades, eods;
    uint64_t by_code[MAXCODE];
    uint64_t by_type[32], acc_by_type[32];
    uint64_t hash_checks, order_scans, deviation_take_reserve;
} stats;

typedef struct sim {
    tmarket m;
    inst_model in[NINST];
    part_model p[NPART];
    bool market_halted;
    bool in_session;
    int32_t date;
    uint64_t max_id;
    uint64_t lastday_trades;
    stats st;
} sim;

static sim S;
static rb_plan plan; /* large: static */

/* What the model expects of one command. */
typedef struct expect {
    int must[64], nmust; /* conditions that hold: the command must be rejected with one of these */
    int may[64], nmay;   /* rejections the model allows but does not require */
    /* for the checks after acceptance */
    int op;
    inst_model *im;
    int side, tif;
    int64_t price, qty;
    uint32_t owner;
    bool use_plan, named, rests_remainder;
    bool is_modify, keep_prio;
    rb_order old;         /* MODIFY, CANCEL: the order before */
    bool deviation_take;  /* listing take by limit: accepted only if reserving the fills */
    int64_t avail_before; /* funds available before it */
} expect;

enum {
    OP_POST,
    OP_IOC,
    OP_TAKE,
    OP_NAMED,
    OP_CANCEL,
    OP_MODIFY,
    OP_DEPOSIT,
    OP_WITHDRAW,
    OP_CREDIT,
    OP_HALT,
    OP_MHALT,
    OP_EOD,
    OP_COUNT
};
static const char *op_names[OP_COUNT] = {"post",   "post_ioc", "take_limit",  "take_named",
                                         "cancel", "modify",   "deposit",     "withdraw",
                                         "credit", "halt",     "market_halt", "end_of_day"};

static void must(expect *x, int code)
{
    if (x->nmust < 64) x->must[x->nmust++] = code;
}

static void may(expect *x, int code)
{
    if (x->nmay < 64) x->may[x->nmay++] = code;
}

static bool has(const int *a, int n, int code)
{
    for (int i = 0; i < n; i++)
        if (a[i] == code) return true;
    return false;
}

static int other_side(int side)
{
    return side == CETS_BUY ? CETS_SELL : CETS_BUY;
}

static cets_participant_info pinfo(uint32_t pid)
{
    cets_participant_info pi;
    memset(&pi, 0, sizeof pi);
    cets_participant_get(S.m.e, pid, &pi);
    return pi;
}

/* Conditions shared by everything that places or changes an order. */
static void trader_conditions(expect *x, const part_model *pm, const inst_model *im, bool modify)
{
    if (pm->kind == CETS_PK_AUTHORITY ||
        (pm->kind == CETS_PK_INDIVIDUAL && im->product != CETS_PRODUCT_CCER))
        must(x, CETS_KIND_NOT_ALLOWED);
    if (!S.in_session) must(x, CETS_SESSION_CLOSED);
    if (modify) {
        /* docs/rules.md says halts reject "new orders and takes"; a modification
         * may go either way */
        if (S.market_halted) may(x, CETS_MARKET_HALTED);
        if (im->halted) may(x, CETS_INSTRUMENT_HALTED);
    } else {
        if (S.market_halted) must(x, CETS_MARKET_HALTED);
        if (im->halted) must(x, CETS_INSTRUMENT_HALTED);
    }
}

static void size_conditions(expect *x, const inst_model *im, int64_t price, int64_t qty)
{
    if (qty < 1 || qty > 99999) must(x, CETS_QTY_OUT_OF_RANGE);
    if (price < im->lower || price > im->upper) must(x, CETS_PRICE_OUT_OF_BAND);
}

/* Funds for a buy of `value` (+ fee), holdings for a sell of qty. */
static void cover_conditions(expect *x, uint32_t pid, uint32_t iid, int side, int64_t value,
                             int64_t qty)
{
    if (side == CETS_BUY) {
        if (pinfo(pid).available < value + rb_fee(value, FEE_PPM)) must(x, CETS_INSUFFICIENT_FUNDS);
    } else {
        cets_holding h = tm_hold(&S.m, pid, iid);
        if (qty > h.available + h.locked)
            must(x, CETS_INSUFFICIENT_HOLDINGS);
        else if (qty > h.available)
            must(x, CETS_T1_LOCKED);
    }
}

static bool crosses(const inst_model *im, int side, int64_t price)
{
    int64_t best = rb_level_price(&im->book, other_side(side), 0);
    if (!best) return false;
    return side == CETS_BUY ? price >= best : price <= best;
}

/* ---- command generation ------------------------------------------------- */

static part_model *pick_trader(void)
{
    /* mostly participants who may trade; now and then anyone (kind rejections) */
    if (chance(20)) return &S.p[rnd() % NPART];
    return &S.p[4 + rnd() % (NPART - 4)];
}

static part_model *part_of(uint32_t pid)
{
    for (int i = 0; i < NPART; i++)
        if (S.p[i].id == pid) return &S.p[i];
    return NULL;
}

static int64_t gen_price(const inst_model *im)
{
    int r = (int)(rnd() % 1000);
    if (r < 5) return im->upper + 1;
    if (r < 10) return im->lower - 1;
    if (r < 15) return im->upper;
    if (r < 20) return im->lower;
    int64_t p = im->prev_close + rnd_in(-30, 30);
    if (p < im->lower) p = im->lower;
    if (p > im->upper) p = im->upper;
    return p;
}

static int64_t gen_qty(void)
{
    int r = (int)(rnd() % 1000);
    if (r < 3) return 0;
    if (r < 6) return 100000;
    if (r < 9) return 99999;
    if (r < 700) return rnd_in(1, 20);
    if (r < 960) return rnd_in(21, 300);
    return rnd_in(301, 5000);
}

static void post_expect(expect *x, const part_model *pm, inst_model *im, int side, int64_t price,
                        int64_t qty, int tif)
{
    trader_conditions(x, pm, im, false);
    size_conditions(x, im, price, qty);
    x->im = im;
    x->side = side;
    x->price = price;
    x->qty = qty;
    x->tif = tif;
    x->owner = pm->id;
    if (im->matching == CETS_MATCH_LISTING) {
        if (crosses(im, side, price)) must(x, CETS_CROSSING_POST);
        plan.self_trade = false; /* a listing post never trades */
        plan.n = 0;
        plan.qty = plan.value = 0;
        x->use_plan = true;
        x->rests_remainder = true;
    } else {
        rb_plan_match(&im->book, side, price, qty, pm->id, 0, 0, FEE_PPM, FEE_PPM, &plan);
        if (plan.self_trade) must(x, CETS_SELF_TRADE);
        x->use_plan = true;
        x->rests_remainder = tif == CETS_TIF_DAY;
    }
    cover_conditions(x, pm->id, im->id, side, price * qty, qty);
}

static void gen_post(cets_cmd *c, expect *x, int tif)
{
    part_model *pm = pick_trader();
    inst_model *im = &S.in[rnd() % NINST];
    if (im->matching == CETS_MATCH_LISTING) tif = CETS_TIF_DAY;
    int side = chance(500) ? CETS_BUY : CETS_SELL;
    int64_t price = gen_price(im);
    /* in listing mode, steer most posts away from crossing */
    if (im->matching == CETS_MATCH_LISTING && crosses(im, side, price) && chance(800)) {
        int64_t best = rb_level_price(&im->book, other_side(side), 0);
        price = side == CETS_BUY ? best - rnd_in(1, 10) : best + rnd_in(1, 10);
        if (price < im->lower || price > im->upper)
            price = side == CETS_BUY ? im->lower : im->upper;
    }
    int64_t qty = gen_qty();
    *c = (cets_cmd){.type = CETS_CMD_POST,
                    .actor = pm->id,
                    .participant = pm->id,
                    .instrument = im->id,
                    .side = (uint8_t)side,
                    .price = price,
                    .qty = qty,
                    .flags = (uint8_t)tif};
    x->op = tif == CETS_TIF_IOC ? OP_IOC : OP_POST;
    post_expect(x, pm, im, side, price, qty, tif);
}

static void gen_take_limit(cets_cmd *c, expect *x)
{
    part_model *pm = pick_trader();
    inst_model *im = &S.in[rnd() % NINST];
    int side = chance(500) ? CETS_BUY : CETS_SELL;
    int64_t limit = rb_level_price(&im->book, other_side(side), (int)(rnd() % 5));
    if (!limit || chance(200)) limit = gen_price(im);
    int64_t qty = gen_qty();
    *c = (cets_cmd){.type = CETS_CMD_TAKE,
                    .actor = pm->id,
                    .participant = pm->id,
                    .instrument = im->id,
                    .side = (uint8_t)side,
                    .price = limit,
                    .qty = qty};
    x->op = OP_TAKE;
    trader_conditions(x, pm, im, false);
    size_conditions(x, im, limit, qty);
    x->im = im;
    x->side = side;
    x->price = limit;
    x->qty = qty;
    x->tif = CETS_TIF_IOC;
    x->owner = pm->id;
    x->use_plan = true;
    bool listing = im->matching == CETS_MATCH_LISTING;
    rb_plan_match(&im->book, side, limit, qty, pm->id, listing ? CETS_DEPTH : 0, 0, FEE_PPM,
                  FEE_PPM, &plan);
    if (plan.self_trade)
        must(x, CETS_SELF_TRADE);
    else if (plan.qty == 0) {
        if (listing)
            must(x, CETS_NO_LIQUIDITY);
        else
            may(x, CETS_NO_LIQUIDITY); /* continuous: an IOC that fills nothing */
    }
    if (listing) {
        /* docs/rules.md: a take is checked against, and reserves, exactly the
         * cost (and quantity) of the fills it will make */
        cover_conditions(x, pm->id, im->id, side, plan.value, plan.qty);
    } else {
        cover_conditions(x, pm->id, im->id, side, limit * qty, qty);
    }
}

static void gen_take_named(cets_cmd *c, expect *x)
{
    part_model *pm = pick_trader();
    inst_model *im = &S.in[2];
    if (chance(50)) im = &S.in[rnd() % 2]; /* continuous: wrong_mode */
    int side = chance(500) ? CETS_BUY : CETS_SELL;
    int opp = other_side(side);
    rb_book *b = &im->book;
    int64_t fifth = rb_level_price(b, opp, CETS_DEPTH - 1);
    /* candidates: the other side's orders, mostly within the best five */
    size_t cand[4096], ncand = 0, far[4096], nfar = 0, same[4096], nsame = 0;
    for (size_t i = 0; i < b->n && i < 4096; i++) {
        const rb_order *o = &b->o[i];
        if (o->side != opp) {
            same[nsame++] = i;
            continue;
        }
        bool within = !fifth || (opp == CETS_SELL ? o->price <= fifth : o->price >= fifth);
        if (within)
            cand[ncand++] = i;
        else
            far[nfar++] = i;
    }
    int n = (int)rnd_in(1, 3);
    if (chance(10)) n = 9;
    *c = (cets_cmd){.type = CETS_CMD_TAKE,
                    .actor = pm->id,
                    .participant = pm->id,
                    .instrument = im->id,
                    .side = (uint8_t)side,
                    .ntargets = (uint8_t)n};
    int64_t total = 0, cost = 0;
    bool bad = false;
    for (int k = 0; k < n && k < CETS_MAX_TARGETS; k++) {
        cets_target t = {0, 1};
        int r = (int)(rnd() % 1000);
        const rb_order *o = NULL;
        if (r < 20 || (ncand == 0 && nfar == 0 && nsame == 0)) {
            t.order_id = S.max_id + 1000 + rnd() % 1000; /* no such order */
        } else if (r < 60 && nfar) {
            o = &b->o[far[rnd() % nfar]];
        } else if (r < 90 && nsame) {
            o = &b->o[same[rnd() % nsame]];
        } else if (r < 120 && k > 0) {
            t.order_id = c->u.targets[0].order_id; /* duplicate */
            o = rb_find(b, t.order_id);
        } else if (ncand) {
            o = &b->o[cand[rnd() % ncand]];
        } else if (nfar) {
            o = &b->o[far[rnd() % nfar]];
        } else {
            o = &b->o[same[rnd() % nsame]];
        }
        if (o) {
            t.order_id = o->id;
            t.qty = chance(40) ? o->qty + 1 : rnd_in(1, o->qty);
        }
        c->u.targets[k] = t;
    }
    /* the model's verdict, target by target */
    x->op = OP_NAMED;
    trader_conditions(x, pm, im, false);
    if (n > CETS_MAX_TARGETS) must(x, CETS_TOO_MANY_TARGETS);
    if (im->matching != CETS_MATCH_LISTING) must(x, CETS_WRONG_MODE);
    for (int k = 0; k < n && k < CETS_MAX_TARGETS; k++) {
        const cets_target *t = &c->u.targets[k];
        const rb_order *o = rb_find(b, t->order_id);
        total += t->qty;
        if (!o) {
            must(x, CETS_UNKNOWN_ORDER);
            bad = true;
            continue;
        }
        cost += t->qty * o->price;
        if (o->side == side) {
            must(x, CETS_TARGET_SIDE);
            bad = true;
        }
        if (fifth && (o->side == CETS_SELL ? o->price > fifth : o->price < fifth)) {
            must(x, CETS_NOT_IN_BEST_FIVE);
            bad = true;
        }
        if (t->qty > o->qty) {
            must(x, CETS_TARGET_QTY);
            bad = true;
        }
        for (int j = 0; j < k; j++) {
            if (c->u.targets[j].order_id == t->order_id) {
                must(x, CETS_DUPLICATE_TARGET);
                bad = true;
            }
        }
        if (o->owner == pm->id) {
            must(x, CETS_SELF_TRADE);
            bad = true;
        }
    }
    c->qty = total;
    if (total < 1 || total > 99999) must(x, CETS_QTY_OUT_OF_RANGE);
    if (!bad && n <= CETS_MAX_TARGETS)
        cover_conditions(x, pm->id, im->id, side, cost, total);
    else {
        may(x, CETS_INSUFFICIENT_FUNDS);
        may(x, CETS_INSUFFICIENT_HOLDINGS);
        may(x, CETS_T1_LOCKED);
    }
    x->im = im;
    x->side = side;
    x->owner = pm->id;
    x->named = true;
    x->qty = total;
}

/* A random live order of any book, or NULL. */
static rb_order *random_live(inst_model **imp)
{
    size_t total = 0;
    for (int i = 0; i < NINST; i++) total += S.in[i].book.n;
    if (!total) return NULL;
    size_t k = rnd() % total;
    for (int i = 0; i < NINST; i++) {
        if (k < S.in[i].book.n) {
            *imp = &S.in[i];
            return &S.in[i].book.o[k];
        }
        k -= S.in[i].book.n;
    }
    return NULL;
}

static void gen_cancel(cets_cmd *c, expect *x)
{
    inst_model *im = NULL;
    rb_order *o = random_live(&im);
    x->op = OP_CANCEL;
    uint64_t id;
    uint32_t pid;
    if (!o || chance(40)) {
        id = chance(500) ? (uint64_t)rnd_in(1, (int64_t)S.max_id + 1) : S.max_id + 1 + rnd() % 100;
        pid = pick_trader()->id;
    } else {
        id = o->id;
        pid = chance(900) ? o->owner : pick_trader()->id;
    }
    *c = (cets_cmd){.type = CETS_CMD_CANCEL, .actor = pid, .participant = pid, .order_id = id};
    o = NULL;
    for (int i = 0; i < NINST && !o; i++)
        if ((o = rb_find(&S.in[i].book, id))) im = &S.in[i];
    if (!o) {
        must(x, CETS_UNKNOWN_ORDER);
        return;
    }
    if (o->owner != pid) must(x, CETS_NOT_OWNER);
    x->im = im;
    x->old = *o;
}

static bool gen_modify(cets_cmd *c, expect *x)
{
    inst_model *im = NULL;
    rb_order *o = NULL;
    for (int tries = 0; tries < 8; tries++) {
        o = random_live(&im);
        if (!o || o->filled_qty == 0) break;
        o = NULL; /* only unfilled orders: the meaning of a new quantity for a
                   * partly filled order is not fixed by the docs */
    }
    if (!o) return false;
    uint32_t pid = chance(950) ? o->owner : S.p[4 + rnd() % (NPART - 4)].id;
    int64_t price = o->price, qty = o->qty;
    int r = (int)(rnd() % 1000);
    if (r < 30) {
        /* unchanged: nothing_changed */
    } else if (r < 350) {
        qty = o->qty - rnd_in(1, 5); /* down at the same price: keeps priority */
        if (qty < 1) qty = o->qty + 1;
    } else if (r < 450) {
        qty = o->qty + rnd_in(1, 20);
    } else {
        price = o->price + rnd_in(-8, 8);
        if (chance(300)) qty = o->qty + rnd_in(-5, 5);
        if (chance(20)) price = im->upper + 1;
        if (chance(10)) qty = 0;
    }
    *c = (cets_cmd){.type = CETS_CMD_MODIFY,
                    .actor = pid,
                    .participant = pid,
                    .order_id = o->id,
                    .price = price,
                    .qty = qty};
    x->op = OP_MODIFY;
    x->is_modify = true;
    x->im = im;
    x->old = *o;
    x->side = o->side;
    x->price = price;
    x->qty = qty;
    x->owner = o->owner;
    x->tif = CETS_TIF_DAY;
    part_model *pm = part_of(pid);
    if (o->owner != pid) {
        must(x, CETS_NOT_OWNER);
        /* nothing else is looked at for another's order */
        trader_conditions(x, pm, im, true);
        size_conditions(x, im, price, qty);
        may(x, CETS_NOTHING_CHANGED);
        may(x, CETS_CROSSING_POST);
        may(x, CETS_SELF_TRADE);
        may(x, CETS_INSUFFICIENT_FUNDS);
        may(x, CETS_INSUFFICIENT_HOLDINGS);
        may(x, CETS_T1_LOCKED);
        return true;
    }
    trader_conditions(x, pm, im, true);
    size_conditions(x, im, price, qty);
    if (price == o->price && qty == o->qty) must(x, CETS_NOTHING_CHANGED);
    x->keep_prio = price == o->price && qty < o->qty;
    if (!x->keep_prio && crosses(im, o->side, price)) {
        if (im->matching == CETS_MATCH_LISTING) {
            must(x, CETS_CROSSING_POST);
        } else {
            /* cancel-replace: the new order matches like a post */
            /* the order itself is on its own side: it cannot meet itself */
            rb_plan_match(&im->book, o->side, price, qty, o->owner, 0, 0, FEE_PPM, FEE_PPM, &plan);
            if (plan.self_trade) must(x, CETS_SELF_TRADE);
            x->use_plan = true;
        }
    }
    if (im->matching == CETS_MATCH_CONTINUOUS && !x->use_plan) {
        plan.n = 0;
        plan.qty = plan.value = 0;
        plan.self_trade = false;
        x->use_plan = true;
    }
    x->rests_remainder = true;
    /* an unfilled order reserves price x qty + fee (buy) or qty (sell):
     * only the increase has to be covered */
    if (o->side == CETS_BUY) {
        int64_t oldv = o->price * o->qty, newv = price * qty;
        int64_t delta = newv + rb_fee(newv, FEE_PPM) - oldv - rb_fee(oldv, FEE_PPM);
        if (delta > 0 && delta > pinfo(pid).available) must(x, CETS_INSUFFICIENT_FUNDS);
    } else if (qty > o->qty) {
        cets_holding h = tm_hold(&S.m, pid, im->id);
        int64_t delta = qty - o->qty;
        if (delta > h.available + h.locked)
            must(x, CETS_INSUFFICIENT_HOLDINGS);
        else if (delta > h.available)
            must(x, CETS_T1_LOCKED);
    }
    return true;
}

static void gen_admin(cets_cmd *c, expect *x, int op)
{
    part_model *pm = &S.p[4 + rnd() % (NPART - 4)];
    x->op = op;
    switch (op) {
    case OP_DEPOSIT:
        *c = (cets_cmd){.type = CETS_CMD_DEPOSIT,
                        .actor = CETS_EXCHANGE_ID,
                        .participant = pm->id,
                        .qty = rnd_in(1, 20000000)};
        break;
    case OP_WITHDRAW: {
        cets_participant_info pi = pinfo(pm->id);
        int64_t amount = rnd_in(1, 2000000);
        int r = (int)(rnd() % 1000);
        int64_t free_funds = pi.available - pi.unsettled;
        if (r < 300 && free_funds > 0)
            amount = rnd_in(1, free_funds);
        else if (r < 400 && free_funds > 0)
            amount = free_funds;
        else if (r < 500)
            amount = free_funds + 1;
        if (amount < 1) amount = 1;
        uint32_t actor = chance(500) ? CETS_EXCHANGE_ID : pm->id;
        *c = (cets_cmd){
            .type = CETS_CMD_WITHDRAW, .actor = actor, .participant = pm->id, .qty = amount};
        if (amount > pi.available) {
            must(x, CETS_INSUFFICIENT_FUNDS);
            may(x, CETS_FUNDS_UNSETTLED);
        } else if (amount > pi.available - pi.unsettled) {
            must(x, CETS_FUNDS_UNSETTLED);
        }
        break;
    }
    case OP_CREDIT: {
        inst_model *im = &S.in[rnd() % NINST];
        *c = (cets_cmd){.type = CETS_CMD_HOLDING_CREDIT,
                        .actor = CETS_EXCHANGE_ID,
                        .participant = pm->id,
                        .instrument = im->id,
                        .qty = rnd_in(1, 500)};
        break;
    }
    case OP_HALT: {
        inst_model *im = &S.in[rnd() % NINST];
        *c = (cets_cmd){.type = CETS_CMD_INSTRUMENT_HALT,
                        .actor = CETS_EXCHANGE_ID,
                        .instrument = im->id,
                        .aux = im->halted ? 0 : 1};
        x->im = im;
        break;
    }
    case OP_MHALT:
        *c = (cets_cmd){.type = CETS_CMD_MARKET_HALT,
                        .actor = CETS_EXCHANGE_ID,
                        .aux = S.market_halted ? 0 : 1};
        break;
    }
}

/* ---- checks after a command --------------------------------------------- */

static void fail_cmd(const cets_cmd *c, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    print_error("command #%llu seq %llu %s: actor %u participant %u instrument %u side %u "
                "price %lld qty %lld order %llu ntargets %u aux %lld\n  %s\n",
                (unsigned long long)S.st.commands, (unsigned long long)c->seq,
                cets_cmd_name(c->type), c->actor, c->participant, c->instrument, c->side,
                (long long)c->price, (long long)c->qty, (unsigned long long)c->order_id,
                c->ntargets, (long long)c->aux, msg);
    fail();
}

static void check_depths(const cets_cmd *c)
{
    for (int i = 0; i < NINST; i++) {
        cets_depth got, want;
        memset(&got, 0, sizeof got);
        cets_depth_get(S.m.e, S.in[i].id, &got);
        rb_depth(&S.in[i].book, &want);
        bool same = got.nbids == want.nbids && got.nasks == want.nasks;
        for (uint32_t k = 0; same && k < want.nbids; k++)
            same = got.bids[k].price == want.bids[k].price && got.bids[k].qty == want.bids[k].qty &&
                   got.bids[k].count == want.bids[k].count;
        for (uint32_t k = 0; same && k < want.nasks; k++)
            same = got.asks[k].price == want.asks[k].price && got.asks[k].qty == want.asks[k].qty &&
                   got.asks[k].count == want.asks[k].count;
        if (!same)
            fail_cmd(c,
                     "instrument %d: depth differs from the reference book "
                     "(engine %u bids %u asks, best %lld/%lld; reference %u/%u, %lld/%lld)",
                     i, got.nbids, got.nasks, (long long)got.bids[0].price,
                     (long long)got.asks[0].price, want.nbids, want.nasks,
                     (long long)want.bids[0].price, (long long)want.asks[0].price);
    }
    /* the DEPTH events of this command (if any) show what the engine shows now */
    for (size_t k = S.m.nev; k-- > 0;) {
        const cets_event *ev = &S.m.ev[k];
        if (ev->type != CETS_EV_DEPTH) continue;
        bool later = false;
        for (size_t j = k + 1; j < S.m.nev; j++)
            later |= S.m.ev[j].type == CETS_EV_DEPTH &&
                     S.m.ev[j].u.depth.instrument == ev->u.depth.instrument;
        if (later) continue;
        cets_depth got;
        cets_depth_get(S.m.e, ev->u.depth.instrument, &got);
        const cets_depth *d = &ev->u.depth;
        bool same = got.nbids == d->nbids && got.nasks == d->nasks;
        for (uint32_t j = 0; same && j < d->nbids; j++)
            same = got.bids[j].price == d->bids[j].price && got.bids[j].qty == d->bids[j].qty;
        for (uint32_t j = 0; same && j < d->nasks; j++)
            same = got.asks[j].price == d->asks[j].price && got.asks[j].qty == d->asks[j].qty;
        if (!same)
            fail_cmd(c, "DEPTH event of instrument %u differs from cets_depth_get",
                     ev->u.depth.instrument);
    }
}

/* Live orders in priority order, per instrument and side, against the reference. */
typedef struct scan {
    cets_order_info *o;
    size_t n, cap;
} scan;

static void collect(void *ctx, const cets_order_info *o)
{
    scan *s = ctx;
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 256;
        s->o = realloc(s->o, s->cap * sizeof *s->o);
    }
    s->o[s->n++] = *o;
}

static int cmp_prio_side;
static int cmp_prio(const void *a, const void *b)
{
    const rb_order *x = a, *y = b;
    if (x->price != y->price) {
        bool xb = cmp_prio_side == CETS_BUY ? x->price > y->price : x->price < y->price;
        return xb ? -1 : 1;
    }
    return x->prio < y->prio ? -1 : x->prio > y->prio;
}

static void check_orders(const cets_cmd *c)
{
    static scan s;
    s.n = 0;
    cets_orders_foreach(S.m.e, 0, collect, &s);
    size_t total = 0;
    for (int i = 0; i < NINST; i++) total += S.in[i].book.n;
    if (s.n != total) fail_cmd(c, "engine has %zu live orders, the reference %zu", s.n, total);
    static rb_order want[1 << 16];
    for (int i = 0; i < NINST; i++) {
        for (int side = CETS_BUY; side <= CETS_SELL; side++) {
            size_t nw = 0;
            for (size_t k = 0; k < S.in[i].book.n; k++)
                if (S.in[i].book.o[k].side == side && nw < sizeof want / sizeof want[0])
                    want[nw++] = S.in[i].book.o[k];
            cmp_prio_side = side;
            qsort(want, nw, sizeof *want, cmp_prio);
            size_t j = 0;
            for (size_t k = 0; k < s.n; k++) {
                const cets_order_info *o = &s.o[k];
                if (o->instrument != S.in[i].id || o->side != side) continue;
                if (j >= nw || o->order_id != want[j].id || o->price != want[j].price ||
                    o->qty != want[j].qty || o->participant != want[j].owner ||
                    o->filled_qty != want[j].filled_qty)
                    fail_cmd(c,
                             "instrument %d side %d: live order #%zu differs (engine id %llu "
                             "price %lld qty %lld filled %lld; reference id %llu price %lld "
                             "qty %lld filled %lld)",
                             i, side, j, (unsigned long long)o->order_id, (long long)o->price,
                             (long long)o->qty, (long long)o->filled_qty,
                             j < nw ? (unsigned long long)want[j].id : 0ULL,
                             j < nw ? (long long)want[j].price : 0LL,
                             j < nw ? (long long)want[j].qty : 0LL,
                             j < nw ? (long long)want[j].filled_qty : 0LL);
                j++;
            }
            if (j != nw)
                fail_cmd(c, "instrument %d side %d: %zu live orders, reference %zu", i, side, j,
                         nw);
        }
    }
    S.st.order_scans++;
}

static void note_trade(inst_model *im, int64_t price, int64_t qty)
{
    if (im->ntrades == 0) im->open = im->high = im->low = price;
    if (price > im->high) im->high = price;
    if (price < im->low) im->low = price;
    im->vol += qty;
    im->val += price * qty;
    im->ntrades++;
    S.st.trades++;
}

static const cets_event *done_event(uint64_t id)
{
    for (size_t k = 0; k < S.m.nev; k++)
        if (S.m.ev[k].type == CETS_EV_ORDER_DONE && S.m.ev[k].u.done.order.order_id == id)
            return &S.m.ev[k];
    return NULL;
}

static int cmp_fill(const void *a, const void *b)
{
    const rb_fill *x = a, *y = b;
    return x->maker_id < y->maker_id ? -1 : x->maker_id > y->maker_id;
}

/* An accepted POST/TAKE/MODIFY: the trades are the plan's, the book follows. */
static void check_trading(const cets_cmd *c, const expect *x, const cets_result *r)
{
    inst_model *im = x->im;
    uint64_t taker = r->order_id;
    if (!x->is_modify && r->order_id == 0) fail_cmd(c, "accepted without an order id");
    if (!x->is_modify && tm_count_events(&S.m, CETS_EV_ACCEPTED) != 1)
        fail_cmd(c, "expected one ACCEPTED event, got %zu",
                 tm_count_events(&S.m, CETS_EV_ACCEPTED));
    if (x->is_modify && tm_count_events(&S.m, CETS_EV_REPLACED) != 1)
        fail_cmd(c, "expected one REPLACED event");
    if (x->named) {
        /* the plan is the named targets, in the order given */
        plan.self_trade = false;
        plan.n = 0;
        plan.qty = plan.value = 0;
        for (int k = 0; k < c->ntargets; k++) {
            const rb_order *o = rb_find(&im->book, c->u.targets[k].order_id);
            if (!o) fail_cmd(c, "accepted a take naming an unknown listing");
            rb_fill *f = &plan.f[plan.n++];
            int64_t v = o->price * c->u.targets[k].qty;
            f->maker_id = o->id;
            f->maker_owner = o->owner;
            f->price = o->price;
            f->qty = c->u.targets[k].qty;
            f->maker_fee = rb_fee(o->filled_value + v, FEE_PPM) - rb_fee(o->filled_value, FEE_PPM);
            f->taker_fee = 0;
            plan.qty += f->qty;
            plan.value += v;
        }
    }
    /* the TRADE events, in order */
    static rb_fill got[RB_MAX_FILLS];
    size_t ng = 0;
    int64_t taker_fees = 0;
    for (size_t k = 0; k < S.m.nev; k++) {
        if (S.m.ev[k].type != CETS_EV_TRADE) continue;
        const cets_trade *t = &S.m.ev[k].u.trade;
        bool buy = x->side == CETS_BUY;
        if (t->instrument != im->id || t->aggressor != x->side || t->value != t->price * t->qty ||
            t->method != CETS_METHOD_LISTING || (buy ? t->buy_order : t->sell_order) != taker ||
            (buy ? t->buyer : t->seller) != x->owner)
            fail_cmd(c, "trade %zu: wrong instrument, aggressor, value, method or taker", ng);
        if (ng == RB_MAX_FILLS) fail_cmd(c, "too many trades");
        rb_fill *f = &got[ng++];
        f->maker_id = buy ? t->sell_order : t->buy_order;
        f->maker_owner = buy ? t->seller : t->buyer;
        f->price = t->price;
        f->qty = t->qty;
        f->maker_fee = buy ? t->seller_fee : t->buyer_fee;
        f->taker_fee = buy ? t->buyer_fee : t->seller_fee;
        taker_fees += f->taker_fee;
    }
    if (ng != plan.n) fail_cmd(c, "%zu trades, the reference book predicts %zu", ng, plan.n);
    /* the day's statistics follow the trades in the engine's order (which, for
     * named listings, is the engine's choice) */
    for (size_t k = 0; k < ng; k++) note_trade(im, got[k].price, got[k].qty);
    if (x->named) {
        /* the order of fills across named listings is not fixed: compare as a set,
         * and the taker's fees as a total */
        qsort(got, ng, sizeof *got, cmp_fill);
        qsort(plan.f, plan.n, sizeof *plan.f, cmp_fill);
        if (taker_fees != rb_fee(plan.value, FEE_PPM))
            fail_cmd(c, "taker fees %lld, expected fee(%lld) = %lld", (long long)taker_fees,
                     (long long)plan.value, (long long)rb_fee(plan.value, FEE_PPM));
    }
    for (size_t k = 0; k < ng; k++) {
        const rb_fill *g = &got[k], *w = &plan.f[k];
        if (g->maker_id != w->maker_id || g->price != w->price || g->qty != w->qty ||
            g->maker_owner != w->maker_owner || g->maker_fee != w->maker_fee ||
            (!x->named && g->taker_fee != w->taker_fee))
            fail_cmd(c,
                     "trade %zu: engine maker %llu %lld x %lld fees %lld/%lld, reference "
                     "maker %llu %lld x %lld fees %lld/%lld",
                     k, (unsigned long long)g->maker_id, (long long)g->price, (long long)g->qty,
                     (long long)g->maker_fee, (long long)g->taker_fee,
                     (unsigned long long)w->maker_id, (long long)w->price, (long long)w->qty,
                     (long long)w->maker_fee, (long long)w->taker_fee);
    }
    if (r->filled_qty != plan.qty || r->filled_value != plan.value || r->ntrades != plan.n)
        fail_cmd(c, "result: filled %lld / %lld in %u trades; reference %lld / %lld in %zu",
                 (long long)r->filled_qty, (long long)r->filled_value, r->ntrades,
                 (long long)plan.qty, (long long)plan.value, plan.n);
    /* ORDER_DONE: each maker filled to the end, and the taker unless it rests */
    size_t want_done = 0;
    for (size_t k = 0; k < plan.n; k++) {
        const rb_order *m = rb_find(&im->book, plan.f[k].maker_id);
        if (m->qty == plan.f[k].qty) {
            want_done++;
            const cets_event *d = done_event(m->id);
            if (!d || d->u.done.why != CETS_DONE_FILLED)
                fail_cmd(c, "maker %llu filled without ORDER_DONE filled",
                         (unsigned long long)m->id);
        }
    }
    int64_t left = x->qty - plan.qty;
    bool rests = x->rests_remainder && left > 0;
    if (rests != (r->resting_qty > 0) || (rests && r->resting_qty != left))
        fail_cmd(c, "resting %lld, reference %lld", (long long)r->resting_qty,
                 (long long)(rests ? left : 0));
    if (!rests) {
        want_done++;
        const cets_event *d = done_event(taker);
        int why = left == 0 ? CETS_DONE_FILLED : CETS_DONE_UNFILLED;
        if (!d || d->u.done.why != why || d->u.done.left_qty != left)
            fail_cmd(c, "taker: expected ORDER_DONE %d with %lld left", why, (long long)left);
    }
    if (tm_count_events(&S.m, CETS_EV_ORDER_DONE) != want_done)
        fail_cmd(c, "%zu ORDER_DONE events, expected %zu",
                 tm_count_events(&S.m, CETS_EV_ORDER_DONE), want_done);
    /* follow in the reference book */
    if (x->is_modify) {
        rb_remove(&im->book, x->old.id);
        if (x->keep_prio) {
            rb_order o = x->old;
            o.id = taker;
            o.qty = x->qty;
            rb_add_prio(&im->book, &o);
        }
    }
    rb_apply(&im->book, &plan);
    if (rests && !(x->is_modify && x->keep_prio)) {
        rb_add(&im->book, taker, x->owner, x->side, x->price, left);
        rb_order *o = rb_find(&im->book, taker);
        o->filled_qty = plan.qty;
        o->filled_value = plan.value;
    }
    if (taker > S.max_id) S.max_id = taker;
}

static void check_eod(const cets_cmd *c)
{
    /* every live order lapsed */
    size_t lapsed = 0;
    for (int i = 0; i < NINST; i++) {
        for (size_t k = 0; k < S.in[i].book.n; k++) {
            const rb_order *o = &S.in[i].book.o[k];
            const cets_event *d = done_event(o->id);
            if (!d || d->u.done.why != CETS_DONE_EXPIRED || d->u.done.left_qty != o->qty)
                fail_cmd(c, "order %llu did not lapse", (unsigned long long)o->id);
            lapsed++;
        }
    }
    if (tm_count_events(&S.m, CETS_EV_ORDER_DONE) != lapsed)
        fail_cmd(c, "%zu ORDER_DONE at the end of day, %zu live orders",
                 tm_count_events(&S.m, CETS_EV_ORDER_DONE), lapsed);
    int64_t cea_sum = 0, cea_n = 0;
    S.lastday_trades = 0;
    for (int i = 0; i < NINST; i++) S.lastday_trades += S.in[i].ntrades;
    for (int i = 0; i < NINST; i++) {
        inst_model *im = &S.in[i];
        const cets_day_stats *st = NULL;
        for (size_t k = 0; k < S.m.nev; k++)
            if (S.m.ev[k].type == CETS_EV_DAY_STATS && S.m.ev[k].u.stats.instrument == im->id)
                st = &S.m.ev[k].u.stats;
        if (!st) fail_cmd(c, "no DAY_STATS for instrument %d", i);
        int64_t close = im->vol ? (2 * im->val + im->vol) / (2 * im->vol) : im->prev_close;
        int64_t open = im->vol ? im->open : im->prev_close;
        int64_t high = im->vol ? im->high : im->prev_close;
        int64_t low = im->vol ? im->low : im->prev_close;
        if (st->volume[CETS_METHOD_LISTING] != im->vol ||
            st->value[CETS_METHOD_LISTING] != im->val ||
            st->trades[CETS_METHOD_LISTING] != im->ntrades || st->close != close ||
            st->open != open || st->high != high || st->low != low ||
            st->prev_close != im->prev_close || st->traded != (im->vol > 0) || st->date != S.date)
            fail_cmd(c,
                     "instrument %d day stats: engine vol %lld val %lld o/h/l/c %lld/%lld/%lld/"
                     "%lld; reference vol %lld val %lld o/h/l/c %lld/%lld/%lld/%lld",
                     i, (long long)st->volume[0], (long long)st->value[0], (long long)st->open,
                     (long long)st->high, (long long)st->low, (long long)st->close,
                     (long long)im->vol, (long long)im->val, (long long)open, (long long)high,
                     (long long)low, (long long)close);
        int64_t upper = close * 11000 / 10000, lower = (close * 9000 + 9999) / 10000;
        if (st->next_upper != upper || st->next_lower != lower)
            fail_cmd(c, "instrument %d next band %lld..%lld, expected %lld..%lld", i,
                     (long long)st->next_lower, (long long)st->next_upper, (long long)lower,
                     (long long)upper);
        im->prev_close = close;
        im->upper = upper;
        im->lower = lower;
        im->vol = im->val = im->ntrades = 0;
        rb_clear(&im->book);
        cets_instrument_info ii;
        cets_instrument_get(S.m.e, im->id, &ii);
        if (ii.prev_close != close || ii.upper != upper || ii.lower != lower)
            fail_cmd(c, "instrument %d: info band differs after the end of day", i);
        if (im->product == CETS_PRODUCT_CEA) {
            cea_sum += close;
            cea_n++;
        }
    }
    const cets_event *dc = tm_last_event(&S.m, CETS_EV_DAY_CLOSED);
    int32_t next = next_trading_day(S.date);
    int64_t composite = (2 * cea_sum + cea_n) / (2 * cea_n);
    if (!dc || dc->u.day.closed_date != S.date || dc->u.day.next_date != next ||
        dc->u.day.composite != composite)
        fail_cmd(c, "DAY_CLOSED: closed %d next %d composite %lld; expected %d %d %lld",
                 dc ? dc->u.day.closed_date : 0, dc ? dc->u.day.next_date : 0,
                 dc ? (long long)dc->u.day.composite : 0LL, S.date, next, (long long)composite);
    if (cets_trading_date(S.m.e) != next)
        fail_cmd(c, "trading date %d, expected %d", cets_trading_date(S.m.e), next);
    S.date = next;
    S.st.eods++;
}

/* A cheap digest of everything the public queries show: funds, holdings,
 * instruments (status, band, today's statistics), depth and totals. */
static uint64_t mix(uint64_t h, int64_t v)
{
    h ^= (uint64_t)v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    return h * 0x100000001b3ULL;
}

static uint64_t observable_digest(void)
{
    uint64_t h = 1469598103934665603ULL;
    for (int i = 0; i < NPART; i++) {
        cets_participant_info pi = pinfo(S.p[i].id);
        h = mix(h, pi.available);
        h = mix(h, pi.frozen);
        h = mix(h, pi.unsettled);
        h = mix(h, pi.open_orders);
        h = mix(h, pi.status);
        for (int k = 0; k < NINST; k++) {
            cets_holding hd = tm_hold(&S.m, S.p[i].id, S.in[k].id);
            h = mix(h, hd.available);
            h = mix(h, hd.frozen);
            h = mix(h, hd.locked);
        }
    }
    h = mix(h, tm_avail(&S.m, CETS_EXCHANGE_ID));
    for (int k = 0; k < NINST; k++) {
        cets_instrument_info ii;
        cets_instrument_get(S.m.e, S.in[k].id, &ii);
        h = mix(h, ii.status);
        h = mix(h, ii.matching);
        h = mix(h, ii.lower);
        h = mix(h, ii.upper);
        h = mix(h, ii.last);
        h = mix(h, ii.today.volume[CETS_METHOD_LISTING]);
        h = mix(h, ii.today.value[CETS_METHOD_LISTING]);
        cets_depth d;
        cets_depth_get(S.m.e, S.in[k].id, &d);
        for (uint32_t j = 0; j < d.nbids; j++) h = mix(mix(h, d.bids[j].price), d.bids[j].qty);
        for (uint32_t j = 0; j < d.nasks; j++) h = mix(mix(h, d.asks[j].price), d.asks[j].qty);
    }
    cets_totals t;
    cets_totals_get(S.m.e, &t);
    h = mix(h, t.deposits);
    h = mix(h, t.withdrawals);
    h = mix(h, t.live_orders);
    h = mix(h, cets_trading_date(S.m.e));
    return h;
}

/* Apply one command and check everything about its outcome. */
static void run(cets_cmd *c, expect *x)
{
    /* Only a command the model says may be rejected can be rejected without
     * failing the test anyway, so the "nothing changed" checks are prepared
     * for those only. The state hash walks the whole state, the day's trades
     * included, and the last day's (O(trades kept)): it is taken for every
     * such command while fewer than HASH_ALL_BELOW trades are kept, and for
     * one in HASH_SAMPLE after. The cheap digest of the public queries is taken for
     * every one. */
    bool may_reject = x->nmust + x->nmay > 0;
    uint64_t kept = S.lastday_trades; /* the engine keeps yesterday's trades too */
    for (int i = 0; i < NINST; i++) kept += S.in[i].ntrades;
    bool hash_it = may_reject && (kept < HASH_ALL_BELOW || rnd() % HASH_SAMPLE == 0);
    uint64_t h0 = hash_it ? cets_state_hash(S.m.e) : 0;
    uint64_t d0 = may_reject ? observable_digest() : 0;
    tm_clear_events(&S.m);
    cets_result r;
    memset(&r, 0, sizeof r);
    int rc = tm_apply(&S.m, c, &r);
    S.st.commands++;
    S.st.by_type[x->op]++;
    if (r.code != rc) fail_cmd(c, "result code %d but returned %d", r.code, rc);
    const char *bad = tm_invariants(S.m.e);
    if (bad) fail_cmd(c, "invariant: %s", bad);
    if (rc != CETS_OK) {
        S.st.rejected++;
        S.st.by_code[rc >= 0 && rc < MAXCODE ? rc : 0]++;
        if (!may_reject)
            fail_cmd(c, "rejected with %s, which the model does not allow (no conditions)",
                     cets_reason_name(rc));
        if (observable_digest() != d0)
            fail_cmd(c, "rejected (%s) but balances, books or totals changed",
                     cets_reason_name(rc));
        if (hash_it) {
            S.st.hash_checks++;
            if (cets_state_hash(S.m.e) != h0)
                fail_cmd(c, "rejected (%s) but the state hash changed", cets_reason_name(rc));
        }
        if (S.m.nev != 1 || S.m.ev[0].type != CETS_EV_REJECTED || S.m.ev[0].u.reject.code != rc)
            fail_cmd(c,
                     "rejected (%s): expected exactly one REJECTED event with that code, "
                     "got %zu events",
                     cets_reason_name(rc), S.m.nev);
        if (!has(x->must, x->nmust, rc) && !has(x->may, x->nmay, rc))
            fail_cmd(c, "rejected with %s, which the model does not allow (%d conditions: %s)",
                     cets_reason_name(rc), x->nmust,
                     x->nmust ? cets_reason_name(x->must[0]) : "none");
    } else {
        S.st.accepted++;
        S.st.acc_by_type[x->op]++;
        if (tm_count_events(&S.m, CETS_EV_REJECTED)) fail_cmd(c, "accepted but emitted REJECTED");
        if (x->nmust)
            fail_cmd(c, "accepted, but the model says it must be rejected (%s)",
                     cets_reason_name(x->must[0]));
        switch (x->op) {
        case OP_POST:
        case OP_IOC:
        case OP_TAKE:
        case OP_NAMED:
            if (x->deviation_take && S.st.deviation_take_reserve++ == 0) {
                print_message("random: first listing take by limit accepted against the "
                              "documented reservation: seq %llu participant %u %s %lld t "
                              "limit %lld, filled %lld t for %lld fen; before it: funds "
                              "available %lld (limit x qty + fee = %lld)\n",
                              (unsigned long long)c->seq, c->participant,
                              c->side == CETS_BUY ? "buy" : "sell", (long long)c->qty,
                              (long long)c->price, (long long)r.filled_qty,
                              (long long)r.filled_value, (long long)x->avail_before,
                              (long long)(c->price * c->qty + rb_fee(c->price * c->qty, FEE_PPM)));
            }
            check_trading(c, x, &r);
            break;
        case OP_MODIFY:
            if (x->use_plan) {
                check_trading(c, x, &r);
            } else {
                /* listing: a new price or quantity, no trade */
                if (tm_count_events(&S.m, CETS_EV_TRADE) || !tm_last_event(&S.m, CETS_EV_REPLACED))
                    fail_cmd(c, "listing modify: trades or no REPLACED");
                rb_remove(&x->im->book, x->old.id);
                rb_order o = x->old;
                o.id = r.order_id;
                o.price = x->price;
                o.qty = x->qty;
                if (x->keep_prio)
                    rb_add_prio(&x->im->book, &o);
                else
                    rb_add(&x->im->book, o.id, o.owner, o.side, o.price, o.qty);
                if (r.order_id > S.max_id) S.max_id = r.order_id;
            }
            break;
        case OP_CANCEL: {
            const cets_event *d = done_event(x->old.id);
            if (!d || d->u.done.why != CETS_DONE_CANCELLED || d->u.done.left_qty != x->old.qty)
                fail_cmd(c, "cancel: no ORDER_DONE cancelled with %lld left",
                         (long long)x->old.qty);
            rb_remove(&x->im->book, x->old.id);
            break;
        }
        case OP_HALT: x->im->halted = !x->im->halted; break;
        case OP_MHALT: S.market_halted = !S.market_halted; break;
        case OP_EOD: check_eod(c); break;
        default: break;
        }
    }
    check_depths(c);
    if (S.st.commands % 64 == 0) check_orders(c);
}

static void one_command(void)
{
    cets_cmd c;
    expect x;
    memset(&x, 0, sizeof x);
    size_t live = 0;
    for (int i = 0; i < NINST; i++) live += S.in[i].book.n;
    /* weights, per mille-ish; cancels grow with the number of live orders */
    int w[OP_COUNT] = {0};
    w[OP_POST] = 300;
    w[OP_IOC] = 60;
    w[OP_TAKE] = 120;
    w[OP_NAMED] = 60;
    w[OP_CANCEL] = 100 + (int)(live / 2);
    w[OP_MODIFY] = 80;
    w[OP_DEPOSIT] = 15;
    w[OP_WITHDRAW] = 20;
    w[OP_CREDIT] = 20;
    bool any_halt = S.market_halted;
    for (int i = 0; i < NINST; i++) any_halt |= S.in[i].halted;
    w[OP_HALT] = any_halt ? 40 : 2;
    w[OP_MHALT] = S.market_halted ? 60 : 1;
    int sum = 0;
    for (int i = 0; i < OP_COUNT; i++) sum += w[i];
    int pick = (int)(rnd() % (uint64_t)sum), op = 0;
    while (pick >= w[op]) pick -= w[op++];
    if (op == OP_HALT && any_halt && !S.market_halted) {
        /* resume the halted instrument rather than halting another */
        for (int i = 0; i < NINST; i++)
            if (S.in[i].halted) {
                c = (cets_cmd){.type = CETS_CMD_INSTRUMENT_HALT,
                               .actor = CETS_EXCHANGE_ID,
                               .instrument = S.in[i].id,
                               .aux = 0};
                x.op = OP_HALT;
                x.im = &S.in[i];
                run(&c, &x);
                return;
            }
    }
    switch (op) {
    case OP_POST: gen_post(&c, &x, CETS_TIF_DAY); break;
    case OP_IOC: gen_post(&c, &x, CETS_TIF_IOC); break;
    case OP_TAKE: gen_take_limit(&c, &x); break;
    case OP_NAMED: gen_take_named(&c, &x); break;
    case OP_CANCEL: gen_cancel(&c, &x); break;
    case OP_MODIFY:
        if (!gen_modify(&c, &x)) {
            memset(&x, 0, sizeof x);
            gen_post(&c, &x, CETS_TIF_DAY);
        }
        break;
    default: gen_admin(&c, &x, op); break;
    }
    run(&c, &x);
}

static void eod_command(bool early)
{
    cets_cmd c = {.type = CETS_CMD_END_OF_DAY, .actor = CETS_EXCHANGE_ID};
    expect x;
    memset(&x, 0, sizeof x);
    x.op = OP_EOD;
    if (early) must(&x, CETS_SESSION_OPEN);
    run(&c, &x);
}

/* ---- setup and the day loop --------------------------------------------- */

static void setup(void)
{
    memset(&S, 0, sizeof S);
    tm_init(&S.m, NULL);
    S.date = TM_DATE;
    tm_at(&S.m, 8, 0);
    for (size_t i = 0; i < NHOLIDAYS; i++)
        assert_int_equal(tm_admin(&S.m, CETS_CMD_HOLIDAY_ADD, 0, 0, 0, holidays[i]), CETS_OK);
    const char *codes[NINST] = {"CEA25", "CEA26", "CCER"};
    int match[NINST] = {CETS_MATCH_CONTINUOUS, CETS_MATCH_CONTINUOUS, CETS_MATCH_LISTING};
    int prod[NINST] = {CETS_PRODUCT_CEA, CETS_PRODUCT_CEA, CETS_PRODUCT_CCER};
    int64_t close[NINST] = {5123, 6000, 3000};
    for (int i = 0; i < NINST; i++) {
        inst_model *im = &S.in[i];
        im->id = tm_instrument(&S.m, codes[i], prod[i], match[i], close[i]);
        im->matching = match[i];
        im->product = prod[i];
        im->prev_close = close[i];
        im->upper = close[i] * 11000 / 10000;
        im->lower = (close[i] * 9000 + 9999) / 10000;
        rb_init(&im->book);
    }
    char name[16];
    for (int i = 0; i < NPART; i++) {
        part_model *pm = &S.p[i];
        pm->kind = i == 0  ? CETS_PK_AUTHORITY
                   : i < 4 ? CETS_PK_INDIVIDUAL
                   : i % 2 ? CETS_PK_INSTITUTION
                           : CETS_PK_ENTITY;
        snprintf(name, sizeof name, "p%02d", i);
        /* a few poor participants, so funds rejections happen */
        int64_t funds = i < 10 ? rnd_in(100000, 2000000) : rnd_in(5000000, 100000000);
        pm->id = tm_participant(&S.m, pm->kind, name, funds);
        for (int k = 0; k < NINST; k++) {
            int64_t q = rnd_in(0, 3000);
            if (q && (pm->kind != CETS_PK_INDIVIDUAL || k == 2))
                tm_credit(&S.m, pm->id, S.in[k].id, q);
        }
    }
    assert_null(tm_invariants(S.m.e));
}

static void run_phase(int64_t from, int64_t to, uint64_t n, uint64_t total)
{
    int64_t step = n ? (to - from) / (int64_t)n : 0;
    for (uint64_t j = 0; j < n && S.st.commands < total; j++) {
        S.m.now = from + (int64_t)j * step;
        one_command();
    }
}

static int64_t at(int32_t date, int hh, int mm)
{
    return cets_time_at(date, hh, mm, 480);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_random_market(void **state)
{
    (void)state;
    uint64_t total = DEFAULT_COMMANDS, seed = 20210716;
    const char *env = getenv("CETS_RANDOM_COMMANDS");
    if (env && *env) total = strtoull(env, NULL, 10);
    env = getenv("CETS_RANDOM_SEED");
    if (env && *env) seed = strtoull(env, NULL, 10);
    rng_state = seed;
    print_message("random: %llu commands, seed %llu\n", (unsigned long long)total,
                  (unsigned long long)seed);
    double t0 = now_s();
    setup();
    while (S.st.commands < total) {
        assert_int_equal(cets_trading_date(S.m.e), S.date);
        uint64_t day = (uint64_t)rnd_in(2000, 10000);
        uint64_t lunch = (uint64_t)rnd_in(3, 12);
        uint64_t am = day * 45 / 100, pm = day - am - lunch;
        S.in_session = true;
        run_phase(at(S.date, 9, 30), at(S.date, 11, 30) - 1, am, total);
        S.in_session = false;
        run_phase(at(S.date, 11, 30), at(S.date, 12, 59), lunch, total);
        if (S.st.commands < total && chance(500)) {
            S.m.now = at(S.date, 13, 0);
            eod_command(true);
        }
        S.in_session = true;
        run_phase(at(S.date, 13, 0), at(S.date, 15, 0) - 1, pm, total);
        S.in_session = false;
        if (S.st.commands < total) {
            S.m.now = at(S.date, 15, 30);
            eod_command(false);
        }
    }
    static const cets_cmd none;
    check_orders(&none);
    double elapsed = now_s() - t0;

    print_message("random: commands %llu, accepted %llu, rejected %llu, trades %llu, "
                  "end of days %llu, rejections hash-checked %llu, order scans %llu, "
                  "elapsed %.1f s\n",
                  (unsigned long long)S.st.commands, (unsigned long long)S.st.accepted,
                  (unsigned long long)S.st.rejected, (unsigned long long)S.st.trades,
                  (unsigned long long)S.st.eods, (unsigned long long)S.st.hash_checks,
                  (unsigned long long)S.st.order_scans, elapsed);
    for (int op = 0; op < OP_COUNT; op++)
        print_message("random:   %-12s %9llu sent, %9llu accepted\n", op_names[op],
                      (unsigned long long)S.st.by_type[op],
                      (unsigned long long)S.st.acc_by_type[op]);
    for (int code = 1; code < MAXCODE; code++)
        if (S.st.by_code[code])
            print_message("random:   rejected %-22s %9llu\n", cets_reason_name(code),
                          (unsigned long long)S.st.by_code[code]);
    if (S.st.deviation_take_reserve)
        print_message("random: %llu listing takes by limit were accepted that docs/rules.md "
                      "says must fail (reserve at the limit price / the take's quantity)\n",
                      (unsigned long long)S.st.deviation_take_reserve);
    /* the run must have exercised what it claims to test */
    if (total >= 100000) {
        assert_true(S.st.trades > total / 20);
        assert_true(S.st.eods >= 2);
        const int wanted[] = {CETS_SELF_TRADE,
                              CETS_CROSSING_POST,
                              CETS_NO_LIQUIDITY,
                              CETS_INSUFFICIENT_FUNDS,
                              CETS_INSUFFICIENT_HOLDINGS,
                              CETS_T1_LOCKED,
                              CETS_SESSION_CLOSED,
                              CETS_NOT_OWNER,
                              CETS_UNKNOWN_ORDER,
                              CETS_NOTHING_CHANGED,
                              CETS_QTY_OUT_OF_RANGE,
                              CETS_PRICE_OUT_OF_BAND,
                              CETS_KIND_NOT_ALLOWED,
                              CETS_NOT_IN_BEST_FIVE,
                              CETS_TARGET_QTY,
                              CETS_TARGET_SIDE,
                              CETS_DUPLICATE_TARGET,
                              CETS_TOO_MANY_TARGETS,
                              CETS_WRONG_MODE,
                              CETS_FUNDS_UNSETTLED,
                              CETS_INSTRUMENT_HALTED,
                              CETS_MARKET_HALTED,
                              CETS_SESSION_OPEN};
        for (size_t i = 0; i < sizeof wanted / sizeof wanted[0]; i++)
            if (!S.st.by_code[wanted[i]])
                fail_msg("the run never produced %s", cets_reason_name(wanted[i]));
    }
    /* strict on the documented reservation of takes by limit */
    if (S.st.deviation_take_reserve)
        fail_msg("%llu listing takes by limit were accepted although docs/rules.md says a take "
                 "by limit reserves at its limit price (and a sell its quantity)",
                 (unsigned long long)S.st.deviation_take_reserve);
    for (int i = 0; i < NINST; i++) rb_free(&S.in[i].book);
    tm_free(&S.m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_market),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
