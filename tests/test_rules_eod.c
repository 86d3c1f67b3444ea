/* test_rules_eod.c -- end of day: lapse, statistics (open, high, low, close
 * as a half-up VWAP, carry-over, change), next day's band, composite price,
 * cumulative totals, statements, and the move to the next trading day. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "tmarket.h"
#include "trules.h"

#define RICH 100000000000LL

typedef struct em {
    tmarket m;
    uint32_t a, b, c, d, e; /* CEA21 listing, CEA22 continuous, CCER listing, CEA23, CEA24 */
    uint32_t s, k;          /* seller, buyer */
} em;

static void em_init(em *x)
{
    tm_init(&x->m, NULL);
    x->a = tm_instrument(&x->m, "CEA21", CETS_PRODUCT_CEA, CETS_MATCH_LISTING, 5000);
    x->b = tm_instrument(&x->m, "CEA22", CETS_PRODUCT_CEA, CETS_MATCH_CONTINUOUS, 5000);
    x->c = tm_instrument(&x->m, "CCER", CETS_PRODUCT_CCER, CETS_MATCH_LISTING, 3000);
    x->d = tm_instrument(&x->m, "CEA23", CETS_PRODUCT_CEA, CETS_MATCH_LISTING, 4000);
    x->e = tm_instrument(&x->m, "CEA24", CETS_PRODUCT_CEA, CETS_MATCH_LISTING, 4000);
    x->s = tm_participant(&x->m, CETS_PK_ENTITY, "seller", RICH);
    x->k = tm_participant(&x->m, CETS_PK_INSTITUTION, "buyer", RICH);
    uint32_t all[5] = {x->a, x->b, x->c, x->d, x->e};
    for (int i = 0; i < 5; i++) {
        tm_credit(&x->m, x->s, all[i], 10000);
        tm_credit(&x->m, x->k, all[i], 10000);
    }
}

/* One trade of qty at price: the seller posts, the buyer takes (or crosses). */
static void trade(em *x, uint32_t iid, int64_t price, int64_t qty)
{
    tmarket *m = &x->m;
    cets_result r;
    int rc = tm_post(m, x->s, iid, CETS_SELL, price, qty, &r);
    if (rc != CETS_OK) fail_msg("post: %s", cets_reason_name(rc));
    cets_instrument_info ii;
    cets_instrument_get(m->e, iid, &ii);
    if (ii.matching == CETS_MATCH_CONTINUOUS) {
        rc = tm_post(m, x->k, iid, CETS_BUY, price, qty, &r);
    } else {
        cets_target t = {r.order_id, qty};
        rc = tm_take_targets(m, x->k, iid, CETS_BUY, 1, &t, &r);
    }
    if (rc != CETS_OK) fail_msg("take: %s", cets_reason_name(rc));
    assert_int_equal(r.filled_qty, qty);
}

static const cets_event *stats_of(const tmarket *m, uint32_t iid)
{
    for (size_t i = 0; i < m->nev; i++)
        if (m->ev[i].type == CETS_EV_DAY_STATS && m->ev[i].u.stats.instrument == iid)
            return &m->ev[i];
    return NULL;
}

static void check_ohlc(const cets_day_stats *s, int64_t prev, int64_t open, int64_t high,
                       int64_t low, int64_t close, int64_t change_bp)
{
    assert_int_equal(s->prev_close, prev);
    assert_int_equal(s->open, open);
    assert_int_equal(s->high, high);
    assert_int_equal(s->low, low);
    assert_int_equal(s->close, close);
    assert_int_equal(s->change_bp, change_bp);
    /* tomorrow's band comes from the close */
    assert_int_equal(s->next_upper, close * 11 / 10);
    assert_int_equal(s->next_lower, (close * 9 + 9) / 10);
}

static void test_day_stats_vwap_half_up(void **state)
{
    (void)state;
    em x;
    em_init(&x);
    tmarket *m = &x.m;
    /* CEA21: 5001, 5003, 2 x 4999 -> 20,002 / 4 = 5000.5 -> 5001 */
    trade(&x, x.a, 5001, 1);
    trade(&x, x.a, 5003, 1);
    trade(&x, x.a, 4999, 2);
    /* CEA22 (continuous): 5001, 2 x 5000 -> 15,001 / 3 = 5000.33 -> 5000 */
    trade(&x, x.b, 5001, 1);
    trade(&x, x.b, 5000, 2);
    /* CCER: 2 x 3001, 3000 -> 9,002 / 3 = 3000.67 -> 3001 */
    trade(&x, x.c, 3001, 2);
    trade(&x, x.c, 3000, 1);
    /* CEA24: 4001 -> change 1/4000 = 2.5 bp -> 3 */
    trade(&x, x.e, 4001, 1);
    /* today's statistics so far */
    cets_instrument_info ii;
    cets_instrument_get(m->e, x.a, &ii);
    assert_int_equal(ii.last, 4999);
    assert_int_equal(ii.today.close, 5001);
    assert_int_equal(ii.today.open, 5001);

    tm_clear_events(m);
    TR_OK(m, tm_eod(m));
    assert_int_equal(tm_count_events(m, CETS_EV_DAY_STATS), 5);
    const cets_day_stats *s = &stats_of(m, x.a)->u.stats;
    assert_int_equal(s->date, 20261130);
    assert_string_equal(s->code, "CEA21");
    check_ohlc(s, 5000, 5001, 5003, 4999, 5001, 2);
    assert_true(s->traded);
    assert_int_equal(s->volume[CETS_METHOD_LISTING], 4);
    assert_int_equal(s->value[CETS_METHOD_LISTING], 20002);
    assert_int_equal(s->trades[CETS_METHOD_LISTING], 3);
    assert_int_equal(s->volume[CETS_METHOD_BLOCK] + s->volume[CETS_METHOD_AUCTION], 0);
    assert_int_equal(s->total_volume, 4);
    assert_int_equal(s->total_value, 20002);
    assert_int_equal(s->cum_volume[CETS_METHOD_LISTING], 4);
    assert_int_equal(s->cum_value[CETS_METHOD_LISTING], 20002);

    s = &stats_of(m, x.b)->u.stats;
    check_ohlc(s, 5000, 5001, 5001, 5000, 5000, 0);
    assert_int_equal(s->volume[CETS_METHOD_LISTING], 3);
    assert_int_equal(s->value[CETS_METHOD_LISTING], 15001);

    s = &stats_of(m, x.c)->u.stats;
    check_ohlc(s, 3000, 3001, 3001, 3000, 3001, 3);

    s = &stats_of(m, x.e)->u.stats;
    check_ohlc(s, 4000, 4001, 4001, 4001, 4001, 3);

    /* no trade: everything carries over */
    s = &stats_of(m, x.d)->u.stats;
    check_ohlc(s, 4000, 4000, 4000, 4000, 4000, 0);
    assert_false(s->traded);
    assert_int_equal(s->total_volume, 0);
    assert_int_equal(s->next_upper, 4400);
    assert_int_equal(s->next_lower, 3600);

    /* composite: CEA only, (5001 + 5000 + 4000 + 4001) / 4 = 4500.5 -> 4501 */
    const cets_event *dc = tm_last_event(m, CETS_EV_DAY_CLOSED);
    assert_non_null(dc);
    assert_int_equal(dc->u.day.composite, 4501);
    cets_day_stats all[8];
    int64_t comp = 0;
    int32_t date = 0;
    assert_int_equal(cets_last_day_stats(m->e, all, 8, &comp, &date), 5);
    assert_int_equal(comp, 4501);
    assert_int_equal(date, 20261130);
    for (int i = 0; i < 5; i++) {
        const cets_day_stats *ev = &stats_of(m, all[i].instrument)->u.stats;
        assert_int_equal(all[i].close, ev->close);
        assert_int_equal(all[i].open, ev->open);
        assert_int_equal(all[i].total_value, ev->total_value);
    }
    assert_int_equal(cets_composite_price(m->e), 4501);
    /* the closes became the previous closes */
    cets_instrument_get(m->e, x.a, &ii);
    assert_int_equal(ii.prev_close, 5001);
    assert_int_equal(ii.upper, 5501);
    assert_int_equal(ii.lower, 4501);
    assert_int_equal(ii.last, 0);
    cets_instrument_get(m->e, x.d, &ii);
    assert_int_equal(ii.prev_close, 4000);
    tm_free(m);
}

static void test_next_day_band_from_close(void **state)
{
    (void)state;
    em x;
    em_init(&x);
    tmarket *m = &x.m;
    trade(&x, x.a, 5123, 3);
    TR_OK(m, tm_eod(m));
    cets_instrument_info ii;
    cets_instrument_get(m->e, x.a, &ii);
    assert_int_equal(ii.prev_close, 5123);
    assert_int_equal(ii.upper, 5635);
    assert_int_equal(ii.lower, 4611);
    tm_at(m, 10, 0);
    TR_REJECT(m, CETS_PRICE_OUT_OF_BAND, tm_post(m, x.s, x.a, CETS_SELL, 5636, 1, NULL));
    TR_REJECT(m, CETS_PRICE_OUT_OF_BAND, tm_post(m, x.k, x.a, CETS_BUY, 4610, 1, NULL));
    TR_OK(m, tm_post(m, x.s, x.a, CETS_SELL, 5635, 1, NULL));
    TR_OK(m, tm_post(m, x.k, x.a, CETS_BUY, 4611, 1, NULL));
    /* yesterday's band no longer applies: 5500 was the old upper edge */
    TR_OK(m, tm_post(m, x.s, x.a, CETS_SELL, 5600, 1, NULL));
    tm_free(m);
}

static void test_cumulative_over_two_days(void **state)
{
    (void)state;
    em x;
    em_init(&x);
    tmarket *m = &x.m;
    trade(&x, x.a, 5000, 10);
    trade(&x, x.b, 5000, 4);
    TR_OK(m, tm_eod(m));
    tm_at(m, 10, 0);
    trade(&x, x.a, 5100, 5);
    tm_clear_events(m);
    TR_OK(m, tm_eod(m));
    const cets_day_stats *s = &stats_of(m, x.a)->u.stats;
    assert_int_equal(s->date, 20261201);
    assert_int_equal(s->volume[CETS_METHOD_LISTING], 5);
    assert_int_equal(s->value[CETS_METHOD_LISTING], 25500);
    assert_int_equal(s->cum_volume[CETS_METHOD_LISTING], 15);
    assert_int_equal(s->cum_value[CETS_METHOD_LISTING], 75500);
    assert_int_equal(s->prev_close, 5000);
    assert_int_equal(s->close, 5100);
    assert_int_equal(s->change_bp, 200);
    s = &stats_of(m, x.b)->u.stats;
    assert_int_equal(s->volume[CETS_METHOD_LISTING], 0);
    assert_int_equal(s->cum_volume[CETS_METHOD_LISTING], 4);
    assert_int_equal(s->cum_value[CETS_METHOD_LISTING], 20000);
    assert_false(s->traded);
    assert_int_equal(s->close, 5000);
    s = &stats_of(m, x.c)->u.stats;
    assert_int_equal(s->cum_volume[CETS_METHOD_LISTING], 0);
    tm_free(m);
}

static void test_lapse_of_day_orders(void **state)
{
    (void)state;
    em x;
    em_init(&x);
    tmarket *m = &x.m;
    cets_result r;
    uint64_t ids[4];
    TR_OK(m, tm_post(m, x.s, x.a, CETS_SELL, 5100, 10, &r));
    ids[0] = r.order_id;
    TR_OK(m, tm_post(m, x.k, x.a, CETS_BUY, 4900, 10, &r));
    ids[1] = r.order_id;
    TR_OK(m, tm_post(m, x.s, x.b, CETS_SELL, 5100, 7, &r));
    ids[2] = r.order_id;
    TR_OK(m, tm_post(m, x.k, x.c, CETS_BUY, 2900, 3, &r));
    ids[3] = r.order_id;
    int64_t fs = tr_funds(m, x.s), fk = tr_funds(m, x.k);
    tm_clear_events(m);
    TR_OK(m, tm_eod(m));
    assert_int_equal(tm_count_events(m, CETS_EV_ORDER_DONE), 4);
    for (int i = 0; i < 4; i++) {
        const cets_event *d = tr_done(m, ids[i]);
        assert_non_null(d);
        assert_int_equal(d->u.done.why, CETS_DONE_EXPIRED);
        assert_false(tr_live(m, ids[i]));
    }
    assert_int_equal(tm_frozen(m, x.s), 0);
    assert_int_equal(tm_frozen(m, x.k), 0);
    assert_int_equal(tm_avail(m, x.k), fk);
    assert_int_equal(tm_avail(m, x.s), fs);
    assert_int_equal(tm_hold(m, x.s, x.a).available, 10000);
    assert_int_equal(tm_hold(m, x.s, x.b).available, 10000);
    cets_depth d;
    for (uint32_t i = 0; i < 5; i++) {
        cets_depth_get(m->e, i, &d);
        assert_int_equal(d.nbids + d.nasks, 0);
    }
    tm_free(m);
}

static const cets_statement *stmt_of(const tmarket *m, uint32_t pid)
{
    for (size_t i = 0; i < m->nstmts; i++)
        if (m->stmts[i].participant == pid) return &m->stmts[i];
    return NULL;
}

static const cets_statement_line *line_of(const cets_statement *s, uint32_t iid)
{
    for (uint32_t i = 0; i < s->nlines; i++)
        if (s->lines[i].instrument == iid) return &s->lines[i];
    return NULL;
}

static void check_stmt_consistent(const tmarket *m, const cets_statement *s)
{
    assert_int_equal(s->funds_close, s->funds_open + s->deposits - s->withdrawals -
                                         s->bought_value + s->sold_value - s->fees);
    assert_int_equal(s->funds_close, tr_funds(m, s->participant));
    cets_statement g;
    assert_int_equal(cets_statement_get(m->e, s->participant, &g), 0);
    assert_int_equal(g.date, s->date);
    assert_int_equal(g.funds_open, s->funds_open);
    assert_int_equal(g.funds_close, s->funds_close);
    assert_int_equal(g.fees, s->fees);
    assert_int_equal(g.nlines, s->nlines);
}

static void test_statements(void **state)
{
    (void)state;
    tmarket m;
    tm_init(&m, NULL);
    uint32_t a = tm_instrument(&m, "CEA21", CETS_PRODUCT_CEA, CETS_MATCH_LISTING, 5000);
    uint32_t c = tm_instrument(&m, "CCER", CETS_PRODUCT_CCER, CETS_MATCH_LISTING, 3000);
    uint32_t s = tm_participant(&m, CETS_PK_ENTITY, "s", 0);
    uint32_t b = tm_participant(&m, CETS_PK_ENTITY, "b", 1000000);
    tm_credit(&m, s, a, 100);
    cets_result r;
    /* day 1: s sells 10 x 50.00 to b */
    TR_OK(&m, tm_post(&m, s, a, CETS_SELL, 5000, 10, &r));
    TR_OK(&m, tm_take_limit(&m, b, a, CETS_BUY, 10, 5000, NULL));
    tm_clear_events(&m);
    TR_OK(&m, tm_eod(&m));
    const cets_statement *sb = stmt_of(&m, b), *ss = stmt_of(&m, s);
    assert_non_null(sb);
    assert_non_null(ss);
    assert_int_equal(sb->date, 20261130);
    assert_int_equal(sb->funds_open, 0);
    assert_int_equal(sb->deposits, 1000000);
    assert_int_equal(sb->bought_value, 50000);
    assert_int_equal(sb->sold_value, 0);
    assert_int_equal(sb->fees, 25);
    assert_int_equal(sb->ntrades, 1);
    assert_int_equal(sb->funds_close, 1000000 - 50025);
    check_stmt_consistent(&m, sb);
    const cets_statement_line *l = line_of(sb, a);
    assert_non_null(l);
    assert_int_equal(l->bought_qty, 10);
    assert_int_equal(l->bought_value, 50000);
    assert_int_equal(l->sold_qty, 0);
    assert_int_equal(l->close_qty, 10);
    assert_null(line_of(sb, c)); /* no holding, no activity */
    assert_int_equal(ss->sold_value, 50000);
    assert_int_equal(ss->fees, 25);
    assert_int_equal(ss->funds_close, 49975);
    check_stmt_consistent(&m, ss);
    l = line_of(ss, a);
    assert_non_null(l);
    assert_int_equal(l->sold_qty, 10);
    assert_int_equal(l->sold_value, 50000);
    assert_int_equal(l->close_qty, 90);
    int64_t close_b = sb->funds_close, close_s = ss->funds_close;

    /* day 2: s withdraws its (now settled) proceeds and sells 5 x 51.00 more */
    tm_at(&m, 10, 0);
    TR_OK(&m, tm_admin(&m, CETS_CMD_WITHDRAW, s, 0, 40000, 0));
    TR_OK(&m, tm_post(&m, s, a, CETS_SELL, 5100, 5, NULL));
    TR_OK(&m, tm_take_limit(&m, b, a, CETS_BUY, 5, 5100, NULL));
    tm_clear_events(&m);
    TR_OK(&m, tm_eod(&m));
    sb = stmt_of(&m, b);
    ss = stmt_of(&m, s);
    assert_non_null(sb);
    assert_non_null(ss);
    assert_int_equal(sb->date, 20261201);
    assert_int_equal(sb->funds_open, close_b);
    assert_int_equal(ss->funds_open, close_s);
    assert_int_equal(ss->withdrawals, 40000);
    assert_int_equal(ss->deposits, 0);
    assert_int_equal(ss->sold_value, 25500);
    assert_int_equal(ss->fees, 13); /* 12.75 -> 13 */
    assert_int_equal(sb->fees, 13);
    check_stmt_consistent(&m, sb);
    check_stmt_consistent(&m, ss);
    l = line_of(sb, a);
    assert_non_null(l);
    assert_int_equal(l->open_qty, 10);
    assert_int_equal(l->close_qty, 15);
    assert_int_equal(l->bought_qty, 5);
    assert_int_equal(l->bought_value, 25500);
    l = line_of(ss, a);
    assert_non_null(l);
    assert_int_equal(l->open_qty, 90);
    assert_int_equal(l->close_qty, 85);
    assert_int_equal(l->sold_qty, 5);
    tm_free(&m);
}

static void test_next_trading_day_skips_weekend_and_holiday(void **state)
{
    (void)state;
    tmarket m;
    tm_init(&m, NULL);
    TR_OK(&m, tm_admin(&m, CETS_CMD_HOLIDAY_ADD, 0, 0, 0, 20261207));
    const int32_t expect[] = {20261201, 20261202, 20261203, 20261204, 20261208, 20261209};
    int32_t prev = cets_trading_date(m.e);
    for (int i = 0; i < 6; i++) {
        tm_clear_events(&m);
        TR_OK(&m, tm_eod(&m));
        const cets_event *ev = tm_last_event(&m, CETS_EV_DAY_CLOSED);
        assert_non_null(ev);
        assert_int_equal(ev->u.day.closed_date, prev);
        assert_int_equal(ev->u.day.next_date, expect[i]);
        assert_int_equal(cets_trading_date(m.e), expect[i]);
        prev = expect[i];
    }
    tm_free(&m);
}

/* The reference example: the opening day, 2021-07-16 (a Friday), opened at
 * 48.00 (the reference price), went as high as 52.80 (the band's upper edge),
 * and closed at 51.23. Here 157 t at 48.00 and 323 t at 52.80 give exactly
 * that VWAP: (157 x 4800 + 323 x 5280) / 480 = 5123. */
static void test_opening_day_example(void **state)
{
    (void)state;
    cets_config cfg;
    cets_config_default(&cfg);
    cfg.start_date = 20210716;
    tmarket m;
    tm_init(&m, &cfg);
    uint32_t a = tm_instrument(&m, "CEA1920", CETS_PRODUCT_CEA, CETS_MATCH_LISTING, 4800);
    uint32_t s = tm_participant(&m, CETS_PK_ENTITY, "seller", 0);
    uint32_t b = tm_participant(&m, CETS_PK_ENTITY, "buyer", RICH);
    tm_credit(&m, s, a, 1000);
    cets_instrument_info ii;
    cets_instrument_get(m.e, a, &ii);
    assert_int_equal(ii.upper, 5280);
    assert_int_equal(ii.lower, 4320);
    cets_result r;
    TR_OK(&m, tm_post(&m, s, a, CETS_SELL, 4800, 157, NULL));
    TR_OK(&m, tm_take_limit(&m, b, a, CETS_BUY, 157, 4800, &r));
    TR_OK(&m, tm_post(&m, s, a, CETS_SELL, 5280, 323, NULL));
    TR_REJECT(&m, CETS_PRICE_OUT_OF_BAND, tm_post(&m, s, a, CETS_SELL, 5281, 1, NULL));
    TR_OK(&m, tm_take_limit(&m, b, a, CETS_BUY, 323, 5280, &r));
    tm_clear_events(&m);
    TR_OK(&m, tm_eod(&m));
    const cets_day_stats *st = &stats_of(&m, a)->u.stats;
    assert_int_equal(st->date, 20210716);
    check_ohlc(st, 4800, 4800, 5280, 4800, 5123, 673); /* 323 / 4800 = 6.729% */
    assert_int_equal(st->volume[CETS_METHOD_LISTING], 480);
    assert_int_equal(st->value[CETS_METHOD_LISTING], 157 * 4800 + 323 * 5280);
    const cets_event *dc = tm_last_event(&m, CETS_EV_DAY_CLOSED);
    assert_non_null(dc);
    assert_int_equal(dc->u.day.composite, 5123);
    assert_int_equal(dc->u.day.next_date, 20210719); /* Monday */
    cets_instrument_get(m.e, a, &ii);
    assert_int_equal(ii.upper, 5635);
    assert_int_equal(ii.lower, 4611);
    tm_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_day_stats_vwap_half_up),
        cmocka_unit_test(test_next_day_band_from_close),
        cmocka_unit_test(test_cumulative_over_two_days),
        cmocka_unit_test(test_lapse_of_day_orders),
        cmocka_unit_test(test_statements),
        cmocka_unit_test(test_next_trading_day_skips_weekend_and_holiday),
        cmocka_unit_test(test_opening_day_example),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
