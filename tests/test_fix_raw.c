/* test_fix_raw.c -- the FIX gateway over raw sockets: what a strict FIX
 * engine (QuickFIX, tests/fix/) never sends -- broken framing, garbage,
 * split and coalesced reads, missing tags, huge fields, protocol
 * violations -- and the session rules checked byte by byte: logon,
 * heartbeats, sequence gaps both ways, resend, restart. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fixtest.h"

static fixsrv srv;
static fxc a, b;

static void short_timers(fix_gateway_options *o)
{
    o->logon_timeout_ms = 1000;
    o->logout_timeout_ms = 500;
}

static int setup(void **state)
{
    (void)state;
    fx_start(&srv, NULL, short_timers);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
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

/* A TestRequest answered proves the session is alive and in sequence. */
static void assert_alive(fxc *c, const char *id)
{
    char body[64];
    snprintf(body, sizeof body, "112=%s", id);
    fxc_send(c, "1", body);
    fxc_expect(c, "0");
    assert_string_equal(fxc_get(c, 112), id);
}

static void logon_alice(void)
{
    fxc_logon(&a, srv.port, "ALICE1", "alice", 30, NULL);
}

/* ---- logon ------------------------------------------------------------------ */

static void test_logon_and_test_request(void **state)
{
    (void)state;
    logon_alice();
    assert_string_equal(fxc_get(&a, 98), "0");
    assert_string_equal(fxc_get(&a, 108), "30");
    assert_string_equal(fxc_get(&a, 49), "CETS");
    assert_string_equal(fxc_get(&a, 56), "ALICE1");
    assert_alive(&a, "t1");
}

static void test_first_message_not_logon(void **state)
{
    (void)state;
    fxc_connect(&a, srv.port, "ALICE1");
    fxc_send(&a, "1", "112=x");
    assert_true(fxc_closed(&a, 2000));
}

static void test_bad_password_closes(void **state)
{
    (void)state;
    fxc_connect(&a, srv.port, "ALICE1");
    fxc_send(&a, "A", "98=0|108=30|553=alice|554=wrong-password");
    assert_true(fxc_closed(&a, 5000));
    fxc_connect(&b, srv.port, "NOBODY1");
    fxc_send(&b, "A", "98=0|108=30|553=nobody|554=whatever123");
    assert_true(fxc_closed(&b, 5000));
}

static void test_logon_without_credentials(void **state)
{
    (void)state;
    fxc_connect(&a, srv.port, "ALICE1");
    fxc_send(&a, "A", "98=0|108=30");
    assert_true(fxc_closed(&a, 2000));
}

static void test_second_logon_rejected(void **state)
{
    (void)state;
    logon_alice();
    fxc_send(&a, "A", "98=0|108=30|553=alice|554=pw-alice-12345");
    fxc_expect(&a, "3");
    assert_string_equal(fxc_get(&a, 372), "A");
    assert_alive(&a, "still");
}

static void test_no_logon_in_time(void **state)
{
    (void)state;
    fxc_connect(&a, srv.port, "ALICE1");
    assert_true(fxc_closed(&a, 3000));
}

static void test_compid_bound_to_participant(void **state)
{
    (void)state;
    logon_alice();
    fxc_send(&a, "5", "");
    fxc_expect(&a, "5");
    assert_true(fxc_closed(&a, 2000));
    fxc_connect(&b, srv.port, "ALICE1"); /* bob tries alice's SenderCompID */
    fxc_send(&b, "A", "98=0|108=30|553=bob|554=pw-bob-12345");
    assert_true(fxc_closed(&b, 5000));
}

static void test_one_connection_per_session(void **state)
{
    (void)state;
    logon_alice();
    fxc_connect(&b, srv.port, "ALICE1");
    fxc_send(&b, "A", "98=0|108=30|553=alice|554=pw-alice-12345");
    assert_true(fxc_closed(&b, 5000));
    assert_alive(&a, "first-still-on");
}

/* ---- framing ---------------------------------------------------------------- */

/* Replace "9=<n>" in a built message by a wrong length. */
static size_t corrupt_length(char *m, size_t n, int delta)
{
    char *p = strstr(m, "\0019=") + 3;
    int len = atoi(p);
    char *e = strchr(p, '\001');
    char tmp[FIX_MAX_MSG + 64];
    int k = snprintf(tmp, sizeof tmp, "%.*s%d%.*s", (int)(p - m), m, len + delta,
                     (int)(n - (size_t)(e - m)), e);
    memcpy(m, tmp, (size_t)k);
    return (size_t)k;
}

static void test_bad_body_length_ignored(void **state)
{
    (void)state;
    logon_alice();
    char m[1024];
    size_t n = fxc_build(&a, "1", "112=bad", m, sizeof m);
    n = corrupt_length(m, n, 3);
    fxc_send_raw(&a, m, n);
    a.out_seq--; /* a garbled message uses no sequence number */
    assert_alive(&a, "after-length");
}

static void test_bad_checksum_ignored(void **state)
{
    (void)state;
    logon_alice();
    char m[1024];
    size_t n = fxc_build(&a, "1", "112=bad", m, sizeof m);
    m[n - 2] = m[n - 2] == '0' ? '1' : '0';
    fxc_send_raw(&a, m, n);
    a.out_seq--;
    assert_alive(&a, "after-checksum");
}

static void test_garbage_skipped(void **state)
{
    (void)state;
    logon_alice();
    const char junk[] = "GET / HTTP/1.1\r\n\r\n\x01\x02garbage 8=FI 10=123\x01";
    fxc_send_raw(&a, junk, sizeof junk - 1);
    assert_alive(&a, "after-garbage");
}

static void test_split_and_coalesced(void **state)
{
    (void)state;
    logon_alice();
    char m[4096];
    size_t n = fxc_build(&a, "1", "112=split", m, sizeof m);
    for (size_t i = 0; i < n; i++) { /* one byte per write */
        fxc_send_raw(&a, m + i, 1);
        if (i % 16 == 0) sleep_ms(1);
    }
    fxc_expect(&a, "0");
    assert_string_equal(fxc_get(&a, 112), "split");
    size_t k = 0;
    for (int i = 0; i < 5; i++) { /* five in one write */
        char id[16];
        snprintf(id, sizeof id, "112=c%d", i);
        k += fxc_build(&a, "1", id, m + k, sizeof m - k);
    }
    fxc_send_raw(&a, m, k);
    for (int i = 0; i < 5; i++) {
        char id[16];
        snprintf(id, sizeof id, "c%d", i);
        fxc_expect(&a, "0");
        assert_string_equal(fxc_get(&a, 112), id);
    }
}

static void test_huge_field_and_message(void **state)
{
    (void)state;
    logon_alice();
    static char body[FIX_MAX_MSG + 100], m[FIX_MAX_MSG + 400];
    strcpy(body, "112=");
    memset(body + 4, 'x', FIX_MAX_VALUE + 10);
    body[4 + FIX_MAX_VALUE + 10] = 0;
    size_t n = fxc_build(&a, "1", body, m, sizeof m);
    fxc_send_raw(&a, m, n);
    a.out_seq--;
    memset(body + 4, 'y', FIX_MAX_MSG);
    body[4 + FIX_MAX_MSG] = 0;
    static fix_builder fb; /* too big for the codec: frame it by hand */
    (void)fb;
    char head[64];
    int h = snprintf(head, sizeof head, "8=FIX.4.4\0019=%d\001", FIX_MAX_MSG + 10);
    fxc_send_raw(&a, head, (size_t)h);
    fxc_send_raw(&a, body, FIX_MAX_MSG + 10);
    fxc_send_raw(&a, "10=000\001", 7);
    assert_alive(&a, "after-huge");
}

/* ---- malformed messages that frame well ------------------------------------- */

static void test_missing_required_tag(void **state)
{
    (void)state;
    logon_alice();
    fxc_send(&a, "D", "11=o1|54=1|60=20260101-00:00:00|38=10|40=2|44=50.00");
    fxc_expect(&a, "3");
    assert_string_equal(fxc_get(&a, 373), "1");
    assert_string_equal(fxc_get(&a, 371), "55");
    assert_string_equal(fxc_get(&a, 372), "D");
    fxc_send(&a, "1", ""); /* TestRequest without TestReqID */
    fxc_expect(&a, "3");
    assert_string_equal(fxc_get(&a, 371), "112");
    assert_alive(&a, "after-missing");
}

static void test_bad_values(void **state)
{
    (void)state;
    logon_alice();
    fxc_send(&a, "D", "11=o1|55=CEA25|54=7|60=20260101-00:00:00|38=10|40=2|44=50.00");
    fxc_expect(&a, "3");
    assert_string_equal(fxc_get(&a, 373), "5");
    assert_string_equal(fxc_get(&a, 371), "54");
    fxc_send(&a, "D", "11=o2|55=CEA25|54=1|60=20260101-00:00:00|38=ten|40=2|44=50.00");
    fxc_expect(&a, "3");
    assert_string_equal(fxc_get(&a, 373), "6");
    assert_string_equal(fxc_get(&a, 371), "38");
    fxc_send(&a, "D", "11=o3|55=CEA25|54=1|60=20260101-00:00:00|38=10|40=2|44=5O.00");
    fxc_expect(&a, "3");
    assert_string_equal(fxc_get(&a, 371), "44");
    fxc_send(&a, "D", "11=o4|55=CEA25|54=1|60=20260101-00:00:00|38=10|40=2|44=50.00|59=1");
    fxc_expect(&a, "3");
    assert_string_equal(fxc_get(&a, 371), "59");
    fxc_send(&a, "D", "11=|55=CEA25|54=1|60=20260101-00:00:00|38=10|40=2|44=50.00");
    fxc_expect(&a, "3");
    assert_string_equal(fxc_get(&a, 373), "4"); /* tag without a value */
    assert_alive(&a, "after-values");
}

static void test_unsupported_and_invalid_types(void **state)
{
    (void)state;
    logon_alice();
    fxc_send(&a, "H", "11=x|54=1|55=CEA25");
    fxc_expect(&a, "j");
    assert_string_equal(fxc_get(&a, 380), "3");
    assert_string_equal(fxc_get(&a, 372), "H");
    fxc_send(&a, "ZZ", "58=hello");
    fxc_expect(&a, "3");
    assert_string_equal(fxc_get(&a, 373), "11");
    assert_alive(&a, "after-types");
}

static void test_sending_time_checked(void **state)
{
    (void)state;
    logon_alice();
    static fix_builder fb;
    fix_build_begin(&fb, "1");
    fix_add_str(&fb, 49, "ALICE1");
    fix_add_str(&fb, 56, "CETS");
    fix_add_int(&fb, 34, (int64_t)a.out_seq++);
    fix_add_str(&fb, 52, "20200101-00:00:00");
    fix_add_str(&fb, 112, "old");
    size_t n;
    const char *m = fix_build_finish(&fb, &n);
    fxc_send_raw(&a, m, n);
    fxc_expect(&a, "3");
    assert_string_equal(fxc_get(&a, 373), "10");
    fxc_expect(&a, "5");
    assert_true(fxc_closed(&a, 2000));
}

/* ---- sequence numbers ------------------------------------------------------- */

static void test_seq_too_low_logs_out(void **state)
{
    (void)state;
    logon_alice();
    a.out_seq = 1;
    fxc_send(&a, "1", "112=low");
    fxc_expect(&a, "5");
    assert_non_null(strstr(fxc_get(&a, 58), "MsgSeqNum too low"));
    assert_true(fxc_closed(&a, 2000));
}

static void test_possdup_low_ignored(void **state)
{
    (void)state;
    logon_alice();
    uint64_t next = a.out_seq;
    a.out_seq = 1;
    fxc_send(&a, "1", "43=Y|122=20200101-00:00:00|112=dup");
    a.out_seq = next;
    assert_alive(&a, "after-dup");
}

static void test_inbound_gap_resend_request(void **state)
{
    (void)state;
    logon_alice();
    uint64_t expected = a.out_seq;
    a.out_seq += 3; /* skip three */
    fxc_send(&a, "1", "112=ahead");
    fxc_expect(&a, "2");
    assert_int_equal(atoll(fxc_get(&a, 7)), expected);
    assert_string_equal(fxc_get(&a, 16), "0");
    /* fill the gap: GapFill over the three, then the TestRequest again */
    uint64_t ahead = a.out_seq - 1;
    a.out_seq = expected;
    char body[128];
    snprintf(body, sizeof body, "43=Y|122=20200101-00:00:00|123=Y|36=%" PRIu64, ahead);
    fxc_send(&a, "4", body);
    a.out_seq = ahead;
    fxc_send(&a, "1", "43=Y|122=20200101-00:00:00|112=ahead");
    fxc_expect(&a, "0");
    assert_string_equal(fxc_get(&a, 112), "ahead");
    assert_alive(&a, "after-gap");
}

static void test_sequence_reset_mode(void **state)
{
    (void)state;
    logon_alice();
    fxc_send(&a, "4", "36=100");
    a.out_seq = 100;
    assert_alive(&a, "after-reset");
    fxc_send(&a, "4", "36=5"); /* lowering is refused */
    fxc_expect(&a, "3");
    assert_string_equal(fxc_get(&a, 371), "36");
}

static void place(fxc *c, const char *id, const char *side, int qty, const char *px)
{
    char body[256];
    snprintf(body, sizeof body, "11=%s|55=CEA25|54=%s|60=20260101-00:00:00|38=%d|40=2|44=%s|59=0",
             id, side, qty, px);
    fxc_send(c, "D", body);
}

static void test_resend_request_answered(void **state)
{
    (void)state;
    logon_alice();
    int64_t first = atoll(fxc_get(&a, 34)); /* our Logon answer */
    place(&a, "r1", "2", 10, "51.00");
    fxc_expect(&a, "8");
    assert_string_equal(fxc_get(&a, 150), "0");
    char oid[32];
    snprintf(oid, sizeof oid, "%s", fxc_get(&a, 37));
    assert_alive(&a, "x");
    int64_t last = atoll(fxc_get(&a, 34));
    char body[64];
    snprintf(body, sizeof body, "7=%" PRId64 "|16=0", first);
    fxc_send(&a, "2", body);
    /* the Logon is an administrative message: a GapFill over it */
    fxc_expect(&a, "4");
    assert_string_equal(fxc_get(&a, 123), "Y");
    assert_string_equal(fxc_get(&a, 43), "Y");
    assert_int_equal(atoll(fxc_get(&a, 34)), first);
    assert_int_equal(atoll(fxc_get(&a, 36)), first + 1);
    fxc_expect(&a, "8"); /* the report again, as a possible duplicate */
    assert_string_equal(fxc_get(&a, 43), "Y");
    assert_string_equal(fxc_get(&a, 37), oid);
    assert_true(fxc_get(&a, 122)[0]);
    assert_int_equal(atoll(fxc_get(&a, 34)), first + 1);
    fxc_expect(&a, "4"); /* and the heartbeat answer, filled */
    assert_int_equal(atoll(fxc_get(&a, 36)), last + 1);
    assert_alive(&a, "after-resend");
    assert_int_equal(atoll(fxc_get(&a, 34)), last + 1);
}

static void test_silent_peer_disconnected(void **state)
{
    (void)state;
    fxc_logon(&a, srv.port, "ALICE1", "alice", 1, NULL);
    bool test_request = false;
    for (int i = 0; i < 10 && !test_request; i++)
        test_request = fxc_recv(&a, 3000) && !strcmp(a.m.type, "1");
    assert_true(test_request);
    assert_true(fxc_closed(&a, 4000));
}

static void test_logout(void **state)
{
    (void)state;
    logon_alice();
    fxc_send(&a, "5", "58=bye");
    fxc_expect(&a, "5");
    assert_true(fxc_closed(&a, 2000));
}

/* Logout, stop everything, start again on the same data: both sides'
 * numbers continue, and what was sent while away is resent. */
static void test_sequence_numbers_survive_restart(void **state)
{
    (void)state;
    logon_alice();
    place(&a, "p1", "2", 10, "52.00");
    fxc_expect(&a, "8");
    fxc_send(&a, "5", "");
    fxc_expect(&a, "5");
    int64_t our_last = atoll(fxc_get(&a, 34));
    uint64_t next_out = a.out_seq;
    assert_true(fxc_closed(&a, 2000));
    char dir[512];
    snprintf(dir, sizeof dir, "%s", srv.dir);
    fx_stop(&srv);
    fx_start(&srv, dir, short_timers);
    fxc_connect(&a, srv.port, "ALICE1");
    a.out_seq = next_out;
    fxc_send(&a, "A", "98=0|108=30|553=alice|554=pw-alice-12345");
    fxc_expect(&a, "A");
    assert_int_equal(atoll(fxc_get(&a, 34)), our_last + 1);
    assert_alive(&a, "after-restart");
    /* the resting order is still known by its ClOrdID */
    fxc_send(&a, "F", "11=c1|41=p1|55=CEA25|54=2|60=20260101-00:00:00");
    fxc_expect(&a, "8");
    assert_string_equal(fxc_get(&a, 150), "4");
    assert_string_equal(fxc_get(&a, 41), "p1");
}

static void test_reset_seq_num_flag(void **state)
{
    (void)state;
    logon_alice();
    assert_alive(&a, "1");
    fxc_close(&a);
    sleep_ms(50);
    fxc_connect(&a, srv.port, "ALICE1");
    fxc_send(&a, "A", "98=0|108=30|553=alice|554=pw-alice-12345|141=Y");
    fxc_expect(&a, "A");
    assert_string_equal(fxc_get(&a, 34), "1");
    assert_string_equal(fxc_get(&a, 141), "Y");
    assert_alive(&a, "after-reset");
}

/* ---- provisioning (issue 10, finding 7) ------------------------------------- */

static int count_dir(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *de; d && (de = readdir(d));) n += de->d_name[0] != '.';
    if (d) closedir(d);
    return n;
}

static void provision(const char *line)
{
    char path[700];
    snprintf(path, sizeof path, "%s/compids", srv.state);
    FILE *f = fopen(path, "a");
    assert_non_null(f);
    fprintf(f, "%s\n", line);
    fclose(f);
}

/* bob logging on as SQ000..SQ099 used to get a session for each (4 open
 * files apiece, kept for ever) and so took SQ000 from alice. Now a
 * SenderCompID the operator has not provisioned is refused with a Logout
 * saying so, and nothing is created for it. */
static void test_unknown_compids_create_nothing(void **state)
{
    (void)state;
    int fds = count_dir("/proc/self/fd"), files = count_dir(srv.state);
    for (int i = 0; i < 100; i++) {
        char comp[16];
        snprintf(comp, sizeof comp, "SQ%03d", i);
        fxc_connect(&b, srv.port, comp);
        fxc_send(&b, "A", "98=0|108=30|553=bob|554=pw-bob-12345");
        fxc_expect(&b, "5");
        assert_non_null(strstr(fxc_get(&b, 58), "not provisioned"));
        assert_string_equal(fxc_get(&b, 56), comp);
        assert_true(fxc_closed(&b, 2000));
        fxc_close(&b);
    }
    sleep_ms(100);
    assert_int_equal(count_dir("/proc/self/fd"), fds);
    assert_int_equal(count_dir(srv.state), files);
    /* the operator gives SQ000 to alice's participant: she logs on, bob may not */
    provision("SQ000 2");
    fxc_logon(&a, srv.port, "SQ000", "alice", 30, NULL);
    assert_alive(&a, "alice-on-SQ000");
    fxc_connect(&b, srv.port, "SQ000");
    fxc_send(&b, "A", "98=0|108=30|553=bob|554=pw-bob-12345");
    fxc_expect(&b, "5");
    assert_non_null(strstr(fxc_get(&b, 58), "another participant"));
}

/* A session keeps its files open only while it is logged on (each Logon
 * here resets the numbers: the client keeps none between connections). */
static void test_files_close_at_logout(void **state)
{
    (void)state;
    int fds = count_dir("/proc/self/fd"); /* ALICE1 has no files yet */
    fxc_logon(&a, srv.port, "ALICE1", "alice", 30, "141=Y");
    assert_alive(&a, "on");
    assert_true(count_dir("/proc/self/fd") > fds); /* the socket and the session's files */
    fxc_send(&a, "5", "");
    fxc_expect(&a, "5");
    fxc_close(&a);
    sleep_ms(300);
    assert_int_equal(count_dir("/proc/self/fd"), fds);
    /* a report made while it is away opens them for the write, and they close again */
    fxc_logon(&b, srv.port, "BOB1", "bob", 30, "141=Y");
    fxc_send(&b, "D", "11=x1|55=CEA25|54=2|60=20260101-00:00:00|38=10|40=2|44=51.00");
    fxc_expect(&b, "8");
    fxc_send(&b, "5", "");
    fxc_expect(&b, "5");
    fxc_close(&b);
    sleep_ms(300);
    fds = count_dir("/proc/self/fd");
    fxc_logon(&a, srv.port, "ALICE1", "alice", 30, "141=Y");
    fxc_send(&a, "D", "11=y1|55=CEA25|54=1|60=20260101-00:00:00|38=10|40=2|44=51.00|59=3");
    fxc_expect(&a, "8");
    fxc_expect(&a, "8"); /* new, then filled */
    assert_string_equal(fxc_get(&a, 150), "F");
    fxc_send(&a, "5", "");
    fxc_expect(&a, "5");
    fxc_close(&a);
    sleep_ms(1500); /* the fill for BOB1 was stored; its files close at the next sync */
    assert_int_equal(count_dir("/proc/self/fd"), fds);
}

/* Before the CompID table, a SenderCompID was bound by its first Logon. On
 * the first start with the table, every session in the state directory is
 * written to it for the participant its files were made for, and goes on. */
static void test_existing_sessions_stay_provisioned(void **state)
{
    (void)state;
    logon_alice();
    fxc_send(&a, "5", "");
    fxc_expect(&a, "5");
    uint64_t next = a.out_seq;
    fxc_close(&a);
    char dir[512], path[700];
    snprintf(dir, sizeof dir, "%s", srv.dir);
    fx_stop(&srv);
    snprintf(path, sizeof path, "%s/fix/compids", dir);
    assert_int_equal(unlink(path), 0); /* as an older exchange left it */
    fx_start(&srv, dir, short_timers);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char text[512] = "";
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = 0;
    fclose(f);
    assert_non_null(strstr(text, "\nALICE1 2\n"));
    assert_null(strstr(text, "BOB1")); /* never logged on: nothing to keep */
    fxc_connect(&a, srv.port, "ALICE1");
    a.out_seq = next;
    fxc_send(&a, "A", "98=0|108=30|553=alice|554=pw-alice-12345");
    fxc_expect(&a, "A");
    assert_alive(&a, "migrated");
    fxc_connect(&b, srv.port, "BOB1");
    fxc_send(&b, "A", "98=0|108=30|553=bob|554=pw-bob-12345");
    fxc_expect(&b, "5");
    assert_non_null(strstr(fxc_get(&b, 58), "not provisioned"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_logon_and_test_request, setup, teardown),
        cmocka_unit_test_setup_teardown(test_first_message_not_logon, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_password_closes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_logon_without_credentials, setup, teardown),
        cmocka_unit_test_setup_teardown(test_second_logon_rejected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_logon_in_time, setup, teardown),
        cmocka_unit_test_setup_teardown(test_compid_bound_to_participant, setup, teardown),
        cmocka_unit_test_setup_teardown(test_one_connection_per_session, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_body_length_ignored, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_checksum_ignored, setup, teardown),
        cmocka_unit_test_setup_teardown(test_garbage_skipped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_split_and_coalesced, setup, teardown),
        cmocka_unit_test_setup_teardown(test_huge_field_and_message, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_required_tag, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unsupported_and_invalid_types, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sending_time_checked, setup, teardown),
        cmocka_unit_test_setup_teardown(test_seq_too_low_logs_out, setup, teardown),
        cmocka_unit_test_setup_teardown(test_possdup_low_ignored, setup, teardown),
        cmocka_unit_test_setup_teardown(test_inbound_gap_resend_request, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sequence_reset_mode, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resend_request_answered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_silent_peer_disconnected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_logout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sequence_numbers_survive_restart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reset_seq_num_flag, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_compids_create_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_files_close_at_logout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_existing_sessions_stay_provisioned, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
