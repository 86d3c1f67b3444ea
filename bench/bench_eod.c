/* bench_eod.c -- how long the end of the day and the compliance deadline take.
 *
 * A market the size of the national one at the deadline: 4,000 compliance
 * entities, each holding every CEA vintage and some CCER, each with two
 * listings resting (one to sell, one to buy, never crossing) that lapse
 * tonight, some trades of the day behind them (statements with lines), open
 * block proposals, and a verified-emissions record for the year, half of them
 * partly surrendered. Then, measured once each with CLOCK_MONOTONIC:
 *   eod_ms       one END_OF_DAY: lapse, statistics, statements, T+1, next day
 *   deadline_ms  one DEADLINE: shortfall, penalty and deduction per entity
 * The listener counts events, the least a consumer does. Setup is not timed.
 *
 *   bench_eod [--entities N]
 * prints {"bench":"eod_deadline","entities":N,"eod_ms":...,"deadline_ms":...,"total_ms":...}
 * and exits 1 when a command is rejected or the conservation checks fail.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cets/cets.h"
#include "jsonl.h"
#include "timing.h"

#define DATE 20240603 /* a Monday */
#define YEAR 2024
#define NVINT 6

typedef struct bench {
    cets_engine *e;
    uint64_t seq;
    int64_t now;
    uint64_t events, rejects;
} bench;

static void count_event(void *ctx, const cets_event *ev)
{
    bench *b = ctx;
    b->events++;
    b->rejects += ev->type == CETS_EV_REJECTED;
}

static uint64_t apply(bench *b, cets_cmd *c)
{
    cets_result r;
    c->seq = ++b->seq;
    c->ts = b->now;
    if (cets_apply(b->e, c, &r) != CETS_OK) {
        fprintf(stderr, "bench_eod: %s rejected: %s\n", cets_cmd_name(c->type),
                cets_reason_name(r.code));
        exit(1);
    }
    return r.order_id ? r.order_id : r.id;
}

static void at(bench *b, int hh, int mm)
{
    b->now = cets_time_at(cets_trading_date(b->e), hh, mm, 480);
}

static uint32_t add_party(bench *b, int kind, int64_t funds)
{
    cets_cmd c = {.type = CETS_CMD_PARTICIPANT_ADD, .actor = CETS_EXCHANGE_ID, .aux = kind};
    snprintf(c.u.text, sizeof c.u.text, "p%llu", (unsigned long long)b->seq);
    uint32_t id = (uint32_t)apply(b, &c);
    cets_cmd d = {
        .type = CETS_CMD_DEPOSIT, .actor = CETS_EXCHANGE_ID, .participant = id, .qty = funds};
    if (funds) apply(b, &d);
    return id;
}

static void market(bench *b, uint32_t *au)
{
    static const char *const codes[] = {"CEA1920", "CEA21", "CEA22", "CEA23",
                                        "CEA24",   "CEA25", "CCER"};
    for (int i = 0; i < 7; i++) {
        cets_cmd c = {.type = CETS_CMD_INSTRUMENT_ADD,
                      .actor = CETS_EXCHANGE_ID,
                      .aux = i == 6 ? CETS_PRODUCT_CCER : CETS_PRODUCT_CEA,
                      .price = 4000 + 200 * i};
        snprintf(c.u.text, sizeof c.u.text, "%s", codes[i]);
        apply(b, &c);
    }
    *au = add_party(b, CETS_PK_AUTHORITY, 0);
}

/* Each entity: every vintage, a sell and a buy listing, a record for the year. */
static void entities(bench *b, uint32_t au, uint32_t first, int n)
{
    for (int k = 0; k < n; k++) {
        uint32_t p = first + (uint32_t)k;
        for (uint32_t v = 0; v < 7; v++) {
            cets_cmd c = {.type = v < NVINT ? CETS_CMD_ALLOCATE : CETS_CMD_HOLDING_CREDIT,
                          .actor = v < NVINT ? au : CETS_EXCHANGE_ID,
                          .participant = p,
                          .instrument = v,
                          .qty = (v == NVINT - 1 ? 200000 : 20000) + 1000 * (k % 50)};
            apply(b, &c);
        }
        uint32_t v = (uint32_t)(k % NVINT);
        int64_t close = 4000 + 200 * v;
        cets_cmd s = {.type = CETS_CMD_POST,
                      .actor = p,
                      .participant = p,
                      .instrument = v,
                      .side = CETS_SELL,
                      .price = close + 1 + k % 50,
                      .qty = 100 + k % 900};
        apply(b, &s);
        cets_cmd bb = s;
        bb.side = CETS_BUY;
        bb.price = close - 1 - k % 50;
        apply(b, &bb);
        cets_cmd em = {.type = CETS_CMD_EMISSIONS,
                       .actor = au,
                       .participant = p,
                       .aux = YEAR,
                       .qty = 100000 + 500 * (k % 200)};
        apply(b, &em);
    }
}

/* The day's activity: takes (trades, statements with lines), surrenders,
 * and block proposals left open. */
static void activity(bench *b, uint32_t au, uint32_t first, int n)
{
    for (int k = 0; k + 1 < n; k += 4) {
        uint32_t p = first + (uint32_t)k + 1, v = (uint32_t)(k % NVINT);
        cets_cmd t = {.type = CETS_CMD_TAKE,
                      .actor = p,
                      .participant = p,
                      .instrument = v,
                      .side = CETS_BUY,
                      .qty = 50,
                      .price = 4000 + 200 * v + 60};
        apply(b, &t);
    }
    for (int k = 0; k < n; k += 2) {
        uint32_t p = first + (uint32_t)k;
        cets_cmd s = {.type = CETS_CMD_SURRENDER,
                      .actor = k % 4 ? p : au,
                      .participant = p,
                      .aux = YEAR,
                      .qty = 60000};
        apply(b, &s);
    }
    at(b, 13, 30);
    for (int k = 0; k + 1 < n && k < 400; k += 2) {
        uint32_t p = first + (uint32_t)k;
        cets_cmd c = {.type = CETS_CMD_BLOCK_PROPOSE,
                      .actor = p,
                      .participant = p,
                      .instrument = NVINT - 1,
                      .side = CETS_SELL,
                      .price = 5000,
                      .qty = 100000,
                      .counterparty = p + 1};
        apply(b, &c);
    }
}

static int conserved(const cets_engine *e)
{
    cets_totals t;
    cets_totals_get(e, &t);
    if (t.funds != t.deposits - t.withdrawals || t.frozen_funds != t.reserved_funds) return 0;
    for (uint32_t i = 0; i < cets_instrument_count(e); i++)
        if (t.held[i] != t.issued[i] - t.retired[i] || t.frozen_qty[i] != t.reserved_qty[i])
            return 0;
    return 1;
}

int main(int argc, char **argv)
{
    int n = 4000;
    if (argc == 3 && !strcmp(argv[1], "--entities") && atoi(argv[2]) > 0)
        n = atoi(argv[2]);
    else if (argc != 1) {
        fprintf(stderr, "usage: bench_eod [--entities N]\n");
        return 2;
    }
    cets_config cfg;
    cets_config_default(&cfg);
    cfg.start_date = DATE;
    bench b = {.e = cets_engine_new(&cfg)};
    if (!b.e) return 1;
    cets_engine_set_listener(b.e, count_event, &b);
    at(&b, 10, 0);
    uint32_t au;
    market(&b, &au);
    uint32_t first = au + 1;
    for (int k = 0; k < n; k++) add_party(&b, CETS_PK_ENTITY, 2000000000);
    entities(&b, au, first, n);
    activity(&b, au, first, n);
    fprintf(stderr, "bench_eod: %d entities, %llu commands of setup\n", n,
            (unsigned long long)b.seq);
    at(&b, 15, 30);
    cets_cmd eod = {.type = CETS_CMD_END_OF_DAY, .actor = CETS_EXCHANGE_ID};
    cets_cmd dl = {.type = CETS_CMD_DEADLINE, .actor = au, .aux = YEAR};
    uint64_t ev0 = b.events;
    int64_t t0 = timing_now_ns();
    apply(&b, &eod);
    int64_t t1 = timing_now_ns();
    apply(&b, &dl);
    int64_t t2 = timing_now_ns();
    int ok = conserved(b.e) && b.rejects == 0;
    fprintf(stderr, "bench_eod: %llu events from the two commands, conservation %s\n",
            (unsigned long long)(b.events - ev0), ok ? "holds" : "BROKEN");
    jsonl_begin("eod_deadline");
    jsonl_i64("entities", n);
    jsonl_num("eod_ms", (double)(t1 - t0) / 1e6, 3);
    jsonl_num("deadline_ms", (double)(t2 - t1) / 1e6, 3);
    jsonl_num("total_ms", (double)(t2 - t0) / 1e6, 3);
    jsonl_end();
    cets_engine_free(b.e);
    return ok ? 0 : 1;
}
