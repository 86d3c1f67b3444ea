/* test_authz.c -- the authorisation matrix of docs/api.md, against the real
 * cetsd binary started as a child on 127.0.0.1: every endpoint, asked by
 * no one and by a user of each role, must be allowed (any answer but 401 and
 * 403, and not a server error) or denied (401 without a login, 403 with one)
 * exactly as the documentation's tables say. Then: a user of one participant
 * never sees or touches another participant's orders, fills, account or
 * statement.
 *
 * Requests are real and change the market (orders, a halt switched off,
 * users, holidays), so bodies are valid, and the one endpoint that changes
 * the trading day (end of day) comes last. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tseed.h"
#include "tserver.h"

/* The principals asking: nobody, then one user per role. */
enum { P_ANON, P_VIEW, P_TRADE, P_FUNDS, P_COMPLIANCE, P_AUTHORITY, P_ADMIN, NP };
static const char *const pname[NP] = {"anonymous",  "view",      "trade", "funds",
                                      "compliance", "authority", "admin"};
#define BIT(p) (1u << (p))
#define PUBLIC 0x7fu                                        /* everyone */
#define LOGGED_IN (PUBLIC & ~BIT(P_ANON))                   /* any valid token */
#define VIEWERS (BIT(P_VIEW) | BIT(P_TRADE) | BIT(P_ADMIN)) /* trade and admin imply view */
#define TRADERS BIT(P_TRADE)
#define FUNDS BIT(P_FUNDS)
#define ADMINS BIT(P_ADMIN)

typedef struct endpoint {
    const char *method, *path,
        *body; /* "{id}": the order id, "{pid}": participant A, "{n}": a counter */
    unsigned allowed;
    bool may_404; /* a specific resource the caller may lack (its own order, a closed day) */
} endpoint;

static const endpoint endpoints[] = {
    /* market data: public */
    {"GET", "/api/v1/market", NULL, PUBLIC, false},
    {"GET", "/api/v1/instruments", NULL, PUBLIC, false},
    {"GET", "/api/v1/instruments/CEA25", NULL, PUBLIC, false},
    {"GET", "/api/v1/instruments/CEA25/depth", NULL, PUBLIC, false},
    {"GET", "/api/v1/instruments/CEA25/trades?limit=10", NULL, PUBLIC, false},
    {"GET", "/api/v1/instruments/CEA25/bars?interval=1m", NULL, PUBLIC, false},
    {"GET", "/api/v1/report", NULL, PUBLIC, true},
    {"GET", "/healthz", NULL, PUBLIC, false},
    {"GET", "/metrics", NULL, PUBLIC, false},
    /* account: view */
    {"GET", "/api/v1/account", NULL, VIEWERS, false},
    {"GET", "/api/v1/orders", NULL, VIEWERS, false},
    {"GET", "/api/v1/orders/{id}", NULL, VIEWERS, true},
    {"GET", "/api/v1/fills", NULL, VIEWERS, false},
    {"GET", "/api/v1/statement", NULL, VIEWERS, true},
    /* trading: trade */
    {"POST", "/api/v1/orders",
     "{\"code\":\"CEA25\",\"side\":\"sell\",\"price\":\"55.00\",\"qty\":1}", TRADERS, false},
    {"POST", "/api/v1/takes", "{\"code\":\"CEA25\",\"side\":\"buy\",\"qty\":1,\"limit\":\"45.00\"}",
     TRADERS, false},
    {"PATCH", "/api/v1/orders/{id}", "{\"price\":\"54.00\",\"qty\":3}", TRADERS, false},
    {"DELETE", "/api/v1/orders/{id}", NULL, TRADERS, false},
    /* funds */
    {"POST", "/api/v1/withdrawals", "{\"amount\":\"1.00\"}", FUNDS, false},
    /* the operator */
    {"POST", "/api/v1/admin/instruments",
     "{\"code\":\"CCERZ{n}\",\"product\":\"CCER\",\"matching\":\"listing\",\"prev_close\":\"20."
     "00\"}",
     ADMINS, false},
    {"POST", "/api/v1/admin/instruments/CEA25/halt", "{\"halted\":false}", ADMINS, false},
    {"POST", "/api/v1/admin/instruments/CEA24/mode", "{\"matching\":\"continuous\"}", ADMINS,
     false},
    {"POST", "/api/v1/admin/halt", "{\"halted\":false}", ADMINS, false},
    {"GET", "/api/v1/admin/participants", NULL, ADMINS, false},
    {"POST", "/api/v1/admin/participants", "{\"kind\":\"institution\",\"name\":\"New {n}\"}",
     ADMINS, false},
    {"POST", "/api/v1/admin/participants/{pid}/status", "{\"status\":\"active\"}", ADMINS, false},
    {"POST", "/api/v1/admin/deposits", "{\"participant\":{pid},\"amount\":\"1.00\"}", ADMINS,
     false},
    {"POST", "/api/v1/admin/credits", "{\"participant\":{pid},\"code\":\"CEA25\",\"qty\":1}",
     ADMINS, false},
    {"POST", "/api/v1/admin/holidays", "{\"date\":\"2031-01-07\"}", ADMINS, false},
    {"DELETE", "/api/v1/admin/holidays/2031-01-07", NULL, ADMINS, false},
    {"GET", "/api/v1/admin/users", NULL, ADMINS, false},
    {"POST", "/api/v1/admin/users",
     "{\"username\":\"made{n}\",\"password\":\"made-password\",\"participant\":{pid},\"roles\":["
     "\"view\"]}",
     ADMINS, false},
    {"DELETE", "/api/v1/admin/users/made{n}", NULL, ADMINS, true},
    /* the caller's own login and tokens */
    {"GET", "/api/v1/me", NULL, LOGGED_IN, false},
    {"GET", "/api/v1/tokens", NULL, LOGGED_IN, false},
    {"POST", "/api/v1/tokens", "{\"name\":\"tok{n}\",\"ttl_days\":1}", LOGGED_IN, false},
    {"DELETE", "/api/v1/tokens/nosuchtoken", NULL, LOGGED_IN, true},
    {"POST", "/api/v1/login", "{\"username\":\"u_view\",\"password\":\"" TSEED_PASSWORD "\"}",
     PUBLIC, false},
    /* last: it closes the trading day */
    {"POST", "/api/v1/admin/end-of-day", NULL, ADMINS, false},
};
#define NEP (sizeof endpoints / sizeof endpoints[0])

static tserver T;
static uint32_t A, B, C;
static char *tok[NP];
static char order_a[32]; /* a live order of A, for the order endpoints */

static uint64_t post_order(const char *token, const char *body)
{
    json_t *j = ts_expect(&T, "POST", "/api/v1/orders", token, body, 201);
    uint64_t id = (uint64_t)tj_int(j, "order_id");
    json_decref(j);
    return id;
}

static int group_setup(void **state)
{
    (void)state;
    ts_spawn(&T, NULL);
    tseed_instrument(&T, "CEA25", "listing", "50.00");
    tseed_instrument(&T, "CEA24", "listing", "40.00");
    A = tseed_participant(&T, "entity", "Alpha Power");
    B = tseed_participant(&T, "entity", "Beta Steel");
    C = tseed_participant(&T, "institution", "Gamma Fund");
    for (uint32_t p = A; p <= C; p++) {
        tseed_deposit(&T, p, "1000000.00");
        tseed_credit(&T, p, "CEA25", 10000);
        tseed_credit(&T, p, "CEA24", 10000);
    }
    static const char *const roles[NP] = {NULL,         "view",      "trade", "funds",
                                          "compliance", "authority", "admin"};
    for (int p = 1; p < NP; p++) {
        char name[32];
        snprintf(name, sizeof name, "u_%s", pname[p]);
        tok[p] = tseed_user(&T, name, p == P_ADMIN ? 1 : A, roles[p]);
    }
    uint64_t id = post_order(
        tok[P_TRADE], "{\"code\":\"CEA25\",\"side\":\"sell\",\"price\":\"52.00\",\"qty\":5}");
    snprintf(order_a, sizeof order_a, "%llu", (unsigned long long)id);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    assert_int_equal(ts_signal(&T, SIGTERM), 0); /* a clean stop, too */
    ts_rmtree(T.dir);
    for (int p = 0; p < NP; p++) free(tok[p]);
    return 0;
}

/* ---- the matrix ---------------------------------------------------------------- */

/* The template with {id}, {pid} and {n} filled in. */
static void fill(char *out, size_t len, const char *tpl, int counter)
{
    size_t n = 0;
    while (*tpl && n + 24 < len) {
        if (strncmp(tpl, "{id}", 4) == 0)
            n += (size_t)snprintf(out + n, len - n, "%s", order_a), tpl += 4;
        else if (strncmp(tpl, "{pid}", 5) == 0)
            n += (size_t)snprintf(out + n, len - n, "%u", A), tpl += 5;
        else if (strncmp(tpl, "{n}", 3) == 0)
            n += (size_t)snprintf(out + n, len - n, "%d", counter), tpl += 3;
        else
            out[n++] = *tpl++;
    }
    out[n] = 0;
}

static void check_denial(const endpoint *e, int p, const tresp *r)
{
    long want = p == P_ANON ? 401 : 403;
    const char *name = p == P_ANON ? "unauthenticated" : "forbidden";
    if (r->status != want || strcmp(tj_str(r->json, "error"), name) != 0)
        fail_msg("%s %s as %s: want %ld %s, got %ld: %s", e->method, e->path, pname[p], want, name,
                 r->status, r->body);
}

static void check_allowed(const endpoint *e, int p, const tresp *r)
{
    long s = r->status;
    bool ok = (s >= 200 && s < 300) || s == 422 || s == 409 || (s == 404 && e->may_404);
    if (!ok)
        fail_msg("%s %s as %s: want it allowed, got %ld: %s", e->method, e->path, pname[p], s,
                 r->body);
}

static void test_matrix(void **state)
{
    (void)state;
    int requests = 0, allowed = 0, counter = 0;
    for (size_t i = 0; i < NEP; i++) {
        const endpoint *e = &endpoints[i];
        for (int p = 0; p < NP; p++) {
            char path[256], body[512];
            fill(path, sizeof path, e->path, counter);
            if (e->body) fill(body, sizeof body, e->body, counter);
            counter++;
            tresp r;
            ts_req(&T, e->method, path, tok[p], e->body ? body : NULL, &r);
            if (e->allowed & BIT(p)) {
                check_allowed(e, p, &r);
                if (getenv("AUTHZ_VERBOSE"))
                    printf("  %ld %s %s as %s\n", r.status, e->method, path, pname[p]);
                allowed++;
            } else {
                check_denial(e, p, &r);
            }
            tresp_free(&r);
            requests++;
        }
    }
    printf("authorisation matrix: %zu endpoints x %d principals = %d requests "
           "(%d allowed, %d denied)\n",
           NEP, NP, requests, allowed, requests - allowed);
}

/* A bad token is not taken for no token: endpoints that need a user answer
 * 401, whatever role they need. */
static void test_bad_token(void **state)
{
    (void)state;
    static const char *const paths[] = {"/api/v1/account", "/api/v1/me", "/api/v1/admin/users"};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        tresp r;
        ts_req(&T, "GET", paths[i],
               "0000000000000000000000000000000000000000000000000000000000000000", NULL, &r);
        assert_int_equal(r.status, 401);
        assert_string_equal(tj_str(r.json, "error"), "unauthenticated");
        tresp_free(&r);
    }
}

/* ---- one participant and another ------------------------------------------------- */

static bool mentions(json_t *arr, const char *key, long long value)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v) if (tj_int(v, key) == value) return true;
    return false;
}

static void test_participants_apart(void **state)
{
    (void)state;
    char *a_trade = tseed_user(&T, "a_trader", A, "trade");
    char *b_trade = tseed_user(&T, "b_trader", B, "trade");
    char *b_view = tseed_user(&T, "b_viewer", B, "view");
    char *b_funds = tseed_user(&T, "b_funds", B, "funds");
    char *c_trade = tseed_user(&T, "c_trader", C, "trade");

    /* A sells to C; A keeps a live order too */
    uint64_t sold =
        post_order(a_trade, "{\"code\":\"CEA24\",\"side\":\"sell\",\"price\":\"40.00\",\"qty\":3}");
    json_decref(ts_expect(&T, "POST", "/api/v1/takes", c_trade,
                          "{\"code\":\"CEA24\",\"side\":\"buy\",\"qty\":3,\"limit\":\"40.00\"}",
                          201));
    uint64_t live =
        post_order(a_trade, "{\"code\":\"CEA24\",\"side\":\"sell\",\"price\":\"41.00\",\"qty\":2}");
    char path[128], body[128];

    /* A's own user sees both */
    json_t *fills = ts_expect(&T, "GET", "/api/v1/fills", a_trade, NULL, 200);
    assert_true(mentions(fills, "order_id", (long long)sold));
    json_decref(fills);

    /* B sees neither A's orders nor A's fills */
    json_t *orders = ts_expect(&T, "GET", "/api/v1/orders", b_trade, NULL, 200);
    assert_false(mentions(orders, "order_id", (long long)live));
    assert_false(mentions(orders, "participant", A));
    json_decref(orders);
    fills = ts_expect(&T, "GET", "/api/v1/fills", b_view, NULL, 200);
    assert_int_equal(json_array_size(fills), 0);
    json_decref(fills);
    snprintf(path, sizeof path, "/api/v1/orders/%llu", (unsigned long long)live);
    tresp r;
    ts_req(&T, "GET", path, b_trade, NULL, &r);
    assert_true(r.status == 403 || r.status == 404);
    assert_null(strstr(r.body, "41.00"));
    tresp_free(&r);

    /* naming A is refused outright */
    static const char *const views[] = {"account", "orders", "fills", "statement"};
    for (size_t i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "/api/v1/%s?participant=%u", views[i], A);
        ts_req(&T, "GET", path, b_view, NULL, &r);
        assert_int_equal(r.status, 403);
        assert_non_null(strstr(tj_str(r.json, "message"), "not yours"));
        tresp_free(&r);
    }
    snprintf(body, sizeof body, "{\"amount\":\"1.00\",\"participant\":%u}", A);
    ts_req(&T, "POST", "/api/v1/withdrawals", b_funds, body, &r);
    assert_int_equal(r.status, 403);
    tresp_free(&r);

    /* and B cannot touch A's order */
    snprintf(path, sizeof path, "/api/v1/orders/%llu", (unsigned long long)live);
    ts_req(&T, "DELETE", path, b_trade, NULL, &r);
    assert_true(r.status >= 400);
    tresp_free(&r);
    ts_req(&T, "PATCH", path, b_trade, "{\"price\":\"42.00\",\"qty\":1}", &r);
    assert_true(r.status >= 400);
    tresp_free(&r);
    json_t *mine = ts_expect(&T, "GET", path, a_trade, NULL, 200); /* untouched */
    assert_string_equal(tj_str(mine, "price"), "41.00");
    assert_int_equal(tj_int(mine, "qty"), 2);
    json_decref(mine);

    /* the operator may look at A */
    snprintf(path, sizeof path, "/api/v1/account?participant=%u", A);
    json_t *acct = ts_expect(&T, "GET", path, tok[P_ADMIN], NULL, 200);
    assert_int_equal(tj_int(acct, "participant"), A);
    json_decref(acct);
    free(a_trade), free(b_trade), free(b_view), free(b_funds), free(c_trade);
}

/* Every denial is in cetsd's log with who, where and why; no token and no
 * password ever is. */
static void test_denials_logged(void **state)
{
    (void)state;
    char path[600];
    snprintf(path, sizeof path, "%s.log", T.dir); /* tserver's log_file */
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    size_t cap = 1 << 24, n;
    char *log = malloc(cap + 1);
    n = fread(log, 1, cap, f);
    log[n] = 0;
    fclose(f);
    assert_non_null(strstr(log, "msg=\"denied\" status=403 user=u_view method=POST "
                                "path=/api/v1/orders reason=\"role trade required\""));
    assert_non_null(strstr(log, "msg=\"denied\" status=401 user=- method=GET "
                                "path=/api/v1/account"));
    assert_non_null(strstr(log, "reason=\"participant "));
    for (int p = 1; p < NP; p++) assert_null(strstr(log, tok[p]));
    assert_null(strstr(log, TSEED_PASSWORD));
    assert_null(strstr(log, TS_ADMIN_PASSWORD));
    assert_null(strstr(log, "made-password"));
    free(log);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_token),
        cmocka_unit_test(test_participants_apart),
        cmocka_unit_test(test_matrix), /* it ends the trading day */
        cmocka_unit_test(test_denials_logged),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
