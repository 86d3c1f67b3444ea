/* bench_holders.c -- how long the large-holder report takes (holders.c).
 *
 * 10,000 holders (entities and institutions) of the 7 instruments (six CEA
 * vintages and CCER), every holding credited with a seeded random tonnage
 * and 21 holders given a tenth of the issuance so far, then one end of day so that
 * the last day's report has closing holdings. Measured with CLOCK_MONOTONIC,
 * --runs times each, alternating, in one process:
 *   now_ms     cets_large_holders() on the holdings now
 *   last_ms    cets_large_holders() as the last end of day closed
 *   eod_on_ms  one END_OF_DAY with the report's thresholds on (the crossing scan runs)
 *   eod_off_ms one END_OF_DAY with both thresholds 0 (the scan returns at once)
 * Each run credits a few holdings across the threshold first, so every end of
 * day has crossings to report. The callback counts and sums, the least a
 * consumer does.
 *
 *   bench_holders [--holders N] [--runs R]
 * prints one line per run and one summary per figure:
 * {"bench":"large_holders","figure":"now_ms","holders":N,"instruments":7,"min":...,"median":...}
 * and {"bench":"large_holders","figure":"eod_on_vs_off","ratio_median":...}; exits 1 when a
 * command is rejected.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cets/cets.h"
#include "jsonl.h"
#include "rng.h"
#include "timing.h"

#define DATE 20240603 /* a Monday */
#define RUNS_MAX 101

typedef struct bench {
    cets_engine *e;
    uint64_t seq;
    uint64_t crossings;
    int64_t issued[7]; /* tonnes credited per instrument */
} bench;

static void on_event(void *ctx, const cets_event *ev)
{
    bench *b = ctx;
    b->crossings += ev->type == CETS_EV_LARGE_HOLDER;
}

static uint64_t apply(bench *b, cets_cmd *c)
{
    cets_result r;
    c->seq = ++b->seq;
    c->ts = cets_time_at(cets_trading_date(b->e), 16, 0, 480);
    if (cets_apply(b->e, c, &r) != CETS_OK) {
        fprintf(stderr, "bench_holders: %s rejected: %s\n", cets_cmd_name(c->type),
                cets_reason_name(r.code));
        exit(1);
    }
    return r.id;
}

static void credit(bench *b, uint32_t pid, uint32_t iid, int64_t qty)
{
    cets_cmd c = {.type = CETS_CMD_HOLDING_CREDIT,
                  .actor = CETS_EXCHANGE_ID,
                  .participant = pid,
                  .instrument = iid,
                  .qty = qty};
    apply(b, &c);
    b->issued[iid] += qty;
}

static void param(bench *b, int id, int64_t v)
{
    cets_cmd c = {.type = CETS_CMD_PARAM_SET,
                  .actor = CETS_EXCHANGE_ID,
                  .aux = id,
                  .qty = v,
                  .flags = CETS_PARAM_URGENT};
    apply(b, &c);
}

typedef struct sum {
    uint64_t n;
    int64_t held;
} sum;

static void add(void *ctx, const cets_large_holder *h)
{
    sum *s = ctx;
    s->n++;
    s->held += h->held;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void summary(const char *figure, double *v, int n, uint32_t holders)
{
    qsort(v, (size_t)n, sizeof *v, cmp);
    jsonl_begin("large_holders");
    jsonl_str("figure", figure);
    jsonl_u64("holders", holders);
    jsonl_u64("instruments", 7);
    jsonl_u64("runs", (uint64_t)n);
    jsonl_num("min", v[0], 3);
    jsonl_num("median", v[n / 2], 3);
    jsonl_num("max", v[n - 1], 3);
    jsonl_end();
}

int main(int argc, char **argv)
{
    uint32_t holders = 10000;
    int runs = 21;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--holders") == 0)
            holders = (uint32_t)strtoul(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--runs") == 0)
            runs = atoi(argv[i + 1]);
    }
    if (holders < 10 || holders > 1000000 || runs < 1 || runs > RUNS_MAX) {
        fprintf(stderr, "usage: bench_holders [--holders 10..1000000] [--runs 1..%d]\n", RUNS_MAX);
        return 2;
    }
    cets_config cfg;
    cets_config_default(&cfg);
    cfg.start_date = DATE;
    cfg.enforce_sessions = false;
    cfg.emit_depth = false;
    bench b = {.e = cets_engine_new(&cfg)};
    cets_engine_set_listener(b.e, on_event, &b);
    static const char *const codes[] = {"CEA1920", "CEA21", "CEA22", "CEA23",
                                        "CEA24",   "CEA25", "CCER"};
    for (int i = 0; i < 7; i++) {
        cets_cmd c = {.type = CETS_CMD_INSTRUMENT_ADD,
                      .actor = CETS_EXCHANGE_ID,
                      .aux = i == 6 ? CETS_PRODUCT_CCER : CETS_PRODUCT_CEA,
                      .price = 5000};
        snprintf(c.u.text, sizeof c.u.text, "%s", codes[i]);
        apply(&b, &c);
    }
    rng r;
    rng_seed(&r, 13);
    uint32_t first = 0;
    for (uint32_t p = 0; p < holders; p++) {
        cets_cmd c = {.type = CETS_CMD_PARTICIPANT_ADD,
                      .actor = CETS_EXCHANGE_ID,
                      .aux = p % 4 ? CETS_PK_ENTITY : CETS_PK_INSTITUTION};
        snprintf(c.u.text, sizeof c.u.text, "holder %u", p);
        uint32_t id = (uint32_t)apply(&b, &c);
        first = first ? first : id;
        for (uint32_t i = 0; i < 7; i++) credit(&b, id, i, 1 + (int64_t)(rng_next(&r) % 20000));
    }
    /* a few large holders: each credited a tenth of what was issued so far */
    for (uint32_t k = 0; k < 21; k++)
        credit(&b, first + (uint32_t)(rng_next(&r) % holders), k % 7, b.issued[k % 7] / 10);
    cets_cmd eod = {.type = CETS_CMD_END_OF_DAY, .actor = CETS_EXCHANGE_ID};
    apply(&b, &eod);
    double now_ms[RUNS_MAX], last_ms[RUNS_MAX], on_ms[RUNS_MAX], off_ms[RUNS_MAX], ratio[RUNS_MAX];
    sum s = {0};
    for (int run = 0; run < runs; run++) {
        param(&b, CETS_PARAM_LARGE_SHARE, 500); /* the last end of day may have left it off */
        int64_t t0 = timing_now_ns();
        s = (sum){0};
        cets_large_holders(b.e, false, add, &s);
        int64_t t1 = timing_now_ns();
        uint64_t listed = s.n;
        s = (sum){0};
        cets_large_holders(b.e, true, add, &s);
        int64_t t2 = timing_now_ns();
        now_ms[run] = (double)(t1 - t0) / 1e6;
        last_ms[run] = (double)(t2 - t1) / 1e6;
        for (int onoff = 0; onoff < 2; onoff++) {
            bool on = (run + onoff) % 2 == 0; /* alternate which goes first */
            param(&b, CETS_PARAM_LARGE_SHARE, on ? 500 : 0);
            for (uint32_t k = 0; k < 14; k++) /* some holdings cross the threshold today */
                credit(&b, first + (uint32_t)(rng_next(&r) % holders), k % 7, b.issued[k % 7] / 10);
            uint64_t before = b.crossings;
            cets_cmd c = {.type = CETS_CMD_END_OF_DAY, .actor = CETS_EXCHANGE_ID};
            int64_t t3 = timing_now_ns();
            apply(&b, &c);
            double ms = (double)(timing_now_ns() - t3) / 1e6;
            *(on ? &on_ms[run] : &off_ms[run]) = ms;
            if (on && b.crossings == before) {
                fprintf(stderr, "bench_holders: an end of day without crossings\n");
                return 1;
            }
        }
        ratio[run] = on_ms[run] / off_ms[run];
        jsonl_begin("large_holders_run");
        jsonl_u64("run", (uint64_t)run);
        jsonl_u64("listed_now", listed);
        jsonl_u64("listed_last_day", s.n);
        jsonl_num("now_ms", now_ms[run], 3);
        jsonl_num("last_ms", last_ms[run], 3);
        jsonl_num("eod_on_ms", on_ms[run], 3);
        jsonl_num("eod_off_ms", off_ms[run], 3);
        jsonl_end();
    }
    summary("now_ms", now_ms, runs, holders);
    summary("last_ms", last_ms, runs, holders);
    summary("eod_on_ms", on_ms, runs, holders);
    summary("eod_off_ms", off_ms, runs, holders);
    qsort(ratio, (size_t)runs, sizeof *ratio, cmp);
    jsonl_begin("large_holders");
    jsonl_str("figure", "eod_on_vs_off");
    jsonl_num("ratio_min", ratio[0], 3);
    jsonl_num("ratio_median", ratio[runs / 2], 3);
    jsonl_u64("crossings", b.crossings);
    jsonl_end();
    cets_engine_free(b.e);
    return 0;
}
