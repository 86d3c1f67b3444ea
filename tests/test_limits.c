/* test_limits.c -- position limits (limits.c): on every path that brings
 * tonnes in (post, take, modify, block proposal and acceptance, auction bid
 * and a buyer's auction, transfer request and approval), at the limit and one
 * tonne past it, counting available, frozen and bought-today (T+1 locked)
 * tonnes; per kind and product, per vintage; the authority's exemptions;
 * replay and snapshots. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tmarket.h"
#include "tmethods.h"
#include "trules.h"

#define RICH 100000000000LL

typedef struct lm {
    tmarket m;
    uint32_t a, b, c;  /* CEA24, CEA25, CCER */
    uint32_t k, s, au; /* institution (limited), entity (seller), authority */
} lm;

static int exempt(tmarket *m, uint32_t actor, uint32_t pid, int on, const char *why)
{
    cets_cmd c = {.type = CETS_CMD_LIMIT_EXEMPT, .actor = actor, .participant = pid, .aux = on};
    snprintf(c.u.text, sizeof c.u.text, "%s", why);
    return tm_apply(m, &c, NULL);
}

/* k holds 600 CEA24 and 300 CEA25: 900 t of CEA; the limit is 1,000 t. */
static void lm_init(lm *x)
{
    tm_init(&x->m, NULL);
    x->a = tm_instrument(&x->m, "CEA24", CETS_PRODUCT_CEA, CETS_MATCH_LISTING, 5000);
    x->b = tm_instrument(&x->m, "CEA25", CETS_PRODUCT_CEA, CETS_MATCH_LISTING, 5000);
    x->c = tm_instrument(&x->m, "CCER", CETS_PRODUCT_CCER, CETS_MATCH_LISTING, 3000);
    x->k = tm_participant(&x->m, CETS_PK_INSTITUTION, "fund", RICH);
    x->s = tm_participant(&x->m, CETS_PK_ENTITY, "steel", RICH);
    x->au = tm_participant(&x->m, CETS_PK_AUTHORITY, "MEE", 0);
    tm_credit(&x->m, x->k, x->a, 600);
    tm_credit(&x->m, x->k, x->b, 300);
    for (uint32_t i = 0; i < 3; i++) tm_credit(&x->m, x->s, i, 10000000);
    assert_int_equal(tm_param_now(&x->m, CETS_PARAM_LIMIT_INSTITUTION_CEA, 1000), CETS_OK);
}

static void expect_message(lm *x, cets_cmd *c, const char *want)
{
    char buf[200];
    cets_reject_message(x->m.e, c, CETS_POSITION_LIMIT, buf, sizeof buf);
    assert_string_equal(buf, want);
}

static void test_post_and_take(void **state)
{
    (void)state;
    lm x;
    lm_init(&x);
    tmarket *m = &x.m;
    cets_result r;
    TR_REJECT(m, CETS_POSITION_LIMIT, tm_post(m, x.k, x.b, CETS_BUY, 5000, 101, &r));
    cets_cmd post = {.type = CETS_CMD_POST, .participant = x.k, .instrument = x.b};
    expect_message(&x, &post,
                   "the holding would exceed the position limit (1,000 t of CEA in all)");
    TR_OK(m, tm_post(m, x.k, x.b, CETS_BUY, 5000, 100, &r)); /* 1,000: at the limit */
    assert_int_equal(tm_cancel(m, x.k, r.order_id), CETS_OK);
    /* a take: 101 refused, 100 fills (bought today: locked, still counted) */
    assert_int_equal(tm_post(m, x.s, x.b, CETS_SELL, 5000, 500, &r), CETS_OK);
    cets_target t = {r.order_id, 101};
    TR_REJECT(m, CETS_POSITION_LIMIT, tm_take_targets(m, x.k, x.b, CETS_BUY, 1, &t, NULL));
    TR_REJECT(m, CETS_POSITION_LIMIT, tm_take_limit(m, x.k, x.b, CETS_BUY, 101, 5000, NULL));
    t.qty = 100;
    TR_OK(m, tm_take_targets(m, x.k, x.b, CETS_BUY, 1, &t, NULL));
    assert_int_equal(tm_hold(m, x.k, x.b).locked, 100);
    TR_REJECT(m, CETS_POSITION_LIMIT, tm_take_limit(m, x.k, x.b, CETS_BUY, 1, 5000, NULL));
    /* frozen counts too: selling 200 keeps them held until they are sold */
    assert_int_equal(tm_post(m, x.k, x.a, CETS_SELL, 5100, 200, &r), CETS_OK);
    TR_REJECT(m, CETS_POSITION_LIMIT, tm_post(m, x.k, x.a, CETS_BUY, 4900, 1, NULL));
    /* sells are never limited */
    TR_OK(m, tm_post(m, x.k, x.a, CETS_SELL, 5100, 100, NULL));
    /* the kind's CCER is its own product: no CCER limit set */
    TR_OK(m, tm_post(m, x.k, x.c, CETS_BUY, 3000, 5000, NULL));
    assert_null(tm_invariants(m->e));
    tm_free(m);
}

static void test_modify(void **state)
{
    (void)state;
    lm x;
    lm_init(&x);
    tmarket *m = &x.m;
    cets_result r;
    assert_int_equal(tm_post(m, x.k, x.b, CETS_BUY, 5000, 50, &r), CETS_OK);
    TR_REJECT(m, CETS_POSITION_LIMIT, tm_modify(m, x.k, r.order_id, 5000, 101, NULL));
    cets_cmd mod = {.type = CETS_CMD_MODIFY, .participant = x.k, .order_id = r.order_id};
    expect_message(&x, &mod, "the holding would exceed the position limit (1,000 t of CEA in all)");
    TR_OK(m, tm_modify(m, x.k, r.order_id, 5000, 100, NULL)); /* 900 + 100: at the limit */
    TR_OK(m, tm_modify(m, x.k, r.order_id, 4900, 100, NULL)); /* reserves less: not checked */
    tm_free(m);
}

static void test_blocks(void **state)
{
    (void)state;
    lm x;
    lm_init(&x);
    tmarket *m = &x.m;
    assert_int_equal(tm_param_now(m, CETS_PARAM_LIMIT_INSTITUTION_CEA, 100900), CETS_OK);
    tm_at(m, 13, 30);
    cets_result r;
    /* the limited buyer proposes: 100,001 t past its limit, 100,000 at it */
    TR_REJECT(m, CETS_POSITION_LIMIT,
              tg_block(m, CETS_CMD_BLOCK_PROPOSE, x.k, x.b, CETS_BUY, 5000, 100001, 0, x.s, &r));
    TR_OK(m, tg_block(m, CETS_CMD_BLOCK_PROPOSE, x.k, x.b, CETS_BUY, 5000, 100000, 0, x.s, &r));
    uint64_t kprop = r.order_id;
    /* a seller proposes to the limited buyer, which accepts: checked on acceptance */
    assert_int_equal(
        tg_block(m, CETS_CMD_BLOCK_PROPOSE, x.s, x.b, CETS_SELL, 5000, 100001, 0, x.k, &r),
        CETS_OK);
    TR_REJECT(
        m, CETS_POSITION_LIMIT,
        tg_block(m, CETS_CMD_BLOCK_ACCEPT, x.k, x.b, CETS_BUY, 5000, 100001, r.order_id, 0, NULL));
    /* the buyer's own proposal: accepted by the seller, the buyer is checked again */
    TR_OK(m, tg_block(m, CETS_CMD_BLOCK_ACCEPT, x.s, x.b, CETS_SELL, 5000, 100000, kprop, 0, NULL));
    assert_int_equal(tg_held(m, x.k, x.b), 100300);
    assert_int_equal(
        tg_block(m, CETS_CMD_BLOCK_PROPOSE, x.k, x.a, CETS_BUY, 5000, 100000, 0, x.s, &r),
        CETS_POSITION_LIMIT);
    assert_null(tm_invariants(m->e));
    tm_free(m);
}

static void test_auctions(void **state)
{
    (void)state;
    lm x;
    lm_init(&x);
    tmarket *m = &x.m;
    int64_t start = cets_time_at(TM_DATE, 10, 0, 480), end = cets_time_at(TM_DATE, 11, 0, 480);
    cets_result r;
    assert_int_equal(
        tg_auction(m, CETS_EXCHANGE_ID, x.s, x.b, CETS_SELL, 100000, start, end, 0, 0, 0, &r),
        CETS_OK);
    uint64_t au = r.order_id;
    TR_REJECT(m, CETS_POSITION_LIMIT, tg_bid(m, x.k, au, 5000, 101, NULL));
    cets_cmd bid = {.type = CETS_CMD_AUCTION_BID, .participant = x.k, .order_id = au};
    expect_message(&x, &bid, "the holding would exceed the position limit (1,000 t of CEA in all)");
    TR_OK(m, tg_bid(m, x.k, au, 5000, 100, NULL));
    /* a buyer's auction: the lot is what its initiator would buy */
    TR_REJECT(
        m, CETS_POSITION_LIMIT,
        tg_auction(m, CETS_EXCHANGE_ID, x.k, x.a, CETS_BUY, 100000, start, end, 0, 0, 0, NULL));
    assert_int_equal(tm_param_now(m, CETS_PARAM_LIMIT_INSTITUTION_CEA, 100900), CETS_OK);
    TR_OK(m,
          tg_auction(m, CETS_EXCHANGE_ID, x.k, x.a, CETS_BUY, 100000, start, end, 0, 0, 0, NULL));
    tm_free(m);
}

static void test_transfers(void **state)
{
    (void)state;
    lm x;
    lm_init(&x);
    tmarket *m = &x.m;
    cets_result r;
    TR_REJECT(m, CETS_POSITION_LIMIT, tg_transfer(m, x.s, x.s, x.k, x.b, 101, 7, NULL));
    cets_cmd tr = {
        .type = CETS_CMD_TRANSFER, .participant = x.s, .counterparty = x.k, .instrument = x.b};
    expect_message(&x, &tr, "the holding would exceed the position limit (1,000 t of CEA in all)");
    TR_OK(m, tg_transfer(m, x.s, x.s, x.k, x.b, 100, 7, &r));
    uint64_t t1 = r.order_id;
    TR_OK(m, tg_transfer(m, x.s, x.s, x.k, x.a, 100, 7, &r));
    uint64_t t2 = r.order_id;
    TR_OK(m, tg_transfer_decide(m, CETS_CMD_TRANSFER_APPROVE, x.s, t1, 8)); /* 1,000 */
    /* the second would bring it to 1,100: refused when approved */
    TR_REJECT(m, CETS_POSITION_LIMIT, tg_transfer_decide(m, CETS_CMD_TRANSFER_APPROVE, x.s, t2, 8));
    cets_cmd ap = {.type = CETS_CMD_TRANSFER_APPROVE, .order_id = t2};
    expect_message(&x, &ap, "the holding would exceed the position limit (1,000 t of CEA in all)");
    TR_OK(m, tg_transfer_decide(m, CETS_CMD_TRANSFER_REJECT, x.s, t2, 8));
    assert_null(tm_invariants(m->e));
    tm_free(m);
}

/* One vintage, and the other kinds' limits. */
static void test_vintage_and_kinds(void **state)
{
    (void)state;
    lm x;
    lm_init(&x);
    tmarket *m = &x.m;
    assert_int_equal(tm_param_now(m, CETS_PARAM_LIMIT_INSTITUTION_CEA, 0), CETS_OK);
    assert_int_equal(tm_param_now(m, CETS_PARAM_LIMIT_VINTAGE, 700), CETS_OK);
    TR_REJECT(m, CETS_POSITION_LIMIT, tm_post(m, x.k, x.a, CETS_BUY, 5000, 101, NULL));
    cets_cmd post = {.type = CETS_CMD_POST, .participant = x.k, .instrument = x.a};
    expect_message(&x, &post, "the holding would exceed the position limit (700 t of one vintage)");
    TR_OK(m, tm_post(m, x.k, x.a, CETS_BUY, 5000, 100, NULL));
    TR_OK(m, tm_post(m, x.k, x.b, CETS_BUY, 5000, 400, NULL));
    TR_REJECT(m, CETS_POSITION_LIMIT, tm_post(m, x.k, x.b, CETS_BUY, 5000, 401, NULL));
    /* the vintage limit is for CEA: CCER has none */
    TR_OK(m, tm_post(m, x.k, x.c, CETS_BUY, 3000, 5000, NULL));
    /* both: the message names both */
    assert_int_equal(tm_param_now(m, CETS_PARAM_LIMIT_INSTITUTION_CEA, 950), CETS_OK);
    TR_REJECT(m, CETS_POSITION_LIMIT, tm_post(m, x.k, x.b, CETS_BUY, 5000, 51, NULL));
    expect_message(&x, &post,
                   "the holding would exceed the position limit (950 t of CEA in all, "
                   "700 t of one vintage)");
    /* an individual's CCER; an entity's CEA */
    uint32_t ind = tm_participant(m, CETS_PK_INDIVIDUAL, "li", RICH);
    assert_int_equal(tm_param_now(m, CETS_PARAM_LIMIT_INDIVIDUAL_CCER, 50), CETS_OK);
    TR_REJECT(m, CETS_POSITION_LIMIT, tm_post(m, ind, x.c, CETS_BUY, 3000, 51, NULL));
    TR_OK(m, tm_post(m, ind, x.c, CETS_BUY, 3000, 50, NULL));
    assert_int_equal(tm_param_now(m, CETS_PARAM_LIMIT_ENTITY_CEA, 10000000), CETS_OK);
    TR_REJECT(m, CETS_POSITION_LIMIT, tm_post(m, x.s, x.a, CETS_BUY, 5000, 1, NULL));
    assert_int_equal(tm_param_now(m, CETS_PARAM_LIMIT_ENTITY_CEA, 30000001), CETS_OK);
    assert_int_equal(tm_param_now(m, CETS_PARAM_LIMIT_VINTAGE, 0), CETS_OK);
    TR_OK(m, tm_post(m, x.s, x.a, CETS_BUY, 4900, 1, NULL));
    tm_free(m);
}

static void test_exemptions(void **state)
{
    (void)state;
    lm x;
    lm_init(&x);
    tmarket *m = &x.m;
    TR_REJECT(m, CETS_NOT_AUTHORISED, exempt(m, CETS_EXCHANGE_ID, x.k, 1, "market maker"));
    TR_REJECT(m, CETS_NOT_AUTHORISED, exempt(m, x.k, x.k, 1, "myself"));
    TR_REJECT(m, CETS_BAD_TEXT, exempt(m, x.au, x.k, 1, ""));
    TR_REJECT(m, CETS_UNKNOWN_PARTICIPANT, exempt(m, x.au, 99, 1, "nobody"));
    TR_REJECT(m, CETS_BAD_ARGUMENT, exempt(m, x.au, x.k, 2, "what"));
    cets_cmd full = {.type = CETS_CMD_LIMIT_EXEMPT, .actor = x.au, .participant = x.k, .aux = 0};
    memset(full.u.text, 'r', CETS_NAME_LEN); /* 48 bytes: no room for the end */
    TR_REJECT(m, CETS_BAD_TEXT, tm_apply(m, &full, NULL));
    full.u.text[CETS_NAME_LEN - 1] = 0; /* 47: the most */
    TR_OK(m, tm_apply(m, &full, NULL));
    assert_false(cets_limit_exempt(m->e, x.k));
    TR_OK(m, exempt(m, x.au, x.k, 1, "designated market maker"));
    assert_true(cets_limit_exempt(m->e, x.k));
    TR_OK(m, tm_post(m, x.k, x.b, CETS_BUY, 5000, 5000, NULL));
    TR_OK(m, exempt(m, x.au, x.k, 0, "market making ended"));
    TR_REJECT(m, CETS_POSITION_LIMIT, tm_post(m, x.k, x.b, CETS_BUY, 5000, 101, NULL));
    cets_limit_exemption ex[3];
    assert_int_equal(cets_limit_exemptions(m->e, 0, ex, 3), 3);
    assert_int_equal(strlen(ex[0].reason), 47);
    assert_string_equal(ex[1].reason, "designated market maker");
    assert_int_equal(ex[1].exempt, 1);
    assert_int_equal(ex[2].exempt, 0);
    assert_int_equal(ex[2].participant, x.k);
    tm_free(m);
}

/* Exemptions alone (no parameter ever changed) are state: in the hash and
 * in a snapshot, and a copy enforces the same. */
static void test_snapshot(void **state)
{
    (void)state;
    tmarket m;
    tm_init(&m, NULL);
    uint32_t au = tm_participant(&m, CETS_PK_AUTHORITY, "MEE", 0);
    uint32_t k = tm_participant(&m, CETS_PK_INSTITUTION, "fund", RICH);
    uint64_t before = cets_state_hash(m.e);
    assert_int_equal(exempt(&m, au, k, 1, "market maker"), CETS_OK);
    assert_int_not_equal(cets_state_hash(m.e), before);
    void *buf;
    size_t len;
    assert_int_equal(cets_snapshot_save(m.e, &buf, &len), 0);
    const char *err = NULL;
    cets_engine *copy = cets_snapshot_load(buf, len, &err);
    assert_non_null(copy);
    assert_true(cets_limit_exempt(copy, k));
    assert_int_equal(cets_state_hash(copy), cets_state_hash(m.e));
    cets_engine_free(copy);
    free(buf);
    tm_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_post_and_take), cmocka_unit_test(test_modify),
        cmocka_unit_test(test_blocks),        cmocka_unit_test(test_auctions),
        cmocka_unit_test(test_transfers),     cmocka_unit_test(test_vintage_and_kinds),
        cmocka_unit_test(test_exemptions),    cmocka_unit_test(test_snapshot),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
