/* bench_engine.c -- how fast is cets: engine, journal, replay, memory, lob.
 *
 * Prints one JSON object per line per result (see bench/README.md for what
 * each field means). Everything is generated before any clock starts, from
 * a seed, so two runs with the same flags do the same work. The default run
 * takes under a minute on two cores.
 *
 *   bench_engine [--commands N] [--seed S] [--dir DIR] [--only NAME]
 *                [--depth on|off|both] [--instruments K] [--accounts A]
 *                [--batch B] [--rate R] [--paced-commands N] [--memory-orders N]
 *                [--repeat N] [--controls N]
 *   bench_engine --scale [--scale-commands N] [--repeat N] [--scale-axis AXIS]
 *
 * NAME is one of memory, throughput, latency, engine (both), group, replay
 * (runs group first, as it replays that journal), paced, codec (the journal's
 * record encoding), journal (group, replay, paced and codec), lob. --repeat
 * runs the throughput run N times (for profiling, and to see the spread), the
 * codec's passes (it prints the fastest) and each replay (the fastest and the
 * median). --controls N runs the workload N times
 * with position limits and surveillance on and N times off, alternating
 * (bench/lib/run_controls.c); with --only controls, nothing else.
 */
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "jsonl.h"
#include "runs.h"
#include "workload.h"

typedef struct args {
    workload_opts wl;
    const char *dir, *only;
    bool depth_off, depth_on;
    size_t batch, paced_commands;
    uint64_t rate, memory_orders, repeat;
    uint64_t controls; /* --controls N: limits and surveillance on vs off, N runs each */
    bool scale;
    size_t scale_commands;
    const char *scale_axis; /* NULL: every row */
} args;

static void usage(void)
{
    fprintf(stderr, "usage: bench_engine [--commands N] [--seed S] [--dir DIR] [--only NAME]\n"
                    "         [--depth on|off|both] [--instruments K] [--accounts A] [--batch B]\n"
                    "         [--rate R] [--paced-commands N] [--memory-orders N] [--repeat N]\n"
                    "         [--controls N]\n"
                    "       bench_engine --scale [--scale-commands N] [--repeat N] [--seed S]\n"
                    "         [--scale-axis accounts|resting|instruments]\n"
                    "NAME: memory throughput latency engine group replay paced journal codec lob\n"
                    "      controls\n");
    exit(2);
}

/* The value of a numeric flag: a whole number (decimal, or 0x hex) from 0 to
 * max, else the flag and what was wrong with it, and the usage. */
static uint64_t num_upto(const char *flag, const char *s, unsigned long long max)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    const char *skip = s;
    while (*skip == ' ' || *skip == '\t') skip++;
    if (errno || *end || end == s || *skip == '-' || *skip == '+' || v > max) {
        fprintf(stderr, "bench_engine: %s wants a whole number from 0 to %llu, not '%s'\n", flag,
                max, s);
        usage();
    }
    return v;
}

static uint64_t num(const char *flag, const char *s)
{
    return num_upto(flag, s, ULLONG_MAX);
}

/* A count held in 32 bits (instruments, accounts): one past 2^32 - 1 is
 * refused, not cut to its low bits. */
static uint32_t num32(const char *flag, const char *s)
{
    return (uint32_t)num_upto(flag, s, UINT32_MAX);
}

static void parse(int argc, char **argv, args *a)
{
    workload_opts_default(&a->wl);
    a->depth_off = a->depth_on = true;
    a->batch = 4096;
    a->rate = 1000000;
    a->paced_commands = 2000000;
    a->memory_orders = 1000000;
    a->repeat = 1;
    a->scale_commands = 1000000;
    for (int i = 1; i < argc; i++) {
        const char *f = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(f, "--scale")) {
            a->scale = true;
            continue;
        }
        if (!v) usage();
        i++;
        if (!strcmp(f, "--commands"))
            a->wl.commands = num(f, v);
        else if (!strcmp(f, "--seed"))
            a->wl.seed = num(f, v);
        else if (!strcmp(f, "--dir"))
            a->dir = v;
        else if (!strcmp(f, "--only"))
            a->only = v;
        else if (!strcmp(f, "--instruments"))
            a->wl.instruments = num32(f, v);
        else if (!strcmp(f, "--accounts"))
            a->wl.accounts = num32(f, v);
        else if (!strcmp(f, "--batch"))
            a->batch = num(f, v);
        else if (!strcmp(f, "--rate"))
            a->rate = num(f, v);
        else if (!strcmp(f, "--paced-commands"))
            a->paced_commands = num(f, v);
        else if (!strcmp(f, "--memory-orders"))
            a->memory_orders = num(f, v);
        else if (!strcmp(f, "--controls"))
            a->controls = num(f, v);
        else if (!strcmp(f, "--scale-commands"))
            a->scale_commands = num(f, v);
        else if (!strcmp(f, "--scale-axis")) {
            if (strcmp(v, "accounts") && strcmp(v, "resting") && strcmp(v, "instruments")) usage();
            a->scale_axis = v;
        } else if (!strcmp(f, "--repeat"))
            a->repeat = num(f, v);
        else if (!strcmp(f, "--depth")) {
            a->depth_on = strcmp(v, "off") != 0;
            a->depth_off = strcmp(v, "on") != 0;
            if (strcmp(v, "on") && strcmp(v, "off") && strcmp(v, "both")) usage();
        } else
            usage();
    }
    if (a->wl.commands < 1 || a->batch < 1 || a->rate < 1 || a->repeat < 1 || a->scale_commands < 1)
        usage();
}

/* Whether to run `name`: everything without --only; else the named part,
 * where "engine" and "journal" name groups. */
static bool want(const args *a, const char *name)
{
    if (!a->only) return true;
    if (!strcmp(a->only, name)) return true;
    if (!strcmp(a->only, "engine")) return !strcmp(name, "throughput") || !strcmp(name, "latency");
    if (!strcmp(a->only, "journal"))
        return !strcmp(name, "group") || !strcmp(name, "replay") || !strcmp(name, "paced") ||
               !strcmp(name, "codec");
    if (!strcmp(a->only, "replay")) return !strcmp(name, "group");
    return false;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

static double median(double *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The engine against the floor over `runs` throughput runs: min and median
 * of each, and the ratios of the minima and of the medians. */
typedef struct floor_summary {
    double engine_min, engine_median, floor_min, floor_median;       /* wall */
    double cpu_min, cpu_median, floor_cpu_min, floor_cpu_median;     /* the thread's CPU time */
    double batch_min, batch_median, batch_cpu_min, batch_cpu_median; /* cets_apply_batch */
} floor_summary;

static int run_throughputs(const workload *w, bool depth, uint64_t runs, floor_summary *s)
{
    double *v = calloc(6 * runs, sizeof *v);
    double *en = v, *fl = v + runs, *ec = v + 2 * runs, *fc = v + 3 * runs;
    double *bn = v + 4 * runs, *bc = v + 5 * runs;
    int rc = v ? 0 : -1;
    for (uint64_t i = 0; rc == 0 && i < runs; i++) {
        throughput_figures f;
        rc = run_engine_throughput(w, depth, &f);
        en[i] = f.engine_ns;
        fl[i] = f.floor_ns;
        ec[i] = f.engine_cpu_ns;
        fc[i] = f.floor_cpu_ns;
        bn[i] = f.batch_ns;
        bc[i] = f.batch_cpu_ns;
    }
    if (rc == 0) { /* median() sorts: [0] is then the minimum */
        s->engine_median = median(en, runs);
        s->floor_median = median(fl, runs);
        s->cpu_median = median(ec, runs);
        s->floor_cpu_median = median(fc, runs);
        s->engine_min = en[0];
        s->floor_min = fl[0];
        s->cpu_min = ec[0];
        s->floor_cpu_min = fc[0];
        s->batch_median = median(bn, runs);
        s->batch_cpu_median = median(bc, runs);
        s->batch_min = bn[0];
        s->batch_cpu_min = bc[0];
    }
    free(v);
    return rc;
}

static void put_summary(const floor_summary *s)
{
    jsonl_num("engine_min_ns", s->engine_min, 1);
    jsonl_num("engine_median_ns", s->engine_median, 1);
    jsonl_num("floor_min_ns", s->floor_min, 1);
    jsonl_num("floor_median_ns", s->floor_median, 1);
    jsonl_num("ratio_of_min", s->engine_min / s->floor_min, 2);
    jsonl_num("ratio_of_median", s->engine_median / s->floor_median, 2);
    jsonl_num("cpu_min_ns", s->cpu_min, 1);
    jsonl_num("cpu_median_ns", s->cpu_median, 1);
    jsonl_num("floor_cpu_min_ns", s->floor_cpu_min, 1);
    jsonl_num("floor_cpu_median_ns", s->floor_cpu_median, 1);
    jsonl_num("cpu_ratio_of_min", s->cpu_min / s->floor_cpu_min, 2);
    jsonl_num("cpu_ratio_of_median", s->cpu_median / s->floor_cpu_median, 2);
    jsonl_num("batch_min_ns", s->batch_min, 1);
    jsonl_num("batch_median_ns", s->batch_median, 1);
    jsonl_num("batch_ratio_of_min", s->batch_min / s->floor_min, 2);
    jsonl_num("batch_ratio_of_median", s->batch_median / s->floor_median, 2);
    jsonl_num("batch_cpu_min_ns", s->batch_cpu_min, 1);
    jsonl_num("batch_cpu_median_ns", s->batch_cpu_median, 1);
    jsonl_num("batch_cpu_ratio_of_min", s->batch_cpu_min / s->floor_cpu_min, 2);
    jsonl_num("batch_cpu_ratio_of_median", s->batch_cpu_median / s->floor_cpu_median, 2);
}

static int run_engine_all(const args *a, const workload *w)
{
    int rc = 0;
    for (int d = 0; d < 2; d++) {
        bool depth = d == 1;
        if (depth ? !a->depth_on : !a->depth_off) continue;
        if (want(a, "throughput")) {
            floor_summary s;
            int trc = run_throughputs(w, depth, a->repeat, &s);
            rc |= trc;
            if (trc == 0) {
                jsonl_begin("floor");
                jsonl_str("depth", depth ? "on" : "off");
                jsonl_u64("runs", a->repeat);
                put_summary(&s);
                jsonl_end();
            }
        }
        if (want(a, "latency")) rc |= run_engine_latency(w, depth);
    }
    return rc;
}

/* --scale: the engine as the market grows along one axis at a time, the
 * others at the default (10,000 accounts, 1,000 resting orders, one
 * instrument); depth events off. vs_default: this row's engine median over
 * the default market's, wall clock; cpu_vs_default the same in the thread's
 * CPU time, batch_cpu_vs_default for cets_apply_batch(). The default market
 * is measured four times (its own row and one on each axis): its figure is
 * the median of those rows' medians, so one slow row (the first often is)
 * does not skew every ratio. With --scale-axis only the default row and that
 * axis's rows run (the default market then twice). The rows are printed once
 * all have run; a line on stderr tells each row as it ends. */
typedef struct scale_row {
    const char *axis;
    uint32_t accounts, resting, instruments;
    uint64_t commands;
    int rc;
    floor_summary s;
} scale_row;

static bool scale_is_default(const scale_row *r)
{
    return r->accounts == 10000 && r->resting == 1000 && r->instruments == 1;
}

static int run_scale(const args *a)
{
    static const uint32_t accounts[] = {1000, 10000, 100000, 1000000};
    static const uint32_t resting[] = {1000, 10000, 100000, 1000000};
    static const uint32_t instruments[] = {1, 2, 4, 8, 16, 32, 63};
    scale_row rows[32];
    size_t n = 0;
    const char *only = a->scale_axis;
    rows[n++] = (scale_row){.axis = "default", 10000, 1000, 1};
    for (size_t i = 0; i < sizeof accounts / sizeof *accounts; i++)
        if (!only || !strcmp(only, "accounts"))
            rows[n++] = (scale_row){.axis = "accounts", accounts[i], 1000, 1};
    for (size_t i = 0; i < sizeof resting / sizeof *resting; i++)
        if (!only || !strcmp(only, "resting"))
            rows[n++] = (scale_row){.axis = "resting", 10000, resting[i], 1};
    for (size_t i = 0; i < sizeof instruments / sizeof *instruments; i++)
        if (!only || !strcmp(only, "instruments"))
            rows[n++] =
                (scale_row){.axis = "instruments", 10000, 1000 * instruments[i], instruments[i]};
    double base[32], base_cpu[32], base_batch[32];
    size_t nbase = 0;
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        workload_opts o = a->wl;
        o.commands = a->scale_commands;
        o.accounts = rows[i].accounts;
        o.instruments = rows[i].instruments;
        o.book_orders = rows[i].resting / rows[i].instruments;
        workload w;
        if (workload_build(&w, &o) != 0) return 1;
        rows[i].commands = w.ncmds;
        rows[i].rc = run_throughputs(&w, false, a->repeat, &rows[i].s);
        rc |= rows[i].rc;
        workload_free(&w);
        if (rows[i].rc == 0 && scale_is_default(&rows[i])) {
            base[nbase] = rows[i].s.engine_median;
            base_cpu[nbase] = rows[i].s.cpu_median;
            base_batch[nbase++] = rows[i].s.batch_cpu_median;
        }
        fprintf(stderr,
                "bench_engine: scale row %zu of %zu (%s: %u accounts, %u resting, %u "
                "instruments) %s\n",
                i + 1, n, rows[i].axis, rows[i].accounts, rows[i].resting, rows[i].instruments,
                rows[i].rc ? "failed" : "done");
    }
    if (nbase == 0) return 1; /* no default market measured: no ratio to give */
    double b = median(base, nbase), bc = median(base_cpu, nbase), bb = median(base_batch, nbase);
    for (size_t i = 0; i < n; i++) {
        if (rows[i].rc) continue;
        const floor_summary *s = &rows[i].s;
        jsonl_begin("scale");
        jsonl_str("axis", rows[i].axis);
        jsonl_u64("accounts", rows[i].accounts);
        jsonl_u64("resting", rows[i].resting);
        jsonl_u64("instruments", rows[i].instruments);
        jsonl_u64("commands", rows[i].commands);
        jsonl_u64("runs", a->repeat);
        jsonl_u64("default_rows", nbase);
        put_summary(s);
        jsonl_num("vs_default", s->engine_median / b, 2);
        jsonl_num("cpu_vs_default", s->cpu_median / bc, 2);
        jsonl_num("batch_cpu_vs_default", s->batch_cpu_median / bb, 2);
        jsonl_end();
    }
    return rc;
}

/* Group commit and its replay once per depth setting; the paced run once,
 * with depth events on when they are wanted at all. */
static int run_journal_all(const args *a, const workload *w, const char *root)
{
    char dir[4096];
    int rc = 0;
    journal_opts jo = {.dir = dir, .batch = a->batch};
    for (int d = 0; d < 2 && want(a, "group"); d++) {
        jo.depth = d == 1;
        if (jo.depth ? !a->depth_on : !a->depth_off) continue;
        uint64_t hash = 0;
        snprintf(dir, sizeof dir, "%s/group-depth-%s", root, jo.depth ? "on" : "off");
        jo.commands = w->ncmds;
        int jrc = run_journal(w, &jo, &hash);
        rc |= jrc;
        if (jrc == 0 && want(a, "replay")) {
            rc |= run_replay(w, dir, false, a->repeat, hash);
            rc |= run_replay(w, dir, true, a->repeat, hash);
        }
    }
    if (want(a, "paced")) {
        uint64_t hash;
        snprintf(dir, sizeof dir, "%s/paced", root);
        jo.depth = a->depth_on;
        jo.rate = a->rate;
        jo.commands = a->paced_commands < w->ncmds ? a->paced_commands : w->ncmds;
        rc |= run_journal(w, &jo, &hash);
    }
    return rc;
}

int main(int argc, char **argv)
{
    args a = {0};
    parse(argc, argv, &a);
    int rc = 0;
    if (a.scale) return run_scale(&a) ? 1 : 0;
    if (want(&a, "memory")) rc |= run_memory(&a.wl, a.memory_orders);
    bool engine = want(&a, "throughput") || want(&a, "latency");
    bool journal = want(&a, "group") || want(&a, "paced");
    bool codec = want(&a, "codec");
    if (engine || journal || codec || a.controls) {
        workload w;
        if (workload_build(&w, &a.wl) != 0) return 1;
        if (a.depth_on && workload_hash_depth(&w) != 0) return 1;
        if (engine) rc |= run_engine_all(&a, &w);
        if (a.controls) rc |= run_engine_controls(&w, a.controls);
        if (codec) rc |= run_codec(&w, a.repeat);
        if (journal) {
            char tmp[] = "/tmp/cets-bench-XXXXXX";
            const char *root = a.dir;
            if (!root && !(root = mkdtemp(tmp))) {
                perror("mkdtemp");
                return 1;
            }
            if (a.dir && mkdir(a.dir, 0700) != 0 && errno != EEXIST) {
                perror(a.dir);
                return 1;
            }
            rc |= run_journal_all(&a, &w, root);
            if (!a.dir) nftw(root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
        }
        workload_free(&w);
    }
    if (want(&a, "lob")) rc |= run_lob(&a.wl, a.memory_orders);
    return rc ? 1 : 0;
}
