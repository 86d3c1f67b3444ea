/* test_fix_limits.c -- the FIX gateway's connection limits, each at the
 * limit and just past it (docs/fix.md, "Durability, limits, state"):
 * connections not yet logged on from one address (max_pending_per_addr),
 * in all (max_pending), all connections (max_connections), and the time a
 * connection has to send its Logon (logon_timeout_ms); and the flood they
 * exist for (issue 10, finding 8): 1,100 raw connections used to fill all
 * 1,024 slots for 10 s, and a member's Logon was refused.
 *
 * The members log on from 127.0.0.1; the crowds come from other loopback
 * addresses (127.0.0.2 and up), bound before connecting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fixtest.h"

static fixsrv srv;
static fxc a, b;
static int crowd[1200];
static int ncrowd;
static fix_gateway_options want; /* the options a test starts the gateway with */

static void with_options(fix_gateway_options *o)
{
    o->max_connections = want.max_connections;
    o->max_pending = want.max_pending;
    o->max_pending_per_addr = want.max_pending_per_addr;
    o->logon_timeout_ms = want.logon_timeout_ms;
}

static void start(int max_connections, int max_pending, int per_addr, int logon_timeout_ms)
{
    fix_gateway_options_default(&want);
    if (max_connections) want.max_connections = max_connections;
    if (max_pending) want.max_pending = max_pending;
    if (per_addr) want.max_pending_per_addr = per_addr;
    if (logon_timeout_ms) want.logon_timeout_ms = logon_timeout_ms;
    fx_start(&srv, NULL, with_options);
}

static int teardown(void **state)
{
    (void)state;
    for (int i = 0; i < ncrowd; i++) close(crowd[i]);
    ncrowd = 0;
    fxc_close(&a);
    fxc_close(&b);
    fx_stop(&srv);
    return 0;
}

static void sleep_ms(int ms)
{
    struct timespec t = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&t, NULL);
}

/* A TCP connection from address `from` that sends nothing. */
static int raw_connect(const char *from)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    struct sockaddr_in src = {.sin_family = AF_INET};
    assert_int_equal(inet_pton(AF_INET, from, &src.sin_addr), 1);
    assert_int_equal(bind(fd, (struct sockaddr *)&src, sizeof src), 0);
    struct sockaddr_in dst = {.sin_family = AF_INET,
                              .sin_port = htons((uint16_t)srv.port),
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(connect(fd, (struct sockaddr *)&dst, sizeof dst), 0);
    crowd[ncrowd++] = fd;
    return fd;
}

/* True when the exchange closes fd within ms (it never sends to these). */
static bool closed_within(int fd, int ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, ms) <= 0) return false;
    char c;
    return recv(fd, &c, 1, 0) <= 0;
}

/* 1,100 connections that never log on, then a member logs on at once: it
 * used to wait for the crowd's 10 s to run out, refused. */
static void test_flood_leaves_room_for_a_logon(void **state)
{
    (void)state;
    start(0, 0, 0, 0); /* the defaults */
    for (int i = 0; i < 1100; i++) raw_connect("127.0.0.2");
    fxc_logon(&a, srv.port, "ALICE1", "alice", 30, NULL);
    fxc_send(&a, "1", "112=through");
    fxc_expect(&a, "0");
    assert_string_equal(fxc_get(&a, 112), "through");
}

static void test_pending_per_address(void **state)
{
    (void)state;
    start(0, 0, 4, 0);
    for (int i = 0; i < 4; i++) /* at the limit: all kept */
        raw_connect("127.0.0.3");
    for (int i = 0; i < 4; i++) assert_false(closed_within(crowd[i], i ? 0 : 300));
    assert_true(closed_within(raw_connect("127.0.0.3"), 1000)); /* one past: closed at once */
    assert_false(closed_within(raw_connect("127.0.0.4"), 300)); /* another address: room */
    fxc_logon(&a, srv.port, "ALICE1", "alice", 30, NULL);       /* and a member */
    /* a connection that has logged on is no longer pending */
    fxc_logon(&b, srv.port, "BOB1", "bob", 30, NULL);
}

static void test_pending_in_all(void **state)
{
    (void)state;
    start(0, 6, 4, 0);
    for (int i = 0; i < 4; i++) raw_connect("127.0.0.5");
    raw_connect("127.0.0.6");
    raw_connect("127.0.0.6"); /* 6: at the limit */
    for (int i = 0; i < 6; i++) assert_false(closed_within(crowd[i], i ? 0 : 300));
    assert_true(closed_within(raw_connect("127.0.0.7"), 1000)); /* the 7th: closed */
    close(crowd[0]);                                            /* one leaves: room for one more */
    crowd[0] = -1;
    sleep_ms(200);
    fxc_logon(&a, srv.port, "ALICE1", "alice", 30, NULL);
    /* alice logged on: her connection no longer counts as pending */
    assert_false(closed_within(raw_connect("127.0.0.7"), 300));
}

static void test_connections_in_all(void **state)
{
    (void)state;
    start(4, 2, 2, 0);
    fxc_logon(&a, srv.port, "ALICE1", "alice", 30, NULL);
    fxc_logon(&b, srv.port, "BOB1", "bob", 30, NULL);
    raw_connect("127.0.0.8");
    raw_connect("127.0.0.9"); /* 4 connections: at the limit */
    assert_false(closed_within(crowd[0], 300));
    assert_false(closed_within(crowd[1], 0));
    assert_true(closed_within(raw_connect("127.0.0.10"), 1000)); /* the 5th: closed */
    fxc_send(&a, "1", "112=still");
    fxc_expect(&a, "0");
}

/* max_pending must leave room for sessions: at max_connections it is refused. */
static void test_pending_below_connections(void **state)
{
    (void)state;
    fixsrv f = {0};
    fx_start(&f, NULL, NULL);
    fix_gateway_options o;
    fix_gateway_options_default(&o);
    char dir[700];
    snprintf(dir, sizeof dir, "%s2", f.state); /* a second gateway on the same core */
    o.listen = "127.0.0.1:0";
    o.state_dir = dir;
    o.max_connections = 8;
    o.max_pending = 8;
    char err[256];
    fix_gateway *g = fix_gateway_start_with(f.s.core, f.s.auth, &o, err, sizeof err);
    assert_null(g);
    assert_non_null(strstr(err, "max_pending"));
    o.max_pending = 7;
    g = fix_gateway_start_with(f.s.core, f.s.auth, &o, err, sizeof err);
    assert_non_null(g);
    fix_gateway_stop(g);
    srv = f; /* teardown stops it */
}

static void test_logon_deadline(void **state)
{
    (void)state;
    start(0, 0, 0, 1000);
    /* just inside the deadline: accepted */
    fxc_connect(&a, srv.port, "ALICE1");
    sleep_ms(700);
    fxc_send(&a, "A", "98=0|108=30|553=alice|554=pw-alice-12345");
    fxc_expect(&a, "A");
    /* nothing sent: still open just before the deadline, closed just after */
    int fd = raw_connect("127.0.0.11");
    assert_false(closed_within(fd, 800));
    assert_true(closed_within(fd, 700));
}

int main(void)
{
    struct rlimit rl; /* the crowd and the gateway share this process */
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 4096) {
        rl.rlim_cur = rl.rlim_max < 4096 ? rl.rlim_max : 4096;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_flood_leaves_room_for_a_logon, teardown),
        cmocka_unit_test_teardown(test_pending_per_address, teardown),
        cmocka_unit_test_teardown(test_pending_in_all, teardown),
        cmocka_unit_test_teardown(test_connections_in_all, teardown),
        cmocka_unit_test_teardown(test_pending_below_connections, teardown),
        cmocka_unit_test_teardown(test_logon_deadline, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
