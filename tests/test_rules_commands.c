/* test_rules_commands.c -- the reason table, the defaults, and rejections
 * that concern the command itself or who sends it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "tmarket.h"
#include "trules.h"

typedef struct reason_row {
    int code;
    const char *name, *msg;
} reason_row;

static const reason_row table[] = {
#define ROW(name, num, str, msg) {num, str, msg},
    CETS_REASONS(ROW)
#undef ROW
};
#define NTABLE (sizeof table / sizeof table[0])

static void test_reason_table(void **state)
{
    (void)state;
    int codes[256];
    int n = cets_reason_all(codes, 256);
    assert_int_equal(n, (int)NTABLE);
    for (size_t i = 0; i < NTABLE; i++) {
        assert_int_equal(codes[i], table[i].code);
        const char *name = cets_reason_name(table[i].code);
        const char *msg = cets_reason_message(table[i].code);
        assert_non_null(name);
        assert_non_null(msg);
        assert_string_equal(name, table[i].name);
        assert_string_equal(msg, table[i].msg);
        assert_true(strlen(msg) > 0);
        assert_string_not_equal(name, "unknown");
        for (size_t j = 0; j < i; j++) {
            assert_int_not_equal(table[j].code, table[i].code);
            assert_string_not_equal(table[j].name, table[i].name);
        }
    }
    assert_string_equal(cets_reason_name(CETS_PRICE_OUT_OF_BAND), "price_out_of_band");
    assert_string_equal(cets_reason_name(CETS_OK), "ok");
    /* cap smaller than the table: fills cap, still says how many */
    int few[3] = {-1, -1, -1};
    int nfew = cets_reason_all(few, 2);
    assert_true(nfew >= 2);
    assert_int_equal(few[0], CETS_OK);
    assert_int_equal(few[1], CETS_BAD_COMMAND);
    assert_int_equal(few[2], -1);
}

static void test_reason_unknown(void **state)
{
    (void)state;
    int unknown[] = {-1,  1,   99,    109,
                     299, 999, 12345, 809}; /* 107, 108: bad_param, param_not_urgent */
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        assert_string_equal(cets_reason_name(unknown[i]), "unknown");
        assert_non_null(cets_reason_message(unknown[i]));
    }
}

/* cets_reject_message: the sentence of the rule that refused, with the
 * configured numbers, per method; the table's sentence for every other code
 * and without a command; always NUL-terminated within len. */
static void test_reject_messages(void **state)
{
    (void)state;
    cets_config cfg;
    cets_config_default(&cfg);
    cfg.tick = 5;
    cfg.ccer_cap_bp = 1000;
    cets_engine *e = cets_engine_new(&cfg);
    assert_non_null(e);
    char buf[256];
    cets_cmd c = {.type = CETS_CMD_MODIFY};
    assert_string_equal(cets_reject_message(e, &c, CETS_PRICE_TICK, buf, sizeof buf),
                        "price is not a multiple of the tick (0.05 CNY)");
    c.type = CETS_CMD_AUCTION_CREATE;
    assert_string_equal(
        cets_reject_message(e, &c, CETS_QTY_OUT_OF_RANGE, buf, sizeof buf),
        "quantity is outside the limits (auction lot: 100,000 to 10,000,000,000 t)");
    c.type = CETS_CMD_AUCTION_BID;
    assert_string_equal(cets_reject_message(e, &c, CETS_QTY_OUT_OF_RANGE, buf, sizeof buf),
                        "quantity is outside the limits (auction bid: 1 t to the lot)");
    assert_string_equal(cets_reject_message(e, &c, CETS_PRICE_OUT_OF_BAND, buf, sizeof buf),
                        "price is outside the auction's limits (from its reserve price to the "
                        "previous close +/-10%)");
    c.type = CETS_CMD_SURRENDER;
    assert_string_equal(cets_reject_message(e, &c, CETS_CCER_CAP, buf, sizeof buf),
                        "CCER may cover at most 10% of an obligation");
    /* codes without configured numbers, and no command: the table */
    for (size_t i = 0; i < NTABLE; i++) {
        int code = table[i].code;
        if (code != CETS_PRICE_TICK && code != CETS_CCER_CAP)
            assert_string_equal(cets_reject_message(e, NULL, code, buf, sizeof buf), table[i].msg);
        c.type = CETS_CMD_CANCEL;
        if (code != CETS_PRICE_TICK && code != CETS_CCER_CAP)
            assert_string_equal(cets_reject_message(e, &c, code, buf, sizeof buf), table[i].msg);
    }
    assert_string_equal(cets_reject_message(e, NULL, 12345, buf, sizeof buf),
                        "unknown reason code");
    /* a short buffer is cut, never overrun */
    char small[12];
    memset(small, 'x', sizeof small);
    c.type = CETS_CMD_POST;
    cets_reject_message(e, &c, CETS_QTY_OUT_OF_RANGE, small, 8);
    assert_string_equal(small, "quantit");
    assert_int_equal(small[8], 'x');
    assert_string_equal(cets_reject_message(e, &c, CETS_QTY_OUT_OF_RANGE, small, 0), "");
    cets_engine_free(e);
}

static void test_command_names(void **state)
{
    (void)state;
    assert_string_equal(cets_cmd_name(CETS_CMD_POST), "post");
    assert_string_equal(cets_cmd_name(CETS_CMD_TAKE), "take");
    assert_string_equal(cets_cmd_name(200), "unknown");
    assert_string_equal(cets_cmd_name(-3), "unknown");
    for (int t = 1; t <= 23; t++) assert_non_null(cets_cmd_name(t));
}

static void test_config_defaults(void **state)
{
    (void)state;
    cets_config c;
    memset(&c, 0x55, sizeof c);
    cets_config_default(&c);
    assert_int_equal(c.tz_offset_min, 480);
    assert_int_equal(c.sessions[0], 570);
    assert_int_equal(c.sessions[1], 690);
    assert_int_equal(c.sessions[2], 780);
    assert_int_equal(c.sessions[3], 900);
    assert_int_equal(c.listing_band_bp, 1000);
    assert_int_equal(c.block_band_bp, 3000);
    assert_int_equal(c.listing_min_qty, 1);
    assert_int_equal(c.listing_max_qty, 99999);
    assert_int_equal(c.block_min_qty, 100000);
    assert_int_equal(c.tick, 1);
    for (int k = 0; k < CETS_METHOD_COUNT; k++) {
        assert_int_equal(c.fee_ppm[k][0], 500);
        assert_int_equal(c.fee_ppm[k][1], 500);
    }
    assert_true(c.enforce_sessions);
    assert_true(c.enforce_risk);
}

static void test_helpers(void **state)
{
    (void)state;
    /* 0.05% half-up: 1000 fen -> 0.5 -> 1; 999 -> 0.4995 -> 0; 3000 -> 1.5 -> 2 */
    assert_int_equal(cets_fee(1000, 500), 1);
    assert_int_equal(cets_fee(999, 500), 0);
    assert_int_equal(cets_fee(3000, 500), 2);
    assert_int_equal(cets_fee(2999, 500), 1);
    assert_int_equal(cets_fee(0, 500), 0);
    assert_int_equal(cets_fee(21000000000LL, 500), 10500000);
    /* the one-division path and the split one agree with exact arithmetic
     * on both sides of where value * ppm + 5e5 stops fitting in 64 bits */
    const int32_t rates[] = {1,      499,    500,
                             100000, 999999, 1000000}; /* the parameters allow 0-100000 */
    for (size_t i = 0; i < sizeof rates / sizeof rates[0]; i++) {
        int64_t edge = (INT64_MAX - 500000) / rates[i];
        const int64_t values[] = {1, 999999, 1000000, 1000001, edge - 1, edge, edge + 1, INT64_MAX};
        for (size_t j = 0; j < sizeof values / sizeof values[0]; j++) {
            __int128 exact = ((__int128)values[j] * rates[i] + 500000) / 1000000;
            assert_true(cets_fee(values[j], rates[i]) == (int64_t)exact);
        }
    }
    assert_int_equal(cets_fee(-1, 500), 0);
    assert_int_equal(cets_fee(1000, 0), 0);
    /* 2026-11-30 10:00 in Shanghai is 02:00 UTC */
    int64_t t = cets_time_at(20261130, 10, 0, 480);
    assert_int_equal(t, 1796004000LL * 1000000000LL);
    assert_int_equal(cets_date_of(t, 480), 20261130);
    /* 23:59 local on the 30th is still the 30th; 00:00 on 1 Dec is the 1st */
    assert_int_equal(cets_date_of(cets_time_at(20261130, 23, 59, 480), 480), 20261130);
    assert_int_equal(cets_date_of(cets_time_at(20261201, 0, 0, 480), 480), 20261201);
    assert_int_equal(cets_date_of(cets_time_at(20261201, 7, 59, 480), 480), 20261201);
    char buf[32];
    assert_string_equal(cets_fmt_money(5123, buf), "51.23");
    assert_string_equal(cets_fmt_money(5, buf), "0.05");
    assert_string_equal(cets_fmt_money(210000000000LL, buf), "2100000000.00");
}

typedef struct mk {
    tmarket m;
    uint32_t cea, p, q;
} mk;

static void mk_init(mk *k)
{
    tm_init(&k->m, NULL);
    k->cea = tm_instrument(&k->m, "CEA21", CETS_PRODUCT_CEA, CETS_MATCH_LISTING, 5000);
    k->p = tm_participant(&k->m, CETS_PK_ENTITY, "p", 10000000);
    k->q = tm_participant(&k->m, CETS_PK_ENTITY, "q", 10000000);
    tm_credit(&k->m, k->p, k->cea, 100);
}

static void test_bad_command_type(void **state)
{
    (void)state;
    mk k;
    mk_init(&k);
    cets_cmd c = {.type = 99, .actor = k.p, .participant = k.p};
    TR_REJECT(&k.m, CETS_BAD_COMMAND, tm_apply(&k.m, &c, NULL));
    cets_cmd z = {.type = CETS_CMD_NONE, .actor = k.p, .participant = k.p};
    TR_REJECT(&k.m, CETS_BAD_COMMAND, tm_apply(&k.m, &z, NULL));
    tm_free(&k.m);
}

static void test_bad_side(void **state)
{
    (void)state;
    mk k;
    mk_init(&k);
    TR_REJECT(&k.m, CETS_BAD_SIDE, tm_post(&k.m, k.p, k.cea, 0, 5000, 1, NULL));
    TR_REJECT(&k.m, CETS_BAD_SIDE, tm_post(&k.m, k.p, k.cea, 3, 5000, 1, NULL));
    TR_REJECT(&k.m, CETS_BAD_SIDE, tm_take_limit(&k.m, k.p, k.cea, 7, 1, 5000, NULL));
    tm_free(&k.m);
}

static void test_time_backwards(void **state)
{
    (void)state;
    mk k;
    mk_init(&k);
    tm_at(&k.m, 10, 30);
    TR_OK(&k.m, tm_post(&k.m, k.p, k.cea, CETS_SELL, 5000, 1, NULL));
    tm_at(&k.m, 10, 29);
    TR_REJECT(&k.m, CETS_TIME_BACKWARDS, tm_post(&k.m, k.p, k.cea, CETS_SELL, 5001, 1, NULL));
    TR_REJECT(&k.m, CETS_TIME_BACKWARDS, tm_admin(&k.m, CETS_CMD_DEPOSIT, k.q, 0, 100, 0));
    tm_at(&k.m, 10, 30); /* the same time again is fine */
    TR_OK(&k.m, tm_post(&k.m, k.p, k.cea, CETS_SELL, 5001, 1, NULL));
    tm_free(&k.m);
}

static void test_unknown_participant_and_instrument(void **state)
{
    (void)state;
    mk k;
    mk_init(&k);
    TR_REJECT(&k.m, CETS_UNKNOWN_PARTICIPANT, tm_post(&k.m, 77, k.cea, CETS_BUY, 5000, 1, NULL));
    TR_REJECT(&k.m, CETS_UNKNOWN_PARTICIPANT, tm_post(&k.m, 0, k.cea, CETS_BUY, 5000, 1, NULL));
    TR_REJECT(&k.m, CETS_UNKNOWN_INSTRUMENT, tm_post(&k.m, k.p, 5, CETS_SELL, 5000, 1, NULL));
    TR_REJECT(&k.m, CETS_UNKNOWN_PARTICIPANT, tm_admin(&k.m, CETS_CMD_DEPOSIT, 77, 0, 100, 0));
    TR_REJECT(&k.m, CETS_UNKNOWN_PARTICIPANT,
              tm_admin(&k.m, CETS_CMD_HOLDING_CREDIT, 77, k.cea, 100, 0));
    TR_REJECT(&k.m, CETS_UNKNOWN_INSTRUMENT,
              tm_admin(&k.m, CETS_CMD_HOLDING_CREDIT, k.p, 9, 100, 0));
    TR_REJECT(&k.m, CETS_UNKNOWN_PARTICIPANT,
              tm_admin(&k.m, CETS_CMD_PARTICIPANT_STATUS, 77, 0, 0, CETS_PS_SUSPENDED));
    tm_free(&k.m);
}

static void test_trading_actor_must_be_participant(void **state)
{
    (void)state;
    mk k;
    mk_init(&k);
    cets_result r;
    TR_REJECT(&k.m, CETS_NOT_AUTHORISED, tr_post_as(&k.m, k.q, k.p, k.cea, CETS_SELL, 5000, 1));
    /* not even the exchange may trade for a participant */
    TR_REJECT(&k.m, CETS_NOT_AUTHORISED,
              tr_post_as(&k.m, CETS_EXCHANGE_ID, k.p, k.cea, CETS_SELL, 5000, 1));
    TR_OK(&k.m, tm_post(&k.m, k.p, k.cea, CETS_SELL, 5000, 1, &r));
    cets_cmd c = {
        .type = CETS_CMD_CANCEL, .actor = k.q, .participant = k.p, .order_id = r.order_id};
    TR_REJECT(&k.m, CETS_NOT_AUTHORISED, tm_apply(&k.m, &c, NULL));
    assert_true(tr_live(&k.m, r.order_id));
    tm_free(&k.m);
}

static void test_operator_commands_need_exchange(void **state)
{
    (void)state;
    mk k;
    mk_init(&k);
    TR_REJECT(&k.m, CETS_NOT_AUTHORISED, tr_cmd(&k.m, CETS_CMD_DEPOSIT, k.p, k.p, 0, 100, 0));
    TR_REJECT(&k.m, CETS_NOT_AUTHORISED,
              tr_cmd(&k.m, CETS_CMD_HOLDING_CREDIT, k.p, k.p, k.cea, 100, 0));
    TR_REJECT(&k.m, CETS_NOT_AUTHORISED,
              tr_cmd(&k.m, CETS_CMD_PARTICIPANT_STATUS, k.p, k.q, 0, 0, CETS_PS_SUSPENDED));
    TR_REJECT(&k.m, CETS_NOT_AUTHORISED,
              tr_cmd(&k.m, CETS_CMD_HOLIDAY_ADD, k.p, 0, 0, 0, 20261225));
    TR_REJECT(&k.m, CETS_NOT_AUTHORISED, tr_cmd(&k.m, CETS_CMD_END_OF_DAY, k.p, 0, 0, 0, 0));
    TR_REJECT(&k.m, CETS_NOT_AUTHORISED, tr_add_participant(&k.m, k.p, CETS_PK_ENTITY, "x", NULL));
    TR_REJECT(&k.m, CETS_NOT_AUTHORISED,
              tr_cmd(&k.m, CETS_CMD_WITHDRAW, k.q, k.p, 0, 100, 0)); /* another's funds */
    tm_free(&k.m);
}

static void test_deposit_credit_bad_amounts(void **state)
{
    (void)state;
    mk k;
    mk_init(&k);
    TR_REJECT(&k.m, CETS_BAD_ARGUMENT, tm_admin(&k.m, CETS_CMD_DEPOSIT, k.p, 0, 0, 0));
    TR_REJECT(&k.m, CETS_BAD_ARGUMENT, tm_admin(&k.m, CETS_CMD_DEPOSIT, k.p, 0, -5, 0));
    TR_REJECT(&k.m, CETS_BAD_ARGUMENT, tm_admin(&k.m, CETS_CMD_WITHDRAW, k.p, 0, 0, 0));
    TR_REJECT(&k.m, CETS_BAD_ARGUMENT, tm_admin(&k.m, CETS_CMD_WITHDRAW, k.p, 0, -5, 0));
    TR_REJECT(&k.m, CETS_BAD_ARGUMENT, tm_admin(&k.m, CETS_CMD_HOLDING_CREDIT, k.p, k.cea, 0, 0));
    TR_REJECT(&k.m, CETS_BAD_ARGUMENT, tm_admin(&k.m, CETS_CMD_HOLDING_CREDIT, k.p, k.cea, -1, 0));
    TR_REJECT(&k.m, CETS_OVERFLOW, tm_admin(&k.m, CETS_CMD_DEPOSIT, k.p, 0, INT64_MAX - 5, 0));
    tm_free(&k.m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reason_table),
        cmocka_unit_test(test_reason_unknown),
        cmocka_unit_test(test_command_names),
        cmocka_unit_test(test_reject_messages),
        cmocka_unit_test(test_config_defaults),
        cmocka_unit_test(test_helpers),
        cmocka_unit_test(test_bad_command_type),
        cmocka_unit_test(test_bad_side),
        cmocka_unit_test(test_time_backwards),
        cmocka_unit_test(test_unknown_participant_and_instrument),
        cmocka_unit_test(test_trading_actor_must_be_participant),
        cmocka_unit_test(test_operator_commands_need_exchange),
        cmocka_unit_test(test_deposit_credit_bad_amounts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
