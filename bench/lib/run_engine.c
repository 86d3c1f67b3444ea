/* run_engine.c -- the engine alone, journal off: throughput and latency.
 *
 * Throughput reads the clock twice for the whole run. Latency brackets each
 * cets_apply() with fenced TSC reads and records the difference in a
 * histogram; the median cost of the two reads themselves (measured back to
 * back) is subtracted from every reported percentile and given as
 * timer_overhead_ns, so the figures are the engine's own.
 */
#include <stdio.h>
#include <stdlib.h>

#include "floor.h"
#include "hist.h"
#include "jsonl.h"
#include "runs.h"
#include "timing.h"

static const char *kind_name[WL_KINDS] = {"limit", "ioc", "cancel", "modify"};

static wl_kind cmd_kind(const cets_cmd *c)
{
    switch (c->type) {
    case CETS_CMD_POST: return c->flags == CETS_TIF_IOC ? WL_IOC : WL_LIMIT;
    case CETS_CMD_CANCEL: return WL_CANCEL;
    default: return WL_MODIFY;
    }
}

static void put_common(const workload *w, bool depth, size_t n, double secs, const ev_count *ev,
                       uint64_t rejects, uint64_t hash)
{
    jsonl_str("journal", "off");
    jsonl_str("depth", depth ? "on" : "off");
    jsonl_u64("commands", n);
    jsonl_num("seconds", secs, 3);
    jsonl_num("commands_per_s", (double)n / secs, 0);
    jsonl_u64("trades", ev->n[CETS_EV_TRADE]);
    jsonl_u64("rejects", rejects);
    jsonl_u64("events", ev_count_total(ev));
    jsonl_bool("hash_match", hash == workload_hash(w, depth));
}

typedef struct batch_figures {
    double ns, cpu_ns; /* per command */
} batch_figures;

/* The same commands through cets_apply_batch() in batches of 4,096 (what the
 * engine thread holds at a time), on a fresh engine: same fills per command
 * (*want, from the single-command run), same state hash, conserved. */
static bool run_batch(const workload *w, bool depth, const fill_digest *want, batch_figures *out)
{
    enum { BATCH = 4096 };
    ev_count ev = {0};
    cets_engine *e = workload_engine(w, depth, ev_count_listener, &ev);
    cets_result *res = malloc(BATCH * sizeof *res);
    *out = (batch_figures){0, 0};
    if (!e || !res) {
        cets_engine_free(e);
        free(res);
        return false;
    }
    fill_digest d = {0};
    int64_t busy = 0, cbusy = 0;
    workload_warm(w);
    for (size_t i = 0; i < w->ncmds; i += BATCH) {
        size_t m = w->ncmds - i < BATCH ? w->ncmds - i : BATCH;
        int64_t c0 = timing_cpu_ns(), t0 = timing_now_ns();
        cets_apply_batch(e, &w->cmds[i], m, res);
        int64_t t1 = timing_now_ns(), c1 = timing_cpu_ns();
        busy += t1 - t0;
        cbusy += c1 - c0;
        for (size_t k = 0; k < m; k++) /* untimed: the results as the engine left them */
            fill_digest_add(&d, i + k, res[k].code, res[k].ntrades, res[k].filled_qty,
                            res[k].filled_value);
    }
    out->ns = (double)busy / (double)w->ncmds;
    out->cpu_ns = (double)cbusy / (double)w->ncmds;
    bool ok = fill_digest_equal(&d, want) && cets_state_hash(e) == workload_hash(w, depth) &&
              workload_conserved(w, e);
    if (!ok) fprintf(stderr, "engine: the batch run differs from the single-command run\n");
    cets_engine_free(e);
    free(res);
    return ok;
}

int run_engine_throughput(const workload *w, bool depth, throughput_figures *out)
{
    ev_count ev = {0};
    cets_engine *e = workload_engine(w, depth, ev_count_listener, &ev);
    floor_book *fb = floor_new(w);
    if (!e || !fb) {
        cets_engine_free(e);
        floor_free(fb);
        return -1;
    }
    cets_result res;
    fill_digest de = {0}, df = {0};
    size_t warmed = workload_warm(w);
    int64_t c0 = timing_cpu_ns(), t0 = timing_now_ns();
    for (size_t i = 0; i < w->ncmds; i++) {
        cets_apply(e, &w->cmds[i], &res);
        fill_digest_add(&de, i, res.code, res.ntrades, res.filled_qty, res.filled_value);
    }
    int64_t t1 = timing_now_ns(), c1 = timing_cpu_ns();
    floor_run(fb, w->cmds, w->ncmds, &df);
    int64_t t2 = timing_now_ns(), c2 = timing_cpu_ns();
    double cns = (double)(c1 - c0) / (double)w->ncmds, cfns = (double)(c2 - c1) / (double)w->ncmds;
    batch_figures bf;
    bool batch_ok = run_batch(w, depth, &de, &bf);
    double secs = (double)(t1 - t0) / 1e9;
    double ns = (double)(t1 - t0) / (double)w->ncmds, fns = (double)(t2 - t1) / (double)w->ncmds;
    uint64_t hash = cets_state_hash(e);
    bool conserved = workload_conserved(w, e);
    bool fills_match = fill_digest_equal(&de, &df) && de.trades == ev.n[CETS_EV_TRADE] &&
                       floor_live(fb) == w->live_end;
    if (!fills_match)
        fprintf(stderr,
                "floor: fills differ from the engine's: trades %llu/%llu qty %lld/%lld "
                "value %lld/%lld rejects %llu/%llu live %llu/%llu\n",
                (unsigned long long)de.trades, (unsigned long long)df.trades, (long long)de.qty,
                (long long)df.qty, (long long)de.value, (long long)df.value,
                (unsigned long long)de.rejects, (unsigned long long)df.rejects,
                (unsigned long long)w->live_end, (unsigned long long)floor_live(fb));
    jsonl_begin("engine");
    jsonl_str("mode", "throughput");
    put_common(w, depth, w->ncmds, secs, &ev, de.rejects, hash);
    jsonl_bool("conserved", conserved);
    jsonl_num("ns_per_command", ns, 1);
    jsonl_num("floor_ns_per_command", fns, 1);
    jsonl_num("floor_ratio", ns / fns, 2);
    jsonl_num("cpu_ns_per_command", cns, 1);
    jsonl_num("floor_cpu_ns_per_command", cfns, 1);
    jsonl_num("floor_cpu_ratio", cns / cfns, 2);
    jsonl_bool("fills_match", fills_match);
    jsonl_num("batch_ns_per_command", bf.ns, 1);
    jsonl_num("batch_cpu_ns_per_command", bf.cpu_ns, 1);
    jsonl_num("batch_floor_ratio", bf.ns / fns, 2);
    jsonl_num("batch_floor_cpu_ratio", bf.cpu_ns / cfns, 2);
    jsonl_bool("batch_match", batch_ok);
    jsonl_u64("warmed_mib", warmed);
    jsonl_u64("fill_qty", (uint64_t)de.qty);
    jsonl_u64("fill_value", (uint64_t)de.value);
    jsonl_end();
    if (out) {
        out->engine_ns = ns;
        out->floor_ns = fns;
        out->engine_cpu_ns = cns;
        out->floor_cpu_ns = cfns;
        out->batch_ns = bf.ns;
        out->batch_cpu_ns = bf.cpu_ns;
    }
    cets_engine_free(e);
    floor_free(fb);
    return hash == workload_hash(w, depth) && conserved && fills_match && batch_ok ? 0 : -1;
}

/* Ticks to ns, less the timer's own cost. */
static double net_ns(uint64_t ticks, uint64_t overhead, double per_ns)
{
    return ticks > overhead ? (double)(ticks - overhead) / per_ns : 0.0;
}

static void put_percentiles(const hist *h, uint64_t overhead, double per_ns)
{
    jsonl_num("p50_ns", net_ns(hist_quantile(h, 0.50), overhead, per_ns), 0);
    jsonl_num("p90_ns", net_ns(hist_quantile(h, 0.90), overhead, per_ns), 0);
    jsonl_num("p99_ns", net_ns(hist_quantile(h, 0.99), overhead, per_ns), 0);
    jsonl_num("p999_ns", net_ns(hist_quantile(h, 0.999), overhead, per_ns), 0);
    jsonl_num("p9999_ns", net_ns(hist_quantile(h, 0.9999), overhead, per_ns), 0);
    jsonl_num("max_ns", net_ns(h->max, overhead, per_ns), 0);
    double mean = h->count ? (double)h->sum / (double)h->count : 0;
    jsonl_num("mean_ns", mean > (double)overhead ? (mean - (double)overhead) / per_ns : 0, 1);
}

static void latency_report(const workload *w, bool depth, double secs, const ev_count *ev,
                           uint64_t rejects, uint64_t hash, hist *all, hist *kind)
{
    double per_ns = timing_tsc_per_ns();
    uint64_t overhead = timing_tsc_overhead();
    jsonl_begin("engine");
    jsonl_str("mode", "latency");
    put_common(w, depth, w->ncmds, secs, ev, rejects, hash);
    jsonl_str("timer", "rdtsc+lfence");
    jsonl_num("tsc_ghz", per_ns, 4);
    jsonl_num("timer_overhead_ns", (double)overhead / per_ns, 1);
    put_percentiles(all, overhead, per_ns);
    jsonl_end();
    for (int k = 0; k < WL_KINDS; k++) {
        jsonl_begin("engine");
        jsonl_str("mode", "latency_by_kind");
        jsonl_str("depth", depth ? "on" : "off");
        jsonl_str("kind", kind_name[k]);
        jsonl_u64("commands", kind[k].count);
        put_percentiles(&kind[k], overhead, per_ns);
        jsonl_end();
    }
}

int run_engine_latency(const workload *w, bool depth)
{
    hist all, kind[WL_KINDS];
    int rc = hist_init(&all);
    for (int k = 0; k < WL_KINDS; k++) rc |= hist_init(&kind[k]);
    ev_count ev = {0};
    cets_engine *e = rc == 0 ? workload_engine(w, depth, ev_count_listener, &ev) : NULL;
    if (e) {
        cets_result res;
        uint64_t rejects = 0;
        timing_tsc_per_ns(); /* calibrate before, not inside, the run */
        workload_warm(w);
        int64_t t0 = timing_now_ns();
        for (size_t i = 0; i < w->ncmds; i++) {
            uint64_t a = timing_tsc();
            int code = cets_apply(e, &w->cmds[i], &res);
            uint64_t b = timing_tsc();
            hist_add(&all, b - a, 1);
            hist_add(&kind[cmd_kind(&w->cmds[i])], b - a, 1);
            rejects += code != CETS_OK;
        }
        double secs = (double)(timing_now_ns() - t0) / 1e9;
        uint64_t hash = cets_state_hash(e);
        latency_report(w, depth, secs, &ev, rejects, hash, &all, kind);
        rc = hash == workload_hash(w, depth) ? 0 : -1;
        cets_engine_free(e);
    } else {
        rc = -1;
    }
    hist_free(&all);
    for (int k = 0; k < WL_KINDS; k++) hist_free(&kind[k]);
    return rc;
}
