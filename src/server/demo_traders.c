/* demo_traders.c -- simulated traders for `cetsd --demo`: they trade all day
 * long through the public HTTP API, as a member's program would, so that
 * prices, depth, trades, the block board and auctions move on the dashboard.
 *
 * Each trader is a participant with a user of its own (seeded once through
 * the core, like any operator action). A few threads share the traders; each
 * step logs nothing, reads the depth over HTTP, and posts a listing near the
 * mid price, takes listings it sees in the best five levels (by name or by a
 * limit), cancels one of its own, bids in an open auction, or proposes a
 * block agreement to another trader, who accepts or declines it a few steps
 * later. Sizes and the method mix follow the national market (as `cets
 * simulate` does, src/cli/scenario.c): listing orders mostly of hundreds to
 * a few thousand tonnes, blocks of 100,000-200,000 t carrying about four
 * fifths of the volume; the operator (thread 0, through the core) runs one
 * one-way bidding auction after another, ten minutes each. Prices follow a
 * slow random walk per instrument inside the band, so the chart has a shape.
 * Pacing is bounded (demo_rate actions per second in all), and the threads
 * stop with cetsd.
 */
#include "demo_traders.h"

#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/auth.h"
#include "core/log.h"

#define MAXTRADERS 64
#define NTHREADS 3

typedef struct trader {
    char user[32], password[40];
    char token[160];
    uint32_t pid;
} trader;

typedef struct tbuf {
    char *p;
    size_t n;
} tbuf;

typedef struct proposal { /* a block proposal waiting for its addressee */
    uint64_t id;
    int to;         /* trader index */
    char body[200]; /* the acceptance: the terms, repeated with the other side */
    int64_t due_ns;
} proposal;

#define MAXPROPOSALS 64

struct demo_traders {
    server *s;
    trader t[MAXTRADERS];
    int ntraders;
    pthread_mutex_t mu; /* proposals, auction */
    proposal props[MAXPROPOSALS];
    int nprops;
    uint64_t auction; /* the auction running, 0 none */
    int64_t auction_end;
    pthread_t th[NTHREADS];
    int nth;
    volatile int stop;
    char base[160];
    double rate; /* actions per second, all threads */
    uint64_t seed;
};

static uint64_t rnd(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
    tbuf *b = ctx;
    size_t len = size * n;
    char *p = realloc(b->p, b->n + len + 1);
    if (!p) return 0;
    memcpy(p + b->n, data, len);
    b->p = p;
    b->n += len;
    b->p[b->n] = 0;
    return len;
}

/* One request; returns the HTTP status (0 on a transport error) and the
 * parsed JSON body in *out (may be NULL). */
static long http(CURL *h, const demo_traders *d, const char *method, const char *path,
                 const char *token, const char *body, json_t **out)
{
    char url[512], bearer[200];
    snprintf(url, sizeof url, "%s%s", d->base, path);
    struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
    if (token) {
        snprintf(bearer, sizeof bearer, "Authorization: Bearer %s", token);
        hdr = curl_slist_append(hdr, bearer);
    }
    tbuf b = {NULL, 0};
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    if (!body) curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 10L);
    long status = 0;
    if (curl_easy_perform(h) == CURLE_OK) curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(hdr);
    if (out) *out = b.p ? json_loads(b.p, 0, NULL) : NULL;
    free(b.p);
    return status;
}

static int login(CURL *h, const demo_traders *d, trader *t)
{
    char body[160];
    snprintf(body, sizeof body, "{\"username\":\"%s\",\"password\":\"%s\"}", t->user, t->password);
    json_t *j = NULL;
    long st = http(h, d, "POST", "/api/v1/login", NULL, body, &j);
    const char *tok = j ? json_string_value(json_object_get(j, "token")) : NULL;
    if (st == 200 && tok) snprintf(t->token, sizeof t->token, "%s", tok);
    json_decref(j);
    return st == 200 && tok ? 0 : -1;
}

static void price_str(int64_t fen, char *buf, size_t len)
{
    snprintf(buf, len, "%lld.%02lld", (long long)(fen / 100), (long long)(fen % 100));
}

static int64_t parse_price(const json_t *v)
{
    const char *s = json_string_value(v);
    if (!s) return 0;
    long long whole = 0, frac = 0;
    int n = sscanf(s, "%lld.%2lld", &whole, &frac);
    return n >= 1 ? whole * 100 + (n == 2 ? frac : 0) : 0;
}

typedef struct market_view {
    char code[CETS_CODE_LEN];
    int64_t lower, upper, mid;
} market_view;

static int64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* A listing order's size, as the market's: mostly hundreds to a few
 * thousand tonnes, now and then tens of thousands. */
static uint64_t listing_qty(uint64_t *rs)
{
    uint64_t u = rnd(rs) % 100;
    uint64_t lo = u < 70   ? 1
                  : u < 92 ? 10
                  : u < 98 ? 50
                           : 200,
             hi = u < 70   ? 10
                  : u < 92 ? 50
                  : u < 98 ? 200
                           : 999;
    return (lo + rnd(rs) % (hi - lo + 1)) * 100;
}

/* Trader t proposes a block to another trader, at the mid +/-2%. */
static void propose(CURL *h, demo_traders *d, int ti, const market_view *m, uint64_t *rs)
{
    int to = (int)(rnd(rs) % (uint64_t)d->ntraders);
    if (to == ti) return;
    bool sell = rnd(rs) % 2;
    int64_t price = m->mid + m->mid * (int64_t)(rnd(rs) % 401 - 200) / 10000;
    unsigned long long qty = (100 + rnd(rs) % 101) * 1000;
    char body[256], px[32];
    price_str(price, px, sizeof px);
    snprintf(body, sizeof body,
             "{\"code\":\"%s\",\"side\":\"%s\",\"price\":\"%s\",\"qty\":%llu,"
             "\"counterparty\":%u}",
             m->code, sell ? "sell" : "buy", px, qty, d->t[to].pid);
    json_t *j = NULL;
    if (http(h, d, "POST", "/api/v1/blocks/proposals", d->t[ti].token, body, &j) == 201 && j) {
        pthread_mutex_lock(&d->mu);
        if (d->nprops < MAXPROPOSALS) {
            proposal *p = &d->props[d->nprops++];
            p->id = (uint64_t)json_integer_value(json_object_get(j, "id"));
            p->to = to;
            p->due_ns = now_ns() + (int64_t)(3 + rnd(rs) % 13) * 1000000000LL;
            snprintf(p->body, sizeof p->body,
                     "{\"code\":\"%s\",\"side\":\"%s\",\"price\":\"%s\",\"qty\":%llu}", m->code,
                     sell ? "buy" : "sell", px, qty);
        }
        pthread_mutex_unlock(&d->mu);
    }
    json_decref(j);
}

/* A proposal due for an answer: most are accepted, some declined. */
static bool answer(CURL *h, demo_traders *d, uint64_t *rs)
{
    proposal p = {0};
    int64_t now = now_ns();
    pthread_mutex_lock(&d->mu);
    for (int i = 0; i < d->nprops; i++)
        if (d->props[i].due_ns <= now) {
            p = d->props[i];
            d->props[i] = d->props[--d->nprops];
            break;
        }
    pthread_mutex_unlock(&d->mu);
    if (!p.id) return false;
    char path[96];
    bool yes = rnd(rs) % 100 < 85;
    snprintf(path, sizeof path, "/api/v1/blocks/%llu/%s", (unsigned long long)p.id,
             yes ? "accept" : "decline");
    http(h, d, "POST", path, d->t[p.to].token, yes ? p.body : "{}", NULL);
    return true;
}

/* The operator's auctions, one after another: an institution sells 100,000
 * t of the newest vintage at a uniform price over ten minutes; the window's
 * end closes it. Thread 0 only, through the core. */
static void auctioneer(demo_traders *d)
{
    int64_t now = now_ns();
    pthread_mutex_lock(&d->mu);
    uint64_t id = d->auction;
    int64_t end = d->auction_end;
    pthread_mutex_unlock(&d->mu);
    if (id && now < end) return;
    if (id) {
        cets_cmd c = {.type = CETS_CMD_AUCTION_CLOSE,
                      .actor = CETS_EXCHANGE_ID,
                      .participant = CETS_EXCHANGE_ID,
                      .order_id = id};
        core_submit(d->s->core, &c, NULL);
    }
    const cets_engine *e = core_read_begin(d->s->core);
    int inst = cets_instrument_find(e, "CEA25");
    uint32_t seller = 0;
    for (uint32_t p = 1; p <= cets_participant_count(e) && !seller; p++) {
        cets_participant_info pi;
        cets_holding hd;
        if (cets_participant_get(e, p, &pi) == 0 && pi.kind == CETS_PK_INSTITUTION && inst >= 0 &&
            cets_holding_get(e, p, (uint32_t)inst, &hd) == 0 && hd.available >= 100000)
            seller = p;
    }
    core_read_end(d->s->core);
    cets_cmd c = {.type = CETS_CMD_AUCTION_CREATE,
                  .actor = CETS_EXCHANGE_ID,
                  .participant = seller,
                  .side = CETS_SELL,
                  .instrument = (uint32_t)inst,
                  .qty = 100000};
    c.u.args[CETS_AUCTION_ARG_START] = now;
    c.u.args[CETS_AUCTION_ARG_END] = now + 600LL * 1000000000LL;
    cets_result r;
    bool ok = seller && inst >= 0 && core_submit(d->s->core, &c, &r) == CETS_OK;
    pthread_mutex_lock(&d->mu);
    d->auction = ok ? r.order_id : 0;
    d->auction_end = ok ? c.u.args[CETS_AUCTION_ARG_END] : now + 60LL * 1000000000LL;
    pthread_mutex_unlock(&d->mu);
}

/* A bid in the running auction, near the mid. */
static void bid(CURL *h, demo_traders *d, trader *t, const market_view *m, uint64_t *rs)
{
    pthread_mutex_lock(&d->mu);
    uint64_t id = d->auction;
    pthread_mutex_unlock(&d->mu);
    if (!id || strcmp(m->code, "CEA25") != 0) return;
    char path[80], body[128], px[32];
    price_str(m->mid + m->mid * (int64_t)(rnd(rs) % 301) / 10000, px, sizeof px);
    snprintf(path, sizeof path, "/api/v1/auctions/%llu/bids", (unsigned long long)id);
    snprintf(body, sizeof body, "{\"price\":\"%s\",\"qty\":%llu}", px,
             (unsigned long long)(5 + rnd(rs) % 36) * 1000);
    http(h, d, "POST", path, t->token, body, NULL);
}

/* One trading step of trader ti on instrument m. */
static void step(CURL *h, demo_traders *d, int ti, market_view *m, uint64_t *rs)
{
    trader *t = &d->t[ti];
    if (answer(h, d, rs)) return;
    uint64_t what = rnd(rs) % 1000;
    if (what < 20) { /* blocks carry most of the volume: about four fifths */
        propose(h, d, ti, m, rs);
        return;
    }
    if (what < 32) {
        bid(h, d, t, m, rs);
        return;
    }
    char path[160], body[512], px[32];
    snprintf(path, sizeof path, "/api/v1/instruments/%s/depth", m->code);
    json_t *depth = NULL;
    if (http(h, d, "GET", path, NULL, NULL, &depth) != 200 || !depth) {
        json_decref(depth);
        return;
    }
    /* the price wanders: a step of -2..+2 ticks, pulled back inside the band */
    m->mid += (int64_t)(rnd(rs) % 5) - 2;
    if (m->mid < m->lower + 20) m->mid = m->lower + 20;
    if (m->mid > m->upper - 20) m->mid = m->upper - 20;
    int side = rnd(rs) % 2 ? CETS_BUY : CETS_SELL;
    const char *sname = side == CETS_BUY ? "buy" : "sell";
    json_t *opp = json_object_get(depth, side == CETS_BUY ? "asks" : "bids");
    uint64_t roll = rnd(rs) % 100;
    if (roll < 35 && json_array_size(opp) > 0) {
        /* take: name a listing at one of the best levels, or sweep with a limit */
        json_t *lvl = json_array_get(opp, rnd(rs) % json_array_size(opp));
        json_t *orders = json_object_get(lvl, "orders");
        if (roll < 20 && json_array_size(orders) > 0) {
            json_t *o = json_array_get(orders, rnd(rs) % json_array_size(orders));
            json_int_t id = json_integer_value(json_object_get(o, "order_id"));
            json_int_t q = json_integer_value(json_object_get(o, "qty"));
            json_int_t take = 1 + (json_int_t)(rnd(rs) % (uint64_t)(q > 0 ? q : 1));
            snprintf(body, sizeof body,
                     "{\"code\":\"%s\",\"side\":\"%s\",\"targets\":[{\"order_id\":%lld,"
                     "\"qty\":%lld}]}",
                     m->code, sname, (long long)id, (long long)take);
        } else {
            price_str(parse_price(json_object_get(lvl, "price")), px, sizeof px);
            snprintf(body, sizeof body,
                     "{\"code\":\"%s\",\"side\":\"%s\",\"qty\":%llu,\"limit\":\"%s\"}", m->code,
                     sname, (unsigned long long)listing_qty(rs), px);
        }
        http(h, d, "POST", "/api/v1/takes", t->token, body, NULL);
    } else if (roll < 85) {
        /* post a listing a little away from the mid, never crossing */
        int64_t off = 1 + (int64_t)(rnd(rs) % 25);
        int64_t p = side == CETS_BUY ? m->mid - off : m->mid + off;
        json_t *best = json_array_get(opp, 0);
        int64_t bp = best ? parse_price(json_object_get(best, "price")) : 0;
        if (bp && side == CETS_BUY && p >= bp) p = bp - 1;
        if (bp && side == CETS_SELL && p <= bp) p = bp + 1;
        if (p < m->lower || p > m->upper) {
            json_decref(depth);
            return;
        }
        price_str(p, px, sizeof px);
        snprintf(body, sizeof body,
                 "{\"code\":\"%s\",\"side\":\"%s\",\"price\":\"%s\",\"qty\":%llu}", m->code, sname,
                 px, (unsigned long long)listing_qty(rs));
        http(h, d, "POST", "/api/v1/orders", t->token, body, NULL);
    } else {
        /* cancel one of its own listings */
        json_t *mine = NULL;
        if (http(h, d, "GET", "/api/v1/orders", t->token, NULL, &mine) == 200 &&
            json_array_size(mine) > 0) {
            json_t *o = json_array_get(mine, rnd(rs) % json_array_size(mine));
            snprintf(path, sizeof path, "/api/v1/orders/%lld",
                     (long long)json_integer_value(json_object_get(o, "order_id")));
            http(h, d, "DELETE", path, t->token, NULL, NULL);
        }
        json_decref(mine);
    }
    json_decref(depth);
}

static int load_markets(CURL *h, demo_traders *d, market_view *mv, int cap)
{
    json_t *list = NULL;
    int n = 0;
    if (http(h, d, "GET", "/api/v1/instruments", NULL, NULL, &list) == 200 && list) {
        for (size_t i = 0; i < json_array_size(list) && n < cap; i++) {
            json_t *in = json_array_get(list, i);
            const char *code = json_string_value(json_object_get(in, "code"));
            if (!code) continue;
            snprintf(mv[n].code, sizeof mv[n].code, "%s", code);
            mv[n].lower = parse_price(json_object_get(in, "lower"));
            mv[n].upper = parse_price(json_object_get(in, "upper"));
            mv[n].mid = parse_price(json_object_get(in, "prev_close"));
            if (mv[n].lower > 0 && mv[n].upper > mv[n].lower + 60) n++;
        }
    }
    json_decref(list);
    return n;
}

typedef struct thread_arg {
    demo_traders *d;
    int index;
} thread_arg;

static void *trader_thread(void *arg)
{
    thread_arg *a = arg;
    demo_traders *d = a->d;
    uint64_t rs = d->seed + (uint64_t)a->index * 7919;
    CURL *h = curl_easy_init();
    market_view mv[CETS_MAX_INSTRUMENTS];
    int nm = 0;
    for (int tries = 0; !d->stop && nm == 0 && tries < 100; tries++) {
        nm = load_markets(h, d, mv, CETS_MAX_INSTRUMENTS);
        if (!nm) nanosleep(&(struct timespec){0, 200000000}, NULL);
    }
    for (int i = a->index; i < d->ntraders && !d->stop; i += d->nth)
        if (login(h, d, &d->t[i]) != 0)
            log_warn("demo", "msg=\"trader cannot log in\" user=%s", log_q(d->t[i].user));
    long pause_ns = (long)(1e9 * d->nth / d->rate);
    while (!d->stop && nm > 0) {
        int ti = a->index + d->nth * (int)(rnd(&rs) % (d->ntraders / d->nth));
        if (a->index == 0) auctioneer(d);
        step(h, d, ti, &mv[rnd(&rs) % (uint64_t)nm], &rs);
        nanosleep(&(struct timespec){pause_ns / 1000000000, pause_ns % 1000000000}, NULL);
    }
    curl_easy_cleanup(h);
    free(a);
    return NULL;
}

/* Traders are participants "Demo Trader NN" with users traderNN; their
 * passwords derive from the seed so a restart can log in again. */
static int seed_traders(demo_traders *d)
{
    server *s = d->s;
    const cets_engine *e = core_read_begin(s->core);
    uint32_t np = cets_participant_count(e), ni = cets_instrument_count(e), found = 0;
    for (uint32_t p = 1; p <= np; p++) {
        cets_participant_info pi;
        cets_participant_get(e, p, &pi);
        if (strncmp(pi.name, "Demo Trader ", 12) == 0 && found < (uint32_t)d->ntraders)
            d->t[found++].pid = p;
    }
    core_read_end(s->core);
    for (int i = 0; i < d->ntraders; i++) {
        snprintf(d->t[i].user, sizeof d->t[i].user, "trader%02d", i + 1);
        snprintf(d->t[i].password, sizeof d->t[i].password, "demo-%016llx-%02d",
                 (unsigned long long)d->seed, i + 1);
    }
    for (uint32_t i = found; i < (uint32_t)d->ntraders; i++) {
        cets_cmd c = {.type = CETS_CMD_PARTICIPANT_ADD,
                      .actor = CETS_EXCHANGE_ID,
                      .aux = i % 4 == 3 ? CETS_PK_INSTITUTION : CETS_PK_ENTITY};
        snprintf(c.u.text, sizeof c.u.text, "Demo Trader %02u", i + 1);
        cets_result r;
        if (core_submit(s->core, &c, &r) != CETS_OK) return -1;
        d->t[i].pid = r.id;
        cets_cmd dep = {.type = CETS_CMD_DEPOSIT,
                        .actor = CETS_EXCHANGE_ID,
                        .participant = r.id,
                        .qty = 50000000000LL}; /* 500 million CNY: blocks are of tens of millions */
        if (core_submit(s->core, &dep, NULL) != CETS_OK) return -1;
        for (uint32_t k = 0; k < ni; k++) {
            cets_cmd cr = {.type = CETS_CMD_HOLDING_CREDIT,
                           .actor = CETS_EXCHANGE_ID,
                           .participant = r.id,
                           .instrument = k,
                           .qty = 2000000};
            if (core_submit(s->core, &cr, NULL) != CETS_OK) return -1;
        }
    }
    char err[256];
    for (int i = 0; i < d->ntraders; i++)
        if (auth_user_put(s->auth, d->t[i].user, d->t[i].password, d->t[i].pid,
                          ROLE_VIEW | ROLE_TRADE, err, sizeof err) != 0) {
            log_error("demo", "msg=\"cannot create trader user\" error=%s", log_q(err));
            return -1;
        }
    return 0;
}

demo_traders *demo_traders_start(server *s, int ntraders, double rate, uint64_t seed)
{
    demo_traders *d = calloc(1, sizeof *d);
    if (!d) return NULL;
    d->s = s;
    pthread_mutex_init(&d->mu, NULL);
    d->ntraders = ntraders < NTHREADS ? NTHREADS : ntraders > MAXTRADERS ? MAXTRADERS : ntraders;
    d->rate = rate > 0 ? rate : 20;
    d->seed = seed ? seed : 20210716;
    const char *colon = strrchr(s->cfg.listen, ':');
    snprintf(d->base, sizeof d->base, "http://127.0.0.1:%s", colon ? colon + 1 : "8080");
    if (seed_traders(d) != 0) {
        free(d);
        return NULL;
    }
    d->nth = NTHREADS;
    for (int i = 0; i < NTHREADS; i++) {
        thread_arg *a = malloc(sizeof *a);
        if (!a) break;
        *a = (thread_arg){d, i};
        if (pthread_create(&d->th[i], NULL, trader_thread, a) != 0) {
            free(a);
            d->nth = i;
            break;
        }
    }
    log_info("demo", "msg=\"simulated traders started\" traders=%d threads=%d rate=%.0f/s",
             d->ntraders, d->nth, d->rate);
    return d;
}

void demo_traders_stop(demo_traders *d)
{
    if (!d) return;
    d->stop = 1;
    for (int i = 0; i < d->nth; i++) pthread_join(d->th[i], NULL);
    pthread_mutex_destroy(&d->mu);
    free(d);
}
