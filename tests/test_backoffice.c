/* test_backoffice.c -- the SQL projection, into SQLite and into a real
 * PostgreSQL server started by the test, each fed the same seeded two
 * trading days (all three methods, a compliance cycle; tday.h):
 *  - the SQL totals equal the engine's: every participant's funds and every
 *    holding as the sum of its movements, the fees, the volume and count of
 *    trades per method, the day's statistics, statements and compliance;
 *  - stopping the projection at any point and starting it again (a restart)
 *    ends with the same database as one projection without a stop: no row
 *    twice, none missing;
 *  - a database stopped in the middle of the stream (PostgreSQL killed
 *    "immediate") is caught up exactly once when it comes back.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../src/backoffice/csvout.h"
#include "../src/backoffice/db.h"
#include "../src/backoffice/follower.h"
#include "../src/backoffice/schema.h"
#include "../src/backoffice/sqlproj.h"
#include "tday.h"
#include "tpg.h"

#define FLOW 1500

static tpg pg;
static bool pg_up;

static void tmpdir(char *out, size_t len, const char *prefix)
{
    const char *base = getenv("CETS_TEST_TMP");
    if (!base || !*base) base = "/tmp";
    mkdir(base, 0755);
    snprintf(out, len, "%s/%s-XXXXXX", base, prefix);
    assert_non_null(mkdtemp(out));
}

static void rmtree(const char *dir)
{
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

/* ---- a projection run ---------------------------------------------------------- */

typedef struct run {
    sqlproj *p;
    follower *f;
} run;

/* durable: only commands up to *limit are read (NULL: the whole journal). */
static uint64_t limit_of(void *ctx)
{
    return *(uint64_t *)ctx;
}

static void run_start(run *r, const char *dir, const char *target, uint64_t *limit)
{
    r->p = sqlproj_new(target, 30, NULL);
    assert_non_null(r->p);
    follower_options o;
    follower_options_default(&o);
    o.dir = dir;
    o.batch = 500;
    o.poll_ms = 2;
    o.retry_ms = 50;
    if (limit) {
        o.durable = limit_of;
        o.durable_ctx = limit;
    }
    follower_sink s = sqlproj_sink(r->p);
    char err[256];
    r->f = follower_start(&o, &s, err, sizeof err);
    assert_non_null(r->f);
}

static void run_wait(run *r, uint64_t seq)
{
    if (follower_wait(r->f, seq, 60000) != 0) {
        follower_stats st;
        follower_get_stats(r->f, &st);
        fail_msg("projection stuck at %llu of %llu: %s", (unsigned long long)st.position,
                 (unsigned long long)seq, st.error);
    }
}

static void run_stop(run *r)
{
    follower_stop(r->f, false, 0);
    sqlproj_free(r->p);
    memset(r, 0, sizeof *r);
}

/* Project the whole journal of dir into target, in one go. */
static void project(const char *dir, const char *target, uint64_t last)
{
    run r;
    run_start(&r, dir, target, NULL);
    run_wait(&r, last);
    run_stop(&r);
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

static void assert_same_dump(const char *a, const char *b)
{
    char *x = dump(a), *y = dump(b);
    if (strcmp(x, y) != 0) {
        size_t i = 0;
        while (x[i] && x[i] == y[i]) i++;
        size_t from = i > 200 ? i - 200 : 0;
        fail_msg("the databases differ at byte %zu:\n--- %s\n%.400s\n--- %s\n%.400s", i, a,
                 x + from, b, y + from);
    }
    free(x);
    free(y);
}

/* ---- the totals --------------------------------------------------------------------- */

static int64_t q1(db *d, const char *sql, int n, const db_val *p)
{
    int64_t v = 0;
    if (db_int_query(d, sql, n, p, &v) < 0) fail_msg("%s: %s", sql, db_error(d));
    return v;
}

static void check_totals(const char *target, const cets_engine *e)
{
    char err[512];
    db *d = db_open(target, err, sizeof err);
    assert_non_null(d);
    assert_int_equal(q1(d, "SELECT value FROM bo_meta WHERE key = 'position'", 0, NULL),
                     (int64_t)cets_last_seq(e));
    uint32_t np = cets_participant_count(e), ni = cets_instrument_count(e);
    assert_int_equal(q1(d, "SELECT COUNT(*) FROM participants", 0, NULL), np);
    assert_int_equal(q1(d, "SELECT COUNT(*) FROM instruments", 0, NULL), ni);
    int64_t all_funds = 0;
    for (uint32_t p = 1; p <= np; p++) {
        cets_participant_info pi;
        assert_int_equal(cets_participant_get(e, p, &pi), CETS_OK);
        db_val v[2] = {db_int(p)};
        int64_t funds = q1(d,
                           "SELECT COALESCE(SUM(amount), 0) FROM funds_ledger "
                           "WHERE participant = $1",
                           1, v);
        if (funds != pi.available + pi.frozen)
            fail_msg("participant %u: funds in SQL %lld, in the engine %lld", p, (long long)funds,
                     (long long)(pi.available + pi.frozen));
        all_funds += funds;
        for (uint32_t i = 0; i < ni; i++) {
            cets_holding h;
            assert_int_equal(cets_holding_get(e, p, i, &h), CETS_OK);
            v[1] = db_int(i);
            int64_t held = q1(d,
                              "SELECT COALESCE(SUM(qty), 0) FROM holdings_ledger "
                              "WHERE participant = $1 AND instrument = $2",
                              2, v);
            if (held != h.available + h.frozen + h.locked)
                fail_msg("participant %u, instrument %u: holding in SQL %lld, in the engine %lld",
                         p, i, (long long)held, (long long)(h.available + h.frozen + h.locked));
        }
    }
    cets_totals tot;
    cets_totals_get(e, &tot);
    assert_int_equal(all_funds, tot.funds);
    assert_int_equal(q1(d,
                        "SELECT COALESCE(SUM(amount), 0) FROM funds_movements "
                        "WHERE kind = 'deposit'",
                        0, NULL),
                     tot.deposits);
    assert_int_equal(q1(d,
                        "SELECT COALESCE(-SUM(amount), 0) FROM funds_movements "
                        "WHERE kind = 'withdrawal'",
                        0, NULL),
                     tot.withdrawals);
    /* the fees: what the exchange holds (it neither deposits nor trades here) */
    cets_participant_info x;
    cets_participant_get(e, CETS_EXCHANGE_ID, &x);
    assert_true(x.available > 0);
    assert_int_equal(q1(d, "SELECT SUM(buyer_fee + seller_fee) FROM trades", 0, NULL), x.available);
    /* volumes and counts per method, against the engine's cumulative statistics */
    cets_day_stats st[CETS_MAX_INSTRUMENTS];
    int32_t date;
    uint32_t n = cets_last_day_stats(e, st, CETS_MAX_INSTRUMENTS, NULL, &date);
    assert_int_equal(n, ni);
    static const char *const methods[] = {"listing", "block", "auction"};
    for (int m = 0; m < CETS_METHOD_COUNT; m++) {
        int64_t vol = 0, val = 0;
        for (uint32_t i = 0; i < n; i++) vol += st[i].cum_volume[m], val += st[i].cum_value[m];
        db_val v = db_text(methods[m]);
        int64_t sv = q1(d, "SELECT COALESCE(SUM(qty), 0) FROM trades WHERE method = $1", 1, &v);
        int64_t sval = q1(d, "SELECT COALESCE(SUM(value), 0) FROM trades WHERE method = $1", 1, &v);
        if (sv != vol || sval != val)
            fail_msg("%s: SQL %lld t / %lld fen, engine %lld t / %lld fen", methods[m],
                     (long long)sv, (long long)sval, (long long)vol, (long long)val);
        assert_true(vol > 0); /* every method traded */
        db_val w[2] = {db_text(methods[m]), db_int(date)};
        int64_t today = 0;
        for (uint32_t i = 0; i < n; i++) today += (int64_t)st[i].trades[m];
        assert_int_equal(q1(d, "SELECT COUNT(*) FROM trades WHERE method = $1 AND date = $2", 2, w),
                         today);
    }
    /* the last day's statistics row by row */
    for (uint32_t i = 0; i < n; i++) {
        db_val w[2] = {db_int(date), db_int(st[i].instrument)};
        assert_int_equal(
            q1(d, "SELECT close FROM day_stats WHERE date = $1 AND instrument = $2", 2, w),
            st[i].close);
        assert_int_equal(q1(d,
                            "SELECT total_volume FROM day_stats WHERE date = $1 AND "
                            "instrument = $2",
                            2, w),
                         st[i].total_volume);
    }
    /* statements of the last day */
    int64_t stmts = 0;
    for (uint32_t p = 1; p <= np; p++) {
        cets_statement s;
        if (cets_statement_get(e, p, &s) != CETS_OK) continue;
        stmts++;
        db_val w[2] = {db_int(date), db_int(p)};
        assert_int_equal(q1(d,
                            "SELECT funds_close FROM statements WHERE date = $1 AND "
                            "participant = $2",
                            2, w),
                         s.funds_close);
    }
    db_val dv = db_int(date);
    assert_int_equal(q1(d, "SELECT COUNT(*) FROM statements WHERE date = $1", 1, &dv), stmts);
    /* compliance: every record as the engine has it, the settled shortfall included */
    int64_t records = 0, settled = 0;
    for (uint32_t p = 1; p <= np; p++) {
        cets_compliance c;
        if (cets_compliance_get(e, p, 2024, &c) != CETS_OK) continue;
        records++;
        settled += c.status == CETS_COMPLIANCE_SETTLED;
        db_val w[2] = {db_int(p), db_int(2024)};
        assert_int_equal(q1(d,
                            "SELECT shortfall FROM compliance WHERE participant = $1 AND "
                            "year = $2",
                            2, w),
                         c.shortfall);
        assert_int_equal(q1(d,
                            "SELECT withheld + surrendered_late FROM compliance WHERE "
                            "participant = $1 AND year = $2",
                            2, w),
                         c.withheld + c.late_surrendered);
    }
    assert_int_equal(records, TDAY_ENTITIES);
    assert_int_equal(settled, 1);
    assert_int_equal(
        q1(d, "SELECT COUNT(*) FROM compliance WHERE status = 'shortfall_settled'", 0, NULL), 1);
    /* registry rows carry what the audit needs: both approvers of a transfer */
    assert_int_equal(q1(d,
                        "SELECT COUNT(*) FROM transfers WHERE status = 'approved' AND "
                        "requested_by = 101 AND decided_by = 202",
                        0, NULL),
                     1);
    assert_int_equal(q1(d, "SELECT COUNT(*) FROM deposit_notices", 0, NULL), TDAY_TRADERS + 1);
    db_close(d);
}

/* ---- fixtures ------------------------------------------------------------------------ */

typedef struct fx {
    char dir[700], work[600];
    tday day;
} fx;

static int fx_setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    tmpdir(f->work, sizeof f->work, "backoffice");
    snprintf(f->dir, sizeof f->dir, "%s/data", f->work);
    tday_open(&f->day, f->dir, 42);
    tday_two_days(&f->day, FLOW);
    tday_close(&f->day);
    *state = f;
    return 0;
}

static int fx_teardown(void **state)
{
    fx *f = *state;
    tday_free(&f->day);
    if (!getenv("CETS_TEST_KEEP")) rmtree(f->work);
    free(f);
    return 0;
}

static void sqlite_target(const fx *f, const char *name, char *out, size_t len)
{
    snprintf(out, len, "%s/%s.sqlite", f->work, name);
}

static void pg_target(const char *name, char *out, size_t len)
{
    tpg_createdb(&pg, name, out, len);
}

/* ---- tests ----------------------------------------------------------------------------- */

static void totals(fx *f, const char *target)
{
    uint64_t last = cets_last_seq(f->day.m.e);
    project(f->dir, target, last);
    check_totals(target, f->day.m.e);
}

static void test_sqlite_totals(void **state)
{
    fx *f = *state;
    char t[800];
    sqlite_target(f, "totals", t, sizeof t);
    totals(f, t);
}

/* follower_wait's time limit (the daily report waits 5 s on it): a position
 * the follower has reached answers at once, even with no time to wait; one
 * past the journal's last command answers -1 once the time is up, not
 * before it and not much after it. */
static double mono_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static void test_follower_wait_limit(void **state)
{
    fx *f = *state;
    char t[800];
    sqlite_target(f, "wait", t, sizeof t);
    uint64_t last = cets_last_seq(f->day.m.e);
    run r;
    run_start(&r, f->dir, t, NULL);
    run_wait(&r, last);
    assert_int_equal(follower_wait(r.f, last, 0), 0); /* at the limit */
    double t0 = mono_ms();
    assert_int_equal(follower_wait(r.f, last + 1, 300), -1); /* just past it */
    double waited = mono_ms() - t0;
    assert_true(waited >= 299.0);
    assert_true(waited < 5000.0);
    follower_stats st;
    follower_get_stats(r.f, &st);
    assert_int_equal(st.position, last);
    run_stop(&r);
}

/* The follower's thread refused (--wrap=pthread_create, CMakeLists.txt):
 * the next pthread_create fails with EAGAIN while refuse_thread is set. */
static _Atomic bool refuse_thread;
int __real_pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*f)(void *), void *arg);
int __wrap_pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*f)(void *), void *arg)
{
    if (refuse_thread) return EAGAIN;
    return __real_pthread_create(t, a, f, arg);
}

/* follower_start without its thread: NULL, with pthread_create's error
 * (not a stale errno), nothing written; then it starts and projects. */
static void test_follower_no_thread(void **state)
{
    fx *f = *state;
    char t[800];
    sqlite_target(f, "nothread", t, sizeof t);
    run r = {.p = sqlproj_new(t, 30, NULL)};
    assert_non_null(r.p);
    follower_options o;
    follower_options_default(&o);
    o.dir = f->dir;
    follower_sink sk = sqlproj_sink(r.p);
    char err[256] = "", want[256];
    errno = 0;
    refuse_thread = true;
    assert_null(follower_start(&o, &sk, err, sizeof err));
    refuse_thread = false;
    snprintf(want, sizeof want, "cannot start the %s follower: %s", sk.name, strerror(EAGAIN));
    assert_string_equal(err, want);
    struct stat st;
    assert_int_equal(stat(t, &st), -1); /* the target was not even opened */
    r.f = follower_start(&o, &sk, err, sizeof err);
    assert_non_null(r.f);
    run_wait(&r, cets_last_seq(f->day.m.e));
    run_stop(&r);
}

static void test_postgres_totals(void **state)
{
    fx *f = *state;
    if (!pg_up) skip();
    char t[800];
    pg_target("totals", t, sizeof t);
    totals(f, t);
    /* and the same rows as SQLite's */
    char s[800];
    sqlite_target(f, "same", s, sizeof s);
    project(f->dir, s, cets_last_seq(f->day.m.e));
    assert_same_dump(t, s);
}

/* Stopped after each of several points and started again: the same database
 * as one run without stops. */
static void restarts(fx *f, const char *target, const char *fresh)
{
    uint64_t last = cets_last_seq(f->day.m.e);
    project(f->dir, fresh, last);
    static const double at[] = {0.0005, 0.1, 0.37, 0.5, 0.93, 1.0};
    for (size_t i = 0; i < sizeof at / sizeof at[0]; i++) {
        uint64_t limit = (uint64_t)(at[i] * (double)last);
        run r;
        run_start(&r, f->dir, target, &limit);
        run_wait(&r, limit);
        run_stop(&r);
    }
    assert_same_dump(target, fresh);
    check_totals(target, f->day.m.e);
}

static void test_sqlite_restarts(void **state)
{
    fx *f = *state;
    char t[800], fresh[800];
    sqlite_target(f, "restarts", t, sizeof t);
    sqlite_target(f, "fresh", fresh, sizeof fresh);
    restarts(f, t, fresh);
}

static void test_postgres_restarts(void **state)
{
    fx *f = *state;
    if (!pg_up) skip();
    char t[800], fresh[800];
    pg_target("restarts", t, sizeof t);
    pg_target("fresh", fresh, sizeof fresh);
    restarts(f, t, fresh);
}

/* The database dies in the middle of the stream and comes back: the
 * projection catches up from the position it stored, exactly once. */
static void test_postgres_outage(void **state)
{
    fx *f = *state;
    if (!pg_up) skip();
    char t[800], fresh[800];
    pg_target("outage", t, sizeof t);
    pg_target("outage_fresh", fresh, sizeof fresh);
    uint64_t last = cets_last_seq(f->day.m.e);
    project(f->dir, fresh, last);
    uint64_t limit = last / 3;
    run r;
    run_start(&r, f->dir, t, &limit);
    run_wait(&r, limit);
    tpg_stop(&pg, true); /* like a crash of the database */
    limit = last;        /* the stream goes on while it is down */
    struct timespec nap = {0, 300 * 1000000};
    nanosleep(&nap, NULL);
    follower_stats st;
    follower_get_stats(r.f, &st);
    assert_false(st.ok);
    assert_true(st.failures >= 1);
    assert_true(st.position < last);
    tpg_restart(&pg);
    run_wait(&r, last);
    follower_get_stats(r.f, &st);
    assert_true(st.ok);
    run_stop(&r);
    assert_same_dump(t, fresh);
    check_totals(t, f->day.m.e);
}

/* 1-minute bars are kept bars_1m_days days: with 2, both days' bars stay
 * after the second end of day; with 1, the first day's are pruned then. */
static void test_bars_kept_days(void **state)
{
    fx *f = *state;
    int64_t per_day[2][2];
    for (int days = 1; days <= 2; days++) {
        char t[800], err[512];
        snprintf(t, sizeof t, "%s/bars%d.sqlite", f->work, days);
        run r = {.p = sqlproj_new(t, days, NULL)};
        follower_options o;
        follower_options_default(&o);
        o.dir = f->dir;
        follower_sink sk = sqlproj_sink(r.p);
        r.f = follower_start(&o, &sk, err, sizeof err);
        run_wait(&r, cets_last_seq(f->day.m.e));
        run_stop(&r);
        db *d = db_open(t, err, sizeof err);
        for (int k = 0; k < 2; k++) {
            db_val v = db_int(k == 0 ? TM_DATE : 20261201);
            per_day[days - 1][k] = q1(d, "SELECT COUNT(*) FROM bars_1m WHERE date = $1", 1, &v);
        }
        db_close(d);
    }
    assert_int_equal(per_day[0][0], 0); /* 1 day: the first day's are gone */
    assert_true(per_day[0][1] > 0);
    assert_true(per_day[1][0] > 0); /* 2 days: both kept */
    assert_int_equal(per_day[1][1], per_day[0][1]);
}

/* A database of a newer schema is refused, not written to. */
static void test_newer_schema_refused(void **state)
{
    fx *f = *state;
    char t[800], err[512];
    sqlite_target(f, "newer", t, sizeof t);
    db *d = db_open(t, err, sizeof err);
    assert_non_null(d);
    assert_int_equal(schema_migrate(d, NULL, err, sizeof err), 0);
    assert_int_equal(db_exec(d, "INSERT INTO bo_migrations (version, name) VALUES (99, 'x')"), 0);
    int v = 0;
    assert_int_equal(schema_migrate(d, &v, err, sizeof err), -1);
    assert_non_null(strstr(err, "version 99"));
    db_close(d);
    sqlproj *p = sqlproj_new(t, 0, NULL);
    follower_sink s = sqlproj_sink(p);
    uint64_t pos;
    assert_int_equal(s.open(s.ctx, &pos, err, sizeof err), -1);
    assert_non_null(strstr(err, "refusing"));
    sqlproj_free(p);
}

/* The CSV writers format by hand (for speed): the same text as printf would. */
static void test_csvout(void **state)
{
    (void)state;
    char b[40];
    assert_string_equal(csvout_time(0, b), "1970-01-01T00:00:00.000Z");
    assert_string_equal(csvout_time(1796197260123456789LL, b), "2026-12-02T07:41:00.123Z");
    assert_string_equal(csvout_time(951782400999000000LL, b), "2000-02-29T00:00:00.999Z");
    assert_string_equal(csvout_money(0, b), "0.00");
    assert_string_equal(csvout_money(5, b), "0.05");
    assert_string_equal(csvout_money(-123456, b), "-1234.56");
    assert_string_equal(csvout_money(INT64_MAX, b), "92233720368547758.07");
    assert_string_equal(csvout_money(INT64_MIN, b), "-92233720368547758.08");
    assert_string_equal(csvout_date(20261130, b), "2026-11-30");
    for (int64_t t = 1700000000000000000LL; t < 1900000000000000000LL; t += 86399999999937LL) {
        char want[96];
        time_t sec = (time_t)(t / 1000000000);
        struct tm tm;
        gmtime_r(&sec, &tm);
        snprintf(want, sizeof want, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                 (int)(t % 1000000000 / 1000000));
        assert_string_equal(csvout_time(t, b), want);
    }
}

static int group_setup(void **state)
{
    (void)state;
    pg_up = tpg_available();
    if (pg_up)
        tpg_start(&pg);
    else
        fprintf(stderr, "test_backoffice: postgresql-15 not installed: its tests are skipped\n");
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    if (pg_up) tpg_destroy(&pg);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csvout),
        cmocka_unit_test_setup_teardown(test_sqlite_totals, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_follower_wait_limit, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_follower_no_thread, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_sqlite_restarts, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_newer_schema_refused, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_bars_kept_days, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_postgres_totals, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_postgres_restarts, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_postgres_outage, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
