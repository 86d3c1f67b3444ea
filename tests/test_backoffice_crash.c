/* test_backoffice_crash.c -- the real cetsd killed (SIGKILL) in the middle of
 * a stream of orders, and its PostgreSQL database killed ("immediate") while
 * the orders go on: after the restarts the back office's database equals a
 * fresh projection of the journal, table by table and row by row (no row
 * twice, none missing), and the live audit log equals a rebuild of it from
 * the journal, byte for byte. While the database is down the exchange keeps
 * answering: the projection never holds up an acknowledgement.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../src/backoffice/db.h"
#include "../src/backoffice/follower.h"
#include "../src/backoffice/schema.h"
#include "../src/backoffice/sqlproj.h"
#include "cets/registry.h"
#include "tpg.h"
#include "tseed.h"
#include "tserver.h"

#define ORDERS 240

static tpg pg;
static bool pg_up;

typedef struct load {
    tserver *t;
    char *alice, *bob;
    int n;
    bool db_down; /* bank imports need the projection: they are answered 503 */
} load;

static tserver *running; /* a failed test leaves no cetsd behind (group_teardown) */

static void login(load *l)
{
    free(l->alice);
    free(l->bob);
    l->alice = ts_login(l->t, "alice", TSEED_PASSWORD);
    l->bob = ts_login(l->t, "bob", TSEED_PASSWORD);
}

/* One round: a listing, a take of it, now and then a deposit and a cancel.
 * Every request must be answered (the back office never blocks one). */
static void round_trip(load *l)
{
    char body[256];
    tresp r;
    int i = l->n++;
    snprintf(body, sizeof body,
             "{\"code\":\"CEA25\",\"side\":\"sell\",\"price\":\"%d.%02d\",\"qty\":%d}", 50 + i % 3,
             i % 100, 10 + i % 7);
    assert_int_equal(ts_req(l->t, "POST", "/api/v1/orders", l->alice, body, &r), 201);
    long long id = tj_int(r.json, "order_id");
    tresp_free(&r);
    if (i % 5 == 4) {
        snprintf(body, sizeof body, "/api/v1/orders/%lld", id);
        assert_int_equal(ts_req(l->t, "DELETE", body, l->alice, NULL, &r), 200);
    } else {
        snprintf(body, sizeof body,
                 "{\"code\":\"CEA25\",\"side\":\"buy\",\"qty\":%d,\"limit\":\"53.00\"}",
                 10 + i % 7);
        assert_int_equal(ts_req(l->t, "POST", "/api/v1/takes", l->bob, body, &r), 201);
    }
    tresp_free(&r);
    if (i % 17 == 0 && !l->db_down) {
        snprintf(body, sizeof body,
                 "bank_ref,participant,amount,value_date\nN-%d,3,%d.00,2026-12-01\n", i, 100 + i);
        if (ts_req(l->t, "POST", "/api/v1/admin/bank/deposits", l->t->admin, body, &r) != 200)
            fail_msg("deposit notice N-%d: %ld %s", i, r.status, r.body);
        tresp_free(&r);
    }
}

/* Until the back office holds everything durable. */
static void caught_up(tserver *t)
{
    for (int i = 0; i < 400; i++) {
        json_t *j = ts_expect(t, "GET", "/api/v1/admin/backoffice", t->admin, NULL, 200);
        json_t *s = json_object_get(j, "sql"), *a = json_object_get(j, "audit");
        bool done = tj_int(s, "behind") == 0 && tj_int(a, "behind") == 0 &&
                    json_is_true(json_object_get(s, "ok"));
        json_decref(j);
        if (done) return;
        struct timespec nap = {0, 50 * 1000000};
        nanosleep(&nap, NULL);
    }
    fail_msg("the back office did not catch up");
}

static char *dump(const char *target)
{
    char err[512];
    db *d = db_open(target, err, sizeof err);
    if (!d) fail_msg("%s", err);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (schema_dump(d, f, err, sizeof err) != 0) fail_msg("dump: %s", err);
    fclose(f);
    db_close(d);
    return buf;
}

/* What the server's database holds equals a projection of the journal made
 * now from nothing; the audit log equals its rebuild. */
static void check_against_journal(const char *dir, const char *target)
{
    char fresh[800], err[512];
    snprintf(fresh, sizeof fresh, "%s.fresh.sqlite", dir);
    long last = cets_journal_scan(dir, 1, NULL, NULL, err, sizeof err);
    assert_true(last > ORDERS);
    sqlproj *p = sqlproj_new(fresh, 30, NULL);
    follower_options o;
    follower_options_default(&o);
    o.dir = dir;
    follower_sink s = sqlproj_sink(p);
    follower *f = follower_start(&o, &s, err, sizeof err);
    assert_int_equal(follower_wait(f, (uint64_t)last, 60000), 0);
    follower_stop(f, false, 0);
    sqlproj_free(p);
    char *a = dump(target), *b = dump(fresh);
    if (strcmp(a, b) != 0) {
        size_t i = 0;
        while (a[i] && a[i] == b[i]) i++;
        size_t from = i > 300 ? i - 300 : 0;
        fail_msg("the server's database differs from a fresh projection at byte %zu:\n"
                 "--- server\n%.600s\n--- fresh\n%.600s",
                 i, a + from, b + from);
    }
    assert_non_null(strstr(a, "== trades\n1|"));
    free(a);
    free(b);
    char side[850];
    unlink(fresh);
    snprintf(side, sizeof side, "%s-wal", fresh);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", fresh);
    unlink(side);
    char path[800], live[820], cmd[1800];
    snprintf(path, sizeof path, "%s/%s", dir, CETS_AUDIT_FILE);
    snprintf(live, sizeof live, "%s.live", path);
    char msg[1024];
    assert_int_equal(cets_audit_verify(path, msg, sizeof msg), 0);
    assert_int_equal(rename(path, live), 0);
    assert_int_equal(cets_audit_rebuild(dir, err, sizeof err), 0);
    snprintf(cmd, sizeof cmd, "cmp '%s' '%s'", live, path);
    assert_int_equal(system(cmd), 0);
}

static void seed(tserver *t)
{
    tseed_instrument(t, "CEA25", NULL, "51.00");
    uint32_t a = tseed_participant(t, "institution", "Alpha");
    uint32_t b = tseed_participant(t, "institution", "Beta");
    tseed_deposit(t, a, "10000000.00");
    tseed_deposit(t, b, "10000000.00");
    tseed_credit(t, a, "CEA25", 1000000);
    free(tseed_user(t, "alice", a, "view,trade"));
    free(tseed_user(t, "bob", b, "view,trade"));
}

/* Orders, SIGKILL in the middle, a restart, more orders, an end of day. */
static void kill_in_the_middle(const char *conf, const char *target, bool db_outage)
{
    static tserver t;
    memset(&t, 0, sizeof t);
    running = &t;
    ts_spawn_with(&t, NULL, conf);
    char dir[512];
    snprintf(dir, sizeof dir, "%s", t.dir);
    seed(&t);
    load l = {.t = &t};
    login(&l);
    for (int i = 0; i < ORDERS / 2; i++) round_trip(&l);
    assert_int_equal(ts_signal(&t, SIGKILL), -1); /* killed: no goodbye, no exit status */
    ts_spawn_with(&t, dir, conf);
    login(&l);
    for (int i = 0; i < ORDERS / 4; i++) round_trip(&l);
    if (db_outage) {
        tpg_stop(&pg, true);
        l.db_down = true;
        for (int i = 0; i < ORDERS / 8; i++)
            round_trip(&l); /* answered while the database is down */
        tresp r;            /* only what needs the database waits for it, and then says so */
        assert_int_equal(ts_req(&t, "POST", "/api/v1/admin/bank/deposits", t.admin,
                                "bank_ref,participant,amount,value_date\nX-1,3,1.00,2026-12-01\n",
                                &r),
                         503);
        tresp_free(&r);
        l.db_down = false;
        json_t *j = ts_expect(&t, "GET", "/api/v1/admin/backoffice", t.admin, NULL, 200);
        assert_false(json_is_true(json_object_get(json_object_get(j, "sql"), "ok")));
        assert_true(json_is_true(json_object_get(json_object_get(j, "audit"), "ok")));
        json_decref(j);
        tpg_restart(&pg);
    }
    for (int i = 0; i < ORDERS / 8; i++) round_trip(&l);
    json_decref(ts_expect(&t, "POST", "/api/v1/admin/end-of-day", t.admin, NULL, 200));
    caught_up(&t);
    assert_int_equal(ts_signal(&t, SIGTERM), 0);
    char sqlite[700];
    snprintf(sqlite, sizeof sqlite, "%s/backoffice.sqlite", dir);
    check_against_journal(dir, target ? target : sqlite);
    free(l.alice);
    free(l.bob);
    ts_rmtree(dir);
}

static void test_sqlite_kill(void **state)
{
    (void)state;
    kill_in_the_middle(NULL, NULL, false);
}

static void test_postgres_kill_and_outage(void **state)
{
    (void)state;
    if (!pg_up) skip();
    char url[200], conf[300];
    tpg_createdb(&pg, "crash", url, sizeof url);
    snprintf(conf, sizeof conf, "backoffice_db = %s\n", url);
    kill_in_the_middle(conf, url, true);
}

static int group_setup(void **state)
{
    (void)state;
    pg_up = tpg_available();
    if (pg_up) tpg_start(&pg);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    if (running && running->pid > 0) ts_signal(running, SIGKILL);
    if (pg_up) tpg_destroy(&pg);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sqlite_kill),
        cmocka_unit_test(test_postgres_kill_and_outage),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
