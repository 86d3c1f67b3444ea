/* test_fix_app.c -- FIX application messages over raw sockets: orders,
 * fills reported to the resting side's session, takes (by limit and by
 * naming listings), cancels, replaces, rejections with the engine's reason,
 * mass cancel, cancel on disconnect, expiry, market data, trading session
 * status and block agreements (docs/fix.md); and sessions logged out when
 * their user's rights end. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../src/auth/auth.h"
#include "fixtest.h"

static fixsrv srv;
static fxc a, b, w;

static int setup(void **state)
{
    (void)state;
    fx_start(&srv, NULL, NULL);
    fxc_logon(&a, srv.port, "ALICE1", "alice", 30, NULL);
    fxc_logon(&b, srv.port, "BOB1", "bob", 30, NULL);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    fxc_close(&a);
    fxc_close(&b);
    fxc_close(&w);
    fx_stop(&srv);
    return 0;
}

static void sleep_ms(int ms)
{
    struct timespec t = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&t, NULL);
}

#define NOW "60=20260101-00:00:00"

/* A limit order; returns its OrderID from the "new" report. */
static uint64_t order(fxc *c, const char *id, const char *sym, const char *side, int qty,
                      const char *px, const char *tif)
{
    char body[256];
    snprintf(body, sizeof body, "11=%s|55=%s|54=%s|" NOW "|38=%d|40=2|44=%s|59=%s", id, sym, side,
             qty, px, tif);
    fxc_send(c, "D", body);
    fxc_expect(c, "8");
    if (strcmp(fxc_get(c, 150), "0") != 0) return 0;
    assert_string_equal(fxc_get(c, 11), id);
    assert_string_equal(fxc_get(c, 39), "0");
    assert_int_equal(atoi(fxc_get(c, 151)), qty);
    assert_string_equal(fxc_get(c, 14), "0");
    return strtoull(fxc_get(c, 37), NULL, 10);
}

static void expect_er(fxc *c, const char *exec_type, const char *status)
{
    fxc_expect(c, "8");
    assert_string_equal(fxc_get(c, 150), exec_type);
    assert_string_equal(fxc_get(c, 39), status);
}

static void test_new_order_report(void **state)
{
    (void)state;
    uint64_t id = order(&a, "n1", "CEA25", "2", 100, "51.00", "0");
    assert_true(id > 0);
    assert_string_equal(fxc_get(&a, 55), "CEA25");
    assert_string_equal(fxc_get(&a, 54), "2");
    assert_string_equal(fxc_get(&a, 38), "100");
    assert_string_equal(fxc_get(&a, 44), "51.00");
    assert_string_equal(fxc_get(&a, 6), "0");
    assert_int_equal(fx_order_qty(&srv, id), 100);
}

static void test_fills_reach_both_sessions(void **state)
{
    (void)state;
    uint64_t sell = order(&a, "s1", "CEA25", "2", 100, "51.00", "0");
    /* a take by quantity and limit: OrdType=2, TimeInForce=3 on a listing */
    assert_true(order(&b, "t1", "CEA25", "1", 60, "51.00", "3") > 0);
    expect_er(&b, "F", "2");
    assert_string_equal(fxc_get(&b, 32), "60");
    assert_string_equal(fxc_get(&b, 31), "51.00");
    assert_string_equal(fxc_get(&b, 6), "51.0000");
    assert_true(fxc_get(&b, 880)[0]);
    expect_er(&a, "F", "1");
    assert_string_equal(fxc_get(&a, 11), "s1");
    assert_string_equal(fxc_get(&a, 151), "40");
    assert_string_equal(fxc_get(&a, 14), "60");
    /* a take naming the listing: OrdType=1 with NoTakeTargets */
    char body[256];
    snprintf(body, sizeof body,
             "11=t2|55=CEA25|54=1|" NOW "|38=40|40=1|59=3|20001=1|20002=%llu|20003=40",
             (unsigned long long)sell);
    fxc_send(&b, "D", body);
    expect_er(&b, "0", "0");
    expect_er(&b, "F", "2");
    expect_er(&a, "F", "2");
    assert_string_equal(fxc_get(&a, 151), "0");
    assert_string_equal(fxc_get(&a, 14), "100");
    assert_int_equal(fx_order_qty(&srv, sell), 0);
}

static void test_take_group_checked(void **state)
{
    (void)state;
    uint64_t sell = order(&a, "s1", "CEA25", "2", 100, "51.00", "0");
    char body[256];
    snprintf(body, sizeof body, /* OrderQty must be the targets' sum */
             "11=t1|55=CEA25|54=1|" NOW "|38=41|40=1|59=3|20001=1|20002=%llu|20003=40",
             (unsigned long long)sell);
    fxc_send(&b, "D", body);
    expect_er(&b, "8", "8");
    assert_string_equal(fxc_get(&b, 20030), "102");
    fxc_send(&b, "D", "11=t2|55=CEA25|54=1|" NOW "|38=40|40=1|59=3|20001=2|20002=1|20003=40");
    fxc_expect(&b, "3");
    assert_string_equal(fxc_get(&b, 373), "16");
    snprintf(body, sizeof body, /* more than the listing has */
             "11=t3|55=CEA25|54=1|" NOW "|38=400|40=1|59=3|20001=1|20002=%llu|20003=400",
             (unsigned long long)sell);
    fxc_send(&b, "D", body);
    expect_er(&b, "8", "8");
    assert_non_null(strstr(fxc_get(&b, 58), "target_qty"));
}

static void test_continuous_ioc_rest_cancelled(void **state)
{
    (void)state;
    order(&a, "s1", "CEA26", "2", 10, "60.00", "0");
    order(&b, "b1", "CEA26", "1", 15, "60.00", "3");
    expect_er(&b, "F", "1");
    expect_er(&b, "4", "4");
    assert_string_equal(fxc_get(&b, 14), "10");
    assert_string_equal(fxc_get(&b, 151), "0");
    expect_er(&a, "F", "2");
}

static void test_rejections_carry_the_reason(void **state)
{
    (void)state;
    assert_int_equal(order(&a, "r1", "CEA25", "1", 10, "60.00", "0"), 0);
    assert_string_equal(fxc_get(&a, 150), "8");
    assert_string_equal(fxc_get(&a, 39), "8");
    assert_string_equal(fxc_get(&a, 37), "NONE");
    assert_string_equal(fxc_get(&a, 20030), "401");
    assert_string_equal(fxc_get(&a, 58),
                        "price_out_of_band: price is outside today's band (previous close +/-10%)");
    assert_int_equal(order(&a, "r2", "NOPE", "1", 10, "50.00", "0"), 0);
    assert_string_equal(fxc_get(&a, 103), "1");
    assert_string_equal(fxc_get(&a, 55), "NOPE");
    assert_int_equal(order(&a, "r3", "CEA25", "1", 10, "50.001", "0"), 0);
    assert_string_equal(fxc_get(&a, 20030), "400");
    assert_int_equal(order(&a, "r4", "CEA25", "2", 2000000, "50.00", "0"), 0);
    assert_string_equal(fxc_get(&a, 103), "13");
    assert_string_equal(
        fxc_get(&a, 58),
        "qty_out_of_range: quantity is outside the limits (listing: 1 to 99,999 t)");
    order(&a, "dup", "CEA25", "2", 10, "51.00", "0");
    assert_int_equal(order(&a, "dup", "CEA25", "2", 10, "51.00", "0"), 0);
    assert_string_equal(fxc_get(&a, 103), "6");
    order(&b, "cross", "CEA25", "1", 10, "50.00", "0");
    assert_int_equal(order(&a, "x", "CEA25", "2", 10, "50.00", "0"), 0);
    assert_string_equal(fxc_get(&a, 20030), "701");
}

static void test_cancel(void **state)
{
    (void)state;
    uint64_t id = order(&a, "c1", "CEA25", "2", 10, "51.00", "0");
    fxc_send(&a, "F", "11=c2|41=c1|55=CEA25|54=2|" NOW);
    expect_er(&a, "4", "4");
    assert_string_equal(fxc_get(&a, 11), "c2");
    assert_string_equal(fxc_get(&a, 41), "c1");
    assert_int_equal(fx_order_qty(&srv, id), 0);
    fxc_send(&a, "F", "11=c3|41=c1|55=CEA25|54=2|" NOW); /* gone now */
    fxc_expect(&a, "9");
    assert_string_equal(fxc_get(&a, 102), "1");
    assert_string_equal(fxc_get(&a, 434), "1");
    assert_string_equal(fxc_get(&a, 37), "NONE");
    uint64_t bid = order(&b, "bb", "CEA25", "1", 10, "49.00", "0"); /* not alice's */
    char body[128];
    snprintf(body, sizeof body, "11=c4|41=zz|37=%llu|55=CEA25|54=1|" NOW, (unsigned long long)bid);
    fxc_send(&a, "F", body);
    fxc_expect(&a, "9");
    assert_int_equal(fx_order_qty(&srv, bid), 10);
}

static void test_replace(void **state)
{
    (void)state;
    uint64_t id = order(&a, "o1", "CEA25", "2", 100, "51.00", "0");
    fxc_send(&a, "G", "11=o2|41=o1|55=CEA25|54=2|" NOW "|38=80|40=2|44=51.50");
    expect_er(&a, "5", "0");
    assert_string_equal(fxc_get(&a, 11), "o2");
    assert_string_equal(fxc_get(&a, 41), "o1");
    assert_string_equal(fxc_get(&a, 38), "80");
    assert_string_equal(fxc_get(&a, 44), "51.50");
    assert_string_equal(fxc_get(&a, 151), "80");
    assert_int_equal(fx_order_qty(&srv, id), 80);
    fxc_send(&a, "G", "11=o3|41=o2|55=CEA25|54=2|" NOW "|38=80|40=2|44=51.50");
    fxc_expect(&a, "9"); /* nothing changes */
    assert_string_equal(fxc_get(&a, 434), "2");
    assert_string_equal(fxc_get(&a, 20030), "403");
    fxc_send(&a, "G", "11=o4|41=o2|55=CEA25|54=2|" NOW "|38=80|40=2|44=80.00");
    fxc_expect(&a, "9");
    assert_string_equal(fxc_get(&a, 20030), "401");
    fxc_send(&a, "F", "11=o5|41=o2|55=CEA25|54=2|" NOW);
    expect_er(&a, "4", "4");
}

static void test_mass_cancel(void **state)
{
    (void)state;
    order(&a, "m1", "CEA25", "2", 10, "51.00", "0");
    order(&a, "m2", "CEA25", "2", 10, "52.00", "0");
    order(&a, "m3", "CEA26", "2", 10, "61.00", "0");
    fxc_send(&a, "q", "11=mc1|530=1|55=CEA25|" NOW);
    for (int i = 0; i < 2; i++) {
        expect_er(&a, "4", "4");
        assert_string_equal(fxc_get(&a, 11), "mc1");
    }
    fxc_expect(&a, "r");
    assert_string_equal(fxc_get(&a, 531), "1");
    assert_string_equal(fxc_get(&a, 533), "2");
    fxc_send(&a, "q", "11=mc2|530=7|" NOW);
    expect_er(&a, "4", "4");
    fxc_expect(&a, "r");
    assert_string_equal(fxc_get(&a, 531), "7");
    assert_string_equal(fxc_get(&a, 533), "1");
    fxc_send(&a, "q", "11=mc3|530=1|55=NOPE|" NOW);
    fxc_expect(&a, "r");
    assert_string_equal(fxc_get(&a, 531), "0");
}

static void test_cancel_on_disconnect(void **state)
{
    (void)state;
    fxc_logon(&w, srv.port, "CAROL1", "carol", 30, "20010=Y");
    uint64_t id = order(&w, "k1", "CEA25", "2", 10, "53.00", "0");
    uint64_t keep = order(&a, "k2", "CEA25", "2", 10, "53.00", "0");
    fxc_close(&w);
    for (int i = 0; i < 100 && fx_order_qty(&srv, id); i++) sleep_ms(20);
    assert_int_equal(fx_order_qty(&srv, id), 0);
    assert_int_equal(fx_order_qty(&srv, keep), 10);
    /* the report of the cancellation was kept for the session: ask for it */
    fxc_connect(&w, srv.port, "CAROL1");
    w.out_seq = 3;
    fxc_send(&w, "A", "98=0|108=30|553=carol|554=pw-carol-12345");
    fxc_expect(&w, "A");
    assert_string_equal(fxc_get(&w, 34), "4");
    fxc_send(&w, "2", "7=3|16=0");
    fxc_expect(&w, "8");
    assert_string_equal(fxc_get(&w, 43), "Y");
    assert_string_equal(fxc_get(&w, 150), "4");
    assert_string_equal(fxc_get(&w, 11), "k1");
    fxc_expect(&w, "4");
    assert_string_equal(fxc_get(&w, 36), "5");
}

static void test_expiry_at_end_of_day(void **state)
{
    (void)state;
    order(&a, "e1", "CEA25", "2", 10, "51.00", "0");
    cets_cmd c = {.type = CETS_CMD_END_OF_DAY};
    assert_int_equal(fx_admin(&srv, &c), CETS_OK);
    expect_er(&a, "C", "C");
    assert_string_equal(fxc_get(&a, 11), "e1");
}

static void test_view_only_user_may_not_trade(void **state)
{
    (void)state;
    fxc_logon(&w, srv.port, "WATCH1", "watcher", 30, NULL);
    fxc_send(&w, "D", "11=v1|55=CEA25|54=1|" NOW "|38=10|40=2|44=50.00");
    fxc_expect(&w, "j");
    assert_string_equal(fxc_get(&w, 380), "6");
}

/* A user deleted (or given a new password, moved, stripped of a role) is
 * logged out of FIX at once, saying why; other users' sessions go on. */
static void test_user_deleted_logged_out(void **state)
{
    (void)state;
    fxc_logon(&w, srv.port, "WATCH1", "watcher", 30, NULL);
    char err[200];
    assert_int_equal(auth_user_delete(srv.s.auth, "watcher", err, sizeof err), 0);
    fxc_expect(&w, "5");
    assert_string_equal(fxc_get(&w, 58), "the user was deleted");
    assert_true(fxc_closed(&w, 5000));
    order(&a, "still-here", "CEA25", "2", 10, "50.00", "0"); /* alice trades on */
}

static void test_password_reset_logged_out(void **state)
{
    (void)state;
    char err[200];
    assert_int_equal(auth_user_put(srv.s.auth, "bob", "pw-bob-changed", FX_BOB,
                                   ROLE_TRADE | ROLE_VIEW, err, sizeof err),
                     0);
    fxc_expect(&b, "5");
    assert_string_equal(fxc_get(&b, 58), auth_end_message(AUTH_END_PASSWORD_RESET));
    assert_true(fxc_closed(&b, 5000));
    /* the same password and roles again end nothing */
    assert_int_equal(auth_user_put(srv.s.auth, "alice", "pw-alice-12345", FX_ALICE,
                                   ROLE_TRADE | ROLE_VIEW, err, sizeof err),
                     0);
    order(&a, "after-reset", "CEA25", "2", 10, "50.00", "0");
}

static void test_market_data(void **state)
{
    (void)state;
    order(&a, "d1", "CEA25", "2", 10, "51.00", "0");
    fxc_logon(&w, srv.port, "WATCH1", "watcher", 30, NULL);
    fxc_send(&w, "V", "262=md1|263=1|264=5|265=1|267=4|269=0|269=1|269=2|269=B|146=1|55=CEA25");
    fxc_expect(&w, "W");
    assert_string_equal(fxc_get(&w, 262), "md1");
    assert_string_equal(fxc_get(&w, 55), "CEA25");
    assert_string_equal(fxc_get(&w, 268), "2"); /* one offer level, the volume */
    assert_string_equal(fxc_get(&w, 269), "1");
    assert_string_equal(fxc_get(&w, 270), "51.00");
    assert_string_equal(fxc_get(&w, 290), "1");
    order(&b, "d2", "CEA25", "1", 20, "50.00", "0");
    fxc_expect(&w, "X");
    assert_string_equal(fxc_get(&w, 279), "0");
    assert_string_equal(fxc_get(&w, 269), "0");
    assert_string_equal(fxc_get(&w, 270), "50.00");
    assert_string_equal(fxc_get(&w, 271), "20");
    order(&b, "d3", "CEA25", "1", 10, "51.00", "3"); /* takes the offer */
    fxc_expect(&w, "X");
    assert_string_equal(fxc_get(&w, 269), "2");
    assert_string_equal(fxc_get(&w, 270), "51.00");
    fxc_expect(&w, "X");
    assert_string_equal(fxc_get(&w, 279), "2"); /* the offer level went away */
    assert_string_equal(fxc_get(&w, 269), "1");
    fxc_send(&w, "V", "262=md2|263=0|264=1|267=1|269=9|146=1|55=NOPE");
    fxc_expect(&w, "Y");
    assert_string_equal(fxc_get(&w, 281), "0");
    fxc_send(&w, "V", "262=md1|263=1|264=1|267=1|269=0|146=1|55=CEA25");
    fxc_expect(&w, "Y");
    assert_string_equal(fxc_get(&w, 281), "1");
}

static void test_trading_session_status(void **state)
{
    (void)state;
    fxc_send(&a, "g", "335=s1|263=1");
    fxc_expect(&a, "h");
    assert_string_equal(fxc_get(&a, 335), "s1");
    assert_string_equal(fxc_get(&a, 336), "CETS");
    assert_string_equal(fxc_get(&a, 340), "2");
}

static void test_block_agreement(void **state)
{
    (void)state;
    fxc_send(&a, "AE", "571=bk1|856=0|55=CEA25|32=100000|31=50.00|552=1|54=2|453=1|448=3|452=17");
    fxc_expect(&a, "AR");
    assert_string_equal(fxc_get(&a, 571), "bk1");
    assert_string_equal(fxc_get(&a, 939), "0");
    char id[32];
    snprintf(id, sizeof id, "%s", fxc_get(&a, 818));
    fxc_expect(&b, "AE");
    assert_string_equal(fxc_get(&b, 856), "1");
    assert_string_equal(fxc_get(&b, 818), id);
    assert_string_equal(fxc_get(&b, 54), "1");
    assert_string_equal(fxc_get(&b, 448), "2");
    char body[256];
    snprintf(body, sizeof body, "571=bk2|856=2|818=%s|55=CEA25|32=100000|31=50.00|552=1|54=1", id);
    fxc_send(&b, "AE", body);
    fxc_expect(&b, "AE");
    assert_string_equal(fxc_get(&b, 856), "2");
    assert_true(fxc_get(&b, 880)[0]);
    fxc_expect(&b, "AR");
    assert_string_equal(fxc_get(&b, 939), "0");
    fxc_expect(&a, "AE");
    assert_string_equal(fxc_get(&a, 856), "2");
    assert_string_equal(fxc_get(&a, 20031), "2");
    /* a second acceptance finds nothing open */
    snprintf(body, sizeof body, "571=bk3|856=2|818=%s|55=CEA25|32=100000|31=50.00|552=1|54=1", id);
    fxc_send(&b, "AE", body);
    fxc_expect(&b, "AR");
    assert_string_equal(fxc_get(&b, 939), "1");
    assert_string_equal(fxc_get(&b, 20030), "710");
}

static void test_block_decline(void **state)
{
    (void)state;
    fxc_send(&a, "AE", "571=bk1|856=0|55=CEA25|32=100000|31=50.00|552=1|54=2|453=1|448=3|452=17");
    fxc_expect(&a, "AR");
    char id[32], body[128];
    snprintf(id, sizeof id, "%s", fxc_get(&a, 818));
    fxc_expect(&b, "AE");
    snprintf(body, sizeof body, "571=bk2|856=3|818=%s", id);
    fxc_send(&b, "AE", body);
    fxc_expect(&b, "AE");
    assert_string_equal(fxc_get(&b, 856), "3");
    fxc_expect(&b, "AR");
    fxc_expect(&a, "AE");
    assert_string_equal(fxc_get(&a, 856), "3");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_new_order_report, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fills_reach_both_sessions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_take_group_checked, setup, teardown),
        cmocka_unit_test_setup_teardown(test_continuous_ioc_rest_cancelled, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rejections_carry_the_reason, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancel, setup, teardown),
        cmocka_unit_test_setup_teardown(test_replace, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mass_cancel, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancel_on_disconnect, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expiry_at_end_of_day, setup, teardown),
        cmocka_unit_test_setup_teardown(test_view_only_user_may_not_trade, setup, teardown),
        cmocka_unit_test_setup_teardown(test_user_deleted_logged_out, setup, teardown),
        cmocka_unit_test_setup_teardown(test_password_reset_logged_out, setup, teardown),
        cmocka_unit_test_setup_teardown(test_market_data, setup, teardown),
        cmocka_unit_test_setup_teardown(test_trading_session_status, setup, teardown),
        cmocka_unit_test_setup_teardown(test_block_agreement, setup, teardown),
        cmocka_unit_test_setup_teardown(test_block_decline, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
