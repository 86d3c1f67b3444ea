/* test_api_registry.c -- block agreements, one-way bidding and the registry
 * over HTTP (docs/api.md), against cetsd started in this process on
 * 127.0.0.1: a block proposal accepted, an auction bid on and closed, an
 * allocation file with a bad row refused whole, emissions, a surrender, the
 * deadline, the compliance report in JSON and CSV, a four-eyes transfer, and
 * the authority endpoints denied to a trade-only user. The tests run in order
 * on one market. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tseed.h"
#include "tserver.h"

typedef struct fx {
    tserver t;
    uint32_t pa, pb, pc, pg; /* entities A and B, institution C, authority G */
    char *alice, *alice2, *bob, *carl, *gov, *trader; /* tokens */
} fx;

static fx F;

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

static json_t *account(uint32_t pid)
{
    char path[96];
    snprintf(path, sizeof path, "/api/v1/admin/participants/%u", pid);
    return ts_expect(&F.t, "GET", path, F.t.admin, NULL, 200);
}

static long long holding(uint32_t pid, const char *code, const char *what)
{
    json_t *a = account(pid);
    long long v = -1;
    size_t i;
    json_t *h;
    json_array_foreach(json_object_get(a, "holdings"), i, h)
    {
        if (strcmp(tj_str(h, "code"), code) == 0) v = tj_int(h, what);
    }
    json_decref(a);
    return v;
}

/* "123.45" -> 12345 */
static long long fen(const char *s)
{
    long long whole = 0, frac = 0;
    int n = 0;
    sscanf(s, "%lld.%n", &whole, &n);
    if (n && s[n]) frac = strtoll(s + n, NULL, 10) * (strlen(s + n) == 1 ? 10 : 1);
    return whole * 100 + frac;
}

static long long available_funds(uint32_t pid)
{
    json_t *a = account(pid);
    long long v = fen(tj_str(a, "available"));
    json_decref(a);
    return v;
}

static int setup(void **state)
{
    (void)state;
    memset(&F, 0, sizeof F);
    ts_start(&F.t, NULL, NULL);
    tseed_instrument(&F.t, "CEA25", "listing", "50.00");
    tseed_instrument(&F.t, "CCER", "listing", "80.00");
    F.pa = tseed_participant(&F.t, "entity", "Alpha Power");
    F.pb = tseed_participant(&F.t, "entity", "Beta Steel");
    F.pc = tseed_participant(&F.t, "institution", "Carl Capital");
    F.pg = tseed_participant(&F.t, "authority", "Ministry");
    tseed_deposit(&F.t, F.pa, "100000000.00");
    tseed_deposit(&F.t, F.pb, "100000000.00");
    tseed_deposit(&F.t, F.pc, "100000000.00");
    tseed_credit(&F.t, F.pa, "CEA25", 500000);
    F.alice = tseed_user(&F.t, "alice", F.pa, "view,trade,compliance");
    F.alice2 = tseed_user(&F.t, "alice2", F.pa, "compliance");
    F.bob = tseed_user(&F.t, "bob", F.pb, "view,trade,compliance");
    F.carl = tseed_user(&F.t, "carl", F.pc, "view,trade");
    F.gov = tseed_user(&F.t, "gov", F.pg, "authority");
    F.trader = tseed_user(&F.t, "trader", F.pb, "view,trade");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ts_stop(&F.t);
    free(F.alice);
    free(F.alice2);
    free(F.bob);
    free(F.carl);
    free(F.gov);
    free(F.trader);
    return 0;
}

/* A proposes a sale of 100,000 t at 50.00 to B; B accepts. */
static void test_block_accept(void **state)
{
    (void)state;
    long long a0 = available_funds(F.pa), b0 = available_funds(F.pb);
    json_t *q = post("/api/v1/blocks/quotes", F.alice, 201,
                     "{\"code\":\"CEA25\",\"side\":\"sell\",\"price\":\"51.00\",\"qty\":200000}");
    assert_string_equal(tj_str(q, "type"), "quote");
    json_decref(q);
    json_t *p = post("/api/v1/blocks/proposals", F.alice, 201,
                     "{\"code\":\"CEA25\",\"side\":\"sell\",\"price\":\"50.00\",\"qty\":100000,"
                     "\"counterparty\":%u}",
                     F.pb);
    long long id = tj_int(p, "id");
    assert_string_equal(tj_str(p, "status"), "open");
    json_decref(p);
    /* B sees the board quote and the proposal addressed to it */
    json_t *l = ts_expect(&F.t, "GET", "/api/v1/blocks", F.bob, NULL, 200);
    assert_int_equal(json_array_size(l), 2);
    json_decref(l);
    char path[96];
    snprintf(path, sizeof path, "/api/v1/blocks/%lld/accept", id);
    /* terms must repeat the proposal's */
    json_decref(post(path, F.bob, 422,
                     "{\"code\":\"CEA25\",\"side\":\"buy\",\"price\":\"50.01\",\"qty\":100000}"));
    json_t *a = post(path, F.bob, 200,
                     "{\"code\":\"CEA25\",\"side\":\"buy\",\"price\":\"50.00\",\"qty\":100000}");
    assert_string_equal(tj_str(a, "status"), "accepted");
    assert_true(tj_int(a, "trade_id") > 0);
    json_decref(a);
    /* value 5,000,000.00, fee 0.05% = 2,500.00 each side */
    assert_int_equal(available_funds(F.pb), b0 - 500000000LL - 250000LL);
    assert_int_equal(available_funds(F.pa), a0 + 500000000LL - 250000LL);
    assert_int_equal(holding(F.pb, "CEA25", "locked"), 100000);
    assert_int_equal(holding(F.pa, "CEA25", "available"), 400000);
    /* the quote is withdrawn by its owner */
    l = ts_expect(&F.t, "GET", "/api/v1/blocks", F.alice, NULL, 200);
    size_t i;
    json_t *b;
    long long qid = 0;
    json_array_foreach(l, i, b)
    {
        if (strcmp(tj_str(b, "type"), "quote") == 0) qid = tj_int(b, "id");
    }
    json_decref(l);
    snprintf(path, sizeof path, "/api/v1/blocks/%lld", qid);
    json_t *w = ts_expect(&F.t, "DELETE", path, F.alice, NULL, 200);
    assert_string_equal(tj_str(w, "status"), "withdrawn");
    json_decref(w);
}

/* A block refused for its band or size says the block rule's numbers, not
 * the listing defaults (issue 9: it said "+/-10%" and "1 to 99,999 t"). */
static void test_block_reject_messages(void **state)
{
    (void)state;
    tresp r;
    assert_int_equal(ts_req(&F.t, "POST", "/api/v1/blocks/quotes", F.alice,
                            "{\"code\":\"CEA25\",\"side\":\"sell\",\"price\":\"66.00\","
                            "\"qty\":200000}",
                            &r),
                     422);
    assert_string_equal(tj_str(r.json, "error"), "price_out_of_band");
    assert_string_equal(tj_str(r.json, "message"),
                        "price is outside the block band (previous close +/-30%)");
    tresp_free(&r);
    assert_int_equal(ts_req(&F.t, "POST", "/api/v1/blocks/proposals", F.alice,
                            "{\"code\":\"CEA25\",\"side\":\"sell\",\"price\":\"50.00\","
                            "\"qty\":5000,\"counterparty\":3}",
                            &r),
                     422);
    assert_string_equal(tj_str(r.json, "error"), "qty_out_of_range");
    assert_string_equal(tj_str(r.json, "message"),
                        "quantity is outside the limits (block: 100,000 to 1,000,000,000 t)");
    tresp_free(&r);
}

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* The exchange auctions A's 100,000 t; B and C bid; uniform price. */
static void test_auction(void **state)
{
    (void)state;
    long long start = now_ns() - 1000000000LL, end = now_ns() + 2000000000LL;
    json_t *a = post("/api/v1/admin/auctions", F.t.admin, 201,
                     "{\"participant\":%u,\"code\":\"CEA25\",\"side\":\"sell\",\"lot\":100000,"
                     "\"start\":%lld,\"end\":%lld,\"mode\":\"uniform\","
                     "\"reserve\":\"previous_close\",\"min_fill_pct\":\"50\"}",
                     F.pa, start, end);
    long long id = tj_int(a, "id");
    assert_string_equal(tj_str(a, "status"), "open");
    json_decref(a);
    assert_int_equal(holding(F.pa, "CEA25", "frozen"), 100000);
    char path[96];
    snprintf(path, sizeof path, "/api/v1/auctions/%lld/bids", id);
    json_decref(post(path, F.bob, 201, "{\"price\":\"54.00\",\"qty\":60000}"));
    json_decref(post(path, F.carl, 201, "{\"price\":\"52.00\",\"qty\":60000}"));
    json_decref(post(path, F.carl, 422, "{\"price\":\"60.00\",\"qty\":1}")); /* above the cap */
    /* close before the end: auction_running */
    snprintf(path, sizeof path, "/api/v1/admin/auctions/%lld/close", id);
    tresp r;
    assert_int_equal(ts_req(&F.t, "POST", path, F.t.admin, NULL, &r), 422);
    tresp_free(&r);
    while (now_ns() < end + 100000000LL) usleep(100000);
    a = ts_expect(&F.t, "POST", path, F.t.admin, NULL, 200);
    assert_string_equal(tj_str(a, "status"), "closed");
    assert_string_equal(tj_str(a, "clearing_price"), "52.00");
    assert_int_equal(tj_int(a, "filled"), 100000);
    assert_int_equal(json_array_size(json_object_get(a, "bid_list")), 2);
    json_decref(a);
    assert_int_equal(holding(F.pb, "CEA25", "locked"), 160000);
    assert_int_equal(holding(F.pc, "CEA25", "locked"), 40000);
    /* public list; a bidder sees its own bids only */
    json_t *l = ts_expect(&F.t, "GET", "/api/v1/auctions", NULL, NULL, 200);
    assert_int_equal(json_array_size(l), 1);
    json_decref(l);
    snprintf(path, sizeof path, "/api/v1/auctions/%lld", id);
    a = ts_expect(&F.t, "GET", path, F.bob, NULL, 200);
    assert_int_equal(json_array_size(json_object_get(a, "own_bids")), 1);
    json_decref(a);
}

static void test_allocation_csv(void **state)
{
    (void)state;
    long long before = holding(F.pa, "CEA25", "available");
    char csv[512];
    snprintf(csv, sizeof csv,
             "entity,vintage,kind,qty,output,benchmark\n%u,CEA25,pre,1000,100,10\n"
             "%u,NOPE,pre,5,1,1\n",
             F.pa, F.pb);
    tresp r;
    assert_int_equal(ts_req(&F.t, "POST", "/api/v1/registry/allocations/csv", F.gov, csv, &r), 422);
    json_t *errs = json_object_get(r.json, "errors");
    assert_true(json_array_size(errs) >= 1);
    assert_non_null(strstr(json_string_value(json_array_get(errs, 0)), ":3:"));
    tresp_free(&r);
    assert_int_equal(holding(F.pa, "CEA25", "available"), before); /* nothing changed */
    snprintf(csv, sizeof csv,
             "entity,vintage,kind,qty,output,benchmark\n%u,CEA25,pre,1000,100,10\n", F.pa);
    json_t *o = ts_expect(&F.t, "POST", "/api/v1/registry/allocations/csv", F.gov, csv, 201);
    assert_int_equal(tj_int(o, "allocations"), 1);
    json_decref(o);
    assert_int_equal(holding(F.pa, "CEA25", "available"), before + 1000);
    o = post("/api/v1/registry/allocations", F.gov, 201,
             "{\"participant\":%u,\"code\":\"CEA25\",\"qty\":300,\"kind\":\"pre\","
             "\"output\":30,\"benchmark\":10}",
             F.pb);
    assert_int_equal(tj_int(o, "available"), 300);
    json_decref(o);
}

static void test_emissions_surrender_deadline(void **state)
{
    (void)state;
    json_decref(post("/api/v1/registry/emissions", F.gov, 201,
                     "{\"participant\":%u,\"year\":2025,\"tonnes\":1000}", F.pa));
    char csv[128];
    snprintf(csv, sizeof csv, "entity,year,tonnes\n%u,2025,500\n", F.pb);
    json_decref(ts_expect(&F.t, "POST", "/api/v1/registry/emissions/csv", F.gov, csv, 201));
    json_t *s = post("/api/v1/registry/surrenders", F.alice, 201, "{\"year\":2025,\"qty\":600}");
    assert_int_equal(tj_int(s, "surrendered"), 600);
    json_decref(s);
    s = post("/api/v1/registry/surrenders", F.bob, 201,
             "{\"year\":2025,\"instruments\":[{\"code\":\"CEA25\",\"qty\":200}]}");
    assert_int_equal(tj_int(s, "surrendered"), 200);
    json_decref(s);
    /* the answer carries what a certificate prints: its number (the
     * journal's seq), the time and the holder */
    json_t *ret =
        post("/api/v1/registry/retirements", F.alice, 201,
             "{\"code\":\"CEA25\",\"qty\":5,\"beneficiary\":\"Town\",\"reason\":\"offset\"}");
    assert_true(tj_int(ret, "seq") > 0);
    assert_int_equal(tj_int(ret, "participant"), F.pa);
    assert_int_equal(strlen(tj_str(ret, "ts")), 24);
    json_decref(ret);
    /* what may still be surrendered in CCER, shown before a surrender: 5% of
     * 1000 t is 50 t */
    char cpath[96];
    snprintf(cpath, sizeof cpath, "/api/v1/registry/compliance/%u?year=2025", F.pa);
    json_t *cc = ts_expect(&F.t, "GET", cpath, F.alice, NULL, 200);
    assert_string_equal(tj_str(cc, "ccer_cap_pct"), "5.00");
    assert_int_equal(tj_int(cc, "ccer_max"), 50);
    assert_int_equal(tj_int(cc, "ccer_left"), 50);
    json_decref(cc);
    json_decref(post("/api/v1/registry/deadline", F.gov, 200, "{\"year\":2025}"));

    json_t *rep = ts_expect(&F.t, "GET", "/api/v1/registry/compliance?year=2025", F.gov, NULL, 200);
    json_t *ents = json_object_get(rep, "entities");
    assert_int_equal(json_array_size(ents), 2);
    json_decref(rep);
    tresp r;
    assert_int_equal(
        ts_req(&F.t, "GET", "/api/v1/registry/compliance?year=2025&format=csv", F.gov, NULL, &r),
        200);
    assert_true(strncmp(r.body, "entity,", 7) == 0);
    int lines = 0;
    for (const char *p = r.body; *p; p++) lines += *p == '\n';
    assert_int_equal(lines, 3);
    tresp_free(&r);
    /* a compliance user sees its own row only */
    rep = ts_expect(&F.t, "GET", "/api/v1/registry/compliance?year=2025", F.alice, NULL, 200);
    assert_int_equal(json_array_size(json_object_get(rep, "entities")), 1);
    json_decref(rep);
    char path[96];
    snprintf(path, sizeof path, "/api/v1/registry/compliance/%u?year=2025", F.pa);
    json_t *c = ts_expect(&F.t, "GET", path, F.alice, NULL, 200);
    assert_string_equal(tj_str(c, "status"), "shortfall");
    assert_int_equal(tj_int(c, "shortfall"), 400);
    json_decref(c);
    snprintf(path, sizeof path, "/api/v1/registry/compliance/%u?year=2025", F.pb);
    json_decref(ts_expect(&F.t, "GET", path, F.alice, NULL, 403));
}

static void test_transfer_four_eyes(void **state)
{
    (void)state;
    long long b0 = holding(F.pb, "CEA25", "available");
    json_t *t = post("/api/v1/registry/transfers", F.alice, 201,
                     "{\"to\":%u,\"code\":\"CEA25\",\"qty\":10}", F.pb);
    long long id = tj_int(t, "id");
    assert_string_equal(tj_str(t, "status"), "pending");
    json_decref(t);
    char path[96];
    snprintf(path, sizeof path, "/api/v1/registry/transfers/%lld/approve", id);
    tresp r;
    assert_int_equal(ts_req(&F.t, "POST", path, F.alice, NULL, &r), 422);
    assert_string_equal(tj_str(r.json, "error"), "four_eyes");
    tresp_free(&r);
    t = ts_expect(&F.t, "POST", path, F.alice2, NULL, 200);
    assert_string_equal(tj_str(t, "status"), "approved");
    json_decref(t);
    assert_int_equal(holding(F.pb, "CEA25", "available"), b0 + 10);
    t = ts_expect(&F.t, "GET", "/api/v1/registry/transfers", F.alice2, NULL, 200);
    assert_int_equal(json_array_size(t), 1);
    json_decref(t);
}

/* A judicially frozen participant cannot take its cash out (issue 10,
 * finding 2): after POST /registry/freeze, POST /withdrawals is refused with
 * 422 participant_frozen and the balance stays; after the freeze is lifted
 * the same withdrawal goes through. */
static void test_freeze_stops_withdrawal(void **state)
{
    (void)state;
    char *cfo = tseed_user(&F.t, "carl_cfo", F.pc, "view,funds");
    long long before = available_funds(F.pc);
    json_decref(
        post("/api/v1/registry/freeze", F.gov, 200, "{\"participant\":%u,\"frozen\":true}", F.pc));
    tresp r;
    assert_int_equal(
        ts_req(&F.t, "POST", "/api/v1/withdrawals", cfo, "{\"amount\":\"1000.00\"}", &r), 422);
    assert_string_equal(tj_str(r.json, "error"), "participant_frozen");
    assert_int_equal(tj_int(r.json, "code"), CETS_PARTICIPANT_FROZEN);
    tresp_free(&r);
    /* nor may an admin withdraw for it, as the exchange */
    char body[96];
    snprintf(body, sizeof body, "{\"amount\":\"1000.00\",\"participant\":%u}", F.pc);
    assert_int_equal(ts_req(&F.t, "POST", "/api/v1/withdrawals", F.t.admin, body, &r), 422);
    assert_string_equal(tj_str(r.json, "error"), "participant_frozen");
    tresp_free(&r);
    assert_int_equal(available_funds(F.pc), before);
    json_decref(
        post("/api/v1/registry/freeze", F.gov, 200, "{\"participant\":%u,\"frozen\":false}", F.pc));
    json_t *w = post("/api/v1/withdrawals", cfo, 200, "{\"amount\":\"1000.00\"}");
    assert_string_equal(tj_str(w, "withdrawn"), "1000.00");
    json_decref(w);
    assert_int_equal(available_funds(F.pc), before - 100000);
    free(cfo);
}

static void test_denials(void **state)
{
    (void)state;
    static const char *const eps[][2] = {
        {"/api/v1/registry/allocations",
         "{\"participant\":2,\"code\":\"CEA25\",\"qty\":1,\"kind\":\"pre\"}"},
        {"/api/v1/registry/allocations/csv", "entity,vintage,kind,qty,output,benchmark\n"},
        {"/api/v1/registry/emissions", "{\"participant\":2,\"year\":2026,\"tonnes\":1}"},
        {"/api/v1/registry/emissions/csv", "entity,year,tonnes\n"},
        {"/api/v1/registry/deadline", "{\"year\":2026}"},
        {"/api/v1/registry/freeze", "{\"participant\":2,\"frozen\":true}"},
        {"/api/v1/registry/surrenders", "{\"year\":2025,\"qty\":1,\"participant\":2}"},
        {"/api/v1/registry/transfers", "{\"to\":2,\"code\":\"CEA25\",\"qty\":1}"},
        {"/api/v1/admin/auctions", "{}"},
        {"/api/v1/admin/auctions/1/cancel", NULL},
    };
    for (size_t i = 0; i < sizeof eps / sizeof eps[0]; i++) {
        tresp r;
        long st = ts_req(&F.t, "POST", eps[i][0], F.trader, eps[i][1], &r);
        if (st != 403) fprintf(stderr, "%s: %ld %s\n", eps[i][0], st, r.body ? r.body : "");
        assert_int_equal(st, 403);
        tresp_free(&r);
        assert_int_equal(ts_req(&F.t, "POST", eps[i][0], NULL, eps[i][1], &r), 401);
        tresp_free(&r);
    }
    json_decref(
        ts_expect(&F.t, "GET", "/api/v1/registry/compliance?year=2025", F.trader, NULL, 403));
    /* an authority cannot trade on the block board */
    json_decref(post("/api/v1/blocks/quotes", F.gov, 403,
                     "{\"code\":\"CEA25\",\"side\":\"sell\",\"price\":\"50.00\",\"qty\":100000}"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_block_accept),
        cmocka_unit_test(test_block_reject_messages),
        cmocka_unit_test(test_auction),
        cmocka_unit_test(test_allocation_csv),
        cmocka_unit_test(test_emissions_surrender_deadline),
        cmocka_unit_test(test_transfer_four_eyes),
        cmocka_unit_test(test_freeze_stops_withdrawal),
        cmocka_unit_test(test_denials),
    };
    return cmocka_run_group_tests_name("api_registry", tests, setup, teardown);
}
