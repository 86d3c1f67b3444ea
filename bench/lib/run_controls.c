/* run_controls.c -- the engine with position limits and surveillance on,
 * against off, in the same process (bench_engine --controls).
 *
 * The same workload through four engines per repetition, by cets_apply()
 * one command at a time and by cets_apply_batch() in batches of 4,096 (as
 * the core's engine thread runs it, prefetching a few commands ahead), each
 * both ways, alternating which goes first: "off" as the engine runs by default (every limit 0, no
 * surveillance attached), "on" with a limit for every kind, product and
 * vintage (so high that nothing is refused: the check does all its work and
 * the commands' results stay the same) and a cets_surveil fed every event
 * with its default rules. One JSON line per run, then the minimum and median
 * ns per command of each and their ratio (target: on / off <= 1.15), by the
 * wall clock and by the thread's CPU time (on a shared machine the CPU time
 * leaves out the time other processes had the core).
 */
#include <stdio.h>
#include <stdlib.h>

#include "jsonl.h"
#include "runs.h"
#include "timing.h"

static const int limit_ids[] = {CETS_PARAM_LIMIT_ENTITY_CEA,      CETS_PARAM_LIMIT_ENTITY_CCER,
                                CETS_PARAM_LIMIT_INSTITUTION_CEA, CETS_PARAM_LIMIT_INSTITUTION_CCER,
                                CETS_PARAM_LIMIT_INDIVIDUAL_CCER, CETS_PARAM_LIMIT_VINTAGE};

enum { BATCH = 4096 };

/* ns per command of one pass (wall; CPU into *cpu); -1 on a failure. */
static double one_pass(const workload *w, bool on, bool batch, uint64_t *rejects, uint64_t *alerts,
                       double *cpu)
{
    ev_count ev = {0};
    cets_engine *e = workload_engine(w, false, ev_count_listener, &ev);
    if (!e) return -1;
    cets_surveil *s = NULL;
    if (on) {
        for (size_t i = 0; i < sizeof limit_ids / sizeof limit_ids[0]; i++) {
            cets_cmd c = {.type = CETS_CMD_PARAM_SET,
                          .actor = CETS_EXCHANGE_ID,
                          .aux = limit_ids[i],
                          .qty = 1000000000000LL,
                          .flags = CETS_PARAM_URGENT,
                          .seq = cets_last_seq(e),
                          .ts = cets_last_ts(e)};
            if (cets_apply(e, &c, NULL) != CETS_OK) {
                cets_engine_free(e);
                return -1;
            }
        }
        s = cets_surveil_new();
        cets_engine_set_surveil(e, s);
    }
    cets_result res;
    uint64_t rj = 0;
    int64_t t0 = timing_now_ns(), c0 = timing_cpu_ns();
    if (batch)
        for (size_t i = 0; i < w->ncmds; i += BATCH)
            rj +=
                cets_apply_batch(e, &w->cmds[i], w->ncmds - i < BATCH ? w->ncmds - i : BATCH, NULL);
    else
        for (size_t i = 0; i < w->ncmds; i++)
            if (cets_apply(e, &w->cmds[i], &res) != CETS_OK) rj++;
    int64_t t1 = timing_now_ns(), c1 = timing_cpu_ns();
    *cpu = (double)(c1 - c0) / (double)w->ncmds;
    bool conserved = workload_conserved(w, e);
    *rejects = rj;
    *alerts = s ? cets_surveil_alerts(s, 0, NULL, 0) : 0;
    cets_engine_set_surveil(e, NULL);
    cets_surveil_free(s);
    cets_engine_free(e);
    return conserved ? (double)(t1 - t0) / (double)w->ncmds : -1;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Minimum and median of n figures (sorted in place). */
static void spread(double *v, uint64_t n, double *min, double *median)
{
    qsort(v, n, sizeof *v, cmp);
    *min = v[0];
    *median = v[n / 2];
}

/* One apply mode's runs: each repetition off and on, alternating; a JSON line
 * per run, then the summary. -1 on a failure or when the limits refused what
 * the engine alone does not. */
static int controls_runs(const workload *w, uint64_t repeat, bool batch)
{
    double off[64], on[64], coff[64], con[64];
    const char *apply = batch ? "batch" : "single";
    int rc = 0;
    for (uint64_t r = 0; r < repeat; r++) {
        uint64_t rj[2] = {0}, al[2] = {0};
        for (int k = 0; k < 2; k++) {
            bool is_on = (r + (uint64_t)k) % 2 == 1;
            double cpu = 0, ns = one_pass(w, is_on, batch, &rj[is_on], &al[is_on], &cpu);
            if (ns < 0) return -1;
            *(is_on ? &on[r] : &off[r]) = ns;
            *(is_on ? &con[r] : &coff[r]) = cpu;
        }
        rc |= rj[0] == rj[1] ? 0 : -1; /* the limits refused nothing the engine would not */
        jsonl_begin("engine_controls");
        jsonl_str("apply", apply);
        jsonl_u64("run", r);
        jsonl_u64("commands", w->ncmds);
        jsonl_num("off_ns_per_command", off[r], 1);
        jsonl_num("on_ns_per_command", on[r], 1);
        jsonl_num("off_cpu_ns_per_command", coff[r], 1);
        jsonl_num("on_cpu_ns_per_command", con[r], 1);
        jsonl_u64("rejects_off", rj[0]);
        jsonl_u64("rejects_on", rj[1]);
        jsonl_u64("alerts_on", al[1]);
        jsonl_end();
    }
    double om, od, nm, nd, com, cod, cnm, cnd;
    spread(off, repeat, &om, &od);
    spread(on, repeat, &nm, &nd);
    spread(coff, repeat, &com, &cod);
    spread(con, repeat, &cnm, &cnd);
    jsonl_begin("engine_controls");
    jsonl_str("mode", "summary");
    jsonl_str("apply", apply);
    jsonl_u64("runs", repeat);
    jsonl_num("off_min_ns", om, 1);
    jsonl_num("off_median_ns", od, 1);
    jsonl_num("on_min_ns", nm, 1);
    jsonl_num("on_median_ns", nd, 1);
    jsonl_num("ratio_min", nm / om, 3);
    jsonl_num("ratio_median", nd / od, 3);
    jsonl_num("off_cpu_min_ns", com, 1);
    jsonl_num("on_cpu_min_ns", cnm, 1);
    jsonl_num("cpu_ratio_min", cnm / com, 3);
    jsonl_num("cpu_ratio_median", cnd / cod, 3);
    jsonl_end();
    return rc;
}

int run_engine_controls(const workload *w, uint64_t repeat)
{
    if (repeat < 1) repeat = 1;
    if (repeat > 64) repeat = 64;
    int rc = controls_runs(w, repeat, false);
    return rc ? rc : controls_runs(w, repeat, true);
}
