/* test_api.c -- cetsd's HTTP/JSON API (docs/api.md) end to end.
 *
 * A real server on 127.0.0.1 with a fresh data directory, driven through
 * libcurl. The warranty: every endpoint answers its documented shape; engine
 * rejections come back 422 with the engine's reason; bad input (syntax,
 * types, unknown fields, sizes, money strings) is refused with a 4xx that
 * names the problem and changes nothing (the state hash and the sequence
 * number in /healthz stay the same); a client_order_id makes a retry
 * idempotent, also across a restart; a graceful stop (SIGTERM) and a restart
 * keep everything.
 *
 * Authorisation per role and endpoint is tested in test_auth (the auth
 * helper's); here the users have the roles the calls need.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <curl/curl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/server/config.h"
#include "../src/server/http.h"
#include "../src/server/service.h"
#include "tserver.h"

typedef struct fx {
    tserver t;
    char *alice, *bob, *carol; /* tokens */
    long long pa, pb, pc;      /* their participants */
} fx;

static fx F;

/* ---- helpers ----------------------------------------------------------------- */

static json_t *post(const char *path, const char *token, long status, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static json_t *post(const char *path, const char *token, long status, const char *fmt, ...)
{
    char body[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(body, sizeof body, fmt, ap);
    va_end(ap);
    return ts_expect(&F.t, "POST", path, token, body, status);
}

static json_t *get(const char *path, const char *token, long status)
{
    return ts_expect(&F.t, "GET", path, token, NULL, status);
}

/* Expect an error answer: status, "error" name and the field it names (or NULL). */
static void expect_error(const char *method, const char *path, const char *token, const char *body,
                         long status, const char *error, const char *field)
{
    tresp r;
    ts_req(&F.t, method, path, token, body, &r);
    if (r.status != status || strcmp(tj_str(r.json, "error"), error) != 0)
        fail_msg("%s %s %.80s: got %ld %s, want %ld %s", method, path, body ? body : "", r.status,
                 r.body, status, error);
    assert_true(tj_int(r.json, "code") > 0);
    assert_true(strlen(tj_str(r.json, "message")) > 0);
    if (field) assert_string_equal(tj_str(r.json, "field"), field);
    tresp_free(&r);
}

static long long create_participant(const char *kind, const char *name)
{
    json_t *p = post("/api/v1/admin/participants", F.t.admin, 201,
                     "{\"kind\":\"%s\",\"name\":\"%s\"}", kind, name);
    long long id = tj_int(p, "participant");
    assert_true(id > 1);
    assert_string_equal(tj_str(p, "kind"), kind);
    json_decref(p);
    return id;
}

static void deposit(long long pid, const char *amount)
{
    json_decref(post("/api/v1/admin/deposits", F.t.admin, 200,
                     "{\"participant\":%lld,\"amount\":\"%s\"}", pid, amount));
}

static void credit(long long pid, const char *code, long long qty)
{
    json_decref(post("/api/v1/admin/credits", F.t.admin, 200,
                     "{\"participant\":%lld,\"code\":\"%s\",\"qty\":%lld}", pid, code, qty));
}

static void add_instrument(const char *code, const char *product, const char *matching,
                           const char *prev)
{
    json_t *in =
        post("/api/v1/admin/instruments", F.t.admin, 201,
             "{\"code\":\"%s\",\"product\":\"%s\",\"matching\":\"%s\",\"prev_close\":\"%s\"}", code,
             product, matching, prev);
    assert_string_equal(tj_str(in, "code"), code);
    assert_string_equal(tj_str(in, "matching"), matching);
    assert_string_equal(tj_str(in, "prev_close"), prev);
    json_decref(in);
}

/* /healthz: the state hash and the last sequence number. */
static void health(char hash[32], long long *seq)
{
    json_t *h = get("/healthz", NULL, 200);
    assert_string_equal(tj_str(h, "status"), "ok");
    snprintf(hash, 32, "%s", tj_str(h, "state_hash"));
    assert_int_equal(strlen(hash), 16);
    *seq = tj_int(h, "seq");
    json_decref(h);
}

static long long post_order(const char *token, const char *code, const char *side,
                            const char *price, long long qty, long status)
{
    json_t *o = post("/api/v1/orders", token, status,
                     "{\"code\":\"%s\",\"side\":\"%s\",\"price\":\"%s\",\"qty\":%lld}", code, side,
                     price, qty);
    long long id = tj_int(o, "order_id");
    json_decref(o);
    return id;
}

/* ---- the market every server test starts from ----------------------------- */

static int server_setup(void **state)
{
    (void)state;
    memset(&F, 0, sizeof F);
    ts_start(&F.t, NULL, NULL);
    add_instrument("CEA25", "CEA", "listing", "74.60");
    add_instrument("CEA24", "CEA", "listing", "73.80");
    add_instrument("CCER", "CCER", "listing", "85.00");
    add_instrument("CEAC", "CEA", "continuous", "74.00");
    F.pa = create_participant("entity", "Alpha Power");
    F.pb = create_participant("entity", "Beta Steel");
    F.pc = create_participant("individual", "Carol Chen");
    deposit(F.pa, "1000000.00");
    deposit(F.pb, "1000000.00");
    deposit(F.pc, "1000000");
    credit(F.pa, "CEA25", 10000);
    credit(F.pa, "CEA24", 10000);
    credit(F.pa, "CEAC", 10000);
    credit(F.pb, "CEA25", 1000);
    credit(F.pc, "CCER", 1000);
    ts_user(&F.t, "alice", "alice-password", (uint32_t)F.pa, "view,trade,funds");
    ts_user(&F.t, "bob", "bob-password", (uint32_t)F.pb, "view,trade");
    ts_user(&F.t, "carol", "carol-password", (uint32_t)F.pc, "view");
    F.alice = ts_login(&F.t, "alice", "alice-password");
    F.bob = ts_login(&F.t, "bob", "bob-password");
    F.carol = ts_login(&F.t, "carol", "carol-password");
    return 0;
}

static int server_teardown(void **state)
{
    (void)state;
    ts_stop(&F.t);
    ts_rmtree(F.t.dir);
    free(F.alice);
    free(F.bob);
    free(F.carol);
    return 0;
}

/* ---- market data -------------------------------------------------------------- */

static void test_market_data(void **state)
{
    (void)state;
    json_t *m = get("/api/v1/market", NULL, 200);
    assert_string_equal(tj_str(m, "session"), "open"); /* sessions not enforced in tests */
    assert_int_equal(strlen(tj_str(m, "date")), 10);
    assert_true(json_array_size(json_object_get(m, "instruments")) >= 4);
    /* composite: mean of the CEA closes (74.60, 73.80, 74.00) = 74.13 */
    assert_string_equal(tj_str(m, "composite"), "74.13");
    json_decref(m);

    json_t *a = get("/api/v1/instruments", NULL, 200);
    assert_true(json_is_array(a) && json_array_size(a) >= 4);
    json_decref(a);

    json_t *in = get("/api/v1/instruments/CEA25", NULL, 200);
    assert_string_equal(tj_str(in, "product"), "CEA");
    assert_string_equal(tj_str(in, "status"), "open");
    assert_string_equal(tj_str(in, "lower"), "67.14"); /* ceil(74.60 x 0.9) */
    assert_string_equal(tj_str(in, "upper"), "82.06"); /* floor(74.60 x 1.1) */
    assert_true(json_is_null(json_object_get(in, "last")));
    const char *keys[] = {
        "id",       "code",         "matching",       "prev_close",     "open",
        "high",     "low",          "close",          "change_pct",     "volume",
        "turnover", "block_volume", "block_turnover", "auction_volume", "auction_turnover",
        "trades"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        assert_non_null(json_object_get(in, keys[i]));
    json_decref(in);

    expect_error("GET", "/api/v1/instruments/NOPE", NULL, NULL, 404, "unknown_instrument", NULL);
    expect_error("GET", "/api/v1/instruments/CEA25/nothing", NULL, NULL, 404, "not_found", NULL);
    expect_error("GET", "/api/v1/no-such-thing", NULL, NULL, 404, "not_found", NULL);
    expect_error("GET", "/api/v1/instruments/CEA25/bars?interval=5m", NULL, NULL, 400, "bad_field",
                 "interval");
    expect_error("GET", "/api/v1/instruments/CEA25/trades?limit=0", NULL, NULL, 400, "bad_field",
                 "limit");
    expect_error("POST", "/api/v1/market", NULL, "{}", 405, "method_not_allowed", NULL);

    json_t *d = get("/api/v1/instruments/CCER/depth", NULL, 200);
    assert_string_equal(tj_str(d, "code"), "CCER");
    assert_true(json_is_array(json_object_get(d, "bids")) &&
                json_is_array(json_object_get(d, "asks")));
    json_decref(d);
}

/* ---- the listing flow: post, take (named and by quantity), modify, cancel ---- */

static void test_listing_flow(void **state)
{
    (void)state;
    long long ask = post_order(F.alice, "CEA25", "sell", "75.00", 100, 201);
    json_t *d = get("/api/v1/instruments/CEA25/depth", NULL, 200);
    json_t *lv = json_array_get(json_object_get(d, "asks"), 0);
    assert_string_equal(tj_str(lv, "price"), "75.00");
    assert_int_equal(tj_int(lv, "qty"), 100);
    assert_int_equal(tj_int(lv, "count"), 1);
    assert_int_equal(tj_int(json_array_get(json_object_get(lv, "orders"), 0), "order_id"), ask);
    json_decref(d);

    /* take naming the listing */
    json_t *t = post(
        "/api/v1/takes", F.bob, 201,
        "{\"code\":\"CEA25\",\"side\":\"buy\",\"targets\":[{\"order_id\":%lld,\"qty\":40}]}", ask);
    assert_string_equal(tj_str(t, "status"), "filled");
    assert_int_equal(tj_int(t, "filled_qty"), 40);
    assert_string_equal(tj_str(t, "filled_value"), "3000.00");
    assert_int_equal(tj_int(t, "trades"), 1);
    json_decref(t);
    /* take by quantity and limit */
    t = post("/api/v1/takes", F.bob, 201,
             "{\"code\":\"CEA25\",\"side\":\"buy\",\"qty\":10,\"limit\":\"75.00\"}");
    assert_int_equal(tj_int(t, "filled_qty"), 10);
    assert_int_equal(tj_int(t, "resting_qty"), 0);
    json_decref(t);

    json_t *tape = get("/api/v1/instruments/CEA25/trades?limit=10", NULL, 200);
    assert_int_equal(json_array_size(tape), 2);
    json_t *newest = json_array_get(tape, 0);
    assert_int_equal(tj_int(newest, "qty"), 10);
    assert_string_equal(tj_str(newest, "aggressor"), "buy");
    assert_string_equal(tj_str(newest, "price"), "75.00");
    assert_null(json_object_get(newest, "buyer")); /* market data names no participant */
    json_decref(tape);
    tape = get("/api/v1/instruments/CEA25/trades?limit=1", NULL, 200);
    assert_int_equal(json_array_size(tape), 1);
    json_decref(tape);

    json_t *bars = get("/api/v1/instruments/CEA25/bars?interval=1m", NULL, 200);
    long long vol = 0;
    for (size_t i = 0; i < json_array_size(bars); i++)
        vol += tj_int(json_array_get(bars, i), "volume");
    assert_int_equal(vol, 50);
    assert_string_equal(tj_str(json_array_get(bars, 0), "open"), "75.00");
    json_decref(bars);

    json_t *in = get("/api/v1/instruments/CEA25", NULL, 200);
    assert_string_equal(tj_str(in, "last"), "75.00");
    assert_int_equal(tj_int(in, "volume"), 50);
    assert_string_equal(tj_str(in, "turnover"), "3750.00");
    json_decref(in);

    /* bob paid 3750.00 + fee 0.05% = 1.88 (1.50 + 0.38, per order); bought is locked (T+1) */
    json_t *acct = get("/api/v1/account", F.bob, 200);
    assert_string_equal(tj_str(acct, "available"), "996248.12");
    assert_string_equal(tj_str(acct, "frozen"), "0.00");
    json_t *h = json_array_get(json_object_get(acct, "holdings"), 0);
    assert_string_equal(tj_str(h, "code"), "CEA25");
    assert_int_equal(tj_int(h, "locked"), 50);
    json_decref(acct);

    json_t *fills = get("/api/v1/fills", F.alice, 200);
    assert_int_equal(json_array_size(fills), 2);
    json_t *f0 = json_array_get(fills, 0);
    assert_string_equal(tj_str(f0, "side"), "sell");
    assert_string_equal(tj_str(f0, "liquidity"), "maker");
    assert_int_equal(tj_int(f0, "order_id"), ask);
    assert_non_null(json_object_get(f0, "fee"));
    json_decref(fills);

    json_t *orders = get("/api/v1/orders", F.alice, 200);
    assert_int_equal(json_array_size(orders), 1);
    assert_int_equal(tj_int(json_array_get(orders, 0), "qty"), 50);
    assert_int_equal(tj_int(json_array_get(orders, 0), "filled_qty"), 50);
    json_decref(orders);
    char path[64];
    snprintf(path, sizeof path, "/api/v1/orders/%lld", ask);
    json_t *one = get(path, F.alice, 200);
    assert_string_equal(tj_str(one, "side"), "sell");
    assert_string_equal(tj_str(one, "code"), "CEA25");
    json_decref(one);
    expect_error("GET", path, F.bob, NULL, 404, "not_found", NULL); /* not bob's */

    json_t *m = ts_expect(&F.t, "PATCH", path, F.alice, "{\"price\":\"75.50\",\"qty\":30}", 200);
    assert_string_equal(tj_str(m, "status"), "resting");
    assert_int_equal(tj_int(m, "resting_qty"), 30);
    json_decref(m);
    m = ts_expect(&F.t, "PATCH", path, F.alice, "{\"qty\":20}", 200); /* price stays */
    json_decref(m);
    one = get(path, F.alice, 200);
    assert_string_equal(tj_str(one, "price"), "75.50");
    assert_int_equal(tj_int(one, "qty"), 20);
    json_decref(one);

    json_t *c = ts_expect(&F.t, "DELETE", path, F.alice, NULL, 200);
    assert_string_equal(tj_str(c, "status"), "cancelled");
    json_decref(c);
    expect_error("GET", path, F.alice, NULL, 404, "not_found", NULL);
    acct = get("/api/v1/account", F.alice, 200);
    assert_int_equal(tj_int(json_array_get(json_object_get(acct, "holdings"), 0), "frozen"), 0);
    json_decref(acct);
}

/* ---- continuous mode ------------------------------------------------------------ */

static void test_continuous(void **state)
{
    (void)state;
    long long sell = post_order(F.alice, "CEAC", "sell", "74.00", 10, 201);
    json_t *o =
        post("/api/v1/orders", F.bob, 201,
             "{\"code\":\"CEAC\",\"side\":\"buy\",\"price\":\"74.50\",\"qty\":15,\"tif\":\"day\"}");
    assert_string_equal(tj_str(o, "status"), "resting");
    assert_int_equal(tj_int(o, "filled_qty"), 10);
    assert_int_equal(tj_int(o, "resting_qty"), 5);
    assert_string_equal(tj_str(o, "filled_value"), "740.00"); /* at the resting price */
    long long bid = tj_int(o, "order_id");
    json_decref(o);
    o = post("/api/v1/orders", F.alice, 201,
             "{\"code\":\"CEAC\",\"side\":\"sell\",\"price\":\"74.60\",\"qty\":5,\"tif\":\"ioc\"}");
    assert_string_equal(tj_str(o, "status"), "done"); /* nothing at 74.60: IOC leaves */
    assert_int_equal(tj_int(o, "filled_qty"), 0);
    json_decref(o);
    expect_error("POST", "/api/v1/takes", F.bob,
                 "{\"code\":\"CEAC\",\"side\":\"buy\",\"targets\":[{\"order_id\":1,\"qty\":1}]}",
                 422, "wrong_mode", NULL);
    char path[64];
    snprintf(path, sizeof path, "/api/v1/orders/%lld", bid);
    json_decref(ts_expect(&F.t, "DELETE", path, F.bob, NULL, 200));
    (void)sell;
}

/* ---- POST /api/v1/orders/batch ------------------------------------------------ */

/* A batch body of n orders "{...}" made by fmt(i) into a malloc'd string. */
static char *batch_body(int n, const char *price, const char *coid_prefix)
{
    size_t cap = (size_t)n * 128 + 64, len = 0;
    char *b = malloc(cap);
    len += (size_t)snprintf(b + len, cap - len, "{\"orders\":[");
    for (int i = 0; i < n; i++) {
        char coid[48] = "";
        if (coid_prefix)
            snprintf(coid, sizeof coid, ",\"client_order_id\":\"%s%d\"", coid_prefix, i);
        len +=
            (size_t)snprintf(b + len, cap - len,
                             "%s{\"code\":\"CEAC\",\"side\":\"buy\",\"price\":\"%s\",\"qty\":1%s}",
                             i ? "," : "", price, coid);
    }
    snprintf(b + len, cap - len, "]}");
    return b;
}

/* 1,000 orders are accepted, each answered in the order given, all in one
 * journal batch; 1,001 are refused whole; bad entries are answered on their
 * own and the others go through. */
static void test_orders_batch(void **state)
{
    (void)state;
    char h0[32], h1[32];
    long long s0, s1;
    health(h0, &s0);
    core_stats c0, c1;
    core_get_stats(F.t.s.core, &c0);
    char *body = batch_body(1000, "70.00", NULL);
    json_t *a = ts_expect(&F.t, "POST", "/api/v1/orders/batch", F.alice, body, 200);
    free(body);
    core_get_stats(F.t.s.core, &c1);
    assert_int_equal(tj_int(a, "orders"), 1000);
    assert_int_equal(tj_int(a, "accepted"), 1000);
    assert_int_equal(tj_int(a, "refused"), 0);
    json_t *res = json_object_get(a, "results");
    assert_int_equal(json_array_size(res), 1000);
    long long prev = 0;
    for (size_t i = 0; i < 1000; i++) {
        json_t *e = json_array_get(res, i);
        assert_int_equal(tj_int(e, "index"), (long long)i);
        assert_int_equal(tj_int(e, "http_status"), 201);
        assert_true(tj_int(e, "order_id") > prev); /* in the order given */
        prev = tj_int(e, "order_id");
        assert_int_equal(tj_int(e, "resting_qty"), 1);
        assert_string_equal(tj_str(e, "status"), "resting"); /* the order's, as POST /orders */
    }
    json_decref(a);
    health(h1, &s1);
    assert_int_equal(s1 - s0, 1000);
    assert_int_equal(c1.applied - c0.applied, 1000);
    assert_int_equal(c1.batches - c0.batches, 1); /* one journal batch */

    /* 1,001: refused, nothing submitted */
    body = batch_body(1001, "70.00", NULL);
    tresp r;
    ts_req(&F.t, "POST", "/api/v1/orders/batch", F.alice, body, &r);
    free(body);
    assert_int_equal(r.status, 413);
    assert_string_equal(tj_str(r.json, "error"), "too_large");
    assert_non_null(strstr(tj_str(r.json, "message"), "at most 1000 orders"));
    tresp_free(&r);
    health(h0, &s0);
    assert_int_equal(s0, s1);
    assert_string_equal(h0, h1);

    /* bad entries, each answered on its own; the good ones are submitted */
    json_t *m =
        post("/api/v1/orders/batch", F.alice, 200,
             "{\"orders\":["
             "{\"code\":\"CEAC\",\"side\":\"buy\",\"price\":\"70.00\",\"qty\":2},"
             "{\"code\":\"CEAC\",\"side\":\"buy\",\"price\":\"7x\",\"qty\":2},"
             "{\"code\":\"CEAC\",\"side\":\"buy\",\"price\":\"70.00\",\"qty\":2,\"colour\":1},"
             "{\"code\":\"CEAC\",\"side\":\"buy\",\"price\":\"99.00\",\"qty\":2},"
             "{\"code\":\"CEAC\",\"side\":\"buy\",\"price\":\"70.00\",\"qty\":2,\"client_order_"
             "id\":\"bx-1\"},"
             "{\"code\":\"CEAC\",\"side\":\"buy\",\"price\":\"70.00\",\"qty\":2,\"client_order_"
             "id\":\"bx-1\"},"
             "7,"
             "{\"code\":\"NOPE\",\"side\":\"buy\",\"price\":\"70.00\",\"qty\":2}"
             "]}");
    assert_int_equal(tj_int(m, "orders"), 8);
    assert_int_equal(tj_int(m, "accepted"), 2);
    assert_int_equal(tj_int(m, "refused"), 6);
    res = json_object_get(m, "results");
    static const struct {
        long status;
        const char *error, *field;
    } want[] = {{201, NULL, NULL},
                {400, "bad_field", "price"},
                {400, "unknown_field", "orders[2].colour"},
                {422, "price_out_of_band", NULL},
                {201, NULL, NULL},
                {409, "duplicate_request", NULL},
                {400, "bad_field", "orders"},
                {422, "unknown_instrument", NULL}};
    for (size_t i = 0; i < 8; i++) {
        json_t *e = json_array_get(res, i);
        if (tj_int(e, "http_status") != want[i].status)
            fail_msg("entry %zu: %s", i, json_dumps(e, 0));
        assert_int_equal(tj_int(e, "index"), (long long)i);
        if (want[i].error)
            assert_string_equal(tj_str(e, "error"), want[i].error);
        else
            assert_true(tj_int(e, "order_id") > 0);
        if (want[i].field) assert_string_equal(tj_str(e, "field"), want[i].field);
    }
    assert_string_equal(tj_str(json_array_get(res, 4), "client_order_id"), "bx-1");
    json_decref(m);
    health(h1, &s1);
    assert_int_equal(s1 - s0, 3); /* the two accepted and the one out of the band */
    /* the same client_order_id again: the first answer, replayed */
    m = post("/api/v1/orders/batch", F.alice, 200,
             "{\"orders\":[{\"code\":\"CEAC\",\"side\":\"buy\",\"price\":\"70.00\",\"qty\":2,"
             "\"client_order_id\":\"bx-1\"}]}");
    json_t *e = json_array_get(json_object_get(m, "results"), 0);
    assert_int_equal(tj_int(e, "http_status"), 200);
    assert_string_equal(tj_str(e, "client_order_id"), "bx-1");
    json_decref(m);
    health(h0, &s0);
    assert_int_equal(s0, s1);

    /* the batch itself: its shape, the caller's role, the body's size */
    expect_error("POST", "/api/v1/orders/batch", F.alice, "{\"orders\":[]}", 400, "bad_field",
                 "orders");
    expect_error("POST", "/api/v1/orders/batch", F.alice, "{\"orders\":{}}", 400, "bad_field",
                 "orders");
    expect_error("POST", "/api/v1/orders/batch", F.alice, "{\"order\":[]}", 400, "unknown_field",
                 "order");
    expect_error("POST", "/api/v1/orders/batch", F.carol, "{\"orders\":[]}", 403, "forbidden",
                 NULL);
    expect_error("GET", "/api/v1/orders/batch", F.alice, NULL, 405, "method_not_allowed", NULL);
    size_t big = (size_t)F.t.s.cfg.batch_max_body;
    body = malloc(big + 2);
    char *inner = batch_body(1, "70.00", NULL);
    size_t il = strlen(inner);
    for (int past = 0; past <= 1; past++) { /* at the limit, then one byte past it */
        memcpy(body, inner, il - 1);
        memset(body + il - 1, ' ', big + (size_t)past - il);
        body[big + (size_t)past - 1] = '}';
        body[big + (size_t)past] = 0;
        ts_req(&F.t, "POST", "/api/v1/orders/batch", F.alice, body, &r);
        assert_int_equal(r.status, past ? 413 : 200);
        tresp_free(&r);
    }
    free(inner);
    free(body);
    health(h1, &s1);
    assert_int_equal(s1 - s0, 1);
}

/* ---- engine rejections: 422 with the reason ------------------------------------- */

static void test_rejections(void **state)
{
    (void)state;
    long long ask = post_order(F.alice, "CEA24", "sell", "74.00", 100, 201);
    struct {
        const char *token, *body, *reason;
        long long code;
    } cases[] = {
        {F.alice, "{\"code\":\"CEA24\",\"side\":\"sell\",\"price\":\"90.00\",\"qty\":1}",
         "price_out_of_band", 401},
        {F.alice, "{\"code\":\"CEA24\",\"side\":\"sell\",\"price\":\"74.00\",\"qty\":100000}",
         "qty_out_of_range", 402},
        {F.alice, "{\"code\":\"CEA24\",\"side\":\"sell\",\"price\":\"74.00\",\"qty\":0}",
         "qty_out_of_range", 402},
        {F.bob, "{\"code\":\"CEA24\",\"side\":\"buy\",\"price\":\"74.50\",\"qty\":1}",
         "crossing_post", 701},
        {F.bob, "{\"code\":\"CEA24\",\"side\":\"sell\",\"price\":\"75.00\",\"qty\":1}",
         "insufficient_holdings", 501},
        {F.bob, "{\"code\":\"CEA25\",\"side\":\"sell\",\"price\":\"75.00\",\"qty\":1001}",
         "t1_locked", 502},
        {F.bob, "{\"code\":\"CEA24\",\"side\":\"buy\",\"price\":\"73.00\",\"qty\":99999}",
         "insufficient_funds", 500},
        {F.carol, "{\"code\":\"CEA24\",\"side\":\"buy\",\"price\":\"73.00\",\"qty\":1}", NULL,
         0}, /* 403: view only */
        {F.alice, "{\"code\":\"NOPE\",\"side\":\"buy\",\"price\":\"73.00\",\"qty\":1}",
         "unknown_instrument", 300},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (!cases[i].reason) {
            expect_error("POST", "/api/v1/orders", cases[i].token, cases[i].body, 403, "forbidden",
                         NULL);
            continue;
        }
        tresp r;
        ts_req(&F.t, "POST", "/api/v1/orders", cases[i].token, cases[i].body, &r);
        if (r.status != 422 || strcmp(tj_str(r.json, "error"), cases[i].reason) != 0 ||
            tj_int(r.json, "code") != cases[i].code)
            fail_msg("case %zu: %ld %s, want 422 %s", i, r.status, r.body, cases[i].reason);
        tresp_free(&r);
    }
    char body[256];
    snprintf(body, sizeof body,
             "{\"code\":\"CEA24\",\"side\":\"buy\",\"targets\":[{\"order_id\":%lld,\"qty\":1}]}",
             ask);
    expect_error("POST", "/api/v1/takes", F.alice, body, 422, "self_trade", NULL);
    snprintf(body, sizeof body,
             "{\"code\":\"CEA24\",\"side\":\"buy\",\"targets\":[{\"order_id\":%lld,\"qty\":101}]}",
             ask);
    expect_error("POST", "/api/v1/takes", F.bob, body, 422, "target_qty", NULL);
    expect_error("POST", "/api/v1/takes", F.bob,
                 "{\"code\":\"CEA24\",\"side\":\"buy\",\"qty\":10,\"limit\":\"73.00\"}", 422,
                 "no_liquidity", NULL);
    char nine[512] = "{\"code\":\"CEA24\",\"side\":\"buy\",\"targets\":[";
    for (int i = 0; i < 9; i++)
        snprintf(nine + strlen(nine), sizeof nine - strlen(nine), "%s{\"order_id\":%d,\"qty\":1}",
                 i ? "," : "", i + 1);
    strcat(nine, "]}");
    expect_error("POST", "/api/v1/takes", F.bob, nine, 422, "too_many_targets", NULL);
    char path[64];
    snprintf(path, sizeof path, "/api/v1/orders/%lld", ask);
    expect_error("DELETE", path, F.bob, NULL, 422, "not_owner", NULL);
    expect_error("PATCH", path, F.alice, "{\"price\":\"74.00\",\"qty\":100}", 422,
                 "nothing_changed", NULL);
    expect_error("DELETE", "/api/v1/orders/999999", F.alice, NULL, 422, "unknown_order", NULL);
    expect_error("DELETE", "/api/v1/orders/abc", F.alice, NULL, 404, "not_found", NULL);
    expect_error("POST", "/api/v1/withdrawals", F.alice, "{\"amount\":\"99999999.00\"}", 422,
                 "insufficient_funds", NULL);
    expect_error("POST", "/api/v1/admin/instruments", F.t.admin,
                 "{\"code\":\"CEA25\",\"product\":\"CEA\",\"prev_close\":\"70.00\"}", 422,
                 "duplicate_instrument", NULL);
    expect_error("POST", "/api/v1/admin/instruments", F.t.admin,
                 "{\"code\":\"AB-1\",\"product\":\"CEA\",\"prev_close\":\"70.00\"}", 422,
                 "bad_code", NULL);
    json_decref(ts_expect(&F.t, "DELETE", path, F.alice, NULL, 200));
}

/* ---- bad input: refused with a reason, nothing changes ----------------------------- */

typedef struct bad_case {
    const char *method, *path, *body;
    long status;
    const char *error, *field;
} bad_case;

static void test_bad_input_changes_nothing(void **state)
{
    (void)state;
    char h0[32], h1[32];
    long long s0, s1;
    health(h0, &s0);
    json_t *acct0 = get("/api/v1/account", F.alice, 200);
    json_t *depth0 = get("/api/v1/instruments/CEA25/depth", NULL, 200);
    const bad_case cases[] = {
        {"POST", "/api/v1/orders", "{", 400, "bad_json", NULL},
        {"POST", "/api/v1/orders", "", 400, "bad_json", NULL},
        {"POST", "/api/v1/orders", "[1,2]", 400, "bad_json", NULL},
        {"POST", "/api/v1/orders", "null", 400, "bad_json", NULL},
        {"POST", "/api/v1/orders", "{\"code\":\"CEA25\",}", 400, "bad_json", NULL},
        {"POST", "/api/v1/orders", "{\"qty\":1,\"qty\":2}", 400, "bad_json", NULL},
        {"POST", "/api/v1/orders", "{\"code\":\"CEA25\"} trailing", 400, "bad_json", NULL},
        {"POST", "/api/v1/orders",
         "{\"code\":\"CEA25\",\"side\":\"sell\",\"price\":\"75.00\",\"qty\":1,\"colour\":\"red\"}",
         400, "unknown_field", "colour"},
        {"POST", "/api/v1/orders",
         "{\"code\":\"CEA25\",\"side\":\"sell\",\"price\":\"75.00\",\"qty\":\"1\"}", 400,
         "bad_field", "qty"},
        {"POST", "/api/v1/orders",
         "{\"code\":\"CEA25\",\"side\":\"sell\",\"price\":\"75.00\",\"qty\":1.5}", 400, "bad_field",
         "qty"},
        {"POST", "/api/v1/orders",
         "{\"code\":\"CEA25\",\"side\":\"sell\",\"price\":75.00,\"qty\":1}", 400, "bad_field",
         "price"},
        {"POST", "/api/v1/orders",
         "{\"code\":\"CEA25\",\"side\":\"short\",\"price\":\"75.00\",\"qty\":1}", 400, "bad_field",
         "side"},
        {"POST", "/api/v1/orders", "{\"code\":\"CEA25\",\"side\":1,\"price\":\"75.00\",\"qty\":1}",
         400, "bad_field", "side"},
        {"POST", "/api/v1/orders",
         "{\"code\":\"CEA25\",\"side\":\"sell\",\"price\":\"75.00\",\"qty\":1,\"tif\":\"gtc\"}",
         400, "bad_field", "tif"},
        {"POST", "/api/v1/orders", "{\"code\":7,\"side\":\"sell\",\"price\":\"75.00\",\"qty\":1}",
         400, "bad_field", "code"},
        {"POST", "/api/v1/orders", "{\"side\":\"sell\",\"price\":\"75.00\",\"qty\":1}", 400,
         "bad_field", "code"},
        {"POST", "/api/v1/orders",
         "{\"code\":\"CEA25\",\"side\":\"sell\",\"price\":\"75.00\",\"qty\":1,\"client_order_id\":"
         "\"\"}",
         400, "bad_field", "client_order_id"},
        {"POST", "/api/v1/orders",
         "{\"code\":\"CEA25\",\"side\":\"sell\",\"price\":\"75.00\",\"qty\":1,\"client_order_id\":"
         "\"has space\"}",
         400, "bad_field", "client_order_id"},
        {"POST", "/api/v1/orders",
         "{\"code\":\"CEA25\",\"side\":\"sell\",\"price\":\"75.00\",\"qty\":1,\"client_order_id\":"
         "\"123456789012345678901234567890123\"}",
         400, "bad_field", "client_order_id"},
        {"POST", "/api/v1/orders",
         "{\"code\":\"CEA25\",\"side\":\"sell\",\"price\":\"75.00\",\"qty\":1,\"client_order_id\":"
         "42}",
         400, "bad_field", "client_order_id"},
        {"POST", "/api/v1/takes",
         "{\"code\":\"CEA25\",\"side\":\"buy\",\"targets\":[{\"order_id\":1}]}", 400, "bad_field",
         "qty"},
        {"POST", "/api/v1/takes",
         "{\"code\":\"CEA25\",\"side\":\"buy\",\"targets\":[{\"order_id\":1,\"qty\":1,\"x\":1}]}",
         400, "unknown_field", NULL},
        {"POST", "/api/v1/takes", "{\"code\":\"CEA25\",\"side\":\"buy\",\"targets\":[]}", 400,
         "bad_field", "targets"},
        {"POST", "/api/v1/takes",
         "{\"code\":\"CEA25\",\"side\":\"buy\",\"targets\":[{\"order_id\":1,\"qty\":1}],\"qty\":1}",
         400, "bad_field", "targets"},
        {"POST", "/api/v1/takes", "{\"code\":\"CEA25\",\"side\":\"buy\",\"qty\":1}", 400,
         "bad_field", "limit"},
        {"PATCH", "/api/v1/orders/1", "{}", 400, "bad_field", "price"},
        {"PATCH", "/api/v1/orders/1", "{\"price\":\"1.234\"}", 400, "bad_field", "price"},
        {"POST", "/api/v1/withdrawals", "{\"amount\":100}", 400, "bad_field", "amount"},
        {"POST", "/api/v1/orders/5", "{}", 405, "method_not_allowed", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_error(cases[i].method, cases[i].path, F.alice, cases[i].body, cases[i].status,
                     cases[i].error, cases[i].field);

    static const char *const bad_money[] = {"75.001",
                                            "1e2",
                                            "-75.00",
                                            "+75",
                                            " 75",
                                            "75 ",
                                            "75.",
                                            ".5",
                                            "075.00",
                                            "7,5",
                                            "0x10",
                                            "NaN",
                                            "99999999999999.00",
                                            "\\uff17\\uff15",
                                            "75..0"};
    for (size_t i = 0; i < sizeof bad_money / sizeof bad_money[0]; i++) {
        char body[256];
        snprintf(body, sizeof body,
                 "{\"code\":\"CEA25\",\"side\":\"sell\",\"price\":\"%s\",\"qty\":1}", bad_money[i]);
        expect_error("POST", "/api/v1/orders", F.alice, body, 400, "bad_field", "price");
    }
    const bad_case admin[] = {
        {"POST", "/api/v1/admin/deposits", "{\"participant\":2,\"amount\":\"abc\"}", 400,
         "bad_field", "amount"},
        {"POST", "/api/v1/admin/deposits", "{\"participant\":\"2\",\"amount\":\"1.00\"}", 400,
         "bad_field", "participant"},
        {"POST", "/api/v1/admin/credits",
         "{\"participant\":2,\"code\":\"CEA25\",\"qty\":1,\"extra\":true}", 400, "unknown_field",
         "extra"},
        {"POST", "/api/v1/admin/holidays", "{\"date\":\"2026-13-01\"}", 400, "bad_field", "date"},
        {"POST", "/api/v1/admin/holidays", "{\"date\":\"2026-02-30\"}", 400, "bad_field", "date"},
        {"POST", "/api/v1/admin/participants", "{\"kind\":\"alien\",\"name\":\"X\"}", 400,
         "bad_field", "kind"},
        {"POST", "/api/v1/admin/participants", "{\"kind\":\"entity\",\"name\":\"\"}", 400,
         "bad_field", "name"},
        {"POST", "/api/v1/admin/instruments",
         "{\"code\":\"NEW1\",\"product\":\"EUA\",\"prev_close\":\"1.00\"}", 400, "bad_field",
         "product"},
        {"POST", "/api/v1/admin/halt", "{\"halted\":\"yes\"}", 400, "bad_field", "halted"},
        {"POST", "/api/v1/admin/instruments/CEA25/mode", "{\"matching\":\"auction\"}", 400,
         "bad_field", "matching"},
        {"POST", "/api/v1/admin/participants/2/status", "{\"status\":\"gone\"}", 400, "bad_field",
         "status"},
    };
    for (size_t i = 0; i < sizeof admin / sizeof admin[0]; i++)
        expect_error(admin[i].method, admin[i].path, F.t.admin, admin[i].body, admin[i].status,
                     admin[i].error, admin[i].field);

    /* larger than max_body (64 KiB): 413, whatever it holds */
    size_t big = 70000;
    char *huge = malloc(big + 1);
    memset(huge, ' ', big);
    memcpy(huge, "{\"code\":\"", 9);
    huge[big - 2] = '"';
    huge[big - 1] = '}';
    huge[big] = 0;
    expect_error("POST", "/api/v1/orders", F.alice, huge, 413, "too_large", NULL);
    free(huge);

    health(h1, &s1);
    assert_string_equal(h0, h1);
    assert_int_equal(s0, s1); /* not even a rejected command reached the journal */
    json_t *acct1 = get("/api/v1/account", F.alice, 200);
    json_t *depth1 = get("/api/v1/instruments/CEA25/depth", NULL, 200);
    assert_true(json_equal(acct0, acct1));
    assert_true(json_equal(depth0, depth1));
    json_decref(acct0);
    json_decref(acct1);
    json_decref(depth0);
    json_decref(depth1);
}

/* ---- idempotency ----------------------------------------------------------------- */

static void test_idempotent_retry(void **state)
{
    (void)state;
    const char *body = "{\"code\":\"CEA25\",\"side\":\"sell\",\"price\":\"80.00\",\"qty\":7,"
                       "\"client_order_id\":\"retry-1\"}";
    char h0[32], h1[32];
    long long s0, s1;
    tresp r1, r2;
    assert_int_equal(ts_req(&F.t, "POST", "/api/v1/orders", F.alice, body, &r1), 201);
    assert_false(r1.replay);
    health(h0, &s0);
    /* the same id again, even with another price: the first result, nothing new */
    assert_int_equal(ts_req(&F.t, "POST", "/api/v1/orders", F.alice,
                            "{\"code\":\"CEA25\",\"side\":\"sell\",\"price\":\"81.00\",\"qty\":7,"
                            "\"client_order_id\":\"retry-1\"}",
                            &r2),
                     200);
    assert_true(r2.replay);
    assert_int_equal(tj_int(r1.json, "order_id"), tj_int(r2.json, "order_id"));
    assert_string_equal(tj_str(r2.json, "client_order_id"), "retry-1");
    health(h1, &s1);
    assert_string_equal(h0, h1);
    assert_int_equal(s0, s1);
    json_t *orders = get("/api/v1/orders", F.alice, 200);
    int found = 0;
    for (size_t i = 0; i < json_array_size(orders); i++)
        if (!strcmp(tj_str(json_array_get(orders, i), "client_order_id"), "retry-1")) found++;
    assert_int_equal(found, 1);
    json_decref(orders);
    tresp_free(&r1);
    tresp_free(&r2);

    /* a rejected first request answers the same rejection again */
    const char *bad = "{\"code\":\"CEA25\",\"side\":\"sell\",\"price\":\"99.00\",\"qty\":7,"
                      "\"client_order_id\":\"retry-bad\"}";
    assert_int_equal(ts_req(&F.t, "POST", "/api/v1/orders", F.alice, bad, &r1), 422);
    health(h0, &s0);
    assert_int_equal(ts_req(&F.t, "POST", "/api/v1/orders", F.alice, bad, &r2), 422);
    assert_true(r2.replay);
    assert_string_equal(tj_str(r2.json, "error"), "price_out_of_band");
    health(h1, &s1);
    assert_int_equal(s0, s1);
    tresp_free(&r1);
    tresp_free(&r2);

    /* the id is per participant: bob's "retry-1" is his own order */
    json_t *o = post("/api/v1/orders", F.bob, 201,
                     "{\"code\":\"CEA25\",\"side\":\"sell\",\"price\":\"80.00\",\"qty\":1,\"client_"
                     "order_id\":\"retry-1\"}");
    json_decref(o);
}

typedef struct racer {
    tserver t; /* own connection */
    long status;
    long long order_id;
    bool replay;
} racer;

static void *race_one(void *arg)
{
    racer *r = arg;
    tresp resp;
    r->t.curl = curl_easy_init();
    ts_req(&r->t, "POST", "/api/v1/orders", F.alice,
           "{\"code\":\"CEA25\",\"side\":\"sell\",\"price\":\"80.50\",\"qty\":3,\"client_order_"
           "id\":\"race-1\"}",
           &resp);
    r->status = resp.status;
    r->order_id = tj_int(resp.json, "order_id");
    r->replay = resp.replay;
    tresp_free(&resp);
    curl_easy_cleanup(r->t.curl);
    return NULL;
}

static void test_idempotent_concurrent(void **state)
{
    (void)state;
    enum { N = 6 };
    racer rs[N];
    pthread_t th[N];
    for (int i = 0; i < N; i++) {
        memset(&rs[i], 0, sizeof rs[i]);
        snprintf(rs[i].t.base, sizeof rs[i].t.base, "%s", F.t.base);
        assert_int_equal(pthread_create(&th[i], NULL, race_one, &rs[i]), 0);
    }
    int created = 0;
    for (int i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        created += rs[i].status == 201;
        assert_true(rs[i].status == 201 || (rs[i].status == 200 && rs[i].replay));
        assert_int_equal(rs[i].order_id, rs[0].order_id);
    }
    assert_int_equal(created, 1);
}

/* ---- operator endpoints ------------------------------------------------------------- */

static void test_admin(void **state)
{
    (void)state;
    add_instrument("CEA23", "CEA", "listing", "72.35");
    json_t *in = post("/api/v1/admin/instruments/CEA23/halt", F.t.admin, 200, "{\"halted\":true}");
    assert_string_equal(tj_str(in, "status"), "halted");
    json_decref(in);
    expect_error("POST", "/api/v1/orders", F.alice,
                 "{\"code\":\"CEA23\",\"side\":\"buy\",\"price\":\"72.00\",\"qty\":1}", 422,
                 "instrument_halted", NULL);
    json_decref(post("/api/v1/admin/instruments/CEA23/halt", F.t.admin, 200, "{\"halted\":false}"));
    in = post("/api/v1/admin/instruments/CEA23/mode", F.t.admin, 200,
              "{\"matching\":\"continuous\"}");
    assert_string_equal(tj_str(in, "matching"), "continuous");
    json_decref(in);
    long long id = post_order(F.bob, "CEA23", "buy", "72.00", 1, 201);
    expect_error("POST", "/api/v1/admin/instruments/CEA23/mode", F.t.admin,
                 "{\"matching\":\"listing\"}", 422, "book_not_empty", NULL);
    expect_error("POST", "/api/v1/admin/instruments/NOPE/halt", F.t.admin, "{\"halted\":true}", 404,
                 "unknown_instrument", NULL);

    json_t *h = post("/api/v1/admin/halt", F.t.admin, 200, "{\"halted\":true}");
    assert_true(json_is_true(json_object_get(h, "halted")));
    json_decref(h);
    json_t *m = get("/api/v1/market", NULL, 200);
    assert_string_equal(tj_str(m, "session"), "halted");
    json_decref(m);
    expect_error("POST", "/api/v1/orders", F.bob,
                 "{\"code\":\"CEA23\",\"side\":\"buy\",\"price\":\"72.00\",\"qty\":1}", 422,
                 "market_halted", NULL);
    char path[64];
    snprintf(path, sizeof path, "/api/v1/orders/%lld", id);
    json_decref(ts_expect(&F.t, "DELETE", path, F.bob, NULL, 200)); /* cancels still work */
    id = post_order(F.alice, "CEA23", "sell", "79.00", 1, 422);     /* halted */
    json_decref(post("/api/v1/admin/halt", F.t.admin, 200, "{\"halted\":false}"));
    id = post_order(F.bob, "CEA23", "buy", "71.00", 2, 201);
    snprintf(path, sizeof path, "/api/v1/orders/%lld", id);
    json_decref(ts_expect(&F.t, "DELETE", path, F.t.admin, NULL, 200)); /* the operator may */
    expect_error("GET", path, F.bob, NULL, 404, "not_found", NULL);
    json_decref(post("/api/v1/admin/halt", F.t.admin, 200, "{\"halted\":true}"));
    json_decref(post("/api/v1/admin/halt", F.t.admin, 200, "{\"halted\":false}"));
    m = get("/api/v1/market", NULL, 200);
    assert_string_equal(tj_str(m, "session"), "open");
    json_decref(m);

    json_t *ps = get("/api/v1/admin/participants", F.t.admin, 200);
    assert_true(json_array_size(ps) >= 4);
    assert_string_equal(tj_str(json_array_get(ps, 0), "kind"), "exchange");
    json_decref(ps);
    long long pd = create_participant("institution", "Delta Fund");
    snprintf(path, sizeof path, "/api/v1/admin/participants/%lld", pd);
    json_t *p = get(path, F.t.admin, 200);
    assert_string_equal(tj_str(p, "name"), "Delta Fund");
    json_decref(p);
    snprintf(path, sizeof path, "/api/v1/admin/participants/%lld/status", F.pb);
    p = post(path, F.t.admin, 200, "{\"status\":\"suspended\"}");
    assert_string_equal(tj_str(p, "status"), "suspended");
    json_decref(p);
    expect_error("POST", "/api/v1/orders", F.bob,
                 "{\"code\":\"CEA23\",\"side\":\"buy\",\"price\":\"72.00\",\"qty\":1}", 422,
                 "participant_suspended", NULL);
    json_decref(post(path, F.t.admin, 200, "{\"status\":\"active\"}"));
    expect_error("POST", "/api/v1/admin/participants/999/status", F.t.admin,
                 "{\"status\":\"active\"}", 422, "unknown_participant", NULL);

    json_t *a = post("/api/v1/admin/deposits", F.t.admin, 200,
                     "{\"participant\":%lld,\"amount\":\"12.34\"}", pd);
    assert_string_equal(tj_str(a, "available"), "12.34");
    json_decref(a);
    a = post("/api/v1/admin/credits", F.t.admin, 200,
             "{\"participant\":%lld,\"code\":\"CEA23\",\"qty\":5}", pd);
    json_t *hs = json_object_get(a, "holdings");
    long long held = 0;
    for (size_t i = 0; i < json_array_size(hs); i++)
        if (!strcmp(tj_str(json_array_get(hs, i), "code"), "CEA23"))
            held = tj_int(json_array_get(hs, i), "available");
    assert_int_equal(held, 5);
    json_decref(a);
    expect_error("POST", "/api/v1/admin/credits", F.t.admin,
                 "{\"participant\":2,\"code\":\"NOPE\",\"qty\":5}", 422, "unknown_instrument",
                 NULL);

    json_t *hol = post("/api/v1/admin/holidays", F.t.admin, 200, "{\"date\":\"2031-01-01\"}");
    assert_false(json_is_true(json_object_get(hol, "trading_day")));
    json_decref(hol);
    hol = ts_expect(&F.t, "DELETE", "/api/v1/admin/holidays/2031-01-01", F.t.admin, NULL, 200);
    assert_true(json_is_true(json_object_get(hol, "trading_day"))); /* a Wednesday */
    json_decref(hol);
    expect_error("DELETE", "/api/v1/admin/holidays/2031-01-01", F.t.admin, NULL, 422,
                 "bad_argument", NULL);

    json_t *w = post("/api/v1/withdrawals", F.alice, 200, "{\"amount\":\"100.00\"}");
    assert_string_equal(tj_str(w, "withdrawn"), "100.00");
    json_decref(w);
    expect_error("POST", "/api/v1/withdrawals", F.bob, "{\"amount\":\"1.00\"}", 403, "forbidden",
                 NULL);

    json_t *snap = post("/api/v1/admin/snapshot", F.t.admin, 200, "{}");
    assert_string_equal(tj_str(snap, "status"), "written");
    long long snap_seq = json_integer_value(json_object_get(snap, "seq"));
    assert_true(snap_seq > 0);
    json_decref(snap);

    /* a snapshot that cannot be written is answered 503 (finding 15), and the
     * next one, once the way is clear, is written: here a directory stands
     * where the next snapshot's temporary file must go */
    json_decref(post("/api/v1/withdrawals", F.alice, 200, "{\"amount\":\"1.00\"}"));
    char tmp[700];
    snprintf(tmp, sizeof tmp, "%s/snapshot-%020lld.snap.tmp", F.t.dir, snap_seq + 1);
    assert_int_equal(mkdir(tmp, 0755), 0);
    expect_error("POST", "/api/v1/admin/snapshot", F.t.admin, "{}", 503, "snapshot_failed", NULL);
    assert_int_equal(rmdir(tmp), 0);
    snap = post("/api/v1/admin/snapshot", F.t.admin, 200, "{}");
    assert_int_equal(json_integer_value(json_object_get(snap, "seq")), snap_seq + 1);
    json_decref(snap);
}

/* Last in the group: closes the day (tapes clear, statements appear). */
static void test_end_of_day(void **state)
{
    (void)state;
    expect_error("GET", "/api/v1/report", NULL, NULL, 404, "not_found", NULL);
    expect_error("GET", "/api/v1/statement", F.alice, NULL, 404, "not_found", NULL);
    json_t *m = get("/api/v1/market", NULL, 200);
    char date[16];
    snprintf(date, sizeof date, "%s", tj_str(m, "date"));
    json_decref(m);
    json_t *e = post("/api/v1/admin/end-of-day", F.t.admin, 200, "{}");
    assert_string_equal(tj_str(e, "closed_date"), date);
    assert_true(strcmp(tj_str(e, "next_date"), date) > 0);
    json_decref(e);

    json_t *rep = get("/api/v1/report", NULL, 200);
    assert_string_equal(tj_str(rep, "date"), date);
    json_t *ins = json_object_get(rep, "instruments");
    assert_true(json_array_size(ins) >= 5);
    json_t *cea25 = json_array_get(ins, 0);
    assert_string_equal(tj_str(cea25, "code"), "CEA25");
    assert_string_equal(tj_str(cea25, "close"), "75.00"); /* VWAP of the day's trades */
    assert_int_equal(tj_int(json_object_get(rep, "totals"), "listing_volume") >= 50, 1);
    json_decref(rep);

    json_t *st = get("/api/v1/statement", F.alice, 200);
    assert_string_equal(tj_str(st, "date"), date);
    assert_true(json_array_size(json_object_get(st, "lines")) >= 1);
    assert_int_equal(tj_int(st, "trades"), 3);
    json_decref(st);

    json_t *bars = get("/api/v1/instruments/CEA25/bars?interval=1d", NULL, 200);
    assert_int_equal(json_array_size(bars), 1);
    assert_string_equal(tj_str(json_array_get(bars, 0), "t"), date);
    assert_string_equal(tj_str(json_array_get(bars, 0), "close"), "75.00");
    json_decref(bars);
    json_t *tape = get("/api/v1/instruments/CEA25/trades", NULL, 200);
    assert_int_equal(json_array_size(tape), 0); /* a new day */
    json_decref(tape);
    json_t *fills = get("/api/v1/fills", F.alice, 200);
    assert_int_equal(json_array_size(fills), 0);
    json_decref(fills);
}

/* ---- what a person reads: change, the statement's registry column --------------- */

/* The change shown during the day is the last price against the previous
 * close (the market's convention), not the day's VWAP so far against it:
 * 10 t at 74.00 then 10 t at 75.00 on CEA24 (previous close 73.80) is
 * +1.63%, not the VWAP's +0.95%. A statement line adds up with the registry
 * column: tonnes credited during the day are in it. The report gives the
 * cumulative figures by method. Runs after test_end_of_day: a new day. */
static void test_change_and_statement(void **state)
{
    (void)state;
    json_t *in = get("/api/v1/instruments/CEA24", NULL, 200);
    assert_true(json_is_null(json_object_get(in, "last")));
    assert_true(json_is_null(json_object_get(in, "change_pct"))); /* no trade: no change */
    json_decref(in);
    long long a = post_order(F.alice, "CEA24", "sell", "74.00", 10, 201);
    long long b = post_order(F.alice, "CEA24", "sell", "75.00", 10, 201);
    json_decref(post(
        "/api/v1/takes", F.bob, 201,
        "{\"code\":\"CEA24\",\"side\":\"buy\",\"targets\":[{\"order_id\":%lld,\"qty\":10}]}", a));
    json_decref(post(
        "/api/v1/takes", F.bob, 201,
        "{\"code\":\"CEA24\",\"side\":\"buy\",\"targets\":[{\"order_id\":%lld,\"qty\":10}]}", b));
    in = get("/api/v1/instruments/CEA24", NULL, 200);
    assert_string_equal(tj_str(in, "last"), "75.00");
    assert_string_equal(tj_str(in, "close"), "74.50"); /* the VWAP so far */
    assert_string_equal(tj_str(in, "change_pct"), "1.63");
    json_decref(in);

    credit(F.pa, "CEA24", 500); /* issuance: not trading */
    json_decref(post("/api/v1/admin/end-of-day", F.t.admin, 200, "{}"));
    json_t *st = get("/api/v1/statement", F.alice, 200);
    json_t *lines = json_object_get(st, "lines"), *line = NULL;
    for (size_t i = 0; i < json_array_size(lines); i++)
        if (strcmp(tj_str(json_array_get(lines, i), "code"), "CEA24") == 0)
            line = json_array_get(lines, i);
    assert_non_null(line);
    assert_int_equal(tj_int(line, "sold_qty"), 20);
    assert_int_equal(tj_int(line, "registry_qty"), 500);
    assert_int_equal(tj_int(line, "open_qty") + tj_int(line, "bought_qty") -
                         tj_int(line, "sold_qty") + tj_int(line, "registry_qty"),
                     tj_int(line, "close_qty"));
    json_decref(st);

    json_t *rep = get("/api/v1/report", NULL, 200);
    json_t *ins = json_object_get(rep, "instruments"), *day = NULL;
    for (size_t i = 0; i < json_array_size(ins); i++)
        if (strcmp(tj_str(json_array_get(ins, i), "code"), "CEA24") == 0)
            day = json_array_get(ins, i);
    assert_non_null(day);
    assert_int_equal(tj_int(day, "cum_listing_volume"), 20);
    assert_int_equal(tj_int(day, "cum_block_volume"), 0);
    assert_int_equal(tj_int(day, "cum_auction_volume"), 0);
    assert_string_equal(tj_str(day, "cum_listing_value"), "1490.00");
    assert_string_equal(tj_str(day, "change_pct"), "0.95"); /* the day's close is its VWAP */
    json_decref(rep);
}

/* ---- a burst of bad requests -------------------------------------------------------- */

static void test_flood(void **state)
{
    (void)state;
    char h0[32], h1[32];
    long long s0, s1;
    health(h0, &s0);
    static const char *const bodies[] = {
        "{",
        "nonsense",
        "{\"code\":1}",
        "{\"code\":\"CEA25\",\"side\":\"sell\",\"price\":\"75.00\",\"qty\":1,\"z\":0}",
        "{\"code\":\"CEA25\",\"side\":\"sell\",\"price\":\"7.5e1\",\"qty\":1}",
        "[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]",
        "\"just a string\"",
        "{\"code\":\"CEA25\",\"side\":\"sell\",\"price\":\"75.00\",\"qty\":-1e999}"};
    int n4xx = 0;
    const int total = 2000;
    for (int i = 0; i < total; i++) {
        tresp r;
        const char *tok = i % 5 == 4 ? "not-a-token" : F.alice;
        ts_req(&F.t, "POST", "/api/v1/orders", tok, bodies[i % 8], &r);
        n4xx += r.status >= 400 && r.status < 500;
        tresp_free(&r);
    }
    assert_int_equal(n4xx, total);
    health(h1, &s1);
    assert_string_equal(h0, h1);
    assert_int_equal(s0, s1);
    long long id = post_order(F.alice, "CEA24", "sell", "79.00", 1, 201); /* still works */
    assert_true(id > 0);
}

static void test_metrics(void **state)
{
    (void)state;
    tresp r;
    assert_int_equal(ts_req(&F.t, "GET", "/metrics", NULL, NULL, &r), 200);
    const char *want[] = {"cets_commands_total ",
                          "cets_rejects_total{reason=\"price_out_of_band\"} ",
                          "cets_command_latency_seconds_bucket{le=\"+Inf\"} ",
                          "cets_command_latency_seconds_count ",
                          "cets_journal_sync_seconds_total ",
                          "cets_journal_sync_seconds_max ",
                          "cets_journal_ok 1\n",
                          "cets_ws_clients ",
                          "cets_http_requests_total{status=\"200\"} ",
                          "cets_http_requests_total{status=\"422\"} ",
                          "cets_last_seq ",
                          "# TYPE cets_command_latency_seconds histogram"};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (!strstr(r.body, want[i])) fail_msg("/metrics lacks \"%s\"", want[i]);
    long long rejects = -1, last = -1, seq;
    sscanf(strstr(r.body, "cets_rejects_total{reason=\"price_out_of_band\"} "),
           "cets_rejects_total{reason=\"price_out_of_band\"} %lld", &rejects);
    sscanf(strstr(r.body, "\ncets_last_seq ") + 1, "cets_last_seq %lld", &last);
    assert_true(rejects >= 2);
    char hash[32];
    health(hash, &seq);
    assert_int_equal(last, seq);
    tresp_free(&r);
}

/* ---- the holiday calendar ------------------------------------------------------------ */

static char holiday_path[900];

static void with_calendar(server_config *c)
{
    snprintf(c->holidays, sizeof c->holidays, "%s", holiday_path);
    c->start_date = 20260928; /* the Monday before the National Day week */
}

/* cetsd journals the operator's calendar file at start: 2026-10-01 is a
 * holiday of data/holidays-cn.txt, not a trading day (issue 9 item 7: it
 * used to trade when the file was not found). A restart adds nothing again. */
static void test_holiday_calendar(void **state)
{
    (void)state;
    snprintf(holiday_path, sizeof holiday_path, "%s/data/holidays-cn.txt", CETS_SOURCE_DIR);
    tserver t = {0};
    ts_start(&t, NULL, with_calendar);
    const cets_engine *e = core_read_begin(t.s.core);
    assert_int_equal(cets_trading_date(e), 20260928);
    assert_false(cets_is_trading_day(e, 20261001));
    assert_false(cets_is_trading_day(e, 20261007));
    assert_true(cets_is_trading_day(e, 20261009));
    assert_true(cets_is_trading_day(e, 20260929));
    uint64_t seq = cets_last_seq(e);
    core_read_end(t.s.core);
    assert_true(seq > 0);
    char dir[512];
    snprintf(dir, sizeof dir, "%s", t.dir);
    ts_stop(&t);
    tserver u = {0};
    ts_start(&u, dir, with_calendar);
    e = core_read_begin(u.s.core);
    assert_int_equal(cets_last_seq(e), seq);
    assert_false(cets_is_trading_day(e, 20261001));
    core_read_end(u.s.core);
    ts_stop(&u);
    ts_rmtree(dir);
}

/* POST /api/v1/admin/holidays/reload reads the configured file again and
 * journals the dates it did not have; a bad file journals nothing. */
static void test_holiday_reload(void **state)
{
    (void)state;
    char dir[512];
    ts_tmpdir(dir, sizeof dir, "reload");
    snprintf(holiday_path, sizeof holiday_path, "%s/cal.txt", dir);
    FILE *f = fopen(holiday_path, "w");
    fputs("20261001 # National Day\n", f);
    fclose(f);
    tserver t = {0};
    ts_start(&t, NULL, with_calendar);
    const char *R = "/api/v1/admin/holidays/reload";
    json_t *a = ts_expect(&t, "POST", R, t.admin, "{}", 200);
    assert_int_equal(tj_int(a, "holidays"), 1);
    assert_int_equal(tj_int(a, "added"), 0); /* journaled at start already */
    json_decref(a);
    f = fopen(holiday_path, "a");
    fputs("20261002\n20260101 # before the trading date: not journaled\n", f);
    fclose(f);
    a = ts_expect(&t, "POST", R, t.admin, "{}", 200);
    assert_int_equal(tj_int(a, "holidays"), 3);
    assert_int_equal(tj_int(a, "added"), 1);
    assert_string_equal(tj_str(a, "file"), holiday_path);
    json_decref(a);
    const cets_engine *e = core_read_begin(t.s.core);
    assert_false(cets_is_trading_day(e, 20261002));
    uint64_t seq = cets_last_seq(e);
    core_read_end(t.s.core);
    /* a bad line: refused, nothing journaled */
    f = fopen(holiday_path, "a");
    fputs("20261005\n2026-10-06\n", f);
    fclose(f);
    json_t *err = ts_expect(&t, "POST", R, t.admin, "{}", 409);
    assert_non_null(strstr(tj_str(err, "message"), "not a date"));
    json_decref(err);
    e = core_read_begin(t.s.core);
    assert_int_equal(cets_last_seq(e), seq);
    assert_true(cets_is_trading_day(e, 20261005));
    core_read_end(t.s.core);
    json_decref(ts_expect(&t, "GET", R, t.admin, NULL, 405));
    json_decref(ts_expect(&t, "POST", R, NULL, "{}", 401));
    char tdir[512];
    snprintf(tdir, sizeof tdir, "%s", t.dir);
    ts_stop(&t);
    ts_rmtree(tdir);
    ts_rmtree(dir);
}

/* A holiday file that is missing or has a bad line stops cetsd with a
 * message naming it, before the data directory is touched. */
static void test_holiday_calendar_refused(void **state)
{
    (void)state;
    char dir[512], err[1024] = "", file[700];
    ts_tmpdir(dir, sizeof dir, "holidays");
    const char *cases[][2] = {{"missing", "No such file or directory"},
                              {"bad", ":2: not a date (YYYYMMDD): 2026-10-01"}};
    for (int i = 0; i < 2; i++) {
        snprintf(file, sizeof file, "%s/%s.txt", dir, cases[i][0]);
        if (i == 1) {
            FILE *f = fopen(file, "w");
            fputs("20261001 # National Day\n2026-10-01\n", f);
            fclose(f);
        }
        server_config c;
        config_default(&c);
        snprintf(c.listen, sizeof c.listen, "127.0.0.1:0");
        snprintf(c.data_dir, sizeof c.data_dir, "%s/data", dir);
        snprintf(c.holidays, sizeof c.holidays, "%s", file);
        server s;
        assert_int_equal(service_start(&s, &c, err, sizeof err), -1);
        if (!strstr(err, "holiday calendar") || !strstr(err, file) || !strstr(err, cases[i][1]))
            fail_msg("error \"%s\" does not name the calendar, %s and \"%s\"", err, file,
                     cases[i][1]);
        assert_int_equal(access(c.data_dir, F_OK), -1); /* nothing created */
    }
    ts_rmtree(dir);
}

/* ---- restarts ------------------------------------------------------------------------ */

/* In this process: stop and start on the same directory. */
static void test_restart_in_process(void **state)
{
    (void)state;
    tserver t = {0};
    ts_start(&t, NULL, NULL);
    json_decref(ts_expect(&t, "POST", "/api/v1/admin/instruments", t.admin,
                          "{\"code\":\"CEA25\",\"product\":\"CEA\",\"prev_close\":\"74.60\"}",
                          201));
    json_decref(ts_expect(&t, "POST", "/api/v1/admin/participants", t.admin,
                          "{\"kind\":\"entity\",\"name\":\"P\"}", 201));
    json_decref(ts_expect(&t, "POST", "/api/v1/admin/deposits", t.admin,
                          "{\"participant\":2,\"amount\":\"5000.00\"}", 200));
    /* the market-wide halt is not in the engine's answers: it must come back from the journal */
    json_decref(ts_expect(&t, "POST", "/api/v1/admin/halt", t.admin, "{\"halted\":true}", 200));
    json_t *h0 = ts_expect(&t, "GET", "/healthz", NULL, NULL, 200);
    char dir[512];
    snprintf(dir, sizeof dir, "%s", t.dir);
    ts_stop(&t);
    tserver u = {0};
    ts_start(&u, dir, NULL);
    json_t *m = ts_expect(&u, "GET", "/api/v1/market", NULL, NULL, 200);
    assert_string_equal(tj_str(m, "session"), "halted");
    json_decref(m);
    json_t *h1 = ts_expect(&u, "GET", "/healthz", NULL, NULL, 200);
    assert_string_equal(tj_str(h0, "state_hash"), tj_str(h1, "state_hash"));
    assert_int_equal(tj_int(h0, "seq"), tj_int(h1, "seq"));
    json_decref(h0);
    json_decref(h1);
    ts_stop(&u);
    ts_rmtree(dir);
}

/* The real binary: SIGTERM, exit 0, restart, same state; a client order id
 * used before the restart is still not executed twice. */
static void test_restart_sigterm(void **state)
{
    (void)state;
    tserver t = {0};
    ts_spawn(&t, NULL);
    json_decref(ts_expect(&t, "POST", "/api/v1/admin/instruments", t.admin,
                          "{\"code\":\"CEA25\",\"product\":\"CEA\",\"prev_close\":\"74.60\"}",
                          201));
    for (int i = 0; i < 2; i++) {
        json_decref(ts_expect(&t, "POST", "/api/v1/admin/participants", t.admin,
                              "{\"kind\":\"entity\",\"name\":\"P\"}", 201));
        char body[128];
        snprintf(body, sizeof body, "{\"participant\":%d,\"amount\":\"100000.00\"}", i + 2);
        json_decref(ts_expect(&t, "POST", "/api/v1/admin/deposits", t.admin, body, 200));
        snprintf(body, sizeof body, "{\"participant\":%d,\"code\":\"CEA25\",\"qty\":1000}", i + 2);
        json_decref(ts_expect(&t, "POST", "/api/v1/admin/credits", t.admin, body, 200));
    }
    ts_user(&t, "seller", "seller-password", 2, "view,trade");
    ts_user(&t, "buyer", "buyer-password", 3, "view,trade");
    char *seller = ts_login(&t, "seller", "seller-password");
    char *buyer = ts_login(&t, "buyer", "buyer-password");
    const char *rest = "{\"code\":\"CEA25\",\"side\":\"sell\",\"price\":\"75.00\",\"qty\":10,"
                       "\"client_order_id\":\"keep-1\"}";
    const char *gone = "{\"code\":\"CEA25\",\"side\":\"sell\",\"price\":\"76.00\",\"qty\":5,"
                       "\"client_order_id\":\"gone-1\"}";
    json_t *o1 = ts_expect(&t, "POST", "/api/v1/orders", seller, rest, 201);
    json_t *o2 = ts_expect(&t, "POST", "/api/v1/orders", seller, gone, 201);
    char take[160];
    snprintf(take, sizeof take,
             "{\"code\":\"CEA25\",\"side\":\"buy\",\"targets\":[{\"order_id\":%lld,\"qty\":5}]}",
             tj_int(o2, "order_id"));
    json_decref(ts_expect(&t, "POST", "/api/v1/takes", buyer, take, 201)); /* fills gone-1 */
    json_t *h0 = ts_expect(&t, "GET", "/healthz", NULL, NULL, 200);
    json_t *a0 = ts_expect(&t, "GET", "/api/v1/account", seller, NULL, 200);
    json_t *d0 = ts_expect(&t, "GET", "/api/v1/instruments/CEA25/depth", NULL, NULL, 200);
    char dir[512];
    snprintf(dir, sizeof dir, "%s", t.dir);
    assert_int_equal(ts_signal(&t, SIGTERM), 0);

    tserver u = {0};
    ts_spawn(&u, dir);
    json_t *h1 = ts_expect(&u, "GET", "/healthz", NULL, NULL, 200);
    assert_string_equal(tj_str(h0, "state_hash"), tj_str(h1, "state_hash"));
    assert_int_equal(tj_int(h0, "seq"), tj_int(h1, "seq"));
    free(seller);
    seller = ts_login(&u, "seller", "seller-password"); /* users survive too */
    json_t *a1 = ts_expect(&u, "GET", "/api/v1/account", seller, NULL, 200);
    json_t *d1 = ts_expect(&u, "GET", "/api/v1/instruments/CEA25/depth", NULL, NULL, 200);
    assert_true(json_equal(a0, a1));
    assert_true(json_equal(d0, d1));
    /* keep-1 rests: the retry answers its order; gone-1 is filled: refused, not re-executed */
    tresp r;
    assert_int_equal(ts_req(&u, "POST", "/api/v1/orders", seller, rest, &r), 200);
    assert_true(r.replay);
    assert_int_equal(tj_int(r.json, "order_id"), tj_int(o1, "order_id"));
    tresp_free(&r);
    assert_int_equal(ts_req(&u, "POST", "/api/v1/orders", seller, gone, &r), 409);
    assert_string_equal(tj_str(r.json, "error"), "duplicate_request");
    tresp_free(&r);
    json_t *h2 = ts_expect(&u, "GET", "/healthz", NULL, NULL, 200);
    assert_int_equal(tj_int(h1, "seq"), tj_int(h2, "seq"));
    assert_int_equal(ts_signal(&u, SIGTERM), 0);

    char logpath[600], line[1024];
    snprintf(logpath, sizeof logpath, "%s.log", dir);
    FILE *f = fopen(logpath, "r");
    assert_non_null(f);
    int stopped = 0, leaked = 0;
    while (fgets(line, sizeof line, f)) {
        stopped += strstr(line, "msg=\"stopped\" exit=0") != NULL;
        leaked += strstr(line, "seller-password") != NULL || strstr(line, buyer) != NULL;
    }
    fclose(f);
    assert_int_equal(stopped, 2);
    assert_int_equal(leaked, 0); /* neither passwords nor tokens in the log */
    json_decref(o1);
    json_decref(o2);
    json_decref(h0);
    json_decref(h1);
    json_decref(h2);
    json_decref(a0);
    json_decref(a1);
    json_decref(d0);
    json_decref(d1);
    free(seller);
    free(buyer);
    remove(logpath);
    snprintf(logpath, sizeof logpath, "%s.conf", dir);
    remove(logpath);
    ts_rmtree(dir);
}

/* TLS: either it works (https answers) or cetsd refuses to start with a clear
 * error; never a server that accepts TLS and answers nothing. Debian's
 * civetweb 1.15 cannot load OpenSSL 3, so here it is usually the refusal. */
static void test_tls_works_or_refuses(void **state)
{
    (void)state;
    char dir[512], cmd[2048], err[1024];
    ts_tmpdir(dir, sizeof dir, "cetsd-tls");
    snprintf(cmd, sizeof cmd,
             "openssl req -x509 -newkey rsa:2048 -nodes -keyout %s/key.pem -out %s/cert.pem "
             "-days 1 -subj /CN=127.0.0.1 >/dev/null 2>&1",
             dir, dir);
    if (system(cmd) != 0) {
        ts_rmtree(dir);
        skip(); /* no openssl tool */
    }
    server_config cfg;
    config_default(&cfg);
    snprintf(cfg.listen, sizeof cfg.listen, "127.0.0.1:0");
    snprintf(cfg.data_dir, sizeof cfg.data_dir, "%s/data", dir);
    snprintf(cfg.tls_cert, sizeof cfg.tls_cert, "%s/cert.pem", dir);
    snprintf(cfg.tls_key, sizeof cfg.tls_key, "%s/key.pem", dir);
    static server s;
    if (service_start(&s, &cfg, err, sizeof err) != 0) {
        assert_non_null(strstr(err, "TLS"));
        ts_rmtree(dir);
        return;
    }
    char url[64];
    snprintf(url, sizeof url, "https://127.0.0.1:%d/healthz", service_port(&s));
    CURL *c = curl_easy_init();
    long status = 0;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    service_stop(&s);
    ts_rmtree(dir);
    assert_int_equal(status, 200);
}

/* ---- pure parts: money strings, configuration ----------------------------------------- */

static void test_parse_money(void **state)
{
    (void)state;
    struct {
        const char *s;
        long long fen; /* -1: refused */
    } cases[] = {{"0", 0},
                 {"0.5", 50},
                 {"0.05", 5},
                 {"51.23", 5123},
                 {"51.2", 5120},
                 {"51", 5100},
                 {"100000.00", 10000000},
                 {"9999999999999.99", 999999999999999},
                 {"", -1},
                 {"51.234", -1},
                 {"-1", -1},
                 {"+1", -1},
                 {"1e2", -1},
                 {"01", -1},
                 {"1.", -1},
                 {".1", -1},
                 {"1 ", -1},
                 {"1.2.3", -1},
                 {"10000000000000", -1}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t fen = -1;
        int rc = http_parse_money(cases[i].s, &fen);
        if (cases[i].fen < 0)
            assert_int_equal(rc, -1);
        else {
            assert_int_equal(rc, 0);
            assert_int_equal(fen, cases[i].fen);
        }
    }
    int32_t d;
    assert_int_equal(http_parse_date("2028-02-29", &d), 0);
    assert_int_equal(d, 20280229);
    assert_int_equal(http_parse_date("2027-02-29", &d), -1);
    assert_int_equal(http_parse_date("2027-1-01", &d), -1);
    assert_int_equal(http_parse_date("2027-01-01x", &d), -1);
}

static void test_config_file(void **state)
{
    (void)state;
    char dir[512], path[600], err[512];
    ts_tmpdir(dir, sizeof dir, "cetsd-conf");
    snprintf(path, sizeof path, "%s/a.conf", dir);
    FILE *f = fopen(path, "w");
    fprintf(f, "# comment\n\nlisten = 0.0.0.0:9000   # trailing comment\nhttp_threads=32\n"
               "log_level = warn\nenforce_sessions = false\nstart_date = "
               "2026-12-01\nsnapshot_every = 0\n");
    fclose(f);
    server_config c;
    config_default(&c);
    assert_int_equal(config_load(&c, path, err, sizeof err), 0);
    assert_string_equal(c.listen, "0.0.0.0:9000");
    assert_int_equal(c.http_threads, 32);
    assert_int_equal(c.log_level, 2);
    assert_false(c.core.cfg.enforce_sessions);
    assert_int_equal(c.start_date, 20261201);
    assert_int_equal(c.core.snapshot_every, 0);
    /* the bus's limits, at each end */
    assert_int_equal(config_set(&c, "bus_events", "16", err, sizeof err), 0);
    assert_int_equal(c.core.bus_events, 16);
    assert_int_equal(config_set(&c, "bus_events", "67108864", err, sizeof err), 0);
    assert_int_equal(c.core.bus_events, 67108864);
    /* the FIX gateway's connection limits, at each end (the gateway's own test,
     * test_fix_limits, holds each at its limit and one past it) */
    assert_int_equal(config_set(&c, "fix_logon_timeout_ms", "100", err, sizeof err), 0);
    assert_int_equal(config_set(&c, "fix_logon_timeout_ms", "600000", err, sizeof err), 0);
    assert_int_equal(c.fix_logon_timeout_ms, 600000);
    assert_int_equal(config_set(&c, "fix_max_connections", "2", err, sizeof err), 0);
    assert_int_equal(config_set(&c, "fix_max_pending", "1", err, sizeof err), 0);
    assert_int_equal(config_set(&c, "fix_max_pending_per_addr", "1", err, sizeof err), 0);
    assert_int_equal(c.fix_max_pending_per_addr, 1);
    /* the back office's poll, at each end */
    assert_int_equal(config_set(&c, "backoffice_poll_ms", "1", err, sizeof err), 0);
    assert_int_equal(c.backoffice_poll_ms, 1);
    assert_int_equal(config_set(&c, "backoffice_poll_ms", "60000", err, sizeof err), 0);
    assert_int_equal(c.backoffice_poll_ms, 60000);
    /* the daily report's wait for the audit log, at each end */
    assert_int_equal(config_set(&c, "report_audit_wait_ms", "0", err, sizeof err), 0);
    assert_int_equal(c.report_audit_wait_ms, 0);
    assert_int_equal(config_set(&c, "report_audit_wait_ms", "60000", err, sizeof err), 0);
    assert_int_equal(c.report_audit_wait_ms, 60000);

    /* what --print-config writes reads back to the same configuration */
    FILE *out = fopen(path, "w");
    config_print(&c, out);
    fclose(out);
    server_config c2;
    config_default(&c2);
    assert_int_equal(config_load(&c2, path, err, sizeof err), 0);
    c.core.data_dir = c2.core.data_dir = NULL;
    assert_memory_equal(&c, &c2, sizeof c);

    const char *bad[][2] = {{"lisen = x\n", ":1: unknown key \"lisen\""},
                            {"\nhttp_threads = many\n", ":2: http_threads: bad value"},
                            {"http_threads = 1\n", ":1: http_threads: bad value"},
                            {"demo = maybe\n", ":1: demo: bad value"},
                            {"start_date = 2026-1-1\n", ":1: start_date: bad value"},
                            {"bus_events = 15\n", ":1: bus_events: bad value"},
                            {"bus_events = 67108865\n", ":1: bus_events: bad value"},
                            {"fix_logon_timeout_ms = 99\n", ":1: fix_logon_timeout_ms: bad value"},
                            {"fix_logon_timeout_ms = 600001\n", ":1: fix_logon_timeout_ms: bad"},
                            {"fix_max_connections = 1\n", ":1: fix_max_connections: bad value"},
                            {"fix_max_pending = 0\n", ":1: fix_max_pending: bad value"},
                            {"fix_max_pending_per_addr = 0\n", ":1: fix_max_pending_per_addr: bad"},
                            {"backoffice_poll_ms = 0\n", ":1: backoffice_poll_ms: bad value"},
                            {"backoffice_poll_ms = 60001\n", ":1: backoffice_poll_ms: bad"},
                            {"report_audit_wait_ms = -1\n", ":1: report_audit_wait_ms: bad"},
                            {"report_audit_wait_ms = 60001\n", ":1: report_audit_wait_ms: bad"},
                            {"just words\n", ":1: expected key = value"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        f = fopen(path, "w");
        fputs(bad[i][0], f);
        fclose(f);
        config_default(&c);
        assert_int_equal(config_load(&c, path, err, sizeof err), -1);
        if (!strstr(err, bad[i][1]))
            fail_msg("\"%s\": error \"%s\" lacks \"%s\"", bad[i][0], err, bad[i][1]);
    }
    ts_rmtree(dir);
}

/* start_date = today: the date in the market's time zone, a weekend moved
 * to the Monday after (the engine's calendar). */
static void test_config_start_today(void **state)
{
    (void)state;
    struct {
        int32_t local_date;
        int hh, mm;
        int32_t want;
    } cases[] = {
        {20261204, 10, 0, 20261204},  /* a Friday */
        {20261205, 10, 0, 20261207},  /* a Saturday */
        {20261206, 23, 59, 20261207}, /* late on a Sunday */
        {20261207, 0, 1, 20261207},   /* early on the Monday (Sunday 16:01 UTC) */
        {20261231, 12, 0, 20261231},  /* a Thursday, the year's last day */
        {20270102, 8, 0, 20270104},   /* a Saturday, the Monday after is in January */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        server_config c;
        config_default(&c);
        config_finish(&c, cets_time_at(cases[i].local_date, cases[i].hh, cases[i].mm, 480));
        assert_int_equal(c.core.cfg.start_date, cases[i].want);
    }
}

/* docs/cetsd.conf.example lists every key, with its default value. The
 * file is found through the source tree (CETS_SOURCE_DIR), wherever the
 * build directory is. */
static void test_config_example(void **state)
{
    (void)state;
    char path[1200], err[512], line[512];
    snprintf(path, sizeof path, "%s/docs/cetsd.conf.example", CETS_SOURCE_DIR);
    FILE *f = fopen(path, "r");
    if (!f) fail_msg("%s: cannot open (CETS_SOURCE_DIR=%s)", path, CETS_SOURCE_DIR);
    int keys = 0;
    while (fgets(line, sizeof line, f)) keys += line[0] != '#' && strstr(line, " = ") != NULL;
    fclose(f);
    server_config c, d;
    config_default(&c);
    config_default(&d);
    assert_int_equal(config_load(&c, path, err, sizeof err), 0);
    c.core.data_dir = d.core.data_dir = NULL; /* each points into its own struct */
    assert_memory_equal(&c, &d, sizeof c);
    char *printed = NULL;
    size_t plen = 0;
    FILE *m = open_memstream(&printed, &plen);
    config_print(&d, m);
    fclose(m);
    int want = 0;
    for (char *save = NULL, *l = strtok_r(printed, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
        want += l[0] != '#' && strstr(l, " = ") != NULL;
    free(printed);
    assert_int_equal(keys, want);
}

/* The operator provisions FIX sessions (api_fix.c): the table the gateway
 * reads, <data_dir>/fix/compids. */
static void test_fix_compids(void **state)
{
    (void)state;
    const char *U = "/api/v1/admin/fix/compids";
    char body[128], path[128], file[700];
    snprintf(body, sizeof body, "{\"participant\":%lld}", F.pa);
    json_t *e = ts_expect(&F.t, "PUT", "/api/v1/admin/fix/compids/ALPHA1", F.t.admin, body, 201);
    assert_string_equal(tj_str(e, "compid"), "ALPHA1");
    assert_int_equal(tj_int(e, "participant"), F.pa);
    assert_true(json_is_true(json_object_get(e, "in_session_reset")));
    json_decref(e);
    snprintf(body, sizeof body, "{\"participant\":%lld,\"in_session_reset\":false}", F.pa);
    json_decref(ts_expect(&F.t, "PUT", "/api/v1/admin/fix/compids/ALPHA1", F.t.admin, body, 200));
    json_t *l = get(U, F.t.admin, 200);
    json_t *a = json_object_get(l, "compids");
    assert_int_equal(json_array_size(a), 1);
    assert_false(json_is_true(json_object_get(json_array_get(a, 0), "in_session_reset")));
    json_decref(l);
    snprintf(file, sizeof file, "%s/fix/compids", F.t.dir); /* what the gateway reads */
    FILE *f = fopen(file, "r");
    assert_non_null(f);
    char text[512] = "";
    text[fread(text, 1, sizeof text - 1, f)] = 0;
    fclose(f);
    snprintf(body, sizeof body, "\nALPHA1 %lld in_session_reset=no\n", F.pa);
    assert_non_null(strstr(text, body));
    /* another participant's, an unknown participant, a bad SenderCompID, a bad field */
    snprintf(body, sizeof body, "{\"participant\":%lld}", F.pb);
    expect_error("PUT", "/api/v1/admin/fix/compids/ALPHA1", F.t.admin, body, 409, "compid_taken",
                 NULL);
    expect_error("PUT", "/api/v1/admin/fix/compids/BETA1", F.t.admin, "{\"participant\":999}", 422,
                 "unknown_participant", NULL);
    expect_error("PUT", "/api/v1/admin/fix/compids/BE%20TA", F.t.admin, body, 400, "bad_field",
                 NULL);
    expect_error("PUT", "/api/v1/admin/fix/compids/ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456", F.t.admin,
                 body, 400, "bad_field", NULL); /* 33 characters */
    json_decref(ts_expect(&F.t, "PUT", "/api/v1/admin/fix/compids/ABCDEFGHIJKLMNOPQRSTUVWXYZ012345",
                          F.t.admin, body, 201)); /* 32: the limit */
    expect_error("PUT", "/api/v1/admin/fix/compids/BETA1", F.t.admin, "{\"participant\":0}", 400,
                 "bad_field", "participant");
    expect_error("PUT", "/api/v1/admin/fix/compids/BETA1", F.t.admin, "{\"who\":1}", 400,
                 "unknown_field", "who");
    /* only the operator */
    expect_error("GET", U, F.alice, NULL, 403, "forbidden", NULL);
    expect_error("PUT", "/api/v1/admin/fix/compids/ALPHA2", F.alice, body, 403, "forbidden", NULL);
    snprintf(path, sizeof path, "%s/ALPHA1", U);
    json_decref(ts_expect(&F.t, "DELETE", path, F.t.admin, NULL, 200));
    expect_error("DELETE", path, F.t.admin, NULL, 404, "not_found", NULL);
    l = get(U, F.t.admin, 200);
    assert_int_equal(json_array_size(json_object_get(l, "compids")), 1);
    json_decref(l);
}

/* Market parameters: listed to anyone, changed by the operator with a date or
 * at once; a refusal names the bound and changes nothing; the authority's
 * position limit exemptions. */
static void expect_message(const char *path, const char *token, const char *body, long status,
                           const char *error, const char *message)
{
    tresp r;
    ts_req(&F.t, "POST", path, token, body, &r);
    if (r.status != status || strcmp(tj_str(r.json, "error"), error) != 0 ||
        strcmp(tj_str(r.json, "message"), message) != 0)
        fail_msg("POST %s %s: got %ld %s", path, body, r.status, r.body);
    tresp_free(&r);
}

static void test_params(void **state)
{
    (void)state;
    const char *P = "/api/v1/admin/params";
    json_t *l = get("/api/v1/params", NULL, 200);
    json_t *ps = json_object_get(l, "params");
    assert_int_equal(json_array_size(ps), CETS_PARAM_COUNT);
    json_t *fee = json_array_get(ps, CETS_PARAM_FEE_LISTING_BUY);
    assert_string_equal(tj_str(fee, "name"), "fee.listing.buy");
    assert_int_equal(tj_int(fee, "value"), 500);
    assert_int_equal(tj_int(fee, "default"), 500);
    assert_string_equal(tj_str(fee, "unit"), "ppm");
    assert_int_equal(json_array_size(json_object_get(l, "history")), 0);
    json_decref(l);
    char before[32], after[32];
    long long seq0, seq1;
    health(before, &seq0);
    expect_message(P, F.t.admin,
                   "{\"name\":\"fee.listing.buy\",\"value\":-5,\"from\":\"2030-01-02\"}", 422,
                   "bad_param", "fee.listing.buy must be from 0 ppm to 100,000 ppm, not -5 ppm");
    expect_message(P, F.t.admin, "{\"name\":\"band.block\",\"value\":10000,\"urgent\":true}", 422,
                   "bad_param", "band.block must be from 0 bp to 9,999 bp, not 10,000 bp");
    expect_message(P, F.t.admin,
                   "{\"name\":\"session.pm.close\",\"value\":700,\"from\":\"2030-01-02\"}", 422,
                   "bad_param",
                   "session.pm.open (13:00) must be before session.pm.close (11:40) from 20300102");
    expect_message(P, F.t.admin, "{\"name\":\"tick\",\"value\":5,\"urgent\":true}", 422,
                   "param_not_urgent",
                   "tick changes only from a later trading day's open, not at once");
    health(after, &seq1);
    assert_string_equal(before, after);
    expect_error("POST", P, F.t.admin, "{\"name\":\"fee.nothing\",\"value\":1,\"urgent\":true}",
                 400, "bad_field", "name");
    expect_error("POST", P, F.t.admin, "{\"name\":\"tick\",\"value\":2}", 400, "bad_field", "from");
    expect_error("POST", P, F.t.admin,
                 "{\"name\":\"ccer.cap\",\"value\":2,\"urgent\":true,\"from\":\"2030-01-02\"}", 400,
                 "bad_field", "from");
    expect_error("POST", P, F.t.admin,
                 "{\"name\":\"tick\",\"value\":\"2\",\"from\":\"2030-01-02\"}", 400, "bad_field",
                 "value");
    expect_error("POST", P, F.alice, "{\"name\":\"tick\",\"value\":2,\"from\":\"2030-01-02\"}", 403,
                 "forbidden", NULL);
    /* a dated change waits; an urgent one applies */
    l = post(P, F.t.admin, 201, "{\"name\":\"ccer.cap\",\"value\":1000,\"from\":\"2030-01-02\"}");
    json_t *cap = json_array_get(json_object_get(l, "params"), CETS_PARAM_CCER_CAP);
    assert_int_equal(tj_int(cap, "value"), 500);
    json_t *pend = json_array_get(json_object_get(cap, "pending"), 0);
    assert_int_equal(tj_int(pend, "value"), 1000);
    assert_string_equal(tj_str(pend, "from"), "2030-01-02");
    json_decref(l);
    l = post(P, F.t.admin, 201,
             "{\"name\":\"limit.individual.ccer\",\"value\":800,\"urgent\":true}");
    json_t *h = json_object_get(l, "history");
    assert_int_equal(json_array_size(h), 2);
    assert_string_equal(tj_str(json_array_get(h, 0), "status"), "pending");
    assert_string_equal(tj_str(json_array_get(h, 1), "status"), "applied");
    assert_int_equal(tj_int(json_array_get(h, 1), "old"), 0);
    assert_true(json_is_null(json_object_get(json_array_get(h, 0), "applied")));
    json_decref(l);
    /* the limits and the authority's exemptions */
    long long gov = create_participant("authority", "Ministry");
    ts_user(&F.t, "gov", "gov-password", (uint32_t)gov, "authority");
    char *gt = ts_login(&F.t, "gov", "gov-password");
    l = get("/api/v1/limits", F.t.admin, 200);
    assert_int_equal(tj_int(json_object_get(l, "limits"), "limit.individual.ccer"), 800);
    json_decref(l);
    expect_error("GET", "/api/v1/limits", F.alice, NULL, 403, "forbidden", NULL);
    char body[200];
    snprintf(body, sizeof body, "{\"participant\":%lld,\"exempt\":true,\"reason\":\"research\"}",
             F.pc);
    expect_error("POST", "/api/v1/limits/exemptions", F.t.admin, body, 403, "forbidden", NULL);
    snprintf(body, sizeof body, "{\"participant\":%lld,\"exempt\":true,\"reason\":\"\"}", F.pc);
    expect_error("POST", "/api/v1/limits/exemptions", gt, body, 400, "bad_field", "reason");
    char r48[49];
    memset(r48, 'r', 48);
    r48[48] = 0;
    snprintf(body, sizeof body, "{\"participant\":%lld,\"exempt\":false,\"reason\":\"%s\"}", F.pc,
             r48);
    expect_error("POST", "/api/v1/limits/exemptions", gt, body, 400, "bad_field", "reason");
    snprintf(body, sizeof body, "{\"participant\":%lld,\"exempt\":true,\"reason\":\"research\"}",
             F.pc);
    l = post("/api/v1/limits/exemptions", gt, 201, "%s", body);
    json_t *x = json_array_get(json_object_get(l, "exemptions"), 0);
    assert_int_equal(tj_int(x, "participant"), F.pc);
    assert_true(json_is_true(json_object_get(x, "in_force")));
    assert_string_equal(tj_str(x, "reason"), "research");
    json_decref(l);
    r48[47] = 0; /* 47 bytes: the most a reason has */
    snprintf(body, sizeof body, "{\"participant\":%lld,\"exempt\":false,\"reason\":\"%s\"}", F.pc,
             r48);
    l = post("/api/v1/limits/exemptions", gt, 201, "%s", body);
    x = json_array_get(json_object_get(l, "exemptions"), 1);
    assert_string_equal(tj_str(x, "reason"), r48);
    assert_true(json_is_true(json_object_get(x, "in_force")));
    assert_false(json_is_true(
        json_object_get(json_array_get(json_object_get(l, "exemptions"), 0), "in_force")));
    json_decref(l);
    /* the large-holder report: above 5% of the issuance */
    l = get("/api/v1/large-holders", gt, 200);
    json_t *hs = json_object_get(l, "holders");
    assert_true(json_array_size(hs) > 0);
    for (size_t i = 0; i < json_array_size(hs); i++) {
        json_t *lh = json_array_get(hs, i);
        assert_true(tj_int(lh, "held") * 10000 > 500 * tj_int(lh, "issued"));
        assert_true(tj_int(lh, "share_bp") >= 500);
    }
    assert_int_equal(tj_int(l, "share_bp"), 500);
    assert_string_equal(tj_str(l, "day"), "now");
    json_decref(l);
    l = get("/api/v1/large-holders?day=last", F.t.admin, 200);
    assert_string_equal(tj_str(l, "day"), "last");
    json_decref(l);
    expect_error("GET", "/api/v1/large-holders?day=yesterday", F.t.admin, NULL, 400, "bad_field",
                 "day");
    expect_error("GET", "/api/v1/large-holders", F.alice, NULL, 403, "forbidden", NULL);
    /* abnormal-trading alerts: three self-trade attempts in a day raise one */
    long long ask = post_order(F.alice, "CEA25", "sell", "74.60", 1, 201);
    snprintf(body, sizeof body,
             "{\"code\":\"CEA25\",\"side\":\"buy\",\"targets\":[{\"order_id\":%lld,\"qty\":1}]}",
             ask);
    for (int i = 0; i < 3; i++)
        expect_error("POST", "/api/v1/takes", F.alice, body, 422, "self_trade", NULL);
    /* every page: the suite's other cases (batches of 1,000 orders) raise alerts too */
    bool found = false;
    long long total = 0, seen = 0;
    do {
        char path[96];
        snprintf(path, sizeof path, "/api/v1/alerts?from=%lld&limit=1000", seen);
        l = get(path, gt, 200);
        json_t *al = json_object_get(l, "alerts");
        total = tj_int(l, "total");
        assert_int_equal(tj_int(l, "lost"), 0); /* nothing went missing for lack of memory */
        for (size_t i = 0; i < json_array_size(al); i++) {
            json_t *a = json_array_get(al, i);
            if (strcmp(tj_str(a, "rule"), "self_trade") == 0 && tj_int(a, "participant") == F.pa) {
                found = true;
                assert_int_equal(tj_int(a, "threshold"), 3);
                assert_int_equal(json_array_size(json_object_get(a, "evidence")), 3);
            }
        }
        seen += (long long)json_array_size(al);
        if (json_array_size(al) == 0) break;
        json_decref(l);
        l = NULL;
    } while (seen < total);
    assert_true(found);
    assert_int_equal(seen, total);
    json_decref(l);
    expect_error("GET", "/api/v1/alerts", F.alice, NULL, 403, "forbidden", NULL);
    expect_error("GET", "/api/v1/alerts?limit=1001", F.t.admin, NULL, 400, "bad_field", "limit");
    tresp mr;
    ts_req(&F.t, "GET", "/metrics", NULL, NULL, &mr);
    assert_int_equal(mr.status, 200);
    assert_non_null(strstr(mr.body, "cets_alerts_total{rule=\"self_trade\"} "));
    assert_null(strstr(mr.body, "cets_alerts_total{rule=\"self_trade\"} 0\n"));
    assert_non_null(strstr(mr.body, "cets_alerts_total{rule=\"related\"} "));
    assert_non_null(strstr(mr.body, "\ncets_surveil_lost_total 0\n"));
    tresp_free(&mr);
    /* related parties: declared by the operator, listed for the authority too */
    const char *R = "/api/v1/related";
    snprintf(body, sizeof body,
             "{\"participant\":%lld,\"counterparty\":%lld,\"related\":true,\"reason\":\"one "
             "group\"}",
             F.pc, F.pa);
    expect_error("POST", R, gt, body, 403, "forbidden", NULL);
    expect_error("POST", R, F.alice, body, 403, "forbidden", NULL);
    expect_error("GET", R, F.alice, NULL, 403, "forbidden", NULL);
    l = post(R, F.t.admin, 201, "%s", body);
    x = json_array_get(json_object_get(l, "declarations"), 0);
    assert_int_equal(tj_int(x, "participant"), F.pa < F.pc ? F.pa : F.pc);
    assert_int_equal(tj_int(x, "counterparty"), F.pa < F.pc ? F.pc : F.pa);
    assert_true(json_is_true(json_object_get(x, "related")));
    assert_true(json_is_true(json_object_get(x, "in_force")));
    assert_string_equal(tj_str(x, "reason"), "one group");
    json_decref(l);
    l = get(R, gt, 200);
    assert_int_equal(json_array_size(json_object_get(l, "declarations")), 1);
    json_decref(l);
    snprintf(body, sizeof body,
             "{\"participant\":%lld,\"counterparty\":%lld,\"related\":false,\"reason\":\"x\"}",
             F.pa, F.pa);
    expect_error("POST", R, F.t.admin, body, 422, "bad_argument", NULL);
    snprintf(body, sizeof body,
             "{\"participant\":%lld,\"counterparty\":%lld,\"related\":false,\"reason\":\"\"}", F.pa,
             F.pc);
    expect_error("POST", R, F.t.admin, body, 400, "bad_field", "reason");
    snprintf(body, sizeof body,
             "{\"participant\":%lld,\"counterparty\":%lld,\"related\":false,\"reason\":\"split\"}",
             F.pa, F.pc);
    l = post(R, F.t.admin, 201, "%s", body);
    json_t *ds = json_object_get(l, "declarations");
    assert_int_equal(json_array_size(ds), 2);
    assert_false(json_is_true(json_object_get(json_array_get(ds, 0), "in_force")));
    assert_true(json_is_true(json_object_get(json_array_get(ds, 1), "in_force")));
    json_decref(l);
    free(gt);
}

int main(void)
{
    const struct CMUnitTest pure[] = {
        cmocka_unit_test(test_parse_money),      cmocka_unit_test(test_config_file),
        cmocka_unit_test(test_config_example),   cmocka_unit_test(test_config_start_today),
        cmocka_unit_test(test_holiday_calendar), cmocka_unit_test(test_holiday_calendar_refused),
        cmocka_unit_test(test_holiday_reload),
    };
    const struct CMUnitTest live[] = {
        cmocka_unit_test(test_market_data),
        cmocka_unit_test(test_listing_flow),
        cmocka_unit_test(test_continuous),
        cmocka_unit_test(test_orders_batch),
        cmocka_unit_test(test_rejections),
        cmocka_unit_test(test_bad_input_changes_nothing),
        cmocka_unit_test(test_idempotent_retry),
        cmocka_unit_test(test_idempotent_concurrent),
        cmocka_unit_test(test_flood),
        cmocka_unit_test(test_metrics),
        cmocka_unit_test(test_admin),
        cmocka_unit_test(test_fix_compids),
        cmocka_unit_test(test_end_of_day),
        cmocka_unit_test(test_change_and_statement),
        cmocka_unit_test(test_params),
    };
    const struct CMUnitTest restarts[] = {
        cmocka_unit_test(test_restart_in_process),
        cmocka_unit_test(test_restart_sigterm),
        cmocka_unit_test(test_tls_works_or_refuses),
    };
    int fails = cmocka_run_group_tests_name("pure", pure, NULL, NULL);
    fails += cmocka_run_group_tests_name("api", live, server_setup, server_teardown);
    fails += cmocka_run_group_tests_name("restart", restarts, NULL, NULL);
    return fails ? 1 : 0;
}
