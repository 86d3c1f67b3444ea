/* test_fix_tls.c -- FIX over TLS (fix_tls_cert, fix_tls_key; src/fix/tls.c):
 * a member logs on and trades over TLS 1.3 and 1.2 with the certificate
 * verified; a plain-TCP client on the TLS port is cut and logs nothing on; a
 * connection that never finishes its handshake is cut at the logon deadline,
 * like one that sends no Logon; a burst of orders larger than the gateway's
 * input buffer, read with pauses, is answered in full; a missing
 * file or a key of another certificate stops the gateway from starting,
 * saying which. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fixtest.h"
#include "tclock.h"

static fixsrv srv;
static fxc a, b;
static char certdir[600], cert[700], key[700];
static int logon_timeout_ms = 2000;
static uint32_t max_inflight; /* 0: the default */

static void tls_options(fix_gateway_options *o)
{
    o->tls_cert = cert;
    o->tls_key = key;
    o->logon_timeout_ms = logon_timeout_ms;
    if (max_inflight) o->max_inflight = max_inflight;
}

static int setup(void **state)
{
    (void)state;
    const char *base = getenv("CETS_TEST_TMP");
    snprintf(certdir, sizeof certdir, "%s/fixtls-XXXXXX", base && base[0] ? base : "/tmp");
    mkdir(base && base[0] ? base : "/tmp", 0755);
    if (!mkdtemp(certdir)) return -1;
    fx_make_cert(certdir);
    snprintf(cert, sizeof cert, "%s/cert.pem", certdir);
    snprintf(key, sizeof key, "%s/key.pem", certdir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    fxc_close(&a);
    fxc_close(&b);
    if (srv.g) fx_stop(&srv);
    logon_timeout_ms = 2000;
    max_inflight = 0;
    return 0;
}

static void logon_tls(fxc *c, const char *comp, const char *user, int max_version)
{
    char err[256], body[256];
    if (!fxc_connect_tls(c, srv.port, comp, cert, max_version, err, sizeof err))
        fail_msg("TLS handshake: %s", err);
    snprintf(body, sizeof body, "98=0|108=30|553=%s|554=pw-%s-12345", user, user);
    fxc_send(c, "A", body);
    fxc_expect(c, "A");
}

static void test_trade_over_tls(void **state)
{
    (void)state;
    fx_start(&srv, NULL, tls_options);
    logon_tls(&a, "ALICE1", "alice", 0);
    assert_string_equal(fxc_tls_version(&a), "TLSv1.3");
    logon_tls(&b, "BOB1", "bob", TLS1_2_VERSION);
    assert_string_equal(fxc_tls_version(&b), "TLSv1.2");
    fxc_send(&a, "D", "11=s1|55=CEA26|54=2|60=20260101-00:00:00|38=10|40=2|44=60.00|59=0");
    fxc_expect(&a, "8");
    assert_string_equal(fxc_get(&a, 150), "0");
    fxc_send(&b, "D", "11=b1|55=CEA26|54=1|60=20260101-00:00:00|38=10|40=2|44=60.00|59=0");
    fxc_expect(&b, "8");
    assert_string_equal(fxc_get(&b, 150), "0");
    fxc_expect(&b, "8"); /* the fill */
    assert_string_equal(fxc_get(&b, 150), "F");
    assert_string_equal(fxc_get(&b, 32), "10");
    fxc_expect(&a, "8");
    assert_string_equal(fxc_get(&a, 150), "F");
    /* and a Logout over TLS ends the session in order */
    fxc_send(&a, "5", "");
    fxc_expect(&a, "5");
}

/* A client that speaks plain FIX to the TLS port is cut without an answer,
 * and the port goes on serving TLS. */
static void test_plain_client_cut(void **state)
{
    (void)state;
    fx_start(&srv, NULL, tls_options);
    fxc_connect(&a, srv.port, "ALICE1");
    fxc_send(&a, "A", "98=0|108=30|553=alice|554=pw-alice-12345");
    assert_true(fxc_closed(&a, 3000));
    fxc_close(&a);
    logon_tls(&b, "ALICE1", "alice", 0);
}

/* The handshake counts against the logon deadline: a connection that sends
 * nothing, and one that sends half a ClientHello, are cut at it (and not
 * long before); a full handshake and Logon within it are not. */
static void test_handshake_deadline(void **state)
{
    (void)state;
    logon_timeout_ms = 400;
    fx_start(&srv, NULL, tls_options);
    int64_t t0 = tclock_ms();
    fxc_connect(&a, srv.port, "ALICE1");
    fxc_connect(&b, srv.port, "BOB1");
    static const unsigned char half_hello[] = {0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00};
    fxc_send_raw(&b, half_hello, sizeof half_hello);
    assert_true(fxc_closed(&a, 3000));
    assert_true(fxc_closed(&b, 3000));
    int64_t took = tclock_ms() - t0;
    assert_true(took >= 300);
    assert_true(took < 2500);
    fxc_close(&a);
    fxc_close(&b);
    logon_tls(&a, "ALICE1", "alice", 0);
}

/* 3,000 orders (about 400 KB, many TLS records) in one write, with at most 4
 * in flight: the gateway stops reading over and over while it waits for the
 * core, and starts again; every order is answered, in order. */
static void test_burst_larger_than_buffer(void **state)
{
    (void)state;
    max_inflight = 4;
    fx_start(&srv, NULL, tls_options);
    logon_tls(&a, "ALICE1", "alice", 0);
    enum { N = 3000 }; /* about 400 KB */
    static char burst[N * 160];
    size_t len = 0;
    for (int i = 0; i < N; i++) {
        char body[160];
        int px = 6100 + i % 500; /* 61.00-65.99: in the band, above the bids, not crossing */
        snprintf(body, sizeof body,
                 "11=q%d|55=CEA26|54=2|60=20260101-00:00:00|38=1|40=2|44=%d.%02d|59=0", i, px / 100,
                 px % 100);
        len += fxc_build(&a, "D", body, burst + len, sizeof burst - len);
    }
    fxc_send_raw(&a, burst, len);
    for (int i = 0; i < N; i++) {
        char id[16];
        snprintf(id, sizeof id, "q%d", i);
        fxc_expect(&a, "8");
        assert_string_equal(fxc_get(&a, 11), id);
        assert_string_equal(fxc_get(&a, 150), "0");
    }
}

static void start_fails(const char *c, const char *k, const char *want)
{
    fix_gateway_options o;
    fix_gateway_options_default(&o);
    o.listen = "127.0.0.1:0";
    char dir[800], err[512] = "";
    snprintf(dir, sizeof dir, "%s/other", srv.dir);
    o.state_dir = dir;
    o.tls_cert = c;
    o.tls_key = k;
    fix_gateway *g = fix_gateway_start_with(srv.s.core, srv.s.auth, &o, err, sizeof err);
    if (g) {
        fix_gateway_stop(g);
        fail_msg("a gateway started with certificate %s and key %s", c, k);
    }
    if (!strstr(err, want)) fail_msg("error '%s' does not say '%s'", err, want);
}

static void test_bad_files_refused(void **state)
{
    (void)state;
    fx_start(&srv, NULL, NULL); /* a plain gateway, for its core */
    char missing[800], other[700], otherkey[800];
    snprintf(missing, sizeof missing, "%s/none.pem", certdir);
    start_fails(missing, key, "cannot load the certificate");
    start_fails(cert, missing, "cannot load the key");
    start_fails(cert, "", "both a certificate and a key");
    start_fails("", key, "both a certificate and a key");
    snprintf(other, sizeof other, "%s/other", certdir);
    mkdir(other, 0700);
    fx_make_cert(other);
    snprintf(otherkey, sizeof otherkey, "%s/key.pem", other);
    start_fails(cert, otherkey, "does not match");
    /* the same file for both (a combined PEM) is fine */
    char both[800], cmd[2600];
    snprintf(both, sizeof both, "%s/both.pem", certdir);
    snprintf(cmd, sizeof cmd, "cat '%s' '%s' > '%s'", cert, key, both);
    assert_int_equal(system(cmd), 0);
    fix_gateway_options o;
    fix_gateway_options_default(&o);
    o.listen = "127.0.0.1:0";
    char dir[800], err[512] = "";
    snprintf(dir, sizeof dir, "%s/combined", srv.dir);
    o.state_dir = dir;
    o.tls_cert = o.tls_key = both;
    fix_gateway *g = fix_gateway_start_with(srv.s.core, srv.s.auth, &o, err, sizeof err);
    if (!g) fail_msg("combined PEM refused: %s", err);
    fix_gateway_stop(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_trade_over_tls, teardown),
        cmocka_unit_test_teardown(test_plain_client_cut, teardown),
        cmocka_unit_test_teardown(test_handshake_deadline, teardown),
        cmocka_unit_test_teardown(test_burst_larger_than_buffer, teardown),
        cmocka_unit_test_teardown(test_bad_files_refused, teardown),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
