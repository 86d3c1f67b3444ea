/* test_rules_accounts.c -- participants, kinds, status, funds and holdings:
 * deposits and withdrawals, pre-funding and pre-positioning, T+1 and T+0,
 * exact release of reservations, fees. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "tmarket.h"
#include "trules.h"

#define RICH 100000000000LL

typedef struct am {
    tmarket m;
    uint32_t cea, ccer; /* listing instruments, prev close 50.00 and 30.00 */
    uint32_t ent, inst; /* an entity and an institution, rich, with holdings */
} am;

static void am_init(am *a)
{
    tm_init(&a->m, NULL);
    a->cea = tm_instrument(&a->m, "CEA21", CETS_PRODUCT_CEA, CETS_MATCH_LISTING, 5000);
    a->ccer = tm_instrument(&a->m, "CCER", CETS_PRODUCT_CCER, CETS_MATCH_LISTING, 3000);
    a->ent = tm_participant(&a->m, CETS_PK_ENTITY, "ent", RICH);
    a->inst = tm_participant(&a->m, CETS_PK_INSTITUTION, "inst", RICH);
    tm_credit(&a->m, a->ent, a->cea, 100000);
    tm_credit(&a->m, a->ent, a->ccer, 100000);
    tm_credit(&a->m, a->inst, a->cea, 100000);
    tm_credit(&a->m, a->inst, a->ccer, 100000);
    tm_clear_events(&a->m);
}

static void test_participant_add(void **state)
{
    (void)state;
    tmarket m;
    tm_init(&m, NULL);
    assert_int_equal(cets_participant_count(m.e), 1);
    cets_participant_info pi;
    assert_int_equal(cets_participant_get(m.e, CETS_EXCHANGE_ID, &pi), 0);
    assert_int_equal(pi.kind, CETS_PK_EXCHANGE);
    cets_result r;
    TR_OK(&m, tr_add_participant(&m, CETS_EXCHANGE_ID, CETS_PK_ENTITY, "Acme Power", &r));
    assert_int_equal(r.id, 2);
    TR_OK(&m, tr_add_participant(&m, CETS_EXCHANGE_ID, CETS_PK_INDIVIDUAL, "Li Lei", &r));
    assert_int_equal(r.id, 3);
    TR_OK(&m, tr_add_participant(&m, CETS_EXCHANGE_ID, CETS_PK_AUTHORITY, "MEE", &r));
    assert_int_equal(r.id, 4);
    assert_int_equal(cets_participant_count(m.e), 4);
    assert_int_equal(cets_participant_get(m.e, 2, &pi), 0);
    assert_int_equal(pi.id, 2);
    assert_int_equal(pi.kind, CETS_PK_ENTITY);
    assert_int_equal(pi.status, CETS_PS_ACTIVE);
    assert_string_equal(pi.name, "Acme Power");
    assert_int_equal(pi.available, 0);
    assert_int_equal(pi.frozen, 0);
    assert_int_not_equal(cets_participant_get(m.e, 5, &pi), 0);
    TR_REJECT(&m, CETS_BAD_ARGUMENT, tr_add_participant(&m, CETS_EXCHANGE_ID, 0, "x", NULL));
    TR_REJECT(&m, CETS_BAD_ARGUMENT, tr_add_participant(&m, CETS_EXCHANGE_ID, 6, "x", NULL));
    assert_int_equal(cets_participant_count(m.e), 4);
    tm_free(&m);
}

static void test_individual_trades_ccer_only(void **state)
{
    (void)state;
    am a;
    am_init(&a);
    tmarket *m = &a.m;
    uint32_t ind = tm_participant(m, CETS_PK_INDIVIDUAL, "ind", RICH);
    tm_credit(m, ind, a.cea, 100); /* an individual may hold it, not trade it */
    tm_credit(m, ind, a.ccer, 100);
    cets_result r;
    TR_OK(m, tm_post(m, a.ent, a.cea, CETS_SELL, 5000, 10, &r));
    uint64_t s = r.order_id;
    TR_REJECT(m, CETS_KIND_NOT_ALLOWED, tm_post(m, ind, a.cea, CETS_BUY, 4900, 1, NULL));
    TR_REJECT(m, CETS_KIND_NOT_ALLOWED, tm_post(m, ind, a.cea, CETS_SELL, 5100, 1, NULL));
    TR_REJECT(m, CETS_KIND_NOT_ALLOWED, tm_take_limit(m, ind, a.cea, CETS_BUY, 1, 5000, NULL));
    cets_target t = {s, 1};
    TR_REJECT(m, CETS_KIND_NOT_ALLOWED, tm_take_targets(m, ind, a.cea, CETS_BUY, 1, &t, NULL));
    TR_OK(m, tm_post(m, ind, a.ccer, CETS_SELL, 3100, 1, NULL));
    TR_OK(m, tm_post(m, a.inst, a.ccer, CETS_SELL, 3050, 1, &r));
    TR_OK(m, tm_take_limit(m, ind, a.ccer, CETS_BUY, 1, 3050, &r));
    assert_int_equal(r.filled_qty, 1);
    tm_free(m);
}

static void test_exchange_and_authority_do_not_trade(void **state)
{
    (void)state;
    am a;
    am_init(&a);
    tmarket *m = &a.m;
    uint32_t auth = tm_participant(m, CETS_PK_AUTHORITY, "auth", RICH);
    tm_credit(m, auth, a.cea, 100);
    tm_admin(m, CETS_CMD_DEPOSIT, CETS_EXCHANGE_ID, 0, RICH, 0);
    tm_credit(m, CETS_EXCHANGE_ID, a.cea, 100);
    TR_OK(m, tm_post(m, a.ent, a.cea, CETS_SELL, 5000, 10, NULL));
    TR_OK(m, tm_post(m, a.ent, a.cea, CETS_BUY, 4900, 10, NULL));
    uint32_t who[2] = {auth, CETS_EXCHANGE_ID};
    for (int i = 0; i < 2; i++) {
        TR_REJECT(m, CETS_KIND_NOT_ALLOWED, tm_post(m, who[i], a.cea, CETS_BUY, 4800, 1, NULL));
        TR_REJECT(m, CETS_KIND_NOT_ALLOWED, tm_post(m, who[i], a.cea, CETS_SELL, 5100, 1, NULL));
        TR_REJECT(m, CETS_KIND_NOT_ALLOWED, tm_post(m, who[i], a.ccer, CETS_BUY, 2900, 1, NULL));
        TR_REJECT(m, CETS_KIND_NOT_ALLOWED,
                  tm_take_limit(m, who[i], a.cea, CETS_BUY, 1, 5000, NULL));
        TR_REJECT(m, CETS_KIND_NOT_ALLOWED,
                  tm_take_limit(m, who[i], a.cea, CETS_SELL, 1, 4900, NULL));
    }
    tm_free(m);
}

static int set_status(tmarket *m, uint32_t pid, int status)
{
    return tm_admin(m, CETS_CMD_PARTICIPANT_STATUS, pid, 0, 0, status);
}

static void test_suspended(void **state)
{
    (void)state;
    am a;
    am_init(&a);
    tmarket *m = &a.m;
    cets_result r;
    TR_OK(m, tm_post(m, a.ent, a.cea, CETS_SELL, 5010, 10, &r));
    uint64_t mine = r.order_id;
    TR_OK(m, tm_post(m, a.inst, a.cea, CETS_SELL, 5000, 10, &r));
    uint64_t other = r.order_id;
    TR_OK(m, set_status(m, a.ent, CETS_PS_SUSPENDED));
    cets_participant_info pi;
    cets_participant_get(m->e, a.ent, &pi);
    assert_int_equal(pi.status, CETS_PS_SUSPENDED);
    TR_REJECT(m, CETS_PARTICIPANT_SUSPENDED, tm_post(m, a.ent, a.cea, CETS_SELL, 5020, 1, NULL));
    TR_REJECT(m, CETS_PARTICIPANT_SUSPENDED, tm_post(m, a.ent, a.cea, CETS_BUY, 4900, 1, NULL));
    TR_REJECT(m, CETS_PARTICIPANT_SUSPENDED,
              tm_take_limit(m, a.ent, a.cea, CETS_BUY, 1, 5000, NULL));
    cets_target t = {other, 1};
    TR_REJECT(m, CETS_PARTICIPANT_SUSPENDED,
              tm_take_targets(m, a.ent, a.cea, CETS_BUY, 1, &t, NULL));
    TR_REJECT(m, CETS_PARTICIPANT_SUSPENDED, tm_modify(m, a.ent, mine, 5011, 10, NULL));
    TR_OK(m, tm_cancel(m, a.ent, mine));
    assert_int_equal(tm_hold(m, a.ent, a.cea).frozen, 0);
    TR_OK(m, set_status(m, a.ent, CETS_PS_ACTIVE));
    TR_OK(m, tm_post(m, a.ent, a.cea, CETS_SELL, 5020, 1, NULL));
    TR_REJECT(m, CETS_BAD_ARGUMENT, set_status(m, a.ent, 7));
    tm_free(m);
}

static void test_judicially_frozen(void **state)
{
    (void)state;
    am a;
    am_init(&a);
    tmarket *m = &a.m;
    cets_result r;
    TR_OK(m, tm_post(m, a.inst, a.cea, CETS_SELL, 5000, 10, &r));
    uint64_t other = r.order_id;
    TR_OK(m, tm_post(m, a.ent, a.cea, CETS_BUY, 4900, 10, &r));
    uint64_t mine = r.order_id;
    TR_OK(m, set_status(m, a.ent, CETS_PS_FROZEN));
    TR_REJECT(m, CETS_PARTICIPANT_FROZEN, tm_post(m, a.ent, a.cea, CETS_SELL, 5020, 1, NULL));
    TR_REJECT(m, CETS_PARTICIPANT_FROZEN, tm_post(m, a.ent, a.cea, CETS_BUY, 4800, 1, NULL));
    TR_REJECT(m, CETS_PARTICIPANT_FROZEN, tm_take_limit(m, a.ent, a.cea, CETS_BUY, 1, 5000, NULL));
    cets_target t = {other, 1};
    TR_REJECT(m, CETS_PARTICIPANT_FROZEN, tm_take_targets(m, a.ent, a.cea, CETS_BUY, 1, &t, NULL));
    TR_OK(m, tm_cancel(m, a.ent, mine));
    assert_int_equal(tm_frozen(m, a.ent), 0);
    TR_OK(m, set_status(m, a.ent, CETS_PS_ACTIVE));
    TR_OK(m, tm_take_limit(m, a.ent, a.cea, CETS_BUY, 1, 5000, NULL));
    tm_free(m);
}

static void test_deposit_and_withdraw(void **state)
{
    (void)state;
    tmarket m;
    tm_init(&m, NULL);
    uint32_t cea = tm_instrument(&m, "CEA21", CETS_PRODUCT_CEA, CETS_MATCH_LISTING, 5000);
    uint32_t p = tm_participant(&m, CETS_PK_ENTITY, "p", 0);
    TR_OK(&m, tm_admin(&m, CETS_CMD_DEPOSIT, p, 0, 100000, 0));
    assert_int_equal(tm_avail(&m, p), 100000);
    TR_OK(&m, tm_admin(&m, CETS_CMD_WITHDRAW, p, 0, 30000, 0));
    assert_int_equal(tm_avail(&m, p), 70000);
    /* the participant may withdraw itself */
    TR_OK(&m, tr_cmd(&m, CETS_CMD_WITHDRAW, p, p, 0, 10000, 0));
    assert_int_equal(tm_avail(&m, p), 60000);
    TR_REJECT(&m, CETS_INSUFFICIENT_FUNDS, tm_admin(&m, CETS_CMD_WITHDRAW, p, 0, 60001, 0));
    /* frozen funds are not withdrawable */
    TR_OK(&m, tm_post(&m, p, cea, CETS_BUY, 5000, 10, NULL)); /* 50,025 reserved */
    assert_int_equal(tm_avail(&m, p), 60000 - 50025);
    TR_REJECT(&m, CETS_INSUFFICIENT_FUNDS, tm_admin(&m, CETS_CMD_WITHDRAW, p, 0, 9976, 0));
    TR_OK(&m, tm_admin(&m, CETS_CMD_WITHDRAW, p, 0, 9975, 0));
    assert_int_equal(tm_avail(&m, p), 0);
    cets_totals t;
    cets_totals_get(m.e, &t);
    assert_int_equal(t.deposits, 100000);
    assert_int_equal(t.withdrawals, 30000 + 10000 + 9975);
    assert_int_equal(t.funds, 50025);
    assert_int_equal(t.frozen_funds, 50025);
    assert_int_equal(t.reserved_funds, 50025);
    tm_free(&m);
}

/* Unsettled proceeds: spendable today (T+0), withdrawable after the end of day. */
static void test_proceeds_spendable_today_withdrawable_tomorrow(void **state)
{
    (void)state;
    am a;
    am_init(&a);
    tmarket *m = &a.m;
    uint32_t s = tm_participant(m, CETS_PK_ENTITY, "seller", 1000);
    tm_credit(m, s, a.cea, 10);
    cets_result r;
    TR_OK(m, tm_post(m, a.ent, a.cea, CETS_BUY, 5000, 10, NULL));
    TR_OK(m, tm_take_limit(m, s, a.cea, CETS_SELL, 10, 5000, &r));
    assert_int_equal(r.filled_value, 50000);
    int64_t proceeds = 50000 - tr_fee(50000, 500); /* 49,975 */
    cets_participant_info pi;
    cets_participant_get(m->e, s, &pi);
    assert_int_equal(pi.available, 1000 + proceeds);
    assert_int_equal(pi.unsettled, proceeds);
    /* the deposit is withdrawable, the proceeds are not */
    TR_REJECT(m, CETS_FUNDS_UNSETTLED, tm_admin(m, CETS_CMD_WITHDRAW, s, 0, 1001, 0));
    TR_REJECT(m, CETS_FUNDS_UNSETTLED, tr_cmd(m, CETS_CMD_WITHDRAW, s, s, 0, 1000 + proceeds, 0));
    TR_OK(m, tm_admin(m, CETS_CMD_WITHDRAW, s, 0, 1000, 0));
    /* T+0: spend the proceeds at once. 9 x 50.00 + fee(450.00) = 45,023 fen */
    TR_OK(m, tm_post(m, a.inst, a.cea, CETS_SELL, 5000, 20, NULL));
    TR_REJECT(m, CETS_INSUFFICIENT_FUNDS, tm_take_limit(m, s, a.cea, CETS_BUY, 10, 5000, NULL));
    TR_OK(m, tm_take_limit(m, s, a.cea, CETS_BUY, 9, 5000, &r));
    assert_int_equal(r.filled_qty, 9);
    assert_int_equal(tm_avail(m, s), proceeds - 45023);
    TR_OK(m, tm_eod(m));
    cets_participant_get(m->e, s, &pi);
    assert_int_equal(pi.unsettled, 0);
    assert_int_equal(pi.available, proceeds - 45023);
    tm_at(m, 10, 0);
    TR_REJECT(m, CETS_INSUFFICIENT_FUNDS,
              tm_admin(m, CETS_CMD_WITHDRAW, s, 0, proceeds - 45023 + 1, 0));
    TR_OK(m, tm_admin(m, CETS_CMD_WITHDRAW, s, 0, proceeds - 45023, 0));
    assert_int_equal(tm_avail(m, s), 0);
    tm_free(m);
}

static void test_prefunding_boundary_post(void **state)
{
    (void)state;
    am a;
    am_init(&a);
    tmarket *m = &a.m;
    /* 10 x 50.00 = 50,000 fen + fee 25 */
    uint32_t ok = tm_participant(m, CETS_PK_ENTITY, "ok", 50025);
    uint32_t low = tm_participant(m, CETS_PK_ENTITY, "low", 50024);
    TR_REJECT(m, CETS_INSUFFICIENT_FUNDS, tm_post(m, low, a.cea, CETS_BUY, 5000, 10, NULL));
    TR_OK(m, tm_post(m, ok, a.cea, CETS_BUY, 5000, 10, NULL));
    assert_int_equal(tm_avail(m, ok), 0);
    assert_int_equal(tm_frozen(m, ok), 50025);
    /* half-up in the reservation: 1 x 30.00 = 3,000 fen, fee 1.5 -> 2 */
    uint32_t c1 = tm_participant(m, CETS_PK_ENTITY, "c1", 3002);
    uint32_t c2 = tm_participant(m, CETS_PK_ENTITY, "c2", 3001);
    TR_REJECT(m, CETS_INSUFFICIENT_FUNDS, tm_post(m, c2, a.ccer, CETS_BUY, 3000, 1, NULL));
    TR_OK(m, tm_post(m, c1, a.ccer, CETS_BUY, 3000, 1, NULL));
    assert_int_equal(tm_avail(m, c1), 0);
    tm_free(m);
}

static void test_prefunding_boundary_takes(void **state)
{
    (void)state;
    am a;
    am_init(&a);
    tmarket *m = &a.m;
    cets_result r;
    TR_OK(m, tm_post(m, a.inst, a.cea, CETS_SELL, 4900, 5, &r));
    uint64_t s1 = r.order_id;
    TR_OK(m, tm_post(m, a.ent, a.cea, CETS_SELL, 4950, 5, &r));
    uint64_t s2 = r.order_id;
    TR_OK(m, tm_post(m, a.inst, a.cea, CETS_SELL, 4980, 20, NULL));
    /* naming listings: the exact cost, 3 x 49.00 + 5 x 49.50 = 39,450 + fee 19.725 -> 20 */
    uint32_t n1 = tm_participant(m, CETS_PK_ENTITY, "n1", 39470);
    uint32_t n2 = tm_participant(m, CETS_PK_ENTITY, "n2", 39469);
    cets_target t[2] = {{s1, 3}, {s2, 5}};
    TR_REJECT(m, CETS_INSUFFICIENT_FUNDS, tm_take_targets(m, n2, a.cea, CETS_BUY, 2, t, NULL));
    TR_OK(m, tm_take_targets(m, n1, a.cea, CETS_BUY, 2, t, &r));
    assert_int_equal(r.filled_value, 39450);
    assert_int_equal(tm_avail(m, n1), 0);
    assert_int_equal(tm_frozen(m, n1), 0);
    /* by limit: checked against the fills it will make, best first within the
     * limit: 2 x 49.00 + 8 x 49.80 = 49,640 + fee 24.82 -> 25 */
    uint32_t ok = tm_participant(m, CETS_PK_ENTITY, "ok", 49665);
    uint32_t low = tm_participant(m, CETS_PK_ENTITY, "low", 49664);
    TR_REJECT(m, CETS_INSUFFICIENT_FUNDS, tm_take_limit(m, low, a.cea, CETS_BUY, 10, 5000, NULL));
    TR_OK(m, tm_take_limit(m, ok, a.cea, CETS_BUY, 10, 5000, &r));
    assert_int_equal(r.filled_qty, 10);
    assert_int_equal(r.filled_value, 49640);
    assert_int_equal(tm_frozen(m, ok), 0);
    assert_int_equal(tm_avail(m, ok), 0);
    tm_free(m);
}

static void test_prepositioning(void **state)
{
    (void)state;
    am a;
    am_init(&a);
    tmarket *m = &a.m;
    uint32_t s = tm_participant(m, CETS_PK_ENTITY, "s", 0);
    tm_credit(m, s, a.cea, 10);
    TR_REJECT(m, CETS_INSUFFICIENT_HOLDINGS, tm_post(m, s, a.cea, CETS_SELL, 5000, 11, NULL));
    TR_REJECT(m, CETS_INSUFFICIENT_HOLDINGS, tm_post(m, s, a.ccer, CETS_SELL, 3000, 1, NULL));
    TR_OK(m, tm_post(m, s, a.cea, CETS_SELL, 5000, 6, NULL));
    TR_REJECT(m, CETS_INSUFFICIENT_HOLDINGS, tm_post(m, s, a.cea, CETS_SELL, 5001, 5, NULL));
    TR_OK(m, tm_post(m, a.ent, a.cea, CETS_BUY, 4990, 10, NULL));
    TR_REJECT(m, CETS_INSUFFICIENT_HOLDINGS, tm_take_limit(m, s, a.cea, CETS_SELL, 5, 4990, NULL));
    TR_OK(m, tm_take_limit(m, s, a.cea, CETS_SELL, 4, 4990, NULL));
    cets_holding h = tm_hold(m, s, a.cea);
    assert_int_equal(h.available, 0);
    assert_int_equal(h.frozen, 6);
    assert_int_equal(h.locked, 0);
    tm_free(m);
}

static void test_t1_bought_today_locked(void **state)
{
    (void)state;
    am a;
    am_init(&a);
    tmarket *m = &a.m;
    uint32_t b = tm_participant(m, CETS_PK_ENTITY, "b", RICH);
    TR_OK(m, tm_post(m, a.inst, a.cea, CETS_SELL, 5000, 10, NULL));
    TR_OK(m, tm_take_limit(m, b, a.cea, CETS_BUY, 10, 5000, NULL));
    cets_holding h = tm_hold(m, b, a.cea);
    assert_int_equal(h.locked, 10);
    assert_int_equal(h.available, 0);
    TR_OK(m, tm_post(m, a.ent, a.cea, CETS_BUY, 4990, 50, NULL));
    TR_REJECT(m, CETS_T1_LOCKED, tm_post(m, b, a.cea, CETS_SELL, 5010, 1, NULL));
    TR_REJECT(m, CETS_T1_LOCKED, tm_take_limit(m, b, a.cea, CETS_SELL, 1, 4990, NULL));
    tm_credit(m, b, a.cea, 5);
    TR_REJECT(m, CETS_T1_LOCKED, tm_post(m, b, a.cea, CETS_SELL, 5010, 6, NULL));
    TR_REJECT(m, CETS_T1_LOCKED, tm_post(m, b, a.cea, CETS_SELL, 5010, 15, NULL));
    TR_REJECT(m, CETS_INSUFFICIENT_HOLDINGS, tm_post(m, b, a.cea, CETS_SELL, 5010, 16, NULL));
    TR_OK(m, tm_post(m, b, a.cea, CETS_SELL, 5010, 5, NULL));
    TR_OK(m, tm_eod(m));
    h = tm_hold(m, b, a.cea);
    assert_int_equal(h.locked, 0);
    assert_int_equal(h.available, 15); /* the 5 listed lapsed, the 10 bought unlocked */
    assert_int_equal(h.frozen, 0);
    tm_at(m, 10, 0);
    TR_OK(m, tm_post(m, b, a.cea, CETS_SELL, 5010, 15, NULL));
    tm_free(m);
}

/* Exact release: a cancel, partial fills and a lapse each give back exactly
 * what was not paid. */
static void test_release_exact(void **state)
{
    (void)state;
    am a;
    am_init(&a);
    tmarket *m = &a.m;
    uint32_t b = tm_participant(m, CETS_PK_ENTITY, "b", 1000000);
    cets_result r;
    TR_OK(m, tm_post(m, b, a.cea, CETS_BUY, 5000, 10, &r)); /* reserves 50,025 */
    uint64_t id = r.order_id;
    assert_int_equal(tm_frozen(m, b), 50025);
    TR_OK(m, tm_take_limit(m, a.inst, a.cea, CETS_SELL, 4, 5000, NULL));
    /* paid 20,000 + fee(20,000) = 10 */
    assert_int_equal(tm_frozen(m, b), 50025 - 20010);
    assert_int_equal(tr_funds(m, b), 1000000 - 20010);
    TR_OK(m, tm_cancel(m, b, id));
    assert_int_equal(tm_frozen(m, b), 0);
    assert_int_equal(tm_avail(m, b), 1000000 - 20010);

    /* filled to the end in 1 t steps: fees 3, 2, 3 -> 8 = fee(15,000) */
    TR_OK(m, tm_post(m, b, a.cea, CETS_BUY, 5000, 3, &r)); /* 15,000 + 8 */
    id = r.order_id;
    for (int i = 0; i < 3; i++) TR_OK(m, tm_take_limit(m, a.inst, a.cea, CETS_SELL, 1, 5000, NULL));
    assert_false(tr_live(m, id));
    assert_int_equal(tm_frozen(m, b), 0);
    assert_int_equal(tm_avail(m, b), 1000000 - 20010 - 15008);

    /* lapse at the end of the day */
    int64_t before = tm_avail(m, b);
    TR_OK(m, tm_post(m, b, a.cea, CETS_BUY, 4999, 7, &r));
    uint64_t lb = r.order_id;
    TR_OK(m, tm_post(m, a.ent, a.cea, CETS_SELL, 5100, 9, &r));
    uint64_t ls = r.order_id;
    TR_OK(m, tm_take_limit(m, a.inst, a.cea, CETS_SELL, 2, 4999, NULL));
    int64_t paid = 4999 * 2 + tr_fee(4999 * 2, 500);
    tm_clear_events(m);
    TR_OK(m, tm_eod(m));
    const cets_event *d = tr_done(m, lb);
    assert_non_null(d);
    assert_int_equal(d->u.done.why, CETS_DONE_EXPIRED);
    assert_int_equal(d->u.done.left_qty, 5);
    d = tr_done(m, ls);
    assert_non_null(d);
    assert_int_equal(d->u.done.why, CETS_DONE_EXPIRED);
    assert_int_equal(d->u.done.left_qty, 9);
    assert_int_equal(tm_frozen(m, b), 0);
    assert_int_equal(tm_avail(m, b), before - paid);
    assert_int_equal(tm_hold(m, a.ent, a.cea).frozen, 0);
    cets_totals t;
    cets_totals_get(m->e, &t);
    assert_int_equal(t.live_orders, 0);
    assert_int_equal(t.frozen_funds, 0);
    tm_free(m);
}

static void test_fees_cumulative_per_order(void **state)
{
    (void)state;
    am a;
    am_init(&a);
    tmarket *m = &a.m;
    uint32_t s = tm_participant(m, CETS_PK_ENTITY, "s", 0);
    tm_credit(m, s, a.cea, 3);
    cets_result r;
    TR_OK(m, tm_post(m, s, a.cea, CETS_SELL, 5000, 3, &r));
    int64_t expect_seller[3] = {3, 2, 3}; /* fee(5000)=3, fee(10000)-3=2, fee(15000)-5=3 */
    int64_t ex0 = tm_avail(m, CETS_EXCHANGE_ID);
    uint32_t buyers[3] = {a.ent, a.inst, a.ent};
    for (int i = 0; i < 3; i++) {
        tm_clear_events(m);
        TR_OK(m, tm_take_limit(m, buyers[i], a.cea, CETS_BUY, 1, 5000, NULL));
        cets_trade tr[2];
        assert_int_equal(tr_trades(m, tr, 2), 1);
        assert_int_equal(tr[0].seller_fee, expect_seller[i]);
        assert_int_equal(tr[0].buyer_fee, 3);
        assert_int_equal(tr[0].seller, s);
    }
    assert_int_equal(tm_avail(m, s), 15000 - 8);
    assert_int_equal(tm_avail(m, CETS_EXCHANGE_ID) - ex0, 8 + 9);
    cets_participant_info pi;
    cets_participant_get(m->e, s, &pi);
    assert_int_equal(pi.unsettled, 15000 - 8);
    /* a taker's fees across several makers: 3 fills of 1 x 50.00 = fee(15000) = 8 */
    uint32_t b = tm_participant(m, CETS_PK_ENTITY, "b", 1000000);
    for (int i = 0; i < 3; i++)
        TR_OK(m, tm_post(m, i == 1 ? a.inst : a.ent, a.cea, CETS_SELL, 5000, 1, NULL));
    tm_clear_events(m);
    TR_OK(m, tm_take_limit(m, b, a.cea, CETS_BUY, 3, 5000, &r));
    cets_trade tr[4];
    assert_int_equal(tr_trades(m, tr, 4), 3);
    assert_int_equal(tr[0].buyer_fee + tr[1].buyer_fee + tr[2].buyer_fee, 8);
    assert_int_equal(tm_avail(m, b), 1000000 - 15008);
    tm_free(m);
}

static void test_fees_on_price_improvement(void **state)
{
    (void)state;
    tmarket m;
    tm_init(&m, NULL);
    uint32_t cea = tm_instrument(&m, "CEA21", CETS_PRODUCT_CEA, CETS_MATCH_CONTINUOUS, 5000);
    uint32_t s = tm_participant(&m, CETS_PK_ENTITY, "s", 0);
    uint32_t b = tm_participant(&m, CETS_PK_ENTITY, "b", 100000);
    tm_credit(&m, s, cea, 100);
    TR_OK(&m, tm_post(&m, s, cea, CETS_SELL, 4901, 10, NULL));
    cets_result r;
    tm_clear_events(&m);
    TR_OK(&m, tm_post(&m, b, cea, CETS_BUY, 5000, 10, &r)); /* reserves 50,025, pays 49,010+25 */
    cets_trade tr[2];
    assert_int_equal(tr_trades(&m, tr, 2), 1);
    assert_int_equal(tr[0].price, 4901);
    assert_int_equal(tr[0].buyer_fee, tr_fee(49010, 500));
    assert_int_equal(tr[0].seller_fee, tr_fee(49010, 500));
    assert_int_equal(tm_frozen(&m, b), 0);
    assert_int_equal(tm_avail(&m, b), 100000 - 49010 - 25);
    assert_int_equal(tm_avail(&m, s), 49010 - 25);
    assert_int_equal(tm_avail(&m, CETS_EXCHANGE_ID), 50);
    assert_int_equal(tm_hold(&m, b, cea).locked, 10);
    assert_int_equal(tm_hold(&m, s, cea).available, 90);
    tm_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_participant_add),
        cmocka_unit_test(test_individual_trades_ccer_only),
        cmocka_unit_test(test_exchange_and_authority_do_not_trade),
        cmocka_unit_test(test_suspended),
        cmocka_unit_test(test_judicially_frozen),
        cmocka_unit_test(test_deposit_and_withdraw),
        cmocka_unit_test(test_proceeds_spendable_today_withdrawable_tomorrow),
        cmocka_unit_test(test_prefunding_boundary_post),
        cmocka_unit_test(test_prefunding_boundary_takes),
        cmocka_unit_test(test_prepositioning),
        cmocka_unit_test(test_t1_bought_today_locked),
        cmocka_unit_test(test_release_exact),
        cmocka_unit_test(test_fees_cumulative_per_order),
        cmocka_unit_test(test_fees_on_price_improvement),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
