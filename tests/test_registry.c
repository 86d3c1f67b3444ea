/* test_registry.c -- the registry and the compliance cycle: allocation,
 * verified emissions, surrender, voluntary cancellation, four-eyes transfers,
 * judicial freeze and deadline processing; every rule and every rejection.
 *
 * Each command goes through TR_OK or TR_REJECT (trules.h): a rejection keeps
 * the state hash and emits exactly one REJECTED event with its code; after
 * every command the invariants hold, including held = issued - retired.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tmethods.h"

#define FUNDS 10000000000LL
#define Y 2025

typedef struct fx {
    tmarket m;
    uint32_t c23, c24, c25, ccer; /* added oldest first */
    uint32_t au, e1, e2, inst, ind;
} fx;

static void fx_init(fx *f, const cets_config *cfg)
{
    tm_init(&f->m, cfg);
    f->c23 = tg_instrument(&f->m, "CEA23", CETS_PRODUCT_CEA, 5000);
    f->c24 = tg_instrument(&f->m, "CEA24", CETS_PRODUCT_CEA, 5500);
    f->c25 = tg_instrument(&f->m, "CEA25", CETS_PRODUCT_CEA, 6001);
    f->ccer = tg_instrument(&f->m, "CCER", CETS_PRODUCT_CCER, 3000);
    f->au = tg_party(&f->m, CETS_PK_AUTHORITY, "MEE", 0);
    f->e1 = tg_party(&f->m, CETS_PK_ENTITY, "steel", FUNDS);
    f->e2 = tg_party(&f->m, CETS_PK_ENTITY, "cement", FUNDS);
    f->inst = tg_party(&f->m, CETS_PK_INSTITUTION, "fund", FUNDS);
    f->ind = tg_party(&f->m, CETS_PK_INDIVIDUAL, "zhang", FUNDS);
}

static cets_compliance comp(const fx *f, uint32_t pid)
{
    cets_compliance c;
    memset(&c, 0, sizeof c);
    assert_int_equal(cets_compliance_get(f->m.e, pid, Y, &c), CETS_OK);
    return c;
}

static int64_t avail(const fx *f, uint32_t pid, uint32_t iid)
{
    return tm_hold(&f->m, pid, iid).available;
}

static int64_t issued(const fx *f, uint32_t iid)
{
    cets_totals t;
    cets_totals_get(f->m.e, &t);
    return t.issued[iid];
}

static int64_t retired(const fx *f, uint32_t iid)
{
    cets_totals t;
    cets_totals_get(f->m.e, &t);
    return t.retired[iid];
}

/* ---- allocation ------------------------------------------------------------------ */

static void test_allocation_pre_and_trueup(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, NULL);
    TR_OK(&f.m, tg_allocate(&f.m, f.au, f.e1, f.c25, 90000, 0, 100000, 900));
    cets_registry_move mv[4];
    assert_int_equal(tg_moves(&f.m, mv, 4), 1);
    assert_int_equal(mv[0].kind, CETS_REG_ALLOCATE);
    assert_int_equal(mv[0].compulsory, 0); /* pre-allocation */
    assert_int_equal(mv[0].participant, f.e1);
    assert_int_equal(mv[0].instrument, f.c25);
    assert_int_equal(mv[0].qty, 90000);
    assert_int_equal(mv[0].deducted, 0);
    assert_int_equal(mv[0].output, 100000);
    assert_int_equal(mv[0].benchmark, 900);
    assert_int_equal(avail(&f, f.e1, f.c25), 90000);
    assert_int_equal(issued(&f, f.c25), 90000);
    /* the final true-up adds ... */
    TR_OK(&f.m, tg_allocate(&f.m, f.au, f.e1, f.c25, 4500, 1, 105000, 900));
    assert_int_equal(tg_moves(&f.m, mv, 4), 1);
    assert_int_equal(mv[0].compulsory, 1);
    assert_int_equal(mv[0].output, 105000);
    assert_int_equal(avail(&f, f.e1, f.c25), 94500);
    /* ... or takes back, from available tonnes only */
    TR_OK(&f.m, tm_post(&f.m, f.e1, f.c25, CETS_SELL, 6001, 4500, NULL));
    TR_REJECT(&f.m, CETS_INSUFFICIENT_HOLDINGS,
              tg_allocate(&f.m, f.au, f.e1, f.c25, -90001, 1, 85000, 900));
    TR_OK(&f.m, tg_allocate(&f.m, f.au, f.e1, f.c25, -90000, 1, 85000, 900));
    assert_int_equal(tg_moves(&f.m, mv, 4), 1);
    assert_int_equal(mv[0].qty, -90000);
    assert_int_equal(avail(&f, f.e1, f.c25), 0);
    assert_int_equal(tm_hold(&f.m, f.e1, f.c25).frozen, 4500);
    assert_int_equal(issued(&f, f.c25), 4500);
    tm_free(&f.m);
}

static void test_allocation_rejections(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, NULL);
    TR_REJECT(&f.m, CETS_NOT_AUTHORISED,
              tg_allocate(&f.m, CETS_EXCHANGE_ID, f.e1, f.c25, 1, 0, 0, 0));
    TR_REJECT(&f.m, CETS_NOT_AUTHORISED, tg_allocate(&f.m, f.e1, f.e1, f.c25, 1, 0, 0, 0));
    TR_REJECT(&f.m, CETS_NOT_AUTHORISED, tg_allocate(&f.m, 999, f.e1, f.c25, 1, 0, 0, 0));
    TR_REJECT(&f.m, CETS_UNKNOWN_PARTICIPANT, tg_allocate(&f.m, f.au, 999, f.c25, 1, 0, 0, 0));
    TR_REJECT(&f.m, CETS_NOT_ENTITY, tg_allocate(&f.m, f.au, f.inst, f.c25, 1, 0, 0, 0));
    TR_REJECT(&f.m, CETS_NOT_ENTITY, tg_allocate(&f.m, f.au, f.au, f.c25, 1, 0, 0, 0));
    TR_REJECT(&f.m, CETS_UNKNOWN_INSTRUMENT, tg_allocate(&f.m, f.au, f.e1, 9, 1, 0, 0, 0));
    TR_REJECT(&f.m, CETS_NOT_ALLOWANCE, tg_allocate(&f.m, f.au, f.e1, f.ccer, 1, 0, 0, 0));
    TR_REJECT(&f.m, CETS_BAD_ARGUMENT, tg_allocate(&f.m, f.au, f.e1, f.c25, 0, 0, 0, 0));
    TR_REJECT(&f.m, CETS_BAD_ARGUMENT, tg_allocate(&f.m, f.au, f.e1, f.c25, 0, 1, 0, 0));
    TR_REJECT(&f.m, CETS_BAD_ARGUMENT, tg_allocate(&f.m, f.au, f.e1, f.c25, -1, 0, 0, 0));
    TR_REJECT(&f.m, CETS_BAD_ARGUMENT, tg_allocate(&f.m, f.au, f.e1, f.c25, 1, 2, 0, 0));
    TR_REJECT(&f.m, CETS_BAD_ARGUMENT, tg_allocate(&f.m, f.au, f.e1, f.c25, 1, 0, -1, 0));
    TR_REJECT(&f.m, CETS_BAD_ARGUMENT, tg_allocate(&f.m, f.au, f.e1, f.c25, 1, 0, 0, -1));
    TR_REJECT(&f.m, CETS_BAD_ARGUMENT,
              tg_allocate(&f.m, f.au, f.e1, f.c25, 10000000001LL, 0, 0, 0));
    TR_OK(&f.m, tg_allocate(&f.m, f.au, f.e1, f.c25, 10000000000LL, 0, 0, 0));
    tm_free(&f.m);
}

/* ---- verified emissions --------------------------------------------------------------- */

static void test_emissions(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, NULL);
    cets_compliance c;
    assert_int_equal(cets_compliance_get(f.m.e, f.e1, Y, &c), CETS_NO_OBLIGATION);
    TR_OK(&f.m, tg_emissions(&f.m, f.au, f.e1, Y, 100000));
    cets_registry_move mv[2];
    assert_int_equal(tg_moves(&f.m, mv, 2), 1);
    assert_int_equal(mv[0].kind, CETS_REG_EMISSIONS);
    assert_int_equal(mv[0].year, Y);
    assert_int_equal(mv[0].obligation, 100000);
    c = comp(&f, f.e1);
    assert_int_equal(c.obligation, 100000);
    assert_int_equal(c.status, CETS_COMPLIANCE_OPEN);
    /* corrected while the year is open, never below what was surrendered */
    TR_OK(&f.m, tg_emissions(&f.m, f.au, f.e1, Y, 80000));
    assert_int_equal(comp(&f, f.e1).obligation, 80000);
    TR_OK(&f.m, tg_allocate(&f.m, f.au, f.e1, f.c25, 50000, 0, 0, 0));
    TR_OK(&f.m, tg_surrender(&f.m, f.e1, f.e1, Y, 50000, NULL));
    TR_REJECT(&f.m, CETS_OVER_SURRENDER, tg_emissions(&f.m, f.au, f.e1, Y, 49999));
    TR_OK(&f.m, tg_emissions(&f.m, f.au, f.e1, Y, 50000));
    TR_REJECT(&f.m, CETS_NOT_AUTHORISED, tg_emissions(&f.m, CETS_EXCHANGE_ID, f.e1, Y, 1));
    TR_REJECT(&f.m, CETS_NOT_AUTHORISED, tg_emissions(&f.m, f.e1, f.e1, Y, 1));
    TR_REJECT(&f.m, CETS_NOT_ENTITY, tg_emissions(&f.m, f.au, f.inst, Y, 1));
    TR_REJECT(&f.m, CETS_UNKNOWN_PARTICIPANT, tg_emissions(&f.m, f.au, 999, Y, 1));
    TR_REJECT(&f.m, CETS_BAD_ARGUMENT, tg_emissions(&f.m, f.au, f.e2, 1999, 1));
    TR_REJECT(&f.m, CETS_BAD_ARGUMENT, tg_emissions(&f.m, f.au, f.e2, 2201, 1));
    TR_REJECT(&f.m, CETS_BAD_ARGUMENT, tg_emissions(&f.m, f.au, f.e2, Y, -1));
    TR_REJECT(&f.m, CETS_BAD_ARGUMENT, tg_emissions(&f.m, f.au, f.e2, Y, 10000000001LL));
    TR_OK(&f.m, tg_emissions(&f.m, f.au, f.e2, 2000, 0));
    TR_OK(&f.m, tg_deadline(&f.m, f.au, Y));
    TR_REJECT(&f.m, CETS_YEAR_CLOSED, tg_emissions(&f.m, f.au, f.e1, Y, 60000));
    tm_free(&f.m);
}

/* ---- surrender ------------------------------------------------------------------------------ */

static void test_vintage_of_year(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, NULL);
    assert_int_equal(cets_vintage_of_year(f.m.e, 2025), (int)f.c25);
    assert_int_equal(cets_vintage_of_year(f.m.e, 2023), (int)f.c23);
    assert_int_equal(cets_vintage_of_year(f.m.e, 2019), -1);
    assert_int_equal(cets_vintage_of_year(f.m.e, 2026), -1);
    uint32_t c1920 = tg_instrument(&f.m, "CEA1920", CETS_PRODUCT_CEA, 4000);
    assert_int_equal(cets_vintage_of_year(f.m.e, 2019), (int)c1920);
    assert_int_equal(cets_vintage_of_year(f.m.e, 2020), (int)c1920);
    tm_free(&f.m);
}

/* The year's vintage first, then the other vintages oldest first; only
 * available tonnes (not those reserved by orders, not bought today). */
static void test_surrender_current_vintage_first(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, NULL);
    TR_OK(&f.m, tg_allocate(&f.m, f.au, f.e1, f.c23, 10000, 0, 0, 0));
    TR_OK(&f.m, tg_allocate(&f.m, f.au, f.e1, f.c24, 20000, 0, 0, 0));
    TR_OK(&f.m, tg_allocate(&f.m, f.au, f.e1, f.c25, 30000, 0, 0, 0));
    tg_credit(&f.m, f.e1, f.ccer, 5000);
    cets_result r;
    TR_OK(&f.m, tm_post(&f.m, f.e1, f.c25, CETS_SELL, 6001, 5000, &r));
    uint64_t listing = r.order_id;
    TR_OK(&f.m, tg_emissions(&f.m, f.au, f.e1, Y, 100000));
    TR_OK(&f.m, tg_surrender(&f.m, f.e1, f.e1, Y, 33000, &r));
    assert_int_equal(r.filled_qty, 33000);
    cets_registry_move mv[8];
    assert_int_equal(tg_moves(&f.m, mv, 8), 2);
    assert_int_equal(mv[0].kind, CETS_REG_SURRENDER);
    assert_int_equal(mv[0].instrument, f.c25);
    assert_int_equal(mv[0].qty, 25000);
    assert_int_equal(mv[0].compulsory, 0);
    assert_int_equal(mv[0].year, Y);
    assert_int_equal(mv[0].obligation, 100000);
    assert_int_equal(mv[1].instrument, f.c23);
    assert_int_equal(mv[1].qty, 8000);
    assert_int_equal(avail(&f, f.e1, f.c25), 0);
    assert_int_equal(tm_hold(&f.m, f.e1, f.c25).frozen, 5000); /* the listing keeps its own */
    assert_int_equal(avail(&f, f.e1, f.c23), 2000);
    assert_int_equal(avail(&f, f.e1, f.c24), 20000);
    assert_int_equal(avail(&f, f.e1, f.ccer), 5000); /* CCER only when named */
    assert_int_equal(retired(&f, f.c25), 25000);
    assert_int_equal(retired(&f, f.c23), 8000);
    cets_compliance c = comp(&f, f.e1);
    assert_int_equal(c.surrendered_cea, 33000);
    assert_int_equal(c.surrendered_ccer, 0);
    /* what is left: 2,000 + 20,000 available; 22,001 is too much */
    TR_REJECT(&f.m, CETS_INSUFFICIENT_HOLDINGS, tg_surrender(&f.m, f.e1, f.e1, Y, 22001, NULL));
    TR_OK(&f.m, tg_surrender(&f.m, f.e1, f.e1, Y, 22000, NULL));
    assert_int_equal(tg_moves(&f.m, mv, 8), 2);
    assert_int_equal(mv[0].instrument, f.c23);
    assert_int_equal(mv[0].qty, 2000);
    assert_int_equal(mv[1].instrument, f.c24);
    assert_int_equal(mv[1].qty, 20000);
    /* surrendered units never move again */
    TR_OK(&f.m, tm_cancel(&f.m, f.e1, listing));
    assert_int_equal(avail(&f, f.e1, f.c25), 5000);
    assert_int_equal(tg_held(&f.m, f.e1, f.c23) + tg_held(&f.m, f.e1, f.c24), 0);
    tm_free(&f.m);
}

/* Without the year's vintage: every vintage, oldest first. Bought today (T+1)
 * does not count. */
static void test_surrender_without_current_vintage(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, NULL);
    TR_OK(&f.m, tg_allocate(&f.m, f.au, f.e1, f.c23, 1000, 0, 0, 0));
    TR_OK(&f.m, tg_allocate(&f.m, f.au, f.e1, f.c24, 1000, 0, 0, 0));
    TR_OK(&f.m, tg_emissions(&f.m, f.au, f.e1, 2030, 5000));
    tg_credit(&f.m, f.inst, f.c25, 1000);
    cets_result r;
    TR_OK(&f.m, tm_post(&f.m, f.inst, f.c25, CETS_SELL, 6001, 1000, &r));
    cets_target t = {r.order_id, 1000};
    TR_OK(&f.m, tm_take_targets(&f.m, f.e1, f.c25, CETS_BUY, 1, &t, NULL));
    TR_REJECT(&f.m, CETS_INSUFFICIENT_HOLDINGS, tg_surrender(&f.m, f.e1, f.e1, 2030, 2001, NULL));
    TR_OK(&f.m, tg_surrender(&f.m, f.e1, f.e1, 2030, 1500, NULL));
    cets_registry_move mv[4];
    assert_int_equal(tg_moves(&f.m, mv, 4), 2);
    assert_int_equal(mv[0].instrument, f.c23);
    assert_int_equal(mv[0].qty, 1000);
    assert_int_equal(mv[1].instrument, f.c24);
    assert_int_equal(mv[1].qty, 500);
    tm_free(&f.m);
}

static void test_surrender_named(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, NULL);
    TR_OK(&f.m, tg_allocate(&f.m, f.au, f.e1, f.c24, 20000, 0, 0, 0));
    TR_OK(&f.m, tg_allocate(&f.m, f.au, f.e1, f.c25, 20000, 0, 0, 0));
    tg_credit(&f.m, f.e1, f.ccer, 10000);
    TR_OK(&f.m, tg_emissions(&f.m, f.au, f.e1, Y, 100000));
    cets_target bad[9];
    for (int i = 0; i < 9; i++) bad[i] = (cets_target){f.c24, 1};
    TR_REJECT(&f.m, CETS_TOO_MANY_TARGETS, tg_surrender_named(&f.m, f.e1, f.e1, Y, 9, bad, NULL));
    cets_target t[3] = {{f.c24, 1000}, {f.c24, 1000}};
    TR_REJECT(&f.m, CETS_DUPLICATE_TARGET, tg_surrender_named(&f.m, f.e1, f.e1, Y, 2, t, NULL));
    t[1] = (cets_target){9, 1000};
    TR_REJECT(&f.m, CETS_UNKNOWN_INSTRUMENT, tg_surrender_named(&f.m, f.e1, f.e1, Y, 2, t, NULL));
    t[1] = (cets_target){f.c25, 0};
    TR_REJECT(&f.m, CETS_BAD_ARGUMENT, tg_surrender_named(&f.m, f.e1, f.e1, Y, 2, t, NULL));
    t[1] = (cets_target){f.c25, 20001};
    TR_REJECT(&f.m, CETS_INSUFFICIENT_HOLDINGS,
              tg_surrender_named(&f.m, f.e1, f.e1, Y, 2, t, NULL));
    /* the named vintage is used even though the current one is there */
    t[1] = (cets_target){f.ccer, 3000};
    cets_result r;
    TR_OK(&f.m, tg_surrender_named(&f.m, f.e1, f.e1, Y, 2, t, &r));
    assert_int_equal(r.filled_qty, 4000);
    assert_int_equal(avail(&f, f.e1, f.c24), 19000);
    assert_int_equal(avail(&f, f.e1, f.c25), 20000);
    assert_int_equal(avail(&f, f.e1, f.ccer), 7000);
    cets_compliance c = comp(&f, f.e1);
    assert_int_equal(c.surrendered_cea, 1000);
    assert_int_equal(c.surrendered_ccer, 3000);
    assert_int_equal(retired(&f, f.ccer), 3000);
    tm_free(&f.m);
}

/* 5% of 100,019 t is 5,000.95 t: 5,000 t of CCER fit, 5,001 do not; the cap
 * counts everything surrendered for the year. */
static void test_surrender_ccer_cap(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, NULL);
    tg_credit(&f.m, f.e1, f.ccer, 20000);
    tg_credit(&f.m, f.e2, f.ccer, 20000);
    TR_OK(&f.m, tg_emissions(&f.m, f.au, f.e1, Y, 100019));
    TR_OK(&f.m, tg_emissions(&f.m, f.au, f.e2, Y, 100000));
    cets_target t = {f.ccer, 5001};
    TR_REJECT(&f.m, CETS_CCER_CAP, tg_surrender_named(&f.m, f.e1, f.e1, Y, 1, &t, NULL));
    t.qty = 5000;
    TR_OK(&f.m, tg_surrender_named(&f.m, f.e1, f.e1, Y, 1, &t, NULL));
    t.qty = 1;
    TR_REJECT(&f.m, CETS_CCER_CAP, tg_surrender_named(&f.m, f.e1, f.e1, Y, 1, &t, NULL));
    /* exactly 5% of 100,000, in two steps */
    t.qty = 2000;
    TR_OK(&f.m, tg_surrender_named(&f.m, f.e2, f.e2, Y, 1, &t, NULL));
    t.qty = 3001;
    TR_REJECT(&f.m, CETS_CCER_CAP, tg_surrender_named(&f.m, f.e2, f.e2, Y, 1, &t, NULL));
    t.qty = 3000;
    TR_OK(&f.m, tg_surrender_named(&f.m, f.e2, f.e2, Y, 1, &t, NULL));
    assert_int_equal(comp(&f, f.e2).surrendered_ccer, 5000);
    /* the authority is held to the cap too */
    t.qty = 1;
    TR_REJECT(&f.m, CETS_CCER_CAP, tg_surrender_named(&f.m, f.au, f.e2, Y, 1, &t, NULL));
    tm_free(&f.m);
}

static void test_surrender_over_obligation(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, NULL);
    TR_OK(&f.m, tg_allocate(&f.m, f.au, f.e1, f.c25, 200000, 0, 0, 0));
    tg_credit(&f.m, f.e1, f.ccer, 20000);
    TR_OK(&f.m, tg_emissions(&f.m, f.au, f.e1, Y, 100000));
    TR_REJECT(&f.m, CETS_OVER_SURRENDER, tg_surrender(&f.m, f.e1, f.e1, Y, 100001, NULL));
    cets_target t[2] = {{f.c25, 95001}, {f.ccer, 5000}};
    TR_REJECT(&f.m, CETS_OVER_SURRENDER, tg_surrender_named(&f.m, f.e1, f.e1, Y, 2, t, NULL));
    t[0].qty = 95000;
    TR_OK(&f.m, tg_surrender_named(&f.m, f.e1, f.e1, Y, 2, t, NULL));
    TR_REJECT(&f.m, CETS_OVER_SURRENDER, tg_surrender(&f.m, f.e1, f.e1, Y, 1, NULL));
    cets_compliance c = comp(&f, f.e1);
    assert_int_equal(c.surrendered_cea + c.surrendered_ccer, 100000);
    tm_free(&f.m);
}

static void test_surrender_rejections(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, NULL);
    TR_OK(&f.m, tg_allocate(&f.m, f.au, f.e1, f.c25, 1000, 0, 0, 0));
    TR_REJECT(&f.m, CETS_NO_OBLIGATION, tg_surrender(&f.m, f.e1, f.e1, Y, 100, NULL));
    TR_OK(&f.m, tg_emissions(&f.m, f.au, f.e1, Y, 1000));
    TR_REJECT(&f.m, CETS_NO_OBLIGATION, tg_surrender(&f.m, f.e1, f.e1, Y + 1, 100, NULL));
    TR_REJECT(&f.m, CETS_NOT_AUTHORISED, tg_surrender(&f.m, f.inst, f.e1, Y, 100, NULL));
    TR_REJECT(&f.m, CETS_NOT_AUTHORISED, tg_surrender(&f.m, CETS_EXCHANGE_ID, f.e1, Y, 100, NULL));
    TR_REJECT(&f.m, CETS_NOT_ENTITY, tg_surrender(&f.m, f.inst, f.inst, Y, 100, NULL));
    TR_REJECT(&f.m, CETS_UNKNOWN_PARTICIPANT, tg_surrender(&f.m, f.au, 999, Y, 100, NULL));
    TR_REJECT(&f.m, CETS_BAD_ARGUMENT, tg_surrender(&f.m, f.e1, f.e1, Y, 0, NULL));
    TR_REJECT(&f.m, CETS_BAD_ARGUMENT, tg_surrender(&f.m, f.e1, f.e1, Y, -5, NULL));
    /* the authority may surrender for the entity (compulsory) */
    TR_OK(&f.m, tg_surrender(&f.m, f.au, f.e1, Y, 100, NULL));
    const cets_event *ev = tm_last_event(&f.m, CETS_EV_REGISTRY);
    assert_non_null(ev);
    assert_int_equal(ev->u.reg.compulsory, 1);
    tm_free(&f.m);
}

/* ---- voluntary cancellation --------------------------------------------------------------------- */

static void test_retire(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, NULL);
    tg_credit(&f.m, f.inst, f.c25, 1000);
    tg_credit(&f.m, f.ind, f.ccer, 1000);
    const char *bad[] = {"", "no bar", "|reason", "beneficiary|"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        TR_REJECT(&f.m, CETS_BAD_TEXT, tg_retire(&f.m, f.inst, f.inst, f.c25, 10, bad[i]));
    TR_REJECT(&f.m, CETS_NOT_AUTHORISED, tg_retire(&f.m, f.au, f.inst, f.c25, 10, "a|b"));
    TR_REJECT(&f.m, CETS_UNKNOWN_PARTICIPANT, tg_retire(&f.m, 999, 999, f.c25, 10, "a|b"));
    TR_REJECT(&f.m, CETS_UNKNOWN_INSTRUMENT, tg_retire(&f.m, f.inst, f.inst, 9, 10, "a|b"));
    TR_REJECT(&f.m, CETS_BAD_ARGUMENT, tg_retire(&f.m, f.inst, f.inst, f.c25, 0, "a|b"));
    TR_REJECT(&f.m, CETS_INSUFFICIENT_HOLDINGS,
              tg_retire(&f.m, f.inst, f.inst, f.c25, 1001, "a|b"));
    TR_OK(&f.m, tg_retire(&f.m, f.inst, f.inst, f.c25, 400, "Shanghai Marathon|event 2025"));
    cets_registry_move mv[2];
    assert_int_equal(tg_moves(&f.m, mv, 2), 1);
    assert_int_equal(mv[0].kind, CETS_REG_RETIRE);
    assert_int_equal(mv[0].qty, 400);
    assert_string_equal(mv[0].text, "Shanghai Marathon|event 2025");
    assert_int_equal(avail(&f, f.inst, f.c25), 600);
    assert_int_equal(retired(&f, f.c25), 400);
    assert_int_equal(issued(&f, f.c25), 1000);
    /* any holder: an individual cancels CCER */
    TR_OK(&f.m, tg_retire(&f.m, f.ind, f.ind, f.ccer, 1000, "family|flights"));
    assert_int_equal(tg_held(&f.m, f.ind, f.ccer), 0);
    /* bought today: T+1 */
    cets_result r;
    TR_OK(&f.m, tm_post(&f.m, f.inst, f.c25, CETS_SELL, 6001, 600, &r));
    cets_target t = {r.order_id, 600};
    TR_OK(&f.m, tm_take_targets(&f.m, f.e1, f.c25, CETS_BUY, 1, &t, NULL));
    TR_REJECT(&f.m, CETS_T1_LOCKED, tg_retire(&f.m, f.e1, f.e1, f.c25, 600, "a|b"));
    tm_free(&f.m);
}

/* ---- transfers: four eyes ---------------------------------------------------------------------- */

static void test_transfer_four_eyes(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, NULL);
    TR_OK(&f.m, tg_allocate(&f.m, f.au, f.e1, f.c25, 10000, 0, 0, 0));
    cets_result r;
    TR_OK(&f.m, tg_transfer(&f.m, f.e1, f.e1, f.e2, f.c25, 4000, 7, &r));
    uint64_t id = r.order_id;
    cets_registry_move mv[2];
    assert_int_equal(tg_moves(&f.m, mv, 2), 1);
    assert_int_equal(mv[0].kind, CETS_REG_TRANSFER_REQUEST);
    assert_int_equal(mv[0].counterparty, f.e2);
    assert_int_equal(mv[0].ref, id);
    assert_int_equal(mv[0].user, 7);
    /* the tonnes are frozen while the transfer waits */
    assert_int_equal(tm_hold(&f.m, f.e1, f.c25).frozen, 4000);
    assert_int_equal(avail(&f, f.e1, f.c25), 6000);
    TR_REJECT(&f.m, CETS_INSUFFICIENT_HOLDINGS,
              tm_post(&f.m, f.e1, f.c25, CETS_SELL, 6001, 6001, NULL));
    TR_REJECT(&f.m, CETS_INSUFFICIENT_HOLDINGS, tg_retire(&f.m, f.e1, f.e1, f.c25, 6001, "a|b"));
    /* the asker's user may not approve it */
    TR_REJECT(&f.m, CETS_FOUR_EYES,
              tg_transfer_decide(&f.m, CETS_CMD_TRANSFER_APPROVE, f.e1, id, 7));
    TR_REJECT(&f.m, CETS_FOUR_EYES,
              tg_transfer_decide(&f.m, CETS_CMD_TRANSFER_APPROVE, f.e1, id, 0));
    TR_REJECT(&f.m, CETS_NOT_OWNER,
              tg_transfer_decide(&f.m, CETS_CMD_TRANSFER_APPROVE, f.e2, id, 8));
    TR_REJECT(&f.m, CETS_NOT_OWNER,
              tg_transfer_decide(&f.m, CETS_CMD_TRANSFER_APPROVE, f.au, id, 8));
    TR_REJECT(&f.m, CETS_UNKNOWN_TRANSFER,
              tg_transfer_decide(&f.m, CETS_CMD_TRANSFER_APPROVE, f.e1, 99, 8));
    TR_OK(&f.m, tg_transfer_decide(&f.m, CETS_CMD_TRANSFER_APPROVE, f.e1, id, 8));
    assert_int_equal(tg_moves(&f.m, mv, 2), 1);
    assert_int_equal(mv[0].kind, CETS_REG_TRANSFER_APPROVE);
    assert_int_equal(mv[0].user, 8);
    assert_int_equal(tm_hold(&f.m, f.e1, f.c25).frozen, 0);
    assert_int_equal(avail(&f, f.e1, f.c25), 6000);
    assert_int_equal(avail(&f, f.e2, f.c25), 4000); /* not a trade: no T+1 */
    cets_transfer_info ti;
    assert_int_equal(cets_transfer_get(f.m.e, id, &ti), CETS_OK);
    assert_int_equal(ti.status, 2);
    TR_REJECT(&f.m, CETS_UNKNOWN_TRANSFER,
              tg_transfer_decide(&f.m, CETS_CMD_TRANSFER_APPROVE, f.e1, id, 9));
    TR_REJECT(&f.m, CETS_UNKNOWN_TRANSFER,
              tg_transfer_decide(&f.m, CETS_CMD_TRANSFER_REJECT, f.e1, id, 9));
    /* rejected: the tonnes come back; the exchange may decide too */
    TR_OK(&f.m, tg_transfer(&f.m, f.e1, f.e1, f.inst, f.c25, 1000, 7, &r));
    TR_OK(&f.m,
          tg_transfer_decide(&f.m, CETS_CMD_TRANSFER_REJECT, CETS_EXCHANGE_ID, r.order_id, 7));
    assert_int_equal(avail(&f, f.e1, f.c25), 6000);
    assert_int_equal(cets_transfer_get(f.m.e, r.order_id, &ti), CETS_OK);
    assert_int_equal(ti.status, 3);
    TR_OK(&f.m, tg_transfer(&f.m, f.e1, f.e1, f.inst, f.c25, 1000, 7, &r));
    TR_OK(&f.m,
          tg_transfer_decide(&f.m, CETS_CMD_TRANSFER_APPROVE, CETS_EXCHANGE_ID, r.order_id, 3));
    assert_int_equal(avail(&f, f.inst, f.c25), 1000);
    tm_free(&f.m);
}

static void test_transfer_rejections(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, NULL);
    TR_OK(&f.m, tg_allocate(&f.m, f.au, f.e1, f.c25, 10000, 0, 0, 0));
    TR_REJECT(&f.m, CETS_BAD_ARGUMENT, tg_transfer(&f.m, f.e1, f.e1, f.e2, f.c25, 100, 0, NULL));
    TR_REJECT(&f.m, CETS_BAD_ARGUMENT, tg_transfer(&f.m, f.e1, f.e1, f.e1, f.c25, 100, 7, NULL));
    TR_REJECT(&f.m, CETS_BAD_ARGUMENT, tg_transfer(&f.m, f.e1, f.e1, f.e2, f.c25, 0, 7, NULL));
    TR_REJECT(&f.m, CETS_UNKNOWN_PARTICIPANT,
              tg_transfer(&f.m, f.e1, f.e1, 999, f.c25, 100, 7, NULL));
    TR_REJECT(&f.m, CETS_UNKNOWN_PARTICIPANT,
              tg_transfer(&f.m, f.e1, f.e1, 0, f.c25, 100, 7, NULL));
    TR_REJECT(&f.m, CETS_NOT_AUTHORISED, tg_transfer(&f.m, f.e2, f.e1, f.e2, f.c25, 100, 7, NULL));
    TR_REJECT(&f.m, CETS_UNKNOWN_INSTRUMENT, tg_transfer(&f.m, f.e1, f.e1, f.e2, 9, 100, 7, NULL));
    TR_REJECT(&f.m, CETS_KIND_NOT_ALLOWED,
              tg_transfer(&f.m, f.e1, f.e1, f.ind, f.c25, 100, 7, NULL));
    TR_REJECT(&f.m, CETS_INSUFFICIENT_HOLDINGS,
              tg_transfer(&f.m, f.e1, f.e1, f.e2, f.c25, 10001, 7, NULL));
    tg_credit(&f.m, f.e1, f.ccer, 100);
    TR_OK(&f.m, tg_transfer(&f.m, f.e1, f.e1, f.ind, f.ccer, 100, 7, NULL)); /* CCER: fine */
    tm_free(&f.m);
}

/* ---- judicial freeze ------------------------------------------------------------------------------- */

static void test_judicial_freeze(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, NULL);
    TR_OK(&f.m, tg_allocate(&f.m, f.au, f.e1, f.c25, 300000, 0, 0, 0));
    TR_OK(&f.m, tg_emissions(&f.m, f.au, f.e1, Y, 100000));
    cets_result r;
    TR_OK(&f.m, tg_transfer(&f.m, f.e1, f.e1, f.e2, f.c25, 1000, 7, &r));
    uint64_t pending = r.order_id;
    TR_REJECT(&f.m, CETS_NOT_AUTHORISED, tg_judicial(&f.m, f.e2, f.e1, 1));
    TR_REJECT(&f.m, CETS_UNKNOWN_PARTICIPANT, tg_judicial(&f.m, f.au, CETS_EXCHANGE_ID, 1));
    TR_REJECT(&f.m, CETS_UNKNOWN_PARTICIPANT, tg_judicial(&f.m, f.au, 999, 1));
    TR_REJECT(&f.m, CETS_BAD_ARGUMENT, tg_judicial(&f.m, f.au, f.e1, 2));
    TR_OK(&f.m, tg_judicial(&f.m, f.au, f.e1, 1));
    cets_registry_move mv[2];
    assert_int_equal(tg_moves(&f.m, mv, 2), 1);
    assert_int_equal(mv[0].kind, CETS_REG_FREEZE);
    cets_participant_info pi;
    cets_participant_get(f.m.e, f.e1, &pi);
    assert_int_equal(pi.status, CETS_PS_FROZEN);
    /* trading, transfers and cancellation are blocked ... */
    TR_REJECT(&f.m, CETS_PARTICIPANT_FROZEN, tm_post(&f.m, f.e1, f.c25, CETS_SELL, 6001, 10, NULL));
    tm_at(&f.m, 13, 30);
    TR_REJECT(&f.m, CETS_PARTICIPANT_FROZEN,
              tg_block(&f.m, CETS_CMD_BLOCK_PROPOSE, f.e1, f.c25, CETS_SELL, 6001, 100000, 0,
                       f.inst, NULL));
    TR_REJECT(&f.m, CETS_PARTICIPANT_FROZEN,
              tg_transfer(&f.m, f.e1, f.e1, f.e2, f.c25, 10, 7, NULL));
    TR_REJECT(&f.m, CETS_PARTICIPANT_FROZEN,
              tg_transfer_decide(&f.m, CETS_CMD_TRANSFER_APPROVE, f.e1, pending, 8));
    TR_REJECT(&f.m, CETS_PARTICIPANT_FROZEN, tg_retire(&f.m, f.e1, f.e1, f.c25, 10, "a|b"));
    TR_REJECT(&f.m, CETS_PARTICIPANT_FROZEN, tg_surrender(&f.m, f.e1, f.e1, Y, 10, NULL));
    /* ... a pending transfer may still be turned down, releasing its tonnes ... */
    TR_OK(&f.m, tg_transfer_decide(&f.m, CETS_CMD_TRANSFER_REJECT, f.e1, pending, 8));
    assert_int_equal(tm_hold(&f.m, f.e1, f.c25).frozen, 0);
    /* ... and the authority's compulsory surrender goes through */
    TR_OK(&f.m, tg_surrender(&f.m, f.au, f.e1, Y, 100000, NULL));
    assert_int_equal(comp(&f, f.e1).surrendered_cea, 100000);
    /* the exchange may lift it too */
    TR_OK(&f.m, tg_judicial(&f.m, CETS_EXCHANGE_ID, f.e1, 0));
    assert_int_equal(tg_moves(&f.m, mv, 2), 1);
    assert_int_equal(mv[0].kind, CETS_REG_UNFREEZE);
    TR_OK(&f.m, tg_retire(&f.m, f.e1, f.e1, f.c25, 10, "a|b"));
    tm_free(&f.m);
}

/* A freeze stops every movement of the frozen participant's funds too, not
 * only of its holdings: no withdrawal, neither by itself nor by the exchange
 * for it (issue 10, finding 2). Money may still come in, and a bad command
 * is still refused for what is wrong with it first. */
static void test_judicial_freeze_funds(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, NULL);
    TR_OK(&f.m, tr_cmd(&f.m, CETS_CMD_WITHDRAW, f.e1, f.e1, 0, 1000, 0));
    TR_OK(&f.m, tg_judicial(&f.m, f.au, f.e1, 1));
    int64_t before = tm_avail(&f.m, f.e1);
    TR_REJECT(&f.m, CETS_PARTICIPANT_FROZEN,
              tr_cmd(&f.m, CETS_CMD_WITHDRAW, f.e1, f.e1, 0, 100000, 0));
    TR_REJECT(&f.m, CETS_PARTICIPANT_FROZEN,
              tr_cmd(&f.m, CETS_CMD_WITHDRAW, CETS_EXCHANGE_ID, f.e1, 0, 100000, 0));
    TR_REJECT(&f.m, CETS_PARTICIPANT_FROZEN, tr_cmd(&f.m, CETS_CMD_WITHDRAW, f.e1, f.e1, 0, 1, 0));
    TR_REJECT(&f.m, CETS_BAD_ARGUMENT, tr_cmd(&f.m, CETS_CMD_WITHDRAW, f.e1, f.e1, 0, 0, 0));
    TR_REJECT(&f.m, CETS_UNKNOWN_PARTICIPANT,
              tr_cmd(&f.m, CETS_CMD_WITHDRAW, CETS_EXCHANGE_ID, 999, 0, 100, 0));
    assert_int_equal(tm_avail(&f.m, f.e1), before);
    /* others' withdrawals go on */
    TR_OK(&f.m, tr_cmd(&f.m, CETS_CMD_WITHDRAW, f.e2, f.e2, 0, 100000, 0));
    /* deposits and allocations still arrive */
    TR_OK(&f.m, tr_cmd(&f.m, CETS_CMD_DEPOSIT, CETS_EXCHANGE_ID, f.e1, 0, 5000, 0));
    TR_OK(&f.m, tg_allocate(&f.m, f.au, f.e1, f.c25, 1000, 0, 0, 0));
    assert_int_equal(tm_avail(&f.m, f.e1), before + 5000);
    /* the same through a status set by the operator */
    TR_OK(&f.m, tg_judicial(&f.m, f.au, f.e1, 0));
    TR_OK(&f.m,
          tr_cmd(&f.m, CETS_CMD_PARTICIPANT_STATUS, CETS_EXCHANGE_ID, f.e1, 0, 0, CETS_PS_FROZEN));
    TR_REJECT(&f.m, CETS_PARTICIPANT_FROZEN,
              tr_cmd(&f.m, CETS_CMD_WITHDRAW, f.e1, f.e1, 0, 100, 0));
    /* a suspension does not stop withdrawals */
    TR_OK(&f.m, tr_cmd(&f.m, CETS_CMD_PARTICIPANT_STATUS, CETS_EXCHANGE_ID, f.e1, 0, 0,
                       CETS_PS_SUSPENDED));
    TR_OK(&f.m, tr_cmd(&f.m, CETS_CMD_WITHDRAW, f.e1, f.e1, 0, 100, 0));
    /* lifted: withdrawals work again */
    TR_OK(&f.m,
          tr_cmd(&f.m, CETS_CMD_PARTICIPANT_STATUS, CETS_EXCHANGE_ID, f.e1, 0, 0, CETS_PS_ACTIVE));
    TR_OK(&f.m, tr_cmd(&f.m, CETS_CMD_WITHDRAW, CETS_EXCHANGE_ID, f.e1, 0, 100000, 0));
    assert_int_equal(tm_avail(&f.m, f.e1), before + 5000 - 100 - 100000);
    tm_free(&f.m);
}

/* A freeze cancels the frozen participant's resting listings: nothing of it
 * can trade afterwards, so its holdings do not move. */
static void test_judicial_freeze_resting_orders(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, NULL);
    TR_OK(&f.m, tg_allocate(&f.m, f.au, f.e1, f.c25, 300000, 0, 0, 0));
    cets_result r;
    TR_OK(&f.m, tm_post(&f.m, f.e1, f.c25, CETS_SELL, 6001, 1000, &r));
    /* a block proposal, a bid in another's auction and an auction of its own */
    tm_at(&f.m, 13, 30);
    TR_OK(&f.m, tg_block(&f.m, CETS_CMD_BLOCK_PROPOSE, f.e1, f.c25, CETS_SELL, 6000, 100000, 0,
                         f.inst, &r));
    uint64_t proposal = r.order_id;
    TR_OK(&f.m, tg_auction(&f.m, CETS_EXCHANGE_ID, f.e1, f.c25, CETS_SELL, 100000, f.m.now,
                           f.m.now + 3600000000000LL, 0, 0, 0, &r));
    uint64_t own_auction = r.order_id;
    TR_OK(&f.m, tg_allocate(&f.m, f.au, f.e2, f.c25, 300000, 0, 0, 0));
    TR_OK(&f.m, tg_auction(&f.m, CETS_EXCHANGE_ID, f.e2, f.c25, CETS_SELL, 100000, f.m.now,
                           f.m.now + 3600000000000LL, 0, 0, 0, &r));
    uint64_t other_auction = r.order_id;
    TR_OK(&f.m, tg_bid(&f.m, f.e1, other_auction, 6001, 1000, NULL));
    assert_true(tm_frozen(&f.m, f.e1) > 0);
    TR_OK(&f.m, tg_judicial(&f.m, f.au, f.e1, 1));
    /* everything of it is off the market, every reservation released */
    assert_int_equal(tm_hold(&f.m, f.e1, f.c25).frozen, 0);
    assert_int_equal(tm_frozen(&f.m, f.e1), 0);
    cets_block_info bi;
    assert_int_equal(cets_block_get(f.m.e, proposal, &bi), CETS_OK);
    assert_int_equal(bi.status, CETS_BLOCK_WITHDRAWN);
    cets_auction_info ai;
    assert_int_equal(cets_auction_get(f.m.e, own_auction, &ai), CETS_OK);
    assert_int_equal(ai.status, CETS_AUCTION_CANCELLED);
    int rc = tm_take_limit(&f.m, f.inst, f.c25, CETS_BUY, 1000, 6001, NULL);
    assert_int_equal(rc, CETS_NO_LIQUIDITY);
    TR_REJECT(&f.m, CETS_UNKNOWN_BLOCK,
              tg_block(&f.m, CETS_CMD_BLOCK_ACCEPT, f.inst, f.c25, CETS_BUY, 6000, 100000, proposal,
                       0, NULL));
    /* a frozen participant may not start an auction either */
    TR_REJECT(&f.m, CETS_PARTICIPANT_FROZEN,
              tg_auction(&f.m, CETS_EXCHANGE_ID, f.e1, f.c25, CETS_SELL, 100000, f.m.now,
                         f.m.now + 3600000000000LL, 0, 0, 0, NULL));
    tm_at(&f.m, 15, 0);
    TR_OK(&f.m, tg_auction_cmd(&f.m, CETS_CMD_AUCTION_CLOSE, CETS_EXCHANGE_ID, other_auction));
    assert_int_equal(tg_held(&f.m, f.e1, f.c25), 300000);
    tm_free(&f.m);
}

/* Verified emissions cannot be recorded for a year whose deadline has been
 * processed, and a deadline runs once per year. */
static void test_closed_year(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, NULL);
    TR_OK(&f.m, tg_deadline(&f.m, f.au, Y));
    TR_REJECT(&f.m, CETS_YEAR_CLOSED, tg_emissions(&f.m, f.au, f.e1, Y, 1000));
    TR_REJECT(&f.m, CETS_YEAR_CLOSED, tg_deadline(&f.m, f.au, Y));
    TR_OK(&f.m, tg_emissions(&f.m, f.au, f.e1, Y + 1, 1000));
    tm_free(&f.m);
}

/* ---- deadline ----------------------------------------------------------------------------------------- */

/* Composite price = mean of the CEA closes, half-up: (50.00 + 55.00 + 60.01) / 3
 * = 55.0033... -> 55.00. Penalty = shortfall x composite x 5. */
static void test_deadline(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, NULL);
    uint32_t e3 = tg_party(&f.m, CETS_PK_ENTITY, "chemicals", 0);
    TR_OK(&f.m, tg_allocate(&f.m, f.au, f.e1, f.c25, 100000, 0, 0, 0));
    TR_OK(&f.m, tg_allocate(&f.m, f.au, f.e2, f.c25, 60000, 0, 0, 0));
    TR_OK(&f.m, tg_emissions(&f.m, f.au, f.e1, Y, 100000));
    TR_OK(&f.m, tg_emissions(&f.m, f.au, f.e2, Y, 61234));
    TR_OK(&f.m, tg_emissions(&f.m, f.au, e3, Y, 0));
    TR_OK(&f.m, tg_surrender(&f.m, f.e1, f.e1, Y, 100000, NULL));
    TR_OK(&f.m, tg_surrender(&f.m, f.e2, f.e2, Y, 60000, NULL));
    assert_int_equal(cets_composite_price(f.m.e), (5000 + 5500 + 6001 + 1) / 3);
    TR_REJECT(&f.m, CETS_NOT_AUTHORISED, tg_deadline(&f.m, CETS_EXCHANGE_ID, Y));
    TR_REJECT(&f.m, CETS_NOT_AUTHORISED, tg_deadline(&f.m, f.e1, Y));
    TR_REJECT(&f.m, CETS_BAD_ARGUMENT, tg_deadline(&f.m, f.au, 1999));
    TR_OK(&f.m, tg_deadline(&f.m, f.au, Y));
    cets_registry_move mv[8];
    assert_int_equal(tg_moves(&f.m, mv, 8), 3);
    int64_t composite = 5500, shortfall = 1234, penalty = shortfall * composite * 5;
    assert_int_equal(mv[1].kind, CETS_REG_DEADLINE);
    assert_int_equal(mv[1].participant, f.e2);
    assert_int_equal(mv[1].obligation, 61234);
    assert_int_equal(mv[1].qty, 60000);
    assert_int_equal(mv[1].shortfall, shortfall);
    assert_int_equal(mv[1].penalty, penalty);
    cets_compliance c = comp(&f, f.e1);
    assert_int_equal(c.status, CETS_COMPLIANCE_COMPLIANT);
    assert_int_equal(c.shortfall, 0);
    assert_int_equal(c.penalty, 0);
    c = comp(&f, f.e2);
    assert_int_equal(c.status, CETS_COMPLIANCE_SHORTFALL);
    assert_int_equal(c.shortfall, shortfall);
    assert_int_equal(c.penalty, penalty);
    assert_int_equal(comp(&f, e3).status, CETS_COMPLIANCE_COMPLIANT);
    assert_int_equal(cets_deduction_owed(f.m.e, f.e2), shortfall);
    assert_int_equal(cets_deduction_owed(f.m.e, f.e1), 0);
    /* the year is closed */
    TR_REJECT(&f.m, CETS_YEAR_CLOSED, tg_deadline(&f.m, f.au, Y));
    TR_REJECT(&f.m, CETS_YEAR_CLOSED, tg_emissions(&f.m, f.au, f.e2, Y, 70000));
    TR_OK(&f.m, tg_allocate(&f.m, f.au, f.e1, f.c24, 1000, 0, 0, 0));
    TR_OK(&f.m, tg_emissions(&f.m, f.au, f.e1, Y + 1, 10));
    TR_REJECT(&f.m, CETS_YEAR_CLOSED, tg_surrender(&f.m, f.e2, f.e2, Y, 1, NULL));
    /* the shortfall comes out of the next allocations: 1,000 of 1,234 first ... */
    TR_OK(&f.m, tg_allocate(&f.m, f.au, f.e2, f.c25, 1000, 0, 7, 8));
    assert_int_equal(tg_moves(&f.m, mv, 8), 1);
    assert_int_equal(mv[0].qty, 0);
    assert_int_equal(mv[0].deducted, 1000);
    assert_int_equal(avail(&f, f.e2, f.c25), 0);
    assert_int_equal(cets_deduction_owed(f.m.e, f.e2), 234);
    /* ... then the other 234; a take-back deducts nothing */
    TR_OK(&f.m, tg_allocate(&f.m, f.au, f.e2, f.c24, 50000, 1, 0, 0));
    assert_int_equal(tg_moves(&f.m, mv, 8), 1);
    assert_int_equal(mv[0].qty, 49766);
    assert_int_equal(mv[0].deducted, 234);
    assert_int_equal(cets_deduction_owed(f.m.e, f.e2), 0);
    assert_int_equal(avail(&f, f.e2, f.c24), 49766);
    assert_int_equal(issued(&f, f.c24), 1000 + 49766);
    tm_free(&f.m);
}

/* Withholding alone settles a shortfall, oldest year first, on the date of the
 * allocation that makes it up. */
static void test_deadline_settled_by_withholding(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, NULL);
    TR_OK(&f.m, tg_emissions(&f.m, f.au, f.e1, Y, 700));
    TR_OK(&f.m, tg_emissions(&f.m, f.au, f.e1, Y + 1, 300));
    TR_OK(&f.m, tg_deadline(&f.m, f.au, Y));
    TR_OK(&f.m, tg_deadline(&f.m, f.au, Y + 1));
    int32_t deadline_date = cets_trading_date(f.m.e);
    TR_OK(&f.m, tm_eod(&f.m));
    tm_at(&f.m, 10, 0);
    int32_t day2 = cets_trading_date(f.m.e);
    assert_true(day2 > deadline_date);
    TR_OK(&f.m, tg_allocate(&f.m, f.au, f.e1, f.c25, 900, 0, 0, 0)); /* 700 + 200 */
    cets_compliance a = comp(&f, f.e1), b;
    assert_int_equal(cets_compliance_get(f.m.e, f.e1, Y + 1, &b), CETS_OK);
    assert_int_equal(a.status, CETS_COMPLIANCE_SETTLED);
    assert_int_equal(a.settled_date, day2);
    assert_int_equal(a.shortfall, 700);
    assert_int_equal(a.withheld, 700);
    assert_int_equal(a.surrendered_cea, 0);
    assert_int_equal(b.status, CETS_COMPLIANCE_SHORTFALL);
    assert_int_equal(b.withheld, 200);
    assert_int_equal(b.settled_date, 0);
    TR_OK(&f.m, tm_eod(&f.m));
    tm_at(&f.m, 10, 0);
    TR_OK(&f.m, tg_allocate(&f.m, f.au, f.e1, f.c24, 100, 0, 0, 0));
    assert_int_equal(cets_compliance_get(f.m.e, f.e1, Y + 1, &b), CETS_OK);
    assert_int_equal(b.status, CETS_COMPLIANCE_SETTLED);
    assert_int_equal(b.settled_date, cets_trading_date(f.m.e));
    assert_int_equal(cets_deduction_owed(f.m.e, f.e1), 0);
    /* settled: nothing more to surrender for those years */
    tg_credit(&f.m, f.e1, f.c24, 10);
    TR_REJECT(&f.m, CETS_OVER_SURRENDER, tg_surrender(&f.m, f.au, f.e1, Y, 1, NULL));
    tm_free(&f.m);
}

/* A shortfall is made good by what is withheld from the next allocations and
 * by late compulsory surrender: both shrink what is owed, and once nothing is
 * owed the year shows a shortfall settled on that date. The record keeps what
 * happened: the shortfall and penalty of the deadline stand, the withheld and
 * late-surrendered tonnes are counted apart, nothing is re-labelled
 * "surrendered" or "compliant". */
static void test_deadline_late_surrender(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, NULL);
    TR_OK(&f.m, tg_emissions(&f.m, f.au, f.e1, Y, 5000));
    TR_OK(&f.m, tg_deadline(&f.m, f.au, Y));
    int64_t penalty = comp(&f, f.e1).penalty;
    assert_int_equal(cets_deduction_owed(f.m.e, f.e1), 5000);
    TR_OK(&f.m, tg_allocate(&f.m, f.au, f.e1, f.c25, 3000, 0, 0, 0)); /* all withheld */
    assert_int_equal(cets_deduction_owed(f.m.e, f.e1), 2000);
    cets_compliance c = comp(&f, f.e1);
    assert_int_equal(c.shortfall, 5000);
    assert_int_equal(c.withheld, 3000);
    assert_int_equal(c.surrendered_cea, 0);
    assert_int_equal(c.status, CETS_COMPLIANCE_SHORTFALL);
    assert_int_equal(c.settled_date, 0);
    tg_credit(&f.m, f.e1, f.c24, 6000);
    TR_OK(&f.m, tg_surrender(&f.m, f.au, f.e1, Y, 1500, NULL));
    c = comp(&f, f.e1);
    assert_int_equal(c.shortfall, 5000);
    assert_int_equal(c.late_surrendered, 1500);
    assert_int_equal(c.surrendered_cea, 1500);
    assert_int_equal(c.status, CETS_COMPLIANCE_SHORTFALL);
    assert_int_equal(cets_deduction_owed(f.m.e, f.e1), 500);
    TR_OK(&f.m, tm_eod(&f.m)); /* settled on the next trading day, not the deadline's */
    int32_t next = cets_trading_date(f.m.e);
    tm_at(&f.m, 10, 0);
    TR_OK(&f.m, tg_surrender(&f.m, f.au, f.e1, Y, 500, NULL));
    c = comp(&f, f.e1);
    assert_int_equal(c.shortfall, 5000);
    assert_int_equal(c.withheld, 3000);
    assert_int_equal(c.late_surrendered, 2000);
    assert_int_equal(c.status, CETS_COMPLIANCE_SETTLED);
    assert_int_equal(c.settled_date, next);
    assert_int_equal(c.penalty, penalty);
    assert_int_equal(cets_deduction_owed(f.m.e, f.e1), 0);
    TR_REJECT(&f.m, CETS_OVER_SURRENDER, tg_surrender(&f.m, f.au, f.e1, Y, 1, NULL));
    tm_free(&f.m);
}

/* Half-up on the penalty: with a 1.2345x multiple, 1 t x 50.00 x 1.2345 =
 * 61.725 CNY -> 61.73 (6,173 fen). */
static void test_deadline_penalty_rounding(void **state)
{
    (void)state;
    cets_config cfg;
    cets_config_default(&cfg);
    cfg.start_date = TM_DATE;
    cfg.penalty_multiple_bp = 12345;
    tmarket m;
    tm_init(&m, &cfg);
    tg_instrument(&m, "CEA25", CETS_PRODUCT_CEA, 5000);
    uint32_t au = tg_party(&m, CETS_PK_AUTHORITY, "MEE", 0);
    uint32_t e1 = tg_party(&m, CETS_PK_ENTITY, "a", 0), e2 = tg_party(&m, CETS_PK_ENTITY, "b", 0);
    TR_OK(&m, tg_emissions(&m, au, e1, Y, 1));
    TR_OK(&m, tg_emissions(&m, au, e2, Y, 3));
    TR_OK(&m, tg_deadline(&m, au, Y));
    cets_compliance c;
    assert_int_equal(cets_compliance_get(m.e, e1, Y, &c), CETS_OK);
    assert_int_equal(c.penalty, 6173);
    assert_int_equal(cets_compliance_get(m.e, e2, Y, &c), CETS_OK);
    assert_int_equal(c.penalty, 18518); /* 185.175 CNY */
    tm_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_allocation_pre_and_trueup),
        cmocka_unit_test(test_allocation_rejections),
        cmocka_unit_test(test_emissions),
        cmocka_unit_test(test_vintage_of_year),
        cmocka_unit_test(test_surrender_current_vintage_first),
        cmocka_unit_test(test_surrender_without_current_vintage),
        cmocka_unit_test(test_surrender_named),
        cmocka_unit_test(test_surrender_ccer_cap),
        cmocka_unit_test(test_surrender_over_obligation),
        cmocka_unit_test(test_surrender_rejections),
        cmocka_unit_test(test_retire),
        cmocka_unit_test(test_transfer_four_eyes),
        cmocka_unit_test(test_transfer_rejections),
        cmocka_unit_test(test_judicial_freeze),
        cmocka_unit_test(test_judicial_freeze_funds),
        cmocka_unit_test(test_judicial_freeze_resting_orders),
        cmocka_unit_test(test_closed_year),
        cmocka_unit_test(test_deadline),
        cmocka_unit_test(test_deadline_late_surrender),
        cmocka_unit_test(test_deadline_settled_by_withholding),
        cmocka_unit_test(test_deadline_penalty_rounding),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
