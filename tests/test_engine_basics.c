/* test_engine_basics.c -- a first walk through the engine: a listing posted
 * and taken, settlement, end of day, snapshot round trip; and the calendar
 * helpers every part of cets uses, against dates known from elsewhere. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tmarket.h"

static void test_post_take_settle(void **state)
{
    (void)state;
    tmarket m;
    tm_init(&m, NULL);
    uint32_t cea = tm_instrument(&m, "CEA25", CETS_PRODUCT_CEA, CETS_MATCH_LISTING, 5000);
    uint32_t a = tm_participant(&m, CETS_PK_ENTITY, "seller", 0);
    uint32_t b = tm_participant(&m, CETS_PK_ENTITY, "buyer", 1000000);
    tm_credit(&m, a, cea, 1000);
    cets_result r;
    assert_int_equal(tm_post(&m, a, cea, CETS_SELL, 5100, 100, &r), CETS_OK);
    uint64_t listing = r.order_id;
    assert_int_equal(tm_hold(&m, a, cea).frozen, 100);
    cets_target t = {listing, 40};
    assert_int_equal(tm_take_targets(&m, b, cea, CETS_BUY, 1, &t, &r), CETS_OK);
    assert_int_equal(r.filled_qty, 40);
    /* 40 * 51.00 = 2040.00 CNY; fee 0.05% = 1.02 CNY */
    assert_int_equal(tm_avail(&m, b), 1000000 - 204000 - 102);
    assert_int_equal(tm_frozen(&m, b), 0);
    assert_int_equal(tm_hold(&m, b, cea).locked, 40);
    assert_int_equal(tm_avail(&m, a), 204000 - 102);
    assert_int_equal(tm_avail(&m, CETS_EXCHANGE_ID), 204);
    assert_null(tm_invariants(m.e));
    assert_int_equal(tm_eod(&m), CETS_OK);
    assert_int_equal(tm_hold(&m, b, cea).available, 40);
    assert_int_equal(tm_hold(&m, a, cea).frozen, 0);
    assert_int_equal(tm_hold(&m, a, cea).available, 960);
    cets_instrument_info ii;
    cets_instrument_get(m.e, cea, &ii);
    assert_int_equal(ii.prev_close, 5100);
    assert_int_equal(ii.upper, 5610);
    assert_int_equal(ii.lower, 4590);
    assert_null(tm_invariants(m.e));
    tm_free(&m);
}

static void test_snapshot_roundtrip(void **state)
{
    (void)state;
    tmarket m;
    tm_init(&m, NULL);
    uint32_t cea = tm_instrument(&m, "CEA25", CETS_PRODUCT_CEA, CETS_MATCH_CONTINUOUS, 5000);
    uint32_t a = tm_participant(&m, CETS_PK_ENTITY, "a", 10000000);
    uint32_t b = tm_participant(&m, CETS_PK_INSTITUTION, "b", 10000000);
    tm_credit(&m, a, cea, 5000);
    tm_credit(&m, b, cea, 5000);
    for (int i = 0; i < 20; i++) {
        assert_int_equal(tm_post(&m, a, cea, CETS_SELL, 5000 + i, 10, NULL), CETS_OK);
        assert_int_equal(tm_post(&m, b, cea, CETS_BUY, 4900 + i, 10, NULL), CETS_OK);
    }
    assert_int_equal(tm_post(&m, b, cea, CETS_BUY, 5005, 35, NULL), CETS_OK);
    assert_null(tm_invariants(m.e));
    void *buf;
    size_t len;
    assert_int_equal(cets_snapshot_save(m.e, &buf, &len), 0);
    const char *err = NULL;
    cets_engine *copy = cets_snapshot_load(buf, len, &err);
    assert_non_null(copy);
    assert_int_equal(cets_state_hash(copy), cets_state_hash(m.e));
    free(buf);
    cets_engine_free(copy);
    tm_free(&m);
}

/* A snapshot stores the compliance records and their links as two arrays,
 * each with its own count; counts that disagree are refused, not read past
 * (found by fuzz_snapshot: a zero record count with links to read indexed a
 * null array). The snapshot's tail here: the records (count, 1 x cets_compliance),
 * the links (count, 1 x 4), no transfers, no closed years, no parameter
 * changes, no position limit exemptions, no related-party declarations (a
 * count each). */
static void test_snapshot_compliance_counts(void **state)
{
    (void)state;
    tmarket m;
    tm_init(&m, NULL);
    uint32_t au = tm_participant(&m, CETS_PK_AUTHORITY, "MEE", 0);
    uint32_t ent = tm_participant(&m, CETS_PK_ENTITY, "steel", 0);
    cets_cmd c = {
        .type = CETS_CMD_EMISSIONS, .actor = au, .participant = ent, .aux = 2025, .qty = 1000};
    assert_int_equal(tm_apply(&m, &c, NULL), CETS_OK);
    void *buf;
    size_t len;
    assert_int_equal(cets_snapshot_save(m.e, &buf, &len), 0);
    unsigned char *b = buf;
    uint32_t n;
    const size_t links = len - 4 - 4 - 4 - 4 - 4 - 4 - 4,
                 records = links - sizeof(cets_compliance) - 4;
    memcpy(&n, b + links, 4);
    assert_int_equal(n, 1);
    memcpy(&n, b + records, 4);
    assert_int_equal(n, 1);
    const char *err = NULL;
    cets_engine *ok = cets_snapshot_load(buf, len, &err);
    assert_non_null(ok);
    cets_engine_free(ok);
    uint32_t bad[] = {0, 2, 7};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memcpy(b + links, &bad[i], 4); /* links disagree with the records */
        err = NULL;
        assert_null(cets_snapshot_load(buf, len, &err));
        assert_non_null(err);
        n = 1;
        memcpy(b + links, &n, 4);
        memcpy(b + records, &bad[i], 4); /* records disagree with the links */
        err = NULL;
        assert_null(cets_snapshot_load(buf, len, &err));
        assert_non_null(err);
        memcpy(b + records, &n, 4);
    }
    free(buf);
    tm_free(&m);
}

/* A snapshot's trading date is checked before the calendar uses it: the
 * holidays that follow it are added to the calendar as they are read, which
 * computes that date's session times (found by fuzz_snapshot: a date
 * millions of days before 1970 overflowed the time arithmetic). The date is
 * the second copy of 20261130 in the bytes (the first is the configuration's
 * start date). */
static void test_snapshot_bad_trading_date(void **state)
{
    (void)state;
    tmarket m;
    tm_init(&m, NULL);
    assert_int_equal(tm_admin(&m, CETS_CMD_HOLIDAY_ADD, 0, 0, 0, 20261225), CETS_OK);
    void *buf;
    size_t len;
    assert_int_equal(cets_snapshot_save(m.e, &buf, &len), 0);
    unsigned char *b = buf;
    int32_t date = TM_DATE;
    size_t at = 0;
    for (size_t i = 0, seen = 0; i + 4 <= len && !at; i++)
        if (memcmp(b + i, &date, 4) == 0 && ++seen == 2) at = i;
    assert_true(at > 0);
    int32_t bad[] = {INT32_MIN, -61580000, 0, 19691231, 20261131, 100000101, INT32_MAX};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memcpy(b + at, &bad[i], 4);
        const char *err = NULL;
        cets_engine *e = cets_snapshot_load(buf, len, &err);
        if (e) fail_msg("trading date %d loaded", bad[i]);
        assert_non_null(err);
    }
    memcpy(b + at, &date, 4);
    const char *err = NULL;
    cets_engine *e = cets_snapshot_load(buf, len, &err);
    assert_non_null(e);
    assert_false(cets_is_trading_day(e, 20261225));
    cets_engine_free(e);
    free(buf);
    tm_free(&m);
}

/* A resting order's id in a snapshot must be one the engine gave out: not 0,
 * below the next id, and not another live order's. Before, id 0 failed an
 * assertion in the id map (a debug build aborted; an optimised one said "out
 * of memory"), and an id at or past the next one loaded, to be given out again.
 * The id is the 8 bytes before the order's client reference. */
static void test_snapshot_bad_order_id(void **state)
{
    (void)state;
    tmarket m;
    tm_init(&m, NULL);
    uint32_t iid = tm_instrument(&m, "CEA25", CETS_PRODUCT_CEA, CETS_MATCH_LISTING, 5000);
    uint32_t p = tm_participant(&m, CETS_PK_ENTITY, "steel", 100000000);
    tm_at(&m, 10, 0);
    uint64_t ids[2];
    for (int i = 0; i < 2; i++) {
        cets_cmd c = {.type = CETS_CMD_POST,
                      .actor = p,
                      .participant = p,
                      .instrument = iid,
                      .side = CETS_BUY,
                      .price = 5000 - 10 * i,
                      .qty = 100,
                      .client_ref = 0x1122334455667700ull + (uint64_t)i};
        cets_result r;
        assert_int_equal(tm_apply(&m, &c, &r), CETS_OK);
        ids[i] = r.order_id;
    }
    void *buf;
    size_t len;
    assert_int_equal(cets_snapshot_save(m.e, &buf, &len), 0);
    unsigned char *b = buf;
    size_t at = 0; /* the second order's id */
    uint64_t ref = 0x1122334455667701ull;
    for (size_t i = 8; i + 8 <= len && !at; i++)
        if (memcmp(b + i, &ref, 8) == 0) at = i - 8;
    assert_true(at > 0);
    uint64_t id;
    memcpy(&id, b + at, 8);
    assert_int_equal(id, ids[1]);
    uint64_t bad[] = {0, ids[0], ids[1] + 1, ids[1] + 1000, UINT64_MAX};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memcpy(b + at, &bad[i], 8);
        const char *err = NULL;
        cets_engine *e = cets_snapshot_load(buf, len, &err);
        if (e) fail_msg("order id %llu loaded", (unsigned long long)bad[i]);
        assert_non_null(err);
        assert_string_equal(err, "snapshot order is inconsistent with its book");
    }
    memcpy(b + at, &ids[1], 8);
    const char *err = NULL;
    cets_engine *e = cets_snapshot_load(buf, len, &err);
    assert_non_null(e);
    assert_int_equal(cets_state_hash(e), cets_state_hash(m.e));
    cets_engine_free(e);
    free(buf);
    tm_free(&m);
}

/* The one calendar: day counts, weekdays and date steps of known dates. */
static void test_calendar(void **state)
{
    (void)state;
    assert_int_equal(cets_days_from_civil(19700101), 0);
    assert_int_equal(cets_days_from_civil(20000301), 11017);
    assert_int_equal(cets_days_from_civil(20261130), 20787);
    assert_int_equal(cets_civil_from_days(20787), 20261130);
    assert_int_equal(cets_civil_from_days(0), 19700101);
    assert_int_equal(cets_weekday(19700101), 3); /* a Thursday */
    assert_int_equal(cets_weekday(20261130), 0); /* a Monday */
    assert_int_equal(cets_weekday(20261001), 3); /* National Day 2026, a Thursday */
    assert_int_equal(cets_weekday(20240229), 3);
    assert_int_equal(cets_weekday(20261206), 6); /* a Sunday */
    assert_int_equal(cets_date_add(20261231, 1), 20270101);
    assert_int_equal(cets_date_add(20240228, 1), 20240229);
    assert_int_equal(cets_date_add(20230228, 1), 20230301);
    assert_int_equal(cets_date_add(21000228, 1), 21000301); /* not a leap year */
    assert_int_equal(cets_date_add(20000228, 1), 20000229); /* a leap year */
    assert_int_equal(cets_date_add(20270101, -1), 20261231);
    assert_int_equal(cets_date_add(20261130, 365), 20271130);
    assert_true(cets_date_valid(20240229));
    assert_true(cets_date_valid(19700101));
    assert_true(cets_date_valid(22611231));
    assert_false(cets_date_valid(22620101)); /* its times would not fit int64 ns */
    assert_false(cets_date_valid(99991231));
    assert_false(cets_date_valid(20230229));
    assert_false(cets_date_valid(20261301));
    assert_false(cets_date_valid(20261100));
    assert_false(cets_date_valid(19691231));
    assert_false(cets_date_valid(100000101));
    /* an engine cannot start on such a day (fuzz_snapshot: year 2932896 days on overflowed
     * cets_time_at in calendar_set_date) */
    cets_config far;
    cets_config_default(&far);
    far.start_date = 99990104;
    assert_null(cets_engine_new(&far));
    far.start_date = 22611231;
    cets_engine *late = cets_engine_new(&far);
    assert_non_null(late);
    cets_engine_free(late);
    for (int32_t d = 20200101; d < 20300101; d = cets_date_add(d, 1)) {
        assert_true(cets_date_valid(d));
        assert_int_equal(cets_civil_from_days(cets_days_from_civil(d)), d);
        assert_int_equal(cets_weekday(cets_date_add(d, 7)), cets_weekday(d));
        assert_int_equal(cets_weekday(cets_date_add(d, 1)), (cets_weekday(d) + 1) % 7);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_post_take_settle),
        cmocka_unit_test(test_snapshot_roundtrip),
        cmocka_unit_test(test_snapshot_compliance_counts),
        cmocka_unit_test(test_snapshot_bad_trading_date),
        cmocka_unit_test(test_snapshot_bad_order_id),
        cmocka_unit_test(test_calendar),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
