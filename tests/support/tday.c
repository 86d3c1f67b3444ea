/* tday.c -- see tday.h. */
#include "tday.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "tmethods.h"
#include "trules.h"

#define YEAR 2024 /* compliance year: its vintage is CEA24 */
#define SEC 1000000000LL

static uint64_t rnd(tday *d)
{
    uint64_t z = (d->rng += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static int64_t range(tday *d, int64_t lo, int64_t hi)
{
    return lo + (int64_t)(rnd(d) % (uint64_t)(hi - lo + 1));
}

static void journal_cmd(void *ctx, const cets_cmd *c)
{
    tday *d = ctx;
    assert_int_equal(cets_journal_append(d->j, c), 0);
    if (++d->pending >= d->batch) tday_commit(d);
}

void tday_commit(tday *d)
{
    if (d->j && d->pending) {
        assert_int_equal(cets_journal_commit(d->j), 0);
        d->pending = 0;
    }
}

void tday_open(tday *d, const char *dir, uint64_t seed)
{
    memset(d, 0, sizeof *d);
    snprintf(d->dir, sizeof d->dir, "%s", dir);
    d->rng = seed;
    d->batch = 97;
    cets_config cfg;
    cets_config_default(&cfg);
    cfg.start_date = TM_DATE;
    char err[512];
    cets_engine *e = cets_recover(dir, &cfg, NULL, NULL, NULL, err, sizeof err);
    if (!e) fail_msg("%s", err);
    cets_engine_free(e);
    d->j = cets_journal_open(dir, 1, err, sizeof err);
    if (!d->j) fail_msg("%s", err);
    tm_init(&d->m, &cfg);
    d->m.journal = journal_cmd;
    d->m.journal_ctx = d;
}

void tday_close(tday *d)
{
    tday_commit(d);
    cets_journal_close(d->j);
    d->j = NULL;
    d->m.journal = NULL;
}

void tday_free(tday *d)
{
    tday_close(d);
    tm_free(&d->m);
}

static void deposit(tday *d, uint32_t pid, int64_t fen, const char *bank_ref)
{
    cets_cmd c = {.type = CETS_CMD_DEPOSIT,
                  .actor = CETS_EXCHANGE_ID,
                  .participant = pid,
                  .qty = fen,
                  .aux = bank_ref ? cets_trading_date(d->m.e) : 0};
    if (bank_ref) snprintf(c.u.text, sizeof c.u.text, "%s", bank_ref);
    TR_OK(&d->m, tm_apply(&d->m, &c, NULL));
}

void tday_setup(tday *d)
{
    tmarket *m = &d->m;
    tm_at(m, 9, 0);
    d->cea24 = tm_instrument(m, "CEA24", CETS_PRODUCT_CEA, CETS_MATCH_LISTING, 5000);
    d->cea25 = tm_instrument(m, "CEA25", CETS_PRODUCT_CEA, CETS_MATCH_CONTINUOUS, 6000);
    d->ccer = tm_instrument(m, "CCER", CETS_PRODUCT_CCER, CETS_MATCH_LISTING, 3000);
    d->au = tg_party(m, CETS_PK_AUTHORITY, "MEE", 0);
    char name[32], ref[32];
    for (int i = 0; i < TDAY_TRADERS; i++) {
        snprintf(name, sizeof name, "trader %d", i);
        d->trader[i] = tg_party(m, CETS_PK_INSTITUTION, name, 0);
        snprintf(ref, sizeof ref, "BANK-D1-%04d", i);
        deposit(d, d->trader[i], 5000000000LL, ref);
        tg_credit(m, d->trader[i], d->cea24, 1000000);
        tg_credit(m, d->trader[i], d->cea25, 400000);
        tg_credit(m, d->trader[i], d->ccer, 200000);
    }
    for (int i = 0; i < TDAY_ENTITIES; i++) {
        snprintf(name, sizeof name, "entity %d", i);
        d->entity[i] = tg_party(m, CETS_PK_ENTITY, name, 0);
        deposit(d, d->entity[i], 100000000LL, NULL);
        tg_credit(m, d->entity[i], d->cea24, 50000);
        tg_credit(m, d->entity[i], d->ccer, 10000);
    }
}

static void remember(tday *d, const cets_result *r)
{
    if (r->code == CETS_OK && r->resting_qty > 0) d->resting[d->nresting++ % 64] = r->order_id;
}

static int64_t tick_price(tday *d, int64_t prev, int bp)
{
    return prev + prev * range(d, -bp, bp) / 10000;
}

static void flow_one(tday *d)
{
    tmarket *m = &d->m;
    uint32_t p = d->trader[rnd(d) % TDAY_TRADERS];
    int side = rnd(d) & 1 ? CETS_BUY : CETS_SELL;
    int op = (int)(rnd(d) % 100);
    cets_result r = {0};
    if (op < 35) {
        tm_post(m, p, d->cea24, side, tick_price(d, 5000, 400), range(d, 1, 2000), &r);
    } else if (op < 55) {
        tm_take_limit(m, p, d->cea24, side, range(d, 1, 3000), side == CETS_BUY ? 5400 : 4600, &r);
    } else if (op < 85) {
        int tif = rnd(d) % 10 == 0 ? CETS_TIF_IOC : CETS_TIF_DAY;
        tm_post_tif(m, p, d->cea25, side, tick_price(d, 6000, 200), range(d, 1, 1500), tif, &r);
    } else if (op < 90) {
        if (rnd(d) & 1)
            tm_post(m, p, d->ccer, side, tick_price(d, 3000, 300), range(d, 1, 500), &r);
        else
            tm_take_limit(m, p, d->ccer, side, range(d, 1, 500), side == CETS_BUY ? 3200 : 2800,
                          &r);
    } else if (op < 95 && d->nresting) {
        cets_order_info o;
        uint64_t id = d->resting[rnd(d) % (d->nresting < 64 ? d->nresting : 64)];
        if (cets_order_get(m->e, id, &o) == CETS_OK) p = o.participant;
        tm_cancel(m, p, id);
    } else if (d->nresting) {
        cets_order_info o;
        uint64_t id = d->resting[rnd(d) % (d->nresting < 64 ? d->nresting : 64)];
        if (cets_order_get(m->e, id, &o) == CETS_OK && o.qty > 1)
            tm_modify(m, o.participant, id, o.price, o.qty / 2, &r);
    }
    remember(d, &r);
}

void tday_flow(tday *d, int n)
{
    int64_t step = n > 0 ? 2 * 3600 * SEC / (n + 1) : SEC;
    int64_t t0 = d->m.now;
    for (int i = 0; i < n; i++) {
        d->m.now = t0 + step * i;
        flow_one(d);
        if (d->m.nev > 100000) tm_clear_events(&d->m);
    }
}

static void block_and_auction(tday *d)
{
    tmarket *m = &d->m;
    cets_result r;
    uint32_t *t = d->trader;
    tm_at(m, 13, 5);
    TR_OK(m, tg_block(m, CETS_CMD_BLOCK_QUOTE, t[0], d->cea24, CETS_SELL, 5100, 200000, 0, 0, &r));
    uint64_t quote = r.order_id;
    TR_OK(m, tg_block(m, CETS_CMD_BLOCK_PROPOSE, t[1], d->cea24, CETS_BUY, 5050, 200000, quote, 0,
                      &r));
    TR_OK(m, tg_block(m, CETS_CMD_BLOCK_PROPOSE, t[0], d->cea24, CETS_SELL, 5080, 200000,
                      r.order_id, 0, &r));
    TR_OK(m, tg_block(m, CETS_CMD_BLOCK_ACCEPT, t[1], d->cea24, CETS_BUY, 5080, 200000, r.order_id,
                      0, &r));
    /* a direct proposal nobody answers: it lapses at the end of the day */
    TR_OK(m, tg_block(m, CETS_CMD_BLOCK_PROPOSE, t[2], d->cea25, CETS_SELL, 6100, 150000, 0, t[3],
                      &r));
    tm_at(m, 13, 10);
    int64_t start = m->now, end = start + 30 * 60 * SEC;
    TR_OK(m, tg_auction(m, CETS_EXCHANGE_ID, t[4], d->cea24, CETS_SELL, 300000, start, end, 0, 0, 0,
                        &r));
    uint64_t a = r.order_id;
    tm_at(m, 13, 20);
    for (int i = 5; i < 9; i++) TR_OK(m, tg_bid(m, t[i], a, 5100 + 50 * (i - 5), 100000, NULL));
    tm_at(m, 13, 45);
    TR_OK(m, tg_auction_cmd(m, CETS_CMD_AUCTION_CLOSE, CETS_EXCHANGE_ID, a));
}

static void registry_year(tday *d)
{
    tmarket *m = &d->m;
    uint32_t *e = d->entity;
    tm_at(m, 14, 0);
    for (int i = 0; i < TDAY_ENTITIES; i++)
        TR_OK(m, tg_allocate(m, d->au, e[i], d->cea24, 100000, 0, 200000 + i, 500));
    for (int i = 0; i < TDAY_ENTITIES; i++)
        TR_OK(m, tg_emissions(m, d->au, e[i], YEAR, 120000 + 10000 * i));
    TR_OK(m, tg_surrender(m, e[0], e[0], YEAR, 120000, NULL)); /* compliant */
    cets_target cc = {d->ccer, 5000};
    TR_OK(m, tg_surrender_named(m, e[1], e[1], YEAR, 1, &cc, NULL));
    TR_OK(m, tg_surrender(m, e[1], e[1], YEAR, 110000, NULL));
    TR_OK(m, tg_surrender(m, d->au, e[1], YEAR, 5000, NULL)); /* compulsory: 10,000 short */
    /* e[2] surrenders nothing: 140,000 short */
    TR_OK(m, tg_surrender(m, e[3], e[3], YEAR, 150000, NULL)); /* compliant */
    TR_OK(m, tg_retire(m, e[4], e[4], d->cea24, 500, "Town of Anji|voluntary offset"));
    cets_result r;
    TR_OK(m, tg_transfer(m, e[5], e[5], e[4], d->cea24, 1000, 101, &r));
    TR_OK(m, tg_transfer_decide(m, CETS_CMD_TRANSFER_APPROVE, e[5], r.order_id, 202));
    TR_OK(m, tg_transfer(m, e[5], e[5], e[4], d->cea24, 700, 101, &r));
    TR_OK(m, tg_transfer_decide(m, CETS_CMD_TRANSFER_REJECT, e[5], r.order_id, 202));
    TR_OK(m, tg_judicial(m, d->au, e[5], 1));
    TR_OK(m, tg_judicial(m, d->au, e[5], 0));
    TR_OK(m, tm_admin(m, CETS_CMD_WITHDRAW, d->trader[9], 0, 1000000, 0));
}

void tday_two_days(tday *d, int flow)
{
    tmarket *m = &d->m;
    tday_setup(d);
    tm_at(m, 9, 30);
    tday_flow(d, flow);
    block_and_auction(d);
    registry_year(d);
    TR_OK(m, tm_eod(m));
    /* day two */
    tm_at(m, 9, 0);
    TR_OK(m, tg_deadline(m, d->au, YEAR));
    deposit(d, d->trader[0], 123456, "BANK-D2-0001");
    tm_at(m, 9, 30);
    tday_flow(d, flow);
    tm_at(m, 14, 0);
    /* e[1] owes 10,000, e[2] 140,000: withheld from the next allocations */
    TR_OK(m, tg_allocate(m, d->au, d->entity[1], d->cea25, 50000, 0, 100000, 500));
    TR_OK(m, tg_allocate(m, d->au, d->entity[2], d->cea25, 50000, 0, 100000, 500));
    TR_OK(m, tg_surrender(m, d->au, d->entity[2], YEAR, 30000, NULL)); /* late, compulsory */
    TR_OK(m, tm_admin(m, CETS_CMD_WITHDRAW, d->trader[8], 0, 777777, 0));
    TR_OK(m, tm_eod(m));
    tday_commit(d);
}
