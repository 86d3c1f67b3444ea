/* test_holders.c -- the large-holder report (holders.c): at the threshold
 * and one tonne past it, by share of issuance and by tonnage, now and at the
 * last end of day; crossing it during a day is a LARGE_HOLDER event at the
 * end of the day (and a near miss is none), the same on replay. */
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

typedef struct got {
    cets_large_holder h[16];
    uint32_t n;
} got;

static void collect(void *ctx, const cets_large_holder *h)
{
    got *g = ctx;
    if (g->n < 16) g->h[g->n++] = *h;
}

/* Issuance 100,000 t: a holds 5,001 (above 5%), b 5,000 (at it), c 4,000;
 * the rest with the exchange's seller s (95% less the others: large too). */
typedef struct hm {
    tmarket m;
    uint32_t iid, a, b, c, s;
} hm;

static void hm_init(hm *x)
{
    tm_init(&x->m, NULL);
    x->iid = tm_instrument(&x->m, "CEA25", CETS_PRODUCT_CEA, CETS_MATCH_LISTING, 5000);
    x->a = tm_participant(&x->m, CETS_PK_ENTITY, "a", RICH);
    x->b = tm_participant(&x->m, CETS_PK_ENTITY, "b", RICH);
    x->c = tm_participant(&x->m, CETS_PK_INSTITUTION, "c", RICH);
    x->s = tm_participant(&x->m, CETS_PK_ENTITY, "s", RICH);
    tm_credit(&x->m, x->a, x->iid, 5001);
    tm_credit(&x->m, x->b, x->iid, 5000);
    tm_credit(&x->m, x->c, x->iid, 4000);
    tm_credit(&x->m, x->s, x->iid, 100000 - 14001);
}

static void test_report_now(void **state)
{
    (void)state;
    hm x;
    hm_init(&x);
    got g = {0};
    assert_int_equal(cets_large_holders(x.m.e, false, collect, &g), 2);
    assert_int_equal(g.h[0].participant, x.a);
    assert_int_equal(g.h[0].held, 5001);
    assert_int_equal(g.h[0].issued, 100000);
    assert_int_equal(g.h[0].share_bp, 500);
    assert_int_equal(g.h[1].participant, x.s);
    /* frozen tonnes count: b sells 1 and still holds it until it trades */
    cets_result r;
    assert_int_equal(tm_post(&x.m, x.b, x.iid, CETS_SELL, 5000, 1, &r), CETS_OK);
    assert_int_equal(cets_large_holders(x.m.e, false, NULL, NULL), 2);
    /* bought today counts: c buys it, b falls to 4,999, c to 4,001 */
    cets_target t = {r.order_id, 1};
    assert_int_equal(tm_take_targets(&x.m, x.a, x.iid, CETS_BUY, 1, &t, NULL), CETS_OK);
    g.n = 0;
    cets_large_holders(x.m.e, false, collect, &g);
    assert_int_equal(g.h[0].held, 5002);
    /* by tonnes: above 4,000 t (c holds exactly 4,000: not listed) */
    assert_int_equal(tm_param_now(&x.m, CETS_PARAM_LARGE_SHARE, 0), CETS_OK);
    assert_int_equal(tm_param_now(&x.m, CETS_PARAM_LARGE_TONNES, 4000), CETS_OK);
    g.n = 0;
    assert_int_equal(cets_large_holders(x.m.e, false, collect, &g), 3);
    assert_int_equal(g.h[1].participant, x.b);
    assert_int_equal(tm_param_now(&x.m, CETS_PARAM_LARGE_TONNES, 3999), CETS_OK);
    assert_int_equal(cets_large_holders(x.m.e, false, NULL, NULL), 4);
    /* both off: nobody */
    assert_int_equal(tm_param_now(&x.m, CETS_PARAM_LARGE_TONNES, 0), CETS_OK);
    assert_int_equal(cets_large_holders(x.m.e, false, NULL, NULL), 0);
    tm_free(&x.m);
}

static size_t crossings(const tmarket *m, cets_large_holder *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < m->nev; i++)
        if (m->ev[i].type == CETS_EV_LARGE_HOLDER && n < cap) out[n++] = m->ev[i].u.large;
    return n;
}

/* Monday the tonnes are issued: a and s open the week above the threshold.
 * Tuesday b buys 1 t (5,001: crosses above) and c buys 1,000 t to 5,000 (a
 * near miss); a sells 2 t to 4,999 (falls below). */
static void test_crossing_events(void **state)
{
    (void)state;
    hm x;
    hm_init(&x);
    tmarket *m = &x.m;
    tm_clear_events(m);
    assert_int_equal(tm_eod(m), CETS_OK);
    cets_large_holder ev[8];
    assert_int_equal(crossings(m, ev, 8), 2); /* issued today: from nothing to above */
    assert_int_equal(ev[0].participant, x.a);
    assert_int_equal(ev[0].above, 1);
    assert_int_equal(ev[1].participant, x.s);
    tm_at(m, 10, 0);
    cets_result r;
    assert_int_equal(tm_post(m, x.s, x.iid, CETS_SELL, 5000, 1001, &r), CETS_OK);
    cets_target t = {r.order_id, 1};
    assert_int_equal(tm_take_targets(m, x.b, x.iid, CETS_BUY, 1, &t, NULL), CETS_OK);
    t.qty = 1000;
    assert_int_equal(tm_take_targets(m, x.c, x.iid, CETS_BUY, 1, &t, NULL), CETS_OK);
    assert_int_equal(tm_post(m, x.a, x.iid, CETS_SELL, 5000, 2, &r), CETS_OK);
    t = (cets_target){r.order_id, 2};
    assert_int_equal(tm_take_targets(m, x.s, x.iid, CETS_BUY, 1, &t, NULL), CETS_OK);
    tm_clear_events(m);
    assert_int_equal(tm_eod(m), CETS_OK);
    assert_int_equal(crossings(m, ev, 8), 2);
    assert_int_equal(ev[0].participant, x.a);
    assert_int_equal(ev[0].above, 0);
    assert_int_equal(ev[0].held, 4999);
    assert_int_equal(ev[1].participant, x.b);
    assert_int_equal(ev[1].above, 1);
    assert_int_equal(ev[1].held, 5001);
    /* the last day's report: as the day closed */
    got g = {0};
    assert_int_equal(cets_large_holders(m->e, true, collect, &g), 2);
    assert_int_equal(g.h[0].participant, x.b);
    assert_int_equal(g.h[1].participant, x.s);
    /* a quiet day: no crossing */
    tm_clear_events(m);
    assert_int_equal(tm_eod(m), CETS_OK);
    assert_int_equal(crossings(m, ev, 8), 0);
    tm_free(&x.m);
}

/* The same commands replayed give the same events. */
typedef struct evlog {
    cets_large_holder h[16];
    size_t n;
} evlog;

static void on_event(void *ctx, const cets_event *ev)
{
    evlog *l = ctx;
    if (ev->type == CETS_EV_LARGE_HOLDER && l->n < 16) l->h[l->n++] = ev->u.large;
}

static void test_replay(void **state)
{
    (void)state;
    evlog a = {0}, b = {0};
    for (int run = 0; run < 2; run++) {
        cets_config cfg;
        cets_config_default(&cfg);
        cfg.enforce_sessions = false;
        cets_engine *e = cets_engine_new(&cfg);
        cets_engine_set_listener(e, on_event, run ? (void *)&b : (void *)&a);
        uint64_t seq = 0;
        cets_cmd c = {.type = CETS_CMD_INSTRUMENT_ADD,
                      .actor = 1,
                      .aux = CETS_PRODUCT_CEA,
                      .price = 5000,
                      .seq = ++seq};
        snprintf(c.u.text, sizeof c.u.text, "CEA25");
        assert_int_equal(cets_apply(e, &c, NULL), CETS_OK);
        for (int p = 0; p < 3; p++) {
            cets_cmd pa = {
                .type = CETS_CMD_PARTICIPANT_ADD, .actor = 1, .aux = CETS_PK_ENTITY, .seq = ++seq};
            snprintf(pa.u.text, sizeof pa.u.text, "p%d", p);
            assert_int_equal(cets_apply(e, &pa, NULL), CETS_OK);
        }
        for (uint32_t p = 2; p <= 4; p++) {
            cets_cmd cr = {.type = CETS_CMD_HOLDING_CREDIT,
                           .actor = 1,
                           .participant = p,
                           .qty = p * 1000,
                           .seq = ++seq};
            assert_int_equal(cets_apply(e, &cr, NULL), CETS_OK);
            cets_cmd eod = {.type = CETS_CMD_END_OF_DAY, .actor = 1, .seq = ++seq};
            assert_int_equal(cets_apply(e, &eod, NULL), CETS_OK);
        }
        cets_engine_free(e);
    }
    assert_true(a.n >= 3);
    assert_int_equal(a.n, b.n);
    assert_memory_equal(a.h, b.h, a.n * sizeof a.h[0]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_report_now),
        cmocka_unit_test(test_crossing_events),
        cmocka_unit_test(test_replay),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
