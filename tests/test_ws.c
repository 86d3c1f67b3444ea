/* test_ws.c -- the WebSocket streams of cetsd (docs/api.md, "WebSocket"),
 * against a server started in this process on 127.0.0.1, with a minimal
 * RFC 6455 client (support/wsclient.c). Users post and take over HTTP; the
 * tests check what each socket receives and what it must not. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../src/server/http.h"
#include "../src/server/ws_int.h"
#include "tseed.h"
#include "tserver.h"
#include "wsclient.h"

#define WAIT_MS 5000

static tserver T;
static uint32_t A, B, C;
static char *alice, *bob, *carol, *fred;

static int group_setup(void **state)
{
    (void)state;
    ts_start(&T, NULL, NULL);
    tseed_instrument(&T, "CEA25", "listing", "50.00");
    tseed_instrument(&T, "CEA24", "listing", "40.00");
    tseed_instrument(&T, "CEA23", "listing", "30.00");
    tseed_instrument(&T, "CEA22", "listing", "20.00"); /* id 3: the slow-client test's */
    A = tseed_participant(&T, "entity", "Alpha Power");
    B = tseed_participant(&T, "entity", "Beta Steel");
    C = tseed_participant(&T, "institution", "Gamma Fund");
    tseed_deposit(&T, A, "1000000.00");
    tseed_deposit(&T, B, "1000000.00");
    tseed_credit(&T, A, "CEA25", 10000);
    tseed_credit(&T, A, "CEA24", 10000);
    tseed_credit(&T, A, "CEA23", 10000);
    alice = tseed_user(&T, "alice", A, "trade");
    bob = tseed_user(&T, "bob", B, "trade");
    carol = tseed_user(&T, "carol", C, "view");
    fred = tseed_user(&T, "fred", C, "funds");
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    ts_stop(&T);
    ts_rmtree(T.dir);
    free(alice), free(bob), free(carol), free(fred);
    return 0;
}

/* ---- helpers ------------------------------------------------------------- */

static wsc *ws_open(void)
{
    wsc *c = wsc_connect(T.port, "/ws");
    assert_non_null(c);
    return c;
}

static void ws_say(wsc *c, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    assert_int_equal(wsc_send(c, buf), 0);
}

/* The next message with m[key] == value; fails the test after WAIT_MS. */
static json_t *ws_expect(wsc *c, const char *key, const char *value)
{
    json_t *j = wsc_wait(c, key, value, WAIT_MS);
    if (!j) fail_msg("no message with %s = \"%s\" within %d ms", key, value, WAIT_MS);
    return j;
}

static void ws_expect_error(wsc *c, const char *name)
{
    json_t *j = wsc_recv(c, WAIT_MS);
    if (!j || strcmp(tj_str(j, "error"), name) != 0)
        fail_msg("wanted error \"%s\", got %s", name, j ? json_dumps(j, 0) : "nothing");
    json_decref(j);
}

static void ws_auth(wsc *c, const char *token, uint32_t participant)
{
    ws_say(c, "{\"op\":\"auth\",\"token\":\"%s\"}", token);
    json_t *j = ws_expect(c, "op", "authed");
    assert_int_equal(tj_int(j, "participant"), participant);
    assert_true(json_array_size(json_object_get(j, "roles")) >= 1);
    json_decref(j);
}

static void ws_sub(wsc *c, const char *channel, const char *code)
{
    if (code)
        ws_say(c, "{\"op\":\"subscribe\",\"channel\":\"%s\",\"code\":\"%s\"}", channel, code);
    else
        ws_say(c, "{\"op\":\"subscribe\",\"channel\":\"%s\"}", channel);
    json_t *j = ws_expect(c, "op", "subscribed");
    assert_string_equal(tj_str(j, "channel"), channel);
    json_decref(j);
}

/* The next message of channel for which ok(msg, arg) holds, skipping others. */
static json_t *ws_until(wsc *c, const char *channel, bool (*ok)(json_t *, const void *),
                        const void *arg)
{
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        clock_gettime(CLOCK_MONOTONIC, &t);
        long left = WAIT_MS - ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
        json_t *j = left > 0 ? wsc_wait(c, "channel", channel, (int)left) : NULL;
        if (!j) fail_msg("no matching \"%s\" message within %d ms", channel, WAIT_MS);
        if (ok(j, arg)) return j;
        json_decref(j);
    }
}

static uint64_t post(const char *token, const char *body)
{
    json_t *j = ts_expect(&T, "POST", "/api/v1/orders", token, body, 201);
    uint64_t id = (uint64_t)tj_int(j, "order_id");
    json_decref(j);
    return id;
}

static void take(const char *token, const char *body)
{
    json_decref(ts_expect(&T, "POST", "/api/v1/takes", token, body, 201));
}

static int64_t money(json_t *o, const char *key)
{
    int64_t fen = -1;
    const char *s = tj_str(o, key);
    assert_int_equal(http_parse_money(s, &fen), 0);
    return fen;
}

/* ---- public streams ---------------------------------------------------------- */

typedef struct level_want {
    const char *price;
    long long qty;
} level_want;

static bool best_ask_is(json_t *m, const void *arg)
{
    const level_want *w = arg;
    json_t *l = json_array_get(json_object_get(m, "asks"), 0);
    return l && strcmp(tj_str(l, "price"), w->price) == 0 && tj_int(l, "qty") == w->qty;
}

static bool any(json_t *m, const void *arg)
{
    (void)m, (void)arg;
    return true;
}

static void test_public_depth_and_trades(void **state)
{
    (void)state;
    wsc *w = ws_open();
    ws_sub(w, "depth", "CEA25");
    json_t *snap = ws_expect(w, "channel", "depth"); /* the book as it is now: empty */
    assert_string_equal(tj_str(snap, "code"), "CEA25");
    assert_int_equal(json_array_size(json_object_get(snap, "asks")), 0);
    assert_true(tj_int(snap, "seq") > 0);
    json_decref(snap);
    ws_sub(w, "trades", "CEA25");

    post(alice, "{\"code\":\"CEA25\",\"side\":\"sell\",\"price\":\"50.00\",\"qty\":100}");
    level_want l100 = {"50.00", 100};
    json_decref(ws_until(w, "depth", best_ask_is, &l100));

    take(bob, "{\"code\":\"CEA25\",\"side\":\"buy\",\"qty\":40,\"limit\":\"50.00\"}");
    json_t *tr = ws_until(w, "trades", any, NULL);
    assert_string_equal(tj_str(tr, "code"), "CEA25");
    json_t *t = json_object_get(tr, "trade");
    assert_int_equal(tj_int(t, "qty"), 40);
    assert_string_equal(tj_str(t, "price"), "50.00");
    assert_string_equal(tj_str(t, "value"), "2000.00");
    assert_string_equal(tj_str(t, "aggressor"), "buy");
    assert_true(tj_int(t, "trade_id") > 0);
    assert_true(tj_int(t, "ts_ns") > 0);
    /* market data never names who traded */
    char *text = json_dumps(tr, 0);
    assert_null(strstr(text, "buyer"));
    assert_null(strstr(text, "seller"));
    assert_null(strstr(text, "participant"));
    assert_null(strstr(text, "fee"));
    free(text);
    json_decref(tr);
    level_want l60 = {"50.00", 60};
    json_decref(ws_until(w, "depth", best_ask_is, &l60));
    wsc_close(w);
}

static void test_unsubscribe_stops_a_stream(void **state)
{
    (void)state;
    wsc *w = ws_open();
    ws_sub(w, "trades", "CEA25");
    ws_say(w, "{\"op\":\"unsubscribe\",\"channel\":\"trades\",\"code\":\"CEA25\"}");
    json_decref(ws_expect(w, "op", "unsubscribed"));
    wsc *other = ws_open(); /* to know when the trade has gone out */
    ws_sub(other, "trades", "CEA25");
    post(alice, "{\"code\":\"CEA25\",\"side\":\"sell\",\"price\":\"50.00\",\"qty\":5}");
    take(bob, "{\"code\":\"CEA25\",\"side\":\"buy\",\"qty\":5,\"limit\":\"50.00\"}");
    json_decref(ws_until(other, "trades", any, NULL));
    ws_say(w, "{\"op\":\"ping\"}");
    json_t *j = wsc_recv(w, WAIT_MS);
    assert_string_equal(tj_str(j, "op"), "pong"); /* and no trade before it */
    json_decref(j);
    wsc_close(w);
    wsc_close(other);
}

static bool stats_traded(json_t *m, const void *arg)
{
    (void)arg;
    json_t *s = json_object_get(m, "stats");
    return tj_int(s, "volume") > 0 && strcmp(tj_str(s, "last"), "50.00") == 0;
}

static void test_stats(void **state)
{
    (void)state;
    wsc *w = ws_open();
    ws_sub(w, "stats", "CEA25");
    json_t *snap = ws_expect(w, "channel", "stats");
    assert_string_equal(tj_str(snap, "code"), "CEA25");
    assert_string_equal(tj_str(json_object_get(snap, "stats"), "prev_close"), "50.00");
    json_decref(snap);
    post(alice, "{\"code\":\"CEA25\",\"side\":\"sell\",\"price\":\"50.00\",\"qty\":7}");
    take(bob, "{\"code\":\"CEA25\",\"side\":\"buy\",\"qty\":7,\"limit\":\"50.00\"}");
    json_decref(ws_until(w, "stats", stats_traded, NULL));
    wsc_close(w);
}

/* ---- private streams ---------------------------------------------------------- */

typedef struct order_want {
    uint64_t id;
    const char *event;
} order_want;

static bool order_is(json_t *m, const void *arg)
{
    const order_want *w = arg;
    return (uint64_t)tj_int(json_object_get(m, "order"), "order_id") == w->id &&
           strcmp(tj_str(m, "event"), w->event) == 0;
}

static void test_private_fills_and_orders(void **state)
{
    (void)state;
    wsc *wa = ws_open(), *wb = ws_open(), *wc = ws_open();
    ws_auth(wa, alice, A);
    ws_sub(wa, "fills", NULL);
    ws_sub(wa, "orders", NULL);
    ws_auth(wb, bob, B);
    ws_sub(wb, "fills", NULL);
    ws_auth(wc, carol, C); /* another participant, watching its own fills */
    ws_sub(wc, "fills", NULL);
    ws_sub(wc, "orders", NULL);

    uint64_t id =
        post(alice, "{\"code\":\"CEA24\",\"side\":\"sell\",\"price\":\"40.00\",\"qty\":10,"
                    "\"client_order_id\":\"ws-test-1\"}");
    order_want acc = {id, "accepted"};
    json_t *o = ws_until(wa, "orders", order_is, &acc);
    assert_string_equal(tj_str(json_object_get(o, "order"), "side"), "sell");
    assert_string_equal(tj_str(json_object_get(o, "order"), "client_order_id"), "ws-test-1");
    assert_string_equal(tj_str(json_object_get(o, "order"), "code"), "CEA24");
    json_decref(o);

    take(bob, "{\"code\":\"CEA24\",\"side\":\"buy\",\"qty\":10,\"limit\":\"40.00\"}");
    json_t *fa = ws_until(wa, "fills", any, NULL);
    json_t *f = json_object_get(fa, "fill");
    assert_string_equal(tj_str(f, "side"), "sell");
    assert_int_equal((uint64_t)tj_int(f, "order_id"), id);
    assert_int_equal(tj_int(f, "qty"), 10);
    assert_string_equal(tj_str(f, "code"), "CEA24");
    assert_string_equal(tj_str(f, "fee"), "0.20"); /* 400.00 x 0.05% */
    assert_string_equal(tj_str(f, "liquidity"), "maker");
    json_decref(fa);
    json_t *fb = ws_until(wb, "fills", any, NULL);
    assert_string_equal(tj_str(json_object_get(fb, "fill"), "side"), "buy");
    assert_string_equal(tj_str(json_object_get(fb, "fill"), "liquidity"), "taker");
    json_decref(fb);
    order_want done = {id, "done"};
    o = ws_until(wa, "orders", order_is, &done);
    assert_string_equal(tj_str(o, "reason"), "filled");
    json_decref(o);

    /* Both fills were queued together, before bob's arrived; carol, of
     * neither side, got nothing before her pong. */
    ws_say(wc, "{\"op\":\"ping\"}");
    json_t *j = wsc_recv(wc, WAIT_MS);
    assert_non_null(j);
    assert_string_equal(tj_str(j, "op"), "pong");
    json_decref(j);
    wsc_close(wa), wsc_close(wb), wsc_close(wc);
}

typedef struct avail_want {
    int64_t available;
} avail_want;

static bool available_is(json_t *m, const void *arg)
{
    const avail_want *w = arg;
    return money(json_object_get(m, "account"), "available") == w->available;
}

static void test_private_balances(void **state)
{
    (void)state;
    wsc *w = ws_open();
    ws_auth(w, alice, A);
    ws_sub(w, "balances", NULL);
    json_t *snap = ws_expect(w, "channel", "balances");
    json_t *acct = json_object_get(snap, "account");
    assert_int_equal(tj_int(acct, "participant"), A);
    int64_t before = money(acct, "available");
    json_decref(snap);

    post(alice, "{\"code\":\"CEA23\",\"side\":\"sell\",\"price\":\"30.00\",\"qty\":10}");
    take(bob, "{\"code\":\"CEA23\",\"side\":\"buy\",\"qty\":10,\"limit\":\"30.00\"}");
    avail_want after = {before + 30000 - 15}; /* 300.00 less the 0.15 fee */
    json_decref(ws_until(w, "balances", available_is, &after));
    wsc_close(w);
}

static void test_private_denied(void **state)
{
    (void)state;
    wsc *w = ws_open();
    ws_say(w, "{\"op\":\"subscribe\",\"channel\":\"fills\"}");
    ws_expect_error(w, "unauthenticated");
    ws_say(w, "{\"op\":\"auth\",\"token\":\"%064d\"}", 7);
    ws_expect_error(w, "unauthenticated");
    ws_say(w, "{\"op\":\"subscribe\",\"channel\":\"orders\"}");
    ws_expect_error(w, "unauthenticated");

    ws_auth(w, carol, C);
    ws_say(w, "{\"op\":\"subscribe\",\"channel\":\"fills\",\"participant\":%u}", A);
    ws_expect_error(w, "forbidden");
    ws_say(w, "{\"op\":\"subscribe\",\"channel\":\"balances\",\"participant\":%u}", B);
    ws_expect_error(w, "forbidden");

    ws_auth(w, fred, C); /* funds only: may not watch */
    ws_say(w, "{\"op\":\"subscribe\",\"channel\":\"orders\"}");
    ws_expect_error(w, "forbidden");

    ws_auth(w, T.admin, 1); /* the operator may watch anyone */
    ws_say(w, "{\"op\":\"subscribe\",\"channel\":\"fills\",\"participant\":%u}", A);
    json_t *j = ws_expect(w, "op", "subscribed");
    assert_int_equal(tj_int(j, "participant"), A);
    json_decref(j);
    wsc_close(w);
}

/* ---- rights checked again after auth ------------------------------------------------ */

/* Each test below gives one socket a user of its own in participant A, lets
 * something end that user's rights, and checks that the socket is told why,
 * that its private subscriptions are over and stay closed, and that A's next
 * fill no longer reaches it. */

/* A fresh user of A with roles, and its login token (malloc'd). */
static char *fresh_user(const char *name, const char *roles)
{
    return tseed_user(&T, name, A, roles);
}

/* POST /api/v1/admin/users for an existing user: a replacement (200). */
static void admin_replace(const char *name, const char *password, uint32_t participant,
                          const char *roles_json)
{
    char body[256];
    snprintf(body, sizeof body,
             "{\"username\":\"%s\",\"password\":\"%s\",\"participant\":%u,\"roles\":%s}", name,
             password, participant, roles_json);
    json_decref(ts_expect(&T, "POST", "/api/v1/admin/users", T.admin, body, 200));
}

/* A socket watching A's fills and orders as token's user. */
static wsc *watch_a(const char *token)
{
    wsc *w = ws_open();
    ws_auth(w, token, A);
    ws_sub(w, "fills", NULL);
    ws_sub(w, "orders", NULL);
    return w;
}

/* w was told that its authentication ended, and why; asking for a private
 * stream again is refused; and a trade of A reaches a socket still watching
 * A but not w. */
static void expect_ended(wsc *w, const char *reason)
{
    json_t *j = ws_expect(w, "op", "auth_ended");
    assert_string_equal(tj_str(j, "reason"), reason);
    assert_true(strlen(tj_str(j, "message")) > 10);
    json_decref(j);
    ws_say(w, "{\"op\":\"subscribe\",\"channel\":\"fills\"}");
    ws_expect_error(w, "unauthenticated");

    wsc *ctl = watch_a(alice);
    post(alice, "{\"code\":\"CEA25\",\"side\":\"sell\",\"price\":\"50.00\",\"qty\":1}");
    take(bob, "{\"code\":\"CEA25\",\"side\":\"buy\",\"qty\":1,\"limit\":\"50.00\"}");
    json_decref(ws_until(ctl, "fills", any, NULL));
    ws_say(w, "{\"op\":\"ping\"}");
    j = wsc_recv(w, WAIT_MS);
    if (!j || strcmp(tj_str(j, "op"), "pong") != 0)
        fail_msg("wanted only a pong after the end, got %s", j ? json_dumps(j, 0) : "nothing");
    json_decref(j);
    wsc_close(ctl);
}

static void test_ws_ends_at_logout(void **state)
{
    (void)state;
    char *tok = fresh_user("ev_logout", "view");
    wsc *w = watch_a(tok);
    json_decref(ts_expect(&T, "POST", "/api/v1/logout", tok, NULL, 200));
    expect_ended(w, "logout");
    wsc_close(w);
    free(tok);
}

static void cfg_short_sessions(server_config *c)
{
    c->session_ttl_s = 2;
}

/* A session that expires ends its sockets' rights on the store's timer,
 * without any request. A server of its own: its sessions last 2 s. */
static void test_ws_ends_at_expiry(void **state)
{
    (void)state;
    tserver t2;
    memset(&t2, 0, sizeof t2);
    ts_start(&t2, NULL, cfg_short_sessions);
    uint32_t p = tseed_participant(&t2, "entity", "Short Lived");
    char *tok = tseed_user(&t2, "ev_expiry", p, "view");
    wsc *w = wsc_connect(t2.port, "/ws");
    assert_non_null(w);
    ws_auth(w, tok, p);
    ws_sub(w, "fills", NULL);
    json_t *j = ws_expect(w, "op", "auth_ended"); /* within WAIT_MS of the 2 s */
    assert_string_equal(tj_str(j, "reason"), "expired");
    json_decref(j);
    ws_say(w, "{\"op\":\"subscribe\",\"channel\":\"fills\"}");
    ws_expect_error(w, "unauthenticated");
    wsc_close(w);
    free(tok);
    ts_stop(&t2);
    ts_rmtree(t2.dir);
}

static void test_ws_ends_at_token_deletion(void **state)
{
    (void)state;
    char *tok = fresh_user("ev_token", "view");
    json_t *made = ts_expect(&T, "POST", "/api/v1/tokens", tok, "{\"name\":\"watch\"}", 201);
    char *api = strdup(tj_str(made, "token"));
    json_decref(made);
    wsc *w = watch_a(api);
    json_decref(ts_expect(&T, "DELETE", "/api/v1/tokens/watch", tok, NULL, 200));
    expect_ended(w, "token_deleted");
    wsc_close(w);
    free(api);
    free(tok);
}

static void test_ws_ends_when_moved(void **state)
{
    (void)state;
    char *tok = fresh_user("ev_moved", "view");
    wsc *w = watch_a(tok);
    admin_replace("ev_moved", TSEED_PASSWORD, B, "[\"view\"]");
    expect_ended(w, "participant_changed");
    wsc_close(w);
    free(tok);
}

static void test_ws_ends_when_roles_removed(void **state)
{
    (void)state;
    char *tok = fresh_user("ev_roles", "view,funds");
    wsc *w = watch_a(tok);
    admin_replace("ev_roles", TSEED_PASSWORD, A, "[\"funds\"]");
    expect_ended(w, "roles_reduced");
    wsc_close(w);
    free(tok);
}

static void test_ws_ends_at_password_reset(void **state)
{
    (void)state;
    char *tok = fresh_user("ev_reset", "view");
    wsc *w = watch_a(tok);
    admin_replace("ev_reset", "a-new-password-42", A, "[\"view\"]");
    expect_ended(w, "password_reset");
    wsc_close(w);
    free(tok);
}

static void test_ws_ends_when_user_deleted(void **state)
{
    (void)state;
    char *tok = fresh_user("ev_deleted", "view");
    wsc *w = watch_a(tok);
    json_decref(ts_expect(&T, "DELETE", "/api/v1/admin/users/ev_deleted", T.admin, NULL, 200));
    expect_ended(w, "user_deleted");
    wsc_close(w);
    free(tok);
}

/* A login past the per-user session cap (16 by default) ends the user's
 * oldest session, and the socket that used it. */
static void test_ws_ends_at_session_limit(void **state)
{
    (void)state;
    char *first = fresh_user("ev_limit", "view");
    wsc *w = watch_a(first);
    char *more[16];
    for (int i = 0; i < 15; i++) /* 16 sessions: all alive */
        more[i] = ts_login(&T, "ev_limit", TSEED_PASSWORD);
    ws_say(w, "{\"op\":\"ping\"}");
    json_t *j = wsc_recv(w, WAIT_MS);
    assert_string_equal(tj_str(j, "op"), "pong"); /* nothing ended yet */
    json_decref(j);
    more[15] = ts_login(&T, "ev_limit", TSEED_PASSWORD); /* the 17th */
    expect_ended(w, "session_limit");
    for (int i = 0; i < 16; i++) free(more[i]);
    wsc_close(w);
    free(first);
}

/* An auth that fails ends the identity the socket had. */
static void test_ws_failed_reauth_clears_identity(void **state)
{
    (void)state;
    char *tok = fresh_user("ev_reauth", "view");
    wsc *w = watch_a(tok);
    ws_say(w, "{\"op\":\"auth\",\"token\":\"%064d\"}", 9);
    json_t *j = ws_expect(w, "op", "auth_ended");
    assert_string_equal(tj_str(j, "reason"), "auth_failed");
    json_decref(j);
    ws_expect_error(w, "unauthenticated");
    ws_say(w, "{\"op\":\"subscribe\",\"channel\":\"orders\"}");
    ws_expect_error(w, "unauthenticated");
    ws_auth(w, tok, A); /* the token itself is still good */
    ws_sub(w, "fills", NULL);
    wsc_close(w);
    free(tok);
}

/* ---- blocks, auctions and registry movements ---------------------------------------- */

typedef struct block_want {
    const char *type, *status;
} block_want;

static bool block_is(json_t *m, const void *arg)
{
    const block_want *w = arg;
    json_t *b = json_object_get(m, "block");
    return strcmp(tj_str(b, "type"), w->type) == 0 && strcmp(tj_str(b, "status"), w->status) == 0;
}

static bool auction_is(json_t *m, const void *arg)
{
    return strcmp(tj_str(json_object_get(m, "auction"), "status"), arg) == 0;
}

static bool move_is(json_t *m, const void *arg)
{
    return strcmp(tj_str(json_object_get(m, "move"), "kind"), arg) == 0;
}

/* No message is waiting for c: its pong comes first. */
static void ws_nothing_before_pong(wsc *c)
{
    ws_say(c, "{\"op\":\"ping\"}");
    json_t *j = wsc_recv(c, WAIT_MS);
    assert_non_null(j);
    if (strcmp(tj_str(j, "op"), "pong") != 0)
        fail_msg("wanted nothing before the pong, got %s", json_dumps(j, 0));
    json_decref(j);
}

/* The board's quotes go to every blocks subscriber; a proposal to its two
 * parties only; auctions to anyone who asked; registry movements to their
 * participant. The dashboard's block, auction and registry pages live on
 * these. */
static void test_blocks_auctions_registry(void **state)
{
    (void)state;
    tseed_credit(&T, A, "CEA25", 300000);
    tseed_deposit(&T, B, "6000000.00");
    wsc *wa = ws_open(), *wb = ws_open(), *wc = ws_open(), *wd = ws_open();
    ws_auth(wa, alice, A);
    ws_sub(wa, "blocks", NULL);
    ws_sub(wa, "registry", NULL);
    ws_auth(wb, bob, B);
    ws_sub(wb, "blocks", NULL);
    ws_auth(wc, carol, C);
    ws_sub(wc, "blocks", NULL);
    ws_sub(wd, "auctions", NULL); /* public: no login */
    ws_say(wd, "{\"op\":\"subscribe\",\"channel\":\"blocks\"}");
    ws_expect_error(wd, "unauthenticated");

    json_decref(ts_expect(
        &T, "POST", "/api/v1/blocks/quotes", alice,
        "{\"code\":\"CEA25\",\"side\":\"sell\",\"price\":\"50.00\",\"qty\":100000}", 201));
    block_want quote = {"quote", "open"};
    wsc *all[] = {wa, wb, wc};
    for (int i = 0; i < 3; i++) {
        json_t *m = ws_until(all[i], "blocks", block_is, &quote);
        assert_string_equal(tj_str(json_object_get(m, "block"), "code"), "CEA25");
        assert_int_equal(tj_int(json_object_get(m, "block"), "owner"), A);
        json_decref(m);
    }
    char body[256];
    snprintf(body, sizeof body,
             "{\"code\":\"CEA25\",\"side\":\"sell\",\"price\":\"50.00\",\"qty\":100000,"
             "\"counterparty\":%u}",
             B);
    json_t *p = ts_expect(&T, "POST", "/api/v1/blocks/proposals", alice, body, 201);
    long long pid = tj_int(p, "id");
    json_decref(p);
    block_want open = {"proposal", "open"};
    json_decref(ws_until(wa, "blocks", block_is, &open));
    json_decref(ws_until(wb, "blocks", block_is, &open));
    char path[64];
    snprintf(path, sizeof path, "/api/v1/blocks/%lld/accept", pid);
    json_decref(
        ts_expect(&T, "POST", path, bob,
                  "{\"code\":\"CEA25\",\"side\":\"buy\",\"price\":\"50.00\",\"qty\":100000}", 200));
    block_want accepted = {"proposal", "accepted"};
    json_t *m = ws_until(wb, "blocks", block_is, &accepted);
    assert_true(tj_int(json_object_get(m, "block"), "trade_id") > 0);
    json_decref(m);
    json_decref(ws_until(wa, "blocks", block_is, &accepted));
    ws_nothing_before_pong(wc); /* carol is neither party */

    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    long long t0 = (long long)now.tv_sec * 1000000000LL;
    snprintf(body, sizeof body,
             "{\"participant\":%u,\"code\":\"CEA25\",\"side\":\"sell\",\"lot\":100000,"
             "\"start\":%lld,\"end\":%lld}",
             A, t0, t0 + 3600LL * 1000000000LL);
    json_t *au = ts_expect(&T, "POST", "/api/v1/admin/auctions", T.admin, body, 201);
    snprintf(path, sizeof path, "/api/v1/admin/auctions/%lld/cancel", tj_int(au, "id"));
    json_decref(au);
    json_decref(ws_until(wd, "auctions", auction_is, "open"));
    json_decref(ts_expect(&T, "POST", path, T.admin, NULL, 200));
    json_decref(ws_until(wd, "auctions", auction_is, "cancelled"));

    snprintf(body, sizeof body, "{\"participant\":%u,\"frozen\":true}", A);
    json_decref(ts_expect(&T, "POST", "/api/v1/registry/freeze", T.admin, body, 200));
    m = ws_until(wa, "registry", move_is, "freeze");
    assert_int_equal(tj_int(json_object_get(m, "move"), "participant"), A);
    json_decref(m);
    snprintf(body, sizeof body, "{\"participant\":%u,\"frozen\":false}", A);
    json_decref(ts_expect(&T, "POST", "/api/v1/registry/freeze", T.admin, body, 200));
    json_decref(ws_until(wa, "registry", move_is, "unfreeze"));
    wsc_close(wa), wsc_close(wb), wsc_close(wc), wsc_close(wd);
}

/* ---- the protocol --------------------------------------------------------------- */

static void test_bad_messages(void **state)
{
    (void)state;
    wsc *w = ws_open();
    ws_say(w, "not json");
    ws_expect_error(w, "bad_json");
    ws_say(w, "[1,2]");
    ws_expect_error(w, "bad_json");
    ws_say(w, "{\"op\":\"dance\"}");
    ws_expect_error(w, "bad_field");
    ws_say(w, "{\"op\":\"subscribe\",\"channel\":\"news\",\"code\":\"CEA25\"}");
    ws_expect_error(w, "bad_field");
    ws_say(w, "{\"op\":\"subscribe\",\"channel\":\"depth\"}");
    ws_expect_error(w, "bad_field");
    ws_say(w, "{\"op\":\"subscribe\",\"channel\":\"depth\",\"code\":\"NOPE99\"}");
    ws_expect_error(w, "unknown_instrument");
    ws_say(w, "{\"op\":\"subscribe\",\"channel\":\"depth\",\"code\":\"CEA25\",\"x\":1}");
    ws_expect_error(w, "unknown_field");
    char big[6000];
    memset(big, ' ', sizeof big - 1);
    big[sizeof big - 1] = 0;
    assert_int_equal(wsc_send(w, big), 0);
    ws_expect_error(w, "too_large");
    assert_int_equal(wsc_send_frame(w, 2, true, "{}", 2), 0); /* binary */
    ws_expect_error(w, "bad_message");
    /* none of that subscribed anything, and the connection still works */
    ws_say(w, "{\"op\":\"ping\"}");
    json_t *j = wsc_recv(w, WAIT_MS);
    assert_string_equal(tj_str(j, "op"), "pong");
    json_decref(j);
    wsc_close(w);
}

static void wait_count(int want)
{
    for (int i = 0; i < 200 && ws_client_count(T.s.ws) != want; i++) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    assert_int_equal(ws_client_count(T.s.ws), want);
}

static void test_client_count(void **state)
{
    (void)state;
    wait_count(0); /* the sockets of the tests before are closed, but maybe not yet seen */
    int n0 = 0;
    wsc *w[3];
    for (int i = 0; i < 3; i++) w[i] = ws_open();
    wait_count(n0 + 3);
    for (int i = 0; i < 3; i++) wsc_close(w[i]);
    wait_count(n0);
}

/* ---- subscriber lists ------------------------------------------------------------ */

static uint32_t list_len(int list)
{
    pthread_mutex_lock(&T.s.ws->mu);
    uint32_t n = T.s.ws->lists[list].n;
    pthread_mutex_unlock(&T.s.ws->mu);
    return n;
}

static void lists_all_empty(void)
{
    for (int i = 0; i < WS_LISTS; i++)
        if (list_len(i)) fail_msg("subscriber list %d holds %u with no client", i, list_len(i));
}

/* A trade touches only its instrument's trades subscribers: each client is
 * in the list of what it subscribed to and no other; a subscriber of CEA23
 * gets nothing of a CEA24 trade; an unsubscribe takes it out of that list
 * only, and a close out of all. */
static void test_lists_per_instrument(void **state)
{
    (void)state;
    wait_count(0);
    lists_all_empty();
    wsc *a = ws_open(), *b = ws_open();
    ws_sub(a, "trades", "CEA23"); /* instrument 2 */
    ws_sub(a, "depth", "CEA23");
    json_decref(ws_expect(a, "channel", "depth")); /* its snapshot */
    ws_sub(b, "trades", "CEA24");                  /* instrument 1 */
    assert_int_equal(list_len(WS_LIST_INST(CH_TRADES, 2)), 1);
    assert_int_equal(list_len(WS_LIST_INST(CH_DEPTH, 2)), 1);
    assert_int_equal(list_len(WS_LIST_INST(CH_TRADES, 1)), 1);
    assert_int_equal(list_len(WS_LIST_INST(CH_TRADES, 0)), 0);
    assert_int_equal(list_len(WS_LIST_INST(CH_DEPTH, 1)), 0);

    post(alice, "{\"code\":\"CEA24\",\"side\":\"sell\",\"price\":\"40.00\",\"qty\":3}");
    take(bob, "{\"code\":\"CEA24\",\"side\":\"buy\",\"qty\":3,\"limit\":\"40.00\"}");
    json_t *tr = ws_until(b, "trades", any, NULL);
    assert_string_equal(tj_str(tr, "code"), "CEA24");
    json_decref(tr);
    ws_say(a, "{\"op\":\"ping\"}");
    json_t *j = wsc_recv(a, WAIT_MS);
    assert_string_equal(tj_str(j, "op"), "pong"); /* nothing of CEA24 before it */
    json_decref(j);

    ws_say(a, "{\"op\":\"unsubscribe\",\"channel\":\"trades\",\"code\":\"CEA23\"}");
    json_decref(ws_expect(a, "op", "unsubscribed"));
    assert_int_equal(list_len(WS_LIST_INST(CH_TRADES, 2)), 0);
    assert_int_equal(list_len(WS_LIST_INST(CH_DEPTH, 2)), 1); /* still held */
    wsc_close(a);
    wait_count(1);
    assert_int_equal(list_len(WS_LIST_INST(CH_DEPTH, 2)), 0);
    assert_int_equal(list_len(WS_LIST_INST(CH_TRADES, 1)), 1);
    wsc_close(b);
    wait_count(0);
    lists_all_empty();
}

/* A client cut off while a message goes round its list leaves the list
 * (the last one takes its place): the one moved into its place still gets
 * the message, and every other subscriber once. Without sockets. */
static void test_publish_in_cut_off_midway(void **state)
{
    (void)state;
    ws_hub *h = T.s.ws;
    wait_count(0);
    enum { N = 4 };
    ws_client c[N];
    memset(c, 0, sizeof c);
    int list = WS_LIST_INST(CH_TRADES, 3);
    ws_msg *old = ws_msg_new(json_pack("{s:s}", "op", "old"));
    ws_msg *m = ws_msg_new(json_pack("{s:s}", "op", "new"));
    pthread_mutex_lock(&h->mu);
    int saved = T.s.cfg.ws_queue_max;
    T.s.cfg.ws_queue_max = 1;
    for (int i = 0; i < N; i++) {
        c[i].busy = true;
        c[i].id = 424300 + (uint64_t)i;
        c[i].trades = 1ull << 3;
        ws_subs_sync(h, &c[i]);
    }
    assert_int_equal(h->lists[list].n, N);
    ws_enqueue(h, &c[0], old); /* full: the next message cuts 0 and 2 off */
    ws_enqueue(h, &c[2], old);
    pthread_mutex_unlock(&h->mu);
    __atomic_add_fetch(&m->refs, 1, __ATOMIC_RELAXED); /* kept to look at */
    ws_publish_in(h, list, NULL, NULL, m);
    pthread_mutex_lock(&h->mu); /* look, clean up, and only then judge (mu let go) */
    bool dropped[N], got[N];
    for (int i = 0; i < N; i++) {
        dropped[i] = c[i].dropped;
        got[i] = c[i].qlen == 1 && c[i].q[c[i].qhead] == m;
    }
    uint32_t left = h->lists[list].n;
    int refs = m->refs;
    for (int i = 0; i < N; i++) {
        c[i].closing = true;
        ws_subs_sync(h, &c[i]);
        ws_queue_clear(&c[i]);
        free(c[i].q);
    }
    uint32_t after = h->lists[list].n;
    T.s.cfg.ws_queue_max = saved;
    pthread_mutex_unlock(&h->mu);
    ws_msg_unref(m);
    ws_msg_unref(old);
    assert_true(dropped[0] && dropped[2]);
    assert_true(!dropped[1] && got[1]);
    assert_true(!dropped[3] && got[3]); /* moved into 0's place */
    assert_int_equal(left, 2);
    assert_int_equal(refs, 1 + 2);
    assert_int_equal(after, 0);
}

static void kick_nothing(ws_hub *h, ws_client *c)
{
    (void)h, (void)c;
}

/* The clients by id (ws_client_find: the feed finds the client a snapshot
 * is owed to by it): found while connected, not once gone, whatever was
 * removed around it in the table. Without sockets. */
static void test_client_find(void **state)
{
    (void)state;
    static const ws_transport none = {kick_nothing};
    ws_hub *h = T.s.ws;
    enum { N = 3000 };
    ws_client **c = calloc(N, sizeof *c);
    uint64_t *ids = calloc(N, sizeof *ids);
    pthread_mutex_lock(&h->mu);
    uint64_t next = h->next_id;
    pthread_mutex_unlock(&h->mu);
    for (int i = 0; i < N; i++) {
        /* scattered ids (splitmix64 of i, 2^40 and up: never the hub's own),
         * so that some share a place and probe on, as consecutive ids
         * hardly do */
        uint64_t z = (uint64_t)(i + 1) * 0x9e3779b97f4a7c15ull;
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        pthread_mutex_lock(&h->mu);
        h->next_id = ((z ^ (z >> 31)) | 1ull << 40) - 1;
        pthread_mutex_unlock(&h->mu);
        assert_non_null(c[i] = ws_client_add(h, &none, NULL, "find"));
        ids[i] = c[i]->id;
    }
    pthread_mutex_lock(&h->mu);
    h->next_id = next; /* the hub's own ids go on */
    pthread_mutex_unlock(&h->mu);
    for (int i = 0; i < N; i += 3) { /* every third goes */
        ws_client_remove(h, c[i]);
        ws_client_free(c[i]);
        c[i] = NULL;
    }
    int wrong = 0;
    pthread_mutex_lock(&h->mu);
    for (int i = 0; i < N; i++) wrong += ws_client_find(h, ids[i]) != c[i];
    wrong += ws_client_find(h, ids[N - 1] + 1000000) != NULL; /* never was */
    pthread_mutex_unlock(&h->mu);
    for (int i = 0; i < N; i++) {
        if (!c[i]) continue;
        ws_client_remove(h, c[i]);
        ws_client_free(c[i]);
    }
    pthread_mutex_lock(&h->mu);
    for (int i = 0; i < N; i++) wrong += ws_client_find(h, ids[i]) != NULL;
    pthread_mutex_unlock(&h->mu);
    free(ids);
    free(c);
    assert_int_equal(wrong, 0);
}

/* The hub's cap on clients (WS_MAX_CLIENTS), with two threads admitting at
 * once as two I/O threads do: exactly the cap is admitted, the ones past it
 * refused, and one more goes in once one has left. Without sockets. */
typedef struct admit_arg {
    ws_hub *h;
    ws_client **c;
    int n, admitted;
} admit_arg;

static void *admit(void *p)
{
    static const ws_transport none = {kick_nothing};
    admit_arg *a = p;
    for (int i = 0; i < a->n; i++)
        a->admitted += (a->c[i] = ws_client_add(a->h, &none, NULL, "cap")) != NULL;
    return NULL;
}

static void test_client_cap(void **state)
{
    (void)state;
    static const ws_transport none = {kick_nothing};
    ws_hub *h = T.s.ws;
    int before = ws_client_count(h), each = (WS_MAX_CLIENTS - before) / 2 + 2;
    admit_arg a[2];
    pthread_t t[2];
    for (int k = 0; k < 2; k++) {
        a[k] = (admit_arg){h, calloc((size_t)each, sizeof(ws_client *)), each, 0};
        assert_non_null(a[k].c);
        assert_int_equal(pthread_create(&t[k], NULL, admit, &a[k]), 0);
    }
    for (int k = 0; k < 2; k++) pthread_join(t[k], NULL);
    assert_int_equal(a[0].admitted + a[1].admitted, WS_MAX_CLIENTS - before); /* at the cap */
    assert_int_equal(ws_client_count(h), WS_MAX_CLIENTS);
    assert_null(ws_client_add(h, &none, NULL, "cap")); /* just past it */
    ws_client *one = NULL;
    for (int k = 0; k < 2 && !one; k++)
        for (int i = 0; i < each && !one; i++)
            if (a[k].c[i]) {
                one = a[k].c[i];
                a[k].c[i] = NULL;
            }
    ws_client_remove(h, one);
    ws_client_free(one);
    ws_client *again = ws_client_add(h, &none, NULL, "cap"); /* room for one again */
    assert_non_null(again);
    ws_client_remove(h, again);
    ws_client_free(again);
    for (int k = 0; k < 2; k++) {
        for (int i = 0; i < each; i++)
            if (a[k].c[i]) {
                ws_client_remove(h, a[k].c[i]);
                ws_client_free(a[k].c[i]);
            }
        free(a[k].c);
    }
    assert_int_equal(ws_client_count(h), before);
}

/* Many clients (spread over the I/O threads as they were accepted) each
 * get every trade of their instrument, once and in order. */
static void test_many_clients_every_trade_in_order(void **state)
{
    (void)state;
    enum { N = 16, TRADES = 5 }; /* civetweb: each holds one of its 32 workers */
    wait_count(0);
    wsc *w[N];
    for (int i = 0; i < N; i++) {
        w[i] = ws_open();
        ws_sub(w[i], "trades", "CEA24");
    }
    assert_int_equal(list_len(WS_LIST_INST(CH_TRADES, 1)), N);
    for (int t = 1; t <= TRADES; t++) { /* trade t is of t tonnes */
        char body[128];
        snprintf(body, sizeof body,
                 "{\"code\":\"CEA24\",\"side\":\"sell\",\"price\":\"40.00\",\"qty\":%d}", t);
        post(alice, body);
        snprintf(body, sizeof body,
                 "{\"code\":\"CEA24\",\"side\":\"buy\",\"qty\":%d,\"limit\":\"40.00\"}", t);
        take(bob, body);
    }
    for (int i = 0; i < N; i++) {
        long long last_id = 0;
        for (int t = 1; t <= TRADES; t++) {
            json_t *j = wsc_recv(w[i], WAIT_MS); /* nothing but its trades comes */
            if (!j) fail_msg("client %d: trade %d not received", i, t);
            assert_string_equal(tj_str(j, "channel"), "trades");
            json_t *tr = json_object_get(j, "trade");
            assert_int_equal(tj_int(tr, "qty"), t);
            assert_true(tj_int(tr, "trade_id") > last_id);
            last_id = tj_int(tr, "trade_id");
            json_decref(j);
        }
        wsc_close(w[i]);
    }
    wait_count(0);
    lists_all_empty();
}

/* The slow-client rule, without sockets: a client whose queue is full is
 * dropped, its queue freed, and it gets nothing more. */
static void test_slow_client_dropped(void **state)
{
    (void)state;
    ws_hub *h = T.s.ws;
    ws_client c;
    memset(&c, 0, sizeof c);
    c.busy = true; /* as if a writer were stuck on it: writers leave it alone */
    c.id = 424242;
    ws_msg *m = ws_msg_new(json_pack("{s:s}", "op", "x"));
    pthread_mutex_lock(&h->mu);
    uint64_t dropped0 = h->dropped;
    for (int i = 0; i < WS_QUEUE_MAX; i++) ws_enqueue(h, &c, m);
    assert_int_equal(c.qlen, WS_QUEUE_MAX);
    assert_false(c.dropped);
    assert_int_equal(m->refs, WS_QUEUE_MAX + 1);
    ws_enqueue(h, &c, m); /* one too many */
    assert_true(c.dropped);
    assert_int_equal(c.qlen, 0);
    assert_int_equal(m->refs, 1);
    assert_int_equal(h->dropped, dropped0 + 1);
    ws_enqueue(h, &c, m); /* nothing more for it */
    assert_int_equal(c.qlen, 0);
    pthread_mutex_unlock(&h->mu);
    ws_msg_unref(m);
    free(c.q);
}

static bool on_cea22(const ws_client *c, const void *arg)
{
    (void)arg;
    return c->trades >> 3 & 1;
}

/* The same with real sockets: a client that stops reading fills the kernel's
 * buffers, then its queue, and is dropped, while a reading client gets every
 * message at once all along; when the slow one reads again it finds a close
 * frame with 1008 after what was already on its way. Messages are published
 * straight into the hub, and large, so that this takes a few hundred. */
static void test_slow_socket_dropped_others_served(void **state)
{
    (void)state;
    ws_hub *h = T.s.ws;
    wsc *slow = ws_open(), *good = ws_open();
    ws_sub(slow, "trades", "CEA22");
    ws_sub(good, "trades", "CEA22");
    pthread_mutex_lock(&h->mu);
    uint64_t dropped0 = h->dropped;
    pthread_mutex_unlock(&h->mu);
    char *pad = malloc(60001);
    memset(pad, 'x', 60000);
    pad[60000] = 0;
    int sent = 0;
    bool dropped = false;
    for (int i = 0; i < 2000 && !dropped; i++) {
        ws_publish(
            h, on_cea22, NULL,
            ws_msg_new(json_pack("{s:s, s:i, s:s}", "channel", "trades", "i", i, "pad", pad)));
        json_t *j = wsc_recv(good, WAIT_MS);
        if (!j || tj_int(j, "i") != i)
            fail_msg("the reading client did not get message %d at once", i);
        json_decref(j);
        sent++;
        pthread_mutex_lock(&h->mu);
        dropped = h->dropped > dropped0;
        pthread_mutex_unlock(&h->mu);
    }
    free(pad);
    assert_true(dropped);
    int got = 0;
    json_t *j;
    while ((j = wsc_recv(slow, WAIT_MS)) != NULL) {
        got++;
        json_decref(j);
    }
    assert_true(wsc_closed(slow));
    assert_int_equal(wsc_close_code(slow), 1008);
    assert_non_null(strstr(wsc_close_reason(slow), "too slow"));
    assert_true(got > 0 && got < sent);
    wsc_close(slow);
    wsc_close(good);
}

/* ws_max_message: a message of exactly the limit is read, one byte more is
 * answered too_large and the connection goes on. */
static void test_message_size_limit(void **state)
{
    (void)state;
    int max = T.s.cfg.ws_max_message;
    assert_int_equal(max, WS_MAX_IN); /* the documented default */
    wsc *w = ws_open();
    char *msg = malloc((size_t)max + 2);
    for (int past = 0; past <= 1; past++) {
        static const char ping[] = "{\"op\":\"ping\"}";
        memset(msg, ' ', (size_t)max + 1);
        memcpy(msg, ping, sizeof ping - 1);
        msg[max + past] = 0;
        assert_int_equal(wsc_send(w, msg), 0);
        if (past) {
            ws_expect_error(w, "too_large");
        } else {
            json_t *j = wsc_recv(w, WAIT_MS);
            assert_string_equal(tj_str(j, "op"), "pong");
            json_decref(j);
        }
    }
    free(msg);
    ws_say(w, "{\"op\":\"ping\"}");
    json_decref(ws_expect(w, "op", "pong"));
    wsc_close(w);
}

/* ws_max_subscriptions: public and private subscriptions count alike; the
 * one past the limit is refused, one already held is not counted twice, and
 * an unsubscribe frees a place. */
static void test_subscription_limit(void **state)
{
    (void)state;
    assert_int_equal(T.s.cfg.ws_max_subscriptions, WS_DEFAULT_MAX_SUBSCRIPTIONS);
    T.s.cfg.ws_max_subscriptions = 3; /* read at each subscribe */
    wsc *w = ws_open();
    ws_auth(w, alice, A);
    ws_sub(w, "trades", "CEA25");
    ws_sub(w, "depth", "CEA25");
    json_decref(ws_expect(w, "channel", "depth")); /* its snapshot: the feed sends it when it can */
    ws_sub(w, "fills", NULL);                      /* 3: the limit */
    ws_sub(w, "fills", NULL);                      /* held already */
    ws_say(w, "{\"op\":\"subscribe\",\"channel\":\"trades\",\"code\":\"CEA24\"}");
    ws_expect_error(w, "too_many_subscriptions");
    ws_say(w, "{\"op\":\"subscribe\",\"channel\":\"auctions\"}");
    ws_expect_error(w, "too_many_subscriptions");
    ws_say(w, "{\"op\":\"unsubscribe\",\"channel\":\"trades\",\"code\":\"CEA25\"}");
    json_decref(ws_expect(w, "op", "unsubscribed"));
    ws_sub(w, "trades", "CEA24");
    T.s.cfg.ws_max_subscriptions = WS_DEFAULT_MAX_SUBSCRIPTIONS;
    wsc_close(w);
}

/* ws_queue_max_bytes, without sockets: a queue may hold exactly the limit;
 * a byte more cuts the client off, with the reason kept for its close
 * frame. */
static void test_slow_client_bytes_limit(void **state)
{
    (void)state;
    ws_hub *h = T.s.ws;
    ws_client c;
    memset(&c, 0, sizeof c);
    c.busy = true;
    c.id = 424243;
    ws_msg *m = ws_msg_new(json_pack("{s:s}", "op", "x"));
    pthread_mutex_lock(&h->mu);
    int saved = T.s.cfg.ws_queue_max_bytes;
    T.s.cfg.ws_queue_max_bytes = (int)(10 * m->len);
    for (int i = 0; i < 10; i++) ws_enqueue(h, &c, m);
    assert_int_equal(c.qbytes, 10 * m->len);
    assert_false(c.dropped);
    ws_enqueue(h, &c, m); /* one byte past would do: a whole message is */
    assert_true(c.dropped);
    assert_int_equal(c.qlen, 0);
    char bye[125];
    size_t n = ws_close_payload(&c, bye, sizeof bye);
    assert_true(n > 2);
    assert_int_equal((uint8_t)bye[0] << 8 | (uint8_t)bye[1], 1008);
    assert_non_null(strstr(bye + 2, "ws_queue_max_bytes"));
    T.s.cfg.ws_queue_max_bytes = saved;
    pthread_mutex_unlock(&h->mu);
    ws_msg_unref(m);
    free(c.q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_public_depth_and_trades),
        cmocka_unit_test(test_unsubscribe_stops_a_stream),
        cmocka_unit_test(test_stats),
        cmocka_unit_test(test_private_fills_and_orders),
        cmocka_unit_test(test_private_balances),
        cmocka_unit_test(test_private_denied),
        cmocka_unit_test(test_blocks_auctions_registry),
        cmocka_unit_test(test_ws_ends_at_logout),
        cmocka_unit_test(test_ws_ends_at_expiry),
        cmocka_unit_test(test_ws_ends_at_token_deletion),
        cmocka_unit_test(test_ws_ends_when_moved),
        cmocka_unit_test(test_ws_ends_when_roles_removed),
        cmocka_unit_test(test_ws_ends_at_password_reset),
        cmocka_unit_test(test_ws_ends_when_user_deleted),
        cmocka_unit_test(test_ws_ends_at_session_limit),
        cmocka_unit_test(test_ws_failed_reauth_clears_identity),
        cmocka_unit_test(test_bad_messages),
        cmocka_unit_test(test_client_count),
        cmocka_unit_test(test_lists_per_instrument),
        cmocka_unit_test(test_publish_in_cut_off_midway),
        cmocka_unit_test(test_client_find),
        cmocka_unit_test(test_client_cap),
        cmocka_unit_test(test_many_clients_every_trade_in_order),
        cmocka_unit_test(test_slow_client_dropped),
        cmocka_unit_test(test_slow_socket_dropped_others_served),
        cmocka_unit_test(test_message_size_limit),
        cmocka_unit_test(test_subscription_limit),
        cmocka_unit_test(test_slow_client_bytes_limit),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
