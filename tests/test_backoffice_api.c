/* test_backoffice_api.c -- the back office of a running cetsd, over HTTP:
 *  - history: trades, fills, funds and holdings movements of past days with
 *    cursor pagination (pages add up to the whole), CSV, who may see what,
 *    the daily report and a statement of a past day as they were that day;
 *  - the settlement bank: a deposit notice sent twice is applied once, a
 *    malformed line is refused with its line number and changes nothing,
 *    the day's withdrawal instructions, a reconciliation with one planted
 *    difference reports exactly that difference;
 *  - the registry file of a day, and its confirmation reconciled;
 *  - the live audit log: it verifies while the server runs, carries the
 *    acting user on every line (deposits, credits, user changes included),
 *    a changed byte is found, and it is byte for byte what a rebuild from
 *    the journal writes; the daily report carries the chain's head, also
 *    when asked for at once after the end of day.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/backoffice/backoffice.h"
#include "../src/backoffice/csvout.h"
#include "../src/server/api.h"
#include "core/log.h"
#include "cets/registry.h"
#include "tseed.h"
#include "tserver.h"

typedef struct fx {
    tserver t;
    uint32_t p2, p3;
    char *alice, *bob;
    char d1[16], d2[16];     /* the two trading days */
    json_t *report1, *stmt1; /* GET /report and /statement right after the first end of day */
} fx;

static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static char *fmt(const char *f, ...)
{
    static char buf[4][2048];
    static int k;
    char *b = buf[k++ & 3];
    va_list ap;
    va_start(ap, f);
    vsnprintf(b, sizeof buf[0], f, ap);
    va_end(ap);
    return b;
}

static void caught_up(fx *f)
{
    core_stats st;
    core_get_stats(f->t.s.core, &st);
    assert_int_equal(bo_sql_wait(f->t.s.bo, st.last_seq, 20000), 0);
    assert_int_equal(bo_audit_wait(f->t.s.bo, st.last_seq, 20000), 0);
}

static void market_date(fx *f, char *out)
{
    json_t *m = ts_expect(&f->t, "GET", "/api/v1/market", NULL, NULL, 200);
    snprintf(out, 16, "%s", tj_str(m, "date"));
    json_decref(m);
}

static void order(fx *f, const char *tok, const char *side, const char *price, int qty)
{
    json_decref(ts_expect(
        &f->t, "POST", "/api/v1/orders", tok,
        fmt("{\"code\":\"CEA25\",\"side\":\"%s\",\"price\":\"%s\",\"qty\":%d}", side, price, qty),
        201));
}

static void take(fx *f, const char *tok, const char *side, int qty, const char *limit)
{
    json_decref(ts_expect(
        &f->t, "POST", "/api/v1/takes", tok,
        fmt("{\"code\":\"CEA25\",\"side\":\"%s\",\"qty\":%d,\"limit\":\"%s\"}", side, qty, limit),
        201));
}

static void eod(fx *f)
{
    json_decref(ts_expect(&f->t, "POST", "/api/v1/admin/end-of-day", f->t.admin, NULL, 200));
}

static int fx_setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    ts_start(&f->t, NULL, NULL);
    tseed_instrument(&f->t, "CEA25", NULL, "50.00");
    f->p2 = tseed_participant(&f->t, "institution", "Alpha Fund");
    f->p3 = tseed_participant(&f->t, "institution", "Beta, \"Capital\"");
    tseed_deposit(&f->t, f->p2, "1000000.00");
    tseed_deposit(&f->t, f->p3, "1000000.00");
    tseed_credit(&f->t, f->p2, "CEA25", 10000);
    tseed_credit(&f->t, f->p3, "CEA25", 10000);
    f->alice = tseed_user(&f->t, "alice", f->p2, "view,trade,funds");
    f->bob = tseed_user(&f->t, "bob", f->p3, "view,trade");
    market_date(f, f->d1);
    for (int i = 0; i < 5; i++) {
        order(f, f->alice, "sell", "50.00", 100);
        take(f, f->bob, "buy", 100, "50.00");
    }
    order(f, f->bob, "buy", "49.00", 10); /* rests, then lapses */
    json_decref(
        ts_expect(&f->t, "POST", "/api/v1/withdrawals", f->alice, "{\"amount\":\"100.00\"}", 200));
    eod(f);
    f->report1 = ts_expect(&f->t, "GET", "/api/v1/report", NULL, NULL, 200);
    f->stmt1 = ts_expect(&f->t, "GET", "/api/v1/statement", f->alice, NULL, 200);
    market_date(f, f->d2);
    for (int i = 0; i < 3; i++) {
        order(f, f->bob, "sell", "51.00", 50 + i);
        take(f, f->alice, "buy", 50 + i, "51.00");
    }
    eod(f);
    caught_up(f);
    *state = f;
    return 0;
}

static int fx_teardown(void **state)
{
    fx *f = *state;
    json_decref(f->report1);
    json_decref(f->stmt1);
    free(f->alice);
    free(f->bob);
    if (f->t.running) ts_stop(&f->t);
    if (!getenv("CETS_TEST_KEEP")) ts_rmtree(f->t.dir);
    free(f);
    return 0;
}

/* ---- history ------------------------------------------------------------------ */

static void test_history_trades_pages(void **state)
{
    fx *f = *state;
    json_t *all = ts_expect(&f->t, "GET", fmt("/api/v1/history/trades?from=%s&to=%s", f->d1, f->d2),
                            NULL, NULL, 200);
    json_t *items = json_object_get(all, "items");
    assert_int_equal(json_array_size(items), 8);
    assert_true(json_is_null(json_object_get(all, "next_cursor")));
    assert_true(tj_int(all, "as_of") > 0);
    /* page by page, three at a time: the same rows in the same order */
    char cursor[64] = "";
    size_t seen = 0;
    for (int page = 0; page < 10; page++) {
        json_t *p = ts_expect(&f->t, "GET",
                              fmt("/api/v1/history/trades?from=%s&to=%s&limit=3%s%s", f->d1, f->d2,
                                  cursor[0] ? "&cursor=" : "", cursor),
                              NULL, NULL, 200);
        json_t *pi = json_object_get(p, "items");
        for (size_t i = 0; i < json_array_size(pi); i++, seen++)
            assert_true(json_equal(json_array_get(pi, i), json_array_get(items, seen)));
        json_t *next = json_object_get(p, "next_cursor");
        bool last = json_is_null(next);
        if (!last) snprintf(cursor, sizeof cursor, "%s", json_string_value(next));
        json_decref(p);
        if (last) break;
    }
    assert_int_equal(seen, 8);
    /* the first day only, public, without parties */
    json_t *day1 =
        ts_expect(&f->t, "GET", fmt("/api/v1/history/trades?from=%s", f->d1), NULL, NULL, 200);
    json_t *t0 = json_array_get(json_object_get(day1, "items"), 0);
    assert_int_equal(json_array_size(json_object_get(day1, "items")), 5);
    assert_string_equal(tj_str(t0, "code"), "CEA25");
    assert_string_equal(tj_str(t0, "price"), "50.00");
    assert_string_equal(tj_str(t0, "value"), "5000.00");
    assert_null(json_object_get(t0, "buyer"));
    json_decref(day1);
    /* CSV: a header and one line a trade */
    tresp r;
    ts_req(&f->t, "GET", fmt("/api/v1/history/trades?from=%s&to=%s&format=csv", f->d1, f->d2), NULL,
           NULL, &r);
    assert_int_equal(r.status, 200);
    assert_true(strncmp(r.body, "trade_id,date,ts,code,method,aggressor,price,qty,value\n1,", 57) ==
                0);
    int lines = 0;
    for (char *c = r.body; *c; c++) lines += *c == '\n';
    assert_int_equal(lines, 9);
    assert_non_null(strstr(r.body, fmt(",%s,", f->d2)));
    tresp_free(&r);
    json_decref(all);
    /* where the followers stand, for monitoring */
    ts_req(&f->t, "GET", "/metrics", NULL, NULL, &r);
    assert_non_null(strstr(r.body, "\ncets_backoffice_behind{follower=\"sql\"} 0\n"));
    assert_non_null(strstr(r.body, "\ncets_backoffice_ok{follower=\"audit\"} 1\n"));
    assert_non_null(strstr(r.body, "\ncets_backoffice_position{follower=\"sql\"} "));
    tresp_free(&r);
    json_t *bo = ts_expect(&f->t, "GET", "/api/v1/admin/backoffice", f->t.admin, NULL, 200);
    assert_string_equal(tj_str(bo, "database"), "sqlite");
    assert_int_equal(tj_int(json_object_get(bo, "sql"), "behind"), 0);
    json_decref(bo);
    json_decref(ts_expect(&f->t, "GET", "/api/v1/admin/backoffice", f->alice, NULL, 403));
}

static void test_history_own(void **state)
{
    fx *f = *state;
    /* alice's fills: five sales on day one, three purchases on day two */
    json_t *fl = ts_expect(&f->t, "GET", fmt("/api/v1/history/fills?from=%s&to=%s", f->d1, f->d2),
                           f->alice, NULL, 200);
    json_t *items = json_object_get(fl, "items");
    assert_int_equal(json_array_size(items), 8);
    assert_string_equal(tj_str(json_array_get(items, 0), "side"), "sell");
    assert_string_equal(tj_str(json_array_get(items, 0), "liquidity"), "maker");
    assert_string_equal(tj_str(json_array_get(items, 0), "fee"), "2.50"); /* 0.05% of 5000 */
    assert_string_equal(tj_str(json_array_get(items, 7), "side"), "buy");
    assert_string_equal(tj_str(json_array_get(items, 7), "liquidity"), "taker");
    json_decref(fl);
    /* her funds movements add up to her funds, page by page */
    json_t *acct = ts_expect(&f->t, "GET", "/api/v1/account", f->alice, NULL, 200);
    int64_t want = 0, got = 0, fen;
    assert_int_equal(http_parse_money(tj_str(acct, "available"), &fen), 0);
    want += fen;
    assert_int_equal(http_parse_money(tj_str(acct, "frozen"), &fen), 0);
    want += fen;
    json_decref(acct);
    char cursor[64] = "";
    int rows = 0;
    bool withdrawal = false;
    for (int page = 0; page < 20; page++) {
        json_t *p = ts_expect(&f->t, "GET",
                              fmt("/api/v1/history/funds?from=%s&to=%s&limit=2%s%s", f->d1, f->d2,
                                  cursor[0] ? "&cursor=" : "", cursor),
                              f->alice, NULL, 200);
        json_t *pi = json_object_get(p, "items");
        for (size_t i = 0; i < json_array_size(pi); i++, rows++) {
            const char *a = tj_str(json_array_get(pi, i), "amount");
            bool neg = a[0] == '-';
            assert_int_equal(http_parse_money(a + neg, &fen), 0);
            got += neg ? -fen : fen;
            withdrawal |= strcmp(tj_str(json_array_get(pi, i), "kind"), "withdrawal") == 0;
        }
        json_t *next = json_object_get(p, "next_cursor");
        bool last = json_is_null(next);
        if (!last) snprintf(cursor, sizeof cursor, "%s", json_string_value(next));
        json_decref(p);
        if (last) break;
    }
    assert_int_equal(rows, 1 + 8 + 1); /* the deposit, 8 trades, the withdrawal */
    assert_true(withdrawal);
    assert_int_equal(got, want);
    /* holdings: the credit and the trades add up to the holding */
    json_t *h = ts_expect(&f->t, "GET",
                          fmt("/api/v1/history/holdings?from=%s&to=%s&code=CEA25", f->d1, f->d2),
                          f->alice, NULL, 200);
    long long held = 0;
    json_t *hi = json_object_get(h, "items");
    for (size_t i = 0; i < json_array_size(hi); i++) held += tj_int(json_array_get(hi, i), "qty");
    assert_int_equal(held, 10000 - 500 + 50 + 51 + 52);
    json_decref(h);
    /* orders that ended: bob's resting buy lapsed at the end of day one */
    json_t *o =
        ts_expect(&f->t, "GET", fmt("/api/v1/history/orders?from=%s", f->d1), f->bob, NULL, 200);
    json_t *oi = json_object_get(o, "items");
    bool expired = false;
    for (size_t i = 0; i < json_array_size(oi); i++)
        expired |= strcmp(tj_str(json_array_get(oi, i), "status"), "expired") == 0 &&
                   strcmp(tj_str(json_array_get(oi, i), "price"), "49.00") == 0;
    assert_true(expired);
    json_decref(o);
    /* who may see what */
    json_decref(ts_expect(&f->t, "GET",
                          fmt("/api/v1/history/fills?from=%s&participant=%u", f->d1, f->p2), f->bob,
                          NULL, 403));
    json_decref(
        ts_expect(&f->t, "GET", fmt("/api/v1/history/funds?from=%s", f->d1), NULL, NULL, 401));
    json_t *adm =
        ts_expect(&f->t, "GET", fmt("/api/v1/history/fills?from=%s&participant=%u", f->d1, f->p2),
                  f->t.admin, NULL, 200);
    assert_int_equal(json_array_size(json_object_get(adm, "items")), 5);
    json_decref(adm);
    /* bad questions */
    json_t *e = ts_expect(&f->t, "GET", "/api/v1/history/trades", NULL, NULL, 400);
    assert_string_equal(tj_str(e, "field"), "from");
    json_decref(e);
    e = ts_expect(&f->t, "GET", fmt("/api/v1/history/trades?from=%s&cursor=x1", f->d1), NULL, NULL,
                  400);
    assert_string_equal(tj_str(e, "field"), "cursor");
    json_decref(e);
    e = ts_expect(&f->t, "GET", fmt("/api/v1/history/trades?from=%s&to=2000-01-01", f->d1), NULL,
                  NULL, 400);
    json_decref(e);
    json_decref(
        ts_expect(&f->t, "GET", fmt("/api/v1/history/bars?from=%s", f->d1), NULL, NULL, 400));
    /* the page size: 1 to 100,000 rows in JSON */
    json_decref(ts_expect(&f->t, "GET", fmt("/api/v1/history/trades?from=%s&limit=0", f->d1), NULL,
                          NULL, 400));
    json_decref(ts_expect(&f->t, "GET", fmt("/api/v1/history/trades?from=%s&limit=100001", f->d1),
                          NULL, NULL, 400));
    json_decref(ts_expect(&f->t, "GET", fmt("/api/v1/history/trades?from=%s&limit=100000", f->d1),
                          NULL, NULL, 200));
    json_t *one = ts_expect(&f->t, "GET", fmt("/api/v1/history/trades?from=%s&limit=1", f->d1),
                            NULL, NULL, 200);
    assert_int_equal(json_array_size(json_object_get(one, "items")), 1);
    assert_string_equal(tj_str(one, "next_cursor"), "1");
    json_decref(one);
    json_decref(
        ts_expect(&f->t, "GET", fmt("/api/v1/history/ticks?from=%s", f->d1), NULL, NULL, 404));
    json_decref(ts_expect(&f->t, "GET", fmt("/api/v1/history/trades?from=%s&code=XX", f->d1), NULL,
                          NULL, 404));
}

static void test_history_past_day(void **state)
{
    fx *f = *state;
    /* the daily report of day one, asked after day two was closed: as it was */
    json_t *r1 =
        ts_expect(&f->t, "GET", fmt("/api/v1/history/report?date=%s", f->d1), NULL, NULL, 200);
    json_t *then = json_deep_copy(f->report1), *now = json_deep_copy(r1);
    json_object_del(then, "audit");
    json_object_del(now, "audit");
    if (!json_equal(then, now)) {
        char *a = json_dumps(then, 0), *b = json_dumps(now, 0);
        fail_msg("report of %s:\n then %s\n now  %s", f->d1, a, b);
    }
    json_decref(then);
    json_decref(now);
    /* with the audit chain's head at that day's close */
    json_t *audit = json_object_get(r1, "audit");
    assert_true(json_is_object(audit));
    assert_int_equal(strlen(tj_str(audit, "head")), 64);
    json_decref(r1);
    json_t *s1 = ts_expect(&f->t, "GET", fmt("/api/v1/history/statement?date=%s", f->d1), f->alice,
                           NULL, 200);
    assert_true(json_equal(s1, f->stmt1));
    json_decref(s1);
    /* the 1-minute bars of day one, and the daily bars of both */
    json_t *b = ts_expect(&f->t, "GET", fmt("/api/v1/history/bars?from=%s&code=CEA25", f->d1), NULL,
                          NULL, 200);
    json_t *bi = json_object_get(b, "items");
    long long vol = 0;
    for (size_t i = 0; i < json_array_size(bi); i++) vol += tj_int(json_array_get(bi, i), "volume");
    assert_int_equal(vol, 500);
    json_decref(b);
    b = ts_expect(&f->t, "GET",
                  fmt("/api/v1/history/bars?interval=1d&from=%s&to=%s&code=CEA25", f->d1, f->d2),
                  NULL, NULL, 200);
    bi = json_object_get(b, "items");
    assert_int_equal(json_array_size(bi), 2);
    assert_string_equal(tj_str(json_array_get(bi, 0), "t"), f->d1);
    assert_int_equal(tj_int(json_array_get(bi, 1), "volume"), 50 + 51 + 52);
    json_decref(b);
    json_decref(ts_expect(&f->t, "GET", "/api/v1/history/report?date=2001-01-01", NULL, NULL, 404));
    /* CSV of a report */
    tresp r;
    ts_req(&f->t, "GET", fmt("/api/v1/history/report?date=%s&format=csv", f->d1), NULL, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, fmt("\nCEA25,%s,50.00,50.00,50.00,50.00,50.00,0.00,true,500,"
                                       "25000.00,5,",
                                       f->d1)));
    tresp_free(&r);
}

/* ---- the settlement bank ---------------------------------------------------------- */

static int64_t funds_of(fx *f, uint32_t pid)
{
    json_t *a =
        ts_expect(&f->t, "GET", fmt("/api/v1/admin/participants/%u", pid), f->t.admin, NULL, 200);
    int64_t x, y;
    assert_int_equal(http_parse_money(tj_str(a, "available"), &x), 0);
    assert_int_equal(http_parse_money(tj_str(a, "frozen"), &y), 0);
    json_decref(a);
    return x + y;
}

static uint64_t last_seq(fx *f)
{
    core_stats st;
    core_get_stats(f->t.s.core, &st);
    return st.last_seq;
}

static void test_bank_deposits(void **state)
{
    fx *f = *state;
    int64_t a0 = funds_of(f, f->p2), b0 = funds_of(f, f->p3);
    const char *file = "bank_ref,participant,amount,value_date\r\n"
                       "BOC-2026-0001,2,1000.00,2026-12-01\r\n"
                       "BOC-2026-0002,3,250.5,2026-12-01\r\n";
    json_t *j = ts_expect(&f->t, "POST", "/api/v1/admin/bank/deposits", f->t.admin, file, 200);
    assert_int_equal(tj_int(j, "applied"), 2);
    assert_string_equal(tj_str(j, "amount"), "1250.50");
    assert_int_equal(json_array_size(json_object_get(j, "duplicates")), 0);
    json_decref(j);
    assert_int_equal(funds_of(f, f->p2), a0 + 100000);
    assert_int_equal(funds_of(f, f->p3), b0 + 25050);
    /* the same notices again, and one twice in a file: applied once */
    const char *again = "bank_ref,participant,amount,value_date\n"
                        "BOC-2026-0001,2,1000.00,2026-12-01\n"
                        "BOC-2026-0003,2,7.00,2026-12-01\n"
                        "BOC-2026-0003,2,7.00,2026-12-01\n"
                        "BOC-2026-0002,3,250.50,2026-12-01\n";
    j = ts_expect(&f->t, "POST", "/api/v1/admin/bank/deposits", f->t.admin, again, 200);
    assert_int_equal(tj_int(j, "applied"), 1);
    json_t *d = json_object_get(j, "duplicates");
    assert_int_equal(json_array_size(d), 3);
    assert_int_equal(tj_int(json_array_get(d, 0), "line"), 2);
    assert_true(tj_int(json_array_get(d, 0), "seq") > 0);
    assert_int_equal(tj_int(json_array_get(d, 1), "line"), 4);
    json_decref(j);
    assert_int_equal(funds_of(f, f->p2), a0 + 100000 + 700);
    assert_int_equal(funds_of(f, f->p3), b0 + 25050);
    /* a malformed line: refused with its number, nothing applied, nothing journaled */
    uint64_t seq = last_seq(f);
    const char *bad = "bank_ref,participant,amount,value_date\n"
                      "BOC-2026-0004,2,5.00,2026-12-01\n"
                      "BOC-2026-0005,2,12,5,2026-12-01\n"
                      "BOC-2026-0006,99,5.00,2026-12-01\n"
                      "BOC-2026-0007,3,-5.00,2026-12-01\n"
                      "BOC-2026-0001,2,999.00,2026-12-01\n"
                      "BOC 8,2,5.00,2026-13-01\n";
    j = ts_expect(&f->t, "POST", "/api/v1/admin/bank/deposits", f->t.admin, bad, 422);
    assert_string_equal(tj_str(j, "error"), "bad_file");
    json_t *errs = json_object_get(j, "errors");
    assert_int_equal(json_array_size(errs), 5);
    assert_string_equal(
        json_string_value(json_array_get(errs, 0)),
        "deposits.csv:3: expected 4 fields (bank_ref,participant,amount,value_date), "
        "found 5");
    assert_string_equal(json_string_value(json_array_get(errs, 1)),
                        "deposits.csv:4: participant 99 does not exist");
    assert_string_equal(json_string_value(json_array_get(errs, 2)),
                        "deposits.csv:5: amount must be a positive sum in yuan (1234.56)");
    assert_non_null(strstr(json_string_value(json_array_get(errs, 3)),
                           "deposits.csv:6: bank_ref BOC-2026-0001 was applied at seq "));
    assert_non_null(strstr(json_string_value(json_array_get(errs, 4)), "deposits.csv:7: bank_ref"));
    json_decref(j);
    assert_int_equal(last_seq(f), seq);
    assert_int_equal(funds_of(f, f->p2), a0 + 100000 + 700);
    j = ts_expect(&f->t, "POST", "/api/v1/admin/bank/deposits", f->t.admin, "bank_ref,who\n", 422);
    assert_string_equal(
        json_string_value(json_array_get(json_object_get(j, "errors"), 0)),
        "deposits.csv:1: the header must be bank_ref,participant,amount,value_date");
    json_decref(j);
    json_decref(ts_expect(&f->t, "POST", "/api/v1/admin/bank/deposits", f->alice, file, 403));
    /* a bank reference of 40 characters is one, of 41 not */
    char ref40[41], ref41[42], body[400];
    memset(ref40, 'R', 40), ref40[40] = 0;
    memset(ref41, 'R', 41), ref41[41] = 0;
    snprintf(body, sizeof body, "bank_ref,participant,amount,value_date\n%s,2,1.00,2026-12-01\n",
             ref40);
    j = ts_expect(&f->t, "POST", "/api/v1/admin/bank/deposits", f->t.admin, body, 200);
    assert_int_equal(tj_int(j, "applied"), 1);
    json_decref(j);
    snprintf(body, sizeof body, "bank_ref,participant,amount,value_date\n%s,2,1.00,2026-12-01\n",
             ref41);
    j = ts_expect(&f->t, "POST", "/api/v1/admin/bank/deposits", f->t.admin, body, 422);
    assert_string_equal(json_string_value(json_array_get(json_object_get(j, "errors"), 0)),
                        "deposits.csv:2: bank_ref must be 1-40 of A-Z a-z 0-9 . _ / -");
    json_decref(j);
    /* 100 bad lines are listed, then one line for the rest */
    char *many = malloc(200 * 64);
    int o = snprintf(many, 64, "bank_ref,participant,amount,value_date\n");
    for (int i = 0; i < 101; i++) o += snprintf(many + o, 64, "X-%d,2,bad,2026-12-01\n", i);
    j = ts_expect(&f->t, "POST", "/api/v1/admin/bank/deposits", f->t.admin, many, 422);
    json_t *errs2 = json_object_get(j, "errors");
    assert_int_equal(json_array_size(errs2), 101);
    assert_string_equal(json_string_value(json_array_get(errs2, 100)),
                        "deposits.csv: 101 bad rows in all (the first 100 are listed)");
    json_decref(j);
    /* a file larger than max_body: 413 */
    size_t big = 70000;
    char *huge = malloc(big + 1);
    memset(huge, 'x', big);
    huge[big] = 0;
    json_decref(ts_expect(&f->t, "POST", "/api/v1/admin/bank/deposits", f->t.admin, huge, 413));
    free(huge);
    free(many);
}

static void test_bank_withdrawals_and_statement(void **state)
{
    fx *f = *state;
    /* day one's instructions: alice's withdrawal; on disk too, written at the end of day */
    tresp r;
    ts_req(&f->t, "GET", fmt("/api/v1/admin/bank/withdrawals?date=%s", f->d1), f->t.admin, NULL,
           &r);
    assert_int_equal(r.status, 200);
    assert_true(strncmp(r.body, "instruction,participant,name,amount,requested_at,date\nW", 55) ==
                0);
    /* requested_at is UTC, the date column the trading day (Beijing): from 16:00 UTC on they
     * are different days */
    const char *w = strstr(r.body, ",2,Alpha Fund,100.00,");
    if (!w || !strstr(w, fmt("Z,%s\n", f->d1)))
        fail_msg("no withdrawal of Alpha Fund on %s:\n%s", f->d1, r.body);
    char path[800], ymd[16];
    snprintf(ymd, sizeof ymd, "%.4s%.2s%.2s", f->d1, f->d1 + 5, f->d1 + 8);
    snprintf(path, sizeof path, "%s/backoffice/withdrawals-%s.csv", f->t.dir, ymd);
    FILE *in = fopen(path, "r");
    assert_non_null(in);
    char disk[4096];
    size_t n = fread(disk, 1, sizeof disk - 1, in);
    disk[n] = 0;
    fclose(in);
    assert_string_equal(disk, r.body);
    tresp_free(&r);
    /* the bank's statement of day two: everyone's funds at the close ... */
    json_t *parts = ts_expect(&f->t, "GET", "/api/v1/admin/participants", f->t.admin, NULL, 200);
    char stmt[4096];
    int o = snprintf(stmt, sizeof stmt, "date,participant,balance\n");
    for (size_t i = 0; i < json_array_size(parts); i++) {
        json_t *p = json_array_get(parts, i);
        int64_t x, y;
        http_parse_money(tj_str(p, "available"), &x);
        http_parse_money(tj_str(p, "frozen"), &y);
        char m[32];
        int64_t bal = x + y + (tj_int(p, "id") == f->p3 ? 1 : 0); /* one planted difference */
        o += snprintf(stmt + o, sizeof stmt - (size_t)o, "%s,%lld,%s\n", f->d2, tj_int(p, "id"),
                      cets_fmt_money(bal, m));
    }
    json_decref(parts);
    json_t *j = ts_expect(&f->t, "POST", "/api/v1/admin/bank/statement", f->t.admin, stmt, 200);
    json_t *dis = json_object_get(j, "discrepancies");
    if (json_array_size(dis) != 1) fail_msg("want one discrepancy: %s", json_dumps(j, 0));
    json_t *x = json_array_get(dis, 0);
    assert_int_equal(tj_int(x, "participant"), f->p3);
    assert_string_equal(tj_str(x, "finding"), "mismatch");
    assert_string_equal(tj_str(x, "difference"), "0.01");
    assert_true(tj_int(j, "matched") >= 2);
    json_decref(j);
    /* the report as CSV */
    ts_req(&f->t, "POST", "/api/v1/admin/bank/statement?format=csv", f->t.admin, stmt, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "participant,ours,bank,difference,finding\n3,"));
    assert_non_null(strstr(r.body, ",0.01,mismatch\n"));
    tresp_free(&r);
    /* a line the bank does not send, a malformed one, a day not closed */
    j = ts_expect(&f->t, "POST", "/api/v1/admin/bank/statement", f->t.admin,
                  fmt("date,participant,balance\n%s,2,1.00\n%s,3,x\n", f->d2, f->d2), 422);
    assert_string_equal(json_string_value(json_array_get(json_object_get(j, "errors"), 0)),
                        "statement.csv:3: balance must be a sum in yuan (1234.56)");
    json_decref(j);
    j = ts_expect(&f->t, "POST", "/api/v1/admin/bank/statement", f->t.admin,
                  "date,participant,balance\n2001-01-02,2,1.00\n", 422);
    assert_non_null(strstr(json_string_value(json_array_get(json_object_get(j, "errors"), 0)),
                           "is not a closed trading day"));
    json_decref(j);
    j = ts_expect(&f->t, "POST", "/api/v1/admin/bank/statement", f->t.admin,
                  fmt("date,participant,balance\n%s,2,1.00\n", f->d2), 200);
    dis = json_object_get(j, "discrepancies");
    bool missing = false;
    for (size_t i = 0; i < json_array_size(dis); i++)
        missing |= strcmp(tj_str(json_array_get(dis, i), "finding"), "missing_at_bank") == 0;
    assert_true(missing);
    json_decref(j);
}

/* Issue 10, finding 14, in the back office's CSVs: a cell a spreadsheet would
 * run as a formula gets a leading ' (cets_csv_text), in the history export
 * (a bank reference -2/3, a division to a spreadsheet) as in the files written by hand. */
static void test_csv_formula_guard(void **state)
{
    fx *f = *state;
    const char *file = "bank_ref,participant,amount,value_date\n"
                       "-2/3,2,3.00,2026-12-01\n";
    json_decref(ts_expect(&f->t, "POST", "/api/v1/admin/bank/deposits", f->t.admin, file, 200));
    caught_up(f);
    char today[16];
    market_date(f, today);
    tresp r;
    ts_req(&f->t, "GET", fmt("/api/v1/history/funds?from=%s&to=%s&format=csv", f->d1, today),
           f->alice, NULL, &r);
    assert_int_equal(r.status, 200);
    if (!strstr(r.body, ",'-2/3\n") || strstr(r.body, ",-2/3\n"))
        fail_msg("the bank reference is not guarded:\n%s", r.body);
    tresp_free(&r);
    char b[64];
    FILE *m = fmemopen(b, sizeof b, "w");
    csvout_text(m, "=cmd|' /C calc'!A0");
    fputc('|', m);
    csvout_text(m, "@SUM(1,2)");
    fputc('|', m);
    csvout_text(m, "Alpha Fund");
    fclose(m);
    assert_string_equal(b, "'=cmd|' /C calc'!A0|\"'@SUM(1,2)\"|Alpha Fund");
}

/* ---- the registry file -------------------------------------------------------------- */

static void test_registry_file(void **state)
{
    fx *f = *state;
    tresp r;
    ts_req(&f->t, "GET", fmt("/api/v1/admin/registry-file?date=%s", f->d2), f->t.admin, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, fmt("\n%s,2,CEA25,9500,153,0,0,0,0,0,0,9653\n", f->d2)));
    assert_non_null(strstr(r.body, fmt("\n%s,3,CEA25,10500,0,153,0,0,0,0,0,10347\n", f->d2)));
    /* the registry confirms what it booked: the same closings reconcile ... */
    char conf[2048];
    int o = snprintf(conf, sizeof conf, "date,participant,code,closing\n");
    o += snprintf(conf + o, sizeof conf - (size_t)o, "%s,2,CEA25,9653\n%s,3,CEA25,10347\n", f->d2,
                  f->d2);
    json_t *j =
        ts_expect(&f->t, "POST", "/api/v1/admin/registry-file/confirmation", f->t.admin, conf, 200);
    assert_int_equal(json_array_size(json_object_get(j, "discrepancies")), 0);
    assert_int_equal(tj_int(j, "matched"), 2);
    json_decref(j);
    /* ... one planted difference is that one */
    j = ts_expect(
        &f->t, "POST", "/api/v1/admin/registry-file/confirmation", f->t.admin,
        fmt("date,participant,code,closing\n%s,2,CEA25,9653\n%s,3,CEA25,10346\n", f->d2, f->d2),
        200);
    json_t *dis = json_object_get(j, "discrepancies");
    assert_int_equal(json_array_size(dis), 1);
    assert_int_equal(tj_int(json_array_get(dis, 0), "participant"), 3);
    assert_int_equal(tj_int(json_array_get(dis, 0), "difference"), -1);
    assert_string_equal(tj_str(json_array_get(dis, 0), "finding"), "mismatch");
    json_decref(j);
    /* an unconfirmed line, a malformed line */
    j = ts_expect(&f->t, "POST", "/api/v1/admin/registry-file/confirmation", f->t.admin,
                  fmt("date,participant,code,closing\n%s,2,CEA25,9653\n", f->d2), 200);
    dis = json_object_get(j, "discrepancies");
    assert_int_equal(json_array_size(dis), 1);
    assert_string_equal(tj_str(json_array_get(dis, 0), "finding"), "not_confirmed");
    json_decref(j);
    j = ts_expect(
        &f->t, "POST", "/api/v1/admin/registry-file/confirmation", f->t.admin,
        fmt("date,participant,code,closing\n%s,2,CEA25,9653\n%s,3,CEA25,ten\n", f->d2, f->d2), 422);
    assert_string_equal(json_string_value(json_array_get(json_object_get(j, "errors"), 0)),
                        "confirmation.csv:3: closing must be a whole number of tonnes");
    json_decref(j);
    tresp_free(&r);
}

/* ---- the audit log, live ------------------------------------------------------------ */

static void test_audit_live(void **state)
{
    fx *f = *state;
    char path[800], msg[1024];
    snprintf(path, sizeof path, "%s/%s", f->t.dir, CETS_AUDIT_FILE);
    /* it verifies while the server writes it */
    assert_int_equal(cets_audit_verify(path, msg, sizeof msg), 0);
    char *argv[] = {"audit", "verify", path, NULL};
    assert_int_equal(cets_audit_verify_main(3, argv), 0);
    /* the head over the API is the file's last line */
    json_t *h = ts_expect(&f->t, "GET", "/api/v1/audit/head", NULL, NULL, 200);
    assert_non_null(strstr(msg, tj_str(h, "head")));
    json_decref(h);
    /* the acting user on every line, operator commands included */
    FILE *in = fopen(path, "r");
    assert_non_null(in);
    char line[1200];
    uint32_t admin = api_user_number("admin"), alice = api_user_number("alice");
    bool deposit = false, user_set = false, withdraw = false, credit = false;
    int lines = 0;
    while (fgets(line, sizeof line, in)) {
        lines++;
        assert_non_null(strstr(line, "|user="));
        if (strstr(line, "|deposit|") && strstr(line, fmt("|user=%u;", admin))) deposit = true;
        if (strstr(line, "|holding_credit|") && strstr(line, fmt("|user=%u;", admin)))
            credit = true;
        if (strstr(line, "|withdraw|") && strstr(line, fmt("|user=%u;", alice))) withdraw = true;
        if (strstr(line, "|user_set|") && strstr(line, "text=alice") &&
            strstr(line, fmt("|%u|%u|", f->p2, alice)))
            user_set = true;
    }
    fclose(in);
    assert_true(deposit && credit && withdraw && user_set);
    /* the daily report of the last day carries the chain's head at its close */
    json_t *rep = ts_expect(&f->t, "GET", "/api/v1/report", NULL, NULL, 200);
    json_t *au = json_object_get(rep, "audit");
    assert_true(json_is_object(au));
    assert_int_equal(strlen(tj_str(au, "head")), 64);
    json_decref(rep);
    /* a changed byte is found, at its line */
    char bad[900];
    snprintf(bad, sizeof bad, "%s.changed", path);
    char cmd[3000];
    snprintf(cmd, sizeof cmd, "cp '%s' '%s' && sed -i '7s/|1/|2/' '%s'", path, bad, bad);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(cets_audit_verify(bad, msg, sizeof msg), 1);
    assert_non_null(strstr(msg, ":7: "));
    assert_non_null(strstr(msg, "does not match its hash"));
    /* stopped: the live file is what a rebuild from the journal writes */
    ts_stop(&f->t);
    char live[900], err[512];
    snprintf(live, sizeof live, "%s.live", path);
    assert_int_equal(rename(path, live), 0);
    assert_int_equal(cets_audit_rebuild(f->t.dir, err, sizeof err), 0);
    snprintf(cmd, sizeof cmd, "cmp -s '%s' '%s'", live, path);
    assert_int_equal(system(cmd), 0);
    assert_true(lines >= 21);
}

/* A daily report asked for at once after the end of day carries that day's
 * audit head, however far the audit log's follower is behind: here it looks
 * for new commands only once a minute, so without the report waking it and
 * waiting, "audit" would be null. */
static void slow_followers(server_config *c)
{
    c->backoffice_poll_ms = 60000;
}

static void test_report_right_after_close(void **state)
{
    (void)state;
    tserver t;
    memset(&t, 0, sizeof t);
    ts_start(&t, NULL, slow_followers);
    tseed_instrument(&t, "CEA25", NULL, "50.00");
    json_decref(ts_expect(&t, "POST", "/api/v1/admin/end-of-day", t.admin, NULL, 200));
    core_stats st;
    core_get_stats(t.s.core, &st);
    json_t *rep = ts_expect(&t, "GET", "/api/v1/report", NULL, NULL, 200);
    json_t *au = json_object_get(rep, "audit");
    assert_true(json_is_object(au));
    assert_int_equal(tj_int(au, "seq"), (long long)st.last_seq);
    assert_int_equal(strlen(tj_str(au, "head")), 64);
    json_decref(rep);
    ts_stop(&t);
    ts_rmtree(t.dir);
}

/* report_audit_wait_ms at its limit, 0: the report does not wait for the
 * slow audit follower, so it goes out at once with "audit": null, and the
 * log says why (a comp=report warning). Just past the limit is the default
 * wait above (test_report_right_after_close: the head is there). */
static void no_audit_wait(server_config *c)
{
    slow_followers(c);
    c->report_audit_wait_ms = 0;
}

static void test_report_audit_wait_limit(void **state)
{
    (void)state;
    char logdir[512], logpath[600];
    tserver t;
    memset(&t, 0, sizeof t);
    ts_tmpdir(logdir, sizeof logdir, "report-log");
    snprintf(logpath, sizeof logpath, "%s/cetsd.log", logdir);
    FILE *log = fopen(logpath, "w+");
    assert_non_null(log);
    setvbuf(log, NULL, _IOLBF, 0);
    ts_start(&t, NULL, no_audit_wait);
    log_setup(log, LOG_WARN); /* after ts_start, which sets the tests' quiet log */
    tseed_instrument(&t, "CEA25", NULL, "50.00");
    json_decref(ts_expect(&t, "POST", "/api/v1/admin/end-of-day", t.admin, NULL, 200));
    core_stats st;
    core_get_stats(t.s.core, &st);
    json_t *rep = ts_expect(&t, "GET", "/api/v1/report", NULL, NULL, 200);
    assert_true(json_is_null(json_object_get(rep, "audit")));
    assert_non_null(json_object_get(rep, "totals")); /* the rest of the report is there */
    json_decref(rep);
    ts_stop(&t);
    log_setup(NULL, LOG_INFO);
    rewind(log);
    char line[2048], want[64];
    snprintf(want, sizeof want, "last_seq=%llu", (unsigned long long)st.last_seq);
    int warned = 0;
    while (fgets(line, sizeof line, log))
        warned += strstr(line, "comp=report") && strstr(line, "level=warn") &&
                  strstr(line, "audit log still behind") && strstr(line, "waited_ms=0") &&
                  strstr(line, want);
    fclose(log);
    ts_rmtree(logdir);
    assert_int_equal(warned, 1);
    ts_rmtree(t.dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_history_trades_pages, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_history_own, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_history_past_day, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_bank_deposits, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_bank_withdrawals_and_statement, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_csv_formula_guard, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_registry_file, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_audit_live, fx_setup, fx_teardown),
        cmocka_unit_test(test_report_audit_wait_limit),
        cmocka_unit_test(test_report_right_after_close),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
